//! Tagging a link: the new raw `href` value that carries the publisher's id, or why it cannot
//! be tagged offline. The rewrite edits the decoded text and maps every edit back onto the raw
//! value, so parameters, their order, their escaping (`&amp;`, `&#038;`, `&`) and the
//! fragment stay as they were.

use std::borrow::Cow;
use std::ops::Range;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::href::{Href, UrlParts, path_id};
use super::{Affiliate, LinkRules, Role, Status};
use crate::rules::{Program, Tagging, TaggingMethod, Template};

/// Everything but RFC 3986 unreserved characters is encoded in a wrapped destination.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The delimiter written between parameters when a link has none to copy.
const DEFAULT_DELIMITER: &str = "&amp;";

/// What tagging a link takes, once it is known that it can be done offline.
struct Plan<'r, 'h> {
    program: &'r Program,
    tagging: &'r Tagging,
    id: &'r str,
    host: &'h str,
}

fn missing_var(program: &Program, name: &str, host: &str) -> String {
    format!(
        "rule `{}` has no `{name}` for {host}: add it under [vars.\"{host}\"] in your own rule \
         file",
        program.id()
    )
}

impl LinkRules {
    /// The plan for tagging `href`, or why it cannot be tagged offline.
    fn plan<'r, 'h>(
        &'r self,
        href: &'h Href,
        affiliate: &Affiliate,
    ) -> Result<Plan<'r, 'h>, String> {
        let active = &self.programs[affiliate.program];
        let program = &active.program;
        let tagging = program
            .tagging
            .as_ref()
            .ok_or_else(|| format!("{} has no tagging rule", program.id()))?;
        let host = href.host();
        let id = active.expected_id(host).ok_or_else(|| {
            format!(
                "no id configured for {host}: set `tag` (or a marketplace id) under \
                 [programs.{}]",
                program.id()
            )
        })?;
        let templates: Vec<&Template> = match (&tagging.method, affiliate.role) {
            (TaggingMethod::Wrap { template, .. }, Role::Merchant) => vec![template],
            (_, Role::Merchant) => return Err(format!("{} cannot wrap links", program.id())),
            (TaggingMethod::Query { params }, _) => params.iter().map(|(_, t)| t).collect(),
            (TaggingMethod::Replace, _) if affiliate.status == Status::Untagged => {
                return Err(format!(
                    "{} links carry the id {} gives them: make this one in {}'s own tools",
                    program.name(),
                    program.name(),
                    program.name()
                ));
            }
            (TaggingMethod::Wrap { .. } | TaggingMethod::Replace, _) => Vec::new(),
        };
        let missing = templates
            .iter()
            .flat_map(|t| t.placeholders())
            .find(|name| !matches!(*name, "id" | "url") && program.var(host, name).is_none());
        if let Some(name) = missing {
            return Err(missing_var(program, name, host));
        }
        Ok(Plan {
            program,
            tagging,
            id,
            host,
        })
    }

    /// Why `href` cannot be tagged offline, or `None` when [`LinkRules::retag`] will succeed.
    /// Cheap: a check only needs this, not the rewritten value.
    pub(crate) fn blocker(&self, href: &Href, affiliate: &Affiliate) -> Option<String> {
        self.plan(href, affiliate).err()
    }

    /// The new raw attribute value (`raw` is the current one) that tags `href` for
    /// `affiliate`'s program, or why it cannot be tagged offline.
    pub(crate) fn retag(
        &self,
        raw: &str,
        href: &Href,
        affiliate: &Affiliate,
    ) -> Result<String, String> {
        let Plan {
            program,
            tagging,
            id,
            host,
        } = self.plan(href, affiliate)?;
        let lookup = |name: &str| -> Option<String> {
            match name {
                "id" => Some(id.to_owned()),
                "url" => Some(self.destination(href)),
                var => program.var(host, var).map(str::to_owned),
            }
        };
        let render = |template: &Template| {
            template
                .render(lookup)
                .map_err(|name| missing_var(program, name, host))
        };
        if let (TaggingMethod::Wrap { template, .. }, Role::Merchant) =
            (&tagging.method, affiliate.role)
        {
            let wrapped = render(template)?;
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
                    set.push((name.clone(), render(template)?));
                }
            }
            TaggingMethod::Wrap { .. } | TaggingMethod::Replace => {
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
