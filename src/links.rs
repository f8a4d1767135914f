//! Links: which program a link belongs to, whether it carries the publisher's id, and the
//! rewritten attribute value that tags it.
//!
//! A link's `href` is decoded (character references) before it is parsed with `url::Url`, so
//! hosts are compared after proper URL parsing (`user@host`, backslashes, case, IDNA). The
//! rewrite works the other way round: it edits the decoded text and maps every edit back onto
//! the raw value, so parameters, their order, their escaping (`&amp;`, `&#038;`, `&`) and the
//! fragment stay as they were.

use std::borrow::Cow;
use std::ops::Range;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use regex::Regex;
use url::Url;

use crate::entities::DecodedAttr;
use crate::hosts::HostTable;
use crate::rules::{Program, TaggingMethod};

/// Everything but RFC 3986 unreserved characters is encoded in a wrapped destination.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The delimiter written between parameters when a link has none to copy.
const DEFAULT_DELIMITER: &str = "&amp;";

/// A parsed `href`: its decoded text, where the URL sits in it, and the URL.
#[derive(Debug)]
pub(crate) struct Href {
    decoded: DecodedAttr,
    /// The URL's range in the decoded text (surrounding whitespace excluded).
    span: Range<usize>,
    /// The URL without its query and fragment: the host and the path are all that is read.
    url: Url,
    protocol_relative: bool,
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

    fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The decoded text's query parameters and the ranges around them.
    fn parts(&self) -> UrlParts<'_> {
        UrlParts::new(self.decoded.text(), self.span.clone())
    }
}

/// Where the path, query and fragment of a URL are in its decoded text.
struct UrlParts<'t> {
    path: Range<usize>,
    query: Option<Range<usize>>,
    /// Where a new query would go (end of the path).
    query_insert: usize,
    params: Vec<Param<'t>>,
}

/// A query parameter; key and value percent-decoded (borrowed unless they had escapes).
struct Param<'t> {
    range: Range<usize>,
    key: Cow<'t, str>,
    /// Where the value starts (after `=`), or `None` for a bare key.
    value_start: Option<usize>,
    value: Cow<'t, str>,
}

fn percent_decoded(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

impl UrlParts<'_> {
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

/// The role a host plays for a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    /// Not a shop page of the program (checked first).
    Excluded,
    /// The program's own host.
    Host,
    /// A short-link host.
    Short,
    /// A retailer a redirect network wraps.
    Merchant,
}

/// A program the publisher has an id for, with its ids resolved.
#[derive(Debug, Clone)]
pub(crate) struct ActiveProgram {
    pub(crate) program: Program,
    pub(crate) tag: Option<String>,
    pub(crate) marketplaces: HostTable<String>,
}

impl ActiveProgram {
    /// Whether `id` is one of the publisher's ids for this program.
    fn owns(&self, id: &str) -> bool {
        self.tag.as_deref() == Some(id) || self.marketplaces.iter().any(|(_, m)| m == id)
    }

    /// The id expected on links to `host`.
    fn expected_id(&self, host: &str) -> Option<&str> {
        self.marketplaces
            .lookup(host)
            .map(|(_, id)| id.as_str())
            .or(self.tag.as_deref())
    }
}

/// How an affiliate link stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// Carries the expected id.
    Tagged,
    /// Carries no id.
    Untagged,
    /// Carries another id (`found`) instead of `expected`; `ours` when `found` is one of the
    /// publisher's ids for another marketplace.
    Foreign {
        found: String,
        expected: String,
        ours: bool,
    },
    /// A short link: cannot be checked or tagged offline.
    Short,
}

/// An affiliate link: its program and status.
#[derive(Debug, Clone)]
pub(crate) struct Affiliate {
    pub(crate) program: usize,
    pub(crate) status: Status,
    role: Role,
}

/// The compiled host table of every active program.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkRules {
    pub(crate) programs: Vec<ActiveProgram>,
    table: HostTable<Vec<(usize, Role)>>,
}

