//! What the disclosure reader looks for in the raw bytes: each statement's anchor word (in
//! the spellings a page uses) and the markers of hidden content, each set compiled once into
//! a SIMD multi-pattern searcher.

use aho_corasick::packed;

use crate::disclosure::matcher::StatementSet;
use crate::page::hiding;

/// How far before an anchor a region starts: room for markup, and for each word a statement
/// may have before the anchor (the most before any anchor is 14 in the shipped rules).
const PREFIX_MARKUP: usize = 256;
const PREFIX_PER_WORD: usize = 96;
/// The most any region reaches back.
pub(super) const PREFIX: usize = 4096;

/// For the shipped anchors: the part of the word to look for, chosen for a rare leading
/// trigram (rates per million bytes over the corpus's real pages and the synthetic blog:
/// `ociate` 24 against `ssociate` 346, `ipant` 2 against `articipant`'s `art` 283, ...).
/// A fingerprint serves every anchor that contains its word (`verdien` for `verdienen`).
/// Anchors are chosen among a statement's words with these first. Keep the patterns at 32 or
/// fewer: beyond, the SIMD search switches to its slower wide form (`fat` Teddy).
const FINGERPRINTS: &[(&str, &str)] = &[
    ("associate", "ociate"),
    ("participant", "ipant"),
    ("verdien", "rdien"),
    ("remplissant", "plissant"),
    ("affiliat", "ffiliat"),
    ("afiliad", "filiad"),
    ("commission", "mmission"),
    ("compensat", "mpensat"),
    ("sponsored", "nsored"),
    ("qualifying", "fying"),
];

/// Anchor patterns compiled together.
pub(super) struct Anchors {
    searcher: Searcher,
    /// Per pattern: how far before it a region starts.
    prefixes: Vec<usize>,
}

/// How a group of anchor patterns is searched.
enum Searcher {
    /// One SIMD multi-pattern search.
    Packed(packed::Searcher),
    /// Patterns that all start with one byte (`#ad`, `#Ad`, `#AD`): that byte is found with
    /// `memchr`, a pass cheaper than a second multi-pattern one.
    Byte(u8, Vec<Vec<u8>>),
}

impl Anchors {
    /// Calls `found(start, end, prefix)` for each anchor in `haystack`, in order.
    pub(super) fn each(&self, haystack: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        match &self.searcher {
            Searcher::Packed(searcher) => {
                for m in searcher.find_iter(haystack) {
                    found(m.start(), m.end(), self.prefixes[m.pattern().as_usize()]);
                }
            }
            Searcher::Byte(first, patterns) => {
                for at in memchr::memchr_iter(*first, haystack) {
                    let rest = &haystack[at..];
                    if let Some(index) = patterns.iter().position(|p| rest.starts_with(p)) {
                        found(at, at + patterns[index].len(), self.prefixes[index]);
                    }
                }
            }
        }
    }
}

/// The words and markers to look for, compiled once.
pub(crate) struct Finder {
    /// Two searchers: with more than a couple of dozen patterns, one SIMD searcher loses
    /// most of its speed (its buckets fill up), so anchors and markers are found apart.
    ///
    /// Anchors shorter than four bytes (`#ad`) are searched apart too: the SIMD search
    /// checks the first bytes of a pattern, as many as the shortest pattern has, and three
    /// bytes of thirty patterns match far more often than four.
    pub(super) anchors: Vec<Anchors>,
    pub(super) markers: Option<packed::Searcher>,
    pub(super) longest: usize,
    /// Whether every statement has an anchor: otherwise the whole page is read.
    pub(super) sparse: bool,
}

impl Finder {
    pub(crate) fn new(statements: &StatementSet) -> Finder {
        let fast = |word: &str| FINGERPRINTS.iter().any(|(w, _)| word.contains(w));
        let Some(anchors) = statements.anchors(&fast) else {
            return Finder::whole_page();
        };
        let patterns = anchor_patterns(&anchors);
        let markers = hiding::markers();
        let longest = patterns
            .iter()
            .map(|(p, _)| p)
            .chain(&markers)
            .map(String::len)
            .max()
            .unwrap_or(1);
        let build = |patterns: &[&String]| packed::Config::new().builder().extend(patterns).build();
        let (short, long): (Vec<_>, Vec<_>) = patterns.iter().partition(|(p, _)| p.len() < 4);
        let mut searchers = Vec::new();
        for group in [long, short].into_iter().filter(|g| !g.is_empty()) {
            let words: Vec<&String> = group.iter().map(|(p, _)| p).collect();
            let first = words[0].as_bytes()[0];
            let searcher = if words.iter().all(|w| w.as_bytes()[0] == first) {
                Searcher::Byte(first, words.iter().map(|w| w.as_bytes().to_vec()).collect())
            } else {
                match build(&words) {
                    Some(searcher) => Searcher::Packed(searcher),
                    None => return Finder::whole_page(),
                }
            };
            let prefixes = group
                .iter()
                .map(|(_, words)| (PREFIX_MARKUP + words * PREFIX_PER_WORD).min(PREFIX))
                .collect();
            searchers.push(Anchors { searcher, prefixes });
        }
        let Some(markers) = build(&markers.iter().collect::<Vec<_>>()) else {
            return Finder::whole_page();
        };
        Finder {
            anchors: searchers,
            markers: Some(markers),
            longest,
            sparse: true,
        }
    }

    /// The page is read whole: no anchor to look for, or every word counts.
    pub(crate) fn whole_page() -> Finder {
        Finder {
            anchors: Vec::new(),
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
            .find(|(word, _)| anchor.contains(word))
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
            match patterns.iter_mut().find(|(p, _)| *p == variant) {
                Some((_, reach)) => *reach = (*reach).max(before),
                None => patterns.push((variant, before)),
            }
        }
    }
    patterns
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
