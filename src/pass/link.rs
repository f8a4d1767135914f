//! The link handler: for each `a`/`area` with an `href`, whether it is a program's affiliate
//! link, the findings it gets, and the edits `fix` queues for it.

use std::borrow::Cow;
use std::ops::Range;

use encoding_rs::Encoding;
use lol_html::html_content::{Attribute, Element};

use super::LinkFacts;
use super::cloak::{self, Route};
use super::page::Page;
use crate::links::edit::{self, rel_is_marked};
use crate::links::href::Href;
use crate::links::{Affiliate, ShortTarget, Status};
use crate::page::elements::is_one_of;
use crate::page::entities::escape_attribute;
use crate::page::source::{Edit, Source};
use crate::report::{AffiliateLink, FindingId};

/// Elements before which nothing inserted is seen when they hide their content.
const ROOTS: &[&str] = &["html", "body"];

impl Page<'_> {
    /// Handles one `a` or `area` start tag.
    pub(super) fn on_link(&mut self, el: &mut Element<'_, '_>) {
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
        // Links whose blocks end before this one are judged first: findings keep page order.
        self.judge_around(tag.start, false);
        let Some(href_attr) = href_attr else { return };
        self.links += 1;
        if self.optout.covers(tag.start) {
            return;
        }
        let raw = attribute_value(&self.source, href_attr, encoding);
        let program_link = self.checks.links.may_match(&raw);
        let href = if program_link {
            Href::parse(&raw).map(|href| (raw.clone().into_owned(), href))
        } else {
            None
        };
        let Some((raw, href)) = href else {
            // Not a program's own link: it may go to one through the site.
            let routed = self.checks_cloaking()
                && cloak::may_route(
                    &raw,
                    &self.checks.cloaking_prefixes,
                    self.site_known(),
                    self.site_asker.is_some(),
                );
            if routed {
                let raw = raw.into_owned();
                if let Route::Site(Some(affiliate)) = self.route(&raw, tag.start) {
                    self.affiliate(&affiliate, tag.clone());
                    let facts = LinkFacts {
                        url: raw.clone(),
                        program: self.program_id(&affiliate).to_owned(),
                        affiliate_id: affiliate.id.clone(),
                    };
                    let edit = self.missing_rel(rel_attr, href_attr, &affiliate, facts, tag.start);
                    if let Some(edit) = edit {
                        self.source.edit(edit);
                    }
                }
            }
            return;
        };
        // Where the value is, when fix may rewrite it (otherwise why not).
        let writable = if self.fixing {
            edit::href_range(&self.source, href_attr, &raw, encoding)
        } else {
            Err(String::new())
        };
        // A link to a retired host is moved first (when fixing), then judged where it goes.
        let moved = self.retired_host(&raw, &href, tag.start, writable.is_ok());
        let (value, href) = match moved.as_deref().and_then(|m| Some((m, Href::parse(m)?))) {
            Some((moved, href)) => (moved.to_owned(), href),
            None => (raw.clone(), href),
        };
        let mut new_value = moved.clone();
        let mut edits: Vec<Edit> = Vec::new();
        if let Some(affiliate) = self.checks.links.classify(&href) {
            self.affiliate(&affiliate, tag.clone());
            let blocked = writable.as_ref().err().map(String::as_str);
            let expanded = (affiliate.status == Status::Short)
                .then(|| self.short_target(&href, affiliate.program))
                .flatten();
            let judged = match &expanded {
                // Judged where it goes, as the page's link: `fix` writes the tagged target,
                // escaped for the attribute (a target comes from outside the page).
                Some(ShortTarget::Url(target)) => {
                    let escaped = escape_attribute(target);
                    match self.expanded(&href, &escaped) {
                        Some((t, a)) => {
                            let via = Some(href.text());
                            Some(self.link_findings(&escaped, &t, &a, tag.start, blocked, via))
                        }
                        // Somewhere else: still a short link, and where it goes is said.
                        None => {
                            let name = self.checks.links.programs[affiliate.program].program.name();
                            let message = format!(
                                "{name} short link {} goes to {target}, which is no {name} \
                                 link: replace it with the program's full link carrying your id",
                                href.text()
                            );
                            let facts = self.facts(&href, &affiliate);
                            self.push(FindingId::ShortLink, tag.start, message, Some(facts));
                            Some(None)
                        }
                    }
                }
                Some(ShortTarget::Gone) => {
                    let name = self.checks.links.programs[affiliate.program].program.name();
                    let message = format!(
                        "{name} short link {} is gone (404 or 410): it leads nowhere",
                        href.text()
                    );
                    let facts = self.facts(&href, &affiliate);
                    self.push(FindingId::DeadShortLink, tag.start, message, Some(facts));
                    Some(None)
                }
                None => None,
            };
            let tagged = match judged {
                Some(tagged) => tagged,
                None => self.link_findings(&value, &href, &affiliate, tag.start, blocked, None),
            };
            if let Some(tagged) = tagged {
                new_value = Some(tagged);
            }
            self.read_around(
                tag.clone(),
                affiliate.program,
                self.facts(&href, &affiliate),
            );
            let facts = self.facts(&href, &affiliate);
            edits.extend(self.missing_rel(rel_attr, href_attr, &affiliate, facts, tag.start));
        } else {
            self.shortened(&href, tag.start);
        }
        if let (Some(new_value), Ok(range)) = (new_value, writable) {
            let (bytes, _, _) = encoding.encode(&new_value);
            edits.push(Edit {
                range,
                bytes: bytes.into_owned(),
            });
        }
        for edit in edits {
            self.source.edit(edit);
        }
    }

    /// Counts an affiliate link for the page: its program needs a disclosure, the first one
    /// may decide where `fix` inserts one, and the caller may want to hear of it.
    fn affiliate(&mut self, affiliate: &Affiliate, tag: Range<usize>) {
        let start = tag.start;
        self.affiliate_links += 1;
        self.carries_id |= affiliate.id.is_some() || affiliate.status == Status::Short;
        if !self.programs.contains(&affiliate.program) {
            self.programs.push(affiliate.program);
        }
        if let Some(reader) = &mut self.reader {
            // What comes before the link is read before the link counts as a safe place.
            reader.catch_up_to_tag(&mut self.source, start);
            reader.note_data(tag.end);
        }
        self.distance(affiliate, start);
        if self.first_link.is_none() {
            let ticket = self.source.ticket(start);
            self.first_link = Some((start, ticket));
            // What hides the link from a reader, as the disclosure reader judges text there.
            let hidden = match (&self.insertion, &mut self.reader) {
                (Some(_), Some(reader)) => reader
                    .hidden_by(&self.source, start)
                    .map(|(at, name)| (at, is_one_of(name, ROOTS)))
                    .or_else(|| {
                        reader
                            .hidden_by_styles(&self.source, start)
                            .map(|(at, name)| (at, is_one_of(&name, ROOTS)))
                    }),
                _ => None,
            };
            self.decide_insertion_at_first_link(start, hidden);
        }
        if let Some(sink) = &mut self.affiliate_sink {
            sink(AffiliateLink {
                program: self.checks.links.programs[affiliate.program]
                    .program
                    .id()
                    .to_owned(),
                host: affiliate.host.clone(),
                id: affiliate.id.clone(),
                product: affiliate.product.clone(),
                short: affiliate.status == Status::Short,
                destination: affiliate.destination.clone(),
            });
        }
    }

    /// With `max_distance_words`: the first affiliate link too far after the last statement
    /// gets `distant-disclosure` (once per statement).
    fn distance(&mut self, affiliate: &Affiliate, start: usize) {
        let (Some(most), Some(reader)) = (self.checks.max_distance_words, &self.reader) else {
            return;
        };
        let Some((statement, words)) = reader.words_since_statement() else {
            return;
        };
        if words <= u64::from(most) || self.distant_after == Some(statement) {
            return;
        }
        self.distant_after = Some(statement);
        let name = self.checks.links.programs[affiliate.program].program.name();
        let message = format!(
            "{name} link {words} words after the last disclosure statement (more than \
             max_distance_words = {most}); repeat the disclosure near it"
        );
        self.push(FindingId::DistantDisclosure, start, message, None);
    }

    /// The id of an affiliate link's program.
    fn program_id(&self, affiliate: &Affiliate) -> &str {
        self.checks.links.programs[affiliate.program].program.id()
    }

    /// For an affiliate link without `rel="sponsored"` or `"nofollow"`: the edit that adds
    /// it when fixing, or a `missing-rel` finding.
    fn missing_rel(
        &mut self,
        rel_attr: Option<&Attribute<'_>>,
        href_attr: &Attribute<'_>,
        affiliate: &Affiliate,
        facts: LinkFacts,
        start: usize,
    ) -> Option<Edit> {
        let encoding = self.encoding.get();
        let marked =
            rel_attr.is_some_and(|a| rel_is_marked(&attribute_value(&self.source, a, encoding)));
        if marked || self.checks.severity(FindingId::MissingRel).is_none() {
            return None;
        }
        if self.fixing
            && let Some(edit) = edit::rel_edit(&self.source, rel_attr, href_attr, encoding)
        {
            return Some(edit);
        }
        let name = self.checks.links.programs[affiliate.program].program.name();
        let message = format!(
            "{name} link without rel=\"sponsored\" (or \"nofollow\"), which Google asks for on \
             paid links; `affilint fix` adds rel=\"sponsored\""
        );
        self.push(FindingId::MissingRel, start, message, Some(facts));
        None
    }

    /// What a finding on this link reports of it.
    fn facts(&self, href: &Href, affiliate: &Affiliate) -> LinkFacts {
        LinkFacts {
            url: href.text().to_owned(),
            program: self.checks.links.programs[affiliate.program]
                .program
                .id()
                .to_owned(),
            affiliate_id: affiliate.id.clone(),
        }
    }

    /// The findings on an affiliate link's id, and (when fixing) its tagged value. `blocked`:
    /// why fix may not rewrite the link, if it may not.
    /// `via`: the short link the page has, when `value` is where it goes.
    fn link_findings(
        &mut self,
        value: &str,
        href: &Href,
        affiliate: &Affiliate,
        start: usize,
        blocked: Option<&str>,
        via: Option<&str>,
    ) -> Option<String> {
        let name = self.checks.links.programs[affiliate.program].program.name();
        let (rule, mut message) = match &affiliate.status {
            Status::Tagged | Status::Carrying => return None,
            Status::Untagged => (
                FindingId::UntaggedLink,
                format!("{name} link without your id"),
            ),
            Status::Foreign {
                found,
                expected,
                ours: true,
            } => (
                FindingId::ForeignTag,
                format!(
                    "{name} link carries your id for another marketplace, `{found}`; this one \
                     takes `{expected}`"
                ),
            ),
            Status::Foreign {
                found, expected, ..
            } => (
                FindingId::ForeignTag,
                format!("{name} link carries someone else's id `{found}` instead of `{expected}`"),
            ),
            // Asked, or looked up in the cache, with no answer: the run's notes say why.
            Status::Short if self.checks.expands_short_links() => (
                FindingId::ShortLink,
                format!(
                    "{name} short link whose target could not be learned: replace it with the \
                     full link carrying your id"
                ),
            ),
            Status::Short => (
                FindingId::ShortLink,
                format!(
                    "{name} short link cannot be tagged offline: replace it with the full link \
                     carrying your id"
                ),
            ),
        };
        if let Some(short) = via {
            message.push_str(&format!(" (short link {short}, which goes to {value})"));
        }
        let mut tagged = None;
        let fixable = matches!(rule, FindingId::UntaggedLink | FindingId::ForeignTag);
        if fixable && self.checks.severity(rule).is_some() {
            let links = &self.checks.links;
            let result = if self.fixing {
                match blocked {
                    Some(reason) => Err(reason.to_owned()),
                    None => links.retag(value, href, affiliate).map(Some),
                }
            } else {
                links.blocker(href, affiliate).map_or(Ok(None), Err)
            };
            match result {
                Ok(Some(value)) => tagged = Some(value),
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
        if tagged.is_none() {
            let mut facts = self.facts(href, affiliate);
            if let Some(short) = via {
                // The link as the page has it.
                facts.url = short.to_owned();
            }
            self.push(rule, start, message, Some(facts));
        }
        tagged
    }

    /// Where the short link `href` of `program` goes, hop by hop while it goes to another of
    /// the program's short links (`http://amzn.to/x` to `https://amzn.to/x`), at most five.
    fn short_target(&self, href: &Href, program: usize) -> Option<ShortTarget> {
        let mut url = href.text().to_owned();
        for _ in 0..5 {
            let target = self.checks.short_target(&url)?;
            let ShortTarget::Url(next) = &target else {
                return Some(target);
            };
            let again = Href::parse(&escape_attribute(next))
                .and_then(|h| self.checks.links.classify(&h))
                .is_some_and(|a| a.program == program && a.status == Status::Short);
            if !again {
                return Some(target);
            }
            url.clone_from(next);
        }
        None
    }

    /// The target of the short link `short`, parsed and classified, when it is a link of the
    /// same program (a short link to elsewhere stays a `short-link`).
    fn expanded(&self, short: &Href, target: &str) -> Option<(Href, Affiliate)> {
        let program = self.checks.links.classify(short)?.program;
        let href = Href::parse(target)?;
        let affiliate = self
            .checks
            .links
            .classify(&href)
            .filter(|a| a.program == program && a.status != Status::Short)?;
        Some((href, affiliate))
    }

    /// For a link to a retired host: when fixing and the host has a replacement, the link's
    /// value moved there; otherwise `None`, and a `retired-host` finding.
    fn retired_host(
        &mut self,
        raw: &str,
        href: &Href,
        start: usize,
        writable: bool,
    ) -> Option<String> {
        let retired = self.checks.links.retired(href)?;
        self.checks.severity(FindingId::RetiredHost)?;
        let host = &retired.host;
        if let (true, Some(replacement)) = (writable, &host.replacement)
            && let Some(moved) = href.with_host(raw, replacement)
        {
            return Some(moved);
        }
        let mut message = format!("link to {}: {}", host.host, host.note);
        match &host.replacement {
            Some(replacement) => {
                message.push_str(&format!("; `affilint fix` moves it to {replacement}"))
            }
            None => message.push_str(&format!(
                "; replace it with a link from {}'s current program",
                retired.program.name()
            )),
        }
        let facts = LinkFacts {
            url: href.text().to_owned(),
            program: retired.program.id().to_owned(),
            affiliate_id: None,
        };
        self.push(FindingId::RetiredHost, start, message, Some(facts));
        None
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
