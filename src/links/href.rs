//! A link's `href`, decoded (character references) and parsed as a URL, with a map back to
//! the raw attribute value and the places of its path, query and parameters in the text.

use std::borrow::Cow;
use std::ops::Range;

use percent_encoding::percent_decode_str;
use regex::Regex;
use url::Url;

use crate::page::entities::DecodedAttr;

/// A parsed `href`: its decoded text, where the URL sits in it, and the URL.
#[derive(Debug)]
pub(crate) struct Href {
    pub(super) decoded: DecodedAttr,
    /// The URL's range in the decoded text (surrounding whitespace excluded).
    pub(super) span: Range<usize>,
    /// The URL without its query and fragment: the host and the path are all that is read.
    pub(super) url: Url,
    pub(super) protocol_relative: bool,
}

impl Href {
    /// Parses an attribute value; `None` unless it is an absolute http(s) or `//host` URL.
    pub(crate) fn parse(raw: &str) -> Option<Href> {
        let decoded = DecodedAttr::new(raw);
        let text = decoded.text();
        let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c');
        let start = text.len() - text.trim_start_matches(is_space).len();
        let end = text.trim_end_matches(is_space).len().max(start);
        let trimmed = &text[start..end];
        let protocol_relative = trimmed.starts_with("//")
            || trimmed.starts_with("\\\\")
            || trimmed.starts_with("/\\")
            || trimmed.starts_with("\\/");
        // Only the host and the path are read from the parsed URL: parse up to the query or
        // fragment, whose first `?` or `#` ends the authority and the path in every case
        // (percent-encoding a long query is most of what a full parse costs).
        let before_query =
            &trimmed[..memchr::memchr2(b'?', b'#', trimmed.as_bytes()).unwrap_or(trimmed.len())];
        let url = if protocol_relative {
            Url::parse(&format!("https:{before_query}")).ok()?
        } else {
            Url::parse(before_query).ok()?
        };
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return None;
        }
        Some(Href {
            decoded,
            span: start..end,
            url,
            protocol_relative,
        })
    }

    /// The URL as written, references decoded, whitespace trimmed.
    pub(crate) fn text(&self) -> &str {
        &self.decoded.text()[self.span.clone()]
    }

    pub(super) fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The raw value `raw` (this href's) with its host replaced by `host`, keeping everything
    /// else as written; `None` when the host is not written as the plain name it parses to
    /// (percent-escaped, with a trailing dot, ...).
    pub(crate) fn with_host(&self, raw: &str, host: &str) -> Option<String> {
        let text = self.decoded.text();
        let url = &text[self.span.clone()];
        let mut at = if self.protocol_relative {
            0
        } else {
            url.find(':')? + 1
        };
        at += url[at..].len() - url[at..].trim_start_matches(['/', '\\']).len();
        let authority_end = url[at..]
            .find(['/', '\\', '?', '#'])
            .map_or(url.len(), |end| at + end);
        if let Some(user) = url[at..authority_end].rfind('@') {
            at += user + 1;
        }
        let current = self.host();
        let written = url.get(at..at + current.len())?;
        let ends = url[at + current.len()..authority_end].is_empty()
            || url[at + current.len()..].starts_with(':');
        if !written.eq_ignore_ascii_case(current) || !ends {
            return None;
        }
        let start = self.span.start + at;
        let range = self.decoded.raw_range(start..start + current.len());
        Some(format!(
            "{}{host}{}",
            &raw[..range.start],
            &raw[range.end..]
        ))
    }

    /// The decoded text's query parameters and the ranges around them.
    pub(super) fn parts(&self) -> UrlParts<'_> {
        UrlParts::new(self.decoded.text(), self.span.clone())
    }
}

/// Where the path, query and fragment of a URL are in its decoded text.
pub(super) struct UrlParts<'t> {
    pub(super) path: Range<usize>,
    pub(super) query: Option<Range<usize>>,
    /// Where a new query would go (end of the path).
    pub(super) query_insert: usize,
    pub(super) params: Vec<Param<'t>>,
}

