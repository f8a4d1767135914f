//! The engine: rules and config compiled once, then shared by every document (and thread).

use std::borrow::Cow;
use std::io::{Read, Write};
use std::sync::Arc;

use lol_html::Selector;

use crate::config::{Config, Level, Placement};
use crate::disclosure::StatementSet;
use crate::document::{Document, READ_CHUNK};
use crate::errors::{ConfigError, DocumentError, Error, SourceSpot};
use crate::hosts::{HostTable, is_valid_domain};
use crate::links::{ActiveProgram, LinkRules};
use crate::report::{FindingId, Report, Severity};
use crate::rules::{RuleSet, TaggingMethod};
use crate::visible::Finder;

/// Links in these elements are not seen by a reader (a disclosure inserted next to them would
/// not be either).
const HIDDEN: &[&str] = &[
    "[hidden]",
    "[aria-hidden=\"true\" i]",
    "template",
    "noscript",
    "[style*=\"display:none\" i]",
    "[style*=\"display: none\" i]",
    "[style*=\"visibility:hidden\" i]",
    "[style*=\"visibility: hidden\" i]",
    ".screen-reader-text",
    ".sr-only",
    ".visually-hidden",
    ".visuallyhidden",
];
/// Content of a closed `<details>` is seen only behind a click.
const COLLAPSED: &str = "details:not([open])";
/// Every link element; the handler looks for `href` itself (cheaper for lol_html than an
/// attribute selector).
const LINKS: &str = "a, area";

/// Selectors parsed once.
pub(crate) struct Selectors {
    pub(crate) links: Selector,
    pub(crate) blocks: Selector,
    /// Links inside hidden or collapsed content.
    pub(crate) hidden_links: Selector,
}

impl Selectors {
    fn new() -> Selectors {
        let parse = |s: &str| {
            s.parse::<Selector>()
                .unwrap_or_else(|e| panic!("built-in selector {s:?} is invalid: {e}"))
        };
        let hidden_links: Vec<String> = HIDDEN
            .iter()
            .chain(&[COLLAPSED])
            .flat_map(|scope| [format!("{scope} a[href]"), format!("{scope} area[href]")])
            .collect();
        Selectors {
            links: parse(LINKS),
            hidden_links: parse(&hidden_links.join(", ")),
            blocks: parse(crate::insertion::BLOCK_SELECTOR),
        }
    }
}

/// Which statements satisfy what.
pub(crate) struct Disclosure {
    pub(crate) statements: StatementSet,
    /// Per active program: its own statements (empty: the general statement is enough).
    pub(crate) program: Vec<Vec<usize>>,
    /// Statements that tell readers the site earns from links (FTC).
    pub(crate) general: Vec<usize>,
    /// The publisher's own statements from the config: accepted for everything.
    pub(crate) own: Vec<usize>,
    pub(crate) placement: Placement,
    /// What `fix` inserts on a page without a disclosure, and where.
    pub(crate) insert: Option<Insert>,
    /// Finds where statements can be on a page.
    pub(crate) finder: Finder,
}

/// The configured disclosure `fix` inserts.
pub(crate) struct Insert {
    pub(crate) html: String,
    pub(crate) before: Option<Selector>,
}

/// Everything a document pass needs, immutable.
pub(crate) struct Compiled {
    pub(crate) links: LinkRules,
    pub(crate) disclosure: Disclosure,
    levels: Vec<Level>,
    pub(crate) selectors: Selectors,
}

impl Compiled {
    /// The severity of a finding id, or `None` when it is off.
    pub(crate) fn severity(&self, id: FindingId) -> Option<Severity> {
        let index = FindingId::ALL.iter().position(|&i| i == id)?;
        match self.levels[index] {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }

    /// Whether the page text must be read at all.
    pub(crate) fn checks_disclosure(&self) -> bool {
        !self.links.programs.is_empty()
            && [
                FindingId::MissingDisclosure,
                FindingId::IncompleteDisclosure,
                FindingId::HiddenDisclosure,
                FindingId::LateDisclosure,
            ]
            .into_iter()
            .any(|id| self.severity(id).is_some())
    }
}

/// The result of fixing one document in memory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fixed {
    /// The document with links tagged; byte-identical to the input when nothing changed.
    pub html: Vec<u8>,
    /// What is left to fix by hand.
    pub report: Report,
}

