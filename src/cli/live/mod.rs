//! `affilint check URL...`: live sites read over HTTP(S). The pages come from robots.txt and
//! the sitemaps ([`discover`]), or with `--crawl` from the site's own links ([`crawl`]); each
//! is streamed through the engine as it arrives, never held whole ([`client`]). Requests go
//! to the sites named on the command line and nowhere else.

mod client;
mod cloaked;
mod crawl;
mod discover;
mod short;
mod spool;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use affilint::{Engine, Location};
use url::{Origin, Url};

pub(crate) use client::ConnectTo;
use client::{Body, Client, FetchError, Politeness, Redirects};
use cloaked::{Answer, Cloaked};
use crawl::Crawl;
use discover::Robots;
use short::Expander;
use spool::{SetAside, Spooled};

use super::args::{LiveArgs, ShortArgs};

/// The live sites named on the command line, read: the client and the pages found.
pub(crate) fn inputs(
    urls: &[&str],
    args: Option<&LiveArgs>,
    connect_to: &[ConnectTo],
    engine: &Engine,
) -> Result<Option<(Live, Discovered)>, String> {
    let Some(args) = args.filter(|_| !urls.is_empty()) else {
        return Ok(None);
    };
    if !(args.rate.is_finite() && args.rate >= 0.0) {
        return Err(format!(
            "--rate {}: give the requests a second as a number, 0 for no limit",
            args.rate
        ));
    }
    let politeness = Politeness {
        rate: (args.rate > 0.0).then_some(args.rate),
        connect_timeout: std::time::Duration::from_secs(args.connect_timeout),
        timeout: std::time::Duration::from_secs(args.timeout),
        retries: args.retries,
        max_bytes: args.max_page_mib.saturating_mul(1024 * 1024),
        connect_to: connect_to.to_vec(),
    };
    let max_pages = usize::try_from(args.max_pages).unwrap_or(usize::MAX);
    let (mut live, roots) = Live::new(urls, politeness)?;
    if args.crawl {
        // A link under a cloaking prefix is asked about, not read as a page.
        let engine = engine.clone();
        let cloaked = move |path: &str| engine.is_cloaking_path(path);
        live.crawl = Some(Arc::new(Crawl::new(max_pages, Box::new(cloaked))));
    }
    let found = live.discover(&roots, max_pages);
    Ok(Some((live, found)))
}

/// With `--expand-short-links` or `--link-cache`: the engine asks where short links go.
pub(crate) fn short_links(
    engine: &Engine,
    args: &ShortArgs,
) -> Result<Option<std::sync::Arc<Expander>>, String> {
    if !args.expand_short_links && args.link_cache.is_none() {
        return Ok(None);
    }
    let expander = std::sync::Arc::new(Expander::open(
        args.link_cache.as_deref(),
        args.expand_short_links,
        &args.connect_to,
    )?);
    let resolver = expander.clone();
    engine.expand_short_links(move |url| resolver.resolve(url));
    Ok(Some(expander))
}

/// A live page being read.
pub(crate) struct Page {
    /// Where its body came from, once redirects are followed.
    pub(crate) url: Url,
    pub(crate) body: Spooled,
    /// Sets the rest of the body aside before the site is asked about a link.
    pub(crate) aside: SetAside,
}

impl Page {
    fn new(url: Url, body: Body) -> Page {
        let (body, aside) = spool::spooled(body);
        Page { url, body, aside }
    }
}

/// A site's robots.txt, once read (an error: it could not be read).
type SiteRobots = OnceLock<Result<Robots, String>>;

/// The live sites of a run: the client, and the pages found to check.
pub(crate) struct Live {
    client: Client,
    /// With `--crawl`: the pages are found by following their links.
    crawl: Option<Arc<Crawl>>,
    /// Each site's robots.txt, read once (an error: it could not be read, nothing is
    /// allowed): the sites named, and those a redirect adopts (`www.`, `https`).
    robots: Mutex<HashMap<Origin, Arc<SiteRobots>>>,
    /// Pages not checked because they redirect to one robots.txt disallows.
    disallowed: AtomicUsize,
    /// The URLs named on the command line: a redirect of theirs that robots.txt stops is
    /// an error, not a note.
    named: HashSet<Url>,
    /// Where the links under a cloaking prefix go, as the site answered.
    cloaked: Cloaked,
}

