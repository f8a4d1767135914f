//! The byte edits that fix a link: a new `href` value, and `rel="sponsored"`. They replace
//! only attribute values (or add one attribute), located by lol_html's source locations, so
//! the rest of the tag keeps its spacing, quoting and attribute order.

use std::ops::Range;

use encoding_rs::Encoding;
use lol_html::html_content::Attribute;

use crate::source::{Edit, Source};

/// The edit that replaces the `href` value `raw` (at `location`) with `new_value`.
pub(crate) fn href_edit(
    source: &Source,
    attribute: &Attribute<'_>,
    raw: &str,
    new_value: &str,
    encoding: &'static Encoding,
) -> Result<Edit, String> {
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
    let (bytes, _, _) = encoding.encode(new_value);
    Ok(Edit {
        range,
        bytes: bytes.into_owned(),
    })
}

/// The edit that adds `sponsored` to `rel`, or a `rel` attribute right after `href`.
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
    let (range, text) = match rel {
        Some(rel) => match rel.value_source_location() {
            Some(value) => {
                let value = value.bytes();
                let current = rel.value();
                let trimmed = current.trim_end_matches(|c: char| c.is_ascii_whitespace());
                if quoted(&value) {
                    let at = value.start + trimmed.len();
                    let separator = if trimmed.trim().is_empty() { "" } else { " " };
                    (at..at, format!("{separator}sponsored"))
                } else {
                    (value, format!("\"{current} sponsored\""))
                }
            }
            None => (
                rel.name_source_location()?.bytes(),
                "rel=\"sponsored\"".to_owned(),
            ),
        },
        None => {
            let value = href.value_source_location()?.bytes();
            let end = if quoted(&value) {
                value.end + 1
            } else {
                value.end
            };
            (end..end, " rel=\"sponsored\"".to_owned())
        }
    };
    let (bytes, _, _) = encoding.encode(&text);
    Some(Edit {
        range,
        bytes: bytes.into_owned(),
    })
}
