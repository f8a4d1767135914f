//! `affilint init [FILE]`: a commented starter config, or with `--from PATH...` a config
//! with the ids the site's links carry. Never writes over an existing file.

use std::collections::BTreeMap;
use std::io::{self, Write};

use affilint::{Config, Engine, Location, RuleSet};

use super::args::InitArgs;
use super::files::FileError;
use super::inventory::{self, Count, Counts};
use super::{CLEAN, rule_set};

/// The config `affilint init` writes without `--from`.
const STARTER: &str = include_str!("starter.toml");

/// `affilint init [FILE] [--from PATH...]`.
pub(crate) fn init(args: &InitArgs, out: &mut dyn Write) -> Result<u8, String> {
    let path = &args.path;
    // Refuse early, before reading a whole site.
    if path.exists() {
        return Err(exists(path));
    }
    let (text, said) = if args.from.is_empty() {
        (
            STARTER.to_owned(),
            "set your ids under [programs.*], then run `affilint check`".to_owned(),
        )
    } else {
        from_site(args)?
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => exists(path),
            _ => format!("cannot write {}: {e}", path.display()),
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    writeln!(out, "wrote {}: {said}", path.display()).map_err(|e| format!("cannot write: {e}"))?;
    Ok(CLEAN)
}

fn exists(path: &std::path::Path) -> String {
    format!(
        "{} already exists; affilint init never overwrites a file (edit it, or name another: \
         affilint init FILE)",
        path.display()
    )
}

/// The config for the ids the pages under `args.from` carry, and what to say about it.
fn from_site(args: &InitArgs) -> Result<(String, String), String> {
    let rules = rule_set(&args.rules)?;
    let engine = Engine::new(&rules, &Config::default()).map_err(|e| e.to_string())?;
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let kinds = [affilint::Kind::Html, affilint::Kind::Markdown];
    if let Some(url) = args.from.iter().find(|p| {
        p.to_str()
            .is_some_and(|p| p.starts_with("http://") || p.starts_with("https://"))
    }) {
        return Err(format!(
            "--from {}: init reads files, not live sites; `affilint check {0}` names the ids \
             the site carries, to set under [programs.<id>]",
            url.display()
        ));
    }
    let (inputs, sites, mut failures) = inventory::inputs(&args.from, &args.exclude, jobs, &kinds)?;
    let (counts, read_failures) = inventory::gather(&engine, &inputs, &sites, jobs)?;
    failures.extend(read_failures);
    for failure in &failures {
        failure.say();
    }
    // A path named that cannot be read: the config would say less than asked.
    let named = |f: &&FileError| matches!(&f.location, Location::File(p) if args.from.contains(p));
    if let Some(failure) = failures.iter().find(named) {
        return Err(format!(
            "--from {}: {}; no config written",
            failure.location, failure.message
        ));
    }
    // Nothing read is nothing to write a config from.
    if counts.pages == 0 {
        let shown: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "--from {}: no page or Markdown file could be read; no config written",
            shown.join(" ")
        ));
    }
    let shown: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
    let written = config_text(&rules, &counts, &shown.join(" "));
    // What is written must load as it is.
    let config = Config::parse(&args.path.display().to_string(), &written.text)
        .map_err(|e| format!("the config for these ids does not load: {e}"))?;
    Engine::new(&rules, &config)
        .map_err(|e| format!("the config for these ids is refused: {e}"))?;
    let said = match written.programs.as_slice() {
        [] => "no affiliate ids found: set yours under [programs.*], then run `affilint \
               check`"
            .to_owned(),
        programs => format!(
            "the ids the pages under {} carry ({}); check they are yours, then run `affilint \
             check`",
            shown.join(" "),
            programs.join(", ")
        ),
    };
    Ok((written.text, said))
}

/// A config written from an inventory, and the programs it gives an id.
struct Written {
    text: String,
    programs: Vec<String>,
}

/// The ids seen on one program's hosts, most used first.
type Seen<'c> = BTreeMap<&'c str, Vec<(&'c str, Count)>>;

fn counted(count: Count) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{} on {}",
        plural(count.links, "link"),
        plural(count.pages, "page")
    )
}

