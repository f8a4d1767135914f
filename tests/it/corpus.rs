//! Third-party inputs, read in place from `AFFILINT_CORPUS` (`../shared/corpus`; see its
//! README and PROVENANCE): html5lib's tokenizer and tree-construction inputs and lol-html's
//! regressions go through `fix` byte for byte; real published pages change only inside the
//! link tags that are rewritten, and a second fix changes nothing; real built sites check
//! end to end.
//!
//! Ignored unless asked for: `AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored`.

use std::path::Path;

use affilint::Engine;
use serde_json::Value;

use crate::support::{
    assert_only_link_attributes_changed, corpus, engine, fix_in_chunks, run, stderr,
};

/// Every program with an id, so real pages' links get rewritten.
const ALL_PROGRAMS: &str = r#"
[programs.amazon]
tag = "mysite-20"
[programs.amazon.marketplaces]
"amazon.co.uk" = "mysite-21"
"amazon.in" = "mysite-21"
"amazon.co.jp" = "mysite-22"
[programs.ebay]
tag = "5338000000"
[programs.booking]
tag = "123456"
[programs.cj]
tag = "1234567"
[programs.skimlinks]
tag = "123X456"
merchants = ["walmart.com", "bestbuy.com"]
"#;

/// Undoes the JSON-in-JSON escaping of html5lib's `doubleEscaped` inputs, keeping lone
/// surrogates as their (invalid) three-byte forms: more bytes to pass through untouched.
fn double_unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'u') {
            chars.next();
            let hex: String = chars.by_ref().take(4).collect();
            let unit = u32::from_str_radix(&hex, 16).unwrap();
            match char::from_u32(unit) {
                Some(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                None => out.extend_from_slice(&[
                    0xE0 | (unit >> 12) as u8,
                    0x80 | ((unit >> 6) & 0x3F) as u8,
                    0x80 | (unit & 0x3F) as u8,
                ]),
            }
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    out
}

fn tokenizer_inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "test") {
            continue;
        }
        let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for key in ["tests", "xmlViolationTests"] {
            for test in json[key].as_array().into_iter().flatten() {
                let input = test["input"].as_str().unwrap();
                let bytes = if test["doubleEscaped"].as_bool() == Some(true) {
                    double_unescape(input)
                } else {
                    input.as_bytes().to_vec()
                };
                let name = format!("{}: {}", path.display(), test["description"]);
                inputs.push((name, bytes));
            }
        }
    }
    inputs
}

/// The `#data` sections of html5lib-style `.dat` files under `dir`.
fn dat_inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut inputs = Vec::new();
    let mut files = Vec::new();
    collect(dir, "dat", &mut files);
    for path in files {
        let text = std::fs::read(&path).unwrap();
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let mut i = 0;
        while i < lines.len() {
            if lines[i] == b"#data" {
                let end = (i + 1..lines.len())
                    .find(|&j| {
                        lines[j].starts_with(b"#errors") || lines[j].starts_with(b"#encoding")
                    })
                    .unwrap_or(lines.len());
                inputs.push((
                    format!("{}:{}", path.display(), i + 1),
                    lines[i + 1..end].join(&b'\n'),
                ));
                i = end;
            } else {
                i += 1;
            }
        }
    }
    inputs
}