/// Rules and config compiled once; checks and fixes documents. Cheap to clone and `Send +
/// Sync`, so one engine serves every thread.
///
/// ```
/// use affilint::{Config, Engine, FindingId, RuleSet};
///
/// let config = Config::parse("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")?;
/// let engine = Engine::new(&RuleSet::shipped(), &config)?;
///
/// let page = r#"<p>As an Amazon Associate I earn from qualifying purchases.</p>
/// <p><a href="https://www.amazon.com/dp/B00TEST123?th=1&amp;psc=1">Kettle</a></p>"#;
///
/// let report = engine.check(page.as_bytes())?;
/// assert_eq!(report.findings[0].rule, FindingId::UntaggedLink);
/// assert_eq!(report.findings[0].line, 2);
///
/// let fixed = engine.fix(page.as_bytes())?;
/// let html = String::from_utf8(fixed.html).unwrap();
/// assert!(html.contains(
///     r#"<a href="https://www.amazon.com/dp/B00TEST123?th=1&amp;psc=1&amp;tag=mysite-20" rel="sponsored">"#
/// ));
/// assert!(fixed.report.findings.is_empty());
/// # Ok::<(), affilint::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Compiled>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self
            .inner
            .links
            .programs
            .iter()
            .map(|p| p.program.id())
            .collect();
        f.debug_struct("Engine").field("active", &ids).finish()
    }
}

impl Engine {
    /// Compiles `rules` and `config`. Fails when the config names an unknown program, a host
    /// that is not the program's, or an id the program does not accept.
    pub fn new(rules: &RuleSet, config: &Config) -> Result<Engine, Error> {
        rules.check_overlaps()?;
        let mut programs = Vec::new();
        let mut merchant_lists = Vec::new();
        for (id, settings) in &config.programs {
            let spot = || {
                settings
                    .spot
                    .clone()
                    .unwrap_or_else(|| SourceSpot::whole("config"))
            };
            let config_error = |spot: SourceSpot, message: String| ConfigError { spot, message };
            let program = rules.program(id).ok_or_else(|| {
                let known: Vec<&str> = rules
                    .programs()
                    .filter(|p| p.tagging.is_some())
                    .map(|p| p.id())
                    .collect();
                config_error(
                    spot(),
                    format!(
                        "unknown program `{id}`; known programs: {}",
                        known.join(", ")
                    ),
                )
            })?;
            let Some(tagging) = &program.tagging else {
                return Err(config_error(
                    spot(),
                    format!("`{id}` only holds disclosure statements; it takes no id"),
                )
                .into());
            };
            let check_id = |setting: &crate::config::Setting<String>| {
                if program.accepts_id(&setting.value) {
                    Ok(())
                } else {
                    Err(config_error(
                        setting.spot.clone(),
                        format!(
                            "`{}` is not a valid {} id ({} expects ids matching `{}`)",
                            setting.value,
                            program.name(),
                            program.origin(),
                            program
                                .id_pattern
                                .as_ref()
                                .map(|r| r
                                    .as_str()
                                    .trim_start_matches("^(?:")
                                    .trim_end_matches(")$"))
                                .unwrap_or_default()
                        ),
                    ))
                }
            };
            if let Some(tag) = &settings.tag {
                check_id(tag)?;
            }
            let mut marketplaces = HostTable::default();
            for (host, market_id) in &settings.marketplaces {
                if !program.hosts().contains(&host.value) {
                    return Err(config_error(
                        host.spot.clone(),
                        format!(
                            "`{}` is not one of {id}'s hosts; marketplaces are: {}",
                            host.value,
                            program.hosts().join(", ")
                        ),
                    )
                    .into());
                }
                check_id(market_id)?;
                *marketplaces.entry(&host.value, String::new) = market_id.value.clone();
            }
            let mut merchants = program.merchants().to_vec();
            for merchant in &settings.merchants {
                let TaggingMethod::Wrap { template, .. } = &tagging.method else {
                    return Err(config_error(
                        merchant.spot.clone(),
                        format!("`merchants` is for redirect networks; `{id}` tags its own links"),
                    )
                    .into());
                };
                if !is_valid_domain(&merchant.value) {
                    return Err(config_error(
                        merchant.spot.clone(),
                        format!(
                            "`{}` is not a valid host: write a lowercase domain",
                            merchant.value
                        ),
                    )
                    .into());
                }
                let rendered = template.render(|name| match name {
                    "id" | "url" => Some(String::new()),
                    var => program.var(&merchant.value, var).map(str::to_owned),
                });
                if let Err(missing) = rendered {
                    return Err(config_error(
                        merchant.spot.clone(),
                        format!(
                            "`{id}` needs `{missing}` for {}: add it under [vars.\"{}\"] in your own \
                             rule file (id = \"{id}\")",
                            merchant.value, merchant.value
                        ),
                    )
                    .into());
                }
                merchants.push(merchant.value.clone());
            }
            if settings.tag.is_none() && settings.marketplaces.is_empty() {
                continue;
            }
            programs.push(ActiveProgram {
                program: program.clone(),
                tag: settings.tag.as_ref().map(|t| t.value.clone()),
                marketplaces,
            });
            merchant_lists.push(merchants);
        }

        let mut statements = StatementSet::default();
        let program_statements = programs
            .iter()
            .map(|active| {
                active
                    .program
                    .statements
                    .iter()
                    .map(|s| statements.add(s.clone()))
                    .collect()
            })
            .collect();
        let mut general = Vec::new();
        for program in rules.programs().filter(|p| p.general_disclosure) {
            for statement in &program.statements {
                general.push(statements.add(statement.clone()));
            }
        }
        let own = config
            .statements
            .iter()
            .map(|s| statements.add(s.value.clone()))
            .collect();
        let levels = FindingId::ALL.iter().map(|&id| config.level(id)).collect();
        let active = programs.len();
        let mut compiled = Compiled {
            links: LinkRules::new(programs, &merchant_lists),
            disclosure: Disclosure {
                finder: Finder::new(&statements),
                statements,
                program: program_statements,
                general,
                own,
                placement: config.placement(),
                insert: None,
            },
            levels,
            selectors: Selectors::new(),
        };
        if let Some(insert) = &config.insert {
            check_insert(&compiled, &insert.value, active).map_err(|message| ConfigError {
                spot: insert.spot.clone(),
                message,
            })?;
            compiled.disclosure.insert = Some(Insert {
                html: insert.value.clone(),
                before: config.insert_before.as_ref().map(|b| b.value.clone()),
            });
        }
        Ok(Engine {
            inner: Arc::new(compiled),
        })
    }

