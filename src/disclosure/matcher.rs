//! The streaming matcher: every statement run over a stream of words at once, keeping per
//! statement the first visible match, the first hidden one, the first negated one and the
//! longest cut-off run. A match never runs across a sentence end; one whose earning words are
//! negated ([`super::negation`]) is kept apart, unless its sentence also holds a match that
//! is not negated ("We do not charge you more, but we earn a commission").

use std::collections::{HashMap, VecDeque};

use super::negation::{self, Negation, Role};
use super::statement::{PARTIAL_MIN_SHARE, PARTIAL_MIN_WORDS, Sequence, Slot, Statement};
use super::words::{CLAUSE_END, SENTENCE_END};
use crate::page::source::Ticket;

/// How many of the last words the matcher keeps to quote a match.
const QUOTED_WORDS: usize = 64;

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
            .position(|s| s.text() == statement.text())
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

    /// The anchor words of every statement (see `Sequence::anchor`; `preferred` says which
    /// words the searcher finds fast), each with the most words that may come before it in a
    /// match; `None` when an anchor is not plain ASCII (then the whole page must be read).
    pub(crate) fn anchors(&self, preferred: &dyn Fn(&str) -> bool) -> Option<Vec<(String, usize)>> {
        let mut anchors: Vec<(String, usize)> = Vec::new();
        for statement in &self.statements {
            for sequence in &statement.sequences {
                let anchor = sequence.anchor(preferred);
                if anchor.is_empty() || !anchor.is_ascii() {
                    return None;
                }
                // Room for a negation before the statement, too.
                let before = sequence.words_before(anchor) + usize::from(negation::REACH);
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) statement: usize,
    /// Byte offset where the statement starts.
    pub(crate) offset: usize,
    /// Where the statement starts, as a line and column ticket.
    pub(crate) ticket: Ticket,
    /// Whether any of its words was in hidden or non-rendered content.
    pub(crate) hidden: bool,
    /// Whether its earning words are negated ("we don't earn a commission").
    pub(crate) negated: bool,
    /// Its words as the page has them, normalised (lowercase, no punctuation).
    pub(crate) quote: Box<str>,
}

impl Found {
    /// Whether the statement counts as a disclosure: seen, and not negated.
    pub(crate) fn counts(&self) -> bool {
        !self.hidden && !self.negated
    }
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

/// One statement sequence being matched (a thread of the word-level NFA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Thread {
    /// The sequence, as an index into the set's sequences.
    sequence: u32,
    /// The slot it expects next.
    slot: u16,
    /// Words taken so far by the gap at `slot`.
    gap_used: u8,
    /// Words matched so far.
    matched: u16,
    /// Where the match started.
    offset: usize,
    /// Whether any matched word was in hidden content.
    hidden: bool,
    /// Whether any matched word is a negated earning word.
    negated: bool,
    /// The number of the word it started at (see `Matcher::count`).
    first: u64,
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
    negated: Vec<Option<Found>>,
    partials: Vec<Option<Partial>>,
    negation: Negation,
    /// Negated matches and cut-off runs of the sentence being read, and whether it holds a
    /// match that is not negated.
    sentence_negated: Vec<Found>,
    sentence_partials: Vec<Partial>,
    sentence_clean: bool,
    /// The last words read (the number of the word last read is `count - 1`).
    recent: VecDeque<String>,
    count: u64,
    /// The number and offset of the last negator read: a negated statement is quoted and
    /// reported from there.
    negator: (u64, usize),
    /// How many words had been read when the last statement in view (not negated) ended.
    last_statement: Option<u64>,
    /// Statements whose first visible match was recorded since [`Matcher::take_fresh`].
    fresh: Vec<usize>,
    /// Visible matches set aside as hard to read: one counts only if no readable one comes.
    faint: Vec<Option<Found>>,
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
            negated: vec![None; n],
            partials: vec![None; n],
            negation: Negation::default(),
            sentence_negated: Vec::new(),
            sentence_partials: Vec::new(),
            sentence_clean: false,
            recent: VecDeque::with_capacity(QUOTED_WORDS),
            count: 0,
            negator: (0, 0),
            last_statement: None,
            fresh: Vec::new(),
            faint: vec![None; n],
        }
    }

    /// The earliest offset a statement still in progress started at.
    /// A negator right before a statement counts as its start (see `step`).
    pub(crate) fn earliest_open_offset(&self) -> Option<usize> {
        let (at, negator) = self.negator;
        let reach = u64::from(negation::REACH);
        self.threads
            .iter()
            .map(|t| match t.first.checked_sub(at) {
                Some(1..) if t.first - at <= reach => negator.min(t.offset),
                _ => t.offset,
            })
            .min()
    }

    /// The last statement in view (not negated) read so far, as the number of words read
    /// when it ended, and how many words have been read since.
    pub(crate) fn words_since_statement(&self) -> Option<(u64, u64)> {
        self.last_statement.map(|at| (at, self.count - at))
    }

    /// The statements found in view so far (the first of each).
    pub(crate) fn visible_so_far(&self) -> Vec<Found> {
        self.visible.iter().flatten().cloned().collect()
    }

    /// Feeds the next word, or a sentence or clause boundary ([`SENTENCE_END`],
    /// [`CLAUSE_END`]); `ticket` turns an offset into a position ticket when a match is
    /// recorded.
    pub(crate) fn word(
        &mut self,
        word: &str,
        offset: usize,
        hidden: bool,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) {
        if word == SENTENCE_END {
            self.negation.word(word, true);
            self.end_sentence(ticket);
            return;
        }
        if word == CLAUSE_END {
            self.negation.word(word, true);
            return;
        }
        let role = self.negation.word(word, false);
        match role {
            Role::Negator => self.negator = (self.count, offset),
            Role::NegatesBack(back) => {
                // The statements that hold the earning word it negates are negated.
                let earning = self.count - u64::from(back);
                for thread in &mut self.threads {
                    thread.negated |= thread.first <= earning;
                }
            }
            Role::Plain | Role::Negated => {}
        }
        let negated = role == Role::Negated;
        if self.recent.len() == QUOTED_WORDS {
            let mut oldest = self.recent.pop_front().unwrap_or_default();
            oldest.clear();
            oldest.push_str(word);
            self.recent.push_back(oldest);
        } else {
            self.recent.push_back(word.to_owned());
        }
        self.count += 1;
        let mut threads = std::mem::take(&mut self.threads);
        let mut next = std::mem::take(&mut self.next);
        next.clear();
        for thread in threads.drain(..) {
            self.advance(thread, word, hidden, negated, &mut next, ticket);
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
                    negated,
                    first: self.count - 1,
                };
                self.advance(thread, word, hidden, negated, &mut next, ticket);
            }
        }
        self.threads = next;
        self.next = threads;
    }

    /// Ends a sentence: statements in progress stop there (partial), and its negated
    /// matches count unless it also holds one that is not negated.
    fn end_sentence(&mut self, ticket: &mut dyn FnMut(usize) -> Ticket) {
        for thread in std::mem::take(&mut self.threads) {
            self.record_partial(&thread, ticket);
        }
        let clean = std::mem::take(&mut self.sentence_clean);
        let negated = std::mem::take(&mut self.sentence_negated);
        // A negated sentence is not a statement cut off, either.
        let partials = std::mem::take(&mut self.sentence_partials);
        if clean || negated.is_empty() {
            for partial in partials {
                let best = &mut self.partials[partial.statement];
                if best
                    .as_ref()
                    .is_none_or(|b| b.matched_words < partial.matched_words)
                {
                    *best = Some(partial);
                }
            }
        }
        if clean {
            return;
        }
        for found in negated {
            let slot = &mut self.negated[found.statement];
            if slot.is_none() {
                *slot = Some(found);
            }
        }
    }

    /// Ends the stream: statements still in progress are partial.
    pub(crate) fn finish(
        &mut self,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) -> (Vec<Found>, Vec<Partial>) {
        self.end_sentence(ticket);
        for (visible, faint) in self.visible.iter_mut().zip(&mut self.faint) {
            if visible.is_none() {
                *visible = faint.take();
            }
        }
        let found = self
            .visible
            .iter_mut()
            .chain(self.hidden.iter_mut())
            .chain(self.negated.iter_mut())
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
        negated: bool,
        next: &mut Vec<Thread>,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) {
        let (sequence, _) = self.set.sequence(thread.sequence);
        let mut alive = false;
        match &sequence.slots[thread.slot as usize] {
            Slot::Word(expected) => {
                if **expected == *word {
                    alive = true;
                    self.step(thread, thread.slot + 1, hidden, negated, next, ticket);
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
                            negated: thread.negated || negated,
                            ..thread
                        },
                    );
                }
                if thread.gap_used >= *min
                    && let Some(Slot::Word(expected)) = sequence.slots.get(thread.slot as usize + 1)
                    && **expected == *word
                {
                    alive = true;
                    self.step(thread, thread.slot + 2, hidden, negated, next, ticket);
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
        negated: bool,
        next: &mut Vec<Thread>,
        ticket: &mut dyn FnMut(usize) -> Ticket,
    ) {
        let (sequence, statement) = self.set.sequence(thread.sequence);
        let moved = Thread {
            slot,
            gap_used: 0,
            matched: thread.matched + 1,
            hidden: thread.hidden || hidden,
            negated: thread.negated || negated,
            ..thread
        };
        if slot as usize != sequence.slots.len() {
            push_unique(next, moved);
            return;
        }
        if !moved.hidden && !moved.negated {
            self.sentence_clean = true;
            self.last_statement = Some(self.count);
        }
        let taken = match (moved.hidden, moved.negated) {
            (true, _) => self.hidden[statement].is_some(),
            (false, false) => self.visible[statement].is_some(),
            (false, true) => self
                .sentence_negated
                .iter()
                .any(|f| f.statement == statement),
        };
        if taken {
            return;
        }
        // A negated statement starts at the negator, if that came before it.
        let (first, offset) = match self.negator {
            (at, offset) if moved.negated && at < thread.first => (at, offset),
            _ => (thread.first, thread.offset),
        };
        let found = Found {
            statement,
            offset,
            ticket: ticket(offset),
            hidden: moved.hidden,
            negated: moved.negated,
            quote: self.quote(first),
        };
        match (moved.hidden, moved.negated) {
            (true, _) => self.hidden[statement] = Some(found),
            (false, false) => {
                self.visible[statement] = Some(found);
                self.fresh.push(statement);
            }
            (false, true) => self.sentence_negated.push(found),
        }
    }

    /// Whether a visible match was recorded since the last [`Matcher::take_fresh`].
    pub(crate) fn has_fresh(&self) -> bool {
        !self.fresh.is_empty()
    }

    /// The visible matches recorded since the last call: each statement, and where its
    /// match starts.
    pub(crate) fn take_fresh(&mut self) -> Vec<(usize, usize)> {
        let fresh = std::mem::take(&mut self.fresh);
        fresh
            .into_iter()
            .filter_map(|s| self.visible[s].as_ref().map(|f| (s, f.offset)))
            .collect()
    }

    /// A visible match that the page's styles make hard to read: set aside, so that a later
    /// readable match of the statement takes its place; it counts again at the end if none
    /// comes.
    pub(crate) fn set_aside(&mut self, statement: usize) {
        if let Some(found) = self.visible[statement].take()
            && self.faint[statement].is_none()
        {
            self.faint[statement] = Some(found);
        }
    }

    /// A visible match that the page's styles hide after all: kept as a hidden one, so that
    /// a later visible match of the statement takes its place.
    pub(crate) fn demote(&mut self, statement: usize) {
        if let Some(mut found) = self.visible[statement].take() {
            found.hidden = true;
            if self.hidden[statement].is_none() {
                self.hidden[statement] = Some(found);
            }
        }
    }

    /// The words from word number `first` to the last one read.
    fn quote(&self, first: u64) -> Box<str> {
        let kept = self.count - self.recent.len() as u64;
        let skip = first.saturating_sub(kept) as usize;
        let mut quote = String::new();
        if first < kept {
            quote.push_str("... ");
        }
        for (i, word) in self.recent.iter().skip(skip).enumerate() {
            if i > 0 {
                quote.push(' ');
            }
            quote.push_str(word);
        }
        quote.into_boxed_str()
    }

    fn record_partial(&mut self, thread: &Thread, ticket: &mut dyn FnMut(usize) -> Ticket) {
        let (sequence, statement) = self.set.sequence(thread.sequence);
        let long_enough = thread.matched >= PARTIAL_MIN_WORDS
            && thread.matched * 100 >= sequence.words * PARTIAL_MIN_SHARE;
        if thread.hidden || thread.negated || sequence.loose || !long_enough {
            return;
        }
        let pending = self
            .sentence_partials
            .iter()
            .position(|p| p.statement == statement);
        if pending.is_some_and(|at| self.sentence_partials[at].matched_words >= thread.matched) {
            return;
        }
        let mut missing: Vec<&str> = Vec::new();
        for display in &sequence.display[thread.slot as usize..] {
            if missing.last() != Some(&display.as_str()) {
                missing.push(display);
            }
        }
        let partial = Partial {
            statement,
            offset: thread.offset,
            ticket: ticket(thread.offset),
            matched_words: thread.matched,
            total_words: sequence.words,
            missing: missing.join(" "),
        };
        match pending {
            Some(at) => self.sentence_partials[at] = partial,
            None => self.sentence_partials.push(partial),
        }
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
    use crate::disclosure::words::{OffsetMap, TextStream};

    fn run(statements: &[&str], chunks: &[&str]) -> (Vec<Found>, Vec<Partial>) {
        let mut set = StatementSet::default();
        for s in statements {
            set.add(Statement::parse(s).unwrap());
        }
        let mut matcher = Matcher::new(&set);
        let mut stream = TextStream::default();
        let mut offset = 0;
        let mut source = crate::page::source::Source::new();
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
        let anchors = set.anchors(&|_| false).unwrap();
        let before = |word: &str| anchors.iter().find(|(a, _)| a == word).map(|(_, b)| *b);
        // Each with room for a negation (three words) before the statement.
        assert_eq!(before("associate"), Some(6), "{anchors:?}");
        assert_eq!(before("participant"), Some(3), "{anchors:?}");
        assert_eq!(
            before("commission"),
            Some(17),
            "affiliate links + 12 words of gap"
        );
        assert_eq!(before("paid"), Some(3), "{anchors:?}");
        assert_eq!(before("#ad"), Some(3), "{anchors:?}");
        assert!(
            !anchors.iter().any(|(a, _)| a == "links" || a == "an"),
            "{anchors:?}"
        );
        set.add(Statement::parse("Amazonのアソシエイトとして").unwrap());
        assert_eq!(
            set.anchors(&|_| false),
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
