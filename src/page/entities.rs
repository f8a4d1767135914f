//! HTML character references (`&amp;`, `&#38;`, `&nbsp;`), decoded as the WHATWG tokenizer
//! does: numeric references with their replacements, named references by longest match, and
//! the attribute-value rule that leaves `&copy=` alone.
//!
//! lol_html hands attribute values and text over raw ("the value may have HTML entities"), so
//! affilint decodes them itself: an attribute value with a map back to the raw text, so a
//! rewrite can splice only the bytes it means to change; text is decoded as a stream by
//! the disclosure reader's text stream, which may find a reference cut across chunks.

use std::ops::Range;

/// The result of looking at a `&` in the input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CharRef {
    /// The `&` is a literal ampersand.
    Literal,
    /// The input ends inside what may become a reference: wait for more.
    Incomplete,
    /// A reference of `len` bytes that stands for `expansion`.
    Decoded { len: usize, expansion: Expansion },
}

/// What a character reference stands for.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Expansion {
    Char(char),
    Named(&'static str),
}

impl Expansion {
    pub(crate) fn push_to(self, out: &mut String) {
        match self {
            Expansion::Char(c) => out.push(c),
            Expansion::Named(s) => out.push_str(s),
        }
    }
}

/// `text` as an attribute value: what markup would read as its own escaped (`&`, quotes,
/// `<`, `>`), so that it reads back as `text` in any quoting.
pub(crate) fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Looks at the reference that starts at `s[0]` (which must be `&`).
///
/// `in_attribute` applies the attribute-value rule (a named reference without `;` followed by
/// `=` or an alphanumeric stays literal). `complete` says no input follows `s`; without it, a
/// reference cut by the end of `s` is reported as [`CharRef::Incomplete`].
pub(crate) fn char_ref(s: &[u8], in_attribute: bool, complete: bool) -> CharRef {
    debug_assert_eq!(s.first(), Some(&b'&'));
    match s.get(1) {
        None if complete => CharRef::Literal,
        None => CharRef::Incomplete,
        Some(b'#') => numeric_ref(s, complete),
        Some(c) if c.is_ascii_alphanumeric() => named_ref(s, in_attribute, complete),
        Some(_) => CharRef::Literal,
    }
}

fn numeric_ref(s: &[u8], complete: bool) -> CharRef {
    let (hex, digits_start) = match s.get(2) {
        Some(b'x' | b'X') => (true, 3),
        Some(_) => (false, 2),
        None if complete => return CharRef::Literal,
        None => return CharRef::Incomplete,
    };
    let is_digit = |b: &u8| {
        if hex {
            b.is_ascii_hexdigit()
        } else {
            b.is_ascii_digit()
        }
    };
    let digits = s[digits_start.min(s.len())..]
        .iter()
        .take_while(|b| is_digit(b))
        .count();
    let end = digits_start + digits;
    if end >= s.len() && !complete {
        return CharRef::Incomplete;
    }
    if digits == 0 {
        return CharRef::Literal;
    }
    let radix = if hex { 16 } else { 10 };
    let value = s[digits_start..end].iter().fold(0u32, |acc, &b| {
        let digit = (b as char).to_digit(radix).unwrap_or(0);
        acc.saturating_mul(radix).saturating_add(digit)
    });
    let len = if s.get(end) == Some(&b';') {
        end + 1
    } else {
        end
    };
    CharRef::Decoded {
        len,
        expansion: Expansion::Char(numeric_char(value)),
    }
}

