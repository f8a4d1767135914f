//! `--crawl`: a site's pages found by following its own links from the URL given, breadth
//! first, instead of through its sitemaps. A page's links are read as the engine checks it
//! (a second, link-only lol_html pass over the same bytes as they stream by), so no page is
//! asked for twice and none is held whole. The links followed are the site's own (`<a>` and
//! `<area>`, resolved against the page's `<base>`), those robots.txt allows, and not ones
//! that name a file rather than a page (`.css`, `.jpg`, `.pdf`, ...).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use htmlize::unescape_attribute;
use lol_html::send::{HtmlRewriter, Settings};
use lol_html::{MemorySettings, element};
use url::{Origin, Url};

use super::client::{Body, Client, FetchError};

/// Path endings that name files, not pages: a crawl does not ask for them.
const NOT_PAGES: &[&str] = &[
    "atom", "avif", "css", "csv", "doc", "docx", "eot", "epub", "gif", "gz", "ico", "jpeg", "jpg",
    "js", "json", "m4a", "mov", "mp3", "mp4", "ogg", "otf", "pdf", "png", "rss", "svg", "tar",
    "ttf", "txt", "wav", "webm", "webp", "woff", "woff2", "xls", "xlsx", "xml", "zip",
];
/// The memory the link pass of a page may use.
const LINK_PASS_MEMORY: usize = 4 << 20;
/// Requests a crawl makes at most per page `--max-pages` allows (redirects and links that
/// lead to no page are requests too).
const REQUESTS_PER_PAGE: usize = 4;
/// Links kept waiting at least, whatever `--max-pages` says: some lead to no page.
const MIN_WAITING: usize = 10_000;
/// How many of the links that led to no page the note names.
const EXAMPLES: usize = 5;
/// The most links read from one page.
const MAX_LINKS_PER_PAGE: usize = 10_000;

/// A crawl in progress: what was queued, and what the pages checked so far link to.
pub(crate) struct Crawl {
    max: usize,
    /// Whether a URL path is under a cloaking prefix: such a link is asked about by the
    /// check ([`super::Live::site_redirect`]), not read as a page.
    cloaked: Box<dyn Fn(&str) -> bool + Send + Sync>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The URLs given on the command line: theirs are real errors.
    roots: HashSet<Url>,
    /// Every page met so far, checked or waiting: none is asked for twice.
    queued: HashSet<Url>,
    /// Where the pages read came from once redirects were followed (the root's `www.`,
    /// `/x` to `/x/`): a link there is to a page already read.
    arrived: HashSet<Url>,
    /// The pages met and not yet asked for, in the order they were met.
    waiting: VecDeque<Url>,
    /// The pages read so far (what `--max-pages` counts).
    read: usize,
    /// The links of each page read in this round, by the page's URL as queued.
    links: HashMap<String, Vec<Url>>,
    /// The sites whose robots.txt could not be read, said once each.
    unreadable: HashSet<Origin>,
    /// Links that led to no page: not HTML, gone (404, 410), or sent off the site; the
    /// first few of them, with why.
    not_pages: usize,
    not_page_examples: BTreeSet<(String, String)>,
    /// Requests made for pages, redirects and links that led to no page included: bounded
    /// too, or a trap (`?n=1` to `?n=2` to ...) would go on.
    asked: usize,
    /// Links that redirect inside the site (their targets are checked instead).
    redirects: usize,
    disallowed: usize,
    stopped: bool,
    /// Stopped by the bound on requests, with pages still allowed: redirects and links to
    /// no page used them up.
    out_of_requests: bool,
    /// Sites met on the way whose robots.txt could not be read: nothing of them is checked.
    errors: Vec<(String, String)>,
}

impl State {
    /// Counts a link that led to no page; the first few (in URL order, however the pages
    /// finished) are named.
    fn note_not_page(&mut self, url: &Url, why: String) {
        self.not_pages += 1;
        self.not_page_examples.insert((url.to_string(), why));
        if self.not_page_examples.len() > EXAMPLES {
            self.not_page_examples.pop_last();
        }
    }
}

