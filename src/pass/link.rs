//! The link handler: for each `a`/`area` with an `href`, whether it belongs to an active
//! program, the findings it gets, and the edits `fix` queues for it.

use std::borrow::Cow;

use encoding_rs::Encoding;
use lol_html::html_content::{Attribute, Element};

use super::page::Page;
use crate::links::Status;
use crate::links::edit::{self, rel_is_marked};
use crate::links::href::Href;
use crate::page::source::{Edit, Source};
use crate::report::FindingId;

impl Page<'_> {
    /// Handles one `a` or `area` start tag.
    pub(super) fn on_link(&mut self, el: &mut Element<'_, '_>) {
        let hidden = std::mem::take(&mut self.link_hidden);
        let encoding = self.encoding.get();
        let tag = el.source_location().bytes();
        let mut href_attr = None;
        let mut rel_attr = None;
        for attr in el.attributes() {
            // Compare the raw name held in the window: no allocation per attribute.
            let name = attr
                .name_source_location()
                .and_then(|at| self.source.bytes(at.bytes()));
            let is = |wanted: &[u8]| match name {
                Some(name) => name.eq_ignore_ascii_case(wanted),
                None => attr.name().as_bytes() == wanted,
            };
            if href_attr.is_none() && is(b"href") {
                href_attr = Some(attr);
            } else if rel_attr.is_none() && is(b"rel") {
                rel_attr = Some(attr);
            }
        }
        let Some(href_attr) = href_attr else { return };
        self.links += 1;
        if self.optout.covers(tag.start) {
            return;
        }
        let raw = attribute_value(&self.source, href_attr, encoding);
        if !self.checks.links.may_match(&raw) {
            return;
        }
        let raw = raw.into_owned();
        let Some(href) = Href::parse(&raw) else {
            return;
        };
        let Some(affiliate) = self.checks.links.classify(&href) else {
            return;
        };
        self.affiliate_links += 1;
        if !self.programs.contains(&affiliate.program) {
            self.programs.push(affiliate.program);
        }
        if let Some(reader) = &mut self.reader {
            // What comes before the link is read before the link counts as a safe place.
            reader.catch_up(&mut self.source, tag.start);
            reader.note_data(tag.end);
        }
        if self.first_link.is_none() {
            let ticket = self.source.ticket(tag.start);
            self.first_link = Some((tag.start, ticket));
            self.decide_insertion_at_first_link(tag.start, hidden);
        }
        let program = &self.checks.links.programs[affiliate.program].program;
        let name = program.name().to_owned();
        let id = program.id().to_owned();
        let mut edits: Vec<Edit> = Vec::new();

        let (rule, message) = match &affiliate.status {
            Status::Tagged => (None, String::new()),
            Status::Untagged => (
                Some(FindingId::UntaggedLink),
                format!("{name} link without your id"),
            ),
            Status::Foreign {
                found,
                expected,
                ours: true,
            } => (
                Some(FindingId::ForeignTag),
                format!(
                    "{name} link carries your id for another marketplace, `{found}`; this one \
                     takes `{expected}`"
                ),
            ),
            Status::Foreign {
                found, expected, ..
            } => (
                Some(FindingId::ForeignTag),
                format!("{name} link carries someone else's id `{found}` instead of `{expected}`"),
            ),
            Status::Short => (
                Some(FindingId::ShortLink),
                format!(
                    "{name} short link cannot be tagged offline: replace it with the full link \
                     carrying your id"
                ),
            ),
        };
        if let Some(rule) = rule {
            let fixable = matches!(rule, FindingId::UntaggedLink | FindingId::ForeignTag);
            let mut message = message;
            if fixable && self.checks.severity(rule).is_some() {
                let links = &self.checks.links;
                let edit = if self.fixing {
                    links.retag(&raw, &href, &affiliate).and_then(|new_value| {
                        edit::href_edit(&self.source, href_attr, &raw, &new_value, encoding)
                            .map(Some)
                    })
                } else {
                    links.blocker(&href, &affiliate).map_or(Ok(None), Err)
                };
                match edit {
                    Ok(Some(edit)) => edits.push(edit),
                    Ok(None) if rule == FindingId::UntaggedLink => {
                        message.push_str("; `affilint fix` adds it")
                    }
                    Ok(None) => message.push_str("; `affilint fix` replaces it"),
                    Err(reason) => {
                        message.push_str("; cannot be tagged automatically: ");
                        message.push_str(&reason);
                    }
                }
            }
            if edits.is_empty() {
                self.push(rule, tag.start, message, Some((&href, &id)));
            }
        }

        let marked =
            rel_attr.is_some_and(|a| rel_is_marked(&attribute_value(&self.source, a, encoding)));
        if !marked && self.checks.severity(FindingId::MissingRel).is_some() {
            let edit = if self.fixing {
                edit::rel_edit(&self.source, rel_attr, href_attr, encoding)
            } else {
                None
            };
            match edit {
                Some(edit) => edits.push(edit),
                None => self.push(
                    FindingId::MissingRel,
                    tag.start,
                    format!(
                        "{name} link without rel=\"sponsored\" (or \"nofollow\"), which Google \
                         asks for on paid links; `affilint fix` adds rel=\"sponsored\""
                    ),
                    Some((&href, &id)),
                ),
            }
        }
        for edit in edits {
            self.source.edit(edit);
        }
    }
}

/// An attribute's value as the page spells it, decoded from the page's encoding. lol_html's
/// own `Attribute::value` sniffs a byte-order mark at the start of each value, so a value
/// that starts with the bytes `FE FF` would read as UTF-16, and one that starts with
/// `EF BB BF` would lose them.
fn attribute_value<'s>(
    source: &'s Source,
    attr: &Attribute<'_>,
    encoding: &'static Encoding,
) -> Cow<'s, str> {
    match attr
        .value_source_location()
        .and_then(|at| source.bytes(at.bytes()))
    {
        Some(bytes) => encoding.decode_without_bom_handling(bytes).0,
        None => Cow::Owned(attr.value()),
    }
}
