//! What checking a document finds: [`Finding`]s with their [`FindingId`] and [`Severity`],
//! a [`Report`] per document, the text that explains each id, and where a document comes
//! from ([`Location`]). Everything above this layer reports through these types.

mod explain;
mod id;
mod location;

use std::fmt;

pub use id::FindingId;
pub use location::{Kind, Location};

/// How serious a finding is: errors fail a run (exit status 1), warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Reported, does not fail the run.
    Warning,
    /// Reported and fails the run.
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What kind of problem.
    pub id: FindingId,
    /// Its severity after config.
    pub severity: Severity,
    /// 1-based line where the element or text starts.
    pub line: usize,
    /// 1-based column (characters) where the element or text starts.
    pub column: usize,
    /// Byte offset in the document where the element or text starts.
    pub offset: usize,
    /// What is wrong and how to fix it.
    pub message: String,
    /// For link findings: the link as written in the page (character references decoded).
    pub url: Option<String>,
    /// For link findings: the program the link belongs to.
    pub program: Option<String>,
    /// For link findings: the affiliate id the link carries, when it carries one.
    pub affiliate_id: Option<String>,
}

/// An affiliate link met on a page, as [`Checker::on_affiliate_link`](crate::Checker::on_affiliate_link)
/// hands it over: for inventories of the ids and products a site links with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AffiliateLink {
    /// The program's id (`amazon`).
    pub program: String,
    /// The program's host the link goes to, as its rule lists it (`amazon.in`), or the
    /// short-link host (`amzn.to`).
    pub host: String,
    /// The affiliate id the link carries, when it carries one (short links carry theirs
    /// inside, out of sight).
    pub id: Option<String>,
    /// The product it links to (an Amazon ASIN, an eBay item id), when the rule can tell.
    pub product: Option<String>,
    /// Whether it is a short link.
    pub short: bool,
    /// For a network's link (Skimlinks, Awin, Impact, ...), the destination it redirects to,
    /// decoded.
    pub destination: Option<String>,
}

/// What checking (or fixing) one document found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Findings, in document order. After a fix: what is left.
    pub findings: Vec<Finding>,
    /// Every `a[href]` and `area[href]`.
    pub links: usize,
    /// Links on an active program's hosts (tagged or not, short links included).
    pub affiliate_links: usize,
    /// Whether a fix changed the document.
    pub changed: bool,
}

impl Report {
    /// Number of findings with this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}
