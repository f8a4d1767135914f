//! Where a page's raw bytes may show a price or rating: a currency sign or code, a star or
//! the words of a score, found by one SIMD search that meets each byte once.

use std::ops::Range;
use std::sync::LazyLock;

/// What any price or star holds in the raw bytes besides `$` (signs as characters or
/// references, codes): a block without one, nor `$` nor a [score](scores), is not read
/// further. One SIMD pass; every pattern is at least two bytes long, so the search keeps
/// two-byte masks.
const TRIGGER_WORDS: &[&str] = &[
    "£", "€", "¥", "₹", "★", "☆", "⭐", "EUR", "USD", "GBP", "INR", "Rs.", "&#36;", "&#x24;",
    "&dollar;", "&pound;", "&euro;", "&yen;", "&#163;", "&#8364;", "&#x20ac;", "&#973", "&star",
];

/// [`TRIGGER_WORDS`] as one SIMD search.
static TRIGGERS: LazyLock<Option<aho_corasick::packed::Searcher>> = LazyLock::new(|| {
    aho_corasick::packed::Config::new()
        .builder()
        .extend(TRIGGER_WORDS)
        .build()
});

/// The words a score is out of 5 with (`4.5/5`, `4 out of 5`, `4,7 von 5`), as they end.
const OUT_OF: &[&[u8]] = &[b"/", b"of", b"von", b"sur", b"su", b"de"];

/// How far before its `5` a score's word may start, spaces included.
const SCORE_REACH: usize = 7;

/// The longest trigger, in bytes: of [`TRIGGER_WORDS`] and of [`scores`]. A search that goes
/// on from where one stopped starts this much earlier, less one, to find a trigger cut by the
/// stop.
const LONGEST_TRIGGER: usize = {
    let mut longest = SCORE_REACH + 1;
    let mut i = 0;
    while i < TRIGGER_WORDS.len() {
        if TRIGGER_WORDS[i].len() > longest {
            longest = TRIGGER_WORDS[i].len();
        }
        i += 1;
    }
    longest
};

/// Where `bytes` hold the words of a score: a word of [`OUT_OF`] and the `5` after it, or
/// `stars`. Found from the `5` and from `tars`, which are rare in a page, rather than from
/// the words' first letters, which English text is full of.
fn scores(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let out_of = memchr::memchr_iter(b'5', bytes).filter_map(|five| {
        let before = &bytes[five.saturating_sub(SCORE_REACH)..five];
        let word = before.trim_ascii_end();
        let word_end = five - (before.len() - word.len());
        OUT_OF
            .iter()
            .find(|w| word.len() >= w.len() && word[word.len() - w.len()..].eq_ignore_ascii_case(w))
            .map(|w| word_end - w.len()..five + 1)
    });
    let stars = memchr::memmem::find_iter(bytes, b"tars")
        .filter(|&at| at > 0 && bytes[at - 1].eq_ignore_ascii_case(&b's'))
        .map(|at| at - 1..at + 4);
    out_of.chain(stars)
}

/// Where the page's raw bytes hold `$`, one of [`TRIGGERS`] or a [score](scores): each byte is searched once,
/// however many links' blocks overlap it (the blocks of a list of links do, by as much as
/// [`REACH`](crate::page::block::REACH) each way).
#[derive(Default)]
pub(super) struct PriceMarks {
    /// The bytes searched so far, as one span.
    scanned: Range<usize>,
    /// The triggers found in them, by where they start.
    hits: Vec<Range<usize>>,
}

