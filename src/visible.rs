//! What a reader sees, read only where a disclosure can be.
//!
//! Lexing every page's text is what makes a disclosure check slow (lol_html's own text
//! handlers cost more than half its throughput). A statement can only be where one of its
//! anchor words is (`Associate`, `commission`, ...; see `StatementSet::anchors`), so affilint
//! finds those words with one SIMD multi-pattern search over the raw bytes, and reads the page
//! closely only in a short region around each: there a small lexer skips tags, comments and
//! raw-text elements, decodes the text, and feeds the statement matcher.
//!
//! Whether a region is hidden depends on elements that may have opened long before it. The
//! same search finds the markers of hiding (`hidden`, `display`, `sr-only`, `<template`,
//! `<details`, ...); a marker inside a start tag that really hides its content opens a frame,
//! which follows that element's nesting to its end tag.

use std::collections::VecDeque;
use std::ops::Range;

use aho_corasick::packed;
use encoding_rs::{CoderResult, Encoding, UTF_8};

use crate::disclosure::{Found, Matcher, OffsetMap, Partial, StatementSet, TextStream};
use crate::markup::{
    CLOSES_P, Close, Enclosing, Frame, Lex, RAW_TEXT, Tag, VOID, context_at, enclosing_start_tag,
    find_close, inside_tag, is_one_of, parse_start_tag, tag_name_len,
};
use crate::source::Source;

/// How far before an anchor a region starts: room for markup, and for each word a statement
/// may have before the anchor (the most before any anchor is 14 in the shipped rules).
const PREFIX_MARKUP: usize = 256;
const PREFIX_PER_WORD: usize = 96;
/// The most any region reaches back.
const PREFIX: usize = 4096;
/// How far back the lexical context of a region start is looked for.
const LOOKBACK: usize = 8192;
/// The most hidden elements followed at once.
const MAX_FRAMES: usize = 256;

/// Markers of content hidden from readers, as written in start tags.
/// Patterns are chosen so their first three bytes are rare in real pages (the SIMD search
/// checks every occurrence of them): `y:none` for `display:none`, `n-reader` for
/// `screen-reader-text`, `isually` for `visually-hidden`. Lowercase only: an uppercase `HIDDEN`
/// attribute is not looked for.
const MARKERS: &[&str] = &[
    "hidden",
    "y:none",
    "y: none",
    "sr-only",
    "n-reader",
    "isually",
    "<template",
    "<details",
    "<noscript",
];

/// For the shipped anchors: the part of the word to look for, chosen for a rare leading
/// trigram (rates per million bytes over the corpus's real pages and the synthetic blog:
/// `ociate` 24 against `ssociate` 346, `ipant` 2 against `articipant`'s `art` 283, ...).
const FINGERPRINTS: &[(&str, &str)] = &[
    ("associate", "ociate"),
    ("participant", "ipant"),
    ("verdiene", "rdiene"),
    ("commission", "mmission"),
    ("compensation", "nsation"),
    ("sponsored", "nsored"),
    ("qualifying", "fying"),
    ("#affiliate", "ffiliate"),
];

/// Elements whose tags separate words besides the block-level ones that close a `<p>`
/// ([`CLOSES_P`]): line breaks, list and table parts, form controls, replaced content.
/// Inline elements (`<em>`, `<a>`, `<span>`) and comments do not.
const BREAKING: &[&str] = &[
    "audio", "br", "button", "canvas", "dd", "dialog", "dt", "embed", "iframe", "img", "input",
    "li", "object", "option", "select", "summary", "svg", "tbody", "td", "textarea", "tfoot", "th",
    "thead", "tr", "video",
];

/// Whether a tag named `name` separates words.
fn breaks_words(name: &[u8]) -> bool {
    is_one_of(name, CLOSES_P) || is_one_of(name, BREAKING)
}

/// The words and markers to look for, compiled once.
pub(crate) struct Finder {
    /// Two searchers: with more than a couple of dozen patterns, one SIMD searcher loses
    /// most of its speed (its buckets fill up), so anchors and markers are found apart.
    anchors: Option<packed::Searcher>,
    /// Per anchor pattern: how far before it a region starts.
    prefixes: Vec<usize>,
    markers: Option<packed::Searcher>,
    longest: usize,
    /// Whether every statement has an anchor: otherwise the whole page is read.
    sparse: bool,
}

