//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. One run; the tool's rules
//! are every finding id with its description and help; each result points at the file
//! (relative to the working directory, under `%SRCROOT%`), line and column. Inputs that could
//! not be read are tool execution notifications.

use std::path::{Component, PathBuf};

use affilint::{Finding, FindingId, Location, Severity};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Built, Style, Summary};
use crate::cli::baseline;
use crate::cli::files::FileError;
use crate::cli::snippet::Snippet;

/// Characters escaped in a path segment of a URI reference.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

const BASE: &str = "%SRCROOT%";

/// The SARIF log.
pub(crate) struct Sarif {
    cwd: PathBuf,
}

impl Sarif {
    /// A log whose artifact URIs are relative to `cwd`.
    pub(crate) fn new(cwd: PathBuf) -> Sarif {
        Sarif { cwd }
    }

    /// The artifact location of a document.
    fn location(&self, location: &Location) -> Value {
        let Some(path) = location.path() else {
            return match location {
                // A live page: its URL.
                Location::Url(url) => json!({ "uri": url }),
                _ => json!({ "uri": "stdin" }),
            };
        };
        let file = path.to_string_lossy();
        let relative = if path.is_absolute() {
            path.strip_prefix(&self.cwd).ok()
        } else {
            Some(path)
        };
        match relative {
            Some(relative) => {
                let segments: Vec<String> = relative
                    .components()
                    .filter_map(|c| match c {
                        Component::Normal(s) => {
                            Some(utf8_percent_encode(&s.to_string_lossy(), SEGMENT).to_string())
                        }
                        Component::ParentDir => Some("..".to_owned()),
                        _ => None,
                    })
                    .collect();
                json!({ "uri": segments.join("/"), "uriBaseId": BASE })
            }
            None => match url::Url::from_file_path(path) {
                Ok(url) => json!({ "uri": url.as_str() }),
                Err(()) => json!({ "uri": utf8_percent_encode(&file, SEGMENT).to_string() }),
            },
        }
    }
}

fn level(severity: Severity) -> &'static str {
    // SARIF's levels are named as severities are.
    severity.as_str()
}

fn rules() -> Vec<Value> {
    FindingId::ALL
        .iter()
        .map(|id| {
            let summary = id.summary();
            let mut short = summary[..1].to_uppercase();
            short.push_str(&summary[1..]);
            json!({
                "id": id.as_str(),
                "name": id.as_str(),
                "shortDescription": { "text": short },
                "fullDescription": { "text": id.explanation().split("\n\n").next().unwrap_or(summary) },
                "help": { "text": id.explanation() },
                "defaultConfiguration": { "level": level(id.default_severity()) },
                "properties": { "tags": ["affiliate", "compliance"] },
            })
        })
        .collect()
}

impl Style for Sarif {
    fn open(&self) -> String {
        let tool = json!({
            "driver": {
                "name": "affilint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules(),
            }
        });
        let mut root = url::Url::from_directory_path(&self.cwd)
            .map(String::from)
            .unwrap_or_else(|()| "file:///".to_owned());
        if !root.ends_with('/') {
            root.push('/');
        }
        let bases = json!({ BASE: { "uri": root } });
        let pretty = |v: &Value| serde_json::to_string(v).unwrap_or_default();
        format!(
            "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \
             \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": {},\n      \
             \"columnKind\": \"unicodeCodePoints\",\n      \"originalUriBaseIds\": {},\n      \
             \"results\": [",
            pretty(&tool),
            pretty(&bases)
        )
    }

    fn separator(&self, first: bool) -> &'static str {
        if first { "\n        " } else { ",\n        " }
    }

    fn finding(&self, location: &Location, f: &Finding, _: Option<&Snippet>) -> String {
        let index = FindingId::ALL.iter().position(|id| *id == f.id);
        let mut result = json!({
            "ruleId": f.id.as_str(),
            "level": level(f.severity),
            "message": { "text": f.message },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": self.location(location),
                    "region": { "startLine": f.line, "startColumn": f.column },
                }
            }],
            // Stable across unrelated edits (no line): what the baseline keys on.
            "partialFingerprints": { "affilint/v1": baseline::fingerprint(location, f) },
        });
        if let Some(index) = index {
            result["ruleIndex"] = json!(index);
        }
        if let (Some(url), Some(program)) = (&f.url, &f.program) {
            result["properties"] = json!({ "url": url, "program": program });
            if let Some(id) = &f.affiliate_id {
                result["properties"]["id"] = json!(id);
            }
        }
        serde_json::to_string(&result).unwrap_or_default()
    }

    fn mapped_finding(&self, location: &Location, f: &Finding, built: &Built) -> String {
        let mut result: Value =
            serde_json::from_str(&self.finding(location, f, None)).unwrap_or_default();
        let built_at = Location::File(built.file.clone().into());
        result["relatedLocations"] = json!([{
            "id": 0,
            "message": { "text": "where the built page has it" },
            "physicalLocation": {
                "artifactLocation": self.location(&built_at),
                "region": { "startLine": built.line, "startColumn": built.column },
            }
        }]);
        serde_json::to_string(&result).unwrap_or_default()
    }

    fn close(&self, summary: &Summary, file_errors: &[FileError]) -> String {
        let mut notifications: Vec<Value> = file_errors
            .iter()
            .map(|e| {
                json!({
                    "level": "error",
                    "message": { "text": format!("{}: {}", e.location, e.message) },
                    "locations": [{ "physicalLocation": { "artifactLocation": self.location(&e.location) } }],
                    "properties": { "kind": e.side.as_str() },
                })
            })
            .collect();
        if let Some(signal) = summary.interrupted {
            notifications.push(json!({
                "level": "error",
                "message": { "text": format!("the run was interrupted by {signal}: files not reached were not checked") },
            }));
        }
        notifications.extend(summary.notes.iter().map(|note| {
            json!({
                "level": "note",
                "message": { "text": note },
            })
        }));
        let invocation = json!({
            "executionSuccessful": file_errors.is_empty() && summary.interrupted.is_none(),
            "toolExecutionNotifications": notifications,
        });
        format!(
            "\n      ],\n      \"invocations\": [{}]\n    }}\n  ]\n}}\n",
            serde_json::to_string(&invocation).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Location {
        Location::File(path.into())
    }

    #[test]
    fn locations_are_relative_uri_references_under_the_source_root() {
        let sarif = Sarif::new(PathBuf::from("/work/site"));
        assert_eq!(
            sarif.location(&file("posts/a b#1.html")),
            json!({ "uri": "posts/a%20b%231.html", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            sarif.location(&file("./posts/é.html")),
            json!({ "uri": "posts/%C3%A9.html", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            sarif.location(&file("/work/site/x.html")),
            json!({ "uri": "x.html", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            sarif.location(&file("/elsewhere/x.html")),
            json!({ "uri": "file:///elsewhere/x.html" })
        );
    }
}
