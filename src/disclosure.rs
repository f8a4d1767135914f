//! Disclosure statements and the streaming matcher that looks for them in what a reader sees.
//!
//! A statement is written in rule files and config as plain text with three extras:
//! `{name}` stands for one to six words (a site or person name), `...` for up to twelve words,
//! and `(a|b)` for alternatives. Text on the page and statements go through the same
//! normalisation: character references decoded, letters lowercased, apostrophes dropped inside
//! words, and every other punctuation or space (`&nbsp;`, curly quotes, line breaks) a word
//! boundary. Matching is then a word-sequence match that survives tags, chunk boundaries and
//! entities, and reports how far a cut-off statement got.

use std::collections::HashMap;

use crate::entities::{CharRef, char_ref};
use crate::source::Ticket;

/// Words a `{name}` placeholder may stand for.
const NAME_WORDS: (u8, u8) = (1, 6);
/// Words a `...` gap may stand for.
const GAP_WORDS: (u8, u8) = (0, 12);
/// The most alternatives one statement may expand to.
const MAX_EXPANSIONS: usize = 64;

/// One slot of a compiled statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Word(Box<str>),
    Gap { min: u8, max: u8 },
}

/// A statement expanded into one linear sequence of slots (alternatives multiplied out).
#[derive(Debug, Clone)]
struct Sequence {
    slots: Vec<Slot>,
    /// For each slot, the statement text it came from (for "missing words" messages).
    display: Vec<String>,
    /// How many `Word` slots there are.
    words: u16,
}

/// A disclosure statement, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    text: String,
    sequences: Vec<Sequence>,
}

impl Statement {
    /// Compiles a statement; the error says what is wrong with its syntax.
    pub(crate) fn parse(text: &str) -> Result<Statement, String> {
        let mut alternatives: Vec<Vec<(Slot, String)>> = vec![Vec::new()];
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err("a statement cannot be empty".into());
        }
        while !rest.is_empty() {
            let (piece, tail) = next_piece(rest)?;
            rest = tail.trim_start();
            let options: Vec<Vec<(Slot, String)>> = match piece {
                Piece::Name(name) => vec![vec![(
                    Slot::Gap {
                        min: NAME_WORDS.0,
                        max: NAME_WORDS.1,
                    },
                    format!("{{{name}}}"),
                )]],
                Piece::Gap => vec![vec![(
                    Slot::Gap {
                        min: GAP_WORDS.0,
                        max: GAP_WORDS.1,
                    },
                    "...".to_owned(),
                )]],
                Piece::Words(words) => vec![word_slots(words)],
                Piece::Choice(choices) => choices.iter().map(|c| word_slots(c)).collect(),
            };
            if options.iter().any(Vec::is_empty) && options.len() > 1 {
                return Err("an alternative in `( | )` has no words".into());
            }
            if alternatives.len() * options.len() > MAX_EXPANSIONS {
                return Err(format!(
                    "too many alternatives (more than {MAX_EXPANSIONS} combinations); \
                     split the statement into several"
                ));
            }
            alternatives = alternatives
                .into_iter()
                .flat_map(|prefix| {
                    options.iter().map(move |option| {
                        let mut seq = prefix.clone();
                        seq.extend(option.iter().cloned());
                        seq
                    })
                })
                .collect();
        }
        let sequences = alternatives
            .into_iter()
            .map(Sequence::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Statement {
            text: text.trim().to_owned(),
            sequences,
        })
    }

    /// The statement as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The statement with its first alternatives, as a reader would write it.
    pub(crate) fn example(&self) -> String {
        let mut words: Vec<&str> = Vec::new();
        if let Some(sequence) = self.sequences.first() {
            for shown in &sequence.display {
                if words.last() != Some(&shown.as_str()) {
                    words.push(shown);
                }
            }
        }
        words.join(" ")
    }
}

