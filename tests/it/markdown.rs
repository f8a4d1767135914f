//! Markdown sources: checked and fixed where authors write their links, byte for byte
//! outside the destinations, on the CommonMark and GFM specs' own examples too.

use affilint::{Engine, FindingId, Kind};

use crate::support::{self, corpus, engine};

const CONFIG: &str = "[programs.amazon]\ntag = \"mysite-20\"\n";

fn fix(engine: &Engine, text: &str) -> (String, affilint::Report) {
    let mut fixer = engine.fixer_for(Kind::Markdown, Vec::new());
    fixer.write(text.as_bytes()).expect("write");
    let (report, out) = fixer.end().expect("fix");
    (String::from_utf8(out).expect("UTF-8 out"), report)
}

fn render(markdown: &str) -> String {
    let options = pulldown_cmark::Options::ENABLE_TABLES
        | pulldown_cmark::Options::ENABLE_FOOTNOTES
        | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
        | pulldown_cmark::Options::ENABLE_TASKLISTS
        | pulldown_cmark::Options::ENABLE_GFM
        | pulldown_cmark::Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | pulldown_cmark::Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(markdown, options),
    );
    html
}

/// The examples of a spec file: the Markdown of each block fenced by 32 backticks and
/// `example`, before the line holding `.` (tabs written as `→`).
fn examples(spec: &str) -> Vec<String> {
    let fence = "````````````````````````````````";
    let mut out = Vec::new();
    let mut lines = spec.lines();
    while let Some(line) = lines.next() {
        if !(line.starts_with(fence) && line.trim_end().ends_with("example")) {
            continue;
        }
        let mut markdown = String::new();
        for line in lines.by_ref() {
            if line == "." {
                break;
            }
            markdown.push_str(line);
            markdown.push('\n');
        }
        out.push(markdown.replace('→', "\t"));
        for line in lines.by_ref() {
            if line.starts_with(fence) {
                break;
            }
        }
    }
    out
}

const TAGGED: [&str; 4] = [
    "?tag=mysite-20",
    "&tag=mysite-20",
    "&amp;tag=mysite-20",
    "%3Ftag=mysite-20",
];

fn untagged(text: &str) -> String {
    TAGGED
        .iter()
        .fold(text.to_owned(), |t, tag| t.replace(tag, ""))
}

#[test]
#[ignore = "needs the corpus: AFFILINT_CORPUS=../shared/corpus cargo test --release -- --ignored"]
fn every_spec_example_is_fixed_byte_for_byte_outside_destinations() {
    let engine = engine(CONFIG);
    let dir = corpus().join("commonmark");
    let mut all = Vec::new();
    for file in ["commonmark-spec.txt", "gfm-spec.txt", "gfm-extensions.txt"] {
        let spec = std::fs::read_to_string(dir.join(file)).expect("spec");
        all.extend(examples(&spec));
    }
    assert!(all.len() > 1300, "{} examples", all.len());
    let mut edited = 0;
    for (n, example) in all.iter().enumerate() {
        // As it is: no link of the program, nothing changes.
        let (fixed, report) = fix(&engine, example);
        assert_eq!(&fixed, example, "example {n} changed");
        assert!(!report.changed, "example {n}");
        // With its destinations sent to the program: only they change, and the page reads
        // the same apart from the tagged links.
        let linked = example
            .replace("/url", "https://www.amazon.com/dp/B0")
            .replace("/uri", "https://www.amazon.com/dp/B0");
        let (fixed, _) = fix(&engine, &linked);
        assert_eq!(
            untagged(&fixed),
            linked,
            "example {n}: bytes outside destinations"
        );
        assert_eq!(
            untagged(&render(&fixed)),
            render(&linked),
            "example {n}: renders differently:\n{linked}\n->\n{fixed}"
        );
        let (again, _) = fix(&engine, &fixed);
        assert_eq!(again, fixed, "example {n}: a second fix changed it");
        edited += usize::from(fixed != linked);
    }
    assert!(
        edited > 150,
        "only {edited} examples had a destination edited"
    );
}

