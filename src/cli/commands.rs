//! The commands that do not read pages: `explain`, `rules`, `completions`, `man`.

use std::io::{self, Write};
use std::path::Path;

use affilint::{Config, Engine, FindingId, Program};
use clap::CommandFactory;
use serde::Serialize;

use super::args::{Cli, CompletionsArgs, ExplainArgs, ListFormat, RulesArgs};
use super::{CLEAN, FAILURE};

/// How affilint tells an affiliate link from a plain one, under the list of findings.
const DISCOVERY: &str = "\
Affiliate links are recognised by what they carry: a link to a program's host with an id where
the program puts one (Amazon's tag, eBay's campid, Booking.com's aid, Apple's at, a network's id
in its own link or path), and every short link of a program (amzn.to, a.co, amzn.eu). They need
a disclosure and rel=\"sponsored\" whether or not your config gives the program an id;
untagged-link and foreign-tag need your id (set it under [programs.<id>], or let
`affilint init --from SITE` find it). `affilint rules` lists the programs and their hosts.";

/// `affilint explain [RULE]`.
pub(crate) fn explain(args: &ExplainArgs, out: &mut dyn Write) -> Result<u8, String> {
    let write = |e: io::Error| format!("cannot write: {e}");
    match &args.rule {
        None => {
            let width = FindingId::ALL.iter().map(|id| id.as_str().len()).max();
            let width = width.unwrap_or_default();
            for &id in FindingId::ALL {
                writeln!(
                    out,
                    "{:<width$} {:<8} {}",
                    id.as_str(),
                    id.default_severity(),
                    id.summary()
                )
                .map_err(write)?;
            }
            writeln!(out, "\n{DISCOVERY}\n\nMore on one: affilint explain <id>").map_err(write)?;
        }
        Some(rule) => {
            let id: FindingId = rule.parse()?;
            writeln!(
                out,
                "{id} ({} by default): {}\n\n{}",
                id.default_severity(),
                id.summary(),
                id.explanation()
            )
            .map_err(write)?;
        }
    }
    Ok(CLEAN)
}

#[derive(Serialize)]
struct ProgramInfo<'a> {
    id: &'a str,
    name: &'a str,
    origin: &'a str,
    hosts: &'a [String],
    short_hosts: &'a [String],
    merchants: &'a [String],
    statements: Vec<&'a str>,
    forbids_cloaking: bool,
    forbids_static_prices: bool,
}

impl<'a> ProgramInfo<'a> {
    fn new(program: &'a Program) -> Self {
        ProgramInfo {
            id: program.id(),
            name: program.name(),
            origin: program.origin(),
            hosts: program.hosts(),
            short_hosts: program.short_hosts(),
            merchants: program.merchants(),
            statements: program.statements().collect(),
            forbids_cloaking: program.forbids_cloaking(),
            forbids_static_prices: program.forbids_static_prices(),
        }
    }
}

/// `affilint rules`: lists the programs, or validates a directory with `--check`.
pub(crate) fn rules(args: &RulesArgs, out: &mut dyn Write) -> Result<u8, String> {
    if let Some(dir) = &args.check {
        return check_rules(dir, out);
    }
    let rules = super::rule_set(&args.rules)?;
    let write = |e: io::Error| format!("cannot write: {e}");
    match args.format {
        ListFormat::Json => {
            let list: Vec<ProgramInfo<'_>> = rules.programs().map(ProgramInfo::new).collect();
            let json = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
            writeln!(out, "{json}").map_err(write)?;
        }
        ListFormat::Human => {
            for program in rules.programs() {
                writeln!(
                    out,
                    "{}  {}  ({})",
                    program.id(),
                    program.name(),
                    program.origin()
                )
                .map_err(write)?;
                let lines = [
                    ("hosts", program.hosts()),
                    ("short links", program.short_hosts()),
                    ("merchants", program.merchants()),
                ];
                for (label, hosts) in lines {
                    if !hosts.is_empty() {
                        writeln!(out, "    {label}: {}", hosts.join(", ")).map_err(write)?;
                    }
                }
                let statements = program.statements().count();
                if statements > 0 {
                    writeln!(out, "    disclosure statements: {statements}").map_err(write)?;
                }
                let forbidden: Vec<&str> = [
                    (program.forbids_cloaking(), "cloaked links"),
                    (program.forbids_static_prices(), "static prices"),
                ]
                .into_iter()
                .filter_map(|(forbids, what)| forbids.then_some(what))
                .collect();
                if !forbidden.is_empty() {
                    writeln!(out, "    forbids: {}", forbidden.join(", ")).map_err(write)?;
                }
            }
        }
    }
    Ok(CLEAN)
}

/// Validates every `*.toml` in `dir`, each on its own, then together with the shipped rules.
fn check_rules(dir: &Path, out: &mut dyn Write) -> Result<u8, String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot read the rules directory: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{}: no *.toml rule files", dir.display()));
    }
    let write = |e: io::Error| format!("cannot write: {e}");
    let mut failed = false;
    for path in &paths {
        let origin = path.display().to_string();
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("{origin}: cannot read: {e}"))
            .and_then(|text| Program::parse(&origin, &text).map_err(|e| e.to_string()));
        match parsed {
            Ok(program) => writeln!(
                out,
                "ok     {origin}: {} ({})",
                program.id(),
                program.name()
            ),
            Err(message) => {
                failed = true;
                writeln!(out, "error  {message}")
            }
        }
        .map_err(write)?;
    }
    if !failed {
        // Together: duplicate ids, hosts claimed by two programs.
        let together = super::rule_set(&[dir.to_path_buf()])
            .and_then(|rules| Engine::new(&rules, &Config::default()).map_err(|e| e.to_string()));
        if let Err(message) = together {
            failed = true;
            writeln!(out, "error  {message}").map_err(write)?;
        }
    }
    let verdict = if failed { "invalid" } else { "valid" };
    writeln!(out, "{} rule files {verdict}", paths.len()).map_err(write)?;
    Ok(if failed { FAILURE } else { CLEAN })
}

/// `affilint completions SHELL`.
pub(crate) fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<u8, String> {
    clap_complete::generate(args.shell, &mut Cli::command(), "affilint", out);
    Ok(CLEAN)
}

/// `affilint man`.
pub(crate) fn man(out: &mut dyn Write) -> Result<u8, String> {
    clap_mangen::Man::new(Cli::command())
        .render(out)
        .map_err(|e| format!("cannot write: {e}"))?;
    Ok(CLEAN)
}
