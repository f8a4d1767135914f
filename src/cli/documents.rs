//! Each document of a run: processed (from a file, standard input or a live page), its
//! findings placed (baseline, `--sources`) and handed to the printer in walk order, its
//! outcome added up; with `--crawl`, round after round. `run` sets this up and reads the
//! tally.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use affilint::{Engine, Finding, Kind, Location, Site};
use indicatif::ProgressBar;

use super::baseline::{self, Baseline, FileBaseline, Recorder};
use super::files::{self, FileError, Mode, Side, Sinks};
use super::interrupt::Interrupt;
use super::inventory::{Inventory, PageLinks};
#[cfg(feature = "live")]
use super::live::Live;
use super::output::{Built, Printer, Summary};
use super::snippet::Snippets;
use super::sources::{self, Sources};
use super::walk::Input;

/// What one document came to.
enum Outcome {
    /// A signal came before it was done.
    Skipped,
    /// Its counts, and what could not be read or written.
    Done(Summary, Option<(Side, String)>),
}

/// What the documents of a run came to, added up as each is done: nothing is kept per
/// document, so memory stays flat however many there are.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) summary: Summary,
    /// The documents that could not be read or written, with why, by their index.
    pub(crate) failures: Vec<(usize, FileError)>,
    /// Documents processed (not skipped by a signal).
    pub(crate) reached: usize,
    /// Documents met.
    pub(crate) total: usize,
}

impl Tally {
    fn add(&mut self, index: usize, location: &Location, outcome: Outcome) {
        let Outcome::Done(counts, failure) = outcome else {
            return;
        };
        self.summary.add(&counts);
        if let Some((side, message)) = failure {
            let failure = FileError {
                location: location.clone(),
                side,
                message,
            };
            self.failures.push((index, failure));
        }
        self.reached += 1;
    }
}

/// Everything a run shares between its documents.
pub(crate) struct Run<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) mode: &'a Mode,
    pub(crate) interrupt: &'a Interrupt,
    pub(crate) printer: &'a Printer,
    pub(crate) diffs: Option<&'a Printer>,
    pub(crate) baseline: Option<&'a Baseline>,
    pub(crate) recorder: Option<&'a Recorder>,
    /// The affiliate links of every page, for the note on ids found.
    pub(crate) inventory: &'a Inventory,
    /// The sites of the directories walked.
    pub(crate) sites: &'a [Site],
    /// With `--sources`: the Markdown that the pages were built from.
    pub(crate) sources: Option<&'a Sources>,
    /// The live sites being read.
    #[cfg(feature = "live")]
    pub(crate) live: Option<&'a Live>,
}