#[test]
fn check_walks_markdown_and_type_narrows_the_walk() {
    let dir = support::site(&[
        ("affilint.toml", CONFIG),
        (
            "content/post.md",
            "Buy [it](https://www.amazon.com/dp/B01).\n",
        ),
        (
            "content/notes.markdown",
            "<https://www.amazon.com/dp/B02>\n",
        ),
        (
            "public/post/index.html",
            "<a href=\"https://www.amazon.com/dp/B03\">it</a>",
        ),
    ]);
    let short = ["check", "--format", "short", "-q"];
    let out = support::run(dir.path(), &short, None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("content/post.md:1:5: error[untagged-link]"),
        "{text}"
    );
    assert!(
        text.contains("content/notes.markdown:1:1: error[untagged-link]"),
        "{text}"
    );
    assert!(
        text.contains("public/post/index.html:1:1: error[untagged-link]"),
        "{text}"
    );
    let out = support::run(
        dir.path(),
        &[&short[..], &["--type", "markdown"]].concat(),
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("post.md") && !text.contains("index.html"),
        "{text}"
    );
    let out = support::run(
        dir.path(),
        &[&short[..], &["--type", "html"]].concat(),
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(".md") && text.contains("index.html"),
        "{text}"
    );
    // Standard input is Markdown when only Markdown is asked for.
    let out = support::run(
        dir.path(),
        &[
            "check", "--format", "short", "-q", "--type", "markdown", "-",
        ],
        Some(b"x\n\n[a](https://www.amazon.com/dp/B04)\n"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-:3:1: error[untagged-link]"), "{text}");
}

#[test]
fn fix_rewrites_a_post_in_place_and_leaves_the_rest_as_it_was() {
    let post = "---\ntitle: 'A kettle: the best'\nbuy: https://www.amazon.com/dp/B0K # the one\n---\n\n\
                Café crème — [kettle](https://www.amazon.com/dp/B0K \"Kettle\") and\r\n\
                [again][k]; `https://www.amazon.com/dp/B0CODE` stays.\n\n\
                {{< amazon https://www.amazon.com/dp/B0SHORT >}}\n\n[k]: <https://www.amazon.com/dp/B0K>\n";
    let dir = support::site(&[("affilint.toml", CONFIG), ("post.md", post)]);
    let out = support::run(dir.path(), &["fix", "post.md"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = std::fs::read_to_string(dir.path().join("post.md")).unwrap();
    assert_eq!(untagged(&fixed), post);
    assert_eq!(fixed.matches("?tag=mysite-20").count(), 3, "{fixed}");
    assert!(fixed.contains("buy: https://www.amazon.com/dp/B0K?tag=mysite-20 # the one"));
    // What is left: the link in template code, which fix never touches.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("post.md:9:"), "{stdout}");
    assert!(stdout.contains("inside template code"), "{stdout}");
}

#[test]
fn a_bad_markdown_file_is_a_clear_error_and_the_others_are_checked() {
    let dir = support::site(&[
        ("affilint.toml", CONFIG),
        ("good.md", "[a](https://www.amazon.com/dp/B01)\n"),
    ]);
    std::fs::write(dir.path().join("bad.md"), b"line one\nline \xff two\n").unwrap();
    let out = support::run(dir.path(), &["check", "--format", "short", "."], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.md: not UTF-8 (line 2)"), "{stderr}");
    assert!(
        stdout.contains("good.md:1:1: error[untagged-link]"),
        "{stdout}"
    );
}

#[test]
fn images_code_and_comments_hold_no_links() {
    let engine = engine(CONFIG);
    let text = "![a](https://www.amazon.com/dp/B01)\n\n    https://www.amazon.com/dp/B02\n\n\
                <!-- [x](https://www.amazon.com/dp/B03) -->\n\n`[y](https://www.amazon.com/dp/B04)`\n";
    let (fixed, report) = fix(&engine, text);
    assert_eq!(fixed, text);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.links, 0);
    let checked = {
        let mut checker = engine.checker_for(Kind::Markdown);
        checker
            .write(b"[a](https://www.amazon.com/dp/B01?tag=other-20)")
            .unwrap();
        checker.end().unwrap()
    };
    assert_eq!(checked.findings[0].id, FindingId::ForeignTag);
}

#[test]
fn dependencies_readmes_are_not_the_sites_markdown() {
    let dir = support::site(&[
        ("affilint.toml", CONFIG),
        (
            "node_modules/pkg/README.md",
            "[a](https://www.amazon.com/dp/B01)\n",
        ),
        ("vendor/x/README.md", "[a](https://www.amazon.com/dp/B02)\n"),
        (
            "content/post.md",
            "Intro\n\n---\nBuy [this](https://www.amazon.com/dp/B03) now\n---\n",
        ),
    ]);
    let out = support::run(dir.path(), &["check", "--format", "short", "-q"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("node_modules") && !text.contains("vendor"),
        "{text}"
    );
    // A pair of rules in the middle of a post is Markdown, not front matter.
    assert!(
        text.contains("content/post.md:4:5: error[untagged-link]"),
        "{text}"
    );
}
