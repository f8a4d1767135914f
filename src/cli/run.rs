//! `check` and `fix` over every input: walk, build the engine, process the documents in
//! parallel, print the findings in walk order, decide the exit status.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};

use affilint::{CONFIG_FILE_NAME, Finding, Location};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::args::{ColorChoice, CommonArgs, Format};
use super::baseline::{self, Baseline, FileBaseline, Recorder};
use super::files::{self, Mode, Processed};
use super::output::{Github, Human, Json, Plain, Printer, Sarif, Style, Summary};
use super::snippet::Snippets;
use super::walk::{self, Excludes, Input};
use super::{CLEAN, FAILURE, FINDINGS, build_engine};

/// Runs with fewer files than this show no progress bar: they are over before it helps.
const PROGRESS_MIN_FILES: usize = 100;

/// Whether human output is coloured: `--color`, else a terminal without `NO_COLOR` (any
/// non-empty value) and a `TERM` other than `dumb`.
fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// The progress bar: on a terminal, outside CI, without `--quiet`, for runs long enough.
fn progress(common: &CommonArgs, files: usize) -> Option<ProgressBar> {
    let wanted = !common.quiet
        && files >= PROGRESS_MIN_FILES
        && io::stderr().is_terminal()
        && std::env::var_os("CI").is_none();
    wanted.then(|| {
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        ProgressBar::new(files as u64).with_style(style)
    })
}

/// `check` and `fix`.
pub(crate) fn lint(common: CommonArgs, mode: Mode) -> Result<u8, String> {
    let engine = build_engine(&common)?;
    if engine.active_programs().next().is_none() && !common.quiet {
        eprintln!(
            "affilint: note: no program has an id (set one under [programs.<id>] in \
             {CONFIG_FILE_NAME} or with --tag amazon=ID); links are counted, nothing is tagged"
        );
    }
    let baseline = common.baseline.as_deref().map(Baseline::load).transpose()?;
    let recorder = common.write_baseline.as_ref().map(|_| Recorder::default());
    let excludes = Excludes::new(&common.exclude)?;
    let skip = match &mode {
        Mode::FixInto(dir) => Some(dir.as_path()),
        _ => None,
    };
    let jobs = common
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut walk = walk::collect(&common.paths, &excludes, skip, jobs);
    if let Some(shard) = common.shard {
        walk.inputs.retain(|input| walk::in_shard(input, shard));
    }
    let is_stdin = |i: &Input| i.location == Location::Stdin;
    if walk.inputs.iter().filter(|i| is_stdin(i)).count() > 1 {
        return Err("`-` (stdin) can be given once".into());
    }
    if let Mode::FixInto(_) = &mode {
        check_unique_destinations(&walk.inputs)?;
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start {jobs} threads: {e}"))?;
    // `fix -` writes the document to stdout and `fix --diff` the diff, so the report goes to
    // stderr.
    let stdout_taken = match mode {
        Mode::FixDiff => true,
        Mode::Check => false,
        _ => walk.inputs.iter().any(is_stdin),
    };
    let (out, terminal): (Box<dyn Write + Send>, bool) = if stdout_taken {
        (Box::new(io::stderr()), io::stderr().is_terminal())
    } else {
        let terminal = io::stdout().is_terminal();
        (Box::new(io::BufWriter::new(io::stdout())), terminal)
    };
    let style: Box<dyn Style> = match common.format {
        Format::Human | Format::Short => Box::new(Human {
            color: use_color(common.color, terminal),
            snippets: common.format == Format::Human,
            quiet: common.quiet,
            dry_run: matches!(mode, Mode::FixDiff),
        }),
        Format::Json => Box::new(Json),
        Format::Sarif => {
            Box::new(Sarif::new(std::env::current_dir().map_err(|e| {
                format!("cannot read the working directory: {e}")
            })?))
        }
        Format::Github => Box::new(Github {
            quiet: common.quiet,
        }),
    };
    let progress = progress(&common, walk.inputs.len());
    let printer = Printer::new(style, out, progress.clone());
    let diffs = matches!(mode, Mode::FixDiff)
        .then(|| Printer::new(Box::new(Plain), Box::new(io::stdout()), progress));
    let fixing = mode.fixes();
    let outcomes: Vec<(Location, Result<Summary, String>)> = pool.install(|| {
        walk.inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                let location = &input.location;
                let mut file = FileRun {
                    location,
                    index,
                    printer: &printer,
                    snippets: match location {
                        Location::File(path) if printer.style().wants_snippets() => {
                            Snippets::open(path)
                        }
                        _ => Snippets::none(),
                    },
                    baseline: baseline.as_ref().map(|b| b.take(location)),
                    recorded: recorder.as_ref().map(|_| HashMap::new()),
                    counts: Summary {
                        baselined: baseline.as_ref().map(|_| 0),
                        ..Summary::default()
                    },
                };
                let result = files::process(&engine, input, &mode, &mut |f| file.finding(f));
                printer.file_done(index);
                if let Some(diffs) = &diffs {
                    if let Ok(Processed {
                        diff: Some(diff), ..
                    }) = &result
                    {
                        diffs.item(index, diff.clone());
                    }
                    diffs.file_done(index);
                }
                if let (Some(recorder), Some(recorded)) = (&recorder, file.recorded.take()) {
                    recorder.record(location, recorded);
                }
                let counts = file.counts;
                let outcome = result.map(|Processed { report, .. }| Summary {
                    files: 1,
                    links: report.links,
                    affiliate_links: report.affiliate_links,
                    fixed: fixing.then_some(usize::from(report.changed)),
                    ..counts
                });
                (location.clone(), outcome)
            })
            .collect()
    });

    let mut summary = Summary {
        fixed: fixing.then_some(0),
        baselined: baseline.as_ref().map(|_| 0),
        ..Summary::default()
    };
    let mut failures = walk.errors;
    for (name, outcome) in outcomes {
        match outcome {
            Ok(counts) => summary.add(&counts),
            Err(message) => failures.push((name, message)),
        }
    }
    for (name, message) in &failures {
        eprintln!("affilint: {name}: {message}");
    }
    let written = |e: io::Error| format!("cannot write the report: {e}");
    if let Some(diffs) = diffs {
        ignore_broken_pipe(diffs.finish(&Summary::default(), &[])).map_err(written)?;
    }
    ignore_broken_pipe(printer.finish(&summary, &failures)).map_err(written)?;
    if let (Some(recorder), Some(path)) = (recorder, &common.write_baseline) {
        let recorded = recorder.write(path)?;
        if !common.quiet {
            eprintln!(
                "affilint: wrote {recorded} finding(s) to the baseline {}",
                path.display()
            );
        }
        return Ok(if failures.is_empty() { CLEAN } else { FAILURE });
    }
    Ok(if !failures.is_empty() {
        FAILURE
    } else if summary.errors > 0 {
        FINDINGS
    } else {
        CLEAN
    })
}

