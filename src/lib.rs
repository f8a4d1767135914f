//! affilint tags affiliate links and checks affiliate disclosures in built HTML, streaming.
//!
//! It reads pages through [`lol_html`], finds outbound retail links (`a[href]`,
//! `area[href]`), adds the publisher's id to them according to rule files (one per program:
//! Amazon, eBay, Booking.com, redirect networks...), and checks that the page carries a
//! disclosure a reader can see, before the links. Everything it has no reason to change
//! stays byte for byte as it was.
//!
//! Compile the rules and config once into an [`Engine`], then check or fix any number of
//! documents, from memory ([`Engine::check`], [`Engine::fix`]) or fed in chunks or from a
//! reader ([`Engine::checker`], [`Engine::fixer`]):
//!
//! ```
//! use affilint::{Config, Engine, FindingId, RuleSet};
//!
//! let config = Config::parse("affilint.toml", r#"
//!     [programs.amazon]
//!     tag = "mysite-20"
//! "#)?;
//! let engine = Engine::new(&RuleSet::shipped(), &config)?;
//!
//! let page = br#"<p>Some of these links earn me a commission.</p>
//! <a href="https://www.amazon.com/dp/B00TEST123">Kettle</a>"#;
//! let report = engine.check(page)?;
//! let ids: Vec<FindingId> = report.findings.iter().map(|f| f.id).collect();
//! // The general disclosure is there, but not the statement Amazon's agreement asks for.
//! assert_eq!(
//!     ids,
//!     [FindingId::UntaggedLink, FindingId::MissingRel, FindingId::MissingProgramStatement]
//! );
//!
//! let fixed = engine.fix(page)?;
//! assert!(String::from_utf8_lossy(&fixed.html)
//!     .contains(r#"href="https://www.amazon.com/dp/B00TEST123?tag=mysite-20" rel="sponsored""#));
//! // What is left needs a human: Amazon's own statement.
//! assert_eq!(fixed.report.findings[0].id, FindingId::MissingProgramStatement);
//! # Ok::<(), affilint::Error>(())
//! ```
#![deny(missing_docs)]

// Layers, each importing only from those listed before it (tests/it/layers.rs holds them to
// it): errors, hosts; report; page; disclosure; rules, config, site; links; compile; pass;
// markdown; engine.
mod compile;
mod config;
mod disclosure;
mod engine;
mod errors;
mod hosts;
mod links;
mod markdown;
mod page;
mod pass;
mod report;
mod rules;
mod site;
mod style;

pub use config::{CONFIG_FILE_NAME, Config, Level};
pub use disclosure::Placement;
pub use engine::{Checker, Engine, Fixed, Fixer};
pub use errors::{ConfigError, DocumentError, Error, RuleError, SourceSpot};
pub use links::ShortTarget;
pub use markdown::{MarkdownLink, markdown_links};
pub use page::Output;
pub use report::{AffiliateLink, Finding, FindingId, Kind, Location, Report, Severity};
pub use rules::{Program, RuleSet};
pub use site::{RedirectLineError, Site};

/// The README's Rust examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
