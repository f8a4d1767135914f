//! What the text around an affiliate link says: a price or star rating in its block with
//! no "as of" time (`static-price`, for programs that forbid static ones), and whether a
//! configured label sits in or right after the link (`unlabeled-link`).
//!
//! The block (see [`crate::page::block`]) may end after bytes not fed yet: each link waits
//! until its block is complete (or [`block::REACH`] bytes past it), and is judged once the
//! parse has passed that point (at the next link, or after a chunk), so neither the verdict
//! nor the order of findings depends on how the page was chunked.

use std::sync::LazyLock;

use regex::Regex;

use super::LinkFacts;
use super::page::{Page, Pending};
use crate::page::block;
use crate::report::FindingId;

/// How much text right after a link may hold its label.
const LABEL_AFTER: usize = 48;

/// Prices as pages write them: a currency sign or code before or after the amount.
static PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:[$£€¥₹]|(?-u:\b)(?:US\$|C\$|A\$|R\$|Rs\.?|INR|USD|EUR|GBP|CAD|AUD)(?-u:\s)?)(?-u:\s)?[0-9][0-9.,\u{a0}\u{202f}\x20]*[0-9]?
        | (?-u:\b)[0-9]{1,3}(?:[.,\u{a0}\u{202f}\x20][0-9]{3})*(?:[.,][0-9]{2})(?-u:\s)?(?:€|£|\$|EUR|USD|GBP)",
    )
    .expect("price pattern")
});

/// Star ratings: three or more stars, or a score out of five.
static RATING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        [★☆⭐✩✪]{3,}
        | (?-u:\b)[0-5](?:[.,][0-9])?(?-u:\s)*(?i-u:out(?-u:\s)+of|/|von|sur|su|de)(?-u:\s)*5(?-u:\b)
        | (?-u:\b)[0-5][.,][0-9](?-u:\s)*(?i-u:stars?)(?-u:\b)",
    )
    .expect("rating pattern")
});

/// A note of when a price was fetched ("as of 12 May 2026 10:00 UTC", "Last updated on").
static AS_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x-u)(?i)\b(?:as\s+of|last\s+updated|updated\s+on|prices?\s+(?:updated|checked)|stand\s+vom|prix\s+au|aggiornato\s+al|actualizado\s+el)\b|\bstand:",
    )
    .expect("as-of pattern")
});

