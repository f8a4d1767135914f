//! Printing results as they come, in every output format.
//!
//! Files are checked in parallel but reported in walk order. The file at the head of that
//! order prints its findings as soon as they are known; files further on keep theirs until
//! their turn. Memory stays flat however many findings a large page has. Each format is a
//! [`Style`]: how a report opens, one rendered item per finding, what goes between two
//! items, how it closes.

mod github;
mod html;
mod human;
mod json;
mod sarif;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Mutex;

use affilint::{Finding, Location, Severity};
use indicatif::ProgressBar;
use serde::Serialize;

pub(crate) use github::Github;
pub(crate) use html::{Html, Meta, date};
pub(crate) use human::Human;
pub(crate) use json::Json;
pub(crate) use sarif::Sarif;

use super::files::FileError;
use super::inventory::Counts;
use super::snippet::Snippet;

/// Where on the built page a finding placed in its source was met (`--sources`).
#[derive(Debug, Serialize)]
pub(crate) struct Built {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// Totals over every document read.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) files: usize,
    pub(crate) links: usize,
    pub(crate) affiliate_links: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    /// Files `fix` changed (with `--diff`: would change). Fix only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fixed: Option<usize>,
    /// Documents whose fix could not be written (listed in `file_errors` with kind `write`;
    /// counted in `files` when they were checked to their end). Fix only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) not_written: Option<usize>,
    /// Documents that could not be read (not counted in `files`).
    pub(crate) not_read: usize,
    /// Findings placed in their Markdown source. With `--sources` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mapped: Option<usize>,
    /// Findings left out because the baseline holds them. With `--baseline` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) baselined: Option<usize>,
    /// The signal that stopped the run, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) interrupted: Option<&'static str>,
    /// What the run had to say besides findings (a crawl's links that led to no page, the
    /// ids found, ...): on stderr, and in the reports that have a place for them (JSON's
    /// `notes`, SARIF's notifications, GitHub notices, the HTML report's notes).
    #[serde(skip)]
    pub(crate) notes: Vec<String>,
}

impl Summary {
    /// Counts one finding.
    pub(crate) fn count(&mut self, severity: Severity) {
        if severity == Severity::Error {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
    }

    /// Adds another summary's counts.
    pub(crate) fn add(&mut self, other: &Summary) {
        self.files += other.files;
        self.links += other.links;
        self.affiliate_links += other.affiliate_links;
        self.errors += other.errors;
        self.warnings += other.warnings;
        let add = |mine: &mut Option<usize>, theirs: Option<usize>| {
            if let Some(n) = theirs {
                *mine = Some(mine.unwrap_or(0) + n);
            }
        };
        add(&mut self.fixed, other.fixed);
        add(&mut self.mapped, other.mapped);
        add(&mut self.baselined, other.baselined);
    }
}

/// One output format.
pub(crate) trait Style: Send + Sync {
    /// Written before the first item.
    fn open(&self) -> String {
        String::new()
    }

    /// Written before an item (`first`: before the first one).
    fn separator(&self, first: bool) -> &'static str {
        let _ = first;
        ""
    }

    /// Whether findings are rendered with their source line.
    fn wants_snippets(&self) -> bool {
        false
    }

    /// Whether [`Style::inventory`] shows the products (otherwise they are not counted).
    fn wants_products(&self) -> bool {
        false
    }

    /// The links of every page, counted, before the closing (formats that show them keep
    /// them).
    fn inventory(&self, counts: &Counts) {
        let _ = counts;
    }

    /// One finding of the document at `location`.
    fn finding(&self, location: &Location, finding: &Finding, snippet: Option<&Snippet>) -> String;

    /// One finding that `--sources` placed in its source (`location`, with the finding's
    /// line and column there), met on a built page at `built`.
    fn mapped_finding(&self, location: &Location, finding: &Finding, built: &Built) -> String {
        let _ = built;
        self.finding(location, finding, None)
    }

    /// Written after the last item: the summary, and the inputs that could not be read.
    fn close(&self, summary: &Summary, file_errors: &[FileError]) -> String;
}

/// Items as they are: for diffs.
pub(crate) struct Plain;

impl Style for Plain {
    fn finding(&self, _: &Location, _: &Finding, _: Option<&Snippet>) -> String {
        String::new()
    }

    fn close(&self, _: &Summary, _: &[FileError]) -> String {
        String::new()
    }
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
    fn write(&mut self, progress: Option<&ProgressBar>, text: &str) {
        if self.failed.is_some() || text.is_empty() {
            return;
        }
        let out = &mut self.out;
        let result = match progress {
            // Clear the bar, write, draw it again: lines never mix with it.
            Some(bar) => bar.suspend(|| out.write_all(text.as_bytes()).and_then(|()| out.flush())),
            None => out.write_all(text.as_bytes()),
        };
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    fn write_item(&mut self, style: &dyn Style, progress: Option<&ProgressBar>, item: &str) {
        self.write(progress, style.separator(self.written == 0));
        self.write(progress, item);
        self.written += 1;
    }
}

/// Writes items in file order as files finish, then the closing.
pub(crate) struct Printer {
    style: Box<dyn Style>,
    progress: Option<ProgressBar>,
    inner: Mutex<Inner>,
}

impl Printer {
    /// A printer writing `style` to `out`, keeping `progress` (if any) clear of its lines.
    pub(crate) fn new(
        style: Box<dyn Style>,
        out: Box<dyn Write + Send>,
        progress: Option<ProgressBar>,
    ) -> Printer {
        let mut inner = Inner {
            out,
            next: 0,
            waiting: BTreeMap::new(),
            written: 0,
            failed: None,
        };
        inner.write(progress.as_ref(), &style.open());
        Printer {
            style,
            progress,
            inner: Mutex::new(inner),
        }
    }

    /// The format items are rendered in.
    pub(crate) fn style(&self) -> &dyn Style {
        &*self.style
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Prints (or keeps) an item of the file at `index` (in walk order).
    pub(crate) fn item(&self, index: usize, item: String) {
        let mut inner = self.lock();
        if index == inner.next {
            inner.write_item(&*self.style, self.progress.as_ref(), &item);
        } else {
            inner.waiting.entry(index).or_default().items.push(item);
        }
    }

    /// The file at `index` is done: it and the finished files after it print.
    pub(crate) fn file_done(&self, index: usize) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
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
                inner.write_item(&*self.style, self.progress.as_ref(), item);
            }
            if !done {
                return;
            }
            inner.waiting.remove(&next);
            inner.next += 1;
        }
    }

    /// Writes the closing; returns the first write error.
    pub(crate) fn finish(self, summary: &Summary, file_errors: &[FileError]) -> io::Result<()> {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        let mut inner = self.inner.into_inner().unwrap_or_else(|p| p.into_inner());
        let closing = self.style.close(summary, file_errors);
        inner.write(None, &closing);
        if let Some(e) = inner.failed.take() {
            return Err(e);
        }
        inner.out.flush()
    }
}
