//! What the handlers of one pass share about the page being read: the window, the findings
//! so far, the counts, the disclosure reader, and the decision to insert a disclosure.

use std::cell::Cell;
use std::rc::Rc;

use encoding_rs::Encoding;

use super::optout::OptOut;
use super::price_marks::PriceMarks;
use super::{Draft, INDENT_WINDOW, LinkFacts};
use crate::compile::Checks;
use crate::disclosure::insertion::{self, Insertion};
use crate::disclosure::matcher::Found;
use crate::disclosure::policy::{self, Placement};
use crate::disclosure::reader::Reader;
use crate::page::source::{Edit, Source, Ticket};
use crate::report::{AffiliateLink, FindingId};
use crate::site::Site;

/// Everything the handlers of one pass share about the page.
pub(super) struct Page<'e> {
    pub(super) checks: &'e Checks,
    pub(super) fixing: bool,
    pub(super) source: Source,
    pub(super) encoding: Rc<Cell<&'static Encoding>>,
    pub(super) findings: Vec<Draft>,
    pub(super) links: usize,
    pub(super) affiliate_links: usize,
    /// Active programs the page links to, in order of first link.
    pub(super) programs: Vec<usize>,
    pub(super) first_link: Option<(usize, Ticket)>,
    /// Whether an affiliate link carries an id (a short link holds one inside).
    pub(super) carries_id: bool,
    /// Reads the disclosure statements, when any disclosure finding is on.
    pub(super) reader: Option<Reader<'e>>,
    pub(super) insertion: Option<Insertion>,
    /// Elements marked `data-affilint-ignore`.
    pub(super) optout: OptOut,
    /// The configured disclosure, in the page's encoding.
    pub(super) insert_bytes: Vec<u8>,
    /// Where the page holds its first copy, if it does: a copy before the first affiliate
    /// link (anywhere, with `placement = "anywhere"`) means fix inserts none. Only bytes
    /// before the point of decision count, so the result never depends on the chunking.
    pub(super) insert_copy: Option<usize>,
    /// Where affiliate links go as they are met, if anyone asked.
    pub(super) affiliate_sink: Option<Box<dyn FnMut(AffiliateLink) + 'e>>,
    /// The site the page belongs to, and the page's URL path in it.
    pub(super) site: Option<(&'e Site, String)>,
    /// For a live page: its URL, and who tells where its site's cloaked links go.
    pub(super) site_asker: Option<(url::Url, SiteAsk<'e>)>,
    /// The statement (its word count) after which a link was reported too far.
    pub(super) distant_after: Option<u64>,
    /// Affiliate links waiting for the rest of their block to be read.
    pub(super) around: Vec<Pending>,
    /// Where the bytes of those blocks may show a price or rating.
    pub(super) price_marks: PriceMarks,
    /// Whether the page redirects at once (`<meta http-equiv="refresh" content="0; url=...">`).
    pub(super) redirect_page: bool,
    /// Links only: no disclosure judged, nothing read around the links.
    pub(super) links_only: bool,
}

/// Where a link of a live page's own site redirects (`None`: cannot be told).
pub(crate) type SiteAsk<'e> = Box<dyn Fn(&str) -> Option<String> + 'e>;

/// A link waiting for the rest of its block.
pub(super) struct Pending {
    /// Where the link's start tag begins and ends.
    pub(super) start: usize,
    pub(super) tag_end: usize,
    /// Where its block starts, and the container that makes it.
    pub(super) block_start: usize,
    pub(super) container: Option<String>,
    pub(super) check_price: bool,
    pub(super) check_label: bool,
    pub(super) facts: LinkFacts,
    pub(super) program_name: String,
    /// Where its block ends, once found, and how far the bytes were looked at for it.
    pub(super) block_end: Option<usize>,
    pub(super) scanned: usize,
}

impl Page<'_> {
    /// Records a finding at `offset` (with the link's URL and program for link findings),
    /// unless its id is off.
    pub(super) fn push(
        &mut self,
        id: FindingId,
        offset: usize,
        message: String,
        link: Option<LinkFacts>,
    ) {
        let Some(severity) = self.checks.severity(id) else {
            return;
        };
        let ticket = self.source.ticket(offset);
        self.findings.push(Draft {
            id,
            severity,
            offset,
            ticket,
            message,
            link,
        });
    }

    /// With `placement = "before-first-link"`, decides at the first affiliate link whether to
    /// insert the configured disclosure: only if no statement seen so far meets the
    /// requirements of that link's program and the FTC's. When an element hides the link
    /// (`hidden`: its start, and whether it is the root), the disclosure goes before that.
    pub(super) fn decide_insertion_at_first_link(
        &mut self,
        link: usize,
        hidden: Option<(usize, bool)>,
    ) {
        let Some(insertion) = self.insertion.as_mut() else {
            return;
        };
        let at = insertion.first_link(link, hidden);
        let copy_before = self.insert_copy.is_some_and(|copy| copy < link);
        let Some(at) = at.filter(|_| !copy_before) else {
            insertion.decide(false);
            return;
        };
        if self.checks.policy.placement != Placement::BeforeFirstLink {
            return;
        }
        let visible = match &mut self.reader {
            Some(reader) => {
                reader.catch_up_to_tag(&mut self.source, link);
                reader.visible_so_far()
            }
            None => Vec::new(),
        };
        let requirements = policy::requirements(&self.checks.policy, &self.programs);
        let needed = !policy::unmet(&requirements, &visible).is_empty();
        self.insert_disclosure(at, needed);
    }

    /// With `placement = "anywhere"`, decides at the end of the page.
    pub(super) fn decide_insertion_at_end(&mut self, found: &[Found]) {
        let Some(at) = self.insertion.as_ref().and_then(Insertion::pending) else {
            return;
        };
        if self.insert_copy.is_some() {
            self.insert_disclosure(at, false);
            return;
        }
        let visible: Vec<Found> = found.iter().filter(|f| f.counts()).cloned().collect();
        let requirements = policy::requirements(&self.checks.policy, &self.programs);
        let needed = !policy::unmet(&requirements, &visible).is_empty();
        self.insert_disclosure(at, needed);
    }

    fn insert_disclosure(&mut self, at: usize, needed: bool) {
        let Some(insert) = &self.checks.insert else {
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
