//! `check` and `fix` over every input: walk, build the engine, have the documents processed in
//! parallel, print the findings in walk order, decide the exit status. One concept, the run:
//! it is long because `lint` is the one place where every input kind (files, standard input,
//! live pages), every output and the exit status meet; what each of them does lives in its
//! own module (`documents`, `files`, `walk`, `live`, `sources`, `output`, `write`).

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use affilint::{CONFIG_FILE_NAME, Engine, FindingId, Location};
use indicatif::{ProgressBar, ProgressStyle};

#[cfg(feature = "live")]
use super::args::LiveArgs;
use super::args::{ColorChoice, CommonArgs, Format};
use super::baseline::{Baseline, Recorder};
use super::documents::Run;
use super::files::{FileError, Mode, Side};
use super::interrupt::{self, Interrupt};
use super::inventory::{Counts, Inventory};
#[cfg(feature = "live")]
use super::live::{self, Live};
use super::output::{self, Github, Html, Human, Json, Meta, Plain, Printer, Sarif, Style, Summary};
use super::sources::Sources;
use super::walk::{self, Excludes, Input};
use super::write;
use super::{CLEAN, FAILURE, FINDINGS, build_engine, printable};

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
/// A crawl (`growing`) may run long whatever it starts from.
fn progress(common: &CommonArgs, files: usize, growing: bool) -> Option<ProgressBar> {
    let wanted = !common.quiet
        && (files >= PROGRESS_MIN_FILES || growing)
        && io::stderr().is_terminal()
        && std::env::var_os("CI").is_none();
    wanted.then(|| {
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        ProgressBar::new(files as u64).with_style(style)
    })
}

/// What `check` has that `fix` has not.
#[derive(Default)]
pub(crate) struct CheckOptions<'a> {
    /// `--sources DIR`.
    pub(crate) sources: &'a [PathBuf],
    /// How live sites are read (`check https://...`).
    #[cfg(feature = "live")]
    pub(crate) live: Option<&'a LiveArgs>,
}

/// Whether a command-line argument names a live site rather than a file.
fn is_url(arg: &std::path::Path) -> bool {
    arg.to_str()
        .is_some_and(|a| a.starts_with("http://") || a.starts_with("https://"))
}

fn refuse_fix(url: &str) -> String {
    format!(
        "{url}: fix works on files, not on a live site; check it with `affilint check {url}`, \
         then fix the files it is built from"
    )
}