impl Finder {
    pub(crate) fn new(statements: &StatementSet) -> Finder {
        let Some(anchors) = statements.anchors() else {
            return Finder::whole_page();
        };
        let patterns = anchor_patterns(&anchors);
        let prefixes = patterns
            .iter()
            .map(|(_, words)| (PREFIX_MARKUP + words * PREFIX_PER_WORD).min(PREFIX))
            .collect();
        let patterns: Vec<String> = patterns.into_iter().map(|(p, _)| p).collect();
        let longest = patterns
            .iter()
            .map(String::len)
            .chain(MARKERS.iter().map(|m| m.len()))
            .max()
            .unwrap_or(1);
        let build = |patterns: &[&str]| packed::Config::new().builder().extend(patterns).build();
        let anchor_list: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let (Some(anchors), Some(markers)) = (build(&anchor_list), build(MARKERS)) else {
            return Finder::whole_page();
        };
        Finder {
            anchors: Some(anchors),
            prefixes,
            markers: Some(markers),
            longest,
            sparse: true,
        }
    }

    /// The page is read whole: no anchor to look for.
    fn whole_page() -> Finder {
        Finder {
            anchors: None,
            prefixes: Vec::new(),
            markers: None,
            longest: 1,
            sparse: false,
        }
    }
}

/// The byte patterns that find anchors in any case a page writes them: `associate`,
/// `Associate` and `ASSOCIATE`. An anchor that contains another is left out (the other finds
/// it); a long one is looked for without its first letter, so one pattern serves both
/// lowercase and capitalised. Few patterns keep the SIMD search on its fastest path.
fn anchor_patterns(anchors: &[(String, usize)]) -> Vec<(String, usize)> {
    let kept: Vec<(&String, usize)> = anchors
        .iter()
        .filter(|(a, _)| {
            !anchors
                .iter()
                .any(|(b, _)| b != a && a.contains(b.as_str()))
        })
        .map(|(a, _)| {
            // The anchor finds the words that contain it too: reach back for the farthest.
            let before = anchors
                .iter()
                .filter(|(b, _)| b.contains(a.as_str()))
                .map(|(_, words)| *words)
                .max()
                .unwrap_or(0);
            (a, before)
        })
        .collect();
    let mut patterns: Vec<(String, usize)> = Vec::new();
    for (anchor, before) in kept {
        let fingerprint = FINGERPRINTS
            .iter()
            .find(|(word, _)| word == anchor)
            .map(|(_, part)| *part);
        let variants = if let Some(part) = fingerprint {
            vec![part.to_owned(), part.to_ascii_uppercase()]
        } else if anchor.len() >= 6 && anchor.as_bytes()[0].is_ascii_alphabetic() {
            let tail = &anchor[1..];
            vec![tail.to_owned(), tail.to_ascii_uppercase()]
        } else {
            let capitalised = match anchor.as_bytes() {
                [b'#', second, ..] => {
                    format!(
                        "#{}{}",
                        (*second as char).to_ascii_uppercase(),
                        &anchor[2..]
                    )
                }
                _ => {
                    let mut c = anchor.clone();
                    c[..1].make_ascii_uppercase();
                    c
                }
            };
            vec![anchor.clone(), capitalised, anchor.to_ascii_uppercase()]
        };
        for variant in variants {
            if !patterns.iter().any(|(p, _)| *p == variant) {
                patterns.push((variant, before));
            }
        }
    }
    patterns
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    /// An anchor word, with how far before it its statements may start.
    Anchor(usize),
    Marker,
}

/// Whether a region may end at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Idleness {
    Idle,
    Busy,
    /// Not before more of the page is searched.
    Unknown,
}

/// How far lexing a region got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// The region is over.
    Done,
    /// It reached the limit it was given.
    Reached,
    /// It waits for bytes not fed yet.
    Waiting,
}

/// The close reading of one region.
#[derive(Debug)]
struct Region {
    pos: usize,
    lex: Lex,
    /// The region may end once past this and idle.
    min_end: usize,
    pending_break: bool,
}