impl Crawl {
    /// A crawl of at most `max` pages.
    /// A crawl of at most `max` pages; a link whose URL path is `cloaked` is not followed.
    pub(crate) fn new(max: usize, cloaked: Box<dyn Fn(&str) -> bool + Send + Sync>) -> Crawl {
        Crawl {
            max,
            cloaked,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts from `root` (robots.txt allows it): whether it is to be checked (it was not
    /// named before, and `--max-pages` leaves room).
    pub(crate) fn start(&self, root: &Url) -> bool {
        let mut root = root.clone();
        root.set_fragment(None);
        let mut state = self.state();
        state.roots.insert(root.clone());
        if state.queued.len() >= self.max {
            state.stopped |= !state.queued.contains(&root);
            return false;
        }
        state.queued.insert(root)
    }

    /// Whether `url` is one the crawl starts from (a redirect from it is followed, and an
    /// error is the page's).
    pub(crate) fn is_root(&self, url: &Url) -> bool {
        self.state().roots.contains(url)
    }

    /// The page queued as `page` redirects to `to` inside the site: the target is its link,
    /// checked in the next round unless met already.
    pub(crate) fn redirected(&self, page: &str, to: Url) {
        let mut to = to;
        to.set_fragment(None);
        let mut state = self.state();
        // To itself (a loop, a cookie wall): no page to check there.
        if Url::parse(page).is_ok_and(|from| from == to) {
            state.note_not_page(&to, "redirects to itself".to_owned());
            return;
        }
        state.redirects += 1;
        let link = names_a_page(&to).then_some(to);
        state
            .links
            .insert(page.to_owned(), link.into_iter().collect());
    }

    /// `body`, the page queued as `page` and read from `at`, with its links noted as it is
    /// read.
    pub(crate) fn reader(self: &Arc<Self>, page: &str, at: Url, body: Body) -> Body {
        {
            let mut state = self.state();
            state.read += 1;
            state.arrived.insert(at.clone());
        }
        let found = Arc::new(Mutex::new(Found::default()));
        let seen = found.clone();
        let links = element!("a[href], area[href], base[href]", move |el| {
            let mut found = seen.lock().unwrap_or_else(|p| p.into_inner());
            let href = el.get_attribute("href").unwrap_or_default();
            if el.tag_name() == "base" {
                // The first `<base href>` is the document's base, for every link.
                found.base.get_or_insert(href);
            } else if el.get_attribute("download").is_none()
                && found.hrefs.len() < MAX_LINKS_PER_PAGE
            {
                found.hrefs.push(href);
            }
            Ok(())
        });
        let settings = Settings::new_send()
            .with_strict(false)
            // A tag this long is not one to follow links from: the link pass stops there.
            .with_memory_settings(
                MemorySettings::new().with_max_allowed_memory_usage(LINK_PASS_MEMORY),
            )
            .append_element_content_handler(links);
        Box::new(Links {
            inner: body,
            rewriter: Some(HtmlRewriter::new(settings, (|_: &[u8]| {}) as fn(&[u8]))),
            found,
            crawl: self.clone(),
            page: page.to_owned(),
            at,
        })
    }

    /// Whether `error`, met asking for `url`, only says that a link found by the crawl led
    /// to no page (counted, not an error).
    pub(crate) fn not_a_page(&self, url: &Url, error: &FetchError) -> bool {
        let mut state = self.state();
        let not_page = match error {
            FetchError::NotHtml(_) | FetchError::OffSite(_) => true,
            FetchError::Status { status, .. } => matches!(status, 404 | 410),
            _ => false,
        };
        let found = not_page && !state.roots.contains(url);
        if found {
            state.note_not_page(url, error.to_string());
        }
        found
    }

    /// The next round: the links of the pages of the last one (`round`, in its order) not
    /// met before, on the sites being checked, allowed by their robots.txt; as many as
    /// `--max-pages` leaves room for (links that lead to no page do not count), the others
    /// waiting for the round after.
    pub(crate) fn next(
        &self,
        client: &Client,
        round: &[String],
        robots: impl Fn(&Url) -> Result<bool, String>,
    ) -> Vec<Url> {
        let mut state = self.state();
        for page in round {
            for url in state.links.remove(page).unwrap_or_default() {
                let met = state.queued.contains(&url) || state.arrived.contains(&url);
                if met || !client.on_site(&url) {
                    continue;
                }
                // Enough waiting for what `--max-pages` leaves (some lead to no page): the
                // rest is not kept.
                if state.waiting.len() >= self.max.max(MIN_WAITING) {
                    state.stopped = true;
                    continue;
                }
                // A site adopted on the way (`www.`, `https`) has its own robots.txt.
                let allowed = match robots(&url) {
                    Ok(allowed) => allowed,
                    Err(e) => {
                        if state.unreadable.insert(url.origin()) {
                            let site = url.origin().ascii_serialization();
                            state.errors.push((format!("{site}/"), e));
                        }
                        false
                    }
                };
                state.queued.insert(url.clone());
                if allowed {
                    state.waiting.push_back(url);
                } else {
                    state.disallowed += 1;
                }
            }
        }
        state.asked += round.len();
        let requests_left = self
            .max
            .saturating_mul(REQUESTS_PER_PAGE)
            .saturating_sub(state.asked);
        let pages_left = self.max.saturating_sub(state.read);
        let take = pages_left.min(requests_left).min(state.waiting.len());
        let next: Vec<Url> = state.waiting.drain(..take).collect();
        if !state.waiting.is_empty() && next.is_empty() {
            if pages_left > 0 {
                state.out_of_requests = true;
            } else {
                state.stopped = true;
            }
        }
        next
    }

    /// The sites met on the way that could not be checked, with why.
    pub(crate) fn errors(&self) -> Vec<(String, String)> {
        std::mem::take(&mut self.state().errors)
    }

    /// What the crawl has to say once it is over.
    pub(crate) fn notes(&self) -> Vec<String> {
        let state = self.state();
        let mut notes = Vec::new();
        if state.not_pages > 0 {
            let examples: Vec<String> = state
                .not_page_examples
                .iter()
                .map(|(url, why)| format!("{url} ({why})"))
                .collect();
            let more = if state.not_pages > examples.len() {
                ", ..."
            } else {
                ""
            };
            notes.push(format!(
                "--crawl: {} link(s) led to no page (not HTML, 404 or 410, or a redirect off \
                 the site), not checked: {}{more}",
                state.not_pages,
                examples.join(", ")
            ));
        }
        if state.redirects > 0 {
            notes.push(format!(
                "--crawl: {} link(s) redirect inside the site: taken for links to their \
                 targets",
                state.redirects
            ));
        }
        if state.disallowed > 0 {
            notes.push(format!(
                "--crawl: {} page(s) not checked: robots.txt disallows them",
                state.disallowed
            ));
        }
        if state.stopped {
            notes.push(format!("--crawl: stopped at --max-pages {}", self.max));
        }
        if state.out_of_requests {
            notes.push(format!(
                "--crawl: stopped after {} requests, {REQUESTS_PER_PAGE} per page --max-pages \
                 allows: links that redirect ({}) or lead to no page ({}) used them up (a \
                 redirect trap?)",
                state.asked, state.redirects, state.not_pages
            ));
        }
        notes
    }

    /// Notes the links of `page`, read from `at`: each once, those not met before (what
    /// was met changes only between rounds, so this is the same however pages finish).
    fn found(&self, page: String, at: &Url, found: Found) {
        // Attribute values as written: `&amp;` is `&` (WordPress writes `&#038;`).
        let base = found
            .base
            .and_then(|b| at.join(unescape_attribute(b.as_str()).trim()).ok())
            .unwrap_or_else(|| at.clone());
        let mut state = self.state();
        let mut seen = HashSet::new();
        let links = found
            .hrefs
            .iter()
            .filter_map(|href| base.join(unescape_attribute(href.as_str()).trim()).ok())
            .filter_map(|mut url| {
                url.set_fragment(None);
                let page = matches!(url.scheme(), "http" | "https") && names_a_page(&url);
                (page && !(self.cloaked)(url.path())).then_some(url)
            })
            .filter(|url| !state.queued.contains(url) && seen.insert(url.clone()))
            .collect();
        state.links.insert(page, links);
    }
}

/// Whether `url`'s path looks like a page rather than a file.
fn names_a_page(url: &Url) -> bool {
    let last = url.path_segments().and_then(|mut s| s.next_back());
    let extension = last.and_then(|name| name.rsplit_once('.')).map(|(_, e)| e);
    extension.is_none_or(|e| !NOT_PAGES.iter().any(|n| n.eq_ignore_ascii_case(e)))
}

/// What the link pass found on a page.
#[derive(Default)]
struct Found {
    base: Option<String>,
    hrefs: Vec<String>,
}

/// The link-only pass over a page: its output goes nowhere.
type LinkPass = HtmlRewriter<'static, fn(&[u8])>;

/// A page's body as the engine reads it, its links noted on the way; they are handed to
/// the crawl when the engine is done with it.
struct Links {
    inner: Body,
    rewriter: Option<LinkPass>,
    found: Arc<Mutex<Found>>,
    crawl: Arc<Crawl>,
    page: String,
    at: Url,
}

impl Read for Links {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Markup the link pass cannot follow ends it, not the check.
        if self
            .rewriter
            .as_mut()
            .is_some_and(|r| r.write(&buf[..n]).is_err())
        {
            self.rewriter = None;
        }
        Ok(n)
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        if let Some(rewriter) = self.rewriter.take() {
            let _ = rewriter.end();
        }
        let found = std::mem::take(&mut *self.found.lock().unwrap_or_else(|p| p.into_inner()));
        self.crawl
            .found(std::mem::take(&mut self.page), &self.at, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_are_not_pages() {
        for page in [
            "https://a.example/",
            "https://a.example/post/",
            "https://a.example/post.html",
            "https://a.example/?p=12",
            "https://a.example/v1.2/notes",
        ] {
            assert!(names_a_page(&Url::parse(page).unwrap()), "{page}");
        }
        for file in [
            "https://a.example/wp-content/a.JPG",
            "https://a.example/feed.xml",
            "https://a.example/guide.pdf?download=1",
        ] {
            assert!(!names_a_page(&Url::parse(file).unwrap()), "{file}");
        }
    }

    #[test]
    fn a_page_links_are_read_as_it_streams_against_its_base() {
        let crawl = Arc::new(Crawl::new(
            10,
            Box::new(|path: &str| path.starts_with("/go/")),
        ));
        let page = b"<a href='/a/#top'>a</a><base href='https://a.example/blog/'>\
            <a href=b>b</a><a href='c.pdf'>c</a><a download href='d'>d</a>\
            <area href='mailto:x@a.example'><a href='https://other.example/'>o</a>\
            <a href='/s/?orderby=price&amp;paged=2'>2</a><a href='/s/?orderby=price&#038;paged=2'>\
            2 again</a><a href=b#x>b again</a><a href='/go/kettle/'>cloaked</a>";
        let body: Body = Box::new(&page[..]);
        let mut reader = crawl.reader(
            "https://a.example/x",
            Url::parse("https://a.example/x").unwrap(),
            body,
        );
        let mut sink = Vec::new();
        // In small reads, as a network body comes.
        let mut buf = [0u8; 7];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            sink.extend_from_slice(&buf[..n]);
        }
        drop(reader);
        assert_eq!(sink, page);
        let links = crawl.state().links.remove("https://a.example/x").unwrap();
        let links: Vec<&str> = links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            [
                "https://a.example/a/",
                "https://a.example/blog/b",
                "https://other.example/",
                "https://a.example/s/?orderby=price&paged=2"
            ]
        );
    }
}
