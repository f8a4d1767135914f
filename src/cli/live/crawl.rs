//! `--crawl`: a site's pages found by following its own links from the URL given, breadth
//! first, instead of through its sitemaps. A page's links are read as the engine checks it
//! (a second, link-only lol_html pass over the same bytes as they stream by), so no page is
//! asked for twice and none is held whole. The links followed are the site's own (`<a>` and
//! `<area>`, resolved against the page's `<base>`), those robots.txt allows, and not ones
//! that name a file rather than a page (`.css`, `.jpg`, `.pdf`, ...).

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use lol_html::send::{HtmlRewriter, Settings};
use lol_html::{MemorySettings, element};
use url::{Origin, Url};

use super::client::{Body, Client, FetchError};
use super::discover::{self, Robots};

/// Path endings that name files, not pages: a crawl does not ask for them.
const NOT_PAGES: &[&str] = &[
    "atom", "avif", "css", "csv", "doc", "docx", "eot", "epub", "gif", "gz", "ico", "jpeg", "jpg",
    "js", "json", "m4a", "mov", "mp3", "mp4", "ogg", "otf", "pdf", "png", "rss", "svg", "tar",
    "ttf", "txt", "wav", "webm", "webp", "woff", "woff2", "xls", "xlsx", "xml", "zip",
];
/// The memory the link pass of a page may use.
const LINK_PASS_MEMORY: usize = 4 << 20;
/// The most links read from one page.
const MAX_LINKS_PER_PAGE: usize = 10_000;

/// A crawl in progress: what was queued, and what the pages checked so far link to.
pub(crate) struct Crawl {
    max: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The URLs given on the command line: theirs are real errors.
    roots: HashSet<Url>,
    /// Every page met so far, checked or waiting: none is asked for twice.
    queued: HashSet<Url>,
    /// The pages met and not yet asked for, in the order they were met.
    waiting: VecDeque<Url>,
    /// The pages read so far (what `--max-pages` counts).
    read: usize,
    /// The links of each page read in this round, by the page's URL as queued.
    links: HashMap<String, Vec<Url>>,
    /// Each site's robots.txt (an error: it could not be read, nothing is allowed).
    robots: HashMap<Origin, Result<Robots, String>>,
    /// Links that led to no page: not HTML, gone (404, 410), or sent off the site.
    not_pages: usize,
    disallowed: usize,
    stopped: bool,
}

impl Crawl {
    /// A crawl of at most `max` pages.
    pub(crate) fn new(max: usize) -> Crawl {
        Crawl {
            max,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts from `root` (robots.txt allows it): whether it is to be checked (it was not
    /// named before, and `--max-pages` leaves room).
    pub(crate) fn start(&self, root: &Url) -> bool {
        let mut state = self.state();
        state.roots.insert(root.clone());
        state.queued.len() < self.max && state.queued.insert(root.clone())
    }

    /// Takes over the robots.txt already read for the sites named.
    pub(crate) fn know_robots(&self, robots: HashMap<Origin, Result<Robots, String>>) {
        self.state().robots.extend(robots);
    }

    /// `body`, the page queued as `page` and read from `at`, with its links noted as it is
    /// read.
    pub(crate) fn reader(self: &Arc<Self>, page: &str, at: Url, body: Body) -> Body {
        self.state().read += 1;
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
        state.not_pages += usize::from(found);
        found
    }

    /// The next round: the links of the pages of the last one (`round`, in its order) not
    /// met before, on the sites being checked, allowed by their robots.txt; as many as
    /// `--max-pages` leaves room for (links that lead to no page do not count), the others
    /// waiting for the round after.
    pub(crate) fn next(&self, client: &Client, round: &[String]) -> Vec<Url> {
        let mut state = self.state();
        for page in round {
            for url in state.links.remove(page).unwrap_or_default() {
                if !client.on_site(&url) || state.queued.contains(&url) {
                    continue;
                }
                let robots = match state.robots.get(&url.origin()) {
                    Some(robots) => robots,
                    // A site adopted on the way (`www.`, `https`): its own robots.txt.
                    None => {
                        let read = discover::robots(client, &url);
                        state.robots.entry(url.origin()).or_insert(read)
                    }
                };
                if !robots.as_ref().is_ok_and(|r| r.allowed(&url)) {
                    state.disallowed += 1;
                    state.queued.insert(url);
                    continue;
                }
                state.queued.insert(url.clone());
                state.waiting.push_back(url);
            }
        }
        let room = self.max.saturating_sub(state.read);
        let take = room.min(state.waiting.len());
        let next: Vec<Url> = state.waiting.drain(..take).collect();
        if !state.waiting.is_empty() && next.is_empty() {
            state.stopped = true;
        }
        next
    }

    /// What the crawl has to say once it is over.
    pub(crate) fn notes(&self) -> Vec<String> {
        let state = self.state();
        let mut notes = Vec::new();
        if state.not_pages > 0 {
            notes.push(format!(
                "--crawl: {} link(s) of the site led to no page (not HTML, 404 or 410, or a \
                 redirect off the site): not checked",
                state.not_pages
            ));
        }
        if state.disallowed > 0 {
            notes.push(format!(
                "--crawl: {} page(s) not checked: robots.txt disallows them (or could not be \
                 read)",
                state.disallowed
            ));
        }
        if state.stopped {
            notes.push(format!("--crawl: stopped at --max-pages {}", self.max));
        }
        notes
    }

    /// Notes the links of `page`, read from `at`.
    fn found(&self, page: String, at: &Url, found: Found) {
        let base = found
            .base
            .and_then(|b| at.join(&b).ok())
            .unwrap_or_else(|| at.clone());
        let links = found
            .hrefs
            .iter()
            .filter_map(|href| base.join(href.trim()).ok())
            .filter_map(|mut url| {
                url.set_fragment(None);
                (matches!(url.scheme(), "http" | "https") && names_a_page(&url)).then_some(url)
            })
            .collect();
        self.state().links.insert(page, links);
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
        let crawl = Arc::new(Crawl::new(10));
        let page = b"<a href='/a/#top'>a</a><base href='https://a.example/blog/'>\
            <a href=b>b</a><a href='c.pdf'>c</a><a download href='d'>d</a>\
            <area href='mailto:x@a.example'><a href='https://other.example/'>o</a>";
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
                "https://other.example/"
            ]
        );
    }
}