/// Reads the statements of one document.
pub(crate) struct Reader<'e> {
    finder: &'e Finder,
    encoding: &'static Encoding,
    searched_to: usize,
    hits: VecDeque<(usize, Hit)>,
    frames: Vec<Frame>,
    /// Tags before this were examined for hiding by a region.
    examined_to: usize,
    /// Positions known to be in data (not in a tag, comment or raw text).
    safe: VecDeque<usize>,
    region: Option<Region>,
    text: TextStream,
    matcher: Matcher<'e>,
    comments: TextStream,
    comment_matcher: Matcher<'e>,
    scratch: String,
    scratch_map: OffsetMap,
}

impl<'e> Reader<'e> {
    pub(crate) fn new(finder: &'e Finder, statements: &'e StatementSet) -> Self {
        let mut reader = Reader {
            finder,
            encoding: UTF_8,
            searched_to: 0,
            hits: VecDeque::new(),
            frames: Vec::new(),
            examined_to: 0,
            safe: VecDeque::from([0]),
            region: None,
            text: TextStream::default(),
            matcher: Matcher::new(statements),
            comments: TextStream::default(),
            comment_matcher: Matcher::new(statements),
            scratch: String::new(),
            scratch_map: OffsetMap::default(),
        };
        if !finder.sparse {
            reader.region = Some(Region {
                pos: 0,
                lex: Lex::Data,
                min_end: usize::MAX,
                pending_break: false,
            });
        }
        reader
    }

    /// The document's encoding (text is decoded with it).
    pub(crate) fn set_encoding(&mut self, encoding: &'static Encoding) {
        self.encoding = encoding;
    }

    /// A position lol_html saw in data (right after a link's start tag): a safe place to
    /// start a region.
    pub(crate) fn note_data(&mut self, offset: usize) {
        if self.safe.back().is_none_or(|&last| last < offset) {
            self.safe.push_back(offset);
            if self.safe.len() > 64 {
                self.safe.pop_front();
            }
        }
    }

    /// The statements found in view so far.
    pub(crate) fn visible_so_far(&self) -> Vec<Found> {
        self.matcher.visible_so_far()
    }

    /// The first offset this reader may still need.
    pub(crate) fn hold(&self, fed: usize) -> usize {
        let mut hold = fed.saturating_sub(LOOKBACK + PREFIX);
        if let Some(&(at, _)) = self.hits.front() {
            hold = hold.min(at.saturating_sub(LOOKBACK + PREFIX));
        }
        if let Some(region) = &self.region {
            hold = hold.min(region.pos).min(match region.lex {
                Lex::Comment { start, .. } | Lex::RawText { start, .. } => start,
                Lex::Data | Lex::Plaintext => usize::MAX,
            });
        }
        for frame in &self.frames {
            hold = hold.min(frame.scan());
        }
        [
            self.matcher.earliest_open_offset(),
            self.text.open_offset(),
            self.comment_matcher.earliest_open_offset(),
            self.comments.open_offset(),
        ]
        .into_iter()
        .flatten()
        .fold(hold, usize::min)
    }

    /// Reads far enough that the statements before `offset` are found.
    pub(crate) fn catch_up(&mut self, source: &mut Source, offset: usize) {
        self.search(source);
        self.read_until(source, offset, false);
    }

    /// Ends the document: the statements found, whole and in part.
    pub(crate) fn finish(&mut self, source: &mut Source) -> (Vec<Found>, Vec<Partial>) {
        self.search(source);
        let fed = source.fed();
        self.read_until(source, fed, true);
        let Reader {
            text,
            matcher,
            comments,
            comment_matcher,
            ..
        } = self;
        text.boundary(&mut |w, o, h| matcher.word(w, o, h, &mut |at| source.ticket(at)));
        comments
            .boundary(&mut |w, o, h| comment_matcher.word(w, o, h, &mut |at| source.ticket(at)));
        let (mut found, partials) = matcher.finish(&mut |at| source.ticket(at));
        let (in_comments, _) = comment_matcher.finish(&mut |at| source.ticket(at));
        found.extend(in_comments);
        (found, partials)
    }

