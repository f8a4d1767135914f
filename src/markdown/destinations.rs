//! Where a Markdown document writes link destinations, found with pulldown-cmark and its
//! source offsets: inline links, reference definitions (once however many links use them),
//! autolinks, GFM's bare URLs, and the raw HTML that may hold links of its own. Images are
//! not links; code spans, code blocks and template code (`{{< ... >}}`, `{{ ... }}`,
//! `{% ... %}`) are never read for links to edit.

use std::ops::Range;
use std::sync::LazyLock;

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, LinkType, Parser, Tag, TagEnd};

use super::syntax::{self, Syntax};
use super::{BODY, front_matter};

/// One destination as the document writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    /// Where findings on it point: the link's `[`, the `<` of an autolink, the bare URL, the
    /// reference definition's label.
    pub(crate) at: usize,
    /// The destination's own bytes in the document.
    pub(crate) range: Range<usize>,
    /// The URL it means (escapes and references decoded).
    pub(crate) url: String,
    /// How it is written, which decides how a new value is written.
    pub(crate) syntax: Syntax,
    /// Why fix must leave it alone, if it must.
    pub(crate) frozen: Option<&'static str>,
    /// How many links use it (a reference definition may serve several, or none).
    pub(crate) uses: usize,
}

/// What a document's body holds: its destinations, and the raw HTML that may hold links.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) destinations: Vec<Destination>,
    /// Raw HTML (a block, or an inline tag) that mentions `href`.
    pub(crate) html: Vec<Range<usize>>,
    /// Where the front matter's text is, when there is one.
    pub(crate) front_matter: Option<(Range<usize>, bool)>,
}

/// Template code: `{{ ... }}` (Hugo shortcodes `{{< >}}` and `{{% %}}` among them) and
/// `{% ... %}`. A destination inside is written by the template language, not Markdown.
fn templates(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'{', &bytes[i..]) {
        let start = i + at;
        let close: &[u8] = match bytes.get(start + 1) {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            _ => {
                i = start + 1;
                continue;
            }
        };
        match memchr::memmem::find(&bytes[start + 2..], close) {
            Some(end) => {
                let end = start + 2 + end + 2;
                spans.push(start..end);
                i = end;
            }
            // An unclosed one (`{{` in prose, say) is not template code.
            None => i = start + 2,
        }
    }
    spans
}

fn overlaps(spans: &[Range<usize>], range: &Range<usize>) -> bool {
    spans
        .iter()
        .any(|s| s.start < range.end && range.start < s.end)
}

/// How a reference definition a link uses is found: its span and destination.
type Definition = (Range<usize>, String);

/// Finds the destinations and raw HTML of `text`. Front matter counts only at the very top
/// (as site generators read it): the body after it is parsed on its own, so a pair of `---`
/// rules further down is Markdown, not front matter.
pub(crate) fn find(text: &str) -> Found {
    let templates = templates(text);
    let mut found = Found::default();
    let base = match front_matter::block(text) {
        Some((content, end, yaml)) => {
            found.front_matter = Some((content, yaml));
            end
        }
        None => 0,
    };
    let body = &text[base..];
    let at = |r: Range<usize>| r.start + base..r.end + base;
    let mut events = Parser::new_ext(body, BODY).into_offset_iter();
    // Per reference definition used (by where it starts): its index in `found.destinations`.
    let mut used: HashMap<usize, usize> = HashMap::new();
    // Inside an image or a code block: no link is read there, and no text searched.
    let mut images = 0usize;
    let mut code = 0usize;
    // Where the HTML block being read started.
    let mut block: Option<usize> = None;
    // Text, merged while it is contiguous in the source.
    let mut run: Option<Range<usize>> = None;
    while let Some((event, range)) = events.next() {
        let range = at(range);
        if let Event::Text(_) = event {
            if images == 0 && code == 0 {
                run = match run.take() {
                    Some(r) if r.end == range.start => Some(r.start..range.end),
                    Some(r) => {
                        bare_urls(text, r, &templates, &mut found.destinations);
                        Some(range)
                    }
                    None => Some(range),
                };
            }
            continue;
        }
        if let Some(r) = run.take() {
            bare_urls(text, r, &templates, &mut found.destinations);
        }
        match event {
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::End(TagEnd::Image) => images = images.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => code += 1,
            Event::End(TagEnd::CodeBlock) => code = code.saturating_sub(1),
            Event::Start(Tag::HtmlBlock) => block = Some(range.start),
            // A whole HTML block is one fragment: a tag or comment may span its lines.
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(start) = block.take() {
                    html_fragment(text, start..range.end, &templates, &mut found.html);
                }
            }
            Event::InlineHtml(_) if images == 0 => {
                html_fragment(text, range, &templates, &mut found.html);
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                id,
                ..
            }) if images == 0 => {
                // The link's text ends past its last inner event; its content holds no
                // other link to read, and no bare URL (it is the link's text).
                let mut text_end = range.start + 1;
                let mut depth = 1usize;
                for (inner, inner_range) in events.by_ref() {
                    let inner_range = at(inner_range);
                    match inner {
                        Event::Start(Tag::Link { .. }) => depth += 1,
                        Event::End(TagEnd::Link) => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    if inner_range.end <= range.end {
                        text_end = text_end.max(inner_range.end);
                    }
                }
                // The definition as the parser matched the label (Unicode case folding).
                let definition: Option<Definition> = events
                    .reference_definitions()
                    .get(&id)
                    .map(|def| (at(def.span.clone()), def.dest.to_string()));
                let link = Link {
                    kind: link_type,
                    url: &dest_url,
                    range,
                    text_end,
                };
                link.destination(text, &templates, definition, &mut used, &mut found);
            }
            _ => {}
        }
    }
    if let Some(r) = run.take() {
        bare_urls(text, r, &templates, &mut found.destinations);
    }
    found.destinations.sort_by_key(|d| d.range.start);
    found
}

