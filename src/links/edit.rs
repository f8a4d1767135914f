//! The byte edits that fix a link: a new `href` value, and `rel="sponsored"`. They replace
//! only attribute values (or add one attribute), located by lol_html's source locations, so
//! the rest of the tag keeps its spacing, quoting and attribute order.

use std::ops::Range;

use encoding_rs::Encoding;
use lol_html::html_content::Attribute;

use crate::page::source::{Edit, Source};

/// Where the `href` value `raw` (the value of `attribute`) is, when it can be rewritten: its
/// bytes must be what `raw` encodes to, or a rewrite would change bytes it did not mean to.
pub(crate) fn href_range(
    source: &Source,
    attribute: &Attribute<'_>,
    raw: &str,
    encoding: &'static Encoding,
) -> Result<Range<usize>, String> {
    let range = attribute
        .value_source_location()
        .ok_or("the attribute has no value to rewrite")?
        .bytes();
    let original = source
        .bytes(range.clone())
        .ok_or("the tag is larger than the memory limit")?;
    let (encoded_raw, _, _) = encoding.encode(raw);
    if *encoded_raw != *original {
        return Err(format!(
            "the link holds bytes that are not valid {}; fix them by hand",
            encoding.name()
        ));
    }
    Ok(range)
}

/// The edit that adds `sponsored` to `rel`, or a `rel` attribute right after `href`. It
/// splices the raw bytes, so an odd byte in the existing value stays as it was; `None` when
/// an unquoted value holds both kinds of quote and cannot be quoted safely.
pub(crate) fn rel_edit(
    source: &Source,
    rel: Option<&Attribute<'_>>,
    href: &Attribute<'_>,
    encoding: &'static Encoding,
) -> Option<Edit> {
    let quoted = |value: &Range<usize>| {
        value.start > 0
            && matches!(
                source.bytes(value.start - 1..value.start),
                Some(b"\"") | Some(b"'")
            )
    };
    let ascii = |text: &str| encoding.encode(text).0.into_owned();
    let (range, bytes) = match rel {
        Some(rel) => match rel.value_source_location() {
            Some(value) => {
                let value = value.bytes();
                let raw = source.bytes(value.clone())?;
                let kept = raw.trim_ascii_end();
                if quoted(&value) {
                    let at = value.start + kept.len();
                    let separator = if kept.trim_ascii().is_empty() {
                        ""
                    } else {
                        " "
                    };
                    (at..at, ascii(&format!("{separator}sponsored")))
                } else {
                    let quote = if !raw.contains(&b'"') {
                        b'"'
                    } else if !raw.contains(&b'\'') {
                        b'\''
                    } else {
                        return None;
                    };
                    let mut bytes = vec![quote];
                    bytes.extend_from_slice(raw);
                    bytes.extend_from_slice(&ascii(" sponsored"));
                    bytes.push(quote);
                    (value, bytes)
                }
            }
            None => (
                rel.name_source_location()?.bytes(),
                ascii("rel=\"sponsored\""),
            ),
        },
        None => {
            let value = href.value_source_location()?.bytes();
            let end = if quoted(&value) {
                value.end + 1
            } else {
                value.end
            };
            (end..end, ascii(" rel=\"sponsored\""))
        }
    };
    Some(Edit { range, bytes })
}

/// Whether a `rel` value contains `sponsored` or `nofollow`.
pub(crate) fn rel_is_marked(rel: &str) -> bool {
    rel.split(|c: char| c.is_ascii_whitespace())
        .any(|t| t.eq_ignore_ascii_case("sponsored") || t.eq_ignore_ascii_case("nofollow"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_needs_sponsored_or_nofollow() {
        assert!(rel_is_marked("noopener SPONSORED"));
        assert!(rel_is_marked("nofollow"));
        assert!(!rel_is_marked("noopener noreferrer"));
        assert!(!rel_is_marked("sponsoredx"));
    }
}