    /// Finds anchors and markers in the bytes fed since the last search.
    fn search(&mut self, source: &Source) {
        let (Some(anchors), Some(markers)) = (&self.finder.anchors, &self.finder.markers) else {
            return;
        };
        let fed = source.fed();
        let from = self
            .searched_to
            .saturating_sub(self.finder.longest - 1)
            .max(source.base_offset());
        let Some(haystack) = source.bytes(from..fed) else {
            return;
        };
        let searched_to = self.searched_to;
        let new = |found: &aho_corasick::Match| from + found.end() > searched_to;
        let prefixes = &self.finder.prefixes;
        let mut hits: Vec<(usize, Hit)> = anchors
            .find_iter(haystack)
            .filter(new)
            // A fingerprint starts a few letters into the word.
            .map(|found| {
                let prefix = prefixes[found.pattern().as_usize()];
                (
                    (from + found.start()).saturating_sub(4),
                    Hit::Anchor(prefix),
                )
            })
            .collect();
        hits.extend(
            markers
                .find_iter(haystack)
                .filter(new)
                .map(|found| (from + found.start(), Hit::Marker)),
        );
        hits.sort_unstable_by_key(|&(at, _)| at);
        self.hits.extend(hits);
        self.searched_to = fed;
    }

    /// Processes hits and regions up to `limit`.
    fn read_until(&mut self, source: &mut Source, limit: usize, end: bool) {
        loop {
            if let Some(region) = &self.region {
                let next_hit = self.hits.front().map_or(usize::MAX, |&(at, _)| at);
                let stop = limit.min(next_hit.max(region.pos + 1));
                let progress = self.lex(source, stop, end && stop >= limit);
                let pos = self.region_pos();
                while self.hits.front().is_some_and(|&(at, _)| at < pos) {
                    if let Some((at, Hit::Anchor(_))) = self.hits.pop_front() {
                        self.extend_region(at);
                    }
                }
                match progress {
                    Progress::Done => self.end_region(source),
                    Progress::Waiting => return,
                    Progress::Reached if pos >= limit => return,
                    Progress::Reached => {}
                }
                continue;
            }
            let Some(&(at, hit)) = self.hits.front() else {
                return;
            };
            if at >= limit {
                return;
            }
            match hit {
                Hit::Marker => {
                    if at >= self.examined_to && !self.examine_marker(source, at, end) {
                        return;
                    }
                    self.hits.pop_front();
                }
                Hit::Anchor(prefix) => {
                    self.hits.pop_front();
                    if !inside_tag(source, at) {
                        self.start_region(source, at, prefix);
                    }
                }
            }
        }
    }

    fn region_pos(&self) -> usize {
        self.region.as_ref().map_or(0, |r| r.pos)
    }

    fn extend_region(&mut self, anchor: usize) {
        if let Some(region) = &mut self.region {
            region.min_end = region.min_end.max(anchor + 1);
        }
    }

    /// The last position known to be in data at or before `at`.
    fn safe_before(&self, at: usize) -> usize {
        self.safe
            .iter()
            .rev()
            .find(|&&s| s <= at)
            .copied()
            .unwrap_or(0)
    }

    /// Starts reading closely a little before `anchor`, unless the anchor is in raw text
    /// (a script, a style sheet): nothing there is read.
    fn start_region(&mut self, source: &mut Source, anchor: usize, prefix: usize) {
        let safe = self.safe_before(anchor);
        let floor = safe.max(source.base_offset());
        let context = context_at(source, anchor, floor.max(anchor.saturating_sub(LOOKBACK)));
        if matches!(context, Lex::RawText { name, .. } if name != "noscript") {
            return;
        }
        let mut start = anchor.saturating_sub(prefix).max(floor);
        let mut lex = Lex::Data;
        if start > safe {
            // Start after a tag's end, in data, unless the text runs all the way.
            if let Some(gt) = source
                .bytes(start..anchor)
                .and_then(|b| memchr::memchr(b'>', b))
            {
                start += gt + 1;
            }
            lex = context_at(source, start, floor.max(start.saturating_sub(LOOKBACK)));
        }
        self.region = Some(Region {
            pos: start,
            lex,
            min_end: anchor + 1,
            pending_break: false,
        });
    }

    fn end_region(&mut self, source: &mut Source) {
        if let Some(region) = self.region.take() {
            let Reader {
                text,
                matcher,
                safe,
                ..
            } = self;
            text.boundary(&mut |w, o, h| matcher.word(w, o, h, &mut |at| source.ticket(at)));
            if safe.back().is_none_or(|&s| s < region.pos) {
                safe.push_back(region.pos);
            }
        }
    }

