//! Command-line arguments (clap).

use std::path::PathBuf;

use affilint::Kind;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tag affiliate links and check affiliate disclosures in built HTML sites and Markdown sources.
#[derive(Debug, Parser)]
#[command(name = "affilint", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 no error-severity finding, 1 at least one, \
    2 usage, config, rule or I/O error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check files or directories (walked for *.html, *.htm, *.md, *.markdown); never writes them.
    Check(CheckArgs),
    /// Tag links in place (atomically, keeping each file's mode), or into --out DIR.
    Fix(FixArgs),
    /// Explain a finding: what it means, why it matters, how to fix it.
    Explain(ExplainArgs),
    /// Write an affilint.toml: a commented starter, or with --from the ids a site carries
    /// (never overwrites).
    Init(InitArgs),
    /// List the affiliate ids and products the pages link with, per program and host.
    Inventory(InventoryArgs),
    /// List the programs and their hosts, or validate rule files with --check.
    Rules(RulesArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,

    /// The site's Markdown (Hugo's content/, say): each finding on a built page goes to the
    /// file and line of the Markdown that wrote it (JSON adds `built`, SARIF
    /// `relatedLocations`). Repeatable.
    #[arg(long = "sources", value_name = "DIR")]
    pub(crate) sources: Vec<PathBuf>,

    #[cfg(feature = "live")]
    #[command(flatten)]
    pub(crate) live: LiveArgs,
}

/// How a live site (`check https://...`) is read.
#[cfg(feature = "live")]
#[derive(Debug, Args)]
pub(crate) struct LiveArgs {
    /// Live sites: requests in flight at once to the site.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) connections: u16,

    /// Live sites: requests a second to a host at most (robots.txt's Crawl-delay can slow
    /// it further; 0: no limit).
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    pub(crate) rate: f64,

    /// Live sites: pages checked at most.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_pages: u32,

    /// Live sites: find the pages by following the site's own links from each URL given,
    /// breadth first, instead of through its sitemaps.
    #[arg(long)]
    pub(crate) crawl: bool,

    /// Live sites: seconds for a whole request, body included.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: u64,

    /// Live sites: seconds to connect.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) connect_timeout: u64,

    /// Live sites: retries of a request met by 429, 5xx or a network error (with backoff,
    /// honouring Retry-After).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) retries: u32,

    /// Live sites: a page larger than this (MiB, decompressed) is not checked.
    #[arg(long, value_name = "MIB", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_page_mib: u64,
}

#[derive(Debug, Args)]
pub(crate) struct FixArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,

    /// Write a copy of every checked file under DIR (same relative paths) and leave the
    /// inputs alone.
    #[arg(long, value_name = "DIR", conflicts_with = "diff")]
    pub(crate) out: Option<PathBuf>,

    /// Print a unified diff of what fix would change and write nothing; the report goes to
    /// stderr.
    #[arg(long)]
    pub(crate) diff: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// A finding id, e.g. untagged-link; none lists them all.
    #[arg(value_name = "RULE")]
    pub(crate) rule: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the config.
    #[arg(value_name = "FILE", default_value = "affilint.toml")]
    pub(crate) path: PathBuf,

    /// Read these files or directories and write the ids their links carry, per program and
    /// marketplace (the one most links carry; the others in comments).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub(crate) from: Vec<PathBuf>,

    /// A directory of extra rule files (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub(crate) rules: Vec<PathBuf>,

    /// Skip paths matching GLOB when reading --from (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InventoryArgs {
    #[command(flatten)]
    pub(crate) engine: EngineArgs,

    #[command(flatten)]
    pub(crate) walk: WalkArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = InventoryFormat::Human)]
    pub(crate) format: InventoryFormat,

    /// No notes: the inventory only.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InventoryFormat {
    /// Two tables: ids per program and host, then products.
    Human,
    /// One JSON object: {"ids": [...], "products": [...], "summary": {...}}.
    Json,
    /// One CSV table, a row per id and per product (`kind` says which).
    Csv,
}

/// Where the rules and the publisher's ids come from.
#[derive(Debug, Args)]
pub(crate) struct EngineArgs {
    /// Config file [default: ./affilint.toml when it exists].
    #[arg(short = 'c', long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// A directory of extra rule files; a rule with a shipped rule's id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    pub(crate) rules: Vec<PathBuf>,

    /// Set a program's id, overriding the config (repeatable).
    #[arg(long = "tag", value_name = "PROGRAM=ID", value_parser = parse_tag)]
    pub(crate) tags: Vec<(String, String)>,
}

/// Which documents to read.
#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    /// Files or directories to read (`check` also reads live sites and pages by their
    /// `http://` or `https://` URL); none means `.`, `-` reads one document from stdin.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Skip paths matching GLOB (repeatable); matched against the path as walked and relative
    /// to the directory given, or the file name when GLOB has no `/`.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,

    /// Files processed in parallel [default: the number of CPUs].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) jobs: Option<u16>,

    /// Read only documents of TYPE in directories walked (repeatable) [default: both]; with
    /// `--type markdown` alone, standard input is Markdown.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) types: Vec<DocType>,
}

/// A kind of document a walk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DocType {
    /// Built pages: `*.html`, `*.htm`.
    Html,
    /// Markdown sources: `*.md`, `*.markdown` (CommonMark, GFM, front matter).
    Markdown,
}