impl Sequence {
    fn new(slots: Vec<(Slot, String)>) -> Result<Sequence, String> {
        // Merge neighbouring gaps, then trim gaps at either end: they constrain nothing.
        let mut merged: Vec<(Slot, String)> = Vec::with_capacity(slots.len());
        for (slot, display) in slots {
            match (merged.last_mut(), &slot) {
                (Some((Slot::Gap { min, max }, shown)), Slot::Gap { min: m2, max: x2 }) => {
                    *min = min.saturating_add(*m2);
                    *max = max.saturating_add(*x2);
                    shown.push(' ');
                    shown.push_str(&display);
                }
                _ => merged.push((slot, display)),
            }
        }
        while matches!(merged.first(), Some((Slot::Gap { .. }, _))) {
            merged.remove(0);
        }
        while matches!(merged.last(), Some((Slot::Gap { .. }, _))) {
            merged.pop();
        }
        let words = merged
            .iter()
            .filter(|(slot, _)| matches!(slot, Slot::Word(_)))
            .count();
        if words == 0 {
            return Err("a statement needs at least one word".into());
        }
        let (slots, display) = merged.into_iter().unzip();
        Ok(Sequence {
            slots,
            display,
            words: u16::try_from(words).map_err(|_| "statement too long".to_owned())?,
        })
    }
}

enum Piece<'a> {
    Name(&'a str),
    Gap,
    Words(&'a str),
    Choice(Vec<&'a str>),
}

fn next_piece(text: &str) -> Result<(Piece<'_>, &str), String> {
    if let Some(rest) = text.strip_prefix("...") {
        return Ok((Piece::Gap, rest));
    }
    if let Some(rest) = text.strip_prefix('{') {
        let end = rest
            .find('}')
            .ok_or("`{` without a closing `}`: write `{name}`")?;
        let name = &rest[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`{{{name}}}` is not a placeholder: use letters, e.g. `{{site}}`"
            ));
        }
        return Ok((Piece::Name(name), &rest[end + 1..]));
    }
    if let Some(rest) = text.strip_prefix('(') {
        let end = rest.find(')').ok_or("`(` without a closing `)`")?;
        let inner = &rest[..end];
        if inner.contains(['(', '{']) || inner.contains("...") {
            return Err("alternatives `(a|b)` may only hold words".into());
        }
        return Ok((Piece::Choice(inner.split('|').collect()), &rest[end + 1..]));
    }
    if text.starts_with([')', '}', '|']) {
        return Err(format!(
            "unexpected `{}`",
            text.chars().next().unwrap_or(' ')
        ));
    }
    let end = text
        .find(['(', '{', ')', '}', '|'])
        .into_iter()
        .chain(text.find("..."))
        .min()
        .unwrap_or(text.len());
    Ok((Piece::Words(&text[..end]), &text[end..]))
}

fn word_slots(text: &str) -> Vec<(Slot, String)> {
    let mut out = Vec::new();
    // Display each word as written: split the source on whitespace, then normalise each part.
    for shown in text.split_whitespace() {
        let mut words = Vec::new();
        let mut tokenizer = Tokenizer::default();
        for c in shown.chars() {
            tokenizer.push(c, 0, false, |w, _, _| words.push(w.to_owned()));
        }
        tokenizer.flush(|w, _, _| words.push(w.to_owned()));
        for word in words {
            out.push((Slot::Word(word.into()), shown.to_owned()));
        }
    }
    out
}

/// Common words never chosen as a statement's anchor: they are everywhere.
const COMMON: &[&str] = &[
    "a", "an", "as", "the", "in", "of", "to", "and", "or", "for", "from", "by", "on", "at", "is",
    "are", "was", "be", "i", "we", "you", "it", "this", "that", "my", "our", "your", "with",
    "link", "links", "page", "post", "site", "get", "gets", "make", "makes", "may", "me", "us",
];

impl Sequence {
    /// How many words may come before the first `anchor` in a match.
    fn words_before(&self, anchor: &str) -> usize {
        let mut before = 0;
        for slot in &self.slots {
            match slot {
                Slot::Word(w) if **w == *anchor => break,
                Slot::Word(_) => before += 1,
                Slot::Gap { max, .. } => before += usize::from(*max),
            }
        }
        before
    }

