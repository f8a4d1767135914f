//! Markdown sources (`.md`, `.markdown`): the files authors commit, checked and fixed where
//! their links are written. A document is read whole (pulldown-cmark parses a whole text)
//! and its destinations found with their source offsets ([`destinations`]), front matter
//! included ([`front_matter`]). Each destination is judged by the same link rules as a
//! page's `<a href>`: they are handed to the page pass as a small document of links, one
//! per line, and raw HTML in the Markdown goes through that pass as it is. A fix changes a
//! destination's bytes only, written by the Markdown's own rules ([`syntax`]), and only
//! when the fixed document reads as the old one apart from those destinations.
//!
//! Disclosures are judged on the built page (a layout adds the footer), unless the config
//! says `[markdown] disclosure = "check"`: then the document is rendered as pulldown-cmark
//! renders it and its disclosure is judged there ([`disclosure`]), its findings moved back to
//! the Markdown.

mod destinations;
mod disclosure;
mod front_matter;
mod lines;
mod syntax;

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::Options;

use crate::compile::Checks;
use crate::errors::DocumentError;
use crate::page::Output;
use crate::page::entities::{DecodedAttr, escape_attribute};
use crate::pass::{self, Pass};
use crate::report::{AffiliateLink, Finding, FindingId, Report};
use destinations::Destination;
use lines::Lines;
use syntax::Syntax;

/// CommonMark with GFM's tables, strikethrough, task lists, footnotes and alerts, and front
/// matter, as Hugo, Jekyll, Eleventy and Astro read posts.
pub(crate) const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_FOOTNOTES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_GFM)
    .union(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS)
    .union(Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS);

/// [`OPTIONS`] for the body after the front matter, which is found apart.
pub(crate) const BODY: Options = OPTIONS
    .difference(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS)
    .difference(Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS);

/// The most a Markdown document may hold: it is read whole.
pub(crate) const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Why a destination is left alone when rewriting it would change how the document reads.
const REREAD: &str = "rewriting it would change how the Markdown reads";

/// The most rounds of tries `fix` makes to place edits that refuse one another (each round
/// reads the document once per edit left): past that, the edits not in yet are refused, so
/// a document crafted to let in one edit a round costs readings linear in its links, not
/// their square. Real documents need one round, or two.
const MAX_ROUNDS: usize = 8;

/// One Markdown document being checked or fixed, fed in chunks.
pub(crate) struct Document<'e, O: Output> {
    checks: &'e Checks,
    fixing: bool,
    text: Vec<u8>,
    output: O,
    finding_sink: Option<Box<dyn FnMut(Finding) + 'e>>,
    affiliate_sink: Option<Box<dyn FnMut(AffiliateLink) + 'e>>,
}

impl<'e, O: Output> Document<'e, O> {
    pub(crate) fn new(checks: &'e Checks, output: O, fixing: bool) -> Self {
        Document {
            checks,
            fixing,
            text: Vec::new(),
            output,
            finding_sink: None,
            affiliate_sink: None,
        }
    }

    pub(crate) fn each_finding(&mut self, sink: impl FnMut(Finding) + 'e) {
        self.finding_sink = Some(Box::new(sink));
    }

    pub(crate) fn each_affiliate_link(&mut self, sink: impl FnMut(AffiliateLink) + 'e) {
        self.affiliate_sink = Some(Box::new(sink));
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
        if self.text.len() + chunk.len() > MAX_BYTES {
            return Err(DocumentError::TooLarge {
                limit: MAX_BYTES >> 20,
            });
        }
        self.text.extend_from_slice(chunk);
        Ok(())
    }

    pub(crate) fn end(mut self) -> Result<(Report, O), DocumentError> {
        let text = std::str::from_utf8(&self.text).map_err(|e| {
            let at = e.valid_up_to();
            DocumentError::NotUtf8 {
                line: self.text[..at].iter().filter(|&&b| b == b'\n').count() + 1,
            }
        })?;
        let checked = check(
            self.checks,
            text,
            self.fixing,
            self.affiliate_sink.as_deref_mut(),
        )?;
        let mut report = checked.report;
        if let Some(sink) = self.finding_sink.as_mut() {
            report.findings.drain(..).for_each(sink);
        }
        let write = |output: &mut O| -> std::io::Result<()> {
            let mut at = 0;
            for (range, bytes) in &checked.edits {
                output.original(&self.text[at..range.start])?;
                output.rewritten(bytes)?;
                at = range.end;
            }
            output.original(&self.text[at..])
        };
        write(&mut self.output).map_err(DocumentError::Write)?;
        Ok((report, self.output))
    }
}

