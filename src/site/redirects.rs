//! The two ways a static site declares its redirects: a `_redirects` file (Netlify,
//! Cloudflare Pages) and pages that only refresh to another URL (what Hugo aliases and
//! jekyll-redirect-from write).

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::LazyLock;

use lol_html::html_content::Element;
use lol_html::{ElementContentHandlers, HtmlRewriter, Selector, Settings};

/// A line of a `_redirects` file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectLineError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// One line of a `_redirects` file: `from to [status[!]] [conditions...]`. `Ok(None)` for a
/// blank line or a comment.
pub(super) fn parse_line(line: &str) -> Result<Option<(String, String)>, String> {
    let line = line.split_once('#').map_or(line, |(before, _)| before);
    let mut fields = line.split_whitespace();
    let Some(from) = fields.next() else {
        return Ok(None);
    };
    let Some(to) = fields.next() else {
        return Err(format!(
            "`{from}` has no destination: write `from to [status]`"
        ));
    };
    if !from.starts_with('/') {
        return Err(format!(
            "`{from}` is not a path of the site: a redirect starts at `/...`"
        ));
    }
    if let Some(status) = fields.next() {
        let code = status.trim_end_matches('!');
        // Conditions (`Country=us`) may stand where the status would.
        let is_code = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
        if !(code.contains('=') || is_code) {
            return Err(format!(
                "`{status}` is not a status code (301, 302, 200, ...)"
            ));
        }
    }
    Ok(Some((from.to_owned(), to.to_owned())))
}

/// The URL a page refreshes to, if it holds a `<meta http-equiv="refresh">` with one.
pub(super) fn meta_refresh(html: &[u8]) -> Option<String> {
    refresh_of(html).map(|(_, url)| url)
}

/// The delay and URL of the page's first `<meta http-equiv="refresh">` with a URL.
fn refresh_of(html: &[u8]) -> Option<(u32, String)> {
    let found: Rc<RefCell<Option<(u32, String)>>> = Rc::default();
    let target = found.clone();
    let selector: Selector = "meta[http-equiv][content]".parse().ok()?;
    let handler = ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
        let refreshes = el
            .get_attribute("http-equiv")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"));
        if refreshes && target.borrow().is_none() {
            *target.borrow_mut() = el.get_attribute("content").and_then(|c| refresh(&c));
        }
        Ok(())
    });
    let settings = Settings::new().append_element_content_handler((Cow::Owned(selector), handler));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(html).ok()?;
    rewriter.end().ok()?;
    found.take()
}

/// Whether the start of a page (`head`) refreshes at once to another URL: such a page is
/// read by no one. Only a page that says `refresh` is parsed.
pub(crate) fn redirects_at_once(head: &[u8]) -> bool {
    static REFRESH: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"efresh"));
    // Redirect pages are small: their refresh comes within the first few kilobytes.
    let head = &head[..head.len().min(8 * 1024)];
    REFRESH.find(head).is_some() && refresh_of(head).is_some_and(|(delay, _)| delay == 0)
}

/// The delay (whole seconds) and URL of a refresh's `content` (`0; url=/new/`,
/// `0;URL='/new/'`, `5, /new/`), as the HTML standard's "shared declarative refresh steps"
/// read it; `None` for a refresh of the page itself.
fn refresh(content: &str) -> Option<(u32, String)> {
    let rest = content.trim_start();
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let delay = rest[..digits].parse().unwrap_or(0);
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let rest = rest.trim_start();
    let rest = rest.strip_prefix([';', ',']).unwrap_or(rest).trim_start();
    let rest = match rest.get(..3) {
        Some(head) if head.eq_ignore_ascii_case("url") => {
            let after = rest[3..].trim_start();
            after.strip_prefix('=').map_or(rest, str::trim_start)
        }
        _ => rest,
    };
    let url = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let inner = &rest[1..];
            inner.split(quote).next().unwrap_or(inner)
        }
        _ => rest,
    };
    let url = url.trim();
    (!url.is_empty()).then(|| (delay, url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_contents_in_every_spelling() {
        for (content, delay, url) in [
            (
                "0; url=https://example.org/new/",
                0,
                "https://example.org/new/",
            ),
            ("0;URL='/new/'", 0, "/new/"),
            ("0; URL = \"/new/\"", 0, "/new/"),
            ("5, /new/", 5, "/new/"),
            ("0.5;url=/a b", 0, "/a b"),
        ] {
            assert_eq!(refresh(content), Some((delay, url.to_owned())), "{content}");
        }
        assert_eq!(refresh("30"), None, "a refresh of the same page");
    }

    #[test]
    fn redirect_pages_as_hugo_and_jekyll_write_them() {
        let hugo = br#"<!DOCTYPE html><html lang="en-us"><head><title>https://example.org/posts/my-post/</title><link rel="canonical" href="https://example.org/posts/my-post/"><meta name="robots" content="noindex"><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=https://example.org/posts/my-post/"></head></html>"#;
        assert_eq!(
            meta_refresh(hugo).as_deref(),
            Some("https://example.org/posts/my-post/")
        );
        let jekyll = b"<!DOCTYPE html>\n<html lang=\"en-US\">\n  <meta charset=\"utf-8\">\n  <title>Redirecting&hellip;</title>\n  <link rel=\"canonical\" href=\"https://amzn.to/3xYz\">\n  <script>location=\"https://amzn.to/3xYz\"</script>\n  <meta http-equiv=\"refresh\" content=\"0; url=https://amzn.to/3xYz\">\n  <meta name=\"robots\" content=\"noindex\">\n  <h1>Redirecting&hellip;</h1>\n</html>\n";
        assert_eq!(
            meta_refresh(jekyll).as_deref(),
            Some("https://amzn.to/3xYz")
        );
        assert_eq!(
            meta_refresh(b"<meta name=refresh content=\"0; url=/x\">"),
            None
        );
    }

    #[test]
    fn redirect_lines() {
        assert_eq!(
            parse_line("/go/a  https://amzn.to/x  302!  # a comment"),
            Ok(Some(("/go/a".to_owned(), "https://amzn.to/x".to_owned())))
        );
        assert_eq!(parse_line("   # only a comment"), Ok(None));
        assert_eq!(
            parse_line("/shop/* /store/:splat 200 Country=us"),
            Ok(Some(("/shop/*".to_owned(), "/store/:splat".to_owned())))
        );
        assert!(parse_line("/lonely").is_err());
        assert!(parse_line("go/a https://x.example/").is_err());
        assert!(parse_line("/a /b three").is_err());
    }
}
