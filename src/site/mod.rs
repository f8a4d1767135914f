//! What affilint knows of the site around a page: where the site's own redirects go
//! (`_redirects` files and meta-refresh pages, [`redirects`]), so a link through the site
//! (`/go/kettle/`) is judged by where it really goes.
//!
//! A page is placed in its site by its URL path (`/posts/a/index.html`); links are resolved
//! against it as a browser would, and compared without `index.html`, a trailing slash or a
//! `.html` ending, as static hosts serve them.

mod redirects;

pub(crate) use redirects::redirects_at_once;

use std::collections::HashMap;
use std::sync::Arc;

use url::Url;

pub use redirects::RedirectLineError;

use crate::style::Sheet;

/// The most redirects followed from one link (a chain through the site).
const MAX_HOPS: usize = 8;

/// A site: its redirects, read from its `_redirects` file and redirect pages.
///
/// ```
/// let mut site = affilint::Site::new();
/// site.add_redirects_file("/go/kettle  https://www.amazon.com/dp/B0?tag=mysite-20  302\n");
/// assert!(site.add_page(
///     "/old/index.html",
///     br#"<meta http-equiv="refresh" content="0; url=/posts/new/">"#,
/// ));
/// assert_eq!(site.redirects(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Exact paths (normalised) and where they go.
    exact: HashMap<String, String>,
    /// `/prefix/*` rules: the prefix and the destination, whose `:splat` takes the rest.
    splats: Vec<(String, String)>,
    /// The site's style sheets that matter, by URL path.
    sheets: HashMap<String, Arc<Sheet>>,
}

impl Site {
    /// A site with no redirects known.
    pub fn new() -> Site {
        Site::default()
    }

    /// Reads a `_redirects` file (Netlify, Cloudflare Pages): `from to [status]` per line,
    /// `#` comments. Returns the lines it could not read, which are skipped.
    pub fn add_redirects_file(&mut self, text: &str) -> Vec<RedirectLineError> {
        let mut errors = Vec::new();
        for (number, line) in text.lines().enumerate() {
            match redirects::parse_line(line) {
                Ok(Some((from, to))) => self.add(&from, to),
                Ok(None) => {}
                Err(why) => errors.push(RedirectLineError {
                    line: number + 1,
                    message: why,
                }),
            }
        }
        errors
    }

    /// A page of the site at URL path `path` (`/go/kettle/index.html`): when it is a redirect
    /// page (a `<meta http-equiv="refresh">` with a URL, as Hugo aliases and
    /// jekyll-redirect-from write them), remembers where it goes and returns `true`.
    pub fn add_page(&mut self, path: &str, html: &[u8]) -> bool {
        let Some(target) = redirects::meta_refresh(html) else {
            return false;
        };
        // A relative target is relative to the redirect page.
        let target = match Url::parse(&target) {
            Ok(_) => target,
            Err(_) => match resolve(path, &target) {
                Some(resolved) => resolved,
                None => return false,
            },
        };
        self.add(path, target);
        true
    }

    /// Adds the site's style sheet at URL path `path` (`/css/site.css`): a page that links to
    /// it (`<link rel="stylesheet">`) is read with its rules, so a statement the sheet hides
    /// or makes hard to read is found. Returns whether the sheet holds such a rule (one that
    /// does not is not kept).
    ///
    /// ```
    /// let mut site = affilint::Site::new();
    /// assert!(site.add_stylesheet("/css/site.css", ".fine-print { display: none }"));
    /// assert!(!site.add_stylesheet("/css/print.css", "body { margin: 0 }"));
    /// ```
    pub fn add_stylesheet(&mut self, path: &str, css: &str) -> bool {
        let sheet = Sheet::parse(css);
        if sheet.is_empty() {
            return false;
        }
        self.sheets.insert(path.to_owned(), Arc::new(sheet));
        true
    }

    /// Whether the site has a style sheet that matters.
    pub(crate) fn has_stylesheets(&self) -> bool {
        !self.sheets.is_empty()
    }

    /// The site's sheet that `href`, on the page at `page`, links to.
    pub(crate) fn stylesheet(&self, page: &str, href: &str) -> Option<Arc<Sheet>> {
        let path = resolve(page, href)?;
        self.sheets.get(&path).cloned()
    }