/// New bytes for a range of the document.
type Edit = (Range<usize>, Vec<u8>);

/// What checking a document gave: its report, and (fixing) the edits, in order.
struct Checked {
    report: Report,
    edits: Vec<Edit>,
}

/// A destination as the page pass sees it: `<a href="...">` on a line of its own.
fn as_html(url: &str) -> String {
    let one_line = url.replace(['\n', '\r'], " ");
    format!(
        "<a rel=\"sponsored\" href=\"{}\">x</a>\n",
        escape_attribute(&one_line)
    )
}

/// The links of `destinations`, each as many times as links use it, through the page pass:
/// its report, the output (fixing), and per line of that document the destination it holds.
fn through_pass(
    checks: &Checks,
    destinations: &[&Destination],
    fixing: bool,
    affiliate_sink: Option<&mut (dyn FnMut(AffiliateLink) + '_)>,
) -> Result<(Report, Vec<u8>, Vec<usize>), DocumentError> {
    let mut html = String::new();
    let mut line_of = Vec::new();
    // A link that cannot count is left out: it would only cost the pass.
    let concern = destinations
        .iter()
        .enumerate()
        .filter(|(_, d)| pass::may_concern(checks, &d.url));
    for (index, d) in concern {
        for _ in 0..d.uses.max(1) {
            html.push_str(&as_html(&d.url));
            line_of.push(index);
        }
    }
    let mut pass = Pass::links_only(checks, Vec::new(), fixing);
    if let Some(sink) = affiliate_sink {
        pass.each_affiliate_link(sink);
    }
    pass.write(html.as_bytes())?;
    let (report, out) = pass.end()?;
    Ok((report, out, line_of))
}

/// The `href` of each line of a document [`through_pass`] fixed, decoded.
fn fixed_urls(out: &[u8]) -> Vec<Option<String>> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|line| {
            let start = line.find("href=\"")? + 6;
            let end = start + line[start..].find('"')?;
            Some(DecodedAttr::new(&line[start..end]).text().to_owned())
        })
        .collect()
}

/// A link destination written in a Markdown document, and where: what a site generator
/// renders into an `href`. See [`markdown_links`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MarkdownLink {
    /// The URL it means, escapes and character references decoded.
    pub url: String,
    /// 1-based line where the link starts (its `[`, the `<` of an autolink, a bare URL, a
    /// reference definition's label, a front-matter value).
    pub line: usize,
    /// 1-based column (characters) there.
    pub column: usize,
}

/// The links a Markdown document writes, in document order, each with where it is written:
/// inline links, reference definitions (once each, however many links use them), autolinks,
/// GFM bare URLs and URL values of the front matter (YAML `---` or TOML `+++`), read as
/// [`Engine::checker_for`](crate::Engine::checker_for) reads them. Images are not links;
/// links inside raw HTML are not listed. For mapping what a built page links to back to the
/// source that wrote it.
///
/// ```
/// let post = "+++\nproduct_url = \"https://www.amazon.com/dp/B0\"\n+++\n\nSee [it](https://a.example/x).\n";
/// let links = affilint::markdown_links(post);
/// assert_eq!(links[0].url, "https://www.amazon.com/dp/B0");
/// assert_eq!((links[0].line, links[0].column), (2, 16));
/// assert_eq!((links[1].url.as_str(), links[1].line), ("https://a.example/x", 5));
/// ```
pub fn markdown_links(text: &str) -> Vec<MarkdownLink> {
    let lines = Lines::new(text);
    all_destinations(text)
        .destinations
        .into_iter()
        .map(|d| {
            let (line, column) = lines.position(d.at);
            MarkdownLink {
                url: d.url,
                line,
                column,
            }
        })
        .collect()
}

/// The body's destinations and raw HTML, and the front matter's URL values among the
/// destinations, in document order; those no reader can follow left out.
fn all_destinations(text: &str) -> destinations::Found {
    let mut found = destinations::find(text);
    if let Some((range, yaml)) = found.front_matter.clone() {
        for value in front_matter::urls(&text[range.clone()], range.start, yaml) {
            found.destinations.push(Destination {
                at: value.range.start,
                range: value.range,
                url: value.url,
                syntax: Syntax::Front(value.quote),
                frozen: None,
                uses: 1,
            });
        }
        found.destinations.sort_by_key(|d| d.range.start);
    }
    followable(&mut found.destinations);
    found
}

