//! `--format html`: one self-contained page to open and share. Cards for the totals, charts
//! of findings by id and by site section, the pages worst first (each opens onto its
//! findings, their source lines and what their ids mean), the inventory of programs, ids
//! and products, and every finding id in force.
//!
//! Nothing in it is fetched: CSS, SVG and the small script are inline, and the page's
//! Content-Security-Policy forbids every request and every script but its own. Every value
//! taken from a page (paths, messages, source lines, products, ids) is escaped, so a page
//! cannot put markup or script into the report. Unlike the other formats it cannot stream:
//! it is written whole at the end, sorted worst first.

mod chart;
mod sections;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use affilint::{Finding, FindingId, Location, Severity};

use super::{Built, Style, Summary};
use crate::cli::files::{FileError, Side};
use crate::cli::inventory::Counts;
use crate::cli::plural;
use crate::cli::snippet::Snippet;
use chart::Bar;
use sections::{glossary, inventory};

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");
/// The SHA-256 of [`SCRIPT`], base64, as the Content-Security-Policy names it: the only
/// script the report runs (a test holds it to the script).
const SCRIPT_HASH: &str = "sha256-ZexEHTirS39zNT1gvSfYt9GO7AqBRBO/uY6jSmomyFk=";

/// The ids that leave a page without a disclosure a reader sees.
const NO_DISCLOSURE: &[FindingId] = &[
    FindingId::MissingDisclosure,
    FindingId::HiddenDisclosure,
    FindingId::NegatedDisclosure,
];

/// What the report says about the run itself.
pub(crate) struct Meta {
    /// The paths checked, as given.
    pub(crate) paths: Vec<PathBuf>,
    /// When, as the report shows it.
    pub(crate) date: String,
    /// The active programs: id, name and the publisher's ids.
    pub(crate) programs: Vec<(String, String, Vec<String>)>,
    /// The finding ids in force, with their severities.
    pub(crate) checks: Vec<(FindingId, Severity)>,
    /// `fix`: what is left after it.
    pub(crate) fixing: bool,
    /// `fix --diff`: what would be left, nothing written.
    pub(crate) dry_run: bool,
}

/// The HTML report, gathered as findings come and written at the end.
pub(crate) struct Html {
    meta: Meta,
    pages: Mutex<BTreeMap<String, Page>>,
    inventory: Mutex<Option<String>>,
}

/// A page with findings.
#[derive(Default)]
struct Page {
    section: String,
    errors: usize,
    warnings: usize,
    findings: Vec<Record>,
}

/// One finding, as the report shows it.
struct Record {
    line: usize,
    column: usize,
    id: FindingId,
    severity: Severity,
    message: String,
    snippet: Option<Snippet>,
    /// With `--sources`: where the built page has it (`file:line:column`).
    built: Option<String>,
}

impl Html {
    pub(crate) fn new(meta: Meta) -> Html {
        Html {
            meta,
            pages: Mutex::new(BTreeMap::new()),
            inventory: Mutex::new(None),
        }
    }
}

/// `text` with `&`, `<`, `>`, `"` and `'` written as references: safe in text and in quoted
/// attribute values.
pub(super) fn escape(text: &str) -> String {
    references(text, true)
}

/// `text` with `&`, `<` and `>` written as references: safe as element content (not in an
/// attribute value: [`escape`] is for those).
fn text(text: &str) -> String {
    references(text, false)
}

fn references(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The last second a report's date can show (9999-12-31 23:59:59 UTC).
const LAST_DATE: u64 = 253_402_300_799;

/// The report's date: `SOURCE_DATE_EPOCH` (seconds, for reproducible reports; ignored past
/// the year 9999) or now, in UTC.
pub(crate) fn date() -> String {
    let when = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&secs| secs <= LAST_DATE)
        .map_or_else(SystemTime::now, |secs| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
        });
    // `2026-12-01T15:30:00Z` as `2026-12-01 15:30 UTC`.
    let stamp = humantime::format_rfc3339_seconds(when).to_string();
    format!("{} {} UTC", &stamp[..10], &stamp[11..16])
}

