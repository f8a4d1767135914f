//! Reading HTML markup from raw bytes, for the sparse readers that look closely only at a few
//! places of a page (disclosure regions, hidden-content markers, opt-out markers): start tags
//! parsed as the tokenizer does, the lexical context of a position, and elements followed to
//! their end tag. lol_html remains the parser of record; these helpers only answer questions
//! it has no cheap way to answer.

use std::ops::Range;

use super::elements::{CLOSES_P, RAW_TEXT, VOID, is_one_of};
use super::source::Source;
use crate::style::Node;

/// How far back a sparse reader looks for the lexical context of a position (an unclosed
/// comment or raw-text element).
pub(crate) const LOOKBACK: usize = 8192;
/// The most elements a sparse reader follows at once (more are nested hundreds deep: not a
/// page a reader reads).
pub(crate) const MAX_FRAMES: usize = 256;

/// Where the lexer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lex {
    /// In text or between tags.
    Data,
    /// In a comment whose text starts at `start`; `search` is where to look for `-->`.
    Comment { start: usize, search: usize },
    /// In a raw-text element (`name`) whose content starts at `start`; `search` is where to
    /// look for its end tag.
    RawText {
        name: &'static str,
        start: usize,
        search: usize,
    },
    /// After `<plaintext>`: the rest is text.
    Plaintext,
}

/// An element followed from its start tag to its end tag, by name: same-name tags nest, an
/// end tag closes, an open `<p>` ends at a start tag that closes it and an open `<a>` at the
/// next `<a>`.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// The element's name, lowercase.
    name: Box<[u8]>,
    /// Where the start tag begins.
    start: usize,
    /// A closed `<details>`: its `<summary>` is seen.
    collapsed: bool,
    /// How many same-name elements are open inside it, itself included.
    depth: u32,
    /// The first byte not followed yet.
    scan: usize,
    /// Where its end tag (or the tag that ends it) starts, once known.
    end: Option<usize>,
    /// For a closed `<details>`: the `<summary>` ranges, which readers do see.
    summaries: Vec<Range<usize>>,
    summary_open: Option<usize>,
}

impl Frame {
    /// The element whose start tag `tag` begins at `start`; `collapsed` for a closed
    /// `<details>`, whose `<summary>` ranges are noted. A void element ends with its tag.
    pub(crate) fn new(tag: &Tag<'_>, start: usize, collapsed: bool) -> Frame {
        let content = start + tag.len;
        Frame {
            name: tag.name.to_ascii_lowercase().into_boxed_slice(),
            start,
            collapsed,
            depth: 1,
            scan: content,
            end: is_one_of(tag.name, VOID).then_some(content),
            summaries: Vec::new(),
            summary_open: None,
        }
    }

    /// Where the start tag begins.
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    /// The element's name, lowercase.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// The first byte still to be followed.
    pub(crate) fn scan(&self) -> usize {
        self.scan
    }

    /// Whether the element is known to have ended at or before `at`.
    pub(crate) fn ended_by(&self, at: usize) -> bool {
        self.end.is_some_and(|end| end <= at)
    }

    /// Follows the element's tags up to `to`.
    pub(crate) fn follow(&mut self, source: &Source, to: usize) {
        if self.end.is_some() || self.scan >= to {
            return;
        }
        let Some(bytes) = source.bytes(self.scan..to) else {
            self.scan = to;
            return;
        };
        let mut i = 0;
        while let Some(lt) = memchr::memchr(b'<', &bytes[i..]) {
            let at = i + lt;
            let rest = &bytes[at + 1..];
            let closing = rest.first() == Some(&b'/');
            let name_start = usize::from(closing);
            let name_len = tag_name_len(&rest[name_start..]);
            if name_start + name_len >= rest.len() {
                // The name may go on past `to`: look again later.
                self.scan += at;
                return;
            }
            let name = &rest[name_start..name_start + name_len];
            let absolute = self.scan + at;
            if name.eq_ignore_ascii_case(&self.name) {
                if closing {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.end = Some(absolute);
                        return;
                    }
                } else if &*self.name == b"a" {
                    // Links do not nest: a new `<a>` ends the open one.
                    self.end = Some(absolute);
                    return;
                } else {
                    self.depth += 1;
                }
            } else if &*self.name == b"p" && !closing && is_one_of(name, CLOSES_P) {
                self.end = Some(absolute);
                return;
            } else if self.collapsed && name.eq_ignore_ascii_case(b"summary") {
                if closing {
                    if let Some(open) = self.summary_open.take() {
                        self.summaries.push(open..absolute);
                    }
                } else if self.depth == 1 {
                    self.summary_open = Some(absolute);
                }
            }
            i = at + 1;
        }
        self.scan = to;
    }

    /// Whether content at `at` (inside the element) is hidden: all of it, or for a closed
    /// `<details>` all but its `<summary>`.
    pub(crate) fn hides(&self, at: usize) -> bool {
        if !self.collapsed {
            return true;
        }
        let in_summary = self.summaries.iter().any(|r| r.contains(&at))
            || self.summary_open.is_some_and(|open| open <= at);
        !in_summary
    }
}

