//! The one lol_html pass behind check and fix.
//!
//! lol_html parses; affilint never lets it re-serialise anything. Link handlers decide what to
//! change and queue byte-range edits; the [`Source`] window writes the output as the original
//! bytes with those edits spliced in. Whatever affilint has no reason to touch (other tags,
//! entities, whitespace, invalid bytes, the encoding) comes out byte for byte.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use encoding_rs::{Encoding, UTF_8};
use lol_html::html_content::{Attribute, Element, EndTag};
use lol_html::{
    AsciiCompatibleEncoding, ElementContentHandlers, HtmlRewriter, MemorySettings, OutputSink,
    Settings,
};

use crate::compliance::{self, PageFacts};
use crate::config::Placement;
use crate::disclosure::{Found, Partial};
use crate::engine::{Compiled, selector};
use crate::errors::DocumentError;
use crate::insertion::{self, Insertion};
use crate::links::{Href, Status, rel_is_marked};
use crate::optout::OptOut;
use crate::report::{Finding, FindingId, Report, Severity};
use crate::rewrite;
use crate::sniff::{self, PrescanGuard};
use crate::source::{Edit, Output, Source, Ticket};
use crate::visible::Reader;

/// How much is read at a time from files and pipes.
pub(crate) const READ_CHUNK: usize = 64 * 1024;
/// The most lol_html may buffer (one tag or comment larger than this is an error).
const MEMORY_LIMIT: usize = 8 * 1024 * 1024;

/// How much of the line before an insertion point is kept to copy its indentation.
const INDENT_WINDOW: usize = 256;

/// A finding whose position is still a ticket.
pub(crate) struct Pending {
    pub(crate) rule: FindingId,
    pub(crate) severity: Severity,
    pub(crate) offset: usize,
    pub(crate) ticket: Ticket,
    pub(crate) message: String,
    pub(crate) url: Option<String>,
    pub(crate) program: Option<String>,
}

/// Counts what lol_html emits and hears about `<meta charset>`.
struct Progress {
    emitted: Rc<Cell<usize>>,
    encoding: Rc<Cell<&'static Encoding>>,
}

impl OutputSink for Progress {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        self.emitted.set(self.emitted.get() + chunk.len());
    }

    fn set_encoding(&mut self, encoding: AsciiCompatibleEncoding) {
        self.encoding.set(encoding.into());
    }
}

/// Everything the handlers share.
struct State<'e> {
    compiled: &'e Compiled,
    fixing: bool,
    source: Source,
    encoding: Rc<Cell<&'static Encoding>>,
    findings: Vec<Pending>,
    links: usize,
    affiliate_links: usize,
    /// Active programs the page links to, in order of first link.
    programs: Vec<usize>,
    first_link: Option<(usize, Ticket)>,
    /// Reads the disclosure statements, when any disclosure finding is on.
    reader: Option<Reader<'e>>,
    insertion: Option<Insertion>,
    /// Set for the link being handled when it sits in hidden or collapsed content.
    link_hidden: bool,
    /// Elements marked `data-affilint-ignore`.
    optout: OptOut,
    /// The configured disclosure, in the page's encoding, and whether the page already holds
    /// it (then fix never inserts another, wherever it ended up).
    insert_bytes: Vec<u8>,
    insert_seen: bool,
}

/// One document being checked or fixed, fed in chunks.
///
/// Created by [`Engine::checker`](crate::Engine::checker) or
/// [`Engine::fixer`](crate::Engine::fixer); call [`write`](Document::write) for each chunk
/// and [`end`](Document::end) once.
pub struct Document<'e, O: Output> {
    state: Rc<RefCell<State<'e>>>,
    /// Where findings go as soon as their position is known; `None` collects them into the
    /// report.
    sink: Option<Box<dyn FnMut(Finding) + 'e>>,
    /// Findings whose position is known, waiting for the report.
    done: Vec<Finding>,
    emitted: Rc<Cell<usize>>,
    rewriter: Option<HtmlRewriter<'e, Progress>>,
    /// The first bytes, held until the encoding is known.
    head: Vec<u8>,
    output: PrescanGuard<O>,
}