/// A query parameter; key and value percent-decoded (borrowed unless they had escapes).
pub(super) struct Param<'t> {
    pub(super) range: Range<usize>,
    pub(super) key: Cow<'t, str>,
    /// Where the value starts (after `=`), or `None` for a bare key.
    pub(super) value_start: Option<usize>,
    pub(super) value: Cow<'t, str>,
}

pub(super) fn percent_decoded(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

impl UrlParts<'_> {
    /// Where the path, query and parameters of the URL at `span` in `text` are.
    fn new(text: &str, span: Range<usize>) -> UrlParts<'_> {
        let url = &text[span.clone()];
        let body_end = url.find('#').unwrap_or(url.len());
        let query_mark = url[..body_end].find('?');
        let after_scheme = url.find("//").map_or(0, |i| i + 2);
        let path_start = url[after_scheme..body_end]
            .find(['/', '\\', '?'])
            .map_or(body_end, |i| after_scheme + i);
        let path_end = query_mark.unwrap_or(body_end);
        let path = span.start + path_start.min(path_end)..span.start + path_end;
        let query = query_mark.map(|q| span.start + q + 1..span.start + body_end);
        let mut params = Vec::new();
        if let Some(query) = query.as_ref().filter(|q| !q.is_empty()) {
            let mut start = query.start;
            for piece in text[query.clone()].split('&') {
                let range = start..start + piece.len();
                let (key, value_start, value) = match piece.find('=') {
                    Some(eq) => (
                        percent_decoded(&piece[..eq]),
                        Some(range.start + eq + 1),
                        percent_decoded(&piece[eq + 1..]),
                    ),
                    None => (percent_decoded(piece), None, Cow::Borrowed("")),
                };
                params.push(Param {
                    range,
                    key,
                    value_start,
                    value,
                });
                start += piece.len() + 1;
            }
        }
        UrlParts {
            path,
            query,
            query_insert: span.start + path_end,
            params,
        }
    }
}

/// The id a rule's `path_id` pattern finds in `path` (its first group).
pub(super) fn path_id<'p>(re: Option<&Regex>, path: &'p str) -> Option<regex::Match<'p>> {
    // `is_match` first: most paths do not match, and it skips setting up capture groups.
    re.filter(|re| re.is_match(path))?.captures(path)?.get(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_replaced_where_it_is_written() {
        let moved = |raw: &str| Href::parse(raw).unwrap().with_host(raw, "www.amazon.com");
        assert_eq!(
            moved("https://smile.amazon.com/dp/B0?tag=a&amp;x=1#r").as_deref(),
            Some("https://www.amazon.com/dp/B0?tag=a&amp;x=1#r")
        );
        assert_eq!(
            moved(" //SMILE.amazon.com:443/x ").as_deref(),
            Some(" //www.amazon.com:443/x ")
        );
        assert_eq!(
            moved("https://me@smile.amazon.com/").as_deref(),
            Some("https://me@www.amazon.com/")
        );
        assert_eq!(
            moved("https:\\\\smile.amazon.com\\dp").as_deref(),
            Some("https:\\\\www.amazon.com\\dp")
        );
        assert_eq!(
            moved("https://smile.amazon.com./dp").as_deref(),
            Some("https://www.amazon.com/dp")
        );
        assert_eq!(moved("https://smile%2Eamazon.com/dp"), None);
    }

    #[test]
    fn host_and_path_are_those_of_the_whole_url() {
        for value in [
            "https://www.amazon.com/dp/B0?tag=a-20&x=1#top",
            "https://evil.example?@amazon.com/",
            "https://evil.example#@amazon.com/",
            "https://user:pw@amazon.com:8443/a/../b/?q",
            "https://amazon.com\\gp\\x?y#z",
            "//amazon.de/x/%2e%2e/y?z",
            "https://AMAZON.com./%7Ex#?",
            "https://[::1]/p?q",
            "https://amazon.com?",
        ] {
            let href = Href::parse(value).expect(value);
            let full = if value.starts_with("//") {
                Url::parse(&format!("https:{value}"))
            } else {
                Url::parse(value)
            }
            .unwrap();
            assert_eq!(href.host(), full.host_str().unwrap(), "{value}");
            assert_eq!(href.url.path(), full.path(), "{value}");
        }
    }
}
