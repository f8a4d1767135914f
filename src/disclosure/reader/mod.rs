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

mod decode;
mod finder;
mod region;
mod styles;

use std::collections::VecDeque;
use std::sync::Arc;

use encoding_rs::{Encoding, UTF_8};

pub(crate) use finder::Finder;
use finder::PREFIX;

use super::matcher::{Found, Matcher, Partial, StatementSet};
use super::words::{OffsetMap, TextStream};
use crate::page::elements::{Break, VOID, is_one_of};
use crate::page::hiding::{Hiding, tag_hiding};
use crate::page::markup::{
    Enclosing, Frame, LOOKBACK, Lex, MAX_FRAMES, Tag, context_and_data, context_at,
    enclosing_start_tag, inside_tag,
};
use crate::page::source::Source;
use crate::style::{Sheet, Thresholds};

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
enum Lexed {
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
    pending_break: Option<Break>,
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
    /// The page's style sheets that matter, in document order, and where each parsed sheet
    /// comes from; `None`: styles are not read.
    styles: Option<Styles<'e>>,
}

/// Where the site's sheet an `href` names comes from.
type Linked<'e> = Box<dyn Fn(&str) -> Option<Arc<Sheet>> + 'e>;

/// The page's styles, as far as they are read.
pub(crate) struct Styles<'e> {
    thresholds: Thresholds,
    /// The site's sheet that a `<link rel=stylesheet href>` names.
    linked: Option<Linked<'e>>,
    /// The page's sheets in document order: its `<style>` blocks (their text, read only when
    /// a statement is judged) and the site's sheets it links to.
    sheets: Vec<styles::PageSheet>,
    /// How much `<style>` text is kept.
    kept: usize,
    /// Where the last `<style>` block read ends: none is read twice.
    read_to: usize,
    /// Statements that are rendered but hard to read: where they start, and why.
    faint: Vec<(usize, String)>,
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
            styles: None,
        };
        if !finder.sparse {
            reader.region = Some(Region {
                pos: 0,
                lex: Lex::Data,
                min_end: usize::MAX,
                pending_break: None,
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

    /// The last statement in view (caught up to), as the word count where it ended, and how
    /// many words were read since; exact when the whole page is read.
    pub(crate) fn words_since_statement(&self) -> Option<(u64, u64)> {
        self.matcher.words_since_statement()
    }

    /// The first offset this reader may still need.
    pub(crate) fn hold(&self, fed: usize) -> usize {
        let mut hold = fed.saturating_sub(LOOKBACK + PREFIX);
        if let Some(&(at, _)) = self.hits.front() {
            hold = hold.min(at.saturating_sub(LOOKBACK + PREFIX));
        }
        // A statement found is judged by the elements open at its start, read back from the
        // bytes before it: those stay, however the page was chunked.
        let back = if self.styles.is_some() { LOOKBACK } else { 0 };
        if let Some(region) = &self.region {
            hold = hold
                .min(region.pos.saturating_sub(back))
                .min(match region.lex {
                    Lex::Comment { start, .. } | Lex::RawText { start, .. } => start,
                    Lex::Data | Lex::Plaintext => usize::MAX,
                });
        }
        for frame in &self.frames {
            hold = hold.min(frame.scan());
        }
        [
            self.matcher
                .earliest_open_offset()
                .map(|at| at.saturating_sub(back)),
            self.text.open_offset().map(|at| at.saturating_sub(back)),
            self.comment_matcher.earliest_open_offset(),
            self.comments.open_offset(),
        ]
        .into_iter()
        .flatten()
        .fold(hold, usize::min)
    }

    /// Reads far enough that the statements before `offset` (as far as lol_html has parsed)
    /// are found.
    pub(crate) fn catch_up(&mut self, source: &mut Source, offset: usize) {
        self.search(source);
        self.read_until(source, offset, false, false);
    }

    /// [`Reader::catch_up`] to `offset`, where lol_html has just met a start tag: no tag runs
    /// across it.
    pub(crate) fn catch_up_to_tag(&mut self, source: &mut Source, offset: usize) {
        self.search(source);
        self.read_until(source, offset, true, false);
    }

    /// Ends the document: the statements found, whole and in part.
    pub(crate) fn finish(&mut self, source: &mut Source) -> (Vec<Found>, Vec<Partial>) {
        self.search(source);
        let fed = source.fed();
        self.read_until(source, fed, false, true);
        self.text
            .end_sentence(&mut |w, o, h| self.matcher.word(w, o, h, &mut |at| source.ticket(at)));
        self.judge_fresh(source);
        let Reader {
            matcher,
            comments,
            comment_matcher,
            ..
        } = self;
        comments.end_sentence(&mut |w, o, h| {
            comment_matcher.word(w, o, h, &mut |at| source.ticket(at))
        });
        let (mut found, partials) = matcher.finish(&mut |at| source.ticket(at));
        let (in_comments, _) = comment_matcher.finish(&mut |at| source.ticket(at));
        found.extend(in_comments);
        (found, partials)
    }

    /// Finds anchors and markers in the bytes fed since the last search.
    fn search(&mut self, source: &Source) {
        let Some(markers) = &self.finder.markers else {
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
        let mut hits: Vec<(usize, Hit)> = Vec::new();
        for anchors in &self.finder.anchors {
            anchors.each(haystack, |start, end, prefix| {
                if from + end > searched_to {
                    // A fingerprint starts a few letters into the word.
                    hits.push(((from + start).saturating_sub(4), Hit::Anchor(prefix)));
                }
            });
        }
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
    fn read_until(&mut self, source: &mut Source, limit: usize, at_tag: bool, end: bool) {
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
                    Lexed::Done => self.end_region(source),
                    Lexed::Waiting => return,
                    Lexed::Reached if pos >= limit => return,
                    Lexed::Reached => {}
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
                    if at >= self.examined_to
                        && !self.examine_marker(source, at, limit, at_tag, end)
                    {
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
        let (context, data) =
            context_and_data(source, anchor, floor.max(anchor.saturating_sub(LOOKBACK)));
        // The next anchors' readings start from there.
        self.note_data(data);
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
            let from = if data <= start {
                data
            } else {
                floor.max(start.saturating_sub(LOOKBACK))
            };
            lex = context_at(source, start, from);
        }
        self.region = Some(Region {
            pos: start,
            lex,
            min_end: anchor + 1,
            pending_break: None,
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
            text.end_sentence(&mut |w, o, h| matcher.word(w, o, h, &mut |at| source.ticket(at)));
            if safe.back().is_none_or(|&s| s < region.pos) {
                safe.push_back(region.pos);
            }
            self.judge_fresh(source);
        }
    }

    /// Looks at the start tag around a marker; opens a frame if the element hides its content.
    /// Returns `false` when the tag is not complete yet.
    ///
    /// With `at_tag`, lol_html has met a start tag at `limit`: a "tag" that would run past it
    /// is not one lol_html saw (an unclosed quote, say) and is passed over, whether its end is
    /// fed yet or not; before that, it is waited for. So the verdict never depends on how the
    /// page was chunked.
    fn examine_marker(
        &mut self,
        source: &Source,
        at: usize,
        limit: usize,
        at_tag: bool,
        end: bool,
    ) -> bool {
        match enclosing_start_tag(source, at) {
            Enclosing::None => true,
            Enclosing::Incomplete { long } => end || long || (at_tag && source.fed() >= limit),
            Enclosing::Tag { start, tag } if !end && start + tag.len > limit => at_tag,
            Enclosing::Tag { start, tag } => {
                let style = tag.name.eq_ignore_ascii_case(b"style");
                let link = tag.name.eq_ignore_ascii_case(b"link") && self.links_sheets();
                // Most tags a marker is in hide nothing: their context is not looked up.
                if !style && !link && !tag_hiding(&tag).hides() {
                    return true;
                }
                let floor = self
                    .safe_before(start)
                    .max(source.base_offset())
                    .max(start.saturating_sub(LOOKBACK));
                if context_at(source, start, floor) != Lex::Data {
                    return true;
                }
                if style {
                    return self.read_style_block(source, start + tag.len, end);
                }
                if link {
                    self.read_linked(&tag);
                }
                self.open_frame(&tag, start);
                true
            }
        }
    }

    fn open_frame(&mut self, tag: &Tag<'_>, start: usize) {
        let hiding = tag_hiding(tag);
        if !hiding.hides() || self.frames.len() >= MAX_FRAMES || is_one_of(tag.name, VOID) {
            return;
        }
        self.frames
            .push(Frame::new(tag, start, hiding == Hiding::AllButSummary));
    }

    /// Whether content at `at` (caught up to) is hidden, following open frames up to it.
    pub(crate) fn is_hidden(&mut self, source: &Source, at: usize) -> bool {
        self.hidden_by(source, at).is_some()
    }

    /// Where the outermost element known to hide content starts, if one is open.
    pub(crate) fn hiding_from(&self) -> Option<usize> {
        self.frames.iter().map(Frame::start).min()
    }

    /// The outermost element that hides content at `at` (caught up to): where its start
    /// tag begins, and its name.
    pub(crate) fn hidden_by(&mut self, source: &Source, at: usize) -> Option<(usize, &[u8])> {
        for frame in &mut self.frames {
            frame.follow(source, at);
        }
        self.frames.retain(|f| !f.ended_by(at));
        self.frames
            .iter()
            .filter(|f| f.hides(at))
            .min_by_key(|f| f.start())
            .map(|f| (f.start(), f.name()))
    }
}

/// The statements a reader sees in `html`, a whole document in UTF-8 (the configured insert).
pub(crate) fn visible_statements(
    finder: &Finder,
    statements: &StatementSet,
    html: &[u8],
) -> Vec<Found> {
    let mut source = Source::new();
    source.push(html);
    let mut reader = Reader::new(finder, statements);
    let (found, _) = reader.finish(&mut source);
    found.into_iter().filter(Found::counts).collect()
}