impl<'e, O: Output> Document<'e, O> {
    /// A pass that writes to `output`; with `fixing` false it only checks (and `output`
    /// receives the input unchanged).
    pub(crate) fn new(compiled: &'e Compiled, output: O, fixing: bool) -> Self {
        let read_text = compiled.checks_disclosure();
        let insert = fixing && read_text && compiled.disclosure.insert.is_some();
        let reader = read_text
            .then(|| Reader::new(&compiled.disclosure.finder, &compiled.disclosure.statements));
        let state = State {
            compiled,
            fixing,
            source: Source::new(),
            encoding: Rc::new(Cell::new(UTF_8)),
            findings: Vec::new(),
            links: 0,
            affiliate_links: 0,
            programs: Vec::new(),
            first_link: None,
            reader,
            insertion: insert.then(Insertion::default),
            link_hidden: false,
            optout: OptOut::default(),
            insert_bytes: Vec::new(),
            insert_seen: false,
        };
        Document {
            state: Rc::new(RefCell::new(state)),
            sink: None,
            done: Vec::new(),
            emitted: Rc::new(Cell::new(0)),
            rewriter: None,
            head: Vec::new(),
            output: PrescanGuard::new(output),
        }
    }

    /// Hands every finding to `sink` as soon as its line and column are known, instead of
    /// collecting them in the report (whose `findings` then stay empty): memory stays flat
    /// however many findings a page has. Link findings come in document order, disclosure
    /// findings at the end.
    pub fn each_finding(&mut self, sink: impl FnMut(Finding) + 'e) {
        self.sink = Some(Box::new(sink));
    }

