//! The config resolved against the rules, once: the active programs and their link rules, the
//! disclosure policy, the severity of each finding id, the insert and the selectors a document
//! pass hands lol_html. Everything a pass needs, immutable and shared by every document.

use std::sync::{Arc, RwLock};

use lol_html::Selector;

use crate::config::{CLOAKING_PREFIXES, Config, Level, ProgramSettings, Setting};
use crate::disclosure::insertion::{Insert, block_selector};
use crate::disclosure::matcher::StatementSet;
use crate::disclosure::policy::{self, Policy, ProgramStatements};
use crate::disclosure::reader::{Finder, visible_statements};
use crate::errors::{ConfigError, Error, SourceSpot};
use crate::hosts::{HostTable, is_valid_domain};
use crate::links::{CloakingPrefixes, LinkProgram, LinkRules, ShortLinks};
use crate::report::{FindingId, Severity};
use crate::rules::{Program, RuleSet, Tagging, TaggingMethod};
use crate::style::Thresholds;

/// Every link element; the handler looks for `href` itself (cheaper for lol_html than an
/// attribute selector).
const LINKS: &str = "a, area";

/// Selectors parsed once.
pub(crate) struct Selectors {
    pub(crate) links: Selector,
    /// The blocks `fix` tracks to place a disclosure.
    pub(crate) blocks: Selector,
}

impl Selectors {
    fn new() -> Selectors {
        let parse = |s: &str| {
            s.parse::<Selector>()
                .unwrap_or_else(|e| panic!("built-in selector {s:?} is invalid: {e}"))
        };
        Selectors {
            links: parse(LINKS),
            blocks: parse(&block_selector()),
        }
    }
}

/// The checks a document goes through, compiled from the rules and the config.
pub(crate) struct Checks {
    pub(crate) links: LinkRules,
    pub(crate) policy: Policy,
    /// What `fix` inserts on a page without a disclosure, and where.
    pub(crate) insert: Option<Insert>,
    levels: Vec<Level>,
    pub(crate) selectors: Selectors,
    /// Path prefixes of cloaked links (`opaque-link`).
    pub(crate) cloaking_prefixes: CloakingPrefixes,
    /// Labels each affiliate link needs (`unlabeled-link`), as configured.
    pub(crate) link_labels: Vec<String>,
    /// The most words an affiliate link may come after the last statement.
    pub(crate) max_distance_words: Option<u32>,
    /// Under these, a statement is `inconspicuous-disclosure`.
    pub(crate) thresholds: Thresholds,
    /// Whether Markdown sources get disclosure findings.
    pub(crate) markdown_disclosure: bool,
    /// Where short links go, when the engine was told how to ask.
    pub(crate) short_links: RwLock<Option<Arc<ShortLinks>>>,
}

impl Checks {
    /// Where the short link `url` goes, when a resolver was given and can tell.
    pub(crate) fn short_target(&self, url: &str) -> Option<crate::links::ShortTarget> {
        let resolver = self
            .short_links
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        resolver(url)
    }