    /// Looks at the start tag around a marker; opens a frame if the element hides its content.
    /// Returns `false` when the tag is not complete yet.
    fn examine_marker(&mut self, source: &Source, at: usize, end: bool) -> bool {
        match enclosing_start_tag(source, at) {
            Enclosing::None => true,
            Enclosing::Incomplete { long } => end || long,
            Enclosing::Tag { start, tag } => {
                let floor = self
                    .safe_before(start)
                    .max(source.base_offset())
                    .max(start.saturating_sub(LOOKBACK));
                if context_at(source, start, floor) == Lex::Data {
                    self.open_frame(&tag, start);
                }
                true
            }
        }
    }

    fn open_frame(&mut self, tag: &Tag<'_>, start: usize) {
        let Some(collapsed) = tag_hides(tag) else {
            return;
        };
        if self.frames.len() >= MAX_FRAMES || is_one_of(tag.name, VOID) {
            return;
        }
        self.frames.push(Frame::new(tag, start, collapsed));
    }

    /// Whether text at `at` is hidden, following open frames up to it.
    fn hidden_at(&mut self, source: &Source, at: usize) -> bool {
        for frame in &mut self.frames {
            frame.follow(source, at);
        }
        self.frames.retain(|f| !f.ended_by(at));
        self.frames.iter().any(|f| f.hides(at))
    }

    /// Lexes the region up to `limit`.
    fn lex(&mut self, source: &mut Source, limit: usize, end: bool) -> Progress {
        loop {
            let Some(region) = self.region.as_ref() else {
                return Progress::Done;
            };
            let pos = region.pos;
            if pos >= limit {
                // A region ends only at markup (below), never where a limit happens to fall:
                // limits depend on how the input was chunked.
                return if end {
                    Progress::Done
                } else {
                    Progress::Reached
                };
            }
            let lex = region.lex.clone();
            let held = source.bytes(pos..source.fed()).unwrap_or_default();
            let window = (limit - pos).min(held.len());
            if window == 0 {
                return Progress::Waiting;
            }
            match lex {
                Lex::Data => {
                    if held[0] == b'<' {
                        match self.idleness(pos, end) {
                            Idleness::Idle => return Progress::Done,
                            Idleness::Unknown => return Progress::Waiting,
                            Idleness::Busy => {}
                        }
                        match self.markup(source, pos, end) {
                            Some(next) => self.set_pos(next),
                            None => return Progress::Waiting,
                        }
                        continue;
                    }
                    let text = match memchr::memchr(b'<', &held[..window]) {
                        Some(lt) => lt,
                        None => {
                            let Some(len) = self.complete(held, window, end) else {
                                return Progress::Waiting;
                            };
                            len
                        }
                    };
                    self.text_segment(source, pos..pos + text, false);
                    self.set_pos(pos + text);
                }
                Lex::Comment { start, search } => {
                    let from = search.max(pos.min(search));
                    let bytes = source.bytes(from..source.fed()).unwrap_or_default();
                    match memchr::memmem::find(bytes, b"-->") {
                        Some(e) => {
                            let close = from + e;
                            self.comment_text(source, start..close.max(start));
                            self.set_lex(Lex::Data, (close + 3).max(start));
                        }
                        None if end => {
                            let fed = source.fed();
                            self.comment_text(source, start..fed);
                            self.set_lex(Lex::Data, fed);
                        }
                        None => {
                            let fed = source.fed();
                            let search = fed.saturating_sub(2).max(search);
                            self.set_lex(Lex::Comment { start, search }, pos);
                            return Progress::Waiting;
                        }
                    }
                }
                Lex::RawText {
                    name,
                    start,
                    search,
                } => {
                    let bytes = source.bytes(search..source.fed()).unwrap_or_default();
                    match find_close(bytes, name.as_bytes()) {
                        Close::At(close, after) => {
                            if name == "noscript" {
                                self.text_segment(source, start..search + close, true);
                            }
                            self.region_break();
                            self.set_lex(Lex::Data, search + after);
                        }
                        Close::Open(_) | Close::None if end => {
                            self.set_lex(Lex::Data, source.fed());
                        }
                        found => {
                            // Look again from an end tag whose `>` is still to come, or from
                            // where a `</name` cut off by the bytes fed so far could start.
                            let search = match found {
                                Close::Open(close) => search + close,
                                _ => source.fed().saturating_sub(name.len() + 3).max(search),
                            };
                            self.set_lex(
                                Lex::RawText {
                                    name,
                                    start,
                                    search,
                                },
                                pos,
                            );
                            return Progress::Waiting;
                        }
                    }
                }
                Lex::Plaintext => {
                    let Some(window) = self.complete(held, window, end) else {
                        return Progress::Waiting;
                    };
                    self.text_segment(source, pos..pos + window, false);
                    self.set_pos(pos + window);
                }
            }
        }
    }

