//! Decoding the bytes of a region in the page's encoding, without cutting a character in two,
//! with a map from each part of the text back to its document offset.

use std::ops::Range;

use encoding_rs::{CoderResult, UTF_8};

use super::Reader;
use crate::disclosure::words::OffsetMap;
use crate::page::source::Source;

impl Reader<'_> {
    /// How much of the text in `held` (the bytes fed from the region's position on) to
    /// decode now, given that reading was asked to stop after `window` bytes: the segment ends
    /// on a character boundary, moving forward over the rest of a character the stop cut
    /// when its bytes are there, back when they are not fed yet. Decoded in two parts, a
    /// character's bytes would become U+FFFD, and the result would depend on where a chunk
    /// or a stop fell. `None`: nothing to decode yet.
    pub(super) fn complete(&self, held: &[u8], window: usize, end: bool) -> Option<usize> {
        let len = if end || self.encoding.is_single_byte() {
            window
        } else if self.encoding == UTF_8 {
            let continued = held[window..]
                .iter()
                .take(3)
                .take_while(|&&b| b & 0xc0 == 0x80)
                .count();
            let len = window + continued;
            if len == held.len() {
                utf8_complete(&held[..len])
            } else {
                len
            }
        } else {
            // In every ASCII-compatible multi-byte encoding, a byte below 0x40 other than a
            // digit is a whole character (trail bytes start at 0x40, gb18030's digit second
            // bytes aside): a boundary comes right before it.
            let whole = |b: &u8| *b < 0x40 && !b.is_ascii_digit();
            match held[window..].iter().position(whole) {
                Some(ahead) => window + ahead,
                None => held[..window].iter().rposition(whole).map_or(0, |i| i + 1),
            }
        };
        (len > 0).then_some(len)
    }

    /// Decodes held bytes into the scratch string, noting where each part came from.
    pub(super) fn decode(&mut self, source: &Source, range: Range<usize>) {
        self.scratch.clear();
        let start = range.start;
        self.scratch_map = OffsetMap::contiguous(start);
        let bytes = source.bytes(range).unwrap_or_default();
        let (scratch, map) = (&mut self.scratch, &mut self.scratch_map);
        if self.encoding == UTF_8 {
            let mut at = start;
            for chunk in bytes.utf8_chunks() {
                map.mark(scratch.len(), at);
                scratch.push_str(chunk.valid());
                at += chunk.valid().len();
                if !chunk.invalid().is_empty() {
                    map.mark(scratch.len(), at);
                    scratch.push(char::REPLACEMENT_CHARACTER);
                    at += chunk.invalid().len();
                }
            }
        } else if self.encoding.is_single_byte() {
            let (text, _) = self.encoding.decode_without_bom_handling(bytes);
            // One character per byte.
            for (at, c) in (start..).zip(text.chars()) {
                map.mark(scratch.len(), at);
                scratch.push(c);
            }
        } else {
            // Find where each character starts by decoding byte by byte.
            let mut decoder = self.encoding.new_decoder_without_bom_handling();
            let mut char_start = start;
            for (at, &b) in (start..).zip(bytes) {
                let before = scratch.len();
                let last = at + 1 == start + bytes.len();
                let mut input: &[u8] = &[b];
                loop {
                    scratch.reserve(16);
                    let (result, read, _) = decoder.decode_to_string(input, scratch, last);
                    input = &input[read..];
                    if result == CoderResult::InputEmpty {
                        break;
                    }
                }
                if scratch.len() > before {
                    map.mark(before, char_start);
                    char_start = at + 1;
                }
            }
        }
    }
}

/// The length of `bytes` without a UTF-8 sequence cut off at its end.
fn utf8_complete(bytes: &[u8]) -> usize {
    let len = bytes.len();
    let Some(lead) = bytes
        .iter()
        .rev()
        .take(4)
        .position(|b| !(0x80..0xc0).contains(b))
        .map(|back| len - 1 - back)
    else {
        return len;
    };
    let needs = match bytes[lead] {
        0xc0..0xe0 => 2,
        0xe0..0xf0 => 3,
        0xf0..0xf8 => 4,
        _ => 1,
    };
    if lead + needs > len { lead } else { len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_decoded_only_up_to_whole_characters() {
        assert_eq!(utf8_complete(b"abc"), 3);
        assert_eq!(utf8_complete("ab\u{e9}".as_bytes()), 4);
        assert_eq!(utf8_complete(b"ab\xc3"), 2);
        assert_eq!(utf8_complete(b"ab\xe2\x82"), 2);
        assert_eq!(utf8_complete(b"ab\xf0\x9f\x98"), 2);
        assert_eq!(utf8_complete("\u{1f600}".as_bytes()), 4);
        // Stray continuation bytes are invalid whatever follows: decode them now.
        assert_eq!(utf8_complete(b"ab\x80\x80\x80\x80"), 6);
    }
}
