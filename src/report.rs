//! Findings and per-document reports: the typed results of checking a page.

use std::fmt;
use std::str::FromStr;

/// What kind of problem a finding is. The ids (`untagged-link`, ...) are a stable contract:
/// config files, baselines and CI scripts refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingId {
    /// A link to an active program's host without the publisher's id.
    UntaggedLink,
    /// A link that carries someone else's id.
    ForeignTag,
    /// A short link (amzn.to and the like) that cannot be tagged offline.
    ShortLink,
    /// An affiliate link without `rel="sponsored"` or `rel="nofollow"`.
    MissingRel,
    /// Affiliate links and no disclosure statement at all.
    MissingDisclosure,
    /// A disclosure statement that is cut off or otherwise matches only in part.
    IncompleteDisclosure,
    /// The only disclosure statement is in hidden or non-rendered content.
    HiddenDisclosure,
    /// The disclosure comes only after the first affiliate link.
    LateDisclosure,
}

impl FindingId {
    /// Every finding id, in the order they are documented.
    pub const ALL: [FindingId; 8] = [
        FindingId::UntaggedLink,
        FindingId::ForeignTag,
        FindingId::ShortLink,
        FindingId::MissingRel,
        FindingId::MissingDisclosure,
        FindingId::IncompleteDisclosure,
        FindingId::HiddenDisclosure,
        FindingId::LateDisclosure,
    ];

    /// The id as written in output and config.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::UntaggedLink => "untagged-link",
            FindingId::ForeignTag => "foreign-tag",
            FindingId::ShortLink => "short-link",
            FindingId::MissingRel => "missing-rel",
            FindingId::MissingDisclosure => "missing-disclosure",
            FindingId::IncompleteDisclosure => "incomplete-disclosure",
            FindingId::HiddenDisclosure => "hidden-disclosure",
            FindingId::LateDisclosure => "late-disclosure",
        }
    }

    /// The severity a finding has unless the config says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            FindingId::ShortLink | FindingId::MissingRel | FindingId::LateDisclosure => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }

    /// One line on how to fix the finding.
    ///
    /// ```
    /// assert!(affilint::FindingId::UntaggedLink.help().contains("affilint fix"));
    /// ```
    pub fn help(self) -> &'static str {
        crate::explain::help(self)
    }

    /// What the finding means, why it matters (naming the Amazon, FTC or Google source) and
    /// how to fix it, in a few plain-text paragraphs: what `affilint explain` prints.
    pub fn explanation(self) -> &'static str {
        crate::explain::explanation(self)
    }

    /// One line saying what the finding means.
    pub fn summary(self) -> &'static str {
        match self {
            FindingId::UntaggedLink => "affiliate link without the publisher's id",
            FindingId::ForeignTag => "affiliate link with someone else's id",
            FindingId::ShortLink => "short link that cannot be tagged offline",
            FindingId::MissingRel => "affiliate link without rel=\"sponsored\" or \"nofollow\"",
            FindingId::MissingDisclosure => "affiliate links and no disclosure statement",
            FindingId::IncompleteDisclosure => "disclosure statement cut off or incomplete",
            FindingId::HiddenDisclosure => "disclosure only in hidden or non-rendered content",
            FindingId::LateDisclosure => "disclosure only after the first affiliate link",
        }
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingId::ALL
            .into_iter()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = FindingId::ALL.iter().map(|id| id.as_str()).collect();
                format!("unknown finding id `{s}`; known ids: {}", known.join(", "))
            })
    }
}

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
    pub rule: FindingId,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_list_the_known_ones() {
        for id in FindingId::ALL {
            assert_eq!(id.as_str().parse::<FindingId>(), Ok(id));
        }
        let err = "missing_rel".parse::<FindingId>().unwrap_err();
        assert!(err.contains("missing-rel"), "{err}");
    }
}