    /// A word every match of this sequence contains, and every partial match worth reporting
    /// too: the rarest-looking word among the first [`PARTIAL_MIN_WORDS`] (any word when the
    /// sequence is too short to be reported in part). The page is only read closely around
    /// these words.
    fn anchor(&self) -> &str {
        let words: Vec<&str> = self
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Word(w) => Some(&**w),
                Slot::Gap { .. } => None,
            })
            .collect();
        let candidates = if self.words >= PARTIAL_MIN_WORDS {
            &words[..PARTIAL_MIN_WORDS as usize]
        } else {
            &words[..]
        };
        let uncommon = candidates.iter().filter(|w| !COMMON.contains(w));
        uncommon
            .max_by_key(|w| w.len())
            .or_else(|| candidates.iter().max_by_key(|w| w.len()))
            .copied()
            .unwrap_or_default()
    }
}

/// Splits visible text into normalised words, each with the byte offset where it starts.
#[derive(Debug, Default)]
pub(crate) struct Tokenizer {
    word: String,
    start: usize,
    hidden: bool,
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
        }
    }

    /// Where the word being read started, if one is.
    fn open_offset(&self) -> Option<usize> {
        (!self.word.is_empty()).then_some(self.start)
    }

    /// Ends the current word, if any.
    pub(crate) fn flush(&mut self, mut emit: impl FnMut(&str, usize, bool)) {
        if !self.word.is_empty() && self.word != "#" {
            emit(&self.word, self.start, self.hidden);
        }
        self.word.clear();
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

    /// Ends the current run of text (a block boundary, or the end of the document).
    pub(crate) fn boundary(&mut self, emit: &mut impl FnMut(&str, usize, bool)) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let map = std::mem::take(&mut self.pending_map);
            self.feed_decoded(&pending, &map, true, emit);
        }
        self.tokenizer.flush(emit);
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

/// Every statement affilint looks for on a page, compiled together.
#[derive(Debug, Default, Clone)]
pub(crate) struct StatementSet {
    statements: Vec<Statement>,
    /// (statement index, sequence index) for every sequence.
    sequences: Vec<(u32, u32)>,
    /// Sequences by their first word.
    by_first_word: HashMap<Box<str>, Vec<u32>>,
}

impl StatementSet {
    /// Adds a statement (or finds the same text already added); returns its index.
    pub(crate) fn add(&mut self, statement: Statement) -> usize {
        if let Some(existing) = self
            .statements
            .iter()
            .position(|s| s.text == statement.text)
        {
            return existing;
        }
        let index = self.statements.len();
        for (seq_index, sequence) in statement.sequences.iter().enumerate() {
            let global = self.sequences.len() as u32;
            self.sequences.push((index as u32, seq_index as u32));
            if let Some(Slot::Word(first)) = sequence.slots.first() {
                self.by_first_word
                    .entry(first.clone())
                    .or_default()
                    .push(global);
            }
        }
        self.statements.push(statement);
        index
    }

    /// The anchor words of every statement (see `Sequence::anchor`), each with the most words
    /// that may come before it in a match; `None` when an anchor is not plain ASCII (then the
    /// whole page must be read).
    pub(crate) fn anchors(&self) -> Option<Vec<(String, usize)>> {
        let mut anchors: Vec<(String, usize)> = Vec::new();
        for statement in &self.statements {
            for sequence in &statement.sequences {
                let anchor = sequence.anchor();
                if anchor.is_empty() || !anchor.is_ascii() {
                    return None;
                }
                let before = sequence.words_before(anchor);
                match anchors.iter_mut().find(|(a, _)| a == anchor) {
                    Some((_, most)) => *most = (*most).max(before),
                    None => anchors.push((anchor.to_owned(), before)),
                }
            }
        }
        Some(anchors)
    }

    /// The statement at `index`.
    pub(crate) fn statement(&self, index: usize) -> &Statement {
        &self.statements[index]
    }

    fn sequence(&self, global: u32) -> (&Sequence, usize) {
        let (statement, seq) = self.sequences[global as usize];
        (
            &self.statements[statement as usize].sequences[seq as usize],
            statement as usize,
        )
    }
}