/// The pages found on the sites named, what could not be read on the way, and notes.
pub(crate) struct Discovered {
    pub(crate) pages: Vec<Location>,
    pub(crate) errors: Vec<(Location, String)>,
    pub(crate) notes: Vec<String>,
}

impl Live {
    /// A client for the sites of `urls` (each `http://` or `https://`).
    pub(crate) fn new(urls: &[&str], politeness: Politeness) -> Result<(Live, Vec<Url>), String> {
        let mut roots = Vec::new();
        for url in urls {
            let parsed = Url::parse(url)
                .ok()
                .filter(|u| u.host_str().is_some())
                .ok_or_else(|| {
                    format!("{url}: not a URL affilint can read (http:// or https://, with a host)")
                })?;
            let mut parsed = parsed;
            parsed.set_fragment(None);
            roots.push(parsed);
        }
        let sites: HashSet<_> = roots.iter().map(Url::origin).collect();
        Ok((
            Live {
                client: Client::new(politeness, sites),
                crawl: None,
                robots: Mutex::new(HashMap::new()),
                disallowed: AtomicUsize::new(0),
                named: roots.iter().cloned().collect(),
                cloaked: Cloaked::new(cloaked::MAX_ASKS),
            },
            roots,
        ))
    }

    /// The pages to check: per site root its sitemaps' pages, per page URL that page; at
    /// most `max` in all. A crawl starts from the URLs themselves.
    pub(crate) fn discover(&self, roots: &[Url], max: usize) -> Discovered {
        let mut out = Discovered {
            pages: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
        };
        let mut seen = HashSet::new();
        for root in roots {
            let left = max.saturating_sub(out.pages.len());
            // One robots.txt per site, however many of its pages are named.
            let cell = self.robots_of(root);
            let rules = cell.get_or_init(|| discover::robots(&self.client, root));
            let found = match (rules, &self.crawl) {
                (Ok(rules), Some(_)) if !rules.allowed(root) => {
                    out.errors.push((
                        Location::Url(root.to_string()),
                        "robots.txt disallows it: not checked".into(),
                    ));
                    continue;
                }
                (Ok(_), Some(crawl)) => {
                    if crawl.start(root) {
                        out.pages.push(Location::Url(root.to_string()));
                    }
                    continue;
                }
                (Ok(rules), None) => discover::pages(&self.client, root, left, rules),
                (Err(e), _) => {
                    out.errors
                        .push((Location::Url(root.to_string()), e.clone()));
                    continue;
                }
            };
            for (url, message) in found.errors {
                out.errors.push((Location::Url(url), message));
            }
            out.notes.extend(found.notes);
            for page in found.pages {
                if seen.insert(page.clone()) {
                    out.pages.push(Location::Url(page.to_string()));
                }
            }
        }
        if self.crawl.is_some() && out.pages.is_empty() && out.errors.is_empty() {
            out.errors.push((
                Location::Url(roots.first().map(Url::to_string).unwrap_or_default()),
                "no page to check was found".into(),
            ));
        }
        out
    }

    /// Whether robots.txt lets affilint ask for `url`; an error when the site's robots.txt
    /// could not be read (nothing of it is asked then). A site first met here has its
    /// robots.txt read now.
    fn robots_allow(&self, url: &Url) -> Result<bool, String> {
        let cell = self.robots_of(url);
        let rules = cell.get_or_init(|| discover::robots(&self.client, url));
        rules.as_ref().map(|r| r.allowed(url)).map_err(Clone::clone)
    }

    /// The place for `url`'s site's robots.txt: read by the first to ask, while those who
    /// ask for the same site wait (no lock is held over the request for other sites).
    fn robots_of(&self, url: &Url) -> Arc<SiteRobots> {
        let mut robots = self.robots.lock().unwrap_or_else(|p| p.into_inner());
        robots.entry(url.origin()).or_default().clone()
    }