/// The character a numeric reference stands for, after the tokenizer's replacements.
fn numeric_char(value: u32) -> char {
    const C1: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let value = match value {
        0x80..=0x9F => C1[(value - 0x80) as usize],
        other => other,
    };
    match value {
        0 => char::REPLACEMENT_CHARACTER,
        v => char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

fn named_ref(s: &[u8], in_attribute: bool, complete: bool) -> CharRef {
    let name_len = s[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let after_name = 1 + name_len;
    if after_name >= s.len() && !complete && after_name < htmlize::ENTITY_MAX_LENGTH {
        return CharRef::Incomplete;
    }
    let with_semicolon = s.get(after_name) == Some(&b';');
    let longest = if with_semicolon {
        after_name + 1
    } else {
        after_name
    };
    let longest = longest.min(htmlize::ENTITY_MAX_LENGTH);
    for len in (2..=longest).rev() {
        let Some(expansion) = htmlize::ENTITIES.get(&s[..len]) else {
            continue;
        };
        let ends_with_semicolon = s[len - 1] == b';';
        if in_attribute
            && !ends_with_semicolon
            && let Some(next) = s.get(len)
            && (*next == b'=' || next.is_ascii_alphanumeric())
        {
            return CharRef::Literal;
        }
        let Ok(expansion) = std::str::from_utf8(expansion) else {
            return CharRef::Literal;
        };
        return CharRef::Decoded {
            len,
            expansion: Expansion::Named(expansion),
        };
    }
    CharRef::Literal
}

/// An attribute value with its character references decoded, and a map from positions in the
/// decoded text back to positions in the raw value.
#[derive(Debug, Clone)]
pub(crate) struct DecodedAttr {
    text: String,
    /// Decoded references: (raw range, decoded range), in order.
    refs: Vec<(Range<usize>, Range<usize>)>,
}

impl DecodedAttr {
    pub(crate) fn new(raw: &str) -> Self {
        let bytes = raw.as_bytes();
        let mut text = String::with_capacity(raw.len());
        let mut refs = Vec::new();
        let mut literal_start = 0;
        let mut i = 0;
        while let Some(found) = memchr::memchr(b'&', &bytes[i..]) {
            let amp = i + found;
            match char_ref(&bytes[amp..], true, true) {
                CharRef::Decoded { len, expansion } => {
                    text.push_str(&raw[literal_start..amp]);
                    let dec_start = text.len();
                    expansion.push_to(&mut text);
                    refs.push((amp..amp + len, dec_start..text.len()));
                    i = amp + len;
                    literal_start = i;
                }
                CharRef::Literal | CharRef::Incomplete => i = amp + 1,
            }
        }
        text.push_str(&raw[literal_start..]);
        DecodedAttr { text, refs }
    }

    /// The decoded value.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The raw position that corresponds to decoded position `pos` (a boundary between
    /// characters; a position inside a reference's expansion maps to the reference's end).
    pub(crate) fn raw_pos(&self, pos: usize) -> usize {
        let index = self.refs.partition_point(|(_, dec)| dec.start <= pos);
        if index == 0 {
            return pos;
        }
        let (raw, dec) = &self.refs[index - 1];
        if pos == dec.start {
            raw.start
        } else if pos < dec.end {
            raw.end
        } else {
            raw.end + (pos - dec.end)
        }
    }

    /// The raw text of the decoded range `range`.
    pub(crate) fn raw_range(&self, range: Range<usize>) -> Range<usize> {
        self.raw_pos(range.start)..self.raw_pos(range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(raw: &str) -> String {
        DecodedAttr::new(raw).text().to_owned()
    }

    #[test]
    fn attribute_values_follow_the_tokenizer() {
        assert_eq!(attr("a?x=1&amp;tag=2"), "a?x=1&tag=2");
        assert_eq!(attr("a?x=1&#38;tag=2&#x26;y"), "a?x=1&tag=2&y");
        assert_eq!(attr("a?x=1&#038;tag=2"), "a?x=1&tag=2");
        // Legacy names without `;` stay literal before `=` or an alphanumeric in attributes.
        assert_eq!(attr("?a=1&copy=2&ampx"), "?a=1&copy=2&ampx");
        assert_eq!(attr("&copy 2024"), "\u{a9} 2024");
        assert_eq!(attr("&AMP;&quot;&lt;"), "&\"<");
        assert_eq!(
            attr("&#0;&#x110000;&#x80;&#150;"),
            "\u{fffd}\u{fffd}\u{20ac}\u{2013}"
        );
        assert_eq!(attr("&# &#x; & &zzz;"), "&# &#x; & &zzz;");
        assert_eq!(attr("&notit;"), "&notit;");
    }

    #[test]
    fn raw_positions_map_back_through_references() {
        let raw = "https://a.example/?x=1&amp;tag=2#f";
        let decoded = DecodedAttr::new(raw);
        let text = decoded.text();
        let amp = text.find('&').unwrap();
        assert_eq!(decoded.raw_pos(amp), raw.find("&amp;").unwrap());
        assert_eq!(decoded.raw_pos(amp + 1), raw.find("tag").unwrap());
        assert_eq!(decoded.raw_pos(text.len()), raw.len());
        let tag = text.find("tag=2").unwrap();
        assert_eq!(&raw[decoded.raw_range(tag..tag + 5)], "tag=2");
    }
}