/// A start tag's name, attributes and length in bytes.
pub(crate) struct Tag<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) attributes: Vec<(&'a [u8], &'a [u8])>,
    pub(crate) len: usize,
}

impl Tag<'_> {
    /// The value of attribute `name` (ASCII case-insensitive), if the tag has it.
    pub(crate) fn attribute(&self, name: &[u8]) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

impl Node for Tag<'_> {
    fn name(&self) -> &[u8] {
        self.name
    }

    fn attribute(&self, name: &[u8]) -> Option<&[u8]> {
        Tag::attribute(self, name)
    }
}

pub(crate) fn tag_name_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
        .count()
}

/// Parses the start tag at the start of `bytes` (which begin with `<` and a letter), as the
/// HTML tokenizer does: quotes only matter around attribute values.
pub(crate) fn parse_start_tag(bytes: &[u8]) -> Option<Tag<'_>> {
    let mut attributes = Vec::new();
    let (name, len) = walk_start_tag(bytes, |name, value| attributes.push((name, value)))?;
    Some(Tag {
        name,
        attributes,
        len,
    })
}

/// The length of the tag at the start of `bytes`, read as [`parse_start_tag`] reads it
/// (an end tag from its `/`), without keeping its attributes.
fn tag_len(bytes: &[u8]) -> Option<usize> {
    walk_start_tag(bytes, |_, _| {}).map(|(_, len)| len)
}

/// Reads the start tag at the start of `bytes`, handing each attribute to `attribute`: its
/// name and its length, or `None` when the tag does not end in `bytes`.
fn walk_start_tag<'a>(
    bytes: &'a [u8],
    mut attribute: impl FnMut(&'a [u8], &'a [u8]),
) -> Option<(&'a [u8], usize)> {
    let name_len = tag_name_len(&bytes[1..]);
    let name = &bytes[1..1 + name_len];
    let mut i = 1 + name_len;
    let space = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/');
    loop {
        while i < bytes.len() && space(bytes[i]) {
            i += 1;
        }
        if *bytes.get(i)? == b'>' {
            return Some((name, i + 1));
        }
        let name_start = i;
        i += 1;
        while i < bytes.len() && !space(bytes[i]) && !matches!(bytes[i], b'=' | b'>') {
            i += 1;
        }
        let key = &bytes[name_start..i];
        while i < bytes.len() && matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            attribute(key, &b""[..]);
            continue;
        }
        i += 1;
        while i < bytes.len() && matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        let value = match bytes.get(i)? {
            quote @ (b'"' | b'\'') => {
                let close = memchr::memchr(*quote, &bytes[i + 1..])?;
                let value = &bytes[i + 1..i + 1 + close];
                i += close + 2;
                value
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'>')
                {
                    i += 1;
                }
                &bytes[start..i]
            }
        };
        attribute(key, value);
    }
}

/// What encloses a position found in the raw bytes.
pub(crate) enum Enclosing<'a> {
    /// Not a start tag (text, an end tag, a comment, ...).
    None,
    /// A start tag that is not complete in the bytes fed so far; `long` when it has run on
    /// for more than 64 KB, too long to wait for.
    Incomplete { long: bool },
    /// The start tag beginning at `start`.
    Tag { start: usize, tag: Tag<'a> },
}

