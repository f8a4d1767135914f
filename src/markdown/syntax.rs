//! How CommonMark writes a link destination, read and written by its own rules: backslash
//! escapes, entity and numeric character references, `<...>` destinations, balanced
//! parentheses, no spaces; autolinks and GFM's bare URLs, which take neither escapes nor
//! spaces. A new destination keeps the bytes of the old one it starts with.

use std::ops::Range;

use super::front_matter::{self, Quote};
use crate::page::entities::{CharRef, char_ref};

/// How a destination is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// `[text](https://...)`, `[label]: https://...`
    Plain,
    /// `[text](<https://...>)`
    Angle,
    /// `<https://...>`
    Autolink,
    /// `https://...` in text (GFM).
    Bare,
    /// A string of the front matter, quoted so.
    Front(Quote),
}

/// Whether `c` may be backslash-escaped (ASCII punctuation).
fn escapable(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// Where an inline link's destination is: after the `](` that ends its text (at or after
/// `text_end`), before `link_end`.
pub(crate) fn inline_destination(
    text: &str,
    text_end: usize,
    link_end: usize,
) -> Option<(Range<usize>, Syntax)> {
    let window = text.get(text_end..link_end)?;
    let open = window.find("](")? + text_end + 2;
    destination_at(text, open, link_end)
}

/// Where a reference definition's destination is: after its label's `]:`.
pub(crate) fn definition_destination(
    text: &str,
    span: Range<usize>,
) -> Option<(Range<usize>, Syntax)> {
    let def = text.get(span.clone())?;
    let bytes = def.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b']' if bytes.get(i + 1) == Some(&b':') => {
                return destination_at(text, span.start + i + 2, span.end);
            }
            _ => i += 1,
        }
    }
    None
}

/// The destination starting after optional whitespace (one line ending at most) at `from`.
fn destination_at(text: &str, from: usize, end: usize) -> Option<(Range<usize>, Syntax)> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut newlines = 0;
    while i < end && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        newlines += usize::from(bytes[i] == b'\n');
        i += 1;
    }
    if newlines > 1 || i >= end {
        return None;
    }
    if bytes[i] == b'<' {
        let start = i + 1;
        let mut j = start;
        while j < end {
            match bytes[j] {
                b'\\' => j += 2,
                b'>' => return Some((start..j, Syntax::Angle)),
                b'\n' | b'<' => return None,
                _ => j += 1,
            }
        }
        return None;
    }
    let start = i;
    let mut depth = 0usize;
    let mut j = start;
    while j < end {
        match bytes[j] {
            b'\\' if j + 1 < end && escapable(bytes[j + 1] as char) => j += 2,
            b'(' => {
                depth += 1;
                j += 1;
            }
            b')' if depth == 0 => break,
            b')' => {
                depth -= 1;
                j += 1;
            }
            b if b <= b' ' => break,
            _ => j += 1,
        }
    }
    (j > start).then_some((start..j, Syntax::Plain))
}

/// The URL a destination's source means: escapes and references decoded (an autolink's and
/// a bare URL's are as written). `None` when it holds something this reading does not
/// follow.
pub(crate) fn decode(source: &str, syntax: Syntax) -> Option<String> {
    match syntax {
        Syntax::Front(quote) => front_matter::read_value(source, quote),
        // A bare `www.` URL means an `http://` one.
        Syntax::Bare
            if source.len() > 4 && source.as_bytes()[..4].eq_ignore_ascii_case(b"www.") =>
        {
            Some(format!("http://{source}"))
        }
        Syntax::Autolink | Syntax::Bare => Some(source.to_owned()),
        // Most destinations hold neither an escape nor a reference: as written.
        _ if !source.contains(['\\', '&']) => Some(source.to_owned()),
        _ => Some(decode_map(source, syntax).0),
    }
}

