//! Which pages of a live site to check: robots.txt first (its `Disallow` and `Crawl-delay`
//! for affilint and `*`, its `Sitemap:` lines), then the sitemaps (those robots.txt names,
//! else `/sitemap.xml`, `/sitemap_index.xml`, `/wp-sitemap.xml`), indexes followed and
//! `.xml.gz` read. A URL that is a page and not a site root is checked by itself.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use flate2::read::GzDecoder;
use quick_xml::events::Event;
use texting_robots::Robot;
use url::Url;

use super::client::{Body, Client, FetchError, Redirects};

/// robots.txt's name for affilint.
const ROBOT: &str = "affilint";
/// The most sitemaps read for one site (indexes and their children).
const MAX_SITEMAPS: usize = 1_000;
/// The most a sitemap may hold once decompressed (the sitemap protocol caps it at 50 MB).
const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;
/// Why a sitemap past [`MAX_SITEMAP_BYTES`] is not read.
const TOO_BIG: &str = "more than 50 MB once decompressed";
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

/// Reads `root`'s robots.txt (and takes its Crawl-delay as the least pace). None there
/// (4xx) allows everything; one that cannot be read (429, 5xx, the network) allows nothing,
/// as RFC 9309 says: the error is why the site was not checked.
pub(crate) fn robots(client: &Client, root: &Url) -> Result<Robots, String> {
    let Ok(url) = root.join("/robots.txt") else {
        return Ok(Robots(None));
    };
    // Where robots.txt really is (the bare host sends it to `www.`): its delay is that
    // host's too.
    let mut from = url.clone();
    let fetched = client.fetch(&url, false, Redirects::Follow(&|_| true));
    let text = match fetched.and_then(|(at, body)| {
        from = at;
        read_capped(body)
    }) {
        Ok(text) => text,
        Err(FetchError::Status { status, .. }) if (400..500).contains(&status) && status != 429 => {
            return Ok(Robots(None));
        }
        Err(e) => {
            return Err(format!(
                "robots.txt could not be read ({e}): the site was not checked"
            ));
        }
    };
    // A robots.txt affilint cannot parse says nothing it can obey: everything is allowed.
    let Ok(robot) = Robot::new(ROBOT, &text) else {
        return Ok(Robots(None));
    };
    if let Some(delay) = robot.delay.filter(|d| *d > 0.0) {
        let delay = Duration::from_secs_f32(delay.min(60.0));
        client.slow_down(root, delay);
        client.slow_down(&from, delay);
    }
    Ok(Robots(Some(robot)))
}

/// The pages to check for `start`, at most `max` of them, under its site's `robots`.
pub(crate) fn pages(client: &Client, start: &Url, max: usize, robots: &Robots) -> Found {
    let mut found = Found::default();
    if start.path() != "/" || start.query().is_some() {
        // A page, not a site root: that page alone.
        if !robots.allowed(start) {
            found.errors.push((
                start.to_string(),
                "robots.txt disallows it: not checked".into(),
            ));
        } else if max > 0 {
            found.pages.push(start.clone());
        }
        return found;
    }
    let mut named = Vec::new();
    for sitemap in robots.0.iter().flat_map(|r| &r.sitemaps) {
        match start.join(sitemap) {
            Ok(url) if client.on_site(&url) => named.push(url),
            _ => found.notes.push(format!(
                "{start}: robots.txt names a sitemap on another site, {sitemap}: not read"
            )),
        }
    }
    let mut sitemaps = Sitemaps {
        client,
        robots,
        max,
        seen_maps: HashSet::new(),
        seen_pages: HashSet::new(),
        disallowed: 0,
        off_site: 0,
    };
    let mut read_any = sitemaps.read_all(named, true, &mut found);
    if !read_any {
        let well_known = WELL_KNOWN.iter().filter_map(|p| start.join(p).ok());
        for url in well_known {
            if sitemaps.read_all(vec![url], false, &mut found) {
                read_any = true;
                break;
            }
        }
    }
    if !read_any {
        found.notes.push(format!(
            "{start}: no sitemap could be read (those robots.txt names, {}); checking the \
             page itself (`--crawl` follows its links to the others)",
            WELL_KNOWN.join(", ")
        ));
        if robots.allowed(start) && max > 0 {
            found.pages.push(start.clone());
        }
    }
    if sitemaps.disallowed > 0 {
        found.notes.push(format!(
            "{start}: {} page(s) of the sitemaps not checked: robots.txt disallows them",
            sitemaps.disallowed
        ));
    }
    if sitemaps.off_site > 0 {
        found.notes.push(format!(
            "{start}: {} sitemap URL(s) on another site left alone",
            sitemaps.off_site
        ));
    }
    if found.pages.len() >= max {
        found
            .notes
            .push(format!("{start}: stopped at --max-pages {max}"));
    }
    if found.pages.is_empty() {
        found
            .errors
            .push((start.to_string(), "no page to check was found".into()));
    }
    found
}

/// A walk through a site's sitemaps.
struct Sitemaps<'a> {
    client: &'a Client,
    robots: &'a Robots,
    max: usize,
    seen_maps: HashSet<Url>,
    seen_pages: HashSet<Url>,
    disallowed: usize,
    off_site: usize,
}