fn config_text(rules: &RuleSet, counts: &Counts, from: &str) -> Written {
    // Per program: per host, the ids with their counts; and the short links per host.
    let mut ids: BTreeMap<&str, Seen<'_>> = BTreeMap::new();
    let mut short: BTreeMap<&str, Vec<(&str, Count)>> = BTreeMap::new();
    for ((program, host, id), (count, is_short)) in &counts.ids {
        match id {
            Some(id) => ids
                .entry(program.as_str())
                .or_default()
                .entry(host.as_str())
                .or_default()
                .push((id.as_str(), *count)),
            None if *is_short => short
                .entry(program.as_str())
                .or_default()
                .push((host.as_str(), *count)),
            None => {}
        }
    }
    let mut text = format!(
        "# affilint.toml: written by `affilint init --from {from}` from the affiliate ids its \
         {} files carry.\n# Every key is documented in the README (\"Configure\"); unknown \
         keys are errors, reported with\n# their line. Each id below is the one most links \
         carry for its program and marketplace:\n# check that it is yours.\n",
        counts.pages
    );
    let mut written = Vec::new();
    let programs: Vec<&str> = ids.keys().chain(short.keys()).copied().collect();
    let mut seen_programs: Vec<&str> = Vec::new();
    for program_id in programs {
        if seen_programs.contains(&program_id) {
            continue;
        }
        seen_programs.push(program_id);
        let Some(program) = rules.program(program_id) else {
            continue;
        };
        let by_host = ids.remove(program_id).unwrap_or_default();
        // Per host: the usable ids, most links first; the others noted.
        let mut chosen: Vec<(&str, &str, Count)> = Vec::new();
        let mut others: Vec<String> = Vec::new();
        for (host, mut list) in by_host {
            list.sort_by(|a, b| {
                (b.1.links, b.1.pages)
                    .cmp(&(a.1.links, a.1.pages))
                    .then(a.0.cmp(b.0))
            });
            let usable = |id: &str| {
                program.accepts_id(id) && Config::default().set_tag(program_id, id, "").is_ok()
            };
            let mut picked = false;
            for (id, count) in list {
                if !picked && usable(id) {
                    chosen.push((host, id, count));
                    picked = true;
                } else {
                    let why = if usable(id) {
                        String::new()
                    } else {
                        format!(", not a valid {} id", program.name())
                    };
                    // In a comment: a page's id cannot end the comment line (`%0A`).
                    let id = super::printable(id);
                    others.push(format!("\"{id}\" on {host} ({}{why})", counted(count)));
                }
            }
        }
        text.push_str(&format!("\n# {} ({})\n", program.name(), program.id()));
        if let Some(tag) = chosen.iter().max_by_key(|(_, _, c)| (c.links, c.pages)) {
            let (tag_host, tag_id, tag_count) = *tag;
            written.push(program_id.to_owned());
            text.push_str(&format!(
                "[programs.{program_id}]\ntag = \"{tag_id}\"  # {tag_host}: {}\n",
                counted(tag_count)
            ));
            let markets: Vec<_> = chosen.iter().filter(|(_, id, _)| *id != tag_id).collect();
            if !markets.is_empty() {
                text.push_str(&format!("\n[programs.{program_id}.marketplaces]\n"));
                for (host, id, count) in markets {
                    text.push_str(&format!("\"{host}\" = \"{id}\"  # {}\n", counted(*count)));
                }
            }
        }
        if !others.is_empty() {
            text.push_str(&format!(
                "# Other ids seen: {}; `affilint check` reports them as foreign-tag.\n",
                others.join(", ")
            ));
        }
        for (host, count) in short.remove(program_id).unwrap_or_default() {
            text.push_str(&format!(
                "# Short links: {} to {host}, their ids inside and out of sight; `affilint \
                 check` reports them as short-link.\n",
                counted(count)
            ));
        }
    }
    if written.is_empty() && seen_programs.is_empty() {
        text.push_str("\n# No affiliate ids were found. The starter config follows.\n\n");
        text.push_str(STARTER);
    }
    Written {
        text,
        programs: written,
    }
}
