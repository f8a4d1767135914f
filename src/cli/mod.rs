//! The `affilint` command: parses arguments, builds the engine, walks the inputs in parallel,
//! prints, and picks the exit status. All checking is the library's.

mod args;
mod files;
mod output;
mod walk;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use affilint::{CONFIG_FILE_NAME, Config, Engine, RuleSet};
use clap::Parser;
use rayon::prelude::*;

use args::{Cli, Command, CommonArgs};
use files::Mode;
use output::{Printer, Summary};
use walk::{Excludes, Input};

/// Exit status: no error-severity finding.
const CLEAN: u8 = 0;
/// Exit status: at least one error-severity finding.
const FINDINGS: u8 = 1;
/// Exit status: a usage, config, rule or I/O error.
const FAILURE: u8 = 2;

/// Runs the command line and returns the exit status.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("affilint: {message}");
            ExitCode::from(FAILURE)
        }
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    let (common, mode) = match cli.command {
        Command::Check(args) => (args.common, Mode::Check),
        Command::Fix(args) => {
            let mode = match args.out {
                Some(dir) => Mode::FixInto(dir),
                None => Mode::FixInPlace,
            };
            (args.common, mode)
        }
    };
    let engine = build_engine(&common)?;
    if engine.active_programs().next().is_none() {
        eprintln!(
            "affilint: note: no program has an id (set one under [programs.<id>] in \
             {CONFIG_FILE_NAME} or with --tag amazon=ID); links are counted, nothing is tagged"
        );
    }
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
    let fixing = !matches!(mode, Mode::Check);
    // `fix -` writes the document to stdout, so its report goes to stderr.
    let stdout_has_document = fixing && walk.inputs.contains(&Input::Stdin);
    let out: Box<dyn Write + Send> = if stdout_has_document {
        Box::new(io::stderr())
    } else {
        Box::new(io::BufWriter::new(io::stdout()))
    };
    let printer = Printer::new(common.format, out);
    let outcomes: Vec<(String, Result<Summary, String>)> = pool.install(|| {
        walk.inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                let name = input.name();
                let mut counts = Summary::default();
                let result = files::process(&engine, input, &mode, &mut |finding| {
                    counts.count(finding.severity);
                    printer.finding(index, &name, &finding);
                });
                printer.file_done(index);
                let outcome = result.map(|report| Summary {
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
    if let Err(e) = printer.finish(&summary, &failures) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(format!("cannot write the report: {e}"));
        }
    }
    Ok(if !failures.is_empty() {
        FAILURE
    } else if summary.errors > 0 {
        FINDINGS
    } else {
        CLEAN
    })
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
    let mut seen = std::collections::HashMap::new();
    for input in inputs {
        if let Input::File { path, relative } = input {
            if let Some(other) = seen.insert(relative.clone(), path.clone()) {
                return Err(format!(
                    "--out: {} and {} would both be written to {}",
                    other.display(),
                    path.display(),
                    relative.display()
                ));
            }
        }
    }
    Ok(())
}