    /// The ids of the programs that have an id configured (the active ones).
    pub fn active_programs(&self) -> impl Iterator<Item = &str> {
        self.inner.links.programs.iter().map(|p| p.program.id())
    }

    /// Starts checking a document fed in chunks with [`Document::write`].
    pub fn checker(&self) -> Document<'_, std::io::Sink> {
        Document::new(&self.inner, std::io::sink(), false)
    }

    /// Starts fixing a document fed in chunks; the output goes to `output` as it is produced.
    pub fn fixer<O: crate::Output>(&self, output: O) -> Document<'_, O> {
        Document::new(&self.inner, output, true)
    }

    /// Checks a whole document.
    pub fn check(&self, html: &[u8]) -> Result<Report, DocumentError> {
        let mut document = self.checker();
        document.write(html)?;
        Ok(document.end()?.0)
    }

    /// Fixes a whole document in memory.
    pub fn fix(&self, html: &[u8]) -> Result<Fixed, DocumentError> {
        let mut document = self.fixer(Vec::with_capacity(html.len() + 256));
        document.write(html)?;
        let (report, html) = document.end()?;
        Ok(Fixed { html, report })
    }

    /// Checks a document read from `input`, in chunks: memory stays flat however large it is.
    pub fn check_reader(&self, input: impl Read) -> Result<Report, DocumentError> {
        let mut document = self.checker();
        pump(input, |chunk| document.write(chunk))?;
        Ok(document.end()?.0)
    }

    /// Checks a document read from `input`, handing each finding to `on_finding` as soon as
    /// it is known (the report's `findings` stay empty): memory stays flat however many
    /// findings a page has.
    pub fn check_reader_each(
        &self,
        input: impl Read,
        on_finding: impl FnMut(crate::Finding),
    ) -> Result<Report, DocumentError> {
        let mut document = self.checker();
        document.each_finding(on_finding);
        pump(input, |chunk| document.write(chunk))?;
        Ok(document.end()?.0)
    }

    /// Fixes a document read from `input` into `output`, handing each finding that is left
    /// to `on_finding` as soon as it is known.
    pub fn fix_to_each<O: crate::Output>(
        &self,
        input: impl Read,
        output: O,
        on_finding: impl FnMut(crate::Finding),
    ) -> Result<(Report, O), DocumentError> {
        let mut document = self.fixer(output);
        document.each_finding(on_finding);
        pump(input, |chunk| document.write(chunk))?;
        document.end()
    }

    /// Fixes a document read from `input`, writing it to `output` as it goes.
    pub fn fix_stream(
        &self,
        input: impl Read,
        output: impl Write,
    ) -> Result<Report, DocumentError> {
        let (report, mut output) = self.fix_to(input, output)?;
        output.flush().map_err(DocumentError::Write)?;
        Ok(report)
    }

    /// Fixes a document read from `input` into any [`Output`](crate::Output), which is handed
    /// back with the report (for example to commit a file only when something changed).
    pub fn fix_to<O: crate::Output>(
        &self,
        input: impl Read,
        output: O,
    ) -> Result<(Report, O), DocumentError> {
        let mut document = self.fixer(output);
        pump(input, |chunk| document.write(chunk))?;
        document.end()
    }
}

