//! The one lol_html pass behind check and fix.
//!
//! lol_html parses; affilint never lets it re-serialise anything. Link handlers decide what to
//! change and queue byte-range edits; the [`Source`] window writes the output as the original
//! bytes with those edits spliced in. Whatever affilint has no reason to touch (other tags,
//! entities, whitespace, invalid bytes, the encoding) comes out byte for byte.

mod around;
mod cloak;
mod link;
mod optout;
mod page;
mod price_marks;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use encoding_rs::{Encoding, UTF_8};
use lol_html::html_content::{Element, EndTag};
use lol_html::{
    AsciiCompatibleEncoding, ElementContentHandlers, HtmlRewriter, MemorySettings, OutputSink,
    Settings,
};

use crate::compile::Checks;
use crate::disclosure::insertion::{self, Insertion};
use crate::disclosure::matcher::{Found, Partial};
use crate::disclosure::policy::{self, PageFacts};
use crate::disclosure::reader::Reader;
use crate::errors::DocumentError;
use crate::page::Output;
use crate::page::guard::PrescanGuard;
use crate::page::hiding::element_hiding;
use crate::page::sniff;
use crate::page::source::{Source, Ticket};
use crate::report::{AffiliateLink, Finding, FindingId, Report, Severity};
use crate::site::{self, Site};
use optout::OptOut;
use page::{Page, SiteAsk};
use price_marks::PriceMarks;

/// How much is read at a time from files and pipes.
pub(crate) const READ_CHUNK: usize = 64 * 1024;
/// The most lol_html may buffer (one tag or comment larger than this is an error).
const MEMORY_LIMIT: usize = 8 * 1024 * 1024;

/// How much of the line before an insertion point is kept to copy its indentation.
const INDENT_WINDOW: usize = 256;

/// A finding whose line and column are still a ticket.
pub(crate) struct Draft {
    pub(crate) id: FindingId,
    pub(crate) severity: Severity,
    pub(crate) offset: usize,
    pub(crate) ticket: Ticket,
    pub(crate) message: String,
    /// For link findings: what the finding says of its link.
    pub(crate) link: Option<LinkFacts>,
}

/// What a link finding reports of its link.
pub(crate) struct LinkFacts {
    /// The URL as written, references decoded.
    pub(crate) url: String,
    pub(crate) program: String,
    pub(crate) affiliate_id: Option<String>,
}

/// Counts what lol_html emits and hears about `<meta charset>`.
struct EmitCounter {
    emitted: Rc<Cell<usize>>,
    encoding: Rc<Cell<&'static Encoding>>,
}

impl OutputSink for EmitCounter {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        self.emitted.set(self.emitted.get() + chunk.len());
    }

    fn set_encoding(&mut self, encoding: AsciiCompatibleEncoding) {
        self.encoding.set(encoding.into());
    }
}

/// One document being checked or fixed, fed in chunks: [`write`](Pass::write) for each
/// chunk, [`end`](Pass::end) once.
pub(crate) struct Pass<'e, O: Output> {
    state: Rc<RefCell<Page<'e>>>,
    /// Where findings go as soon as their position is known; `None` collects them into the
    /// report.
    sink: Option<Box<dyn FnMut(Finding) + 'e>>,
    /// Findings whose position is known, waiting for the report.
    done: Vec<Finding>,
    emitted: Rc<Cell<usize>>,
    rewriter: Option<HtmlRewriter<'e, EmitCounter>>,
    /// The first bytes, held until the encoding is known.
    head: Vec<u8>,
    output: PrescanGuard<O>,
}

pub(crate) use cloak::checked as cloak_checked;

/// Whether a link to `href` (its decoded value) can count at all on a page of no known site,
/// as [`Pass::links_only`] reads it: a program's own link (or a shortener's), or one through
/// a cloaking prefix. Any other gets no finding and is no affiliate link.
pub(crate) fn may_concern(checks: &Checks, href: &str) -> bool {
    checks.links.may_match(href)
        || (cloak::checked(checks)
            && cloak::may_route(href, &checks.cloaking_prefixes, false, false))
}

