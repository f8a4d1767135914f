//! What a reader sees, as words: text decoded (character references, the page's encoding)
//! and normalised (letters lowercased, apostrophes joined, every other punctuation or space a
//! boundary), each word with the document offset where it starts.

use crate::page::entities::{CharRef, char_ref};

/// The pseudo-word a tokenizer emits where a sentence ends: a `.`, `!` or `?` followed by a
/// space and a word that does not start in lowercase (`e.g. the` and `Amazon.com` go on), or
/// a block boundary. No statement runs across one.
pub(crate) const SENTENCE_END: &str = ".";
/// The pseudo-word for a clause boundary (`,` `;` `:` or a bracket): a negation stops there.
pub(crate) const CLAUSE_END: &str = ",";

/// Whether `word` is one of the pseudo-words ([`SENTENCE_END`], [`CLAUSE_END`]).
pub(crate) fn is_boundary(word: &str) -> bool {
    word == SENTENCE_END || word == CLAUSE_END
}

/// Where the tokenizer is after sentence-ending punctuation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stop {
    #[default]
    None,
    /// Right after `.`, `!` or `?` (and any closing quotes or brackets).
    Mark,
    /// After that and a space: a word that does not start in lowercase starts a sentence.
    Spaced,
}

/// Splits visible text into normalised words, each with the byte offset where it starts,
/// and the sentence and clause boundaries between them.
#[derive(Debug, Default)]
pub(crate) struct Tokenizer {
    word: String,
    start: usize,
    hidden: bool,
    stop: Stop,
}

impl Tokenizer {
    /// Feeds one character that starts at byte `offset` of the document; `hidden` says
    /// whether it is in hidden content.
    #[inline]
    pub(crate) fn push(
        &mut self,
        c: char,
        offset: usize,
        hidden: bool,
        mut emit: impl FnMut(&str, usize, bool),
    ) {
        if c.is_alphanumeric() {
            if self.word.is_empty() {
                if self.stop == Stop::Spaced && !c.is_lowercase() {
                    emit(SENTENCE_END, offset, hidden);
                }
                self.stop = Stop::None;
                self.start = offset;
                self.hidden = hidden;
            }
            if c.is_ascii() {
                self.word.push(c.to_ascii_lowercase());
            } else {
                self.word.extend(c.to_lowercase());
            }
        } else if matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{2bc}') && !self.word.is_empty() {
            // it's, Amazon’s: apostrophes join.
        } else if matches!(
            c,
            '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
        ) {
            // Soft hyphen and zero-width characters are invisible: they join.
        } else if c == '#' && self.word.is_empty() {
            self.start = offset;
            self.hidden = hidden;
            self.word.push('#');
        } else {
            self.flush(&mut emit);
            self.stop = match (c, self.stop) {
                ('.' | '!' | '?' | '\u{2026}' | '\u{3002}', _) => Stop::Mark,
                (_, Stop::Mark) if c.is_whitespace() => Stop::Spaced,
                (_, Stop::Spaced) if c.is_whitespace() => Stop::Spaced,
                ('"' | '\'' | ')' | ']' | '\u{201d}' | '\u{2019}' | '\u{bb}', Stop::Mark) => {
                    Stop::Mark
                }
                (',' | ';' | ':' | '(' | ')' | '[' | ']', _) => {
                    emit(CLAUSE_END, offset, hidden);
                    Stop::None
                }
                _ => Stop::None,
            };
        }
    }

    /// Where the word being read started, if one is.
    pub(super) fn open_offset(&self) -> Option<usize> {
        (!self.word.is_empty()).then_some(self.start)
    }

    /// Ends the current word, if any.
    pub(crate) fn flush(&mut self, mut emit: impl FnMut(&str, usize, bool)) {
        if !self.word.is_empty() && self.word != "#" {
            emit(&self.word, self.start, self.hidden);
        }
        self.word.clear();
    }

    /// Ends the current word and the sentence (a block boundary).
    fn end_sentence(&mut self, offset: usize, mut emit: impl FnMut(&str, usize, bool)) {
        self.flush(&mut emit);
        emit(SENTENCE_END, offset, self.hidden);
        self.stop = Stop::None;
    }
}

/// Where each byte of a decoded string came from in the document. Decoding changes lengths
/// (a windows-1252 `é` is one byte in the page and two in UTF-8, an invalid byte becomes a
/// three-byte U+FFFD) and text runs skip markup, so offsets are mapped, not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OffsetMap {
    /// `(index in the string, document offset)`, ascending; from each point on, one string
    /// byte per document byte up to the next point.
    points: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// A string that is the document's bytes from `offset` on, unchanged.
    pub(crate) fn contiguous(offset: usize) -> OffsetMap {
        OffsetMap {
            points: vec![(0, offset)],
        }
    }

    /// Notes that string byte `index` comes from document offset `offset`.
    pub(crate) fn mark(&mut self, index: usize, offset: usize) {
        if let Some(&(last_index, last_offset)) = self.points.last() {
            if offset == last_offset + (index - last_index) {
                return;
            }
            if last_index == index {
                self.points.pop();
            }
        }
        self.points.push((index, offset));
    }

    /// The document offset of string byte `index`.
    pub(crate) fn at(&self, index: usize) -> usize {
        let k = self.points.partition_point(|&(i, _)| i <= index);
        match k.checked_sub(1).map(|k| self.points[k]) {
            Some((i, offset)) => offset + (index - i),
            None => self.points.first().map_or(index, |&(_, offset)| offset),
        }
    }

    /// The map of the string from byte `from` on.
    fn tail(&self, from: usize) -> OffsetMap {
        let mut tail = OffsetMap::contiguous(self.at(from));
        for &(i, offset) in self.points.iter().filter(|&&(i, _)| i > from) {
            tail.mark(i - from, offset);
        }
        tail
    }

    /// Appends the map of a string appended at byte `at`.
    fn append(&mut self, at: usize, other: &OffsetMap) {
        for &(i, offset) in &other.points {
            self.mark(at + i, offset);
        }
    }
}

