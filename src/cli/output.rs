//! Printing results as they come: `human` and `json`.
//!
//! Files are checked in parallel but reported in walk order. The file at the head of that
//! order prints its findings as soon as they are known; files further on keep theirs until
//! their turn. Memory stays flat however many findings a large page has.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Mutex;

use affilint::{Finding, Severity};
use serde::Serialize;

use super::args::Format;

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
    /// Counts one finding.
    pub(crate) fn count(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
    }

    /// Adds another summary's counts.
    pub(crate) fn add(&mut self, other: &Summary) {
        self.files += other.files;
        self.links += other.links;
        self.affiliate_links += other.affiliate_links;
        self.errors += other.errors;
        self.warnings += other.warnings;
        if let Some(fixed) = other.fixed {
            self.fixed = Some(self.fixed.unwrap_or(0) + fixed);
        }
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

/// A file's output, kept until it is that file's turn.
#[derive(Default)]
struct Waiting {
    items: Vec<String>,
    done: bool,
}

struct Inner {
    out: Box<dyn Write + Send>,
    /// The index of the file whose output goes out now.
    next: usize,
    waiting: BTreeMap<usize, Waiting>,
    written: usize,
    /// The first write error; nothing more is written after it.
    failed: Option<io::Error>,
}

impl Inner {
    fn write_item(&mut self, format: Format, item: &str) {
        if self.failed.is_some() {
            return;
        }
        let separator = match format {
            Format::Json if self.written > 0 => ",\n    ",
            Format::Json => "\n    ",
            Format::Human => "",
        };
        if let Err(e) = write!(self.out, "{separator}{item}") {
            self.failed = Some(e);
        }
        self.written += 1;
    }
}

/// Writes findings in file order as files finish, then the summary.
pub(crate) struct Printer {
    format: Format,
    inner: Mutex<Inner>,
}

impl Printer {
    /// A printer writing to `out`.
    pub(crate) fn new(format: Format, mut out: Box<dyn Write + Send>) -> Printer {
        let failed = match format {
            Format::Json => write!(out, "{{\n  \"findings\": [").err(),
            Format::Human => None,
        };
        Printer {
            format,
            inner: Mutex::new(Inner {
                out,
                next: 0,
                waiting: BTreeMap::new(),
                written: 0,
                failed,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reports a finding of the file at `index` (in walk order).
    pub(crate) fn finding(&self, index: usize, file: &str, finding: &Finding) {
        let item = self.render(file, finding);
        let mut inner = self.lock();
        if index == inner.next {
            inner.write_item(self.format, &item);
        } else {
            inner.waiting.entry(index).or_default().items.push(item);
        }
    }

    /// The file at `index` is done: it and the finished files after it print.
    pub(crate) fn file_done(&self, index: usize) {
        let mut inner = self.lock();
        inner.waiting.entry(index).or_default().done = true;
        loop {
            let next = inner.next;
            let Some(waiting) = inner.waiting.get_mut(&next) else {
                return;
            };
            let items = std::mem::take(&mut waiting.items);
            let done = waiting.done;
            for item in &items {
                inner.write_item(self.format, item);
            }
            if !done {
                return;
            }
            inner.waiting.remove(&next);
            inner.next += 1;
        }
    }

    fn render(&self, file: &str, f: &Finding) -> String {
        match self.format {
            Format::Human => format!(
                "{file}:{}:{}: {}[{}]: {}\n",
                f.line, f.column, f.severity, f.rule, f.message
            ),
            Format::Json => serde_json::to_string(&JsonFinding {
                rule: f.rule.as_str(),
                severity: f.severity.as_str(),
                file,
                line: f.line,
                column: f.column,
                message: &f.message,
                url: f.url.as_deref(),
                program: f.program.as_deref(),
            })
            .unwrap_or_default(),
        }
    }

    /// Writes the summary (and, in JSON, the inputs that could not be read); returns the
    /// first write error.
    pub(crate) fn finish(
        self,
        summary: &Summary,
        file_errors: &[(String, String)],
    ) -> io::Result<()> {
        let format = self.format;
        let mut inner = self.inner.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = inner.failed.take() {
            return Err(e);
        }
        let out = &mut inner.out;
        match format {
            Format::Json => {
                let summary = serde_json::to_string(summary).map_err(io::Error::other)?;
                write!(out, "\n  ],\n  \"summary\": {summary}")?;
                if !file_errors.is_empty() {
                    let errors: Vec<JsonFileError<'_>> = file_errors
                        .iter()
                        .map(|(file, message)| JsonFileError { file, message })
                        .collect();
                    let errors = serde_json::to_string(&errors).map_err(io::Error::other)?;
                    write!(out, ",\n  \"file_errors\": {errors}")?;
                }
                writeln!(out, "\n}}")?;
            }
            Format::Human => human_summary(summary, file_errors.len(), out)?,
        }
        out.flush()
    }
}

fn human_summary(summary: &Summary, unreadable: usize, out: &mut dyn Write) -> io::Result<()> {
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
    if unreadable > 0 {
        write!(out, "; {} could not be read", plural(unreadable, "file"))?;
    }
    writeln!(out)
}