impl<'e, O: Output> Pass<'e, O> {
    /// A pass that writes to `output`; with `fixing` false it only checks (and `output`
    /// receives the input unchanged).
    pub(crate) fn new(checks: &'e Checks, output: O, fixing: bool) -> Self {
        Pass::build_pass(checks, output, fixing, false)
    }

    /// A pass that judges links only: no disclosure, nothing around the links, nothing
    /// inserted (the links of a Markdown document, whose page is built elsewhere).
    pub(crate) fn links_only(checks: &'e Checks, output: O, fixing: bool) -> Self {
        Pass::build_pass(checks, output, fixing, true)
    }

    fn build_pass(checks: &'e Checks, output: O, fixing: bool, links_only: bool) -> Self {
        let read_text = !links_only && checks.checks_disclosure();
        let insert = fixing && read_text && checks.insert.is_some();
        let reader = read_text.then(|| {
            let mut reader = Reader::new(&checks.policy.finder, &checks.policy.statements);
            reader.read_styles(checks.thresholds);
            reader
        });
        let state = Page {
            checks,
            fixing,
            source: Source::new(),
            encoding: Rc::new(Cell::new(UTF_8)),
            findings: Vec::new(),
            links: 0,
            affiliate_links: 0,
            programs: Vec::new(),
            first_link: None,
            carries_id: false,
            reader,
            insertion: insert.then(Insertion::default),
            optout: OptOut::default(),
            insert_bytes: Vec::new(),
            insert_copy: None,
            affiliate_sink: None,
            site: None,
            site_asker: None,
            redirect_page: false,
            around: Vec::new(),
            price_marks: PriceMarks::default(),
            distant_after: None,
            links_only,
        };
        Pass {
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
    pub(crate) fn each_finding(&mut self, sink: impl FnMut(Finding) + 'e) {
        self.sink = Some(Box::new(sink));
    }

    /// Places the page in `site` at URL path `path`: links through the site's redirects are
    /// judged by where they go.
    pub(crate) fn in_site(&mut self, site: &'e Site, path: &str) {
        let mut state = self.state.borrow_mut();
        state.site = Some((site, path.to_owned()));
        if let Some(reader) = state.reader.as_mut().filter(|_| site.has_stylesheets()) {
            let page = path.to_owned();
            reader.link_sheets(move |href| site.stylesheet(&page, href));
        }
    }

    /// Asks `ask` where links under a cloaking prefix on the site of `page_url` go; see
    /// [`crate::Checker::ask_site_redirects`]. A `page_url` that is no URL asks nothing.
    pub(crate) fn ask_site_redirects(&mut self, page_url: &str, ask: SiteAsk<'e>) {
        if let Ok(page) = url::Url::parse(page_url) {
            self.state.borrow_mut().site_asker = Some((page, ask));
        }
    }

    /// Hands every affiliate link to `sink` as it is met.
    pub(crate) fn each_affiliate_link(&mut self, sink: impl FnMut(AffiliateLink) + 'e) {
        self.state.borrow_mut().affiliate_sink = Some(Box::new(sink));
    }

    /// Feeds the next chunk of the document.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
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
    pub(crate) fn end(mut self) -> Result<(Report, O), DocumentError> {
        let (found, partials) = self.finish_parsing()?;
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        state.judge_around(usize::MAX, true);
        state.decide_insertion_at_end(&found);
        let inserted = state.insertion.as_ref().is_some_and(Insertion::inserted);
        // A page that redirects at once is read by no one: its disclosure is not judged.
        if !inserted && !state.redirect_page && !state.links_only {
            let facts = PageFacts {
                programs: &state.programs,
                first_link: state.first_link,
                found: &found,
                partials: &partials,
                carries_id: state.carries_id,
                faint: state.reader.as_ref().map_or(&[], |r| r.faint()),
            };
            for verdict in policy::evaluate(&state.checks.policy, &facts) {
                if let Some(severity) = state.checks.severity(verdict.id) {
                    state.findings.push(Draft {
                        id: verdict.id,
                        severity,
                        offset: verdict.offset,
                        ticket: verdict.ticket,
                        message: verdict.message,
                        link: None,
                    });
                }
            }
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
        report.findings.sort_by_key(|f| (f.offset, f.id));
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
        let Page { reader, source, .. } = &mut *state;
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
            // A page that redirects at once says so in its head (Hugo's and jekyll's do).
            state.redirect_page = site::redirects_at_once(head);
            if let (Some(_), Some(insert)) = (&state.insertion, &state.checks.insert) {
                state.insert_bytes = sniffed.encoding.encode(insert.html.trim()).0.into_owned();
            }
        }
        self.rewriter = Some(self.build(sniffed.encoding));
        self.feed(head)
    }

    fn build(&self, encoding: &'static Encoding) -> HtmlRewriter<'e, EmitCounter> {
        let (checks, insert, encoding_cell) = {
            let state = self.state.borrow();
            (
                state.checks,
                state.insertion.as_ref().map(|i| i.blocks.clone()),
                state.encoding.clone(),
            )
        };
        let selectors = &checks.selectors;
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
        let state = self.state.clone();
        settings = settings.append_element_content_handler((
            Cow::Borrowed(&selectors.links),
            ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                state.borrow_mut().on_link(el);
                Ok(())
            }),
        ));
        if let Some(blocks) = insert {
            settings = settings.append_element_content_handler((
                Cow::Borrowed(&selectors.blocks),
                ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                    let name = el.tag_name();
                    let start = el.source_location().bytes().start;
                    let hides = element_hiding(el).hides();
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
            if let Some(before) = checks.insert.as_ref().and_then(|i| i.before.as_ref()) {
                let state = self.state.clone();
                settings = settings.append_element_content_handler((
                    Cow::Borrowed(before),
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
            EmitCounter {
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
            let Page { optout, source, .. } = &mut *state;
            optout.feed(source);
            if !state.insert_bytes.is_empty() && state.insert_copy.is_none() {
                let fed = state.source.fed();
                let from = from.max(state.source.base_offset());
                state.insert_copy = state
                    .source
                    .bytes(from..fed)
                    .and_then(|held| memchr::memmem::find(held, &state.insert_bytes))
                    .map(|at| from + at);
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
        state.judge_around(self.emitted.get(), false);
        if let Some(hold) = state.around_hold(fed) {
            state.price_marks.forget_before(hold);
            safe = safe.min(hold);
        }
        if let Some(reader) = &mut state.reader {
            reader.set_encoding(state.encoding.get());
            // As far as lol_html has parsed, no further: the reader then meets the page in
            // the same order, links and all, however it was chunked.
            reader.catch_up(&mut state.source, self.emitted.get());
            safe = safe.min(reader.hold(fed));
        }
        if let Some(mut hold) = state.insertion.as_ref().and_then(Insertion::hold) {
            // The disclosure may go before an element that hides the first link.
            if let Some(start) = state.reader.as_ref().and_then(Reader::hiding_from) {
                hold = hold.min(start);
            }
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
        for draft in state.findings.drain(..ready) {
            let Some((line, column)) = state.source.position(draft.ticket) else {
                continue;
            };
            let finding = Finding {
                id: draft.id,
                severity: draft.severity,
                line,
                column,
                offset: draft.offset,
                message: draft.message,
                url: draft.link.as_ref().map(|l| l.url.clone()),
                program: draft.link.as_ref().map(|l| l.program.clone()),
                affiliate_id: draft.link.and_then(|l| l.affiliate_id),
            };
            match &mut self.sink {
                Some(sink) => sink(finding),
                None => self.done.push(finding),
            }
        }
    }
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