    /// The page at `url`, its body streamed; an error says why there is none to check, and
    /// `None` that a link a crawl found led to no page (or redirects: the crawl takes its
    /// target for a link, so the page is checked, once, where it is).
    pub(crate) fn open(&self, url: &str) -> Result<Option<Page>, String> {
        let parsed = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let allowed = |next: &Url| self.robots_allow(next).unwrap_or(false);
        let crawled = self.crawl.as_ref().filter(|c| !c.is_root(&parsed));
        let redirects = match crawled {
            Some(_) => Redirects::Stop,
            None => Redirects::Follow(&allowed),
        };
        match (self.client.fetch(&parsed, true, redirects), &self.crawl) {
            (Ok((at, body)), Some(crawl)) => {
                Ok(Some(Page::new(at.clone(), crawl.reader(url, at, body))))
            }
            (Ok((at, body)), None) => Ok(Some(Page::new(at, body))),
            (Err(FetchError::Redirect(to)), Some(crawl)) => {
                crawl.redirected(url, to);
                Ok(None)
            }
            (Err(e), Some(crawl)) if crawl.not_a_page(&parsed, &e) => Ok(None),
            // As for a sitemap's pages that robots.txt disallows: said in a note.
            (Err(FetchError::Disallowed(_)), None) if !self.named.contains(&parsed) => {
                self.disallowed.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
            (Err(e), _) => Err(e.to_string()),
        }
    }

    /// With `--crawl`, the pages the last round (`round`, in its order) links to that are
    /// still to be checked; otherwise none.
    pub(crate) fn next_round(&self, round: &[Location]) -> Vec<Location> {
        let Some(crawl) = &self.crawl else {
            return Vec::new();
        };
        let round: Vec<String> = round.iter().map(Location::to_string).collect();
        let next = crawl.next(&self.client, &round, |url| self.robots_allow(url));
        next.into_iter()
            .map(|url| Location::Url(url.to_string()))
            .collect()
    }

    /// Whether the pages are found by a crawl, as they are checked.
    pub(crate) fn crawls(&self) -> bool {
        self.crawl.is_some()
    }

    /// The sites a crawl met on the way and could not check, with why.
    pub(crate) fn errors(&self) -> Vec<(Location, String)> {
        let errors = self.crawl.as_ref().map(|c| c.errors()).unwrap_or_default();
        errors
            .into_iter()
            .map(|(site, e)| (Location::Url(site), e))
            .collect()
    }

    /// Where the link `link` (absolute, under a cloaking prefix) of a page redirects, as its
    /// site answers; `None` when it is not a site being checked, or the site cannot tell.
    /// Before the site is asked, the rest of the page is set aside (`aside`).
    pub(crate) fn site_redirect(&self, link: &str, aside: &SetAside) -> Option<String> {
        let url = Url::parse(link).ok()?;
        if !self.client.on_site(&url) {
            return None;
        }
        match self
            .cloaked
            .answer(&url, || aside.now(), || self.ask_redirect(&url))?
        {
            Answer::To(to) => Some(to),
            Answer::NotAsked | Answer::Unanswered(_) => None,
        }
    }

    /// Asks the site where `url` goes, following its redirects inside the site as far as
    /// robots.txt allows, and no further than the first one off it.
    fn ask_redirect(&self, url: &Url) -> Answer {
        let allowed = |next: &Url| self.robots_allow(next).unwrap_or(false);
        if !allowed(url) {
            return Answer::NotAsked;
        }
        match self.client.fetch(url, false, Redirects::Follow(&allowed)) {
            Err(FetchError::OffSite(to)) => Answer::To(to),
            Ok((at, _)) if at != *url => Answer::To(at.to_string()),
            Ok(_) => Answer::Unanswered("a page, not a redirect".to_owned()),
            Err(e) => Answer::Unanswered(e.to_string()),
        }
    }

    /// What there is to say once the run is over.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = self.crawl.as_ref().map(|c| c.notes()).unwrap_or_default();
        notes.extend(self.cloaked.notes());
        let disallowed = self.disallowed.load(Ordering::Relaxed);
        if disallowed > 0 {
            notes.push(format!(
                "{disallowed} page(s) not checked: they redirect to pages robots.txt \
                 disallows (or whose robots.txt could not be read)"
            ));
        }
        notes
    }
}