/// Keeps a raw HTML fragment that may hold a link (it mentions `href`), unless template code
/// writes it.
fn html_fragment(
    text: &str,
    range: Range<usize>,
    templates: &[Range<usize>],
    html: &mut Vec<Range<usize>>,
) {
    let fragment = text[range.clone()].as_bytes();
    let mentions = fragment.windows(4).any(|w| w.eq_ignore_ascii_case(b"href"));
    if mentions && !overlaps(templates, &range) {
        html.push(range);
    }
}

/// A link as pulldown-cmark reports it, and where its text ends.
struct Link<'a, 'e> {
    kind: LinkType,
    url: &'a CowStr<'e>,
    range: Range<usize>,
    text_end: usize,
}

/// Why a destination is left alone when it is not written as it reads.
const UNUSUAL: &str = "its destination is written in a way affilint does not rewrite";
const TEMPLATE: &str = "it is inside template code";

impl Link<'_, '_> {
    /// Adds the link's destination to `found` (a reference definition once: the links that
    /// use it again count as uses).
    fn destination(
        &self,
        text: &str,
        templates: &[Range<usize>],
        definition: Option<Definition>,
        used: &mut HashMap<usize, usize>,
        found: &mut Found,
    ) {
        let frozen = |range: &Range<usize>, syntax: Syntax, url: &str| {
            if overlaps(templates, range) {
                Some(TEMPLATE)
            } else if syntax::decode(&text[range.clone()], syntax).as_deref() != Some(url) {
                Some(UNUSUAL)
            } else {
                None
            }
        };
        let destinations = &mut found.destinations;
        match self.kind {
            LinkType::Inline => {
                let Some((range, syntax)) =
                    syntax::inline_destination(text, self.text_end, self.range.end)
                else {
                    return;
                };
                destinations.push(Destination {
                    at: self.range.start,
                    frozen: frozen(&range, syntax, self.url),
                    range,
                    url: self.url.to_string(),
                    syntax,
                    uses: 1,
                });
            }
            LinkType::Autolink => {
                let range = self.range.start + 1..self.range.end.saturating_sub(1);
                if range.is_empty() {
                    return;
                }
                destinations.push(Destination {
                    at: self.range.start,
                    frozen: overlaps(templates, &range).then_some(TEMPLATE),
                    range,
                    url: self.url.to_string(),
                    syntax: Syntax::Autolink,
                    uses: 1,
                });
            }
            LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut => {
                let Some((span, url)) = definition else {
                    return;
                };
                if let Some(&index) = used.get(&span.start) {
                    destinations[index].uses += 1;
                    return;
                }
                let Some((range, syntax)) = syntax::definition_destination(text, span.clone())
                else {
                    return;
                };
                used.insert(span.start, destinations.len());
                destinations.push(Destination {
                    at: span.start,
                    frozen: frozen(&range, syntax, &url),
                    range,
                    url,
                    syntax,
                    uses: 1,
                });
            }
            // Email autolinks and the like go to no program.
            _ => {}
        }
    }
}

/// How a bare URL starts, in any case.
static SCHEMES: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["https://", "http://", "www."])
        .expect("bare URL schemes")
});

/// GFM's bare URLs (`https://...`, `www....`) in a run of text, by the extended autolink
/// rules: up to a space or `<`, without trailing punctuation or an unbalanced `)`.
fn bare_urls(
    text: &str,
    run: Range<usize>,
    templates: &[Range<usize>],
    destinations: &mut Vec<Destination>,
) {
    let source = &text[run.clone()];
    let mut from = 0;
    while let Some(found) = SCHEMES.find(&source[from..]) {
        let i = from + found.start();
        from = i + 1;
        let rest = &source[i..];
        // GFM: at the start of a line, after whitespace or one of `*`, `_`, `~`, `(`.
        let before = (run.start + i).checked_sub(1).map(|b| text.as_bytes()[b]);
        let boundary = before.is_none_or(|b| b.is_ascii_whitespace() || b"*_~(".contains(&b));
        if !boundary {
            continue;
        }
        let len = syntax::bare_url_len(rest);
        // A URL the run cuts short (emphasis delimiters inside it) is not read as one.
        if len == 0 || syntax::bare_url_len(&text[run.start + i..]) != len {
            continue;
        }
        let url = &rest[..len];
        let range = run.start + i..run.start + i + len;
        // Only a run the parser read as it is written is edited: no escape or reference
        // in it (the source then is the text).
        let plain = !url.contains(['\\', '&']);
        let frozen = if overlaps(templates, &range) {
            Some(TEMPLATE)
        } else if !plain {
            Some(UNUSUAL)
        } else {
            None
        };
        let url = if url.as_bytes()[..4].eq_ignore_ascii_case(b"www.") {
            format!("http://{url}")
        } else {
            url.to_owned()
        };
        destinations.push(Destination {
            at: range.start,
            range,
            url,
            syntax: Syntax::Bare,
            frozen,
            uses: 1,
        });
        from = i + len;
    }
}