impl WalkArgs {
    /// The kinds of document a walk reads.
    pub(crate) fn kinds(&self) -> Vec<Kind> {
        let all = [DocType::Html, DocType::Markdown];
        let types = if self.types.is_empty() {
            &all[..]
        } else {
            &self.types[..]
        };
        types
            .iter()
            .map(|t| match t {
                DocType::Html => Kind::Html,
                DocType::Markdown => Kind::Markdown,
            })
            .fold(Vec::new(), |mut kinds, kind| {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
                kinds
            })
    }

    /// How many files are processed at once.
    pub(crate) fn jobs(&self) -> usize {
        self.jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Validate every *.toml rule file in DIR (with line numbers) instead of listing.
    #[arg(long, value_name = "DIR")]
    pub(crate) check: Option<PathBuf>,

    /// A directory of extra rule files to list with the shipped ones (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub(crate) rules: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    #[command(flatten)]
    pub(crate) walk: WalkArgs,

    #[command(flatten)]
    pub(crate) engine: EngineArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,

    /// Write the report to FILE (atomically, once complete) instead of standard output (for
    /// `fix`, not to be confused with `--out DIR`, where fixed copies go).
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// When to colour human output.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// No progress bar, notes or summary line: findings only.
    #[arg(short, long)]
    pub(crate) quiet: bool,

    /// Report (and fail on) only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,

    /// Record the current findings in FILE as the baseline, and exit 0 unless a file could
    /// not be read.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,

    /// Process only shard K of N (1-based): a stable split of the files by path, so N CI jobs
    /// cover a site once between them.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub(crate) shard: Option<(u32, u32)>,

    #[cfg(feature = "live")]
    #[command(flatten)]
    pub(crate) short: ShortArgs,
}

#[cfg(feature = "live")]
/// One `--connect-to` mapping, as curl's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectTo {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) to_host: String,
    pub(crate) to_port: u16,
}

#[cfg(feature = "live")]
impl std::str::FromStr for ConnectTo {
    type Err = String;

    fn from_str(text: &str) -> Result<ConnectTo, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let port = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port (HOST:PORT:HOST2:PORT2)"))
        };
        match parts[..] {
            [host, p, to_host, to_p] if !host.is_empty() && !to_host.is_empty() => Ok(ConnectTo {
                host: host.to_ascii_lowercase(),
                port: port(p)?,
                to_host: to_host.to_owned(),
                to_port: port(to_p)?,
            }),
            _ => Err(format!(
                "`{text}`: expected HOST:PORT:HOST2:PORT2 (as curl's --connect-to)"
            )),
        }
    }
}

/// Where short links go.
#[cfg(feature = "live")]
#[derive(Debug, Args)]
pub(crate) struct ShortArgs {
    /// Ask each short link of a program (amzn.to, a.co, ...) where it goes, without following
    /// it, and judge the link by its target; answers go to --link-cache when given.
    #[arg(long)]
    pub(crate) expand_short_links: bool,

    /// Read (and, with --expand-short-links, write) short links' answers in FILE (JSON, with
    /// the time of each answer): commit it, and offline runs judge short links the same way.
    #[arg(long, value_name = "FILE")]
    pub(crate) link_cache: Option<PathBuf>,

    /// Requests for HOST:PORT (a live site's, a short link's) go to HOST2:PORT2 instead, as
    /// curl's (repeatable).
    #[arg(long, value_name = "HOST:PORT:HOST2:PORT2")]
    pub(crate) connect_to: Vec<ConnectTo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// `file:line:col: severity[rule]: message`, the source line, a hint; then a summary.
    Human,
    /// One `file:line:col: severity[rule]: message` line per finding; then a summary.
    Short,
    /// One JSON object: {"findings": [...], "summary": {...}}.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...`): annotations on the PR.
    Github,
    /// One self-contained HTML page to open and share: totals, charts, pages worst first.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// A table.
    Human,
    /// A JSON array.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is `dumb`.
    Auto,
    Always,
    Never,
}

fn parse_tag(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((program, id)) if !program.is_empty() => Ok((program.to_owned(), id.to_owned())),
        _ => Err(format!(
            "expected PROGRAM=ID, e.g. amazon=mysite-20, got `{value}`"
        )),
    }
}

fn parse_shard(value: &str) -> Result<(u32, u32), String> {
    let usage = || format!("expected K/N with 1 <= K <= N, e.g. 2/4, got `{value}`");
    let (k, n) = value.split_once('/').ok_or_else(usage)?;
    let (k, n): (u32, u32) = (
        k.parse().map_err(|_| usage())?,
        n.parse().map_err(|_| usage())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(usage());
    }
    Ok((k, n))
}

#[cfg(all(test, feature = "live"))]
mod tests {
    use super::*;

    #[test]
    fn connect_to_reads_as_curls() {
        let m: ConnectTo = "shop.example:443:127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            m,
            ConnectTo {
                host: "shop.example".into(),
                port: 443,
                to_host: "127.0.0.1".into(),
                to_port: 8080
            }
        );
        assert!("shop.example:443:127.0.0.1".parse::<ConnectTo>().is_err());
        assert!("shop.example:x:127.0.0.1:1".parse::<ConnectTo>().is_err());
    }
}