    /// How much of the text in `held` (the bytes fed from the region's position on) to
    /// decode now, given that reading was asked to stop after `window` bytes: the segment ends
    /// on a character boundary, moving forward over the rest of a character the stop cut
    /// when its bytes are there, back when they are not fed yet. Decoded in two parts, a
    /// character's bytes would become U+FFFD, and the result would depend on where a chunk
    /// or a stop fell. `None`: nothing to decode yet.
    fn complete(&self, held: &[u8], window: usize, end: bool) -> Option<usize> {
        let len = if end || self.encoding.is_single_byte() {
            window
        } else if self.encoding == UTF_8 {
            let continued = held[window..]
                .iter()
                .take(3)
                .take_while(|&&b| b & 0xc0 == 0x80)
                .count();
            let len = window + continued;
            if len == held.len() {
                utf8_complete(&held[..len])
            } else {
                len
            }
        } else {
            // In every ASCII-compatible multi-byte encoding, a byte below 0x40 other than a
            // digit is a whole character (trail bytes start at 0x40, gb18030's digit second
            // bytes aside): a boundary comes right before it.
            let whole = |b: &u8| *b < 0x40 && !b.is_ascii_digit();
            match held[window..].iter().position(whole) {
                Some(ahead) => window + ahead,
                None => held[..window].iter().rposition(whole).map_or(0, |i| i + 1),
            }
        };
        (len > 0).then_some(len)
    }

    /// Whether the region may end at `pos` (a `<`): past its anchors, nothing in progress, and
    /// no anchor left unfound that would keep it going (one whose pattern runs past the bytes
    /// searched so far).
    fn idleness(&self, pos: usize, end: bool) -> Idleness {
        let Some(region) = &self.region else {
            return Idleness::Idle;
        };
        let quiet = pos >= region.min_end
            && region.lex == Lex::Data
            && self.matcher.earliest_open_offset().is_none()
            && self.text.open_offset().is_none();
        if !quiet {
            Idleness::Busy
        } else if end || self.searched_to >= pos + self.finder.longest + 4 {
            Idleness::Idle
        } else {
            Idleness::Unknown
        }
    }

    fn set_pos(&mut self, pos: usize) {
        if let Some(region) = &mut self.region {
            region.pos = pos;
        }
        self.examined_to = self.examined_to.max(pos);
    }

    fn set_lex(&mut self, lex: Lex, pos: usize) {
        if let Some(region) = &mut self.region {
            region.lex = lex;
        }
        self.set_pos(pos);
    }

    fn region_break(&mut self) {
        if let Some(region) = &mut self.region {
            region.pending_break = true;
        }
    }