/// Decodes character references in text chunks and feeds the characters, with their offsets,
/// to a tokenizer. A reference cut by a chunk boundary is held until the next chunk.
#[derive(Debug, Default)]
pub(crate) struct TextStream {
    tokenizer: Tokenizer,
    pending: String,
    pending_map: OffsetMap,
    hidden: bool,
    /// The document offset of the last byte fed.
    last: usize,
}

impl TextStream {
    /// Feeds a chunk of raw text (it may contain references) whose bytes come from the
    /// document offsets `map` gives.
    pub(crate) fn feed(
        &mut self,
        chunk: &str,
        map: &OffsetMap,
        hidden: bool,
        emit: &mut impl FnMut(&str, usize, bool),
    ) {
        self.hidden = hidden;
        if !chunk.is_empty() {
            self.last = map.at(chunk.len() - 1);
        }
        if self.pending.is_empty() {
            let used = self.feed_decoded(chunk, map, false, emit);
            if used < chunk.len() {
                self.pending.push_str(&chunk[used..]);
                self.pending_map = map.tail(used);
            }
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            let mut joined_map = std::mem::take(&mut self.pending_map);
            joined_map.append(joined.len(), map);
            joined.push_str(chunk);
            let used = self.feed_decoded(&joined, &joined_map, false, emit);
            if used < joined.len() {
                self.pending.push_str(&joined[used..]);
                self.pending_map = joined_map.tail(used);
            }
        }
    }

    /// The earliest offset a word still being read (or a reference cut by a chunk) starts at.
    pub(crate) fn open_offset(&self) -> Option<usize> {
        let pending = (!self.pending.is_empty()).then(|| self.pending_map.at(0));
        match (pending, self.tokenizer.open_offset()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Ends the current run of text at markup that separates words (`<br>`).
    pub(crate) fn boundary(&mut self, emit: &mut impl FnMut(&str, usize, bool)) {
        self.flush_pending(emit);
        self.tokenizer.flush(emit);
    }

    /// Ends the current run of text and its sentence (a block boundary, a comment's end, the
    /// end of the document).
    pub(crate) fn end_sentence(&mut self, emit: &mut impl FnMut(&str, usize, bool)) {
        self.flush_pending(emit);
        let at = self.tokenizer.open_offset().unwrap_or(self.last);
        self.tokenizer.end_sentence(at, emit);
    }

    fn flush_pending(&mut self, emit: &mut impl FnMut(&str, usize, bool)) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let map = std::mem::take(&mut self.pending_map);
            self.feed_decoded(&pending, &map, true, emit);
        }
    }

    fn feed_decoded(
        &mut self,
        text: &str,
        map: &OffsetMap,
        complete: bool,
        emit: &mut impl FnMut(&str, usize, bool),
    ) -> usize {
        let hidden = self.hidden;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii() && b != b'&' {
                self.tokenizer
                    .push(b as char, map.at(i), hidden, &mut *emit);
                i += 1;
                continue;
            }
            if b == b'&' {
                match char_ref(&bytes[i..], false, complete) {
                    CharRef::Decoded { len, expansion } => {
                        let mut expanded = String::new();
                        expansion.push_to(&mut expanded);
                        for c in expanded.chars() {
                            self.tokenizer.push(c, map.at(i), hidden, &mut *emit);
                        }
                        i += len;
                    }
                    CharRef::Literal => {
                        self.tokenizer.push('&', map.at(i), hidden, &mut *emit);
                        i += 1;
                    }
                    CharRef::Incomplete => return i,
                }
                continue;
            }
            let c = text[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            self.tokenizer.push(c, map.at(i), hidden, &mut *emit);
            i += c.len_utf8();
        }
        bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        let mut stream = TextStream::default();
        let mut emit = |w: &str, o: usize, _| out.push((w.to_owned(), o));
        stream.feed(text, &OffsetMap::contiguous(0), false, &mut emit);
        stream.end_sentence(&mut emit);
        out
    }

    fn plain_words(text: &str) -> Vec<String> {
        words(text)
            .into_iter()
            .map(|(w, _)| w)
            .filter(|w| !is_boundary(w))
            .collect()
    }

    fn joined(text: &str) -> String {
        words(text)
            .into_iter()
            .map(|(w, _)| w)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn sentences_end_at_stops_before_a_new_sentence_and_clauses_at_commas() {
        assert_eq!(
            joined("We earn. We don't! Really? yes, e.g. Amazon.com (UK); Inc. or."),
            "we earn . we dont . really yes , e g . amazon com , uk , , inc or ."
        );
        assert_eq!(
            joined("\"Ends.\" Next… Then 2024. 5 stars"),
            "ends . next . then 2024 . 5 stars ."
        );
    }

    #[test]
    fn tokenizer_normalises_what_a_reader_sees() {
        let got =
            plain_words("AS AN&nbsp;Amazon&#8217;s “Associate”, I\u{ad}\u{200b}’m #Ad e-mail");
        assert_eq!(
            got,
            ["as", "an", "amazons", "associate", "im", "#ad", "e", "mail"]
        );
        let offsets: Vec<usize> = words("ab  &amp; cd").into_iter().map(|(_, o)| o).collect();
        assert_eq!(
            offsets,
            [0, 10, 10],
            "the sentence ends where the last word starts"
        );
    }
}
