//! The in-page opt-out: a link that carries `data-affilint-ignore`, or sits inside an element
//! that carries it, is skipped: not counted as an affiliate link, never rewritten, no finding.
//!
//! Asking lol_html for an attribute on every element makes it tokenize every start tag in
//! full (1.75x slower over the synthetic blog), so the attribute is found in the raw bytes as
//! they are fed (one `memmem` search), checked to be a real attribute of a start tag in data,
//! and the element that carries it is followed to its end tag.

use std::sync::LazyLock;

use memchr::memmem;

use crate::page::markup::{
    Enclosing, Frame, LOOKBACK, Lex, MAX_FRAMES, context_at, enclosing_start_tag,
};
use crate::page::source::Source;

/// The opt-out attribute, as written (lowercase).
pub(crate) const ATTRIBUTE: &str = "data-affilint-ignore";

static FINDER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(ATTRIBUTE.as_bytes()));

/// The opted-out elements of one document.
#[derive(Debug, Default)]
pub(crate) struct OptOut {
    searched_to: usize,
    /// Occurrences whose start tag is not complete yet.
    pending: Vec<usize>,
    frames: Vec<Frame>,
}

impl OptOut {
    /// Looks at the bytes fed since the last call. Call before lol_html parses them, so the
    /// elements are known when its link handlers ask.
    pub(crate) fn feed(&mut self, source: &Source) {
        let fed = source.fed();
        let from = self
            .searched_to
            .saturating_sub(ATTRIBUTE.len() - 1)
            .max(source.base_offset());
        if let Some(bytes) = source.bytes(from..fed) {
            let searched_to = self.searched_to;
            self.pending.extend(
                FINDER
                    .find_iter(bytes)
                    .map(|at| from + at)
                    .filter(|at| at + ATTRIBUTE.len() > searched_to),
            );
        }
        self.searched_to = fed;
        let frames = &mut self.frames;
        self.pending
            .retain(|&at| match enclosing_start_tag(source, at) {
                Enclosing::None => false,
                Enclosing::Incomplete { long } => !long,
                Enclosing::Tag { start, tag } => {
                    let floor = start.saturating_sub(LOOKBACK).max(source.base_offset());
                    let opens = tag.attribute(ATTRIBUTE.as_bytes()).is_some()
                        && context_at(source, start, floor) == Lex::Data
                        && frames.len() < MAX_FRAMES
                        && !frames.iter().any(|f| f.start() == start);
                    if opens {
                        frames.push(Frame::new(&tag, start, false));
                    }
                    false
                }
            });
        for frame in &mut self.frames {
            frame.follow(source, fed);
        }
    }

    /// Forgets the elements that ended before `done`: no link handler can ask about them.
    pub(crate) fn release(&mut self, done: usize) {
        self.frames.retain(|f| !f.ended_by(done));
    }

    /// Whether the element starting at `at` is opted out (carries the attribute or is
    /// inside an element that does).
    pub(crate) fn covers(&self, at: usize) -> bool {
        self.frames
            .iter()
            .any(|f| f.start() <= at && !f.ended_by(at))
    }

    /// The first offset still needed: the context before pending tags, what the open
    /// elements have not followed yet.
    pub(crate) fn hold(&self, fed: usize) -> usize {
        let pending = self.pending.iter().copied().min().unwrap_or(fed);
        self.frames
            .iter()
            .map(Frame::scan)
            .fold(pending.saturating_sub(LOOKBACK), usize::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(html: &str, chunk: usize) -> Vec<usize> {
        let mut source = Source::new();
        let mut optout = OptOut::default();
        let bytes = html.as_bytes();
        let mut covered = Vec::new();
        for piece in bytes.chunks(chunk) {
            source.push(piece);
            optout.feed(&source);
        }
        for (at, _) in html.match_indices("<a") {
            if optout.covers(at) {
                covered.push(at);
            }
        }
        covered
    }

    #[test]
    fn the_marked_element_and_its_descendants_are_covered() {
        let html = "<a id=0><div data-affilint-ignore><p><a id=1></p><div><a id=2></div></div>\
                    <a id=3><a data-affilint-ignore id=4><a id=5><area data-affilint-ignore>\
                    <a id=6>";
        let starts: Vec<usize> = html.match_indices("<a").map(|(at, _)| at).collect();
        for chunk in [1, 3, 7, html.len()] {
            assert_eq!(
                covered(html, chunk),
                [starts[1], starts[2], starts[4], starts[6]],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn the_attribute_counts_only_as_an_attribute_of_a_start_tag_in_data() {
        for html in [
            "<!-- <div data-affilint-ignore> --><a>",
            "<script>var s = '<div data-affilint-ignore>';</script><a>",
            "<p title=\"data-affilint-ignore\"><a>",
            "<p>&lt;div data-affilint-ignore&gt;</p><a>",
            "<p data-affilint-ignored><a>",
        ] {
            assert_eq!(covered(html, html.len()), Vec::<usize>::new(), "{html}");
        }
    }
}