    /// Handles the markup at `pos` (a `<`); returns where data resumes, or `None` to wait.
    fn markup(&mut self, source: &mut Source, pos: usize, end: bool) -> Option<usize> {
        let rest = source.bytes(pos..source.fed()).unwrap_or_default();
        if rest.len() < 2 && !end {
            return None;
        }
        let next = rest.get(1).copied().unwrap_or(b' ');
        if rest.starts_with(b"<!--") {
            self.set_lex(
                Lex::Comment {
                    start: pos + 4,
                    search: pos + 2,
                },
                pos + 4,
            );
            return Some(pos + 4);
        }
        if rest.len() < 4 && !end && rest.starts_with(b"<!") {
            return None;
        }
        if next == b'!' || next == b'?' {
            return match memchr::memchr(b'>', rest) {
                Some(gt) => Some(pos + gt + 1),
                None if end => Some(source.fed()),
                None => None,
            };
        }
        if next == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
            let name_len = tag_name_len(&rest[2..]);
            let name = &rest[2..2 + name_len];
            let Some(gt) = memchr::memchr(b'>', rest) else {
                return end.then(|| source.fed());
            };
            if breaks_words(name) {
                self.region_break();
            }
            return Some(pos + gt + 1);
        }
        if !next.is_ascii_alphabetic() {
            self.text_segment(source, pos..pos + 1, false);
            return Some(pos + 1);
        }
        let Some(tag) = parse_start_tag(rest) else {
            return end.then(|| source.fed());
        };
        let after = pos + tag.len;
        if breaks_words(tag.name) {
            self.region_break();
        }
        let name = tag.name.to_ascii_lowercase();
        if let Some(raw) = RAW_TEXT.iter().find(|r| r.as_bytes() == name.as_slice()) {
            self.region_break();
            self.set_lex(
                Lex::RawText {
                    name: raw,
                    start: after,
                    search: after,
                },
                after,
            );
            return Some(after);
        }
        if name == b"plaintext" {
            self.set_lex(Lex::Plaintext, after);
            return Some(after);
        }
        self.open_frame(&tag, pos);
        Some(after)
    }

    fn text_segment(&mut self, source: &mut Source, range: Range<usize>, force_hidden: bool) {
        if range.is_empty() {
            return;
        }
        let hidden = force_hidden || self.hidden_at(source, range.start);
        let pending_break = self
            .region
            .as_mut()
            .is_some_and(|r| std::mem::take(&mut r.pending_break));
        self.decode(source, range.clone());
        let Reader {
            text,
            matcher,
            scratch,
            scratch_map,
            ..
        } = self;
        let mut emit =
            |w: &str, o: usize, h: bool| matcher.word(w, o, h, &mut |at| source.ticket(at));
        if pending_break {
            text.boundary(&mut emit);
        }
        text.feed(scratch, scratch_map, hidden, &mut emit);
    }

    fn comment_text(&mut self, source: &mut Source, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        self.decode(source, range.clone());
        let Reader {
            comments,
            comment_matcher,
            scratch,
            scratch_map,
            ..
        } = self;
        let mut emit =
            |w: &str, o: usize, h: bool| comment_matcher.word(w, o, h, &mut |at| source.ticket(at));
        comments.feed(scratch, scratch_map, true, &mut emit);
        comments.boundary(&mut emit);
    }

    /// Decodes held bytes into the scratch string, noting where each part came from.
    fn decode(&mut self, source: &Source, range: Range<usize>) {
        self.scratch.clear();
        let start = range.start;
        self.scratch_map = OffsetMap::contiguous(start);
        let bytes = source.bytes(range).unwrap_or_default();
        let (scratch, map) = (&mut self.scratch, &mut self.scratch_map);
        if self.encoding == UTF_8 {
            let mut at = start;
            for chunk in bytes.utf8_chunks() {
                map.mark(scratch.len(), at);
                scratch.push_str(chunk.valid());
                at += chunk.valid().len();
                if !chunk.invalid().is_empty() {
                    map.mark(scratch.len(), at);
                    scratch.push(char::REPLACEMENT_CHARACTER);
                    at += chunk.invalid().len();
                }
            }
        } else if self.encoding.is_single_byte() {
            let (text, _) = self.encoding.decode_without_bom_handling(bytes);
            // One character per byte.
            for (at, c) in (start..).zip(text.chars()) {
                map.mark(scratch.len(), at);
                scratch.push(c);
            }
        } else {
            // Find where each character starts by decoding byte by byte.
            let mut decoder = self.encoding.new_decoder_without_bom_handling();
            let mut char_start = start;
            for (at, &b) in (start..).zip(bytes) {
                let before = scratch.len();
                let last = at + 1 == start + bytes.len();
                let mut input: &[u8] = &[b];
                loop {
                    scratch.reserve(16);
                    let (result, read, _) = decoder.decode_to_string(input, scratch, last);
                    input = &input[read..];
                    if result == CoderResult::InputEmpty {
                        break;
                    }
                }
                if scratch.len() > before {
                    map.mark(before, char_start);
                    char_start = at + 1;
                }
            }
        }
    }
}

/// The length of `bytes` without a UTF-8 sequence cut off at its end.
fn utf8_complete(bytes: &[u8]) -> usize {
    let len = bytes.len();
    let Some(lead) = bytes
        .iter()
        .rev()
        .take(4)
        .position(|b| !(0x80..0xc0).contains(b))
        .map(|back| len - 1 - back)
    else {
        return len;
    };
    let needs = match bytes[lead] {
        0xc0..0xe0 => 2,
        0xe0..0xf0 => 3,
        0xf0..0xf8 => 4,
        _ => 1,
    };
    if lead + needs > len { lead } else { len }
}