impl LinkRules {
    pub(crate) fn new(programs: Vec<ActiveProgram>, merchants: &[Vec<String>]) -> LinkRules {
        let mut table: HostTable<Vec<(usize, Role)>> = HostTable::default();
        for (index, active) in programs.iter().enumerate() {
            let p = &active.program;
            let roles = [
                (&p.exclude_hosts, Role::Excluded),
                (&p.hosts, Role::Host),
                (&p.short_hosts, Role::Short),
                (&merchants[index], Role::Merchant),
            ];
            for (hosts, role) in roles {
                for host in hosts {
                    table.entry(host, Vec::new).push((index, role));
                }
            }
        }
        for (_, roles) in table.iter() {
            debug_assert!(!roles.is_empty());
        }
        let mut rules = LinkRules { programs, table };
        rules.sort_roles();
        rules
    }

    fn sort_roles(&mut self) {
        let keys: Vec<String> = self.table.iter().map(|(k, _)| k.to_owned()).collect();
        for key in keys {
            self.table
                .entry(&key, Vec::new)
                .sort_by_key(|&(p, role)| (role, p));
        }
    }

    /// Whether the raw attribute value could be an active program's link. It says `false` only
    /// for a plain value (ASCII, no references, no escapes, no tabs or newlines in the URL)
    /// that is not an absolute http(s) URL, or whose lowercase host no program lists; anything
    /// unusual is left to [`Href::parse`], so this never changes a result, it only saves the
    /// full URL parse of most links.
    pub(crate) fn may_match(&self, raw: &str) -> bool {
        let value = raw.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c'));
        let unusual = |b: &u8| {
            matches!(b, b'&' | b'%' | b'\t' | b'\n' | b'\r' | b'@' | b'\\') || !b.is_ascii()
        };
        let rest = if let Some(rest) = strip_scheme(value) {
            rest
        } else if value.starts_with("//") {
            value
        } else {
            // No http(s) scheme: relative, another scheme, or escaped (`https&#58;//`).
            let bytes = value.as_bytes();
            let prefix_end = memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len());
            return bytes[..prefix_end].iter().any(unusual);
        };
        let rest = rest.trim_start_matches('/');
        // One pass over the authority: where the host ends, and anything unusual in it.
        let mut port = None;
        let mut end = rest.len();
        for (i, b) in rest.bytes().enumerate() {
            match b {
                b'/' | b'?' | b'#' => {
                    end = i;
                    break;
                }
                b':' if port.is_none() => port = Some(i),
                b if unusual(&b) || b.is_ascii_uppercase() => return true,
                _ => {}
            }
        }
        // Every byte up to `end` is ASCII (checked above): a character boundary.
        let host = &rest[..port.unwrap_or(end)];
        self.table.lookup(host).is_some()
    }

    /// The program and status of a link, or `None` when it is not an active program's link.
    pub(crate) fn classify(&self, href: &Href) -> Option<Affiliate> {
        let host = href.host();
        let (_, roles) = self.table.lookup(host)?;
        let &(program, role) = roles.first()?;
        if role == Role::Excluded {
            return None;
        }
        let active = &self.programs[program];
        if active
            .program
            .exclude_paths
            .iter()
            .any(|re| re.is_match(href.url.path()))
        {
            return None;
        }
        let status = match role {
            Role::Short => Status::Short,
            Role::Merchant => Status::Untagged,
            Role::Host | Role::Excluded => self.id_status(active, href),
        };
        Some(Affiliate {
            program,
            status,
            role,
        })
    }

    fn id_status(&self, active: &ActiveProgram, href: &Href) -> Status {
        let Some(tagging) = &active.program.tagging else {
            return Status::Untagged;
        };
        let parts = href.parts();
        let text = href.decoded.text();
        let mut ids: Vec<String> = Vec::new();
        if let Some(param) = &tagging.id_param {
            ids.extend(
                parts
                    .params
                    .iter()
                    .filter(|p| p.key == *param && !p.value.is_empty())
                    .map(|p| p.value.to_string()),
            );
        }
        if let Some(found) = path_id(tagging.path_id.as_ref(), &text[parts.path.clone()]) {
            ids.push(percent_decoded(found.as_str()).into_owned());
        }
        let Some(expected) = active.expected_id(href.host()) else {
            return if ids.is_empty() {
                Status::Untagged
            } else {
                Status::Tagged
            };
        };
        match ids.iter().find(|id| *id != expected) {
            Some(found) => Status::Foreign {
                found: found.clone(),
                expected: expected.to_owned(),
                ours: active.owns(found),
            },
            None if ids.is_empty() => Status::Untagged,
            None => Status::Tagged,
        }
    }

    /// The new raw attribute value that tags `href` for `affiliate`'s program, or why it
    /// cannot be tagged offline.
    /// Why `href` cannot be tagged offline, or `None` when [`LinkRules::retag`] will succeed.
    /// Cheap: a check only needs this, not the rewritten value.
    pub(crate) fn blocker(&self, href: &Href, affiliate: &Affiliate) -> Option<String> {
        let active = &self.programs[affiliate.program];
        let program = &active.program;
        let Some(tagging) = &program.tagging else {
            return Some(format!("{} has no tagging rule", program.id()));
        };
        let host = href.host();
        if active.expected_id(host).is_none() {
            return Some(format!(
                "no id configured for {host}: set `tag` (or a marketplace id) under \
                 [programs.{}]",
                program.id()
            ));
        }
        let templates: Vec<&crate::rules::Template> = match (&tagging.method, affiliate.role) {
            (TaggingMethod::Wrap { template, .. }, Role::Merchant) => vec![template],
            (_, Role::Merchant) => return Some(format!("{} cannot wrap links", program.id())),
            (TaggingMethod::Query { params }, _) => params.iter().map(|(_, t)| t).collect(),
            (TaggingMethod::Wrap { .. }, _) => Vec::new(),
        };
        templates
            .iter()
            .flat_map(|t| t.placeholders())
            .find(|name| !matches!(*name, "id" | "url") && program.var(host, name).is_none())
            .map(|name| {
                format!(
                    "rule `{}` has no `{name}` for {host}: add it under [vars.\"{host}\"] in \
                     your own rule file",
                    program.id()
                )
            })
    }

    pub(crate) fn retag(
        &self,
        raw: &str,
        href: &Href,
        affiliate: &Affiliate,
    ) -> Result<String, String> {
        if let Some(reason) = self.blocker(href, affiliate) {
            return Err(reason);
        }
        let active = &self.programs[affiliate.program];
        let program = &active.program;
        let tagging = program
            .tagging
            .as_ref()
            .ok_or_else(|| format!("{} has no tagging rule", program.id()))?;
        let host = href.host();
        let id = active
            .expected_id(host)
            .ok_or_else(|| format!("no id configured for {host}"))?;
        let lookup = |name: &str| -> Option<String> {
            match name {
                "id" => Some(id.to_owned()),
                "url" => Some(self.destination(href)),
                var => program.var(host, var).map(str::to_owned),
            }
        };
        let missing = |name: &str| {
            format!(
                "rule `{}` has no `{name}` for {host}: add it under [vars.\"{host}\"] in your \
                 own rule file",
                program.id()
            )
        };
        if affiliate.role == Role::Merchant {
            let TaggingMethod::Wrap { template, .. } = &tagging.method else {
                return Err(format!("{} cannot wrap links", program.id()));
            };
            let wrapped = template.render(lookup).map_err(missing)?;
            let escaped = htmlize::escape_attribute(wrapped);
            let raw_span = href.decoded.raw_range(href.span.clone());
            return Ok(splice(raw, vec![(raw_span, escaped.into_owned())]));
        }

        let parts = href.parts();
        let text = href.decoded.text();
        let mut set: Vec<(String, String)> = Vec::new();
        match &tagging.method {
            TaggingMethod::Query { params } => {
                for (name, template) in params {
                    set.push((name.clone(), template.render(lookup).map_err(missing)?));
                }
            }
            TaggingMethod::Wrap { .. } => {
                if let Some(param) = &tagging.id_param {
                    set.push((param.clone(), id.to_owned()));
                }
            }
        }
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        if let Some(found) = path_id(tagging.path_id.as_ref(), &text[parts.path.clone()]) {
            let start = parts.path.start + found.start();
            let dec = start..start + found.len();
            if found.as_str() != id {
                edits.push((href.decoded.raw_range(dec), id.to_owned()));
            }
        }
        // Only the id parameter is added to a link whose id sits in its path.
        let id_in_path = !edits.is_empty()
            || tagging
                .path_id
                .as_ref()
                .is_some_and(|re| re.is_match(&text[parts.path.clone()]));
        if id_in_path {
            let id_param = tagging.id_param.as_deref();
            set.retain(|(name, _)| Some(name.as_str()) != id_param || has_param(&parts, name));
        }
        if let Some(edit) = self.query_edit(raw, href, &parts, &set, |name| tagging.drops(name)) {
            edits.push(edit);
        }
        Ok(splice(raw, edits))
    }

    /// The destination of a link, for `{url}`.
    fn destination(&self, href: &Href) -> String {
        let text: Cow<'_, str> = if href.protocol_relative {
            Cow::Owned(format!("https:{}", href.text()))
        } else {
            Cow::Borrowed(href.text())
        };
        utf8_percent_encode(&text, COMPONENT).to_string()
    }

    /// The raw edit that sets `set` on the query (and drops what the rule drops), if anything
    /// changes.
    fn query_edit(
        &self,
        raw: &str,
        href: &Href,
        parts: &UrlParts,
        set: &[(String, String)],
        drops: impl Fn(&str) -> bool,
    ) -> Option<(Range<usize>, String)> {
        let decoded = &href.decoded;
        let raw_of = |r: Range<usize>| &raw[decoded.raw_range(r)];
        let delimiter_before = |i: usize| -> &str {
            raw_of(parts.params[i - 1].range.end..parts.params[i].range.start)
        };
        // Copy the link's own delimiter only in a form that stays one whatever follows it: a
        // bare `&amp` before letters is not a reference inside an attribute.
        let default_delimiter = if parts.params.len() > 1 {
            let first = delimiter_before(1);
            if first == "&" || first.ends_with(';') {
                first
            } else {
                DEFAULT_DELIMITER
            }
        } else {
            DEFAULT_DELIMITER
        };
        let mut changed = false;
        let mut done: Vec<bool> = vec![false; set.len()];
        let mut out = String::new();
        let mut first = true;
        for (i, param) in parts.params.iter().enumerate() {
            let position = set.iter().position(|(name, _)| *name == param.key);
            let piece: Cow<'_, str> = match position {
                Some(index) if done[index] => {
                    changed = true;
                    continue;
                }
                Some(index) => {
                    done[index] = true;
                    let (name, value) = &set[index];
                    if param.value == *value && param.value_start.is_some() {
                        Cow::Borrowed(raw_of(param.range.clone()))
                    } else {
                        changed = true;
                        match param.value_start {
                            Some(v) => {
                                Cow::Owned(format!("{}{value}", raw_of(param.range.start..v)))
                            }
                            None => Cow::Owned(format!("{name}={value}")),
                        }
                    }
                }
                None if !param.key.is_empty() && drops(&param.key) => {
                    changed = true;
                    continue;
                }
                None => Cow::Borrowed(raw_of(param.range.clone())),
            };
            if !first {
                out.push_str(if i == 0 {
                    default_delimiter
                } else {
                    delimiter_before(i)
                });
            }
            out.push_str(&piece);
            first = false;
        }
        for ((name, value), done) in set.iter().zip(done) {
            if done {
                continue;
            }
            changed = true;
            if !first {
                out.push_str(default_delimiter);
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
            first = false;
        }
        if !changed {
            return None;
        }
        Some(match &parts.query {
            Some(query) => (decoded.raw_range(query.clone()), out),
            None => {
                let at = decoded.raw_pos(parts.query_insert);
                (at..at, format!("?{out}"))
            }
        })
    }
}