/// A statement found in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) statement: usize,
    /// Byte offset where the statement starts.
    pub(crate) offset: usize,
    /// Where the statement starts, as a line and column ticket.
    pub(crate) ticket: Ticket,
    /// Whether any of its words was in hidden or non-rendered content.
    pub(crate) hidden: bool,
}

/// A statement found only in part: a run of its words that stopped before the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partial {
    pub(crate) statement: usize,
    pub(crate) offset: usize,
    pub(crate) ticket: Ticket,
    pub(crate) matched_words: u16,
    pub(crate) total_words: u16,
    /// The statement's remaining text, as written.
    pub(crate) missing: String,
}

/// A run counts as a cut-off statement when it has at least this many words...
const PARTIAL_MIN_WORDS: u16 = 4;
/// ...and at least this share of the statement's words (in percent).
const PARTIAL_MIN_SHARE: u16 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Thread {
    sequence: u32,
    slot: u16,
    gap_used: u8,
    matched: u16,
    offset: usize,
    hidden: bool,
}

/// Runs every statement over a stream of words at once. It keeps, per statement, the first
/// visible match, the first hidden match and the longest visible partial run.
#[derive(Debug)]
pub(crate) struct Matcher<'s> {
    set: &'s StatementSet,
    threads: Vec<Thread>,
    next: Vec<Thread>,
    visible: Vec<Option<Found>>,
    hidden: Vec<Option<Found>>,
    partials: Vec<Option<Partial>>,
}

impl<'s> Matcher<'s> {
    pub(crate) fn new(set: &'s StatementSet) -> Self {
        let n = set.statements.len();
        Matcher {
            set,
            threads: Vec::new(),
            next: Vec::new(),
            visible: vec![None; n],
            hidden: vec![None; n],
            partials: vec![None; n],
        }
    }

    /// The earliest offset a statement still in progress started at.
    pub(crate) fn earliest_open_offset(&self) -> Option<usize> {
        self.threads.iter().map(|t| t.offset).min()
    }

    /// The statements found in view so far (the first of each).
    pub(crate) fn visible_so_far(&self) -> Vec<Found> {
        self.visible.iter().flatten().copied().collect()
    }

    /// Feeds the next word; `ticket` turns an offset into a position ticket when a match is
    /// recorded.
    pub(crate) fn word(
        &mut self,
        word: &str,
        offset: usize,
        hidden: bool,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) {
        let mut threads = std::mem::take(&mut self.threads);
        let mut next = std::mem::take(&mut self.next);
        next.clear();
        for thread in threads.drain(..) {
            self.advance(thread, word, hidden, &mut next, ticket);
        }
        if let Some(starts) = self.set.by_first_word.get(word) {
            for &sequence in starts {
                let thread = Thread {
                    sequence,
                    slot: 0,
                    gap_used: 0,
                    matched: 0,
                    offset,
                    hidden,
                };
                self.advance(thread, word, hidden, &mut next, ticket);
            }
        }
        self.threads = next;
        self.next = threads;
    }

    /// Ends the stream: statements still in progress are partial.
    pub(crate) fn finish(
        &mut self,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) -> (Vec<Found>, Vec<Partial>) {
        for thread in std::mem::take(&mut self.threads) {
            self.record_partial(&thread, ticket);
        }
        let found = self
            .visible
            .iter_mut()
            .chain(self.hidden.iter_mut())
            .filter_map(Option::take)
            .collect();
        let partials = self.partials.iter_mut().filter_map(Option::take).collect();
        (found, partials)
    }

    fn advance(
        &mut self,
        thread: Thread,
        word: &str,
        hidden: bool,
        next: &mut Vec<Thread>,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) {
        let (sequence, _) = self.set.sequence(thread.sequence);
        let mut alive = false;
        match &sequence.slots[thread.slot as usize] {
            Slot::Word(expected) => {
                if **expected == *word {
                    alive = true;
                    self.step(thread, thread.slot + 1, hidden, next, ticket);
                }
            }
            Slot::Gap { min, max } => {
                if thread.gap_used < *max {
                    alive = true;
                    push_unique(
                        next,
                        Thread {
                            gap_used: thread.gap_used + 1,
                            hidden: thread.hidden || hidden,
                            ..thread
                        },
                    );
                }
                if thread.gap_used >= *min
                    && let Some(Slot::Word(expected)) = sequence.slots.get(thread.slot as usize + 1)
                    && **expected == *word
                {
                    alive = true;
                    self.step(thread, thread.slot + 2, hidden, next, ticket);
                }
            }
        }
        if !alive {
            self.record_partial(&thread, ticket);
        }
    }