    /// Whether the engine was told how to ask where short links go.
    pub(crate) fn expands_short_links(&self) -> bool {
        self.short_links
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Resolves `config` against `rules`. Fails when the config names an unknown program, a
    /// host that is not the program's, or an id the program does not accept, or when the
    /// configured insert would not satisfy the programs.
    pub(crate) fn new(rules: &RuleSet, config: &Config) -> Result<Checks, Error> {
        rules.check_overlaps()?;
        for (id, settings) in &config.programs {
            known(rules, id, settings)?;
        }
        // Every program with hosts: active ones with the publisher's ids, the others to
        // recognise the links that carry an id of their own.
        let mut programs = Vec::new();
        let mut merchant_lists = Vec::new();
        for program in rules.programs() {
            let Some(tagging) = &program.tagging else {
                continue;
            };
            let (linked, merchants) = match config.programs.get(program.id()) {
                Some(settings) => link_program(program, tagging, settings)?,
                None => (
                    LinkProgram {
                        program: program.clone(),
                        tag: None,
                        marketplaces: HostTable::default(),
                        check_prices: program.forbids_static_prices(),
                    },
                    Vec::new(),
                ),
            };
            merchant_lists.push(if linked.is_active() {
                merchants
            } else {
                Vec::new()
            });
            programs.push(linked);
        }
        let policy = policy_of(rules, config, &programs);
        // Checks that need a setting are off without it.
        let configured = |id: FindingId| match id {
            FindingId::UnlabeledLink => !config.link_labels.is_empty(),
            FindingId::DistantDisclosure => config.max_distance_words.is_some(),
            _ => true,
        };
        let levels = FindingId::ALL
            .iter()
            .map(|&id| {
                if configured(id) {
                    config.level(id)
                } else {
                    Level::Off
                }
            })
            .collect();
        let mut checks = Checks {
            links: LinkRules::new(programs, &merchant_lists),
            policy,
            insert: None,
            levels,
            selectors: Selectors::new(),
            cloaking_prefixes: CloakingPrefixes::new(
                config
                    .cloaking_prefixes
                    .clone()
                    .unwrap_or_else(|| CLOAKING_PREFIXES.iter().map(|p| (*p).to_owned()).collect()),
            ),
            link_labels: config.link_labels.clone(),
            max_distance_words: config.max_distance_words,
            markdown_disclosure: config.markdown_disclosure,
            short_links: RwLock::new(None),
            thresholds: Thresholds {
                min_font_px: config
                    .min_font_px
                    .unwrap_or(Thresholds::default().min_font_px),
                min_contrast: config
                    .min_contrast
                    .unwrap_or(Thresholds::default().min_contrast),
            },
        };
        if let Some(insert) = &config.insert {
            let active: Vec<usize> = (0..checks.links.programs.len())
                .filter(|&i| checks.links.programs[i].is_active())
                .collect();
            check_insert(&checks.policy, &insert.value, &active).map_err(|message| {
                ConfigError {
                    spot: insert.spot.clone(),
                    message,
                }
            })?;
            checks.insert = Some(Insert {
                html: insert.value.clone(),
                before: config.insert_before.as_ref().map(|b| b.value.clone()),
            });
        }
        Ok(checks)
    }

    /// The severity of a finding id, or `None` when it is off.
    pub(crate) fn severity(&self, id: FindingId) -> Option<Severity> {
        // `FindingId::ALL` lists the ids in declaration order (a test holds it).
        self.levels.get(id as usize)?.severity()
    }

    /// Whether the page text must be read at all.
    pub(crate) fn checks_disclosure(&self) -> bool {
        FindingId::ALL
            .iter()
            .any(|&id| id.is_disclosure() && self.severity(id).is_some())
    }
}

fn config_error(spot: SourceSpot, message: String) -> Error {
    ConfigError { spot, message }.into()
}

/// Refuses a config program that no rule defines, or one that holds only statements.
fn known(rules: &RuleSet, id: &str, settings: &ProgramSettings) -> Result<(), Error> {
    let spot = || {
        settings
            .spot
            .clone()
            .unwrap_or_else(|| SourceSpot::whole("config"))
    };
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
    if program.tagging.is_none() {
        return Err(config_error(
            spot(),
            format!("`{id}` only holds disclosure statements; it takes no id"),
        ));
    }
    Ok(())
}

/// `program` with the publisher's settings, checked against its rule, and the merchants it
/// wraps.
fn link_program(
    program: &Program,
    tagging: &Tagging,
    settings: &ProgramSettings,
) -> Result<(LinkProgram, Vec<String>), Error> {
    let id = program.id();
    if let Some(tag) = &settings.tag {
        check_id(program, tag)?;
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
            ));
        }
        check_id(program, market_id)?;
        *marketplaces.entry(&host.value, String::new) = market_id.value.clone();
    }
    let mut merchants = program.merchants().to_vec();
    for merchant in &settings.merchants {
        let TaggingMethod::Wrap { template, .. } = &tagging.method else {
            return Err(config_error(
                merchant.spot.clone(),
                format!("`merchants` is for redirect networks; `{id}` tags its own links"),
            ));
        };
        if !is_valid_domain(&merchant.value) {
            return Err(config_error(
                merchant.spot.clone(),
                format!(
                    "`{}` is not a valid host: write a lowercase domain",
                    merchant.value
                ),
            ));
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
            ));
        }
        merchants.push(merchant.value.clone());
    }
    let linked = LinkProgram {
        program: program.clone(),
        tag: settings.tag.as_ref().map(|t| t.value.clone()),
        marketplaces,
        check_prices: program.forbids_static_prices() && !settings.prices_allowed,
    };
    Ok((linked, merchants))
}