/// Checks (and when `fixing`, fixes) `text`.
fn check(
    checks: &Checks,
    text: &str,
    fixing: bool,
    mut affiliate_sink: Option<&mut (dyn FnMut(AffiliateLink) + '_)>,
) -> Result<Checked, DocumentError> {
    let lines = Lines::new(text);
    let found = all_destinations(text);
    let mut frozen: Vec<Option<&'static str>> =
        found.destinations.iter().map(|d| d.frozen).collect();
    let mut edits: Vec<Edit> = Vec::new();
    if fixing {
        edits = fix_destinations(checks, text, &found.destinations, &mut frozen)?;
    }
    // What is left: every destination as it now reads (an edited one by its new URL).
    let edited: HashMap<usize, &[u8]> = edits
        .iter()
        .map(|(range, bytes)| (range.start, bytes.as_slice()))
        .collect();
    let left: Vec<Destination> = found
        .destinations
        .iter()
        .zip(&frozen)
        .map(|(d, reason)| match edited.get(&d.range.start) {
            Some(written) => Destination {
                url: syntax::decode(&String::from_utf8_lossy(written), d.syntax)
                    .unwrap_or_else(|| d.url.clone()),
                frozen: None,
                ..d.clone()
            },
            None => Destination {
                frozen: *reason,
                ..d.clone()
            },
        })
        .collect();
    let refs: Vec<&Destination> = left.iter().collect();
    let sink = affiliate_sink.as_deref_mut();
    let (checked, _, line_of) = through_pass(checks, &refs, false, sink)?;
    let mut report = Report {
        links: found.destinations.iter().map(|d| d.uses).sum(),
        affiliate_links: checked.affiliate_links,
        ..Report::default()
    };
    for mut finding in checked.findings {
        let line = finding.line.saturating_sub(1);
        let Some(&index) = line_of.get(line) else {
            continue;
        };
        // A destination that several links use is reported once, where it is written.
        if finding.id == FindingId::MissingRel || is_repeat(&line_of, line) {
            continue;
        }
        let d = &left[index];
        if let Some(reason) = d.frozen {
            let cut = ["; `affilint fix` adds it", "; `affilint fix` replaces it"];
            for suffix in cut {
                if let Some(kept) = finding.message.strip_suffix(suffix) {
                    finding.message = format!("{kept}; cannot be tagged automatically: {reason}");
                }
            }
        }
        let (line, column) = lines.position(d.at);
        finding.line = line;
        finding.column = column;
        finding.offset = d.at;
        report.findings.push(finding);
    }
    // Raw HTML goes through the page pass as it is, its findings moved to where it is.
    for range in &found.html {
        let fragment = &text[range.clone()];
        let mut pass = Pass::links_only(checks, Vec::new(), fixing);
        if let Some(sink) = affiliate_sink.as_deref_mut() {
            pass.each_affiliate_link(sink);
        }
        pass.write(fragment.as_bytes())?;
        let (fragment_report, out) = pass.end()?;
        report.links += fragment_report.links;
        report.affiliate_links += fragment_report.affiliate_links;
        for mut finding in fragment_report.findings {
            let at = range.start + finding.offset;
            let (line, column) = lines.position(at);
            finding.line = line;
            finding.column = column;
            finding.offset = at;
            report.findings.push(finding);
        }
        if fixing && out != fragment.as_bytes() {
            edits.push((range.clone(), out));
        }
    }
    if checks.markdown_disclosure {
        report
            .findings
            .extend(disclosure::findings(checks, text, &lines)?);
    }
    edits.sort_by_key(|(range, _)| range.start);
    report.findings.sort_by_key(|f| f.offset);
    report.changed = !edits.is_empty();
    Ok(Checked { report, edits })
}

/// Leaves out the destinations whose URL holds a control character: it goes nowhere a reader
/// can follow.
fn followable(destinations: &mut Vec<Destination>) {
    destinations.retain(|d| !d.url.contains(|c: char| c.is_control()));
}

/// The edits that tag `destinations` (those not frozen), each written by its syntax's rules;
/// a destination that cannot be written so, or whose edit would make the document read
/// differently, is frozen with the reason instead.
fn fix_destinations(
    checks: &Checks,
    text: &str,
    destinations: &[Destination],
    frozen: &mut [Option<&'static str>],
) -> Result<Vec<Edit>, DocumentError> {
    let open_at: Vec<usize> = (0..destinations.len())
        .filter(|&i| destinations[i].frozen.is_none())
        .collect();
    let open: Vec<&Destination> = open_at.iter().map(|&i| &destinations[i]).collect();
    let (_, out, line_of) = through_pass(checks, &open, true, None)?;
    let mut edits = Vec::new();
    let mut seen = vec![false; open.len()];
    for (line, url) in fixed_urls(&out).iter().enumerate() {
        let (Some(&index), Some(url)) = (line_of.get(line), url) else {
            continue;
        };
        let d = open[index];
        if seen[index] || *url == d.url {
            continue;
        }
        seen[index] = true;
        match syntax::encode(url, d.syntax, &text[d.range.clone()], &d.url) {
            Ok(written) => edits.push((d.range.clone(), written.into_bytes())),
            Err(reason) => frozen[open_at[index]] = Some(reason),
        }
    }
    edits.sort_by_key(|(range, _)| range.start);
    // Edits chosen on top of those already kept, until none is left that can be: what a
    // second fix of the result would do is then nothing (an edit that changed how the
    // document reads may be fine once others are in: emphasis pairs up anew).
    let mut kept = Vec::new();
    let mut refused = edits;
    for _ in 0..MAX_ROUNDS {
        if refused.is_empty() {
            break;
        }
        let (chosen, left) = choose(text, &kept, refused, destinations);
        refused = left;
        if chosen.is_empty() {
            break;
        }
        kept = merged(&kept, chosen);
    }
    let index: HashMap<usize, usize> = destinations
        .iter()
        .enumerate()
        .map(|(i, d)| (d.range.start, i))
        .collect();
    for (range, _) in &refused {
        if let Some(&i) = index.get(&range.start) {
            frozen[i] = Some(REREAD);
        }
    }
    Ok(kept)
}

/// Which of `edits` can go in on top of `kept` without changing how the document reads:
/// all of them together, else those that can alone if they can together, else none; and
/// the others.
fn choose(
    text: &str,
    kept: &[Edit],
    edits: Vec<Edit>,
    destinations: &[Destination],
) -> (Vec<Edit>, Vec<Edit>) {
    let reads_the_same_with =
        |more: &[Edit]| reads_the_same(text, &merged(kept, more.to_vec()), destinations);
    if reads_the_same_with(&edits) {
        return (edits, Vec::new());
    }
    let (alone, mut refused): (Vec<_>, Vec<_>) = edits
        .into_iter()
        .partition(|edit| reads_the_same_with(std::slice::from_ref(edit)));
    if alone.is_empty() || reads_the_same_with(&alone) {
        return (alone, refused);
    }
    refused.extend(alone);
    refused.sort_by_key(|(range, _)| range.start);
    (Vec::new(), refused)
}

/// `kept` and `more`, in document order.
fn merged(kept: &[Edit], more: Vec<Edit>) -> Vec<Edit> {
    let mut all = kept.to_vec();
    all.extend(more);
    all.sort_by_key(|(range, _)| range.start);
    all
}

/// Whether a line of the pass's document repeats the destination of the line before.
fn is_repeat(line_of: &[usize], line: usize) -> bool {
    line > 0 && line_of[line - 1] == line_of[line]
}

/// Whether `text` with `edits` reads as `text` does apart from the edited destinations:
/// the same destinations, in order, each meaning what it meant or its new URL.
fn reads_the_same(text: &str, edits: &[Edit], before: &[Destination]) -> bool {
    let mut fixed = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (range, bytes) in edits {
        fixed.push_str(&text[at..range.start]);
        fixed.push_str(&String::from_utf8_lossy(bytes));
        at = range.end;
    }
    fixed.push_str(&text[at..]);
    let mut after = destinations::find(&fixed);
    followable(&mut after.destinations);
    let in_body = |d: &&Destination| !matches!(d.syntax, Syntax::Front(_));
    let after: Vec<&Destination> = after.destinations.iter().filter(in_body).collect();
    let expected: Vec<&Destination> = before.iter().filter(in_body).collect();
    if after.len() != expected.len()
        || after
            .iter()
            .zip(&expected)
            .any(|(a, b)| a.syntax != b.syntax)
    {
        return false;
    }
    let written: HashMap<usize, &[u8]> = edits
        .iter()
        .map(|(range, bytes)| (range.start, bytes.as_slice()))
        .collect();
    after
        .iter()
        .zip(expected)
        .all(|(a, b)| match written.get(&b.range.start) {
            Some(bytes) => {
                syntax::decode(&String::from_utf8_lossy(bytes), b.syntax).as_deref()
                    == Some(a.url.as_str())
            }
            None => a.url == b.url,
        })
}

#[cfg(test)]
mod tests;