/// `check` and `fix`.
pub(crate) fn lint(
    common: CommonArgs,
    mode: Mode,
    options: &CheckOptions<'_>,
) -> Result<u8, String> {
    let sources = options.sources;
    let (urls, paths): (Vec<PathBuf>, Vec<PathBuf>) =
        common.walk.paths.iter().cloned().partition(|p| is_url(p));
    let urls: Vec<&str> = urls.iter().filter_map(|u| u.to_str()).collect();
    #[cfg(not(feature = "live"))]
    if let (false, Some(url)) = (mode.fixes(), urls.first()) {
        return Err(format!(
            "{url}: this affilint was built without live-site support (the `live` feature)"
        ));
    }
    let engine = build_engine(&common.engine)?;
    #[cfg(feature = "live")]
    let expander = live::short_links(&engine, &common.short)?;
    let baseline = common.baseline.as_deref().map(Baseline::load).transpose()?;
    let recorder = common.write_baseline.as_ref().map(|_| Recorder::default());
    let excludes = Excludes::new(&common.walk.exclude)?;
    // Once the config and the rest of the command line are known good: finding a live
    // site's pages may take a while.
    if let (true, Some(url)) = (mode.fixes(), urls.first()) {
        return Err(refuse_fix(url));
    }
    #[cfg(feature = "live")]
    if let Some(args) = options.live.filter(|a| a.crawl) {
        if urls.is_empty() && !common.quiet {
            eprintln!("affilint: note: --crawl follows the links of live sites: give a URL");
        }
        if common.shard.is_some() && !urls.is_empty() {
            return Err(format!(
                "--shard cannot split a crawl (its pages are found as it goes); shard a \
                 sitemap check, or crawl in one run ({} page(s) at most with --max-pages)",
                args.max_pages
            ));
        }
    }
    #[cfg(feature = "live")]
    let live = live::inputs(&urls, options.live, &common.short.connect_to, &engine)?;
    let skip = match &mode {
        Mode::FixInto(dir) => Some(dir.as_path()),
        _ => None,
    };
    let jobs = common.walk.jobs();
    let kinds = common.walk.kinds();
    let mut source_notes = Vec::new();
    let sources = if sources.is_empty() {
        None
    } else {
        let (sources, notes) = Sources::load(sources, &excludes, jobs)?;
        source_notes = notes;
        if sources.len() == 0 {
            source_notes
                .push("--sources: no Markdown found; findings stay on the built pages".to_owned());
        }
        Some(sources)
    };
    let mut walk = if paths.is_empty() && !urls.is_empty() {
        walk::Walk::default()
    } else {
        walk::collect(&paths, &excludes, skip, jobs, &kinds)
    };
    #[cfg(feature = "live")]
    let (live, jobs) = match live {
        Some((live, found)) => {
            walk.inputs.extend(found.pages.into_iter().map(Input::page));
            walk.errors.extend(found.errors);
            walk.notes.extend(found.notes);
            // Network-bound: as many at once as the site is asked, no more.
            let connections = options.live.map_or(jobs, |a| usize::from(a.connections));
            (Some(live), connections)
        }
        None => (None, jobs),
    };
    if let Some(shard) = common.shard {
        walk.inputs.retain(|input| walk::in_shard(input, shard));
    }
    let is_stdin = |i: &Input| i.location == Location::Stdin;
    if walk.inputs.iter().filter(|i| is_stdin(i)).count() > 1 {
        return Err("`-` (stdin) can be given once".into());
    }
    if let Mode::FixInto(dir) = &mode {
        check_unique_destinations(&walk.inputs)?;
        // The output directory is not walked, but its temporary files are ours to clean.
        walk.leftovers.extend(walk::leftovers_in(dir));
    }
    // Reading standard input keeps the default signals: a Ctrl-C there ends the run at once
    // (nothing is written but standard output).
    let interrupt = if walk.inputs.iter().any(is_stdin) {
        Interrupt::default()
    } else {
        Interrupt::install().map_err(|e| format!("cannot install the signal handlers: {e}"))?
    };
    let mut failures: Vec<FileError> = walk
        .errors
        .into_iter()
        .map(|(location, message)| FileError {
            location,
            side: Side::Read,
            message,
        })
        .collect();
    failures.extend(leftovers(&walk.leftovers, &mode, common.quiet));
    let mut notes = source_notes;
    notes.append(&mut walk.notes);
    if !common.quiet {
        for note in &notes {
            eprintln!("affilint: note: {}", printable(note));
        }
    }
    // Those added from here on are said at the end.
    let said_early = notes.len();

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
    // `--output FILE`: replaced once the report is whole.
    let cannot_write = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        format!("cannot write the report to {}: {e}", path.display())
    };
    let report_file = common
        .output
        .as_deref()
        .map(|path| write::WholeFile::create(path).map_err(|e| cannot_write(path, &e)))
        .transpose()?;
    let (out, terminal): (Box<dyn Write + Send>, bool) = if let Some(file) = &report_file {
        let path = common
            .output
            .as_deref()
            .unwrap_or(std::path::Path::new("-"));
        let writer = file.writer().map_err(|e| cannot_write(path, &e))?;
        (Box::new(io::BufWriter::new(writer)), false)
    } else if stdout_taken {
        (Box::new(io::stderr()), io::stderr().is_terminal())
    } else {
        let terminal = io::stdout().is_terminal();
        (Box::new(io::BufWriter::new(io::stdout())), terminal)
    };
    #[cfg(feature = "live")]
    let growing = live.as_ref().is_some_and(Live::crawls);
    #[cfg(not(feature = "live"))]
    let growing = false;
    let progress = progress(&common, walk.inputs.len(), growing);
    let bar = progress.clone();
    let printer = Printer::new(
        style(&common, &mode, terminal, &engine)?,
        out,
        progress.clone(),
    );
    let diffs = matches!(mode, Mode::FixDiff)
        .then(|| Printer::new(Box::new(Plain), Box::new(io::stdout()), progress));
    // Products are counted for the formats that list them only: one entry per product
    // grows with the site.
    let inventory = if printer.style().wants_products() {
        Inventory::default()
    } else {
        Inventory::ids_only()
    };
    let run = Run {
        inventory: &inventory,
        sites: &walk.sites,
        engine: &engine,
        mode: &mode,
        interrupt: &interrupt,
        printer: &printer,
        diffs: diffs.as_ref(),
        baseline: baseline.as_ref(),
        recorder: recorder.as_ref(),
        sources: sources.as_ref(),
        #[cfg(feature = "live")]
        live: live.as_ref(),
    };
    let tally = run.all(&pool, std::mem::take(&mut walk.inputs), bar.as_ref());
    let (total, reached) = (tally.total, tally.reached);
    let mut summary = Summary {
        fixed: mode.fixes().then_some(0),
        not_written: mode.fixes().then_some(0),
        baselined: baseline.as_ref().map(|_| 0),
        mapped: sources.as_ref().map(|_| 0),
        ..Summary::default()
    };
    summary.add(&tally.summary);
    let not_written = tally
        .failures
        .iter()
        .filter(|(_, f)| f.side == Side::Write)
        .count();
    failures.extend(tally.failures.into_iter().map(|(_, f)| f));
    #[cfg(feature = "live")]
    if let Some(live) = &live {
        failures.extend(
            live.errors()
                .into_iter()
                .map(|(location, message)| FileError {
                    location,
                    side: Side::Read,
                    message,
                }),
        );
    }
    summary.not_read = failures.iter().filter(|f| f.side == Side::Read).count();
    if let Some(n) = &mut summary.not_written {
        *n = not_written;
    }
    let counts = inventory.into_counts();
    // Nothing read, nothing to say about ids.
    if summary.files > 0 {
        notes.extend(note_ids(&engine, &counts, &common.walk.paths));
    }
    printer.style().inventory(&counts);
    summary.interrupted = interrupt.signal().map(interrupt::name);
    #[cfg(feature = "live")]
    {
        notes.extend(live.as_ref().map(Live::notes).unwrap_or_default());
        notes.extend(expander.as_ref().map(|e| e.notes()).unwrap_or_default());
    }
    if !common.quiet {
        for note in &notes[said_early..] {
            eprintln!("affilint: note: {}", printable(note));
        }
    }
    summary.notes = notes;
    for failure in &failures {
        failure.say();
    }
    let written = |e: io::Error| format!("cannot write the report: {e}");
    if let Some(diffs) = diffs {
        ignore_broken_pipe(diffs.finish(&Summary::default(), &[])).map_err(written)?;
    }
    ignore_broken_pipe(printer.finish(&summary, &failures)).map_err(written)?;
    if let (Some(file), Some(path)) = (report_file, &common.output) {
        // A run cut short leaves the last whole report where it was.
        if interrupt.signal().is_some() {
            eprintln!(
                "affilint: the report was not written to {}: interrupted",
                path.display()
            );
        } else {
            file.commit().map_err(|e| cannot_write(path, &e))?;
        }
    }
    #[cfg(feature = "live")]
    if let Some(Err(e)) = expander.as_ref().map(|e| e.save()) {
        eprintln!("affilint: {e}");
        return Ok(FAILURE);
    }
    if let Some(signal) = interrupt.signal() {
        let name = interrupt::name(signal);
        if growing {
            eprintln!(
                "affilint: interrupted by {name} after {reached} pages of the crawl: it \
                 stopped there"
            );
        } else {
            eprintln!(
                "affilint: interrupted by {name} after {reached} of {total} files; the others \
                 were not read{}",
                if mode.fixes() { " or written" } else { "" }
            );
        }
        return Ok(u8::try_from(128 + signal).unwrap_or(FAILURE));
    }
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