    /// How many redirects are known.
    pub fn redirects(&self) -> usize {
        self.exact.len() + self.splats.len()
    }

    /// Whether no redirect is known.
    pub fn is_empty(&self) -> bool {
        self.redirects() == 0
    }

    fn add(&mut self, from: &str, to: String) {
        match from.strip_suffix('*') {
            Some(prefix) => self.splats.push((prefix.to_owned(), to)),
            None => {
                self.exact.entry(key(from).to_owned()).or_insert(to);
            }
        }
    }

    /// Where a link on the page at `page` to `href` ends up, following the site's redirects:
    /// `None` when it is not a redirect of the site. `href` is a path or relative URL (links
    /// with another host are not the site's).
    pub(crate) fn destination(&self, page: &str, href: &str) -> Option<String> {
        let mut path = resolve(page, href)?;
        for _ in 0..MAX_HOPS {
            let to = self.redirect(&path)?;
            match Url::parse(&to) {
                Ok(url) if url.host_str().is_some() => return Some(to),
                _ => path = resolve(&path, &to)?,
            }
        }
        None
    }

    fn redirect(&self, path: &str) -> Option<String> {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if let Some(to) = self.exact.get(key(path)) {
            return Some(to.clone());
        }
        self.splats
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(prefix, to)| to.replace(":splat", &path[prefix.len()..]))
    }
}

/// A path as static hosts serve it: `/a/index.html`, `/a/`, `/a.html` and `/a` are one.
fn key(path: &str) -> &str {
    let path = path
        .strip_suffix("index.html")
        .or_else(|| path.strip_suffix("index.htm"))
        .unwrap_or(path);
    let path = path
        .strip_suffix(".html")
        .or_else(|| path.strip_suffix(".htm"))
        .unwrap_or(path);
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

/// The site path a link `href` on the page at `page` goes to, or `None` when it leaves the
/// site (another host or scheme).
pub(crate) fn resolve(page: &str, href: &str) -> Option<String> {
    const BASE: &str = "https://site.invalid";
    let base = Url::parse(BASE).ok()?.join(page).ok()?;
    let url = base.join(href).ok()?;
    (url.host_str() == Some("site.invalid") && url.scheme() == "https")
        .then(|| url.path().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_compared_as_static_hosts_serve_them() {
        for same in [
            "/go/kettle",
            "/go/kettle/",
            "/go/kettle/index.html",
            "/go/kettle.html",
        ] {
            assert_eq!(key(same), "/go/kettle", "{same}");
        }
        assert_eq!(key("/"), "/");
        assert_eq!(key("/index.html"), "/");
        assert_eq!(
            resolve("/posts/a/index.html", "../../go/x?utm=1").as_deref(),
            Some("/go/x")
        );
        assert_eq!(resolve("/posts/a/", "https://elsewhere.example/go/x"), None);
        assert_eq!(resolve("/posts/a/", "mailto:me@example.com"), None);
    }

    #[test]
    fn destinations_follow_redirect_files_pages_and_chains() {
        let mut site = Site::new();
        let errors = site.add_redirects_file(
            "# affiliate links\n\
             /go/kettle   https://www.amazon.com/dp/B0?tag=mysite-20   302\n\
             /go/*        https://amzn.to/:splat  301!\n\
             /old         /go/kettle\n\
             this line is wrong\n",
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 5);
        assert!(site.add_page(
            "/deals/kettle/index.html",
            b"<!DOCTYPE html><html><head><meta http-equiv=\"Refresh\" content=\"0;URL='/old'\"></head></html>"
        ));
        assert!(!site.add_page("/posts/a/index.html", b"<p>a page</p>"));
        let amazon = Some("https://www.amazon.com/dp/B0?tag=mysite-20".to_owned());
        assert_eq!(site.destination("/posts/a/", "/go/kettle/"), amazon);
        assert_eq!(site.destination("/posts/a/", "../../old"), amazon);
        assert_eq!(site.destination("/", "/deals/kettle/"), amazon, "a chain");
        assert_eq!(
            site.destination("/", "/go/3xYz"),
            Some("https://amzn.to/3xYz".to_owned())
        );
        assert_eq!(site.destination("/", "/posts/b/"), None);
        // A loop ends.
        site.add_redirects_file("/a /b\n/b /a\n");
        assert_eq!(site.destination("/", "/a"), None);
    }
}
