//! `--format json`: one object, `{"findings": [...], "summary": {...}}`.

use affilint::{Finding, Location};
use serde::Serialize;

use super::{Built, Style, Summary};
use crate::cli::files::FileError;
use crate::cli::snippet::Snippet;

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
    /// The affiliate id the link carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    /// With `--sources`, for a finding placed in its source: where the built page has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    built: Option<&'a Built>,
}

#[derive(Serialize)]
struct JsonFileError<'a> {
    file: String,
    /// `"read"`: the document was not checked; `"write"`: it was, but its fix was not written.
    kind: &'a str,
    message: &'a str,
}

/// The JSON report.
pub(crate) struct Json;

impl Style for Json {
    fn open(&self) -> String {
        "{\n  \"findings\": [".to_owned()
    }

    fn separator(&self, first: bool) -> &'static str {
        if first { "\n    " } else { ",\n    " }
    }

    fn finding(&self, location: &Location, f: &Finding, _: Option<&Snippet>) -> String {
        json_finding(location, f, None)
    }

    fn mapped_finding(&self, location: &Location, f: &Finding, built: &Built) -> String {
        json_finding(location, f, Some(built))
    }

    fn close(&self, summary: &Summary, file_errors: &[FileError]) -> String {
        let mut out = String::from("\n  ],\n  \"summary\": ");
        out.push_str(&serde_json::to_string(summary).unwrap_or_default());
        if !file_errors.is_empty() {
            let errors: Vec<JsonFileError<'_>> = file_errors
                .iter()
                .map(|e| JsonFileError {
                    file: e.location.to_string(),
                    kind: e.side.as_str(),
                    message: &e.message,
                })
                .collect();
            out.push_str(",\n  \"file_errors\": ");
            out.push_str(&serde_json::to_string(&errors).unwrap_or_default());
        }
        if !summary.notes.is_empty() {
            out.push_str(",\n  \"notes\": ");
            out.push_str(&serde_json::to_string(&summary.notes).unwrap_or_default());
        }
        out.push_str("\n}\n");
        out
    }
}

fn json_finding(location: &Location, f: &Finding, built: Option<&Built>) -> String {
    serde_json::to_string(&JsonFinding {
        rule: f.id.as_str(),
        severity: f.severity.as_str(),
        file: &location.to_string(),
        line: f.line,
        column: f.column,
        message: &f.message,
        url: f.url.as_deref(),
        program: f.program.as_deref(),
        id: f.affiliate_id.as_deref(),
        built,
    })
    .unwrap_or_default()
}