/// [`decode`] of a Markdown destination, with where in `source` each byte of the URL comes
/// from (one entry more: the source's end).
fn decode_map(source: &str, syntax: Syntax) -> (String, Vec<usize>) {
    if matches!(syntax, Syntax::Autolink | Syntax::Bare | Syntax::Front(_)) {
        return (source.to_owned(), (0..=source.len()).collect());
    }
    let mut out = String::with_capacity(source.len());
    let mut map = Vec::with_capacity(source.len() + 1);
    let push = |out: &mut String, map: &mut Vec<usize>, text: &str, from: usize| {
        out.push_str(text);
        map.extend(std::iter::repeat_n(from, text.len()));
    };
    let mut chars = source.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&(_, next)) if escapable(next) => {
                    push(&mut out, &mut map, next.encode_utf8(&mut [0; 4]), at);
                    chars.next();
                }
                _ => push(&mut out, &mut map, "\\", at),
            },
            '&' => match reference(&source[at..]) {
                Some((decoded, len)) => {
                    push(&mut out, &mut map, &decoded, at);
                    while chars.peek().is_some_and(|&(i, _)| i < at + len) {
                        chars.next();
                    }
                }
                None => push(&mut out, &mut map, "&", at),
            },
            c => push(&mut out, &mut map, c.encode_utf8(&mut [0; 4]), at),
        }
    }
    map.push(source.len());
    (out, map)
}

/// The character reference at the start of `text` (`&amp;`, `&#38;`, `&#x26;`): what it
/// means and its length.
fn reference(text: &str) -> Option<(String, usize)> {
    let end = text.get(..40.min(text.len()))?.find(';')?;
    let candidate = &text[..=end];
    let body = &candidate[1..end];
    let valid = match body.strip_prefix('#') {
        Some(num) => {
            let (digits, radix) = match num.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (num, 10),
            };
            !digits.is_empty()
                && digits.len() <= if radix == 16 { 6 } else { 7 }
                && digits.chars().all(|c| c.is_digit(radix))
        }
        None => !body.is_empty() && body.chars().all(|c| c.is_ascii_alphanumeric()),
    };
    if !valid {
        return None;
    }
    match char_ref(candidate.as_bytes(), false, true) {
        CharRef::Decoded { len, expansion } if len == candidate.len() => {
            let mut decoded = String::new();
            expansion.push_to(&mut decoded);
            Some((decoded, len))
        }
        _ => None,
    }
}

/// Whether `&` at the start of `rest` would be read as a character reference.
fn reads_as_reference(rest: &str) -> bool {
    reference(rest).is_some()
}

/// How `url` is written as a destination of `syntax`, keeping the bytes of `old_source`
/// (which means `old_url`) when `url` starts with `old_url`. An error says why it cannot be
/// written so.
pub(crate) fn encode(
    url: &str,
    syntax: Syntax,
    old_source: &str,
    old_url: &str,
) -> Result<String, &'static str> {
    match syntax {
        Syntax::Front(quote) => front_matter::write(url, quote),
        Syntax::Autolink | Syntax::Bare => {
            let bad = |c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>';
            if url.contains(bad) || (syntax == Syntax::Bare && ends_badly(url)) {
                return Err("the new URL cannot be written there as it is");
            }
            if syntax == Syntax::Bare && (url.contains('\\') || has_reference(url)) {
                return Err("the new URL cannot be written there as it is");
            }
            // As written: a `www.` URL stays without its scheme.
            Ok(
                match (
                    old_url.strip_suffix(old_source),
                    url.strip_prefix("http://"),
                ) {
                    (Some("http://"), Some(rest)) => rest.to_owned(),
                    _ => url.to_owned(),
                },
            )
        }
        Syntax::Plain | Syntax::Angle => {
            // The bytes of the old destination are kept around what changed; should that not
            // read back as the URL, the whole destination is written anew.
            let (old_decoded, map) = decode_map(old_source, syntax);
            let ends = if old_decoded == old_url {
                common_ends(old_url, url)
            } else {
                (0, 0)
            };
            [ends, (0, 0)]
                .into_iter()
                .map(|(prefix, suffix)| {
                    if (prefix, suffix) == (0, 0) {
                        return write_part(url, url, "", "", syntax);
                    }
                    let mut before = old_source[..map[prefix]].to_owned();
                    let after = &old_source[map[old_url.len() - suffix]..];
                    let middle = &url[prefix..url.len() - suffix];
                    // A backslash the old URL ended with, written alone, would escape the
                    // punctuation that now follows it: it is escaped itself.
                    let lone = prefix > 0
                        && old_url.as_bytes()[prefix - 1] == b'\\'
                        && map[prefix] - map[prefix - 1] == 1;
                    if lone
                        && middle
                            .chars()
                            .chain(after.chars())
                            .next()
                            .is_some_and(escapable)
                    {
                        before.push('\\');
                    }
                    write_part(url, middle, &before, after, syntax)
                })
                .find(|written| fits(written, syntax) && decode_map(written, syntax).0 == url)
                .ok_or("the new URL cannot be written there as Markdown reads it")
        }
    }
}

