//! Baselines: `--write-baseline FILE` records the findings of a run, `--baseline FILE` leaves
//! out the findings it holds, so a site adopting affilint fails only on new problems.
//!
//! A finding is keyed by file (as reported), finding id and URL, never by line or column:
//! edits elsewhere in a page do not turn recorded findings into new ones. A key that occurs
//! several times in a file is recorded with its count; a run reports the occurrences beyond it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;

use affilint::{Finding, FindingId, Location};
use serde::{Deserialize, Serialize};

use super::write;

/// The format version written in baseline files.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    affilint_baseline: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// A finding's key within its file: id and URL.
pub(crate) type Key = (FindingId, Option<String>);

/// The key of a finding within its file.
pub(crate) fn key(finding: &Finding) -> Key {
    (finding.id, finding.url.clone())
}

/// A stable fingerprint of a finding (file, id and URL), as hex.
pub(crate) fn fingerprint(location: &Location, finding: &Finding) -> String {
    let url = finding.url.as_deref().unwrap_or("");
    let hash = super::stable_hash(&[
        location.to_string().as_bytes(),
        finding.id.as_str().as_bytes(),
        url.as_bytes(),
    ]);
    format!("{hash:016x}")
}

/// A loaded baseline, handed out file by file.
pub(crate) struct Baseline {
    files: Mutex<HashMap<String, HashMap<Key, usize>>>,
}

/// The recorded findings of one file, used up as they are met.
#[derive(Default)]
pub(crate) struct FileBaseline {
    left: HashMap<Key, usize>,
}

impl FileBaseline {
    /// Whether the baseline holds this finding (each recorded occurrence absorbs one).
    pub(crate) fn absorbs(&mut self, finding: &Finding) -> bool {
        match self.left.get_mut(&key(finding)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

impl Baseline {
    /// Reads a baseline file; errors name the file, line and column.
    pub(crate) fn load(path: &Path) -> Result<Baseline, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {shown}: {e}"))?;
        let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{shown}:{}:{}: not a baseline: {e} (write one with --write-baseline)",
                e.line(),
                e.column()
            )
        })?;
        if file.affilint_baseline != VERSION {
            return Err(format!(
                "{shown}: baseline format {} is not supported (this affilint writes {VERSION})",
                file.affilint_baseline
            ));
        }
        let mut files: HashMap<String, HashMap<Key, usize>> = HashMap::new();
        for entry in file.findings {
            let rule: FindingId = entry.rule.parse().map_err(|e| format!("{shown}: {e}"))?;
            *files
                .entry(entry.file)
                .or_default()
                .entry((rule, entry.url))
                .or_default() += entry.count;
        }
        Ok(Baseline {
            files: Mutex::new(files),
        })
    }

    /// The recorded findings of the document at `location` (taken once per document).
    pub(crate) fn take(&self, location: &Location) -> FileBaseline {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        FileBaseline {
            left: files.remove(&location.to_string()).unwrap_or_default(),
        }
    }
}

/// A finding's key across the site: file, id and URL.
type SiteKey = (String, FindingId, Option<String>);

/// Collects the findings of a run for `--write-baseline`.
#[derive(Default)]
pub(crate) struct Recorder {
    counts: Mutex<BTreeMap<SiteKey, usize>>,
}

impl Recorder {
    /// Records the findings of one document: how often each key occurs.
    pub(crate) fn record(&self, location: &Location, findings: HashMap<Key, usize>) {
        if findings.is_empty() {
            return;
        }
        let file = location.to_string();
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        for ((rule, url), n) in findings {
            *counts.entry((file.clone(), rule, url)).or_default() += n;
        }
    }

    /// Writes the baseline atomically, sorted by file, id and URL.
    pub(crate) fn write(self, path: &Path) -> Result<usize, String> {
        let counts = self.counts.into_inner().unwrap_or_else(|p| p.into_inner());
        let total = counts.values().sum();
        let findings = counts
            .into_iter()
            .map(|((file, rule, url), count)| Entry {
                file,
                rule: rule.as_str().to_owned(),
                url,
                count,
            })
            .collect();
        let file = BaselineFile {
            affilint_baseline: VERSION,
            findings,
        };
        write::json_file(path, &file).map_err(|e| format!("cannot write the baseline {e}"))?;
        Ok(total)
    }
}
