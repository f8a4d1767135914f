//! The page-level disclosure verdict: which statements the page needs, and whether a reader
//! sees them, in full, before the first affiliate link.
//!
//! A page with affiliate links needs, for each program it links to that names statements of
//! its own (Amazon), one of those; and, for every page, a general statement that tells readers
//! the site earns from the links (FTC). Amazon's statement is both. The publisher's own
//! statements from the config count for everything.

use crate::config::Placement;
use crate::disclosure::{Found, Partial};
use crate::document::Pending;
use crate::engine::Compiled;
use crate::report::FindingId;
use crate::source::Ticket;

/// What one pass learned about the page.
pub(crate) struct PageFacts<'a> {
    pub(crate) on_page: &'a [bool],
    pub(crate) first_link: Option<(usize, Ticket)>,
    pub(crate) found: &'a [Found],
    pub(crate) partials: &'a [Partial],
}

/// A disclosure the page needs.
struct Requirement {
    /// Who asks for it, for messages.
    who: String,
    statements: Vec<usize>,
}

/// An example statement for the general requirement in messages.
const GENERAL_EXAMPLE: &str =
    "This page contains affiliate links: I earn a commission when you buy through them.";

/// The disclosure findings for a page.
pub(crate) fn evaluate(compiled: &Compiled, facts: &PageFacts<'_>) -> Vec<Pending> {
    let Some((first_offset, first_ticket)) = facts.first_link else {
        return Vec::new();
    };
    let disclosure = &compiled.disclosure;
    let mut requirements = Vec::new();
    let mut programs = Vec::new();
    for (index, &linked) in facts.on_page.iter().enumerate() {
        if !linked {
            continue;
        }
        let program = &compiled.links.programs[index].program;
        programs.push(program.id().to_owned());
        if !disclosure.program[index].is_empty() {
            requirements.push(Requirement {
                who: program.name().to_owned(),
                statements: [&disclosure.program[index][..], &disclosure.own[..]].concat(),
            });
        }
    }
    requirements.push(Requirement {
        who: "the FTC (a statement that you earn from the links)".to_owned(),
        statements: [&disclosure.general[..], &disclosure.own[..]].concat(),
    });

    let mut out = Vec::new();
    let mut push = |rule: FindingId, offset: usize, ticket: Ticket, message: String| {
        if let Some(severity) = compiled.severity(rule) {
            out.push(Pending {
                rule,
                severity,
                offset,
                ticket,
                message,
                url: None,
                program: None,
            });
        }
    };
    let mut reported: Vec<usize> = Vec::new();
    let mut missing: Vec<&Requirement> = Vec::new();
    let mut late: Option<&Found> = None;
    for requirement in &requirements {
        let satisfies = |statement: &usize| requirement.statements.contains(statement);
        let visible = facts
            .found
            .iter()
            .filter(|f| !f.hidden && satisfies(&f.statement))
            .min_by_key(|f| f.offset);
        if let Some(found) = visible {
            if found.offset > first_offset && late.is_none_or(|l| found.offset > l.offset) {
                late = Some(found);
            }
            continue;
        }
        let hidden = facts
            .found
            .iter()
            .filter(|f| f.hidden && satisfies(&f.statement))
            .min_by_key(|f| f.offset);
        if let Some(found) = hidden {
            if !reported.contains(&found.statement) {
                reported.push(found.statement);
                push(
                    FindingId::HiddenDisclosure,
                    found.offset,
                    found.ticket,
                    format!(
                        "the disclosure for {} is in hidden or non-rendered content, so readers \
                         do not see it: \"{}\"",
                        requirement.who,
                        disclosure.statements.statement(found.statement).text()
                    ),
                );
            }
            continue;
        }
        let partial = facts
            .partials
            .iter()
            .filter(|p| satisfies(&p.statement))
            .max_by_key(|p| (p.matched_words, std::cmp::Reverse(p.offset)));
        if let Some(partial) = partial {
            if !reported.contains(&partial.statement) {
                reported.push(partial.statement);
                push(
                    FindingId::IncompleteDisclosure,
                    partial.offset,
                    partial.ticket,
                    format!(
                        "the disclosure for {} is incomplete ({} of {} words): missing \"{}\"",
                        requirement.who,
                        partial.matched_words,
                        partial.total_words,
                        partial.missing
                    ),
                );
            }
            continue;
        }
        missing.push(requirement);
    }
    if !missing.is_empty() {
        let example = missing
            .iter()
            .find_map(|r| {
                r.statements
                    .first()
                    .filter(|_| !r.who.starts_with("the FTC"))
                    .map(|&s| disclosure.statements.statement(s).text().to_owned())
            })
            .unwrap_or_else(|| GENERAL_EXAMPLE.to_owned());
        let who: Vec<&str> = missing.iter().map(|r| r.who.as_str()).collect();
        push(
            FindingId::MissingDisclosure,
            first_offset,
            first_ticket,
            format!(
                "affiliate links ({}) and no disclosure for {}; add one before the first link, \
                 e.g. \"{example}\"",
                programs.join(", "),
                who.join(" and ")
            ),
        );
    }
    if let Some(found) = late {
        if disclosure.placement == Placement::BeforeFirstLink {
            push(
                FindingId::LateDisclosure,
                found.offset,
                found.ticket,
                "the disclosure comes after the first affiliate link; the FTC asks for it \
                 before the links (or set placement = \"anywhere\")"
                    .to_owned(),
            );
        }
    }
    out
}
