//! The library API: findings, positions, counts, severities, streaming.

use affilint::{FindingId, Severity};

use crate::support::{CONFIG, DISCLOSED, engine, fix_in_chunks};

fn ids(report: &affilint::Report) -> Vec<FindingId> {
    report.findings.iter().map(|f| f.id).collect()
}

#[test]
fn untagged_link_points_at_the_element_with_url_and_program() {
    let page = format!(
        "{DISCLOSED}<p>Buy <em>it</em>:\n  <a class=x href=\"https://www.amazon.com/dp/B00X?th=1&amp;psc=1\" rel=sponsored>here</a></p>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(ids(&report), [FindingId::UntaggedLink]);
    let f = &report.findings[0];
    assert_eq!((f.line, f.column), (3, 3));
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.url.as_deref(),
        Some("https://www.amazon.com/dp/B00X?th=1&psc=1")
    );
    assert_eq!(f.program.as_deref(), Some("amazon"));
    assert!(f.message.contains("without your id"), "{}", f.message);
    assert_eq!((report.links, report.affiliate_links), (1, 1));
}

#[test]
fn foreign_tags_are_errors_and_name_both_ids() {
    let page = format!(
        "{DISCLOSED}<a rel=nofollow href=\"https://amazon.com/dp/B0?tag=thief-20\">x</a>\
         <a rel=nofollow href=\"https://www.amazon.co.uk/dp/B0?tag=mysite-20\">y</a>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(ids(&report), [FindingId::ForeignTag, FindingId::ForeignTag]);
    assert!(
        report.findings[0]
            .message
            .contains("`thief-20` instead of `mysite-20`")
    );
    assert!(
        report.findings[1]
            .message
            .contains("your id for another marketplace")
    );
    assert!(report.findings[1].message.contains("`mysite-21`"));
}

#[test]
fn short_links_are_warnings_and_count_as_affiliate_links() {
    let page = format!("{DISCLOSED}<a href=\"https://amzn.to/3xYz\" rel=\"sponsored\">x</a>");
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(ids(&report), [FindingId::ShortLink]);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    assert_eq!(report.affiliate_links, 1);
    assert!(!report.has_errors());
}

#[test]
fn missing_rel_wants_sponsored_or_nofollow() {
    let page = format!(
        "{DISCLOSED}<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=\"noopener\">a</a>\
         <a href=\"https://amazon.com/dp/B1?tag=mysite-20\" rel=\"NoFollow\">b</a>\
         <a href=\"https://amazon.com/dp/B2?tag=mysite-20\">c</a>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(ids(&report), [FindingId::MissingRel, FindingId::MissingRel]);
    assert_eq!(report.findings[0].severity, Severity::Warning);
}

#[test]
fn missing_disclosure_points_at_the_first_affiliate_link() {
    let page = "<p>Hello</p>\n<p><a href=\"/about\">about</a> and \
                <a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=sponsored>x</a></p>";
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(ids(&report), [FindingId::MissingDisclosure]);
    let f = &report.findings[0];
    assert_eq!((f.line, f.column), (2, 35));
    assert!(
        f.message.contains("As an Amazon Associate"),
        "{}",
        f.message
    );
    assert_eq!(f.url, None);
    // No affiliate links, no disclosure needed.
    let report = engine(CONFIG)
        .check(b"<a href=\"https://example.com/\">x</a>")
        .unwrap();
    assert!(report.findings.is_empty());
    assert_eq!((report.links, report.affiliate_links), (1, 0));
}

#[test]
fn area_links_are_links() {
    let page = format!(
        "{DISCLOSED}<map name=m><AREA SHAPE=rect HREF=\"https://www.amazon.de/dp/B0\" alt=x></map>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(
        ids(&report),
        [FindingId::UntaggedLink, FindingId::MissingRel]
    );
}

#[test]
fn urls_outside_links_are_not_links() {
    let page = format!(
        "{DISCLOSED}<!-- <a href=\"https://amazon.com/dp/B0\">x</a> -->\
         <script>var a = '<a href=\"https://amazon.com/dp/B1\">';</script>\
         <p>Visit https://amazon.com/dp/B2 or amazon.com</p>\
         <link rel=preload href=\"https://amazon.com/dp/B3\">\
         <img src=\"https://amazon.com/dp/B4\" data-href=\"https://amazon.com/dp/B5\">\
         <textarea><a href=\"https://amazon.com/dp/B6\"></textarea>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(report.links, 0);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn lookalike_hosts_are_never_affiliate_links() {
    let hosts = [
        "https://amazon.com.evil.example/dp/B0",
        "https://evilamazon.com/dp/B0",
        "https://www.amazon.com@evil.example/dp/B0",
        "https://www.xn--mazon-3ve.com/dp/B0",
        "https://www.аmazon.com/dp/B0",
        "https://amazon.co/dp/B0",
        "https://amazon.com.au.example/dp/B0",
        "https://ebay.com.evil.example/itm/1",
        "https://notbooking.com/hotel",
        "http://[::1]/amazon.com",
        "https://127.0.0.1/amazon.com/dp/B0",
        "javascript:alert('https://amazon.com')",
        "data:text/html,https://amazon.com",
    ];
    let page: String = hosts
        .iter()
        .map(|h| format!("<a href=\"{h}\">x</a>\n"))
        .collect();
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(report.links, hosts.len());
    assert_eq!(report.affiliate_links, 0, "{:?}", report.findings);
    let fixed = engine(CONFIG).fix(page.as_bytes()).unwrap();
    assert_eq!(fixed.html, page.as_bytes());
}

#[test]
fn severities_follow_the_config() {
    let config = format!(
        "{CONFIG}\n[severity]\nmissing-rel = \"off\"\nshort-link = \"error\"\nuntagged-link = \"warning\"\n"
    );
    let page = format!(
        "{DISCLOSED}<a href=\"https://amzn.to/x\">a</a><a href=\"https://amazon.com/dp/B0\">b</a>"
    );
    let report = engine(&config).check(page.as_bytes()).unwrap();
    let got: Vec<(FindingId, Severity)> =
        report.findings.iter().map(|f| (f.id, f.severity)).collect();
    assert_eq!(
        got,
        [
            (FindingId::ShortLink, Severity::Error),
            (FindingId::UntaggedLink, Severity::Warning)
        ]
    );
    // An id that is off is not fixed either.
    let fixed = engine(&config).fix(page.as_bytes()).unwrap();
    assert!(
        !String::from_utf8(fixed.html)
            .unwrap()
            .contains("rel=\"sponsored\"")
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let page = format!(
        "{DISCLOSED}<p>Café — “best” <a href=\"https://amazon.com/dp/B0\" rel=nofollow>x</a>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(
        (report.findings[0].line, report.findings[0].column),
        (2, 18)
    );
}

#[test]
fn fix_reports_what_is_left() {
    let page = format!(
        "{DISCLOSED}<a href=\"https://amzn.to/x\">a</a><a href=\"https://amazon.com/dp/B0?tag=x-20\">b</a>"
    );
    let fixed = engine(CONFIG).fix(page.as_bytes()).unwrap();
    assert_eq!(ids(&fixed.report), [FindingId::ShortLink]);
    assert!(fixed.report.changed);
    let html = String::from_utf8(fixed.html).unwrap();
    assert!(
        html.contains("<a href=\"https://amzn.to/x\" rel=\"sponsored\">a</a>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=\"sponsored\">b</a>"),
        "{html}"
    );
    let again = engine(CONFIG).fix(html.as_bytes()).unwrap();
    assert!(!again.report.changed);
    assert_eq!(again.html, html.as_bytes());
}

#[test]
fn rel_is_extended_in_place_whatever_its_quoting() {
    let cases = [
        (
            "<a rel=\"noopener\" href=\"https://amazon.com/dp/B0?tag=mysite-20\">",
            "<a rel=\"noopener sponsored\" href=\"https://amazon.com/dp/B0?tag=mysite-20\">",
        ),
        (
            "<a rel='noopener ' href='https://amazon.com/dp/B0?tag=mysite-20'>",
            "<a rel='noopener sponsored ' href='https://amazon.com/dp/B0?tag=mysite-20'>",
        ),
        (
            "<a rel=noopener href=https://amazon.com/dp/B0?tag=mysite-20>",
            "<a rel=\"noopener sponsored\" href=https://amazon.com/dp/B0?tag=mysite-20>",
        ),
        (
            "<a rel href=\"https://amazon.com/dp/B0?tag=mysite-20\">",
            "<a rel=\"sponsored\" href=\"https://amazon.com/dp/B0?tag=mysite-20\">",
        ),
        (
            "<a rel=\"\" href=\"https://amazon.com/dp/B0?tag=mysite-20\">",
            "<a rel=\"sponsored\" href=\"https://amazon.com/dp/B0?tag=mysite-20\">",
        ),
        (
            "<a href=https://amazon.com/dp/B0 class=x>",
            "<a href=https://amazon.com/dp/B0?tag=mysite-20 rel=\"sponsored\" class=x>",
        ),
        (
            "<A HREF='https://amazon.com/dp/B0'/>",
            "<A HREF='https://amazon.com/dp/B0?tag=mysite-20' rel=\"sponsored\"/>",
        ),
    ];
    for (input, expected) in cases {
        let page = format!("{DISCLOSED}{input}x</a>");
        let fixed = engine(CONFIG).fix(page.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(fixed.html).unwrap(),
            format!("{DISCLOSED}{expected}x</a>"),
            "{input}"
        );
        assert!(
            fixed.report.findings.is_empty(),
            "{input}: {:?}",
            fixed.report.findings
        );
    }
}

#[test]
fn streaming_and_whole_input_agree() {
    let page = std::fs::read(
        crate::support::repo().join("examples/site/2015/03/pyongyang-marathon/index.html"),
    )
    .unwrap();
    let engine = engine(CONFIG);
    let whole = engine.check(&page).unwrap();
    let mut checker = engine.checker();
    checker.read_from(std::io::Cursor::new(&page)).unwrap();
    let streamed = checker.end().unwrap();
    assert_eq!(whole, streamed);
    let fixed = engine.fix(&page).unwrap();
    for sizes in [[1usize].as_slice(), &[7, 1, 300], &[4096]] {
        let (out, report) = fix_in_chunks(&engine, &page, sizes);
        assert_eq!(out, fixed.html, "chunk sizes {sizes:?}");
        assert_eq!(report, fixed.report, "chunk sizes {sizes:?}");
    }
}

#[test]
fn empty_and_tiny_documents_are_fine() {
    let engine = engine(CONFIG);
    for input in [
        &b""[..],
        b"<",
        b"<a",
        b"\xef\xbb\xbf",
        b"<a href=\"https://amazon.com",
    ] {
        let report = engine.check(input).unwrap();
        assert!(report.findings.is_empty());
        assert_eq!(engine.fix(input).unwrap().html, input);
    }
}

#[test]
fn data_affilint_ignore_skips_the_link_and_everything_inside() {
    let ignored = "<a data-affilint-ignore href=\"https://amazon.com/dp/B01\">a</a>\n\
                   <div class=\"sponsor\" data-affilint-ignore=\"reviewed by hand\">\n\
                   <p><a href=\"https://amazon.com/dp/B02?tag=friend-20\">b</a>\n\
                   <area href=\"https://amazon.com/dp/B03\"></p></div>\n";
    // Only ignored links: nothing to report, not even a missing disclosure.
    let report = engine(CONFIG).check(ignored.as_bytes()).unwrap();
    assert_eq!(ids(&report), []);
    assert_eq!((report.links, report.affiliate_links), (3, 0));
    let page = format!("{DISCLOSED}{ignored}<a href=\"https://amazon.com/dp/B04\">d</a>");
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(
        ids(&report),
        [FindingId::UntaggedLink, FindingId::MissingRel]
    );
    assert_eq!(report.findings[0].line, 6);
    for size in [1, 5, 64, page.len()] {
        let (fixed, _) = fix_in_chunks(&engine(CONFIG), page.as_bytes(), &[size]);
        let fixed = String::from_utf8(fixed).unwrap();
        assert!(
            fixed.starts_with(&format!("{DISCLOSED}{ignored}")),
            "{fixed}"
        );
        assert!(
            fixed.ends_with("dp/B04?tag=mysite-20\" rel=\"sponsored\">d</a>"),
            "{fixed}"
        );
    }
}

#[test]
fn short_links_are_judged_where_they_go_and_a_target_cannot_inject_markup() {
    let engine = engine("[programs.amazon]\ntag = \"mysite-20\"\n");
    engine.expand_short_links(|url| match url {
        "https://amzn.to/dq" => Some(affilint::ShortTarget::Url(
            "https://www.amazon.com/dp/B0\"onclick=\"x".into(),
        )),
        "https://amzn.to/sq" => Some(affilint::ShortTarget::Url(
            "https://www.amazon.com/dp/B1'onmouseover='x'<b>".into(),
        )),
        // Through another of the program's short links first.
        "http://amzn.to/hop" => Some(affilint::ShortTarget::Url("https://amzn.to/hop".into())),
        "https://amzn.to/hop" => Some(affilint::ShortTarget::Url(
            "https://www.amazon.com/dp/B2?tag=mysite-20".into(),
        )),
        "https://amzn.to/away" => Some(affilint::ShortTarget::Url(
            "https://elsewhere.example/phish".into(),
        )),
        _ => None,
    });
    let page = format!(
        "{DISCLOSED}<a href=\"https://amzn.to/dq\" rel=\"sponsored\">a</a>\n\
         <a href='https://amzn.to/sq' rel='sponsored'>b</a>\n\
         <a href=\"http://amzn.to/hop\" rel=\"sponsored\">c</a>\n\
         <a href=\"https://amzn.to/unknown\" rel=\"sponsored\">d</a>\n\
         <a href=\"https://amzn.to/away\" rel=\"sponsored\">e</a>\n"
    );
    let report = engine.check(page.as_bytes()).unwrap();
    assert_eq!(
        ids(&report),
        [
            FindingId::UntaggedLink,
            FindingId::UntaggedLink,
            FindingId::ShortLink,
            FindingId::ShortLink
        ],
        "{:?}",
        report.findings
    );
    assert!(
        report.findings[3].message.contains(
            "goes to https://elsewhere.example/phish, which is no Amazon Associates link"
        ),
        "{}",
        report.findings[3].message
    );
    assert!(
        report.findings[2]
            .message
            .contains("short link whose target could not be learned"),
        "{}",
        report.findings[2].message
    );
    assert_eq!(
        report.findings[0].url.as_deref(),
        Some("https://amzn.to/dq")
    );
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html).unwrap();
    let links = crate::support::link_tags(html.as_bytes());
    assert_eq!(links.len(), 5, "{html}");
    for tag in &links {
        assert_eq!(tag.names, ["href", "rel"], "{html}");
    }
    let href = |i: usize| &html[links[i].href.clone().unwrap()];
    // The target's own characters, escaped where the page's markup would read them.
    assert!(
        href(0).starts_with("https://www.amazon.com/dp/B0&quot;onclick=&quot;x"),
        "{}",
        href(0)
    );
    assert!(href(0).contains("tag=mysite-20"), "{}", href(0));
    assert!(
        href(1).starts_with("https://www.amazon.com/dp/B1&#39;onmouseover=&#39;x&#39;&lt;b&gt;"),
        "{}",
        href(1)
    );
    assert!(href(1).contains("tag=mysite-20"), "{}", href(1));
    // Your id at the end of the hops: the short link stays, with no finding.
    assert_eq!(href(2), "http://amzn.to/hop");
    assert_eq!(href(3), "https://amzn.to/unknown");
}