    /// Moves `thread` past a matched word to `slot`.
    fn step(
        &mut self,
        thread: Thread,
        slot: u16,
        hidden: bool,
        next: &mut Vec<Thread>,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) {
        let (sequence, statement) = self.set.sequence(thread.sequence);
        let moved = Thread {
            slot,
            gap_used: 0,
            matched: thread.matched + 1,
            hidden: thread.hidden || hidden,
            ..thread
        };
        if slot as usize != sequence.slots.len() {
            push_unique(next, moved);
            return;
        }
        let slot = if moved.hidden {
            &mut self.hidden[statement]
        } else {
            &mut self.visible[statement]
        };
        if slot.is_none() {
            *slot = Some(Found {
                statement,
                offset: thread.offset,
                ticket: ticket(thread.offset),
                hidden: moved.hidden,
            });
        }
    }

    fn record_partial(&mut self, thread: &Thread, ticket: &mut dyn FnMut(usize) -> Ticket) {
        let (sequence, statement) = self.set.sequence(thread.sequence);
        let long_enough = thread.matched >= PARTIAL_MIN_WORDS
            && thread.matched * 100 >= sequence.words * PARTIAL_MIN_SHARE;
        if thread.hidden || !long_enough {
            return;
        }
        if self.partials[statement]
            .as_ref()
            .is_some_and(|best| best.matched_words >= thread.matched)
        {
            return;
        }
        let mut missing: Vec<&str> = Vec::new();
        for display in &sequence.display[thread.slot as usize..] {
            if missing.last() != Some(&display.as_str()) {
                missing.push(display);
            }
        }
        self.partials[statement] = Some(Partial {
            statement,
            offset: thread.offset,
            ticket: ticket(thread.offset),
            matched_words: thread.matched,
            total_words: sequence.words,
            missing: missing.join(" "),
        });
    }
}