/// The start tag `at` is in, if any: the nearest `<` before it (within 1 KB) opens a start tag
/// that no `>` closes before `at`. Whether that tag is itself in data (not in a comment or raw
/// text) is the caller's question; see [`context_at`].
pub(crate) fn enclosing_start_tag(source: &Source, at: usize) -> Enclosing<'_> {
    let floor = at.saturating_sub(1024).max(source.base_offset());
    let Some(before) = source.bytes(floor..at + 1) else {
        return Enclosing::None;
    };
    let Some(lt) = memchr::memrchr(b'<', before) else {
        return Enclosing::None;
    };
    if memchr::memchr(b'>', &before[lt..before.len() - 1]).is_some() {
        return Enclosing::None;
    }
    let start = floor + lt;
    let Some(rest) = source.bytes(start..source.fed()) else {
        return Enclosing::None;
    };
    if !rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
        return Enclosing::None;
    }
    match parse_start_tag(rest) {
        Some(tag) => Enclosing::Tag { start, tag },
        None => Enclosing::Incomplete {
            long: rest.len() > 64 * 1024,
        },
    }
}

/// Where the start tags of the elements open at `at` begin, innermost first, as far back as
/// [`LOOKBACK`] and the bytes held go: start tags open, end tags close by name, and the end
/// tags HTML implies are implied (a block closes an open `<p>`, an `<li>` the open `<li>`, a
/// cell the open cell, ...); void and self-closing tags open nothing; comments and raw text
/// are skipped, the window's start too when it falls in one (`safe` is a place known to be
/// in data). An element opened before that window is not among them.
pub(crate) fn open_elements(source: &Source, at: usize, safe: usize) -> Vec<usize> {
    let mut floor = at.saturating_sub(LOOKBACK).max(source.base_offset());
    let lookback = safe
        .max(floor.saturating_sub(LOOKBACK))
        .max(source.base_offset());
    let held = source.bytes(floor..at).unwrap_or_default();
    match context_at(source, floor, lookback) {
        Lex::Comment { .. } => match memchr::memmem::find(held, b"-->") {
            Some(end) => floor += end + 3,
            None => return Vec::new(),
        },
        Lex::RawText { name, .. } => match find_close(held, name.as_bytes()) {
            Close::At(_, end) => floor += end,
            _ => return Vec::new(),
        },
        Lex::Data | Lex::Plaintext => {}
    }
    let Some(bytes) = source.bytes(floor..at) else {
        return Vec::new();
    };
    let mut open: Vec<(usize, &[u8])> = Vec::new();
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &bytes[i..]) {
        let pos = i + lt;
        let rest = &bytes[pos..];
        if rest.starts_with(b"<!--") {
            match memchr::memmem::find(&rest[4..], b"-->") {
                Some(end) => i = pos + 4 + end + 3,
                None => break,
            }
            continue;
        }
        if rest.get(1) == Some(&b'/') {
            let name = &rest[2..2 + tag_name_len(&rest[2..])];
            if let Some(k) = open.iter().rposition(|(_, n)| n.eq_ignore_ascii_case(name)) {
                open.truncate(k);
            }
            i = pos + 2;
            continue;
        }
        if !rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            i = pos + 1;
            continue;
        }
        let Some(tag) = parse_start_tag(rest) else {
            break;
        };
        let after = pos + tag.len;
        imply_end_tags(&mut open, tag.name);
        if RAW_TEXT
            .iter()
            .any(|r| tag.name.eq_ignore_ascii_case(r.as_bytes()))
        {
            match find_close(&bytes[after..], tag.name) {
                Close::At(_, end) => i = after + end,
                // `at` is in raw text: no element of the page.
                _ => return Vec::new(),
            }
            continue;
        }
        if !is_one_of(tag.name, VOID) && !bytes[..after].ends_with(b"/>") {
            open.push((floor + pos, tag.name));
        }
        i = after;
    }
    open.iter().rev().map(|&(start, _)| start).collect()
}