fn ignore_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
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
    counts: Summary,
}

impl FileRun<'_> {
    fn finding(&mut self, finding: Finding) {
        // A new baseline records every finding, the ones an old baseline holds too.
        if let Some(recorded) = &mut self.recorded {
            *recorded.entry(baseline::key(&finding)).or_default() += 1;
        }
        if self.baseline.as_mut().is_some_and(|b| b.absorbs(&finding)) {
            self.counts.baselined = Some(self.counts.baselined.unwrap_or(0) + 1);
            return;
        }
        self.counts.count(finding.severity);
        let style = self.printer.style();
        let snippet = if style.wants_snippets() {
            self.snippets.at(finding.offset, finding.line)
        } else {
            None
        };
        let item = style.finding(self.location, &finding, snippet.as_ref());
        self.printer.item(self.index, item);
    }
}

/// `--out` mirrors relative paths: two inputs with the same relative path would collide.
fn check_unique_destinations(inputs: &[Input]) -> Result<(), String> {
    let mut seen = HashMap::new();
    for input in inputs {
        if let Some(relative) = &input.relative
            && let Some(other) = seen.insert(relative.clone(), &input.location)
        {
            return Err(format!(
                "--out: {other} and {} would both be written to {}",
                input.location,
                relative.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_on_for_a_terminal_or_when_asked() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
        assert!(!use_color(ColorChoice::Auto, false));
    }
}