/// `Some(collapsed)` when the element hides its content: `hidden`, `aria-hidden="true"`,
/// inline `display:none` / `visibility:hidden`, a screen-reader-only class, `<template>`,
/// or a closed `<details>` (`collapsed`: its `<summary>` is still seen).
fn tag_hides(tag: &Tag<'_>) -> Option<bool> {
    if tag.name.eq_ignore_ascii_case(b"template") || tag.name.eq_ignore_ascii_case(b"noscript") {
        return Some(false);
    }
    if tag.name.eq_ignore_ascii_case(b"details") {
        return tag.attribute(b"open").is_none().then_some(true);
    }
    if tag.attribute(b"hidden").is_some()
        || tag
            .attribute(b"aria-hidden")
            .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"true"))
    {
        return Some(false);
    }
    if let Some(style) = tag.attribute(b"style") {
        let squeezed: Vec<u8> = style
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(u8::to_ascii_lowercase)
            .collect();
        let has = |needle: &[u8]| memchr::memmem::find(&squeezed, needle).is_some();
        if has(b"display:none") || has(b"visibility:hidden") {
            return Some(false);
        }
    }
    let hiding_class = tag.attribute(b"class").is_some_and(|classes| {
        classes.split(|b| b.is_ascii_whitespace()).any(|c| {
            is_one_of(
                c,
                &[
                    "sr-only",
                    "screen-reader-text",
                    "visually-hidden",
                    "visuallyhidden",
                ],
            )
        })
    });
    hiding_class.then_some(false)
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
        assert_eq!(tag_hides(&tag), Some(false));
        let hides = |t: &[u8]| tag_hides(&parse_start_tag(t).unwrap());
        assert_eq!(
            hides(b"<div style=\"color:red; DISPLAY : none\">"),
            Some(false)
        );
        assert_eq!(hides(b"<span class=\"x sr-only\">"), Some(false));
        assert_eq!(hides(b"<span class=\"x sr-only-focusable\">"), None);
        assert_eq!(hides(b"<details>"), Some(true));
        assert_eq!(hides(b"<details open>"), None);
        assert_eq!(hides(b"<div aria-hidden=false>"), None);
        assert_eq!(hides(b"<input type=hidden>"), None);
    }

    #[test]
    fn anchor_patterns_cover_every_case_with_few_patterns() {
        let anchors: Vec<(String, usize)> = [
            ("associate", 3),
            ("commission", 14),
            ("commissions", 2),
            ("#sponsored", 0),
            ("sponsored", 1),
            ("paid", 1),
            ("#ad", 0),
        ]
        .iter()
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
        let patterns = anchor_patterns(&anchors);
        let words: Vec<&str> = patterns.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            words,
            [
                "ociate", "OCIATE", "mmission", "MMISSION", "nsored", "NSORED", "paid", "Paid",
                "PAID", "#ad", "#Ad", "#AD"
            ]
        );
        let reach = |word: &str| patterns.iter().find(|(p, _)| p == word).map(|(_, n)| *n);
        assert_eq!(
            reach("mmission"),
            Some(14),
            "the farthest of the words it finds"
        );
        assert_eq!(reach("nsored"), Some(1));
        let other = anchor_patterns(&[("statement".to_owned(), 5)]);
        assert_eq!(
            other,
            [("tatement".to_owned(), 5), ("TATEMENT".to_owned(), 5)],
            "other long words drop their first letter"
        );
    }

    #[test]
    fn text_is_decoded_only_up_to_whole_characters() {
        assert_eq!(utf8_complete(b"abc"), 3);
        assert_eq!(utf8_complete("ab\u{e9}".as_bytes()), 4);
        assert_eq!(utf8_complete(b"ab\xc3"), 2);
        assert_eq!(utf8_complete(b"ab\xe2\x82"), 2);
        assert_eq!(utf8_complete(b"ab\xf0\x9f\x98"), 2);
        assert_eq!(utf8_complete("\u{1f600}".as_bytes()), 4);
        // Stray continuation bytes are invalid whatever follows: decode them now.
        assert_eq!(utf8_complete(b"ab\x80\x80\x80\x80"), 6);
    }

    #[test]
    fn words_break_only_at_block_markup() {
        assert!(breaks_words(b"BR"));
        assert!(breaks_words(b"p"));
        assert!(breaks_words(b"menu"));
        assert!(!breaks_words(b"em"));
        assert!(!breaks_words(b"pre-x"));
    }
}