/// The rest of `value` after an `http:` or `https:` scheme (any case).
/// The id a rule's `path_id` pattern finds in `path` (its first group).
fn path_id<'p>(re: Option<&Regex>, path: &'p str) -> Option<regex::Match<'p>> {
    // `is_match` first: most paths do not match, and it skips setting up capture groups.
    re.filter(|re| re.is_match(path))?.captures(path)?.get(1)
}

fn strip_scheme(value: &str) -> Option<&str> {
    ["https:", "http:"].iter().find_map(|scheme| {
        value
            .get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &value[scheme.len()..])
    })
}

fn has_param(parts: &UrlParts, name: &str) -> bool {
    parts.params.iter().any(|p| p.key == name)
}

/// Applies non-overlapping raw edits to `raw`.
fn splice(raw: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(raw.len() + 64);
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&raw[at..range.start]);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&raw[at..]);
    out
}

/// Whether a `rel` value contains `sponsored` or `nofollow`.
pub(crate) fn rel_is_marked(rel: &str) -> bool {
    rel.split(|c: char| c.is_ascii_whitespace())
        .any(|t| t.eq_ignore_ascii_case("sponsored") || t.eq_ignore_ascii_case("nofollow"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn rules(
        tags: &[(&str, &str)],
        marketplaces: &[(&str, &str, &str)],
        merchants: &[(&str, &str)],
    ) -> LinkRules {
        let set = RuleSet::shipped();
        let mut programs = Vec::new();
        let mut merchant_lists = Vec::new();
        for (id, tag) in tags {
            let program = set.program(id).unwrap().clone();
            let mut table = HostTable::default();
            for (p, host, market_id) in marketplaces {
                if p == id {
                    *table.entry(host, String::new) = market_id.to_string();
                }
            }
            let mut list = program.merchants().to_vec();
            list.extend(
                merchants
                    .iter()
                    .filter(|(p, _)| p == id)
                    .map(|(_, h)| h.to_string()),
            );
            merchant_lists.push(list);
            programs.push(ActiveProgram {
                program,
                tag: Some(tag.to_string()),
                marketplaces: table,
            });
        }
        LinkRules::new(programs, &merchant_lists)
    }

    fn amazon() -> LinkRules {
        rules(
            &[("amazon", "mysite-20")],
            &[("amazon", "amazon.co.uk", "mysite-21")],
            &[],
        )
    }

    fn status(rules: &LinkRules, raw: &str) -> Option<Status> {
        rules.classify(&Href::parse(raw)?).map(|a| a.status)
    }

    fn fixed(rules: &LinkRules, raw: &str) -> String {
        let href = Href::parse(raw).unwrap();
        let affiliate = rules.classify(&href).unwrap();
        rules.retag(raw, &href, &affiliate).unwrap()
    }

    #[test]
    fn hosts_match_after_url_parsing_and_never_on_lookalikes() {
        let rules = amazon();
        for raw in [
            "https://www.amazon.com/dp/B000000000",
            "HTTPS://WWW.AMAZON.COM/dp/B000000000",
            "//amazon.com/dp/B000000000",
            "  https://smile.amazon.com/dp/B0  ",
            "http://amazon.com./dp/B0",
            "https:\\\\www.amazon.com\\dp\\B0",
            "https://evil.example@www.amazon.com/dp/B0",
        ] {
            assert_eq!(status(&rules, raw), Some(Status::Untagged), "{raw}");
        }
        for raw in [
            "https://amazon.com.evil.example/dp/B0",
            "https://evilamazon.com/dp/B0",
            "https://www.amazon.com@evil.example/dp/B0",
            "https://www.аmazon.com/dp/B0",
            "https://amazon.co/dp/B0",
            "https://amazon.com-deals.example/",
            "ftp://amazon.com/dp/B0",
            "javascript:location='https://amazon.com/'",
            "mailto:x@amazon.com",
            "/dp/B0",
            "amazon.com/dp/B0",
            "https://affiliate-program.amazon.com/",
            "https://www.amazon.com/gp/help/customer/display.html?nodeId=1",
        ] {
            assert_eq!(status(&rules, raw), None, "{raw}");
        }
        assert_eq!(
            status(&rules, "https://amzn.to/3abcDEF"),
            Some(Status::Short)
        );
    }

    #[test]
    fn ids_are_read_after_decoding_references() {
        let rules = amazon();
        assert_eq!(
            status(&rules, "https://amazon.com/dp/B0?x=1&amp;tag=mysite-20"),
            Some(Status::Tagged)
        );
        assert_eq!(
            status(&rules, "https://amazon.com/dp/B0?x=1&#038;tag=mysite-20"),
            Some(Status::Tagged)
        );
        assert_eq!(
            status(&rules, "https://amazon.com/dp/B0?tag=other-20"),
            Some(Status::Foreign {
                found: "other-20".into(),
                expected: "mysite-20".into(),
                ours: false
            })
        );
        assert_eq!(
            status(&rules, "https://amazon.com/dp/B0?tag="),
            Some(Status::Untagged)
        );
        assert_eq!(
            status(&rules, "https://www.amazon.co.uk/dp/B0?tag=mysite-20"),
            Some(Status::Foreign {
                found: "mysite-20".into(),
                expected: "mysite-21".into(),
                ours: true
            })
        );
        assert_eq!(
            status(
                &rules,
                "https://amazon.com/exec/obidos/ASIN/0140449132/someone-20"
            ),
            Some(Status::Foreign {
                found: "someone-20".into(),
                expected: "mysite-20".into(),
                ours: false
            })
        );
        // `&copy=` is not a reference inside an attribute: `copy` stays a parameter.
        assert_eq!(
            status(&rules, "https://amazon.com/dp/B0?a=1&copy=2&tag=mysite-20"),
            Some(Status::Tagged)
        );
    }

    #[test]
    fn tagging_changes_only_the_query_and_keeps_its_escaping() {
        let rules = amazon();
        assert_eq!(
            fixed(&rules, "https://www.amazon.com/dp/B0"),
            "https://www.amazon.com/dp/B0?tag=mysite-20"
        );
        assert_eq!(
            fixed(
                &rules,
                "https://www.amazon.com/dp/B0?th=1&amp;psc=1#reviews"
            ),
            "https://www.amazon.com/dp/B0?th=1&amp;psc=1&amp;tag=mysite-20#reviews"
        );
        assert_eq!(
            fixed(&rules, "https://amazon.com/s?k=a+b&ref=nb_sb_noss"),
            "https://amazon.com/s?k=a+b&ref=nb_sb_noss&tag=mysite-20"
        );
        assert_eq!(
            fixed(
                &rules,
                "https://amazon.com/dp/B0/?ie=UTF8&#038;tag=other-20&#038;linkCode=as2"
            ),
            "https://amazon.com/dp/B0/?ie=UTF8&#038;tag=mysite-20&#038;linkCode=as2"
        );
        assert_eq!(
            fixed(
                &rules,
                "https://amazon.com/dp/B0?tag=a-20&amp;x=1&amp;tag=b-20&amp;tag=mysite-20#f"
            ),
            "https://amazon.com/dp/B0?tag=mysite-20&amp;x=1#f"
        );
        assert_eq!(
            fixed(&rules, " //amazon.com/dp/B0?&amp;tag=x "),
            " //amazon.com/dp/B0?&amp;tag=mysite-20 "
        );
        assert_eq!(
            fixed(&rules, "https://amazon.com/dp/B0?"),
            "https://amazon.com/dp/B0?tag=mysite-20"
        );
        assert_eq!(
            fixed(&rules, "https://www.amazon.co.uk/dp/B0?tag=mysite-20"),
            "https://www.amazon.co.uk/dp/B0?tag=mysite-21"
        );
        assert_eq!(
            fixed(
                &rules,
                "https://amazon.com/exec/obidos/ASIN/0140449132/someone-20"
            ),
            "https://amazon.com/exec/obidos/ASIN/0140449132/mysite-20"
        );
    }

    #[test]
    fn a_delimiter_that_depends_on_what_follows_is_not_copied() {
        // Found by the fuzzer: `&amp` without `;` is a delimiter only before a non-letter.
        let rules = amazon();
        let once = fixed(&rules, "http:amazon.com?&amp");
        assert_eq!(once, "http:amazon.com?&amp&amp;tag=mysite-20");
        assert_eq!(status(&rules, &once), Some(Status::Tagged));
    }

    #[test]
    fn ebay_sets_every_parameter_and_knows_its_rotation_ids() {
        let rules = rules(&[("ebay", "5338000000")], &[], &[]);
        assert_eq!(
            fixed(
                &rules,
                "https://www.ebay.co.uk/itm/123?hash=x&amp;campid=1111111111"
            ),
            "https://www.ebay.co.uk/itm/123?hash=x&amp;campid=5338000000&amp;mkevt=1&amp;mkcid=1\
             &amp;mkrid=710-53481-19255-0&amp;toolid=10001"
        );
        let href = Href::parse("https://www.ebay.de/itm/1").unwrap();
        let affiliate = rules.classify(&href).unwrap();
        let err = rules
            .retag("https://www.ebay.de/itm/1", &href, &affiliate)
            .unwrap_err();
        assert!(err.contains("no `rotation` for www.ebay.de"), "{err}");
    }

    #[test]
    fn networks_wrap_merchant_links_with_an_encoded_destination() {
        let rules = rules(
            &[("skimlinks", "123X456"), ("awin", "98765")],
            &[],
            &[("skimlinks", "walmart.com")],
        );
        assert_eq!(
            fixed(&rules, "https://www.walmart.com/ip/1?a=1&amp;b='x'"),
            "https://go.skimresources.com/?id=123X456&amp;xs=1&amp;url=\
             https%3A%2F%2Fwww.walmart.com%2Fip%2F1%3Fa%3D1%26b%3D%27x%27"
        );
        assert_eq!(
            fixed(&rules, "https://www.etsy.com/listing/1"),
            "https://www.awin1.com/cread.php?awinmid=6220&amp;awinaffid=98765&amp;ued=\
             https%3A%2F%2Fwww.etsy.com%2Flisting%2F1"
        );
        assert_eq!(
            status(&rules, "https://go.skimresources.com/?id=111X222&amp;url=x"),
            Some(Status::Foreign {
                found: "111X222".into(),
                expected: "123X456".into(),
                ours: false
            })
        );
        assert_eq!(
            fixed(&rules, "https://go.skimresources.com/?id=111X222&amp;url=x"),
            "https://go.skimresources.com/?id=123X456&amp;url=x"
        );
    }

    #[test]
    fn drop_removes_parameters_unless_kept() {
        let rule = "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n[tagging]\n\
                    method = \"query\"\nparams = [{ name = \"ref\", value = \"{id}\" }]\n\
                    drop = [\"utm_*\", \"sr\"]\nkeep = [\"utm_keep\"]\n";
        let program = RuleSet::parse("shop.toml", rule).unwrap();
        let rules = LinkRules::new(
            vec![ActiveProgram {
                program,
                tag: Some("me".into()),
                marketplaces: HostTable::default(),
            }],
            &[Vec::new()],
        );
        assert_eq!(
            fixed(
                &rules,
                "https://shop.example/p?utm_source=x&amp;a=1&amp;utm_keep=2&amp;sr=8-1#f"
            ),
            "https://shop.example/p?a=1&amp;utm_keep=2&amp;ref=me#f"
        );
        assert_eq!(
            fixed(&rules, "https://shop.example/p?utm_source=x"),
            "https://shop.example/p?ref=me"
        );
    }

    #[test]
    fn the_quick_host_check_never_hides_a_link_the_full_parse_would_find() {
        let rules = amazon();
        let values = [
            "https://www.amazon.com/dp/B0",
            "http:amazon.co.uk",
            "HTTPS://WWW.AMAZON.COM/dp/B0",
            "//amazon.de/x",
            "/\\amazon.de/x",
            "https&#58;//amazon.com/",
            "&#104;ttps://amazon.com/",
            "ht\ttps://amazon.com/",
            "https://amazon.com:443/x",
            "https://user@amazon.com/",
            "https://amazon%2Ecom/",
            "https://xn--mazon-3ve.com/",
            "https://www.аmazon.com/",
            "https://amazon.com./dp/B0",
            "https://example.com/?u=https://amazon.com/",
            "/about/",
            "#top",
            "mailto:a@amazon.com",
            "https://amzn.to/x",
            "https://affiliate-program.amazon.com/",
            "  https://www.amazon.com/dp/B0  ",
            "https:/\\amazon.com",
            "https://amazon.com?tag=x",
            "https://amazon.com#frag",
            "https://evil.example?@amazon.com/",
            "https://evil.example#@amazon.com/",
            "https://amazon.com.evil.example/",
            "https://a.b.amazon.co.uk/x",
            "https://co.uk/",
        ];
        for value in values {
            let full = Href::parse(value)
                .and_then(|h| rules.classify(&h))
                .is_some();
            if full {
                assert!(rules.may_match(value), "{value}");
            }
        }
        assert!(!rules.may_match("https://example.com/?u=https://amazon.com/"));
        assert!(!rules.may_match("/about/"));
        assert!(!rules.may_match("https://en.wikipedia.org/wiki/Amazon"));
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

    #[test]
    fn rel_needs_sponsored_or_nofollow() {
        assert!(rel_is_marked("noopener SPONSORED"));
        assert!(rel_is_marked("nofollow"));
        assert!(!rel_is_marked("noopener noreferrer"));
        assert!(!rel_is_marked("sponsoredx"));
    }
}
