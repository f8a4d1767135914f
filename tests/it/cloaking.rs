//! Links that hide where they go, in sites as static generators and hosts write them: Hugo
//! and jekyll-redirect-from redirect pages, Netlify / Cloudflare Pages `_redirects`, link
//! plugins' `/go/` and `/recommends/` prefixes, third-party URL shorteners.

use serde_json::Value;

use crate::support::{DISCLOSED, engine, run, site, stderr};

/// The findings of a `check --format json` over `dir`: (file, id, line) in order.
fn findings(dir: &std::path::Path, extra: &[&str]) -> (Value, Vec<(String, String, u64)>) {
    let mut args = vec!["check", "--format", "json", "."];
    args.extend_from_slice(extra);
    let out = run(dir, &args, None);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (json, list)
}

/// What Hugo writes for a page whose layout redirects (`alias.html`'s shape).
fn hugo_redirect(to: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en-us\"><head><title>{to}</title><link rel=\"canonical\" \
         href=\"{to}\"><meta name=\"robots\" content=\"noindex\"><meta charset=\"utf-8\"><meta \
         http-equiv=\"refresh\" content=\"0; url={to}\"></head></html>"
    )
}

/// What jekyll-redirect-from writes for `redirect_to:`.
fn jekyll_redirect(to: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n  <meta charset=\"utf-8\">\n  \
         <title>Redirecting&hellip;</title>\n  <link rel=\"canonical\" href=\"{to}\">\n  \
         <script>location=\"{to}\"</script>\n  <meta http-equiv=\"refresh\" content=\"0; \
         url={to}\">\n  <meta name=\"robots\" content=\"noindex\">\n  \
         <h1>Redirecting&hellip;</h1>\n  <a href=\"{to}\">Click here if you are not \
         redirected.</a>\n</html>\n"
    )
}

#[test]
fn links_through_the_sites_redirect_pages_to_amazon_are_cloaked() {
    let hugo = hugo_redirect("https://www.amazon.com/dp/B0KETTLE1?tag=mysite-20");
    let jekyll = jekyll_redirect("https://amzn.to/3xYzAbc");
    let post = format!(
        "<html><body>{DISCLOSED}<p>The <a href=\"/go/kettle/\" rel=\"sponsored\">kettle</a> \
         and the <a href=\"../../deals/toaster/\" rel=\"sponsored\">toaster</a>.</p>\
         <p><a href=\"/about/\">About</a></p></body></html>"
    );
    let dir = site(&[
        ("go/kettle/index.html", hugo.as_str()),
        ("deals/toaster/index.html", jekyll.as_str()),
        ("posts/kitchen/index.html", post.as_str()),
        ("about/index.html", "<p>About me</p>"),
    ]);
    let (json, found) = findings(dir.path(), &[]);
    let kitchen: Vec<&(String, String, u64)> = found
        .iter()
        .filter(|(file, ..)| file.starts_with("posts/"))
        .collect();
    assert_eq!(
        kitchen,
        [
            &("posts/kitchen/index.html".into(), "cloaked-link".into(), 2),
            &("posts/kitchen/index.html".into(), "cloaked-link".into(), 2),
        ],
        "{json:#}"
    );
    // The redirect page's own "click here" link is a short link without rel; nobody reads
    // the page, so it needs no disclosure.
    let toaster: Vec<&str> = found
        .iter()
        .filter(|(file, ..)| file.starts_with("deals/"))
        .map(|(_, id, _)| id.as_str())
        .collect();
    assert_eq!(toaster, ["short-link", "missing-rel"], "{json:#}");
    let first = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "cloaked-link")
        .unwrap();
    assert_eq!(first["program"], "amazon");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("https://www.amazon.com/dp/B0KETTLE1?tag=mysite-20"),
        "{first}"
    );
    // They are affiliate links: they count (with the redirect page's), and need a disclosure
    // (which this page has).
    assert_eq!(json["summary"]["affiliate_links"], 3);
}

