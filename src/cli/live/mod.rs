//! `affilint check URL...`: live sites read over HTTP(S). The pages come from robots.txt and
//! the sitemaps ([`discover`]); each is streamed through the engine as it arrives, never held
//! whole ([`client`]). Requests go to the sites named on the command line and nowhere else.

mod client;
mod discover;
mod short;

use std::collections::{HashMap, HashSet};
use std::io::Read;

use affilint::Location;
use url::Url;

pub(crate) use client::{Client, ConnectTo, Politeness};
pub(crate) use short::Expander;

/// The live sites of a run: the client, and the pages found to check.
pub(crate) struct Live {
    client: Client,
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
            roots.push(parsed);
        }
        let sites: HashSet<_> = roots.iter().map(Url::origin).collect();
        Ok((
            Live {
                client: Client::new(politeness, sites),
            },
            roots,
        ))
    }

    /// The pages to check: per site root its sitemaps' pages, per page URL that page; at
    /// most `max` in all.
    pub(crate) fn discover(&self, roots: &[Url], max: usize) -> Discovered {
        let mut out = Discovered {
            pages: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
        };
        let mut seen = HashSet::new();
        // One robots.txt per site, however many of its pages are named.
        let mut robots = HashMap::new();
        for root in roots {
            let left = max.saturating_sub(out.pages.len());
            let rules = robots
                .entry(root.origin())
                .or_insert_with(|| discover::robots(&self.client, root));
            let found = match rules {
                Ok(rules) => discover::pages(&self.client, root, left, rules),
                Err(e) => {
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
        out
    }

    /// The body of the page at `url`, streamed; an error says why there is none to check.
    pub(crate) fn open(&self, url: &str) -> Result<Box<dyn Read + Send>, String> {
        let url = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        self.client.get(&url, true).map_err(|e| e.to_string())
    }
}
