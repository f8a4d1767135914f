//! The `affilint` command: parses arguments, builds the engine, walks the inputs in parallel,
//! prints, and picks the exit status. All checking is the library's.

mod args;
mod baseline;
mod commands;
mod documents;
mod files;
mod init;
mod interrupt;
mod inventory;
#[cfg(feature = "live")]
mod live;
mod output;
mod run;
mod site;
mod snippet;
mod sources;
mod walk;
mod write;

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::process::ExitCode;

use affilint::{CONFIG_FILE_NAME, Config, Engine, RuleSet};
use clap::Parser;

use args::{Cli, Command, EngineArgs};
use files::Mode;

/// Exit status: no error-severity finding.
const CLEAN: u8 = 0;
/// Exit status: at least one error-severity finding.
const FINDINGS: u8 = 1;
/// Exit status: a usage, config, rule or I/O error.
const FAILURE: u8 = 2;

/// Runs the command line and returns the exit status.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    // Not locked here: `fix -` writes the document to stdout from a worker thread.
    let mut stdout = io::stdout();
    let result = match cli.command {
        Command::Check(args) => {
            let options = run::CheckOptions {
                sources: &args.sources,
                #[cfg(feature = "live")]
                live: Some(&args.live),
            };
            run::lint(args.common, Mode::Check, &options)
        }
        Command::Fix(args) => {
            let mode = match (args.out, args.diff) {
                (_, true) => Mode::FixDiff,
                (Some(dir), false) => Mode::FixInto(dir),
                (None, false) => Mode::FixInPlace,
            };
            run::lint(args.common, mode, &run::CheckOptions::default())
        }
        Command::Explain(args) => commands::explain(&args, &mut stdout),
        Command::Init(args) => init::init(&args, &mut stdout),
        Command::Inventory(args) => inventory::run(&args, &mut stdout),
        Command::Rules(args) => commands::rules(&args, &mut stdout),
        Command::Completions(args) => commands::completions(&args, &mut stdout),
        Command::Man => commands::man(&mut stdout),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("affilint: {}", printable(&message));
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

/// `n word` or `n words`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `text` with its control characters (C0, DEL, C1: an escape sequence, a newline a page
/// or a file name put in a URL, an id or a path), the bidirectional overrides and isolates
/// (which reorder what a line seems to say) and the line and paragraph separators written as
/// `\u{1b}`, so what is printed to a terminal or a CI log can neither drive the terminal nor
/// start a line of its own. (A page that writes `\u{1b}` itself reads the same; JSON and SARIF
/// keep every value exact.)
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The engine for `check`, `fix` and `inventory`: the shipped rules plus each `--rules`
/// directory, the config (`-c`, or `./affilint.toml` when there is one) and the `--tag`
/// overrides.
pub(crate) fn build_engine(common: &EngineArgs) -> Result<Engine, String> {
    let rules = rule_set(&common.rules)?;
    let mut config = match &common.config {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None if Path::new(CONFIG_FILE_NAME).is_file() => {
            Config::load(Path::new(CONFIG_FILE_NAME)).map_err(|e| e.to_string())?
        }
        None => Config::default(),
    };
    for (program, id) in &common.tags {
        config
            .set_tag(program, id, &format!("--tag {program}={id}"))
            .map_err(|e| e.to_string())?;
    }
    Engine::new(&rules, &config).map_err(|e| e.to_string())
}

/// The shipped rules plus each `--rules` directory.
pub(crate) fn rule_set(dirs: &[std::path::PathBuf]) -> Result<RuleSet, String> {
    let mut rules = RuleSet::shipped();
    for dir in dirs {
        rules.add_dir(dir).map_err(|e| e.to_string())?;
    }
    Ok(rules)
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
}
