//! The page-level disclosure verdict: which statements the page needs, and whether a reader
//! sees them, in full, before the first affiliate link.
//!
//! A page with affiliate links needs, for each program it links to that names statements of
//! its own (Amazon), one of those; and, for every page, a general statement that tells readers
//! the site earns from the links (FTC). Amazon's statement is both. The publisher's own
//! statements from the config count for everything.

use serde::Deserialize;

use super::matcher::{Found, Partial, StatementSet};
use super::reader::Finder;
use crate::page::source::Ticket;
use crate::report::FindingId;

/// Where the disclosure must be on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Placement {
    /// Before the first affiliate link (the FTC's "before the link"): `late-disclosure` otherwise.
    #[default]
    BeforeFirstLink,
    /// Anywhere on the page.
    Anywhere,
}

/// Which statements satisfy what, compiled once from the rules and the config.
pub(crate) struct Policy {
    pub(crate) statements: StatementSet,
    /// Per active program, in the order of the link rules.
    pub(crate) programs: Vec<ProgramStatements>,
    /// Statements that tell readers the site earns from links (FTC).
    pub(crate) general: Vec<usize>,
    /// The publisher's own statements from the config: accepted for everything.
    pub(crate) own: Vec<usize>,
    pub(crate) placement: Placement,
    /// Finds where statements can be on a page.
    pub(crate) finder: Finder,
}

/// What one program asks of a page that links to it.
pub(crate) struct ProgramStatements {
    pub(crate) id: String,
    pub(crate) name: String,
    /// Its own statements (empty: the general statement is enough).
    pub(crate) statements: Vec<usize>,
}

/// A disclosure finding on the page, before its severity is applied.
pub(crate) struct Verdict {
    pub(crate) id: FindingId,
    pub(crate) offset: usize,
    pub(crate) ticket: Ticket,
    pub(crate) message: String,
}

impl Verdict {
    fn new(id: FindingId, offset: usize, ticket: Ticket) -> Verdict {
        Verdict {
            id,
            offset,
            ticket,
            message: String::new(),
        }
    }

    fn saying(self, message: String) -> Verdict {
        Verdict { message, ..self }
    }
}

/// What one pass learned about the page.
pub(crate) struct PageFacts<'a> {
    /// The active programs the page links to.
    pub(crate) programs: &'a [usize],
    pub(crate) first_link: Option<(usize, Ticket)>,
    pub(crate) found: &'a [Found],
    pub(crate) partials: &'a [Partial],
    /// Whether an affiliate link on the page carries an id (someone earns from it).
    pub(crate) carries_id: bool,
    /// Text that is rendered but hard to read, and why.
    pub(crate) faint: &'a [(usize, String)],
}

/// A disclosure the page needs.
pub(crate) struct Requirement {
    /// Who asks for it, for messages.
    who: String,
    /// Whether it is the general (FTC) requirement.
    general: bool,
    statements: Vec<usize>,
}

impl Requirement {
    fn satisfied_by(&self, statement: usize) -> bool {
        self.statements.contains(&statement)
    }

    /// The first statement found in view that satisfies this requirement.
    fn first_visible<'f>(&self, found: &'f [Found]) -> Option<&'f Found> {
        found
            .iter()
            .filter(|f| f.counts() && self.satisfied_by(f.statement))
            .min_by_key(|f| f.offset)
    }
}

/// An example statement for the general requirement in messages.
const GENERAL_EXAMPLE: &str =
    "This page contains affiliate links: I earn a commission when you buy through them.";

/// The requirements of a page that links to `programs` (indices of active programs).
pub(crate) fn requirements(policy: &Policy, programs: &[usize]) -> Vec<Requirement> {
    let mut out: Vec<Requirement> = programs
        .iter()
        .map(|&index| &policy.programs[index])
        .filter(|program| !program.statements.is_empty())
        .map(|program| Requirement {
            who: program.name.clone(),
            general: false,
            statements: [&program.statements[..], &policy.own[..]].concat(),
        })
        .collect();
    out.push(Requirement {
        who: "the FTC (a statement that you earn from the links)".to_owned(),
        general: true,
        statements: [&policy.general[..], &policy.own[..]].concat(),
    });
    out
}

/// The requirements `found` (visible statements) leaves unmet.
pub(crate) fn unmet<'r>(requirements: &'r [Requirement], found: &[Found]) -> Vec<&'r Requirement> {
    requirements
        .iter()
        .filter(|r| r.first_visible(found).is_none())
        .collect()
}

/// Describes requirements for a message: "Amazon Associates and the FTC (...)".
pub(crate) fn describe(requirements: &[&Requirement]) -> String {
    let who: Vec<&str> = requirements.iter().map(|r| r.who.as_str()).collect();
    who.join(" and ")
}