/// Whether `written` stays one destination of `syntax`: no space or control character in a
/// plain one, no line ending in either.
fn fits(written: &str, syntax: Syntax) -> bool {
    match syntax {
        Syntax::Plain => {
            !written.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        }
        _ => !written.contains(['\n', '\r']),
    }
}

/// `before`, then `middle` (a part of `url`) escaped as a destination of `syntax` needs it,
/// then `after`.
fn write_part(url: &str, middle: &str, before: &str, after: &str, syntax: Syntax) -> String {
    let mut out = String::from(before);
    let balanced = parens_balanced(url);
    for (at, c) in middle.char_indices() {
        // What follows this character, in the part or after it.
        let next = middle[at + c.len_utf8()..]
            .chars()
            .next()
            .or(after.chars().next());
        match c {
            // A backslash reads as itself unless punctuation follows.
            '\\' if next.is_some_and(escapable) => out.push_str("\\\\"),
            '&' if reads_as_reference(&format!("{}{after}", &middle[at..])) => out.push_str("\\&"),
            '<' | '>' if syntax == Syntax::Angle => {
                out.push('\\');
                out.push(c);
            }
            '<' if syntax == Syntax::Plain && out.is_empty() => out.push_str("\\<"),
            '(' | ')' if syntax == Syntax::Plain && !balanced => {
                out.push('\\');
                out.push(c);
            }
            // A space ends a plain destination, a line ending any: such a URL is not written
            // (it reads back as something else, and the caller is told).
            c => out.push(c),
        }
    }
    out.push_str(after);
    out
}

/// How many bytes `a` and `b` share at their start, and then at their end (not overlapping
/// the start), on character boundaries.
fn common_ends(a: &str, b: &str) -> (usize, usize) {
    let prefix = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at);
    let prefix = (0..=prefix)
        .rev()
        .find(|&p| a.is_char_boundary(p) && b.is_char_boundary(p))
        .unwrap_or(0);
    let most = (a.len() - prefix).min(b.len() - prefix);
    let mut suffix = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take(most)
        .take_while(|(x, y)| x == y)
        .count();
    while suffix > 0
        && !(a.is_char_boundary(a.len() - suffix) && b.is_char_boundary(b.len() - suffix))
    {
        suffix -= 1;
    }
    (prefix, suffix)
}

fn parens_balanced(url: &str) -> bool {
    let mut depth = 0i64;
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return false,
            ')' => depth -= 1,
            _ => {}
        }
    }
    depth == 0
}

fn has_reference(url: &str) -> bool {
    url.char_indices()
        .any(|(at, c)| c == '&' && reads_as_reference(&url[at..]))
}

/// Whether a bare URL ending so would lose its end (GFM drops trailing punctuation).
fn ends_badly(url: &str) -> bool {
    url.ends_with(['?', '!', '.', ',', ':', '*', '_', '~', ')', '\'', '"'])
}

