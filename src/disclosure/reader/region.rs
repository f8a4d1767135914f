//! The close reading of one region of the page: a small lexer that skips tags, comments and
//! raw-text elements, notes which tags separate words or hide content, and feeds the decoded
//! text to the statement matcher.

use std::ops::Range;

use super::{Idleness, Lexed, Reader};
use crate::page::elements::{Break, RAW_TEXT, breaks};
use crate::page::markup::{Close, Lex, find_close, parse_start_tag, tag_name_len};
use crate::page::source::Source;

impl Reader<'_> {
    /// Lexes the region up to `limit`.
    pub(super) fn lex(&mut self, source: &mut Source, limit: usize, end: bool) -> Lexed {
        loop {
            let Some(region) = self.region.as_ref() else {
                return Lexed::Done;
            };
            let pos = region.pos;
            if pos >= limit {
                // A region ends only at markup (below), never where a limit happens to fall:
                // limits depend on how the input was chunked.
                return if end { Lexed::Done } else { Lexed::Reached };
            }
            let lex = region.lex.clone();
            let held = source.bytes(pos..source.fed()).unwrap_or_default();
            let window = (limit - pos).min(held.len());
            if window == 0 {
                return Lexed::Waiting;
            }
            match lex {
                Lex::Data => {
                    if held[0] == b'<' {
                        match self.idleness(pos, end) {
                            Idleness::Idle => return Lexed::Done,
                            Idleness::Unknown => return Lexed::Waiting,
                            Idleness::Busy => {}
                        }
                        match self.markup(source, pos, end) {
                            Some(next) => self.set_pos(next),
                            None => return Lexed::Waiting,
                        }
                        continue;
                    }
                    let text = match memchr::memchr(b'<', &held[..window]) {
                        Some(lt) => lt,
                        None => {
                            let Some(len) = self.complete(held, window, end) else {
                                return Lexed::Waiting;
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
                            return Lexed::Waiting;
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
                            if name == "style" {
                                self.add_style_block(source, start..search + close);
                            }
                            self.region_break(Break::Sentence);
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
                            return Lexed::Waiting;
                        }
                    }
                }
                Lex::Plaintext => {
                    let Some(window) = self.complete(held, window, end) else {
                        return Lexed::Waiting;
                    };
                    self.text_segment(source, pos..pos + window, false);
                    self.set_pos(pos + window);
                }
            }
        }
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

    fn region_break(&mut self, kind: Break) {
        if let Some(region) = &mut self.region {
            region.pending_break = region.pending_break.max(Some(kind));
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
            if let Some(kind) = breaks(name) {
                self.region_break(kind);
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
        if let Some(kind) = breaks(tag.name) {
            self.region_break(kind);
        }
        let name = tag.name.to_ascii_lowercase();
        if let Some(raw) = RAW_TEXT.iter().find(|r| r.as_bytes() == name.as_slice()) {
            self.region_break(Break::Sentence);
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
        let hidden = force_hidden || self.is_hidden(source, range.start);
        let pending_break = self.region.as_mut().and_then(|r| r.pending_break.take());
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
        match pending_break {
            Some(Break::Sentence) => text.end_sentence(&mut emit),
            Some(Break::Word) => text.boundary(&mut emit),
            None => {}
        }
        text.feed(scratch, scratch_map, hidden, &mut emit);
        self.judge_fresh(source);
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
        comments.end_sentence(&mut emit);
    }
}