    /// Feeds the next chunk of the document.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
        if self.rewriter.is_none() {
            if self.head.is_empty() && chunk.len() >= sniff::HEAD {
                return self.start_with(chunk);
            }
            self.head.extend_from_slice(chunk);
            if self.head.len() < sniff::HEAD {
                return Ok(());
            }
            let head = std::mem::take(&mut self.head);
            return self.start_with(&head);
        }
        self.feed(chunk)
    }

    /// Ends the document: returns the report and the output.
    pub fn end(mut self) -> Result<(Report, O), DocumentError> {
        let (found, partials) = self.finish_parsing()?;
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        state.decide_insertion_at_end(&found);
        let inserted = state.insertion.as_ref().is_some_and(Insertion::inserted);
        if !inserted {
            let facts = PageFacts {
                programs: &state.programs,
                first_link: state.first_link,
                found: &found,
                partials: &partials,
            };
            let disclosure = compliance::evaluate(state.compiled, &facts);
            state.findings.extend(disclosure);
        }
        let fed = state.source.fed();
        let flushed = state.source.flush(fed, &mut self.output);
        let finished = flushed.and_then(|_| self.output.finish());
        finished.map_err(|e| written(&self.output, e))?;
        let report = Report {
            findings: Vec::new(),
            links: state.links,
            affiliate_links: state.affiliate_links,
            changed: state.source.edited(),
        };
        drop(guard);
        self.pass_findings();
        let mut report = report;
        report.findings = std::mem::take(&mut self.done);
        report.findings.sort_by_key(|f| (f.offset, f.rule));
        Ok((report, self.output.output))
    }

    /// Ends parsing and reading; returns the statements found, whole and in part.
    fn finish_parsing(&mut self) -> Result<(Vec<Found>, Vec<Partial>), DocumentError> {
        if self.rewriter.is_none() {
            let head = std::mem::take(&mut self.head);
            self.start_with(&head)?;
        }
        if let Some(rewriter) = self.rewriter.take() {
            rewriter.end().map_err(parse_error)?;
        }
        let mut state = self.state.borrow_mut();
        let State { reader, source, .. } = &mut *state;
        Ok(match reader {
            Some(reader) => reader.finish(source),
            None => (Vec::new(), Vec::new()),
        })
    }

    /// Chooses the encoding from the first bytes, builds the rewriter and feeds `head`.
    fn start_with(&mut self, head: &[u8]) -> Result<(), DocumentError> {
        let sniffed = sniff::sniff(head)?;
        {
            let mut state = self.state.borrow_mut();
            state.source.skip_bom(sniffed.bom);
            if sniffed.encoding != UTF_8 {
                state.source.count_bytes();
            }
            state.encoding.set(sniffed.encoding);
            if state.fixing && sniffed.bom == 0 {
                self.output.expect(sniffed.encoding);
            }
            if let Some(reader) = &mut state.reader {
                reader.set_encoding(sniffed.encoding);
            }
            if let (Some(_), Some(insert)) = (&state.insertion, &state.compiled.disclosure.insert) {
                state.insert_bytes = sniffed.encoding.encode(insert.html.trim()).0.into_owned();
            }
        }
        self.rewriter = Some(self.build(sniffed.encoding));
        self.feed(head)
    }

    fn build(&self, encoding: &'static Encoding) -> HtmlRewriter<'e, Progress> {
        let (compiled, insert, encoding_cell) = {
            let state = self.state.borrow();
            (
                state.compiled,
                state.insertion.as_ref().map(|i| i.blocks.clone()),
                state.encoding.clone(),
            )
        };
        let selectors = &compiled.selectors;
        let mut settings = Settings::new()
            .with_strict(false)
            // The encoding is settled before parsing (byte-order mark, or a `<meta>` in the
            // first kilobyte, as the HTML standard's prescan does), so every part of affilint
            // reads the page the same way.
            .with_encoding(
                AsciiCompatibleEncoding::new(encoding)
                    .unwrap_or_else(AsciiCompatibleEncoding::utf_8),
            )
            .with_memory_settings(
                MemorySettings::new().with_max_allowed_memory_usage(MEMORY_LIMIT),
            );
        if insert.is_some() {
            // Runs before the link handler on the same element.
            let state = self.state.clone();
            settings = settings.append_element_content_handler((
                selector(&selectors.hidden_links),
                ElementContentHandlers::default().element(move |_: &mut Element<'_, '_>| {
                    state.borrow_mut().link_hidden = true;
                    Ok(())
                }),
            ));
        }
        let state = self.state.clone();
        settings = settings.append_element_content_handler((
            selector(&selectors.links),
            ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                state.borrow_mut().on_link(el);
                Ok(())
            }),
        ));
        if let Some(blocks) = insert {
            settings = settings.append_element_content_handler((
                selector(&selectors.blocks),
                ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                    let name = el.tag_name();
                    let start = el.source_location().bytes().start;
                    let hides = insertion::hides_content(el);
                    insertion::open_block(&mut blocks.borrow_mut(), &name, start, hides);
                    if el.can_have_content() {
                        let blocks = blocks.clone();
                        el.on_end_tag(Box::new(move |end: &mut EndTag<'_>| {
                            insertion::close_block(&mut blocks.borrow_mut(), &end.name());
                            Ok(())
                        }))?;
                    }
                    Ok(())
                }),
            ));
            if let Some(before) = &compiled
                .disclosure
                .insert
                .as_ref()
                .and_then(|i| i.before.as_ref())
            {
                let state = self.state.clone();
                settings = settings.append_element_content_handler((
                    selector(before),
                    ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                        let start = el.source_location().bytes().start;
                        if let Some(insertion) = state.borrow_mut().insertion.as_mut() {
                            insertion.anchor(start);
                        }
                        Ok(())
                    }),
                ));
            }
        }
        HtmlRewriter::new(
            settings,
            Progress {
                emitted: self.emitted.clone(),
                encoding: encoding_cell,
            },
        )
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
        {
            let mut state = self.state.borrow_mut();
            let from = state.source.fed().saturating_sub(state.insert_bytes.len());
            state.source.push(chunk);
            let State { optout, source, .. } = &mut *state;
            optout.feed(source);
            if !state.insert_bytes.is_empty() && !state.insert_seen {
                let fed = state.source.fed();
                let seen = state
                    .source
                    .bytes(from.max(state.source.base_offset())..fed)
                    .is_some_and(|held| memchr::memmem::find(held, &state.insert_bytes).is_some());
                state.insert_seen = seen;
            }
        }
        if let Some(rewriter) = self.rewriter.as_mut() {
            rewriter.write(chunk).map_err(parse_error)?;
        }
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        let fed = state.source.fed();
        // lol_html passes every byte through unchanged, so what it emitted is what it is done
        // with: no handler can refer to bytes before that any more.
        let mut safe = self.emitted.get();
        state.optout.release(safe);
        safe = safe.min(state.optout.hold(fed));
        if let Some(reader) = &mut state.reader {
            reader.set_encoding(state.encoding.get());
            // As far as lol_html has parsed, no further: the reader then meets the page in
            // the same order, links and all, however it was chunked.
            reader.catch_up(&mut state.source, self.emitted.get());
            safe = safe.min(reader.hold(fed));
        }
        if let Some(hold) = state.insertion.as_ref().and_then(Insertion::hold) {
            // Keep the line before any place the disclosure may go, for its indentation.
            safe = safe.min(hold).saturating_sub(INDENT_WINDOW);
        }
        let upto = safe.max(fed.saturating_sub(MEMORY_LIMIT));
        let flushed = state.source.flush(upto, &mut self.output);
        flushed.map_err(|e| written(&self.output, e))?;
        drop(guard);
        self.pass_findings();
        Ok(())
    }

    /// Moves the findings whose position is now known to the sink (or the report).
    fn pass_findings(&mut self) {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        let ready = state
            .findings
            .iter()
            .take_while(|p| state.source.position(p.ticket).is_some())
            .count();
        for pending in state.findings.drain(..ready) {
            let Some((line, column)) = state.source.position(pending.ticket) else {
                continue;
            };
            let finding = Finding {
                rule: pending.rule,
                severity: pending.severity,
                line,
                column,
                offset: pending.offset,
                message: pending.message,
                url: pending.url,
                program: pending.program,
            };
            match &mut self.sink {
                Some(sink) => sink(finding),
                None => self.done.push(finding),
            }
        }
    }
}

