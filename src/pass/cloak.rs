//! Links that hide where they go: through the site's own redirects to a program that forbids
//! cloaked links (`cloaked-link`), through a URL shortener, or under a cloaking prefix
//! (`/go/`) whose destination the site does not show (`opaque-link`).

use super::LinkFacts;
use super::page::Page;
use crate::compile::Checks;
use crate::links::href::Href;
use crate::links::{Affiliate, CloakingPrefixes, Status};
use crate::page::entities::DecodedAttr;
use crate::report::FindingId;
use crate::site;

/// Where a link that is not a program's own goes.
pub(super) enum Route {
    /// Straight where it says.
    Direct,
    /// Through the site (a redirect or a cloaking prefix), to this affiliate link if it is one.
    Site(Option<Affiliate>),
}

/// Whether a raw `href` may go through the site or a cloaking prefix, cheaply: a path on
/// the site (relative links only when the site's redirects are known, or under a prefix on a
/// page whose URL is known: `located`), or any URL whose path starts with one of `prefixes`.
pub(super) fn may_route(
    raw: &str,
    prefixes: &CloakingPrefixes,
    site_known: bool,
    located: bool,
) -> bool {
    if !site_known && !prefixes.in_value(raw) {
        return false;
    }
    let value = raw.trim_ascii_start();
    let has_prefix = |path: &str| prefixes.of(path).is_some();
    if value.starts_with("//") {
        return url_path(value).is_some_and(has_prefix);
    }
    if value.starts_with('/') {
        return site_known || has_prefix(value);
    }
    match scheme(value) {
        Some(_) => url_path(value).is_some_and(has_prefix),
        None => (site_known || located) && !value.starts_with('#') && !value.is_empty(),
    }
}

/// The scheme of an absolute URL (`https` in `https://...`), if it has one.
fn scheme(value: &str) -> Option<&str> {
    let colon = value.find(':')?;
    let scheme = &value[..colon];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some(scheme)
}

/// The path of a URL with an authority (`https://host/path`, `//host/path`).
fn url_path(value: &str) -> Option<&str> {
    let after = value.split_once("//")?.1;
    let start = after.find('/')?;
    Some(&after[start..])
}

/// Whether links are looked at for cloaking at all.
pub(crate) fn checked(checks: &Checks) -> bool {
    checks.severity(FindingId::CloakedLink).is_some()
        || checks.severity(FindingId::OpaqueLink).is_some()
}

