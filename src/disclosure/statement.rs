//! Disclosure statements as rule files and config write them, compiled.
//!
//! A statement is plain text with three extras: `{name}` stands for one to six words (a site
//! or person name), `...` for up to twelve words, and `(a|b)` for alternatives. It compiles
//! into word sequences (alternatives multiplied out) that the matcher runs over what a reader
//! sees, normalised the same way (see [`super::words`]).

use super::words::{Tokenizer, is_boundary};

/// Words a `{name}` placeholder may stand for.
const NAME_WORDS: (u8, u8) = (1, 6);
/// Words a `...` gap may stand for.
const GAP_WORDS: (u8, u8) = (0, 12);
/// The most alternatives one statement may expand to.
const MAX_EXPANSIONS: usize = 64;

/// One slot of a compiled statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Slot {
    Word(Box<str>),
    Gap { min: u8, max: u8 },
}

/// A statement expanded into one linear sequence of slots (alternatives multiplied out).
#[derive(Debug, Clone)]
pub(super) struct Sequence {
    pub(super) slots: Vec<Slot>,
    /// For each slot, the statement text it came from (for "missing words" messages).
    pub(super) display: Vec<String>,
    /// How many `Word` slots there are.
    pub(super) words: u16,
    /// Whether it has a `...` gap: a loose wording ("similar statements"), whose runs that
    /// stop short are not cut-off statements and are never reported in part.
    pub(super) loose: bool,
}

/// A disclosure statement, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    text: String,
    pub(super) sequences: Vec<Sequence>,
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
        let loose = merged.iter().any(|(_, shown)| shown.contains("..."));
        let (slots, display) = merged.into_iter().unzip();
        Ok(Sequence {
            slots,
            display,
            words: u16::try_from(words).map_err(|_| "statement too long".to_owned())?,
            loose,
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
        let mut push = |w: &str, _, _| {
            if !is_boundary(w) {
                words.push(w.to_owned());
            }
        };
        for c in shown.chars() {
            tokenizer.push(c, 0, false, &mut push);
        }
        tokenizer.flush(&mut push);
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
    pub(super) fn words_before(&self, anchor: &str) -> usize {
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
    /// sequence is too short to be reported in part), ASCII words first, then those the
    /// searcher finds fast (`preferred`). The page is only read closely around these words.
    pub(super) fn anchor(&self, preferred: &dyn Fn(&str) -> bool) -> &str {
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
        // An ASCII word is preferred: the raw search cannot look for the others.
        let rank = |w: &&&str| (w.is_ascii(), preferred(w), !COMMON.contains(*w), w.len());
        candidates
            .iter()
            .max_by_key(rank)
            .copied()
            .unwrap_or_default()
    }
}

/// A run counts as a cut-off statement when it has at least this many words...
pub(super) const PARTIAL_MIN_WORDS: u16 = 4;
/// ...and at least this share of the statement's words (in percent).
pub(super) const PARTIAL_MIN_SHARE: u16 = 50;

#[cfg(test)]
mod tests {
    use super::*;

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
}