fn collect(dir: &Path, extension: &str, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// Checks and fixes one input that has no retail links: fix must give the input back.
fn passes_through(engine: &Engine, name: &str, input: &[u8]) {
    let report = engine
        .check(input)
        .unwrap_or_else(|e| panic!("{name}: check failed: {e}"));
    assert_eq!(report.affiliate_links, 0, "{name}");
    let fixed = engine
        .fix(input)
        .unwrap_or_else(|e| panic!("{name}: fix failed: {e}"));
    assert!(
        fixed.html == input,
        "{name}: fix changed {:?}",
        String::from_utf8_lossy(input)
    );
    let (chunked, _) = fix_in_chunks(engine, input, &[1, 2, 5]);
    assert!(chunked == input, "{name}: chunked fix changed the input");
}

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn html5lib_inputs_pass_through_byte_for_byte() {
    let corpus = corpus();
    let html5lib = corpus.join("html5lib-tests");
    let mut inputs = tokenizer_inputs(&html5lib.join("tokenizer"));
    let tokenizer = inputs.len();
    inputs.extend(dat_inputs(&html5lib.join("tree-construction")));
    inputs.extend(dat_inputs(&html5lib.join("encoding")));
    assert!(tokenizer > 6000, "tokenizer inputs: {tokenizer}");
    assert!(inputs.len() > 8500, "all inputs: {}", inputs.len());
    let with_nul = inputs.iter().filter(|(_, i)| i.contains(&0)).count();
    assert!(
        with_nul > 90,
        "NUL-bearing inputs are part of the run: {with_nul}"
    );
    let engine = engine(ALL_PROGRAMS);
    for (name, input) in &inputs {
        passes_through(&engine, name, input);
    }
}

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn lol_html_regressions_and_bench_pages_pass_through() {
    let dir = corpus().join("lolhtml-bench");
    let mut inputs = dat_inputs(&dir.join("regression"));
    assert!(!inputs.is_empty());
    for page in [
        "cloudflare.com.html",
        "ecma402-spec.html",
        "html-parsing-spec.html",
    ] {
        inputs.push((page.to_owned(), std::fs::read(dir.join(page)).unwrap()));
    }
    let engine = engine(ALL_PROGRAMS);
    for (name, input) in &inputs {
        passes_through(&engine, name, input);
    }
}

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn real_pages_change_only_inside_rewritten_link_tags() {
    let mut pages = Vec::new();
    collect(&corpus().join("real-pages"), "html", &mut pages);
    collect(&corpus().join("real-pages"), "htm", &mut pages);
    assert!(pages.len() >= 40, "{} pages", pages.len());
    let engine = engine(ALL_PROGRAMS);
    let mut changed = 0;
    for path in &pages {
        let name = path.display();
        let input = std::fs::read(path).unwrap();
        let fixed = engine.fix(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_only_link_attributes_changed(&input, &fixed.html);
        let (chunked, report) = fix_in_chunks(&engine, &input, &[4096, 7, 1000]);
        assert!(chunked == fixed.html, "{name}: chunking changed the output");
        assert_eq!(report, fixed.report, "{name}");
        let again = engine.fix(&fixed.html).unwrap();
        assert!(
            again.html == fixed.html,
            "{name}: a second fix changed it again"
        );
        assert!(!again.report.changed, "{name}");
        let rechecked = engine.check(&fixed.html).unwrap();
        assert!(
            !rechecked.findings.iter().any(|f| matches!(
                f.id,
                affilint::FindingId::UntaggedLink | affilint::FindingId::ForeignTag
            ) && !f
                .message
                .contains("cannot be tagged automatically")),
            "{name}: fix left fixable links: {:?}",
            rechecked.findings
        );
        changed += usize::from(fixed.report.changed);
    }
    assert!(
        changed >= 15,
        "most real pages with affiliate links get rewritten: {changed}"
    );
}

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn legacy_encodings_keep_every_byte() {
    let dir = corpus().join("real-pages");
    for page in [
        "legacy-latin1-serioussandwich-extras.htm",
        "legacy-cp1252-tabview-manual.html",
    ] {
        let input = std::fs::read(dir.join(page)).unwrap();
        assert!(std::str::from_utf8(&input).is_err(), "{page} is not UTF-8");
        let engine = engine(ALL_PROGRAMS);
        let fixed = engine.fix(&input).unwrap();
        assert!(fixed.html == input, "{page}");
    }
}

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn real_sites_check_end_to_end() {
    let sites = corpus().join("sites");
    for (site, pages) in [
        ("wp-best2buy-export", 107),
        ("pyssg-constantreader-docs", 23),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("affilint.toml"), ALL_PROGRAMS).unwrap();
        let path = sites.join(site);
        let out = run(
            dir.path(),
            &["check", path.to_str().unwrap(), "--format", "json"],
            None,
        );
        assert_eq!(out.status.code(), Some(1), "{site}: {}", stderr(&out));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["summary"]["files"], pages, "{site}");
        assert!(
            json["summary"]["affiliate_links"].as_u64().unwrap() > 50,
            "{site}"
        );
        assert!(
            json.get("file_errors").is_none(),
            "{site}: {}",
            json["file_errors"]
        );
    }
}