/// The end tags HTML implies before a start tag `name`: the elements it closes, if one is
/// open and not outside the element that holds them (an `<li>` closes the open `<li>` of its
/// own list, not one of an outer list).
const IMPLIED: &[(&[&str], &[&str], &[&str])] = &[
    // (start tags, elements they close, elements that stop the search)
    (&["li"], &["li"], &["ul", "ol", "menu"]),
    (&["dt", "dd"], &["dt", "dd"], &["dl"]),
    (&["td", "th"], &["td", "th"], &["tr", "table"]),
    (
        &["tr"],
        &["tr", "td", "th"],
        &["table", "tbody", "thead", "tfoot"],
    ),
    (
        &["tbody", "thead", "tfoot"],
        &["tbody", "thead", "tfoot", "tr", "td", "th"],
        &["table"],
    ),
    (&["option"], &["option"], &["select", "datalist"]),
];

fn imply_end_tags(open: &mut Vec<(usize, &[u8])>, name: &[u8]) {
    let named = |n: &[u8], list: &[&str]| list.iter().any(|l| n.eq_ignore_ascii_case(l.as_bytes()));
    if is_one_of(name, CLOSES_P)
        && let Some(p) = open.iter().rposition(|(_, n)| n.eq_ignore_ascii_case(b"p"))
        && !open[p..].iter().any(|(_, n)| named(n, &["button"]))
    {
        open.truncate(p);
    }
    for (starts, closes, stops) in IMPLIED {
        if !named(name, starts) {
            continue;
        }
        let closed = open
            .iter()
            .rposition(|(_, n)| named(n, closes) || named(n, stops))
            .filter(|&k| named(open[k].1, closes));
        if let Some(k) = closed {
            // The outermost of the run of closed elements (`<tr>` closes its cell too).
            let mut first = k;
            while first > 0 && named(open[first - 1].1, closes) {
                first -= 1;
            }
            open.truncate(first);
        }
    }
}

/// Whether `at` is inside a start tag (an attribute name or value): the nearest `<` before it
/// starts a tag and no `>` follows that `<` before `at`.
pub(crate) fn inside_tag(source: &Source, at: usize) -> bool {
    let floor = at.saturating_sub(1024).max(source.base_offset());
    let Some(before) = source.bytes(floor..at) else {
        return false;
    };
    let Some(lt) = memchr::memrchr(b'<', before) else {
        return false;
    };
    before.get(lt + 1).is_some_and(|b| b.is_ascii_alphabetic())
        && memchr::memchr(b'>', &before[lt..]).is_none()
}

/// What a search for a raw-text element's end tag found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Close {
    /// `</name` starts at `.0` and the tag ends, after its `>`, at `.1`.
    At(usize, usize),
    /// `</name` starts here, but the rest of the tag is not there yet: search again from
    /// here once more bytes are (its attributes may run on for a while).
    Open(usize),
    /// No end tag in these bytes.
    None,
}

/// Finds `</name` followed by a tag-name end, case-insensitively, and the end of that tag
/// (which may carry attributes, quoted `>` and all, as the tokenizer reads them).
pub(crate) fn find_close(bytes: &[u8], name: &[u8]) -> Close {
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + lt;
        let rest = &bytes[at..];
        if rest.len() >= name.len() + 3
            && rest[1] == b'/'
            && rest[2..2 + name.len()].eq_ignore_ascii_case(name)
            && matches!(
                rest[2 + name.len()],
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'
            )
        {
            // Read from the `/` as if it were a start tag's `<`: the same attribute rules.
            return match parse_start_tag(&rest[1..]) {
                Some(tag) => Close::At(at, at + 1 + tag.len),
                None => Close::Open(at),
            };
        }
        i = at + 1;
    }
    Close::None
}

/// The lexical context at `pos`, read forward from `floor` (a place known to be in data):
/// inside an unclosed comment, an unclosed raw-text element, or in data (a position inside
/// a tag is in data). Tags are read as the tokenizer reads them, quoted `>` and all, so a
/// `<style>` inside a comment or an attribute opens nothing, and every caller sees the same
/// markup from the same floor.
pub(crate) fn context_at(source: &Source, pos: usize, floor: usize) -> Lex {
    context_and_data(source, pos, floor).0
}

