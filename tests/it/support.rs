//! Helpers shared by the tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use affilint::{Config, Engine, RuleSet};

/// An engine for the shipped rules and `config` (TOML text).
pub fn engine(config: &str) -> Engine {
    let config = Config::parse("affilint.toml", config).expect("test config parses");
    Engine::new(&RuleSet::shipped(), &config).expect("test engine builds")
}

/// A paragraph with Amazon's statement: disclosed for Amazon and the FTC.
pub const DISCLOSED: &str = "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n";

/// The usual test config: Amazon (with a UK id), eBay and Booking.com.
pub const CONFIG: &str = r#"
[programs.amazon]
tag = "mysite-20"
[programs.amazon.marketplaces]
"amazon.co.uk" = "mysite-21"
[programs.ebay]
tag = "5338000000"
[programs.booking]
tag = "123456"
"#;

/// Feeds `input` to a fixer in chunks of the given sizes (cycled), returns the output.
pub fn fix_in_chunks(
    engine: &Engine,
    input: &[u8],
    sizes: &[usize],
) -> (Vec<u8>, affilint::Report) {
    let mut document = engine.fixer(Vec::new());
    let mut at = 0;
    let mut i = 0;
    while at < input.len() {
        let size = sizes[i % sizes.len()].max(1);
        let end = (at + size).min(input.len());
        document.write(&input[at..end]).expect("write");
        at = end;
        i += 1;
    }
    let (report, out) = document.end().expect("end");
    (out, report)
}

/// Runs the affilint binary in `dir` with `args` and optional stdin.
pub fn run(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_affilint"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("affilint runs");
    if let Some(input) = stdin {
        use std::io::Write;
        // A run that does not read its input may be gone before it is written.
        match child.stdin.take().unwrap().write_all(input) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            written => written.unwrap(),
        }
    }
    child.wait_with_output().expect("affilint finishes")
}

/// A temporary directory with `files` (path, content) written into it.
pub fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts that a run failed with exit status 2 and said `needle` on stderr.
pub fn assert_fails_with(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    assert!(stderr(out).contains(needle), "{}", stderr(out));
}

/// Asserts that the run said `needle` on stderr.
pub fn assert_says(out: &Output, needle: &str) {
    assert!(stderr(out).contains(needle), "{}", stderr(out));
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The third-party corpus (`../shared/corpus`), from `AFFILINT_CORPUS`. Tests that need it are
/// `#[ignore]`d; run them with `AFFILINT_CORPUS=../shared/corpus cargo test -- --ignored`.
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("AFFILINT_CORPUS").map(PathBuf::from).expect(
        "AFFILINT_CORPUS is not set: run `AFFILINT_CORPUS=../shared/corpus cargo test -- --ignored` \
         (bash .ci/run sets it)",
    );
    assert!(
        dir.join("README.md").is_file(),
        "AFFILINT_CORPUS={} is not the corpus",
        dir.display()
    );
    dir
}

/// What the SARIF 2.1.0 schema (the corpus's copy) finds wrong with `log`, one line each.
pub fn sarif_schema_errors(log: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(corpus().join("sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every `a` and `area` start tag found by lol_html: its range, and within it the ranges of
/// its `href` value and `rel` attribute (name to end of value).
pub struct LinkTag {
    pub range: std::ops::Range<usize>,
    pub href: Option<std::ops::Range<usize>>,
    /// The `rel` attribute's name, and its value when it has one.
    pub rel: Option<(std::ops::Range<usize>, Option<std::ops::Range<usize>>)>,
    /// Every attribute's name, in order.
    pub names: Vec<String>,
}

pub fn link_tags(html: &[u8]) -> Vec<LinkTag> {
    use lol_html::{HtmlRewriter, Settings, element};
    let mut tags = Vec::new();
    {
        let mut rewriter = HtmlRewriter::new(
            Settings::new()
                .with_strict(false)
                .with_adjust_charset_on_meta_tag(true)
                .append_element_content_handler(element!("a, area", |el| {
                    let mut tag = LinkTag {
                        range: el.source_location().bytes(),
                        href: None,
                        rel: None,
                        names: Vec::new(),
                    };
                    for attr in el.attributes() {
                        tag.names.push(attr.name());
                        let name = attr.name_source_location().map(|l| l.bytes());
                        let value = attr.value_source_location().map(|l| l.bytes());
                        match attr.name().as_str() {
                            "href" if tag.href.is_none() => tag.href = value,
                            "rel" if tag.rel.is_none() => tag.rel = name.map(|n| (n, value)),
                            _ => {}
                        }
                    }
                    tags.push(tag);
                    Ok(())
                })),
            |_: &[u8]| {},
        );
        rewriter.write(html).unwrap();
        rewriter.end().unwrap();
    }
    tags
}

/// A link start tag with its `href` value replaced by a marker and its `rel` attribute (with
/// the whitespace before it, and a closing quote after it) removed.
fn without_link_attributes(html: &[u8], tag: &LinkTag) -> Vec<u8> {
    let mut cuts: Vec<(std::ops::Range<usize>, &[u8])> = Vec::new();
    if let Some(href) = &tag.href {
        cuts.push((href.clone(), b"<value>"));
    }
    if let Some((name, value)) = &tag.rel {
        let mut start = name.start;
        while start > tag.range.start && html[start - 1].is_ascii_whitespace() {
            start -= 1;
        }
        let end = match value {
            Some(value) => {
                let quoted = value.start > 0
                    && matches!(html[value.start - 1], b'"' | b'\'')
                    && html.get(value.end) == Some(&html[value.start - 1]);
                value.end + usize::from(quoted)
            }
            None => name.end,
        };
        cuts.push((start..end, b""));
    }
    cuts.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::new();
    let mut at = tag.range.start;
    for (range, with) in cuts {
        if range.start < at {
            continue;
        }
        out.extend_from_slice(&html[at..range.start]);
        out.extend_from_slice(with);
        at = range.end;
    }
    out.extend_from_slice(&html[at..tag.range.end]);
    out
}

/// Asserts that `output` differs from `input` only inside link start tags, and there only in
/// `href` values and `rel` attributes.
pub fn assert_only_link_attributes_changed(input: &[u8], output: &[u8]) {
    let (before, after) = (link_tags(input), link_tags(output));
    assert_eq!(before.len(), after.len(), "the same link tags");
    let (mut at_in, mut at_out) = (0, 0);
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(
            String::from_utf8_lossy(&input[at_in..a.range.start]),
            String::from_utf8_lossy(&output[at_out..b.range.start]),
            "bytes between link tags are unchanged"
        );
        assert_eq!(
            String::from_utf8_lossy(&without_link_attributes(input, a)),
            String::from_utf8_lossy(&without_link_attributes(output, b)),
            "a link tag changed outside href and rel"
        );
        (at_in, at_out) = (a.range.end, b.range.end);
    }
    assert_eq!(
        input[at_in..],
        output[at_out..],
        "bytes after the last link tag are unchanged"
    );
}