fn push_unique(threads: &mut Vec<Thread>, thread: Thread) {
    let same = |t: &Thread| {
        t.sequence == thread.sequence && t.slot == thread.slot && t.gap_used == thread.gap_used
    };
    match threads.iter_mut().find(|t| same(t)) {
        // Keep the earlier start: it is the longer match.
        Some(existing) => {
            if thread.offset < existing.offset {
                *existing = thread;
            }
        }
        None => threads.push(thread),
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
        stream.boundary(&mut emit);
        out
    }

    fn run(statements: &[&str], chunks: &[&str]) -> (Vec<Found>, Vec<Partial>) {
        let mut set = StatementSet::default();
        for s in statements {
            set.add(Statement::parse(s).unwrap());
        }
        let mut matcher = Matcher::new(&set);
        let mut stream = TextStream::default();
        let mut offset = 0;
        let mut source = crate::source::Source::new();
        {
            let mut emit = |w: &str, o: usize, h: bool| {
                matcher.word(w, o, h, &mut |at| source.ticket(at));
            };
            for chunk in chunks {
                let hidden = chunk.starts_with("[hidden]");
                stream.feed(chunk, &OffsetMap::contiguous(offset), hidden, &mut emit);
                offset += chunk.len();
            }
            stream.boundary(&mut emit);
        }
        matcher.finish(&mut |at| source.ticket(at))
    }

    #[test]
    fn tokenizer_normalises_what_a_reader_sees() {
        let got: Vec<String> =
            words("AS AN&nbsp;Amazon&#8217;s “Associate”, I\u{ad}\u{200b}’m #Ad e-mail")
                .into_iter()
                .map(|(w, _)| w)
                .collect();
        assert_eq!(
            got,
            ["as", "an", "amazons", "associate", "im", "#ad", "e", "mail"]
        );
        let offsets: Vec<usize> = words("ab  &amp; cd").into_iter().map(|(_, o)| o).collect();
        assert_eq!(offsets, [0, 10]);
    }

    #[test]
    fn statements_parse_placeholders_gaps_and_alternatives() {
        let s = Statement::parse("As an Amazon Associate, {site} earns from qualifying purchases.")
            .unwrap();
        assert_eq!(s.sequences.len(), 1);
        assert_eq!(s.sequences[0].words, 8);
        let s = Statement::parse("linking to (Amazon.com|Amazon.co.uk)").unwrap();
        assert_eq!(s.sequences.len(), 2);
        assert_eq!(s.sequences[1].words, 5);
        assert_eq!(s.example(), "linking to Amazon.com");
        let s = Statement::parse("{name} is a participant ...").unwrap();
        assert_eq!(
            s.sequences[0].slots.len(),
            3,
            "leading and trailing gaps are trimmed"
        );
        for bad in [
            "", "{site", "(a|b", "{}", "{a b}", "... {x}", "a | b", "((a))",
        ] {
            assert!(Statement::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn anchors_are_uncommon_words_every_reportable_match_contains() {
        let mut set = StatementSet::default();
        for s in [
            "As an Amazon Associate (I|we) earn from qualifying purchases.",
            "participant in the Amazon Services LLC Associates Program, an affiliate advertising program",
            "affiliate (link|links) ... (commission|commissions)",
            "(paid|sponsored) (link|links)",
            "(#ad|#affiliate)",
        ] {
            set.add(Statement::parse(s).unwrap());
        }
        let anchors = set.anchors().unwrap();
        let before = |word: &str| anchors.iter().find(|(a, _)| a == word).map(|(_, b)| *b);
        assert_eq!(before("associate"), Some(3), "{anchors:?}");
        assert_eq!(before("participant"), Some(0), "{anchors:?}");
        assert_eq!(
            before("commission"),
            Some(14),
            "affiliate links + 12 words of gap"
        );
        assert_eq!(before("paid"), Some(0), "{anchors:?}");
        assert_eq!(before("#ad"), Some(0), "{anchors:?}");
        assert!(
            !anchors.iter().any(|(a, _)| a == "links" || a == "an"),
            "{anchors:?}"
        );
        set.add(Statement::parse("Amazonのアソシエイトとして").unwrap());
        assert_eq!(
            set.anchors(),
            None,
            "a statement without an ASCII word disables the shortcut"
        );
    }

    #[test]
    fn matcher_finds_statements_across_chunks_and_entities() {
        let (found, _) = run(
            &["As an Amazon Associate I earn from qualifying purchases."],
            &[
                "<x>As an Ama",
                "zon&nb",
                "sp;Associate I EARN from\nqualifying purchases.",
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].offset, 3);
    }

    #[test]
    fn matcher_reports_how_far_a_cut_statement_got() {
        let legacy = "{name} is a participant in the Amazon Services LLC Associates Program, an \
                      affiliate advertising program designed to provide a means for sites to earn \
                      advertising fees by advertising and linking to (Amazon.com|Amazon.co.uk)";
        let page = "Running with Miles is a participant in the Amazon Services LLC Associates \
                    Program, an affiliate advertising program designed to provide a means for sites \
                    to earn advertising fees by advertising and linking to About the author";
        let (found, partials) = run(&[legacy], &[page]);
        assert!(found.is_empty());
        assert_eq!(partials.len(), 1);
        assert_eq!(partials[0].missing, "Amazon.com");
        assert_eq!(partials[0].total_words - partials[0].matched_words, 2);
    }

    #[test]
    fn gaps_and_names_stretch_but_not_forever() {
        let statement = "affiliate links ... commission";
        let (found, _) = run(
            &[statement],
            &["these are affiliate links that pay a commission"],
        );
        assert_eq!(found.len(), 1);
        let far = format!("affiliate links {} commission", "word ".repeat(13));
        let (found, _) = run(&[statement], &[&far]);
        assert!(found.is_empty());
        let (found, _) = run(
            &["As an Amazon Associate, {site} earns from qualifying purchases."],
            &["As an Amazon Associate, Running With Miles earns from qualifying purchases."],
        );
        assert_eq!(found.len(), 1);
    }
}