impl Sitemaps<'_> {
    /// Reads the sitemaps `queue` and the ones their indexes name; `named`: they were asked
    /// for (a failure is an error), not guessed at (a failure means there is none). Returns
    /// whether one was read.
    fn read_all(&mut self, mut queue: Vec<Url>, named: bool, found: &mut Found) -> bool {
        queue.reverse();
        let mut read_any = false;
        let mut asked = named;
        while let Some(map) = queue.pop() {
            if found.pages.len() >= self.max {
                break;
            }
            if self.seen_maps.len() >= MAX_SITEMAPS {
                found
                    .notes
                    .push(format!("stopped after reading {MAX_SITEMAPS} sitemaps"));
                break;
            }
            if !self.seen_maps.insert(map.clone()) {
                continue;
            }
            let entries = self
                .client
                .get(&map, false)
                .map_err(|e| e.to_string())
                .and_then(read_sitemap);
            let (kind, locs) = match entries {
                Ok(entries) => entries,
                Err(_) if !asked => return false,
                Err(e) => {
                    found
                        .errors
                        .push((map.to_string(), format!("sitemap not read: {e}")));
                    continue;
                }
            };
            // An index's children are asked for, whoever found the index.
            asked = true;
            read_any = true;
            for loc in locs {
                let Ok(mut url) = map.join(&loc) else {
                    continue;
                };
                url.set_fragment(None);
                if !self.client.on_site(&url) {
                    self.off_site += 1;
                    continue;
                }
                match kind {
                    Kind::Index => queue.push(url),
                    Kind::Pages if !self.robots.allowed(&url) => self.disallowed += 1,
                    Kind::Pages => {
                        if found.pages.len() < self.max && self.seen_pages.insert(url.clone()) {
                            found.pages.push(url);
                        }
                    }
                }
            }
        }
        read_any
    }
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

/// The `<loc>`s of a sitemap (gzipped or not) and whether it is an index, read as it
/// streams: a sitemap is never held whole.
fn read_sitemap(body: impl Read) -> Result<(Kind, Vec<String>), String> {
    let mut body = BufReader::new(body);
    let start = body
        .fill_buf()
        .map_err(|e| format!("could not be read: {e}"))?;
    if start.starts_with(&[0x1f, 0x8b]) {
        let xml = GzDecoder::new(body).take(MAX_SITEMAP_BYTES + 1);
        return read_xml(BufReader::new(xml));
    }
    read_xml(body.take(MAX_SITEMAP_BYTES + 1))
}

fn read_xml(xml: impl BufRead) -> Result<(Kind, Vec<String>), String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    // Past the cap the XML is cut short: that, not the cut, is what to say.
    let too_big = |reader: &quick_xml::Reader<_>| reader.buffer_position() > MAX_SITEMAP_BYTES;
    let mut buf = Vec::new();
    let mut kind = None;
    // The open elements, by their names as written (`image:loc` is not `loc`).
    let mut open: Vec<String> = Vec::new();
    let mut loc = String::new();
    let mut locs = Vec::new();
    let in_loc = |open: &[String]| {
        open.len() >= 2
            && open[open.len() - 1] == "loc"
            && matches!(open[open.len() - 2].as_str(), "url" | "sitemap")
    };
    loop {
        let position = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) if too_big(&reader) => return Err(TOO_BIG.into()),
            Err(quick_xml::Error::Io(e)) => return Err(format!("could not be read: {e}")),
            Err(e) => return Err(format!("malformed XML at byte {position}: {e}")),
        };
        match event {
            Event::Start(tag) => {
                let name = tag.name().as_ref().to_owned();
                if open.is_empty() {
                    kind = match tag.local_name().as_ref() {
                        "sitemapindex" => Some(Kind::Index),
                        "urlset" => Some(Kind::Pages),
                        _ => None,
                    };
                }
                if name == "loc" {
                    loc.clear();
                }
                open.push(name);
            }
            Event::Empty(tag) if open.is_empty() => {
                // `<urlset/>`: a sitemap with no page.
                return match tag.local_name().as_ref() {
                    "sitemapindex" => Ok((Kind::Index, Vec::new())),
                    "urlset" => Ok((Kind::Pages, Vec::new())),
                    _ => Err("neither a <urlset> nor a <sitemapindex>".into()),
                };
            }
            Event::Text(text) if in_loc(&open) => loc.push_str(&text.xml10_content()),
            Event::CData(text) if in_loc(&open) => loc.push_str(text.as_ref()),
            Event::GeneralRef(reference) if in_loc(&open) => {
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
            Event::End(_) => {
                if in_loc(&open) {
                    let trimmed = loc.trim();
                    if !trimmed.is_empty() {
                        locs.push(trimmed.to_owned());
                    }
                }
                open.pop();
            }
            Event::Eof if too_big(&reader) => return Err(TOO_BIG.into()),
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
            read_sitemap(&index[..]).unwrap(),
            (
                Kind::Index,
                vec!["https://a.example/wp-sitemap-posts-post-1.xml".to_owned()]
            )
        );
        let set = b"<urlset xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\
            <url><loc> https://a.example/?p=1&amp;x=2 </loc>\
            <image:image><image:loc>https://a.example/a.jpg</image:loc></image:image></url>\
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
        assert!(read_sitemap(&b"<urlset><url><loc>x</url>"[..]).is_err());
        assert_eq!(
            read_sitemap(&b"<urlset/>"[..]).unwrap(),
            (Kind::Pages, Vec::new())
        );
        assert!(read_sitemap(&b"<html></html>"[..]).is_err());
    }

    #[test]
    fn a_sitemap_past_the_cap_is_refused_as_it_streams() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"<urlset><url><loc>https://a.example/</loc></url>")
            .unwrap();
        let filler = vec![b' '; 1 << 20];
        for _ in 0..51 {
            std::io::Write::write_all(&mut gz, &filler).unwrap();
        }
        std::io::Write::write_all(&mut gz, b"</urlset>").unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        assert_eq!(read_sitemap(&bomb[..]).unwrap_err(), TOO_BIG);
    }
}