/// The part of the site a page belongs to: the year of a `/YYYY/` path, else the first
/// directory under the path checked (`(top)` for the pages right in it). A directory's
/// `index.html` is the page of that directory (`/slug/`), as the site serves it.
fn section(location: &Location, roots: &[PathBuf]) -> String {
    let Some(path) = location.path() else {
        return location.to_string();
    };
    let relative = roots
        .iter()
        .filter_map(|root| path.strip_prefix(root).ok())
        .find(|rest| !rest.as_os_str().is_empty())
        .unwrap_or(path);
    let mut dirs: Vec<&str> = relative
        .parent()
        .unwrap_or(Path::new(""))
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    let index = relative
        .file_stem()
        .is_some_and(|stem| stem.eq_ignore_ascii_case("index"));
    if index {
        dirs.pop();
    }
    let year = dirs
        .iter()
        .find(|d| d.parse::<u16>().is_ok_and(|y| (1990..2100).contains(&y)) && d.len() == 4);
    match (year, dirs.first()) {
        (Some(year), _) => (*year).to_owned(),
        (None, Some(first)) => format!("{first}/"),
        (None, None) => "(top)".to_owned(),
    }
}

impl Style for Html {
    fn wants_snippets(&self) -> bool {
        true
    }

    fn wants_products(&self) -> bool {
        true
    }

    fn finding(&self, location: &Location, f: &Finding, snippet: Option<&Snippet>) -> String {
        self.record(location, f, snippet, None);
        String::new()
    }

    fn mapped_finding(&self, location: &Location, f: &Finding, built: &Built) -> String {
        let at = format!("{}:{}:{}", built.file, built.line, built.column);
        self.record(location, f, None, Some(at));
        String::new()
    }

    fn inventory(&self, counts: &Counts) {
        let section = inventory(counts);
        *self.inventory.lock().unwrap_or_else(|p| p.into_inner()) = Some(section);
    }

    fn close(&self, summary: &Summary, file_errors: &[FileError]) -> String {
        let pages = std::mem::take(&mut *self.pages.lock().unwrap_or_else(|p| p.into_inner()));
        let inventory = self
            .inventory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.document(summary, file_errors, pages, inventory)
    }
}