impl PriceMarks {
    /// Whether the page's bytes `range` (`bytes`) may show a price or rating: whether a
    /// trigger lies wholly inside. Searches only the bytes no earlier block reached. Without
    /// the SIMD search, every block may.
    pub(super) fn may_show(&mut self, range: Range<usize>, bytes: &[u8]) -> bool {
        let Some(triggers) = TRIGGERS.as_ref() else {
            return true;
        };
        let joined = range.start >= self.scanned.start && range.start <= self.scanned.end;
        if !joined {
            self.scanned = range.start..range.start;
            self.hits.clear();
        }
        if range.end > self.scanned.end {
            let known = self.scanned.end;
            let from = known.saturating_sub(LONGEST_TRIGGER - 1).max(range.start);
            let fresh = &bytes[from - range.start..];
            let first = self.hits.len();
            // A trigger that ends by `known` was found by the search that reached it.
            let new = |at: Range<usize>| (at.end > known).then_some(at);
            self.hits.extend(
                triggers
                    .find_iter(fresh)
                    .filter_map(|m| new(from + m.start()..from + m.end())),
            );
            self.hits.extend(
                memchr::memchr_iter(b'$', fresh).filter_map(|at| new(from + at..from + at + 1)),
            );
            self.hits
                .extend(scores(fresh).filter_map(|at| new(from + at.start..from + at.end)));
            self.hits[first..].sort_unstable_by_key(|hit| hit.start);
            self.scanned.end = range.end;
        }
        let index = self.hits.partition_point(|hit| hit.start < range.start);
        self.hits[index..]
            .iter()
            .take_while(|hit| hit.start < range.end)
            .any(|hit| hit.end <= range.end)
    }

    /// Forgets what lies before `at`: no block will start there.
    pub(super) fn forget_before(&mut self, at: usize) {
        let keep = self.hits.partition_point(|hit| hit.start < at);
        self.hits.drain(..keep);
        self.scanned.start = self.scanned.start.max(at.min(self.scanned.end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a search of the range alone says.
    fn alone(bytes: &[u8]) -> bool {
        memchr::memchr(b'$', bytes).is_some()
            || TRIGGERS
                .as_ref()
                .is_none_or(|searcher| searcher.find(bytes).is_some())
            || scores(bytes).next().is_some()
    }

    #[test]
    fn overlapping_blocks_answer_as_each_searched_alone() {
        let page =
            b"<p>a kettle</p><p>only &pound;</p><p>x</p><li>4.5/5 and &euro;</li><p>$ here</p>";
        // Every pair of tag starts as a block, in the order links meet them, from both ends.
        let starts: Vec<usize> = memchr::memchr_iter(b'<', page).collect();
        let mut blocks = Vec::new();
        for (i, &start) in starts.iter().enumerate() {
            for &end in &starts[i + 1..] {
                blocks.push(start..end);
            }
            blocks.push(start..page.len());
        }
        let mut marks = PriceMarks::default();
        for block in blocks.iter().chain(blocks.iter().rev()) {
            assert_eq!(
                marks.may_show(block.clone(), &page[block.clone()]),
                alone(&page[block.clone()]),
                "{:?}",
                String::from_utf8_lossy(&page[block.clone()])
            );
        }
        // A trigger cut by where an earlier block stopped is still found.
        let cut = memchr::memmem::find(page, b"&pound;").unwrap() + 3;
        let mut marks = PriceMarks::default();
        assert!(!marks.may_show(0..cut, &page[..cut]));
        assert!(marks.may_show(0..cut + 10, &page[..cut + 10]));
        marks.forget_before(cut + 10);
        assert!(!marks.may_show(cut + 10..cut + 14, &page[cut + 10..cut + 14]));
    }

    #[test]
    fn scores_as_pages_write_them() {
        let found = |text: &str| {
            scores(text.as_bytes())
                .map(|at| text[at].to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("4.6/5"), ["/5"]);
        assert_eq!(found("4 out of 5 stars"), ["of 5", "stars"]);
        assert_eq!(found("4,7 VON 5"), ["VON 5"]);
        assert_eq!(found("3,9 sur  5"), ["sur  5"]);
        assert_eq!(found("4.5 Stars"), ["Stars"]);
        assert!(found("top 5, 15 tips, guitars, 2025").is_empty());
    }

    #[test]
    fn the_longest_trigger_is_known() {
        assert!(TRIGGER_WORDS.iter().all(|w| w.len() <= LONGEST_TRIGGER));
        assert!(TRIGGER_WORDS.iter().any(|w| w.len() == LONGEST_TRIGGER));
    }
}