/// What each real page's disclosure deserves, read by hand: Amazon's statement or a similar
/// one accepted, a general statement alone named as such, a footer statement late.
const REAL_PAGE_DISCLOSURES: &[(&str, &[&str])] = &[
    // "As a participant in the Amazon Associates programme (UK), we earn from qualifying
    // purchases." and "As an Amazon Associate we earn ...": both accepted.
    ("static-balconysolarhub-accessories-uk.html", &[]),
    ("static-izworski-northern-lights-michigan.html", &[]),
    // A general statement ("may earn a commission") without Amazon's.
    (
        "static-sysopsbits-best-amazon-wfh-gear.html",
        &["missing-program-statement"],
    ),
    (
        "gen-supplementopedia-10x-health-system.html",
        &["missing-program-statement"],
    ),
    (
        "gen-supplementopedia-broken-markdown-href.html",
        &["missing-program-statement"],
    ),
    // "because of my affiliate relationships, you will make me money if you click".
    (
        "eleventy-kaidez-useful-javascript-books.html",
        &["missing-program-statement"],
    ),
    // "a participant of the Amazon LLC Associates Program ... to earn advertising fees":
    // not Amazon's wording, but it says the site earns.
    (
        "wp-best2buy-best-massage-chairs-in-india.html",
        &["missing-program-statement"],
    ),
    ("wp-best2buy-home.html", &["missing-program-statement"]),
    (
        "wp-best2buy-bajaj-immersion-rod-sitestripe-pixel.html",
        &["missing-program-statement"],
    ),
    // Amazon's statement, below the first link.
    (
        "jekyll-tifflabs-loadouts-and-high-fives.html",
        &["late-disclosure"],
    ),
    (
        "py-ssg-constantreader-dark-tower-reading-order.html",
        &["late-disclosure"],
    ),
    (
        "hugo-daviddevgear-keychron-k10-pro.html",
        &["late-disclosure"],
    ),
    (
        "hugo-daviddevgear-logitech-g502-hero.html",
        &["late-disclosure"],
    ),
    // No statement on the page (the site has a disclosure page elsewhere).
    (
        "hugo-dealledger-de-best-deals-amazon-de.html",
        &["missing-disclosure"],
    ),
    (
        "hugo-dealledger-deal-airpods-fr.html",
        &["missing-disclosure"],
    ),
    (
        "wp-golfrangefinder-laser-rangefinders.html",
        &["missing-disclosure"],
    ),
    ("wp-330k-ja-post-amazon-co-jp.html", &["missing-disclosure"]),
    ("jekyll-gbanis-resources.html", &["missing-disclosure"]),
    // No affiliate link: nothing to disclose.
    ("hugo-dealledger-de-disclosure.html", &[]),
    ("static-logsplitterlab-reviews-boss-es7t20.html", &[]),
];

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn real_pages_get_the_disclosure_findings_their_text_deserves() {
    let engine = engine(ALL_PROGRAMS);
    let disclosure = ["disclosure", "statement"];
    for (name, expected) in REAL_PAGE_DISCLOSURES {
        let page = std::fs::read(corpus().join("real-pages").join(name)).unwrap();
        let report = engine.check(&page).unwrap();
        let mut ids: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.id.as_str())
            .filter(|id| disclosure.iter().any(|d| id.contains(d)))
            .collect();
        ids.dedup();
        assert_eq!(&ids, expected, "{name}");
    }
}