/// The disclosure findings for a page.
pub(crate) fn evaluate(policy: &Policy, facts: &PageFacts<'_>) -> Vec<Verdict> {
    let Some((first_offset, first_ticket)) = facts.first_link else {
        return Vec::new();
    };
    let requirements = requirements(policy, facts.programs);
    let mut out = Vec::new();
    if let Some(verdict) = negated(policy, facts, &requirements) {
        out.push(verdict);
    }
    // One statement may stand for several requirements: it is reported once.
    let mut reported: Vec<usize> = Vec::new();
    let mut report_once = |out: &mut Vec<Verdict>, verdict: Verdict| {
        if !reported.contains(&verdict.offset) {
            reported.push(verdict.offset);
            out.push(verdict);
        }
    };
    let mut missing: Vec<&Requirement> = Vec::new();
    let mut late: Option<&Found> = None;
    for requirement in &requirements {
        if let Some(found) = requirement.first_visible(facts.found) {
            if found.offset > first_offset && late.is_none_or(|l| found.offset > l.offset) {
                late = Some(found);
            }
            let faint = |f: &Found| facts.faint.iter().find(|(at, _)| *at == f.offset);
            // A readable copy of a statement that satisfies it is enough.
            let readable = facts
                .found
                .iter()
                .any(|f| f.counts() && requirement.satisfied_by(f.statement) && faint(f).is_none());
            if let Some((_, why)) = faint(found).filter(|_| !readable) {
                let message = format!(
                    "the disclosure for {} is hard to read: {why}: \"{}\"",
                    requirement.who, found.quote
                );
                let id = FindingId::InconspicuousDisclosure;
                report_once(
                    &mut out,
                    Verdict::new(id, found.offset, found.ticket).saying(message),
                );
            }
            continue;
        }
        let hidden = facts
            .found
            .iter()
            .filter(|f| f.hidden && requirement.satisfied_by(f.statement))
            .min_by_key(|f| f.offset);
        if let Some(found) = hidden {
            let message = format!(
                "the disclosure for {} is in hidden or non-rendered content, so readers do not \
                 see it: \"{}\"",
                requirement.who,
                policy.statements.statement(found.statement).example()
            );
            let verdict = Verdict::new(FindingId::HiddenDisclosure, found.offset, found.ticket);
            report_once(&mut out, verdict.saying(message));
            continue;
        }
        let partial = facts
            .partials
            .iter()
            .filter(|p| requirement.satisfied_by(p.statement))
            .max_by_key(|p| (p.matched_words, std::cmp::Reverse(p.offset)));
        if let Some(partial) = partial {
            let message = format!(
                "the disclosure for {} is incomplete ({} of {} words): missing \"{}\"",
                requirement.who, partial.matched_words, partial.total_words, partial.missing
            );
            let id = FindingId::IncompleteDisclosure;
            let verdict = Verdict::new(id, partial.offset, partial.ticket);
            report_once(&mut out, verdict.saying(message));
            continue;
        }
        missing.push(requirement);
    }
    let general = requirements
        .iter()
        .find(|r| r.general)
        .and_then(|r| r.first_visible(facts.found));
    match general {
        // A general disclosure is there: say which program statement is missing.
        Some(general) => {
            for requirement in &missing {
                let example = requirement
                    .statements
                    .first()
                    .map(|&s| policy.statements.statement(s).example())
                    .unwrap_or_default();
                let verdict = Verdict::new(
                    FindingId::MissingProgramStatement,
                    first_offset,
                    first_ticket,
                );
                out.push(verdict.saying(format!(
                    "{} asks for its own statement, e.g. \"{example}\", before the first link; \
                     the page has only a general disclosure (\"{}\")",
                    requirement.who, general.quote
                )));
            }
        }
        None if !missing.is_empty() => {
            let example = missing
                .iter()
                .find(|r| !r.general)
                .and_then(|r| r.statements.first())
                .map(|&s| policy.statements.statement(s).example())
                .unwrap_or_else(|| GENERAL_EXAMPLE.to_owned());
            let programs: Vec<&str> = facts
                .programs
                .iter()
                .map(|&p| policy.programs[p].id.as_str())
                .collect();
            let verdict = Verdict::new(FindingId::MissingDisclosure, first_offset, first_ticket);
            out.push(verdict.saying(format!(
                "affiliate links ({}) and no disclosure for {}; add one before the first link, \
                 e.g. \"{example}\"",
                programs.join(", "),
                describe(&missing)
            )));
        }
        None => {}
    }
    // A statement named in a missing-* finding is not also reported late: the fix for both
    // is the missing statement, before the first link.
    if let Some(found) = late
        && missing.is_empty()
        && policy.placement == Placement::BeforeFirstLink
    {
        let verdict = Verdict::new(FindingId::LateDisclosure, found.offset, found.ticket);
        out.push(
            verdict.saying(
                "the disclosure comes after the first affiliate link; the FTC asks for it before \
             the links (or set placement = \"anywhere\")"
                    .to_owned(),
            ),
        );
    }
    out
}

/// A page that says it earns nothing from its links while they carry an id.
fn negated(
    policy: &Policy,
    facts: &PageFacts<'_>,
    requirements: &[Requirement],
) -> Option<Verdict> {
    if !facts.carries_id {
        return None;
    }
    let found = facts
        .found
        .iter()
        .filter(|f| f.negated && !f.hidden)
        .filter(|f| requirements.iter().any(|r| r.satisfied_by(f.statement)))
        .min_by_key(|f| f.offset)?;
    let example = requirements
        .iter()
        .find(|r| !r.general)
        .and_then(|r| r.statements.first())
        .map(|&s| policy.statements.statement(s).example())
        .unwrap_or_else(|| GENERAL_EXAMPLE.to_owned());
    let verdict = Verdict::new(FindingId::NegatedDisclosure, found.offset, found.ticket);
    Some(verdict.saying(format!(
        "the page says it earns nothing from its links (\"{}\"), but its affiliate links carry \
         an id: readers are misled; say that you earn from them, e.g. \"{example}\"",
        found.quote
    )))
}