impl Page<'_> {
    /// Whether a link of `program` needs its surroundings read.
    pub(super) fn reads_around(&self, program: usize) -> (bool, bool) {
        if self.links_only {
            return (false, false);
        }
        let price = self.checks.links.programs[program].check_prices
            && self.checks.severity(FindingId::StaticPrice).is_some();
        let label = self.checks.severity(FindingId::UnlabeledLink).is_some();
        (price, label)
    }

    /// Queues an affiliate link (start tag at `tag`) whose surroundings are to be read.
    pub(super) fn read_around(
        &mut self,
        tag: std::ops::Range<usize>,
        program: usize,
        facts: LinkFacts,
    ) {
        let (check_price, check_label) = self.reads_around(program);
        if !check_price && !check_label {
            return;
        }
        let from = tag
            .start
            .saturating_sub(block::REACH)
            .max(self.source.base_offset());
        let before = self.source.bytes(from..tag.start).unwrap_or_default();
        let (block_start, container) = match block::start(before) {
            Some((at, name)) => (from + at, Some(name)),
            None => (from, None),
        };
        let program_name = self.checks.links.programs[program]
            .program
            .name()
            .to_owned();
        self.around.push(Pending {
            start: tag.start,
            tag_end: tag.end,
            block_start,
            container,
            check_price,
            check_label,
            facts,
            program_name,
            block_end: None,
            scanned: 0,
        });
    }

    /// The first offset the links waiting for their blocks still need.
    pub(super) fn around_hold(&self, fed: usize) -> Option<usize> {
        let waiting = self.around.iter().map(|p| p.block_start).min();
        // Room for the block before the next link, too.
        let before_next = (self.reads_any_around()).then(|| fed.saturating_sub(block::REACH));
        [waiting, before_next].into_iter().flatten().min()
    }

    fn reads_any_around(&self) -> bool {
        (0..self.checks.links.programs.len()).any(|p| {
            let (price, label) = self.reads_around(p);
            price || label
        })
    }

    /// Judges the links whose blocks end before `parsed` (every one at the end of the page).
    pub(super) fn judge_around(&mut self, parsed: usize, end: bool) {
        if self.around.is_empty() {
            return;
        }
        let fed = self.source.fed();
        let mut waiting = std::mem::take(&mut self.around);
        waiting.retain_mut(|pending| !self.judged(pending, fed, parsed, end));
        self.around = waiting;
    }

    /// Judges one link if its block is complete and parsed past; returns whether it was.
    fn judged(&mut self, pending: &mut Pending, fed: usize, parsed: usize, end: bool) -> bool {
        let limit = pending.tag_end + block::REACH;
        let block_end = match pending.block_end {
            Some(at) => at,
            // Looked as far as the bytes go: nothing new to look at.
            None if pending.scanned >= fed && !end => return false,
            None => {
                let Some(after) = self.source.bytes(pending.tag_end..fed.min(limit)) else {
                    return true;
                };
                pending.scanned = fed;
                // Without a container around, the block ends where a paragraph would.
                let container = pending.container.as_deref().unwrap_or("p");
                let found = match block::end(after, container) {
                    Some(at) => pending.tag_end + at,
                    None if end || fed >= limit => pending.tag_end + after.len(),
                    None => return false,
                };
                pending.block_end = Some(found);
                found
            }
        };
        if !end && block_end > parsed {
            return false;
        }
        let facts = || LinkFacts {
            url: pending.facts.url.clone(),
            program: pending.facts.program.clone(),
            affiliate_id: pending.facts.affiliate_id.clone(),
        };
        if pending.check_price
            && let Some(message) = self.static_price(pending, block_end)
        {
            self.push(
                FindingId::StaticPrice,
                pending.start,
                message,
                Some(facts()),
            );
        }
        if pending.check_label && !self.labeled(pending, block_end) {
            let labels = self.checks.link_labels.join("\", \"");
            let message = format!(
                "{} link without a label (\"{labels}\") in or right after its text",
                pending.program_name
            );
            self.push(
                FindingId::UnlabeledLink,
                pending.start,
                message,
                Some(facts()),
            );
        }
        true
    }

    /// The finding's message when the link's block shows a price or rating with no time.
    fn static_price(&mut self, pending: &Pending, block_end: usize) -> Option<String> {
        let range = pending.block_start..block_end;
        let bytes = self.source.bytes(range.clone())?;
        // Most blocks hold neither a currency, a star nor a score: no text to read then.
        if !self.price_marks.may_show(range, bytes) {
            return None;
        }
        let text = block::text(bytes, self.encoding.get());
        if AS_OF.is_match(&text) {
            return None;
        }
        let (what, value) = PRICE
            .find(&text)
            .map(|m| ("price", m.as_str().trim().to_owned()))
            .or_else(|| {
                RATING
                    .find(&text)
                    .map(|m| ("rating", m.as_str().trim().to_owned()))
            })?;
        let name = &pending.program_name;
        Some(format!(
            "{what} \"{value}\" beside a link of {name} with no \"as of\" time: {name} allows only \
             prices and ratings fetched from it within 24 hours and shown with when they were \
             fetched; remove it, or show its \"as of\" time"
        ))
    }

    /// Whether one of the configured labels is in the link's text or right after it, before
    /// its block ends.
    fn labeled(&self, pending: &Pending, block_end: usize) -> bool {
        let encoding = self.encoding.get();
        let Some(after) = self.source.bytes(pending.tag_end..block_end) else {
            return false;
        };
        let close = memchr::memmem::find_iter(after, b"</")
            .find(|&at| {
                after.get(at + 2..at + 4).is_some_and(|n| {
                    n[0].eq_ignore_ascii_case(&b'a') && !n[1].is_ascii_alphanumeric()
                })
            })
            .unwrap_or(after.len());
        let own = block::text(&after[..close], encoding);
        let next: String = block::text(&after[close..], encoding)
            .chars()
            .take(LABEL_AFTER)
            .collect();
        let window = format!("{own} {next}").to_lowercase();
        self.checks
            .link_labels
            .iter()
            .any(|label| window.contains(&label.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_ratings_and_as_of_notes_as_pages_write_them() {
        for price in [
            "$39.99",
            "£24",
            "€ 19,90",
            "19,90 €",
            "US$ 1,299",
            "Rs. 2,499",
            "₹1,299",
            "24.95 EUR",
        ] {
            assert!(PRICE.is_match(price), "{price}");
        }
        for not in ["39 reviews", "in 2024", "5 tips", "a 10-cup kettle", "$"] {
            assert!(!PRICE.is_match(not), "{not}");
        }
        for rating in [
            "★★★★☆",
            "4.5 out of 5 stars",
            "4,7 von 5 Sternen",
            "4.6/5",
            "4.5 stars",
        ] {
            assert!(RATING.is_match(rating), "{rating}");
        }
        for not in ["5 stars of the show", "top 5", "1/2 cup", "rated"] {
            assert!(!RATING.is_match(not), "{not}");
        }
        for note in [
            "(as of 12 May 2026 10:00 UTC",
            "Last updated on 2026-05-12",
            "Stand: 12.05.2026",
        ] {
            assert!(AS_OF.is_match(note), "{note}");
        }
    }
}