/// [`context_at`], and the last place the reading went through in data (a later reading
/// can start there).
pub(crate) fn context_and_data(source: &Source, pos: usize, floor: usize) -> (Lex, usize) {
    let base = floor.min(pos);
    let Some(bytes) = source.bytes(base..pos) else {
        return (Lex::Data, base);
    };
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + lt;
        let rest = &bytes[at..];
        let data = base + at;
        if rest.starts_with(b"<!--") {
            // `<!-->` and `<!--->` are whole comments too.
            match memchr::memmem::find(&rest[2..], b"-->") {
                Some(end) => i = at + 2 + end + 3,
                None => {
                    let comment = Lex::Comment {
                        start: data + 4,
                        search: data + 2,
                    };
                    return (comment, data);
                }
            }
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_at = 1 + usize::from(closing);
        if !rest.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            // `<!...>`, `<?...>` and `</ ...>` are bogus comments up to the next `>`; a lone
            // `<` is text.
            let bogus = matches!(rest.get(1), Some(b'!' | b'?' | b'/'));
            match memchr::memchr(b'>', &rest[1..]) {
                Some(gt) if bogus => i = at + 1 + gt + 1,
                None if bogus => return (Lex::Data, data),
                _ => i = at + 1,
            }
            continue;
        }
        // An end tag's attributes are read like a start tag's.
        let Some(len) = tag_len(&rest[name_at - 1..]) else {
            return (Lex::Data, data);
        };
        let name = &rest[name_at..name_at + tag_name_len(&rest[name_at..])];
        let after = at + name_at - 1 + len;
        let raw = RAW_TEXT
            .iter()
            .find(|r| r.as_bytes().eq_ignore_ascii_case(name));
        match raw {
            Some(raw) if !closing => match find_close(&bytes[after..], name) {
                Close::At(_, end) => i = after + end,
                _ => {
                    let raw = Lex::RawText {
                        name: raw,
                        start: base + after,
                        search: base + after,
                    };
                    return (raw, data);
                }
            },
            _ if !closing && name.eq_ignore_ascii_case(b"plaintext") => {
                return (Lex::Plaintext, data);
            }
            _ => i = after,
        }
    }
    (Lex::Data, base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_tags_parse_like_the_tokenizer() {
        let tag = parse_start_tag(b"<p class=\"a > b\" hidden data-x='1' id=z>rest").unwrap();
        assert_eq!(tag.name, b"p");
        assert_eq!(tag.len, 40);
        assert_eq!(tag.attribute(b"class"), Some(&b"a > b"[..]));
        assert_eq!(tag.attribute(b"HIDDEN"), Some(&b""[..]));
        assert_eq!(tag.attribute(b"id"), Some(&b"z"[..]));
        assert!(parse_start_tag(b"<p class=\"unterminated").is_none());
    }

    #[test]
    fn the_context_is_read_forward_as_the_tokenizer_reads_it() {
        let page = "<!-- <style> --><p title='<style>'>a<style>b{}</style><!-->c<script x='>'>d";
        let mut source = Source::new();
        source.push(page.as_bytes());
        let at = |needle: &str| page.find(needle).unwrap();
        assert_eq!(context_at(&source, at("a<style"), 0), Lex::Data);
        assert!(matches!(
            context_at(&source, at("b{}"), 0),
            Lex::RawText { name: "style", .. }
        ));
        assert_eq!(context_at(&source, at("c<script"), 0), Lex::Data);
        assert!(matches!(
            context_at(&source, at("d"), 0),
            Lex::RawText { name: "script", .. }
        ));
        // A `<style>` in a comment is text of the comment, one in an attribute a value.
        let comment = "<!--x<style>y";
        let mut source = Source::new();
        source.push(comment.as_bytes());
        assert_eq!(
            context_at(&source, comment.len(), 0),
            Lex::Comment {
                start: 4,
                search: 2
            }
        );
    }

    #[test]
    fn close_tags_are_found_case_insensitively() {
        assert_eq!(
            find_close(b"var a = '</scr'; </SCRIPT >x", b"script"),
            Close::At(17, 27)
        );
        assert_eq!(find_close(b"</scripts>", b"script"), Close::None);
    }

    #[test]
    fn a_close_tag_with_attributes_ends_at_its_own_end() {
        assert_eq!(
            find_close(b"x</title a=\">\" b>y", b"title"),
            Close::At(1, 17)
        );
        // Its end is not there yet: the search must come back to it.
        assert_eq!(find_close(b"x</title a=\">\" b", b"title"), Close::Open(1));
    }
}