impl Html {
    /// Keeps a finding of the document at `location` for its page's section.
    fn record(
        &self,
        location: &Location,
        f: &Finding,
        snippet: Option<&Snippet>,
        built: Option<String>,
    ) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let page = pages.entry(location.to_string()).or_insert_with(|| Page {
            section: section(location, &self.meta.paths),
            ..Page::default()
        });
        if f.severity == Severity::Error {
            page.errors += 1;
        } else {
            page.warnings += 1;
        }
        page.findings.push(Record {
            line: f.line,
            column: f.column,
            id: f.id,
            severity: f.severity,
            message: f.message.clone(),
            snippet: snippet.cloned(),
            built,
        });
    }

    fn document(
        &self,
        summary: &Summary,
        file_errors: &[FileError],
        pages: BTreeMap<String, Page>,
        inventory: Option<String>,
    ) -> String {
        let meta = &self.meta;
        let checked = if meta.paths.is_empty() {
            ".".to_owned()
        } else {
            meta.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = String::with_capacity(64 * 1024);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; \
             base-uri 'none'; form-action 'none'\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"affilint {version}\">\n\
             <title>affilint report: {title}</title>\n<style>{CSS}</style></head>\n<body>\n",
            version = env!("CARGO_PKG_VERSION"),
            title = escape(&checked),
        );
        self.header(&mut out, &checked, summary, &pages);
        charts(&mut out, &pages);
        page_list(&mut out, &pages, summary, meta.fixing);
        if let Some(inventory) = inventory {
            out.push_str(&inventory);
        }
        glossary(&mut out, &meta.checks);
        for (side, id, title) in [
            (Side::Read, "not-read", "Not read"),
            (
                Side::Write,
                "not-written",
                "Checked, but the fix could not be written",
            ),
        ] {
            let failed: Vec<&FileError> = file_errors.iter().filter(|e| e.side == side).collect();
            if failed.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "<section id=\"{id}\"><h2>{title}</h2><div class=\"wide\"><table>\
                 <tr><th>File</th><th>What happened</th></tr>"
            );
            for e in failed {
                let _ = write!(
                    out,
                    "<tr><td class=\"path\">{}</td><td>{}</td></tr>",
                    text(&e.location.to_string()),
                    text(&e.message)
                );
            }
            out.push_str("</table></div></section>\n");
        }
        if !summary.notes.is_empty() {
            out.push_str("<section id=\"notes\"><h2>Notes</h2><ul>");
            for note in &summary.notes {
                let _ = write!(out, "<li>{}</li>", text(note));
            }
            out.push_str("</ul></section>\n");
        }
        let _ = write!(
            out,
            "<footer>Made by affilint {version} ({repo}). Nothing in this file is fetched from \
             anywhere.</footer>\n<script>{SCRIPT}</script>\n</body></html>\n",
            version = env!("CARGO_PKG_VERSION"),
            repo = escape(env!("CARGO_PKG_REPOSITORY")),
        );
        out
    }

    /// The title, what was checked and how, and the cards.
    fn header(
        &self,
        out: &mut String,
        checked: &str,
        summary: &Summary,
        pages: &BTreeMap<String, Page>,
    ) {
        let meta = &self.meta;
        let what = match (meta.fixing, meta.dry_run) {
            (_, true) => "What <code>affilint fix</code> would leave (nothing was written)",
            (true, false) => "What is left after <code>affilint fix</code>",
            (false, false) => "affilint report",
        };
        let _ = write!(
            out,
            "<header><h1>{what}</h1><p class=\"meta\">Checked <b>{}</b> on {} with affilint {}.\
             </p>",
            escape(checked),
            escape(&meta.date),
            env!("CARGO_PKG_VERSION"),
        );
        let programs = if meta.programs.is_empty() {
            "none (no program has an affiliate id: findings are about links and disclosures \
             only)"
                .to_owned()
        } else {
            meta.programs
                .iter()
                .map(|(id, name, ids)| {
                    format!(
                        "{} (<code>{}</code>): {}",
                        escape(name),
                        escape(id),
                        ids.iter()
                            .map(|i| format!("<code>{}</code>", escape(i)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(
            out,
            "<p class=\"meta\" id=\"programs\">Programs and ids in force: {programs}. \
             <a href=\"#ids\">{} finding ids</a> on.</p></header>",
            meta.checks.len()
        );
        let undisclosed = pages
            .values()
            .filter(|p| p.findings.iter().any(|f| NO_DISCLOSURE.contains(&f.id)))
            .count();
        let marked = |n: usize, class: &'static str| if n > 0 { class } else { "" };
        let mut cards = vec![
            ("files", "", plural(summary.files, "file")),
            ("links", "", plural(summary.links, "link")),
            (
                "affiliate",
                "",
                format!("{} affiliate links", summary.affiliate_links),
            ),
            (
                "errors",
                marked(summary.errors, "error"),
                plural(summary.errors, "error"),
            ),
            (
                "warnings",
                marked(summary.warnings, "warning"),
                plural(summary.warnings, "warning"),
            ),
            (
                "undisclosed",
                marked(undisclosed, "error"),
                format!("{undisclosed} without a disclosure"),
            ),
        ];
        if let Some(fixed) = summary.fixed {
            let done = if meta.dry_run {
                "would be fixed"
            } else {
                "fixed"
            };
            cards.push(("fixed", "", format!("{fixed} {done}")));
        }
        out.push_str("<section id=\"cards\" class=\"cards\" aria-label=\"Totals\">");
        for (id, class, text) in cards {
            // The number first and large, then what it counts.
            let (number, words) = text.split_once(' ').unwrap_or((&text, ""));
            let _ = write!(
                out,
                "<div class=\"card {class}\" id=\"card-{id}\"><b>{number}</b>{}</div>",
                escape(words)
            );
        }
        out.push_str("</section>\n");
        notices(out, summary);
    }
}

/// What the totals do not say: a run cut short, findings the baseline held back, fixes
/// not written, files not read.
fn notices(out: &mut String, summary: &Summary) {
    let mut notes = Vec::new();
    if let Some(signal) = summary.interrupted {
        notes.push(format!(
            "The run was stopped by {signal}: the pages not reached are missing."
        ));
    }
    if let Some(n) = summary.baselined.filter(|&n| n > 0) {
        notes.push(format!(
            "{} in the baseline left out.",
            plural(n, "finding")
        ));
    }
    if let Some(n) = summary.not_written.filter(|&n| n > 0) {
        notes.push(format!(
            "{} checked, but their fix could not be written (see below).",
            plural(n, "file")
        ));
    }
    if summary.not_read > 0 {
        notes.push(format!(
            "{} could not be read (see below).",
            plural(summary.not_read, "file")
        ));
    }
    for note in notes {
        let _ = writeln!(out, "<p class=\"notice\">{}</p>", text(&note));
    }
}

/// Findings by id and by section.
fn charts(out: &mut String, pages: &BTreeMap<String, Page>) {
    let mut by_id: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut by_section: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for page in pages.values() {
        for f in &page.findings {
            for (map, key) in [
                (&mut by_id, f.id.as_str()),
                (&mut by_section, page.section.as_str()),
            ] {
                let entry = map.entry(key).or_default();
                if f.severity == Severity::Error {
                    entry.0 += 1;
                } else {
                    entry.1 += 1;
                }
            }
        }
    }
    let bars = |map: BTreeMap<&str, (usize, usize)>| -> Vec<Bar> {
        map.into_iter()
            .map(|(label, (errors, warnings))| Bar {
                label: label.to_owned(),
                errors,
                warnings,
            })
            .collect()
    };
    let _ = writeln!(
        out,
        "<section id=\"charts\" class=\"charts\"><div class=\"chart\" id=\"chart-ids\">\
         <h2>Findings by id</h2>{}</div><div class=\"chart\" id=\"chart-sections\">\
         <h2>Findings by section</h2>{}</div></section>",
        chart::bars("Findings by id", bars(by_id)),
        chart::bars("Findings by section", bars(by_section)),
    );
}

/// The pages with findings, worst first, each a collapsed section of its findings.
fn page_list(out: &mut String, pages: &BTreeMap<String, Page>, summary: &Summary, fixing: bool) {
    let mut order: Vec<(&String, &Page)> = pages.iter().collect();
    order.sort_by(|(a_path, a), (b_path, b)| {
        (b.errors, b.warnings)
            .cmp(&(a.errors, a.warnings))
            .then_with(|| a_path.cmp(b_path))
    });
    let clean = summary.files.saturating_sub(pages.len());
    let _ = write!(
        out,
        "<section id=\"pages\"><h2>Pages, worst first</h2><p class=\"meta\">{} with findings, \
         {} without{}.</p>\
         <div class=\"controls\"><input id=\"filter\" type=\"search\" \
         placeholder=\"Filter by path, id or text\" aria-label=\"Filter\">\
         <select id=\"severity\" aria-label=\"Severity\"><option value=\"all\">All \
         severities</option><option value=\"error\">Errors</option><option \
         value=\"warning\">Warnings</option></select>\
         <select id=\"sort\" aria-label=\"Order\"><option value=\"worst\">Worst first</option>\
         <option value=\"most\">Most findings</option><option value=\"path\">By path</option>\
         </select><button id=\"expand\" type=\"button\">Open all</button>\
         <button id=\"collapse\" type=\"button\">Close all</button>\
         <span id=\"shown\" class=\"meta\"></span></div><div id=\"page-list\">",
        plural(pages.len(), "page"),
        clean,
        if fixing { " (after fix)" } else { "" },
    );
    for (rank, (path, page)) in order.into_iter().enumerate() {
        // The worst page opens; the others wait closed, however many there are.
        let open = if rank == 0 { " open" } else { "" };
        let _ = write!(
            out,
            "<details{open}><summary><span class=\"path\">{}</span>",
            text(path)
        );
        if page.errors > 0 {
            let _ = write!(
                out,
                "<span class=\"badge error\">{}</span>",
                plural(page.errors, "error")
            );
        }
        if page.warnings > 0 {
            let _ = write!(
                out,
                "<span class=\"badge warning\">{}</span>",
                plural(page.warnings, "warning")
            );
        }
        out.push_str("</summary>");
        for f in &page.findings {
            finding(out, f);
        }
        out.push_str("</details>\n");
    }
    out.push_str("</div></section>\n");
}

/// One finding: where, how bad, which id, what, and the source line with the element marked.
/// Kept lean: a report of 10,000 findings stays a few megabytes.
fn finding(out: &mut String, f: &Record) {
    let severity = f.severity.as_str();
    let id = f.id.as_str();
    let _ = write!(
        out,
        "<div class=\"finding {severity}\"><p><code>{}:{}</code> <b>{severity}</b> \
         <a href=\"#why-{id}\">{id}</a> {}</p>",
        f.line,
        f.column,
        text(&f.message),
    );
    if let Some(built) = &f.built {
        let _ = write!(
            out,
            "<p class=\"built\">built: <code>{}</code></p>",
            text(built)
        );
    }
    if let Some(snippet) = &f.snippet {
        let chars: Vec<char> = snippet.text.chars().collect();
        let start = snippet.mark.start.min(chars.len());
        let end = snippet.mark.end.clamp(start, chars.len());
        let part = |range: std::ops::Range<usize>| text(&chars[range].iter().collect::<String>());
        let _ = write!(
            out,
            "<pre><i>{}</i>{}<mark>{}</mark>{}</pre>",
            snippet.line,
            part(0..start),
            part(start..end),
            part(end..chars.len()),
        );
    }
    out.push_str("</div>");
}

#[cfg(test)]
mod tests;