/// The length of the bare URL at the start of `text` by GFM's extended autolink rules: up
/// to whitespace or `<`, less trailing punctuation, an unbalanced trailing `)`, and a
/// trailing entity-like `&...;`. Zero when it is no URL (no domain after the scheme).
pub(crate) fn bare_url_len(text: &str) -> usize {
    let end = text
        .find(|c: char| c.is_whitespace() || c.is_control() || c == '<')
        .unwrap_or(text.len());
    let mut url = &text[..end];
    loop {
        let before = url.len();
        url = url.trim_end_matches(['?', '!', '.', ',', ':', '*', '_', '~', '\'', '"']);
        if url.ends_with(')') && !parens_balanced(url) {
            url = &url[..url.len() - 1];
        }
        if url.ends_with(';')
            && let Some(amp) = url.rfind('&')
            && url[amp + 1..url.len() - 1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        {
            url = &url[..amp];
        }
        if url.len() == before {
            break;
        }
    }
    let host_start = url.find("://").map_or(0, |s| s + 3);
    let host = url[host_start..]
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    if host.contains('.') && !host.starts_with('.') && !host.ends_with('.') {
        url.len()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_found_as_commonmark_writes_them() {
        fn at(text: &str) -> (&str, Syntax) {
            let (range, syntax) = inline_destination(text, 2, text.len()).unwrap();
            (&text[range], syntax)
        }
        assert_eq!(
            at("[x](https://a.example/p)"),
            ("https://a.example/p", Syntax::Plain)
        );
        assert_eq!(
            at("[x](<https://a.example/a b> \"t\")"),
            ("https://a.example/a b", Syntax::Angle)
        );
        assert_eq!(
            at("[x]( https://a.example/(x) 't')"),
            ("https://a.example/(x)", Syntax::Plain)
        );
        assert_eq!(at("[x](a\\)b)"), ("a\\)b", Syntax::Plain));
        let def = "[Kettle Label]:\n  https://a.example/k \"title\"";
        let (range, _) = definition_destination(def, 0..def.len()).unwrap();
        assert_eq!(&def[range], "https://a.example/k");
    }

    #[test]
    fn escapes_and_references_decode() {
        assert_eq!(
            decode("https://a.example/?a=1&amp;b=2\\_3", Syntax::Plain).unwrap(),
            "https://a.example/?a=1&b=2_3"
        );
        assert_eq!(
            decode("a&#x26;b&#38;c&bogus", Syntax::Plain).unwrap(),
            "a&b&c&bogus"
        );
        assert_eq!(decode("a\\b", Syntax::Plain).unwrap(), "a\\b");
        assert_eq!(decode("a&amp;b", Syntax::Autolink).unwrap(), "a&amp;b");
    }

    #[test]
    fn a_new_destination_keeps_the_old_bytes_and_escapes_what_it_must() {
        let old = "https://a.example/dp/B0?ref=a\\_b";
        let url = decode(old, Syntax::Plain).unwrap();
        assert_eq!(
            encode(&format!("{url}&tag=me-20"), Syntax::Plain, old, &url).unwrap(),
            "https://a.example/dp/B0?ref=a\\_b&tag=me-20"
        );
        // Something that would read as a reference is escaped; so are parentheses that do
        // not balance and spaces.
        assert_eq!(
            encode("https://a.example/?x=1&copy;", Syntax::Plain, "", "").unwrap(),
            "https://a.example/?x=1\\&copy;"
        );
        assert_eq!(
            encode("https://a.example/a)b", Syntax::Plain, "", "").unwrap(),
            "https://a.example/a\\)b"
        );
        assert!(encode("https://a.example/a b", Syntax::Plain, "", "").is_err());
        assert_eq!(
            encode("https://a.example/a b", Syntax::Angle, "", "").unwrap(),
            "https://a.example/a b"
        );
        // Around what changed, the old bytes stay, whatever escapes they use.
        let old = "https://a.example/\\_a#x&#95;y";
        let old_url = decode(old, Syntax::Plain).unwrap();
        assert_eq!(
            encode(
                "https://a.example/_a?tag=me-20#x_y",
                Syntax::Plain,
                old,
                &old_url
            )
            .unwrap(),
            "https://a.example/\\_a?tag=me-20#x&#95;y"
        );
        assert_eq!(
            encode("https://a.example/<x>", Syntax::Angle, "", "").unwrap(),
            "https://a.example/\\<x\\>"
        );
        assert!(encode("https://a.example/a b", Syntax::Autolink, "", "").is_err());
        assert!(encode("https://a.example/x.", Syntax::Bare, "", "").is_err());
        // Every encoding decodes back to the URL.
        for url in [
            "https://a.example/?x=1&copy;",
            "https://a.example/a)b(",
            "a\\_b",
        ] {
            let written = encode(url, Syntax::Plain, "", "").unwrap();
            assert_eq!(decode(&written, Syntax::Plain).unwrap(), url, "{written}");
        }
    }

    #[test]
    fn bare_urls_end_where_gfm_ends_them() {
        fn len(t: &str) -> &str {
            &t[..bare_url_len(t)]
        }
        assert_eq!(len("https://a.example/x. Next"), "https://a.example/x");
        assert_eq!(len("https://a.example/(x)) and"), "https://a.example/(x)");
        assert_eq!(len("www.a.example/x&amp; y"), "www.a.example/x");
        assert_eq!(len("https://a.example/?q=1<br>"), "https://a.example/?q=1");
        assert_eq!(len("https://localhost"), "");
    }
}
