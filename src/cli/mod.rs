//! The `affilint` command: parses arguments, builds the engine, walks the inputs in parallel,
//! prints, and picks the exit status. All checking is the library's.

mod args;
mod baseline;
mod commands;
mod files;
mod output;
mod snippet;
mod walk;

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use affilint::{CONFIG_FILE_NAME, Config, Engine, Finding, RuleSet};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use args::{Cli, ColorChoice, Command, CommonArgs, Format};
use baseline::{Baseline, FileBaseline, Recorder};
use files::{Mode, Processed};
use output::{Github, Human, Json, Plain, Printer, Sarif, Style, Summary};
use snippet::Snippets;
use walk::{Excludes, Input};

/// Exit status: no error-severity finding.
const CLEAN: u8 = 0;
/// Exit status: at least one error-severity finding.
const FINDINGS: u8 = 1;
/// Exit status: a usage, config, rule or I/O error.
const FAILURE: u8 = 2;

/// Runs with fewer files than this show no progress bar: they are over before it helps.
const PROGRESS_MIN_FILES: usize = 100;

/// Runs the command line and returns the exit status.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    // Not locked here: `fix -` writes the document to stdout from a worker thread.
    let mut stdout = io::stdout();
    let result = match cli.command {
        Command::Check(args) => lint(args.common, Mode::Check),
        Command::Fix(args) => {
            let mode = match (args.out, args.diff) {
                (_, true) => Mode::FixDiff,
                (Some(dir), false) => Mode::FixInto(dir),
                (None, false) => Mode::FixInPlace,
            };
            lint(args.common, mode)
        }
        Command::Explain(args) => commands::explain(&args, &mut stdout),
        Command::Init(args) => commands::init(&args, &mut stdout),
        Command::Rules(args) => commands::rules(&args, &mut stdout),
        Command::Completions(args) => commands::completions(&args, &mut stdout),
        Command::Man => commands::man(&mut stdout),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("affilint: {message}");
            ExitCode::from(FAILURE)
        }
    }
}

/// A hash that is the same on every machine, run and version (FNV-1a over the parts, each
/// followed by a 0xff byte, which UTF-8 never holds).
pub(crate) fn stable_hash(parts: &[&[u8]]) -> u64 {
    let step = |hash: u64, b: &u8| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    parts.iter().fold(0xcbf2_9ce4_8422_2325, |hash, part| {
        step(part.iter().fold(hash, step), &0xff)
    })
}

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
fn lint(common: CommonArgs, mode: Mode) -> Result<u8, String> {
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
    if walk.inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
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
        _ => walk.inputs.contains(&Input::Stdin),
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
    let outcomes: Vec<(String, Result<Summary, String>)> = pool.install(|| {
        walk.inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                let name = input.name();
                let mut file = FileRun {
                    name: &name,
                    index,
                    printer: &printer,
                    snippets: match input {
                        Input::File { path, .. } if printer.style().wants_snippets() => {
                            Snippets::open(path)
                        }
                        _ => Snippets::none(),
                    },
                    baseline: baseline.as_ref().map(|b| b.take(&name)),
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
                    recorder.record(&name, recorded);
                }
                let counts = file.counts;
                let outcome = result.map(|Processed { report, .. }| Summary {
                    files: 1,
                    links: report.links,
                    affiliate_links: report.affiliate_links,
                    fixed: fixing.then_some(usize::from(report.changed)),
                    ..counts
                });
                (name, outcome)
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
    name: &'a str,
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
        let item = style.finding(self.name, &finding, snippet.as_ref());
        self.printer.item(self.index, item);
    }
}

fn build_engine(common: &CommonArgs) -> Result<Engine, String> {
    let mut rules = RuleSet::shipped();
    for dir in &common.rules {
        for program in RuleSet::load_dir(dir).map_err(|e| e.to_string())? {
            rules.insert(program);
        }
    }
    let mut config = match &common.config {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None if Path::new(CONFIG_FILE_NAME).is_file() => {
            Config::load(Path::new(CONFIG_FILE_NAME)).map_err(|e| e.to_string())?
        }
        None => Config::default(),
    };
    for (program, id) in &common.tags {
        config.set_tag(program, id).map_err(|e| e.to_string())?;
    }
    Engine::new(&rules, &config).map_err(|e| e.to_string())
}

/// `--out` mirrors relative paths: two inputs with the same relative path would collide.
fn check_unique_destinations(inputs: &[Input]) -> Result<(), String> {
    let mut seen = HashMap::new();
    for input in inputs {
        if let Input::File { path, relative } = input
            && let Some(other) = seen.insert(relative.clone(), path.clone())
        {
            return Err(format!(
                "--out: {} and {} would both be written to {}",
                other.display(),
                path.display(),
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
    fn stable_hash_separates_parts_and_never_changes() {
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
        // Shards and baselines depend on this value staying put (FNV-1a, checked by hand).
        assert_eq!(stable_hash(&[b"posts/a.html"]), 0x7d6b_6e31_019f_64c0);
    }

    #[test]
    fn colour_is_on_for_a_terminal_or_when_asked() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
        assert!(!use_color(ColorChoice::Auto, false));
    }
}