/// The configured insert must satisfy every active program and the FTC, or fix would insert a
/// disclosure that `check` still rejects.
fn check_insert(compiled: &Compiled, html: &str, active: usize) -> Result<(), String> {
    let found = crate::document::visible_statements(compiled, html.as_bytes())
        .map_err(|e| format!("cannot read `insert`: {e}"))?;
    let all: Vec<usize> = (0..active).collect();
    let requirements = crate::compliance::requirements(compiled, &all);
    let unmet = crate::compliance::unmet(&requirements, &found);
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`insert` does not satisfy {}: its visible text must include a statement they \
             accept (see `[disclosure] statements` in their rule files)",
            crate::compliance::describe(&unmet)
        ))
    }
}

/// Reads `input` in chunks into `write`.
fn pump(
    mut input: impl Read,
    mut write: impl FnMut(&[u8]) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    let mut buf = vec![0; READ_CHUNK];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => write(&buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DocumentError::Read(e)),
        }
    }
}

/// `Cow` of a selector for lol_html's settings.
pub(crate) fn selector(s: &Selector) -> Cow<'_, Selector> {
    Cow::Borrowed(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(config: &str) -> Result<Engine, String> {
        let config = Config::parse("affilint.toml", config).map_err(|e| e.to_string())?;
        Engine::new(&RuleSet::shipped(), &config).map_err(|e| e.to_string())
    }

    #[test]
    fn config_is_checked_against_the_rules() {
        let unknown = engine("[programs.amazn]\ntag = \"x-20\"\n").unwrap_err();
        assert!(
            unknown.starts_with("affilint.toml:1:11: unknown program `amazn`"),
            "{unknown}"
        );
        assert!(unknown.contains("amazon"), "{unknown}");
        let market =
            engine("[programs.amazon.marketplaces]\n\"amazon.co\" = \"x-21\"\n").unwrap_err();
        assert!(
            market.starts_with("affilint.toml:2:1: `amazon.co` is not one of amazon's hosts"),
            "{market}"
        );
        let pattern = engine("[programs.ebay]\ntag = \"123\"\n").unwrap_err();
        assert!(
            pattern.starts_with("affilint.toml:2:7: `123` is not a valid eBay Partner Network id"),
            "{pattern}"
        );
        let merchant =
            engine("[programs.amazon]\ntag = \"x-20\"\nmerchants = [\"a.example\"]\n").unwrap_err();
        assert!(
            merchant.contains("`merchants` is for redirect networks"),
            "{merchant}"
        );
        let cj =
            engine("[programs.cj]\ntag = \"123\"\nmerchants = [\"shop.example\"]\n").unwrap_err();
        assert!(cj.contains("needs `ad` for shop.example"), "{cj}");
        let ftc = engine("[programs.ftc]\ntag = \"x\"\n").unwrap_err();
        assert!(ftc.contains("only holds disclosure statements"), "{ftc}");
    }

    #[test]
    fn a_program_is_active_when_it_has_an_id() {
        let e = engine("[programs.amazon]\ntag = \"x-20\"\n[programs.ebay]\n").unwrap();
        assert_eq!(e.active_programs().collect::<Vec<_>>(), ["amazon"]);
    }
}
