//! Which pages of a live site to check: robots.txt first (its `Disallow` and `Crawl-delay`
//! for affilint and `*`, its `Sitemap:` lines), then the sitemaps (those robots.txt names,
//! else `/sitemap.xml`, `/sitemap_index.xml`, `/wp-sitemap.xml`), indexes followed and
//! `.xml.gz` read. A URL that is a page and not a site root is checked by itself.

use std::collections::HashSet;
use std::io::{BufReader, Read};
use std::time::Duration;

use flate2::read::GzDecoder;
use quick_xml::events::Event;
use texting_robots::Robot;
use url::Url;

use super::client::{Body, Client, FetchError};

/// robots.txt's name for affilint.
const ROBOT: &str = "affilint";
/// The most sitemaps read for one site (indexes and their children).
const MAX_SITEMAPS: usize = 1_000;
/// The most a sitemap may hold once decompressed (the sitemap protocol caps it at 50 MB).
const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;
/// Where sitemaps are looked for when robots.txt names none.
const WELL_KNOWN: &[&str] = &["/sitemap.xml", "/sitemap_index.xml", "/wp-sitemap.xml"];

/// What was found to check on a site, and what went wrong on the way.
#[derive(Default)]
pub(crate) struct Found {
    pub(crate) pages: Vec<Url>,
    /// Sitemaps that could not be read, with why.
    pub(crate) errors: Vec<(String, String)>,
    pub(crate) notes: Vec<String>,
}

/// The site's robots.txt rules: everything allowed when it has none.
pub(crate) struct Robots(Option<Robot>);

impl Robots {
    pub(crate) fn allowed(&self, url: &Url) -> bool {
        self.0.as_ref().is_none_or(|r| r.allowed(url.as_str()))
    }
}

/// Reads `root`'s robots.txt (and takes its Crawl-delay as the least pace).
pub(crate) fn robots(client: &Client, root: &Url, found: &mut Found) -> Robots {
    let Ok(url) = root.join("/robots.txt") else {
        return Robots(None);
    };
    let text = match client.get(&url, false).and_then(read_capped) {
        Ok(text) => text,
        Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => {
            return Robots(None);
        }
        Err(e) => {
            found.notes.push(format!(
                "{url}: not read ({e}); every page is taken as allowed"
            ));
            return Robots(None);
        }
    };
    match Robot::new(ROBOT, &text) {
        Ok(robot) => {
            if let Some(delay) = robot.delay.filter(|d| *d > 0.0) {
                client.slow_down(root, Duration::from_secs_f32(delay.min(60.0)));
            }
            Robots(Some(robot))
        }
        Err(e) => {
            found.notes.push(format!(
                "{url}: not understood ({e}); every page is taken as allowed"
            ));
            Robots(None)
        }
    }
}