/// An id the program's rule does not accept is refused where the config writes it.
fn check_id(program: &Program, setting: &Setting<String>) -> Result<(), Error> {
    if program.accepts_id(&setting.value) {
        return Ok(());
    }
    let pattern = program
        .id_pattern
        .as_ref()
        .map(|r| r.as_str().trim_start_matches("^(?:").trim_end_matches(")$"))
        .unwrap_or_default();
    Err(config_error(
        setting.spot.clone(),
        format!(
            "`{}` is not a valid {} id ({} expects ids matching `{pattern}`)",
            setting.value,
            program.name(),
            program.origin(),
        ),
    ))
}

/// Which statements satisfy what: each active program's own, the general (FTC) ones from
/// every rule that has them, and the publisher's.
fn policy_of(rules: &RuleSet, config: &Config, programs: &[LinkProgram]) -> Policy {
    let mut statements = StatementSet::default();
    let programs = programs
        .iter()
        .map(|active| ProgramStatements {
            id: active.program.id().to_owned(),
            name: active.program.name().to_owned(),
            statements: active
                .program
                .statements
                .iter()
                .map(|s| statements.add(s.clone()))
                .collect(),
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
    Policy {
        // Counting the words between statements and links means reading every word.
        finder: if config.max_distance_words.is_some() {
            Finder::whole_page()
        } else {
            Finder::new(&statements)
        },
        statements,
        programs,
        general,
        own,
        placement: config.placement(),
    }
}

/// The configured insert must satisfy every active program and the FTC, or fix would insert a
/// disclosure that `check` still rejects.
fn check_insert(policy: &Policy, html: &str, active: &[usize]) -> Result<(), String> {
    let found = visible_statements(&policy.finder, &policy.statements, html.as_bytes());
    let requirements = policy::requirements(policy, active);
    let unmet = policy::unmet(&requirements, &found);
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`insert` does not satisfy {}: its visible text must include a statement they \
             accept (see `[disclosure] statements` in their rule files)",
            policy::describe(&unmet)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(config: &str) -> Result<Checks, String> {
        let config = Config::parse("affilint.toml", config).map_err(|e| e.to_string())?;
        Checks::new(&RuleSet::shipped(), &config).map_err(|e| e.to_string())
    }

    #[test]
    fn config_is_checked_against_the_rules() {
        let unknown = checks("[programs.amazn]\ntag = \"x-20\"\n").err().unwrap();
        assert!(
            unknown.starts_with("affilint.toml:1:11: unknown program `amazn`"),
            "{unknown}"
        );
        assert!(unknown.contains("amazon"), "{unknown}");
        let market = checks("[programs.amazon.marketplaces]\n\"amazon.co\" = \"x-21\"\n")
            .err()
            .unwrap();
        assert!(
            market.starts_with("affilint.toml:2:1: `amazon.co` is not one of amazon's hosts"),
            "{market}"
        );
        let pattern = checks("[programs.ebay]\ntag = \"123\"\n").err().unwrap();
        assert!(
            pattern.starts_with("affilint.toml:2:7: `123` is not a valid eBay Partner Network id"),
            "{pattern}"
        );
        let merchant = checks("[programs.amazon]\ntag = \"x-20\"\nmerchants = [\"a.example\"]\n")
            .err()
            .unwrap();
        assert!(
            merchant.contains("`merchants` is for redirect networks"),
            "{merchant}"
        );
        let cj = checks("[programs.cj]\ntag = \"123\"\nmerchants = [\"shop.example\"]\n")
            .err()
            .unwrap();
        assert!(cj.contains("needs `ad` for shop.example"), "{cj}");
        let ftc = checks("[programs.ftc]\ntag = \"x\"\n").err().unwrap();
        assert!(ftc.contains("only holds disclosure statements"), "{ftc}");
    }

    #[test]
    fn a_program_is_active_when_it_has_an_id() {
        let c = checks("[programs.amazon]\ntag = \"x-20\"\n[programs.ebay]\n").unwrap();
        let ids: Vec<&str> = c.links.active().map(|p| p.program.id()).collect();
        assert_eq!(ids, ["amazon"]);
    }
}