impl Run<'_> {
    /// Processes `inputs`, then with `--crawl` the pages they link to, round after round;
    /// a document's index is its place in that order.
    pub(crate) fn all(
        &self,
        pool: &rayon::ThreadPool,
        inputs: Vec<Input>,
        progress: Option<&ProgressBar>,
    ) -> Tally {
        let tally = Mutex::new(Tally::default());
        let mut first = 0;
        let mut round = inputs;
        while !round.is_empty() {
            // Each thread takes the next document in order: they finish about in order, so
            // the printer holds back the reports of a few documents, not of half the run
            // (as splitting the list in halves would).
            let next = AtomicUsize::new(0);
            pool.scope(|scope| {
                for _ in 0..pool.current_num_threads() {
                    scope.spawn(|_| {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(input) = round.get(i) else { break };
                            let outcome = self.one(first + i, input);
                            let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                            tally.add(first + i, &input.location, outcome);
                        }
                    });
                }
            });
            first += round.len();
            #[cfg(feature = "live")]
            {
                round = self.next_round(&round);
            }
            #[cfg(not(feature = "live"))]
            {
                round = Vec::new();
            }
            if let Some(bar) = progress {
                bar.inc_length(round.len() as u64);
            }
        }
        let mut tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
        tally.total = first;
        // In document order, however the threads finished.
        tally.failures.sort_by_key(|(index, _)| *index);
        tally
    }

    /// With `--crawl`, the pages that the documents of the last round link to.
    #[cfg(feature = "live")]
    fn next_round(&self, done: &[Input]) -> Vec<Input> {
        match self.live {
            Some(live) if !self.interrupt.is_set() => {
                let round: Vec<Location> = done.iter().map(|i| i.location.clone()).collect();
                live.next_round(&round)
                    .into_iter()
                    .map(Input::page)
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Processes the document at `index` in walk order (unless a signal has come).
    fn one(&self, index: usize, input: &Input) -> Outcome {
        let outcome = if self.interrupt.is_set() {
            Outcome::Skipped
        } else {
            self.process(index, input)
        };
        self.printer.file_done(index);
        if let Some(diffs) = self.diffs {
            diffs.file_done(index);
        }
        outcome
    }

    fn process(&self, index: usize, input: &Input) -> Outcome {
        let location = &input.location;
        let mut file = FileRun {
            location,
            index,
            printer: self.printer,
            snippets: match location {
                Location::File(path) if self.printer.style().wants_snippets() => {
                    Snippets::open(path)
                }
                _ => Snippets::none(),
            },
            baseline: self.baseline.map(|b| b.take(location)),
            recorded: self.recorder.map(|_| HashMap::new()),
            // Built pages only: Markdown met in the same walk is its own source.
            page: self
                .sources
                .filter(|_| input.kind == Kind::Html)
                .and_then(|sources| match (&input.location, &input.relative) {
                    (Location::File(_), Some(relative)) if input.site.is_some() => {
                        Some(sources.page(relative, true))
                    }
                    (Location::File(path), _) => Some(sources.page(path, false)),
                    _ => None,
                }),
            counts: Summary {
                baselined: self.baseline.map(|_| 0),
                mapped: self.sources.map(|_| 0),
                ..Summary::default()
            },
        };
        let mut links = PageLinks::default();
        let sinks = Sinks {
            finding: &mut |f| file.finding(f),
            affiliate_link: &mut |link| links.record(link),
        };
        let site = input.site.map(|i| &self.sites[i]);
        let from = files::From {
            site,
            #[cfg(feature = "live")]
            live: self.live,
        };
        let processed = files::process(self.engine, from, input, self.mode, self.interrupt, sinks);
        self.inventory.add(links);
        if processed.interrupted && processed.report.is_none() {
            return Outcome::Skipped;
        }
        if let (Some(diffs), Some(diff)) = (self.diffs, processed.diff) {
            diffs.item(index, diff);
        }
        if let (Some(recorder), Some(recorded)) = (self.recorder, file.recorded.take()) {
            recorder.record(location, recorded);
        }
        let mut counts = file.counts;
        if let Some(report) = &processed.report {
            counts.files = 1;
            counts.links = report.links;
            counts.affiliate_links = report.affiliate_links;
            let written = report.changed && processed.failure.is_none() && !processed.interrupted;
            counts.fixed = self.mode.fixes().then_some(usize::from(written));
        }
        Outcome::Done(counts, processed.failure)
    }
}

/// One file being processed: where its findings go.
struct FileRun<'a> {
    location: &'a Location,
    index: usize,
    printer: &'a Printer,
    snippets: Snippets,
    baseline: Option<FileBaseline>,
    /// With `--write-baseline`: the keys of the file's findings.
    recorded: Option<HashMap<baseline::Key, usize>>,
    /// With `--sources`: the page's mapping to its source.
    page: Option<sources::Page<'a>>,
    counts: Summary,
}

impl FileRun<'_> {
    fn finding(&mut self, finding: Finding) {
        // A new baseline records every finding, the ones an old baseline holds too.
        if let Some(recorded) = &mut self.recorded {
            *recorded.entry(baseline::key(&finding)).or_default() += 1;
        }
        // Placed before the baseline may hold it back: the n-th link to a URL counts them all.
        let written = self.page.as_mut().and_then(|page| page.written(&finding));
        if self.baseline.as_mut().is_some_and(|b| b.absorbs(&finding)) {
            self.counts.baselined = Some(self.counts.baselined.unwrap_or(0) + 1);
            return;
        }
        self.counts.count(finding.severity);
        let style = self.printer.style();
        if let Some(written) = written {
            let built = Built {
                file: self.location.to_string(),
                line: finding.line,
                column: finding.column,
            };
            let mut finding = finding;
            finding.line = written.line;
            finding.column = written.column;
            self.counts.mapped = Some(self.counts.mapped.unwrap_or(0) + 1);
            let item = style.mapped_finding(written.location, &finding, &built);
            self.printer.item(self.index, item);
            return;
        }
        let snippet = if style.wants_snippets() {
            self.snippets.at(finding.offset, finding.line)
        } else {
            None
        };
        let item = style.finding(self.location, &finding, snippet.as_ref());
        self.printer.item(self.index, item);
    }
}
