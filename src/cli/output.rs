//! Printing results: `human` and `json`.

use std::io::{self, Write};

use affilint::{Finding, Report, Severity};
use serde::Serialize;

use super::args::Format;

/// The outcome for one input, in walk order.
pub(crate) struct FileResult {
    pub(crate) name: String,
    pub(crate) outcome: Result<Report, String>,
}

/// Totals over every document read.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) files: usize,
    pub(crate) links: usize,
    pub(crate) affiliate_links: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    /// Files `fix` changed (fix only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fixed: Option<usize>,
}

impl Summary {
    pub(crate) fn new(results: &[FileResult], fixing: bool) -> Summary {
        let mut summary = Summary {
            fixed: fixing.then_some(0),
            ..Summary::default()
        };
        for report in results.iter().filter_map(|r| r.outcome.as_ref().ok()) {
            summary.files += 1;
            summary.links += report.links;
            summary.affiliate_links += report.affiliate_links;
            summary.errors += report.count(Severity::Error);
            summary.warnings += report.count(Severity::Warning);
            if report.changed {
                summary.fixed = summary.fixed.map(|n| n + 1);
            }
        }
        summary
    }
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    program: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFileError<'a> {
    file: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
    /// Inputs that could not be read or parsed (they have no findings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    file_errors: Vec<JsonFileError<'a>>,
}

fn findings(results: &[FileResult]) -> impl Iterator<Item = (&str, &Finding)> {
    results.iter().flat_map(|r| {
        r.outcome
            .iter()
            .flat_map(move |report| report.findings.iter().map(move |f| (r.name.as_str(), f)))
    })
}

/// Writes the report in `format` to `out`.
pub(crate) fn print(
    format: Format,
    results: &[FileResult],
    summary: &Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human(results, summary, out),
        Format::Json => {
            let report = JsonReport {
                findings: findings(results)
                    .map(|(file, f)| JsonFinding {
                        rule: f.rule.as_str(),
                        severity: f.severity.as_str(),
                        file,
                        line: f.line,
                        column: f.column,
                        message: &f.message,
                        url: f.url.as_deref(),
                        program: f.program.as_deref(),
                    })
                    .collect(),
                summary,
                file_errors: results
                    .iter()
                    .filter_map(|r| {
                        r.outcome.as_ref().err().map(|message| JsonFileError {
                            file: &r.name,
                            message,
                        })
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)
        }
    }
}

fn human(results: &[FileResult], summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    for (file, f) in findings(results) {
        writeln!(
            out,
            "{file}:{}:{}: {}[{}]: {}",
            f.line, f.column, f.severity, f.rule, f.message
        )?;
    }
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    write!(
        out,
        "{} checked, {} ({} affiliate): {}, {}",
        plural(summary.files, "file"),
        plural(summary.links, "link"),
        summary.affiliate_links,
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning"),
    )?;
    if let Some(fixed) = summary.fixed {
        write!(out, "; {} fixed", plural(fixed, "file"))?;
    }
    let unreadable = results.iter().filter(|r| r.outcome.is_err()).count();
    if unreadable > 0 {
        write!(out, "; {} could not be read", plural(unreadable, "file"))?;
    }
    writeln!(out)
}
