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
