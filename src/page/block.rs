//! The block of text an element sits in, read from the raw bytes: its nearest enclosing
//! paragraph, list item, table row or container (a product box's `<div>`), found by tag
//! balance within a bounded window, and the text a reader sees in it.

use encoding_rs::Encoding;

use super::elements::{CLOSES_P, is_one_of};
use super::entities::DecodedAttr;
use super::markup::tag_name_len;

/// Elements that make a block around a link.
const CONTAINERS: &[&str] = &[
    "p",
    "li",
    "td",
    "th",
    "tr",
    "dd",
    "dt",
    "figure",
    "figcaption",
    "blockquote",
    "div",
    "section",
    "aside",
    "article",
    "header",
    "footer",
    "table",
];

/// Blocks that are part of a larger one: the block is the one around them (the table row
/// around a cell, the box around the paragraph that holds the link).
const PARTS: &[&str] = &["p", "td", "th", "dd", "dt", "figcaption"];

/// How far a block reaches before and after the element, at most.
pub(crate) const REACH: usize = 1024;

/// A tag found in the raw bytes.
struct RawTag<'a> {
    at: usize,
    closing: bool,
    name: &'a [u8],
}

/// The tags of `bytes` from the end backwards.
fn tags_back(bytes: &[u8]) -> impl Iterator<Item = RawTag<'_>> {
    let mut end = bytes.len();
    std::iter::from_fn(move || {
        loop {
            let lt = memchr::memrchr(b'<', &bytes[..end])?;
            end = lt;
            if let Some(tag) = tag_at(bytes, lt) {
                return Some(tag);
            }
        }
    })
}

fn tag_at(bytes: &[u8], lt: usize) -> Option<RawTag<'_>> {
    let rest = &bytes[lt + 1..];
    let closing = rest.first() == Some(&b'/');
    let from = usize::from(closing);
    if !rest.get(from).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let len = tag_name_len(&rest[from..]);
    if from + len >= rest.len() {
        // The name may go on in bytes not read yet.
        return None;
    }
    Some(RawTag {
        at: lt,
        closing,
        name: &rest[from..from + len],
    })
}

/// Where the block around the element at the end of `before` starts (an offset into
/// `before`, just past the container's start tag), and the container's name; `None` when no
/// container opens in `before`.
pub(crate) fn start(before: &[u8]) -> Option<(usize, String)> {
    let mut open: Vec<&[u8]> = Vec::new();
    let mut found: Option<(usize, &[u8])> = None;
    for tag in tags_back(before) {
        if !is_one_of(tag.name, CONTAINERS) {
            continue;
        }
        if tag.closing {
            open.push(tag.name);
            continue;
        }
        if open
            .last()
            .is_some_and(|n| n.eq_ignore_ascii_case(tag.name))
        {
            open.pop();
            continue;
        }
        // An unclosed container around the element: a part leads to the one around it.
        match found {
            None if is_one_of(tag.name, PARTS) => found = Some((tag.at, tag.name)),
            None | Some(_) => {
                found = Some((tag.at, tag.name));
                break;
            }
        }
    }
    let (at, name) = found?;
    let gt = memchr::memchr(b'>', &before[at..]).map_or(before.len(), |g| at + g + 1);
    Some((gt, String::from_utf8_lossy(name).to_ascii_lowercase()))
}

/// Where the block named `name` ends in `after` (which starts inside it): at its end tag,
/// or where a start tag implies it (a new `<li>`, a block that closes a `<p>`). `None` when
/// `after` does not reach that far.
pub(crate) fn end(after: &[u8], name: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &after[i..]) {
        let at = i + lt;
        i = at + 1;
        let Some(tag) = tag_at(after, at) else {
            continue;
        };
        let same = tag.name.eq_ignore_ascii_case(name.as_bytes());
        let implied = !tag.closing
            && ((name == "p" && is_one_of(tag.name, CLOSES_P))
                || (matches!(name, "li" | "dd" | "dt") && same)
                || (matches!(name, "td" | "th") && is_one_of(tag.name, &["td", "th", "tr"])));
        if implied && depth == 0 {
            return Some(at);
        }
        if same && tag.closing {
            if depth == 0 {
                return Some(at);
            }
            depth -= 1;
        } else if same {
            depth += 1;
        }
    }
    None
}

/// The text a reader sees in raw HTML: tags and comments dropped (each a space), references
/// decoded, whitespace folded.
pub(crate) fn text(bytes: &[u8], encoding: &'static Encoding) -> String {
    let html = encoding.decode_without_bom_handling(bytes).0;
    let mut raw = String::with_capacity(html.len());
    let mut rest: &str = &html;
    while let Some(lt) = rest.find('<') {
        raw.push_str(&rest[..lt]);
        raw.push(' ');
        let markup = &rest[lt..];
        let skip = if markup.starts_with("<!--") {
            markup.find("-->").map_or(markup.len(), |e| e + 3)
        } else if markup[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
            markup.find('>').map_or(markup.len(), |e| e + 1)
        } else {
            raw.push('<');
            1
        };
        rest = &markup[skip..];
    }
    raw.push_str(rest);
    let decoded = DecodedAttr::new(&raw);
    decoded
        .text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use encoding_rs::UTF_8;

    use super::*;

    /// The block around the `@` in `html`: its text.
    fn block(html: &str) -> String {
        let at = html.find('@').unwrap();
        let bytes = html.as_bytes();
        let (start, name) = start(&bytes[..at]).unwrap();
        let end = at + end(&bytes[at..], &name).unwrap();
        text(&bytes[start..end], UTF_8)
    }

    #[test]
    fn the_block_is_the_paragraph_item_row_or_box_around() {
        assert_eq!(
            block("<div><p>Intro</p><ul><li>Kettle @link &ndash; $39</li><li>other</li></ul>"),
            "Kettle @link – $39"
        );
        assert_eq!(
            block(
                "<table><tr><td>Kettle</td><td>$39.99</td><td>@link</td></tr><tr><td>x</td></tr>"
            ),
            "Kettle $39.99 @link"
        );
        assert_eq!(
            block(
                "<article><div class=box><h3>Kettle</h3><p class=price>$39.99</p><p>@link</p></div><p>next</p>"
            ),
            "Kettle $39.99 @link"
        );
        assert_eq!(
            block("<p>One <em>line</em> with @link<!-- note --> in it<p>Next"),
            "One line with @link in it"
        );
    }
}