/// The statements a reader sees in `html` (for checking the configured insert).
pub(crate) fn visible_statements(
    compiled: &Compiled,
    html: &[u8],
) -> Result<Vec<Found>, DocumentError> {
    let mut document = Document::new(compiled, std::io::sink(), false);
    document.state.borrow_mut().reader = Some(Reader::new(
        &compiled.disclosure.finder,
        &compiled.disclosure.statements,
    ));
    document.write(html)?;
    let (found, _) = document.finish_parsing()?;
    Ok(found.into_iter().filter(|f| !f.hidden).collect())
}

fn parse_error(e: lol_html::errors::RewritingError) -> DocumentError {
    DocumentError::Parse {
        message: match e {
            lol_html::errors::RewritingError::MemoryLimitExceeded(_) => format!(
                "parsing it needs more than {} MB: a single tag or comment that large, or \
                 elements nested hundreds of thousands deep",
                MEMORY_LIMIT >> 20
            ),
            other => other.to_string(),
        },
    }
}

impl State<'_> {
    fn push(
        &mut self,
        rule: FindingId,
        offset: usize,
        message: String,
        link: Option<(&Href, &str)>,
    ) {
        let Some(severity) = self.compiled.severity(rule) else {
            return;
        };
        let ticket = self.source.ticket(offset);
        self.findings.push(Pending {
            rule,
            severity,
            offset,
            ticket,
            message,
            url: link.map(|(href, _)| href.text().to_owned()),
            program: link.map(|(_, program)| program.to_owned()),
        });
    }

    fn on_link(&mut self, el: &mut Element<'_, '_>) {
        let hidden = std::mem::take(&mut self.link_hidden);
        let encoding = el.start_tag().encoding();
        if encoding != UTF_8 {
            self.source.count_bytes();
        }
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
        if !self.compiled.links.may_match(&raw) {
            return;
        }
        let raw = raw.into_owned();
        let Some(href) = Href::parse(&raw) else {
            return;
        };
        let Some(affiliate) = self.compiled.links.classify(&href) else {
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
        let program = &self.compiled.links.programs[affiliate.program].program;
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
            if fixable && self.compiled.severity(rule).is_some() {
                let links = &self.compiled.links;
                let edit = if self.fixing {
                    links.retag(&raw, &href, &affiliate).and_then(|new_value| {
                        rewrite::href_edit(&self.source, href_attr, &raw, &new_value, encoding)
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
        if !marked && self.compiled.severity(FindingId::MissingRel).is_some() {
            let edit = if self.fixing {
                rewrite::rel_edit(&self.source, rel_attr, href_attr, encoding)
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

    /// With `placement = "before-first-link"`, decides at the first affiliate link whether to
    /// insert the configured disclosure: only if no statement seen so far meets the
    /// requirements of that link's program and the FTC's. A disclosure inserted next to a
    /// hidden first link would be hidden too: then none is.
    fn decide_insertion_at_first_link(&mut self, link: usize, hidden: bool) {
        let Some(insertion) = self.insertion.as_mut() else {
            return;
        };
        let at = insertion.first_link(link);
        let Some(at) = at.filter(|_| !hidden && !self.insert_seen) else {
            insertion.decide(false);
            return;
        };
        if self.compiled.disclosure.placement != Placement::BeforeFirstLink {
            return;
        }
        let visible = match &mut self.reader {
            Some(reader) => {
                reader.catch_up(&mut self.source, link);
                reader.visible_so_far()
            }
            None => Vec::new(),
        };
        let requirements = compliance::requirements(self.compiled, &self.programs);
        let needed = !compliance::unmet(&requirements, &visible).is_empty();
        self.insert_disclosure(at, needed);
    }

    /// With `placement = "anywhere"`, decides at the end of the page.
    fn decide_insertion_at_end(&mut self, found: &[Found]) {
        let Some(at) = self.insertion.as_ref().and_then(Insertion::pending) else {
            return;
        };
        if self.insert_seen {
            self.insert_disclosure(at, false);
            return;
        }
        let visible: Vec<Found> = found.iter().filter(|f| !f.hidden).copied().collect();
        let requirements = compliance::requirements(self.compiled, &self.programs);
        let needed = !compliance::unmet(&requirements, &visible).is_empty();
        self.insert_disclosure(at, needed);
    }

    fn insert_disclosure(&mut self, at: usize, needed: bool) {
        let Some(insert) = &self.compiled.disclosure.insert else {
            return;
        };
        // The point is held back from the output until now, unless the page is so large the
        // memory limit forced it out: then the disclosure cannot go there.
        let Some(before) = self.source.tail_before(at, INDENT_WINDOW) else {
            if let Some(insertion) = self.insertion.as_mut() {
                insertion.decide(false);
            }
            return;
        };
        let (html, _, _) = self.encoding.get().encode(&insert.html);
        let bytes = insertion::inserted_bytes(&html, before);
        if let Some(insertion) = self.insertion.as_mut() {
            insertion.decide(needed);
        }
        if needed {
            self.source.edit(Edit {
                range: at..at,
                bytes,
            });
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

/// The error for a failed write: the guard's refusal, or the output's own failure.
fn written<O>(guard: &PrescanGuard<O>, error: std::io::Error) -> DocumentError {
    match guard.refused {
        Some((from, to)) => DocumentError::EncodingChanged {
            from: from.name(),
            to: to.name(),
        },
        None => DocumentError::Write(error),
    }
}