impl Page<'_> {
    /// Whether links are looked at for cloaking at all.
    pub(super) fn checks_cloaking(&self) -> bool {
        checked(self.checks)
    }

    /// Whether the page's site has redirects to follow.
    pub(super) fn site_known(&self) -> bool {
        self.site.as_ref().is_some_and(|(site, _)| !site.is_empty())
    }

    /// Where a link that is not a program's own goes (`raw` passed [`may_route`]), with its
    /// findings.
    pub(super) fn route(&mut self, raw: &str, start: usize) -> Route {
        let decoded = DecodedAttr::new(raw);
        let value = decoded
            .text()
            .trim_matches(|c: char| c.is_ascii_whitespace());
        let relative = scheme(value).is_none() && !value.starts_with("//");
        if relative
            && let Some((site, page)) = &self.site
            && let Some(destination) = site.destination(page, value)
        {
            return self.redirected(value, &destination, start);
        }
        let path = if relative {
            let page = match (&self.site, &self.site_asker) {
                (Some((_, page)), _) => page.as_str(),
                (None, Some((url, _))) => url.path(),
                (None, None) => "/",
            };
            site::resolve(page, value)
        } else {
            url_path(value).map(str::to_owned)
        };
        let Some(prefix) =
            path.and_then(|path| self.checks.cloaking_prefixes.of(&path).map(str::to_owned))
        else {
            return Route::Direct;
        };
        let asked = self.ask_site(value);
        if let Some(Some(destination)) = asked {
            return self.redirected(value, &destination, start);
        }
        let message = if asked.is_some() {
            format!(
                "link under the cloaking prefix {prefix} ({value}): where it goes could not be \
                 learned from the site, and programs such as Amazon do not pay on cloaked \
                 links; link to the destination directly"
            )
        } else {
            format!(
                "link under the cloaking prefix {prefix} ({value}): where it goes cannot be seen \
                 in the site, and programs such as Amazon do not pay on cloaked links; link to \
                 the destination directly, or declare the redirect in _redirects"
            )
        };
        self.push(FindingId::OpaqueLink, start, message, None);
        Route::Site(None)
    }

    /// For a link `value` on a live page's own site: where the site says it goes (`None`:
    /// it cannot tell). `None` when the link is not one the site can be asked about. The
    /// link is asked without its fragment and user name (neither is sent in a request).
    fn ask_site(&self, value: &str) -> Option<Option<String>> {
        let (page, ask) = self.site_asker.as_ref()?;
        let mut link = page.join(value).ok()?;
        if link.origin() != page.origin() {
            return None;
        }
        link.set_fragment(None);
        // Both fail only for URLs without a host, which this is not.
        let _ = link.set_username("");
        let _ = link.set_password(None);
        Some(ask(link.as_str()))
    }

    /// A link through the site's redirects to `destination`.
    fn redirected(&mut self, value: &str, destination: &str, start: usize) -> Route {
        let Some(href) = Href::parse(destination) else {
            return Route::Site(None);
        };
        if let Some(affiliate) = self.checks.links.classify(&href) {
            let program = &self.checks.links.programs[affiliate.program].program;
            if program.forbids_cloaking() {
                // Where it goes may not carry the publisher's id either: said, so the advice
                // is not to link to someone else's id.
                let id = match &affiliate.status {
                    Status::Untagged => " (it carries no id: add yours)".to_owned(),
                    Status::Foreign {
                        found, expected, ..
                    } => format!(" (it carries the id `{found}`, not `{expected}`: use yours)"),
                    _ => String::new(),
                };
                let message = format!(
                    "link to {value}, which the site redirects to {destination}: {} does not \
                     allow links that hide that they go to it; link to {destination} directly{id}",
                    program.name()
                );
                let facts = LinkFacts {
                    url: value.to_owned(),
                    program: program.id().to_owned(),
                    affiliate_id: affiliate.id.clone(),
                };
                self.push(FindingId::CloakedLink, start, message, Some(facts));
            }
            return Route::Site(Some(affiliate));
        }
        if let Some(shortener) = self.checks.links.shortener(&href) {
            let message = format!(
                "link to {value}, which the site redirects through the URL shortener \
                 {shortener} ({destination}): where it ends up cannot be seen; link to the \
                 destination directly"
            );
            self.push(FindingId::OpaqueLink, start, message, None);
        }
        Route::Site(None)
    }

    /// A link through a third-party URL shortener.
    pub(super) fn shortened(&mut self, href: &Href, start: usize) {
        let Some(shortener) = self.checks.links.shortener(href) else {
            return;
        };
        let message = format!(
            "link through the URL shortener {shortener} ({}): readers and affilint cannot see \
             where it goes, and Amazon does not pay on links cloaked by shorteners; link to the \
             destination directly",
            href.text()
        );
        self.push(FindingId::OpaqueLink, start, message, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_the_site_or_under_a_prefix_may_route() {
        let prefixes = CloakingPrefixes::new(vec!["/go/".to_owned(), "/recommends/".to_owned()]);
        let route = |raw: &str, site| may_route(raw, &prefixes, site, false);
        assert!(route("/go/kettle/", false));
        assert!(route("https://mysite.example/recommends/kettle/", false));
        assert!(route("//mysite.example/go/x", false));
        assert!(!route("/posts/a/", false));
        assert!(route("/posts/a/", true));
        assert!(route("../go/kettle", true));
        assert!(
            !route("../go/kettle", false),
            "relative paths need the site"
        );
        assert!(
            may_route("../go/kettle", &prefixes, false, true),
            "or the page's URL"
        );
        assert!(!may_route("../posts/a/", &prefixes, false, true));
        assert!(!route("https://golang.org/doc/go/", false));
        assert!(!route("mailto:me@example.com", true));
        assert!(!route("#top", true));
    }
}