#[test]
fn redirect_files_are_followed_and_programs_that_allow_redirects_are_not_cloaked() {
    let redirects = "# Netlify\n\
                     /recommends/kettle   https://www.amazon.co.uk/dp/B0KETTLE1?tag=mysite-21   302\n\
                     /recommends/lot      https://www.ebay.com/itm/1?mkevt=1&mkcid=1&mkrid=711-53200-19255-0&campid=5338000000&toolid=10001  301!\n\
                     /go/*                https://amzn.to/:splat  302\n\
                     /old-post            /posts/kitchen/\n";
    let post = "<p>Things I use.</p>\n\
                <p><a href=\"/recommends/kettle\">kettle</a></p>\n\
                <p><a href=\"https://mysite.example/recommends/lot\">a lot on eBay</a></p>\n\
                <p><a href=\"/go/3xYz\">toaster</a></p>\n\
                <p><a href=\"/old-post\">older post</a></p>\n";
    let dir = site(&[
        ("_redirects", redirects),
        ("posts/kitchen/index.html", post),
    ]);
    let (json, found) = findings(dir.path(), &[]);
    let ids: Vec<(&str, u64)> = found
        .iter()
        .map(|(_, id, line)| (id.as_str(), *line))
        .collect();
    assert!(ids.contains(&("cloaked-link", 2)), "{json:#}");
    assert!(ids.contains(&("cloaked-link", 4)), "a splat rule: {json:#}");
    // The eBay link under /recommends/ on the site's absolute URL is not followed (another
    // host is not the site), so its prefix makes it opaque.
    assert!(ids.contains(&("opaque-link", 3)), "{json:#}");
    assert!(
        !ids.iter().any(|(_, line)| *line == 5),
        "an internal redirect: {json:#}"
    );
    // Redirected affiliate links need the disclosure this page lacks, and rel="sponsored".
    assert!(ids.contains(&("missing-disclosure", 2)), "{json:#}");
    assert!(ids.contains(&("missing-rel", 2)), "{json:#}");
}

#[test]
fn shorteners_and_unknown_cloaking_prefixes_are_opaque() {
    let page = "<p><a href=\"https://bit.ly/3kettle\">kettle</a> \
                <a href=\"https://TinyURL.com/y2abc\">toaster</a> \
                <a href=\"/recommends/blender/\">blender</a> \
                <a href=\"https://amzn.to/3xYz\" rel=\"sponsored\">Amazon's own short link</a> \
                <a href=\"https://golang.org/doc/\">go docs</a> \
                <a href=\"/posts/go/\">a post about Go</a></p>\n";
    let dir = site(&[("index.html", page)]);
    let (json, found) = findings(dir.path(), &[]);
    let opaque: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "opaque-link")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(opaque.len(), 3, "{json:#}");
    assert!(opaque[0].contains("URL shortener bit.ly"), "{}", opaque[0]);
    assert!(
        opaque[1].contains("URL shortener tinyurl.com"),
        "{}",
        opaque[1]
    );
    assert!(
        opaque[2].contains("cloaking prefix /recommends/"),
        "{}",
        opaque[2]
    );
    assert!(found.iter().any(|(_, id, _)| id == "short-link"));
    // The prefixes are configurable: none here.
    std::fs::write(
        dir.path().join("affilint.toml"),
        "[links]\ncloaking_prefixes = []\n",
    )
    .unwrap();
    let (json, _) = findings(dir.path(), &[]);
    let opaque = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "opaque-link")
        .count();
    assert_eq!(opaque, 2, "{json:#}");
}

#[test]
fn a_bad_redirects_line_is_a_note_and_the_rest_is_read() {
    let dir = site(&[
        (
            "_redirects",
            "/go/a\n/go/b https://www.amazon.com/dp/B0?tag=mysite-20\n",
        ),
        ("index.html", "<a href=\"/go/b\" rel=\"sponsored\">b</a>"),
    ]);
    let out = run(dir.path(), &["check", "--format", "short", "."], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("_redirects:1: `/go/a` has no destination"),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[cloaked-link]"));
}

#[test]
fn cloaking_prefixes_must_be_paths() {
    let err = affilint::Config::parse("affilint.toml", "[links]\ncloaking_prefixes = [\"go\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("affilint.toml:2:22: `go` is not a path prefix"),
        "{err}"
    );
    // And without a site, the library still sees shorteners and prefixes.
    let report = engine("")
        .check(b"<a href=\"https://bit.ly/x\">x</a><a href=\"/go/y\">y</a>")
        .unwrap();
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["opaque-link", "opaque-link"]);
}