/// What to say of the affiliate ids the pages carry for programs without an id in the
/// config.
fn note_ids(engine: &Engine, counts: &Counts, paths: &[std::path::PathBuf]) -> Option<String> {
    let active: Vec<&str> = engine.active_programs().collect();
    // Files only: `init --from` does not read live sites.
    let shown: Vec<String> = paths
        .iter()
        .filter(|p| !is_url(p))
        .map(|p| p.display().to_string())
        .collect();
    let paths = match (shown.is_empty(), paths.is_empty()) {
        (true, true) => ".".to_owned(),
        _ => shown.join(" "),
    };
    match counts.note(&active, &paths) {
        Some(note) => Some(note),
        None if active.is_empty() => Some(format!(
            "no affiliate ids found, and no program has an id (set one under [programs.<id>] \
             in {CONFIG_FILE_NAME} or with --tag amazon=ID)"
        )),
        None => None,
    }
}

/// The output format asked for.
fn style(
    common: &CommonArgs,
    mode: &Mode,
    terminal: bool,
    engine: &Engine,
) -> Result<Box<dyn Style>, String> {
    Ok(match common.format {
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
        Format::Html => Box::new(Html::new(Meta {
            paths: common.walk.paths.clone(),
            date: output::date(),
            programs: engine
                .active_programs()
                .map(|id| {
                    let name = engine.program(id).map_or(id, |p| p.name()).to_owned();
                    let ids = engine.publisher_ids(id).into_iter().map(str::to_owned);
                    (id.to_owned(), name, ids.collect())
                })
                .collect(),
            checks: FindingId::ALL
                .iter()
                .filter_map(|&id| Some((id, engine.severity(id)?)))
                .collect(),
            fixing: mode.fixes(),
            dry_run: matches!(mode, Mode::FixDiff),
        })),
    })
}

/// Temporary files left by an interrupted `fix` in the directories walked: `fix` (in place or
/// into `--out`) removes them, with a note; `check` and `fix --diff`, which write nothing, say
/// they are there. A file another running affilint holds is left alone. Returns the ones that
/// could not be removed.
fn leftovers(paths: &[std::path::PathBuf], mode: &Mode, quiet: bool) -> Vec<FileError> {
    let mut failures = Vec::new();
    for path in paths {
        let shown = printable(&path.display().to_string()).into_owned();
        match mode {
            Mode::FixInPlace | Mode::FixInto(_) => match write::remove_leftover(path) {
                Ok(true) if !quiet => eprintln!(
                    "affilint: note: removed {shown}, a temporary file left by an interrupted \
                     `affilint fix`"
                ),
                Ok(_) => {}
                Err(e) => failures.push(FileError {
                    location: Location::File(path.clone()),
                    side: Side::Write,
                    message: format!(
                        "a temporary file left by an interrupted `affilint fix` could not be \
                         removed: {e}"
                    ),
                }),
            },
            Mode::Check | Mode::FixDiff if !quiet && write::is_left_behind(path) => eprintln!(
                "affilint: note: {shown} is a temporary file left by an interrupted `affilint \
                 fix`; the next `affilint fix` over this directory removes it"
            ),
            _ => {}
        }
    }
    failures
}

fn ignore_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
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