/// The pages to check for `start`, at most `max` of them.
pub(crate) fn pages(client: &Client, start: &Url, max: usize) -> Found {
    let mut found = Found::default();
    let robots = robots(client, start, &mut found);
    if start.path() != "/" || start.query().is_some() {
        // A page, not a site root: that page alone.
        if robots.allowed(start) {
            found.pages.push(start.clone());
        } else {
            found
                .notes
                .push(format!("{start}: robots.txt disallows it; not checked"));
        }
        return found;
    }
    let named: Vec<Url> = robots
        .0
        .as_ref()
        .map(|r| {
            r.sitemaps
                .iter()
                .filter_map(|s| start.join(s).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut queue: Vec<(Url, bool)> = if named.is_empty() {
        WELL_KNOWN
            .iter()
            .filter_map(|p| start.join(p).ok())
            .map(|u| (u, false))
            .collect()
    } else {
        named.into_iter().map(|u| (u, true)).collect()
    };
    queue.reverse();
    let mut seen_maps = HashSet::new();
    let mut seen_pages = HashSet::new();
    let mut read_any = false;
    let mut disallowed = 0;
    let mut off_site = 0;
    while let Some((map, named)) = queue.pop() {
        // The well-known places are tried until one is there.
        if !named && read_any {
            continue;
        }
        if !seen_maps.insert(map.clone()) || seen_maps.len() > MAX_SITEMAPS {
            continue;
        }
        let entries = match client.get(&map, false).and_then(read_capped) {
            Ok(bytes) => read_sitemap(&bytes),
            Err(FetchError::Status {
                status: 404 | 410, ..
            }) if !named => continue,
            Err(e) => Err(e.to_string()),
        };
        let (kind, locs) = match entries {
            Ok(entries) => entries,
            Err(e) => {
                found
                    .errors
                    .push((map.to_string(), format!("sitemap not read: {e}")));
                continue;
            }
        };
        read_any = true;
        for loc in locs {
            let Ok(url) = map.join(&loc) else { continue };
            if !client.on_site(&url) {
                off_site += 1;
                continue;
            }
            match kind {
                Kind::Index => queue.push((url, true)),
                Kind::Pages if !robots.allowed(&url) => disallowed += 1,
                Kind::Pages => {
                    if found.pages.len() < max && seen_pages.insert(url.clone()) {
                        found.pages.push(url);
                    }
                }
            }
        }
    }
    if !read_any {
        found.notes.push(format!(
            "{start}: no sitemap found (robots.txt names none, and none of {} is there); \
             checking the page itself",
            WELL_KNOWN.join(", ")
        ));
        if robots.allowed(start) {
            found.pages.push(start.clone());
        }
    }
    if disallowed > 0 {
        found.notes.push(format!(
            "{start}: {disallowed} page(s) of the sitemaps not checked: robots.txt disallows them"
        ));
    }
    if off_site > 0 {
        found.notes.push(format!(
            "{start}: {off_site} sitemap URL(s) on another site left alone"
        ));
    }
    if found.pages.len() >= max {
        found
            .notes
            .push(format!("{start}: stopped at --max-pages {max}"));
    }
    found
}

/// A body, read whole up to the sitemap cap (the client's cap applies first).
fn read_capped(body: Body) -> Result<Vec<u8>, FetchError> {
    let mut bytes = Vec::new();
    body.take(MAX_SITEMAP_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FetchError::Transport(e.to_string()))?;
    Ok(bytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `<sitemapindex>`: its `<loc>`s are sitemaps.
    Index,
    /// `<urlset>`: its `<loc>`s are pages.
    Pages,
}

/// The `<loc>`s of a sitemap (gzipped or not) and whether it is an index.
fn read_sitemap(bytes: &[u8]) -> Result<(Kind, Vec<String>), String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut xml = Vec::new();
        GzDecoder::new(bytes)
            .take(MAX_SITEMAP_BYTES + 1)
            .read_to_end(&mut xml)
            .map_err(|e| format!("bad gzip: {e}"))?;
        if xml.len() as u64 > MAX_SITEMAP_BYTES {
            return Err("more than 50 MB once decompressed".into());
        }
        return read_xml(&xml);
    }
    read_xml(bytes)
}

fn read_xml(xml: &[u8]) -> Result<(Kind, Vec<String>), String> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(xml));
    let mut buf = Vec::new();
    let mut kind = None;
    let mut in_loc = false;
    let mut loc = String::new();
    let mut locs = Vec::new();
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("malformed XML at byte {position}: {e}"))?;
        match event {
            Event::Start(tag) => match tag.local_name().as_ref() {
                "sitemapindex" => kind = kind.or(Some(Kind::Index)),
                "urlset" => kind = kind.or(Some(Kind::Pages)),
                "loc" => {
                    in_loc = true;
                    loc.clear();
                }
                _ => {}
            },
            Event::Text(text) if in_loc => loc.push_str(&text.xml10_content()),
            Event::CData(text) if in_loc => loc.push_str(text.as_ref()),
            Event::GeneralRef(reference) if in_loc => {
                let named = match reference.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => None,
                };
                if let Some(c) = named.or(reference.resolve_char_ref().ok().flatten()) {
                    loc.push(c);
                }
            }
            Event::End(tag) if tag.local_name().as_ref() == "loc" => {
                in_loc = false;
                let trimmed = loc.trim();
                if !trimmed.is_empty() {
                    locs.push(trimmed.to_owned());
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let kind = kind.ok_or("neither a <urlset> nor a <sitemapindex>")?;
    Ok((kind, locs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemaps_and_their_indexes_are_read_gzipped_or_not() {
        let index = b"<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
            <sitemap><loc>https://a.example/wp-sitemap-posts-post-1.xml</loc></sitemap></sitemapindex>";
        assert_eq!(
            read_sitemap(index).unwrap(),
            (
                Kind::Index,
                vec!["https://a.example/wp-sitemap-posts-post-1.xml".to_owned()]
            )
        );
        let set = b"<urlset><url><loc> https://a.example/?p=1&amp;x=2 </loc></url>\
            <url><loc><![CDATA[https://a.example/b/]]></loc></url></urlset>";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, set).unwrap();
        let gz = gz.finish().unwrap();
        for bytes in [&set[..], &gz[..]] {
            assert_eq!(
                read_sitemap(bytes).unwrap(),
                (
                    Kind::Pages,
                    vec![
                        "https://a.example/?p=1&x=2".to_owned(),
                        "https://a.example/b/".to_owned()
                    ]
                )
            );
        }
        assert!(read_sitemap(b"<urlset><url><loc>x</url>").is_err());
        assert!(read_sitemap(b"<html></html>").is_err());
    }
}
