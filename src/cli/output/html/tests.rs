use base64::Engine as _;
use sha2::Digest as _;

use super::*;

fn meta() -> Meta {
    Meta {
        paths: vec![PathBuf::from("site")],
        date: "2026-12-01 15:30 UTC".to_owned(),
        programs: vec![(
            "amazon".to_owned(),
            "Amazon Associates".to_owned(),
            vec!["mysite-20".to_owned()],
        )],
        checks: vec![
            (FindingId::UntaggedLink, Severity::Error),
            (FindingId::MissingDisclosure, Severity::Error),
        ],
        fixing: false,
        dry_run: false,
    }
}

/// A finding as the engine makes them.
static SAMPLE: std::sync::LazyLock<Finding> = std::sync::LazyLock::new(|| {
    let config = affilint::Config::parse("affilint.toml", "[programs.amazon]\ntag = \"x-20\"")
        .expect("config");
    let engine = affilint::Engine::new(&affilint::RuleSet::shipped(), &config).expect("engine");
    let report = engine
        .check(br#"<a href="https://www.amazon.com/dp/B00TEST123">x</a>"#)
        .expect("check");
    report.findings.into_iter().next().expect("a finding")
});

/// A finding set to what a test needs.
fn finding(id: FindingId, severity: Severity, line: usize, message: &str) -> Finding {
    let mut f = SAMPLE.clone();
    f.id = id;
    f.severity = severity;
    f.line = line;
    f.column = 3;
    f.message = message.to_owned();
    f
}

fn summary(files: usize, errors: usize, warnings: usize) -> Summary {
    Summary {
        files,
        links: 10,
        affiliate_links: 4,
        errors,
        warnings,
        ..Summary::default()
    }
}

fn file(path: &str) -> Location {
    Location::File(PathBuf::from(path))
}

#[test]
fn the_policy_names_the_script_by_its_hash() {
    let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
    let hash = format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    assert_eq!(
        SCRIPT_HASH, hash,
        "report.js changed: set SCRIPT_HASH to {hash}"
    );
}

#[test]
fn escaping_leaves_no_markup_and_no_attribute_end() {
    assert_eq!(
        escape(r#"<a href="x" onclick='y'>&amp;</a>"#),
        "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
    );
    assert_eq!(escape("naïve — ok"), "naïve — ok");
}

#[test]
fn sections_are_years_or_first_directories() {
    let roots = [PathBuf::from("site")];
    let of = |path: &str| section(&file(path), &roots);
    assert_eq!(of("site/2019/05/trail-shoes/index.html"), "2019");
    assert_eq!(of("site/blog/2021/post.html"), "2021");
    assert_eq!(of("site/reviews/kettle/index.html"), "reviews/");
    assert_eq!(of("site/reviews/kettle.html"), "reviews/");
    // A post's `index.html` is the page `/slug/`: right in the site.
    assert_eq!(of("site/trail-shoes/index.html"), "(top)");
    assert_eq!(of("site/index.html"), "(top)");
    // A year-like number that is not one stays a directory.
    assert_eq!(of("site/1234/post.html"), "1234/");
    assert_eq!(section(&Location::Stdin, &roots), "-");
}

/// The report of two pages, the second worse than the first.
fn two_pages() -> String {
    let html = Html::new(meta());
    let a = file("site/reviews/a.html");
    let b = file("site/2020/b.html");
    html.finding(
        &a,
        &finding(FindingId::UntaggedLink, Severity::Warning, 4, "untagged"),
        None,
    );
    for line in [7, 9] {
        html.finding(
            &b,
            &finding(
                FindingId::MissingDisclosure,
                Severity::Error,
                line,
                "no disclosure",
            ),
            Some(&Snippet {
                line,
                text: "<p>Buy the <a href=x>kettle</a></p>".to_owned(),
                mark: 11..21,
            }),
        );
    }
    html.close(&summary(5, 2, 1), &[])
}

#[test]
fn the_report_holds_cards_charts_pages_worst_first_and_ids() {
    let report = two_pages();
    for needle in [
        "<!DOCTYPE html>",
        "id=\"card-files\"><b>5</b>files",
        "class=\"card error\" id=\"card-errors\"><b>2</b>errors",
        "class=\"card warning\" id=\"card-warnings\"><b>1</b>warning",
        "id=\"card-undisclosed\"><b>1</b>without a disclosure",
        "id=\"chart-ids\"",
        "id=\"chart-sections\"",
        "id=\"page-list\"",
        "2 pages with findings, 3 without",
        "Amazon Associates (<code>amazon</code>): <code>mysite-20</code>",
        "id=\"why-missing-disclosure\"",
        "2026-12-01 15:30 UTC",
    ] {
        assert!(report.contains(needle), "{needle} missing");
    }
    // Worst first: b (two errors) before a (one warning), and its findings in page order.
    let b = report.find(">site/2020/b.html<").unwrap();
    let a = report.find(">site/reviews/a.html<").unwrap();
    assert!(b < a);
    assert!(report.find(">7:3<").unwrap() < report.find(">9:3<").unwrap());
    // The element is marked in its source line, escaped.
    assert!(report.contains(
        "<pre><i>7</i>&lt;p&gt;Buy the <mark>&lt;a href=x&gt;</mark>kettle&lt;/a&gt;&lt;/p&gt;</pre>"
    ));
    // Sections: the year, and the first directory.
    assert!(report.contains(">2020</text>") && report.contains(">reviews/</text>"));
    // Nothing is fetched: no URL but the page's own anchors and the SVG namespace.
    let outside: Vec<&str> = report
        .match_indices("http")
        .map(|(at, _)| &report[at..(at + 40).min(report.len())])
        .filter(|s| !s.starts_with("http://www.w3.org/2000/svg") && !s.starts_with("http-equiv"))
        .filter(|s| !s.starts_with(env!("CARGO_PKG_REPOSITORY")))
        .collect();
    assert!(outside.is_empty(), "{outside:?}");
}

#[test]
fn a_hostile_page_puts_no_markup_or_script_into_the_report() {
    let html = Html::new(meta());
    let page = file("site/\"><script>alert(1)</script>.html");
    let hostile = "</script><script>alert(1)</script><img src=x onerror=alert(2)> \
                   <a href=\"javascript:alert(3)\">x</a>";
    html.finding(
        &page,
        &finding(FindingId::UntaggedLink, Severity::Error, 1, hostile),
        Some(&Snippet {
            line: 1,
            text: hostile.to_owned(),
            mark: 0..9,
        }),
    );
    let mut counts = Counts::default();
    counts.products.insert(
        (
            "amazon".to_owned(),
            "<img src=x onerror=alert(4)>".to_owned(),
        ),
        crate::cli::inventory::Count { links: 1, pages: 1 },
    );
    html.inventory(&counts);
    let report = html.close(&summary(1, 1, 0), &[]);
    // The report's own script is the only one, and no element came from the page.
    assert_eq!(report.matches("<script").count(), 1);
    assert_eq!(report.matches("</script>").count(), 1);
    assert!(!report.contains("<img"));
    assert!(!report.contains("<a href=\"javascript"));
    assert!(!report.contains("\"><script"));
    assert!(report.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(report.contains("&lt;img src=x onerror=alert(4)&gt;"));
}

#[test]
fn ten_thousand_findings_over_five_thousand_pages_stay_under_five_megabytes() {
    let html = Html::new(meta());
    let message = "Amazon Associates link without the id mysite-20: \
                   https://www.amazon.com/dp/B00TEST123?ref=sr_1_1; `affilint fix` adds it";
    for page in 0..5_000 {
        let location = file(&format!(
            "site/{}/{page:04}-a-post-about-kettles/index.html",
            2010 + page % 15
        ));
        for line in [40, 90] {
            html.finding(
                &location,
                &finding(FindingId::UntaggedLink, Severity::Error, line, message),
                Some(&Snippet {
                    line,
                    text: format!(
                        "…ettle is <a href=\"https://www.amazon.com/dp/B00TEST123?ref=sr_1_1\" \
                         class=\"btn\">{page}</a> and more tex…"
                    ),
                    mark: 10..76,
                }),
            );
        }
    }
    let report = html.close(&summary(5_000, 10_000, 0), &[]);
    assert_eq!(
        report.matches("><summary><span class=\"path\">").count(),
        5_000
    );
    assert_eq!(report.matches("<div class=\"finding").count(), 10_000);
    // Pages but the worst start closed: the list stays usable.
    assert_eq!(report.matches("<details open").count(), 1);
    assert!(report.len() < 5 * 1024 * 1024, "{} bytes", report.len());
}

#[test]
fn a_date_past_the_year_9999_is_ignored_not_a_crash() {
    // SAFETY of the test: no other test reads or writes this variable.
    for (value, year) in [("1767225600", "2026-01-01 00:00 UTC"), ("253402300800", "")] {
        unsafe { std::env::set_var("SOURCE_DATE_EPOCH", value) };
        let shown = date();
        unsafe { std::env::remove_var("SOURCE_DATE_EPOCH") };
        if year.is_empty() {
            assert!(
                shown.ends_with(" UTC") && !shown.starts_with("10000"),
                "{shown}"
            );
        } else {
            assert_eq!(shown, year);
        }
    }
}

#[test]
fn the_report_says_what_the_totals_do_not() {
    let html = Html::new(Meta {
        fixing: true,
        dry_run: true,
        ..meta()
    });
    let summary = Summary {
        interrupted: Some("SIGTERM"),
        baselined: Some(3),
        not_written: Some(1),
        fixed: Some(2),
        ..summary(4, 0, 0)
    };
    let errors = [
        FileError {
            location: file("site/a.html"),
            side: Side::Read,
            message: "not UTF-8 <nor> anything".to_owned(),
        },
        FileError {
            location: file("site/b.html"),
            side: Side::Write,
            message: "No space left on device".to_owned(),
        },
    ];
    let mut summary = summary;
    summary.notes = vec!["a crawl's <b>note</b> & more".to_owned()];
    let report = html.close(&summary, &errors);
    assert!(
        !report.contains("<b>note</b>"),
        "a note is text, never markup"
    );
    for needle in [
        "<section id=\"notes\"><h2>Notes</h2><ul><li>a crawl's &lt;b&gt;note&lt;/b&gt; &amp; more</li></ul></section>",
        "What <code>affilint fix</code> would leave (nothing was written)",
        "<b>2</b>would be fixed",
        "stopped by SIGTERM",
        "3 findings in the baseline left out.",
        "1 file checked, but their fix could not be written",
        "<section id=\"not-read\"><h2>Not read</h2>",
        "not UTF-8 &lt;nor&gt; anything",
        "<section id=\"not-written\"><h2>Checked, but the fix could not be written</h2>",
    ] {
        assert!(report.contains(needle), "{needle} missing");
    }
    let read = report.find("id=\"not-read\"").unwrap();
    let written = report.find("id=\"not-written\"").unwrap();
    assert!(
        report[read..written].contains("site/a.html")
            && !report[read..written].contains("site/b.html")
    );
}
