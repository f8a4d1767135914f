//! The CLI contract: commands, options, output formats and exit codes.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::{CONFIG, assert_fails_with, run, site, stderr, stdout};

const DISCLOSED: &str = "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n";

fn clean_page() -> String {
    format!("{DISCLOSED}<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=sponsored>x</a>\n")
}

fn untagged_page() -> String {
    format!("{DISCLOSED}<a href=\"https://amazon.com/dp/B0\">x</a>\n")
}

/// `untagged_page()` after `fix`.
fn fixed_page() -> String {
    format!(
        "{DISCLOSED}<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=\"sponsored\">x</a>\n"
    )
}

#[test]
fn exit_status_is_0_when_clean_1_on_errors_and_warnings_do_not_count() {
    let dir = site(&[("affilint.toml", CONFIG), ("ok.html", &clean_page())]);
    let out = run(dir.path(), &["check"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "1 file checked, 1 link (1 affiliate): 0 errors, 0 warnings\n"
    );

    let warn = format!("{DISCLOSED}<a href=\"https://amzn.to/x\" rel=sponsored>x</a>");
    std::fs::write(dir.path().join("short.html"), warn).unwrap();
    let out = run(dir.path(), &["check", "."], None);
    assert_eq!(out.status.code(), Some(0), "warnings do not fail the run");

    std::fs::write(dir.path().join("bad.html"), untagged_page()).unwrap();
    let out = run(dir.path(), &["check"], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn short_output_is_file_line_col_severity_rule_message() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("posts/a.html", &untagged_page()),
    ]);
    let out = run(dir.path(), &["check", "--format", "short", "posts"], None);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "posts/a.html:2:1: error[untagged-link]: Amazon Associates link without your id; \
         `affilint fix` adds it"
    );
    assert!(
        lines[1].starts_with("posts/a.html:2:1: warning[missing-rel]: "),
        "{text}"
    );
    assert_eq!(
        lines[2],
        "1 file checked, 1 link (1 affiliate): 1 error, 1 warning"
    );
}

#[test]
fn human_output_shows_the_line_underlined_a_hint_and_a_summary() {
    let page = format!("{DISCLOSED}<p>Kettle: <a href=\"https://amazon.com/dp/B0\">x</a></p>\n");
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("posts/a.html", &page),
        (
            "posts/b.html",
            "<p>Buy <a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=sponsored>it</a></p>",
        ),
    ]);
    let out = run(dir.path(), &["check", "posts"], None);
    assert_eq!(out.status.code(), Some(1));
    let expected = "\
posts/a.html:2:12: error[untagged-link]: Amazon Associates link without your id; `affilint fix` adds it
  |
2 | <p>Kettle: <a href=\"https://amazon.com/dp/B0\">x</a></p>
  |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

posts/a.html:2:12: warning[missing-rel]: Amazon Associates link without rel=\"sponsored\" (or \"nofollow\"), which Google asks for on paid links; `affilint fix` adds rel=\"sponsored\"
  |
2 | <p>Kettle: <a href=\"https://amazon.com/dp/B0\">x</a></p>
  |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

posts/b.html:1:8: error[missing-disclosure]: affiliate links (amazon) and no disclosure for Amazon Associates and the FTC (a statement that you earn from the links); add one before the first link, e.g. \"As an Amazon Associate I earn from qualifying purchases.\"
  |
1 | <p>Buy <a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=sponsored>it</a></p>
  |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: add the program's statement above the first affiliate link, or set [disclosure] insert and run `affilint fix`

2 files checked, 2 links (2 affiliate): 2 errors, 1 warning
";
    assert_eq!(stdout(&out), expected);
    assert!(!stdout(&out).contains('\x1b'), "no colour off a terminal");
    let out = run(dir.path(), &["check", "--color", "always", "posts"], None);
    assert!(stdout(&out).contains("\x1b[1m\x1b[31merror[untagged-link]\x1b[0m"));
}

#[test]
fn json_output_has_the_contract_fields() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("a.html", &untagged_page()),
        ("b.htm", "<p>no links</p>"),
        ("c.txt", "ignored"),
    ]);
    let out = run(dir.path(), &["check", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let summary = &json["summary"];
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["links"], 1);
    assert_eq!(summary["affiliate_links"], 1);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["warnings"], 1);
    let first = &json["findings"][0];
    assert_eq!(first["rule"], "untagged-link");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "./a.html");
    assert_eq!(first["line"], 2);
    assert_eq!(first["column"], 1);
    assert_eq!(first["url"], "https://amazon.com/dp/B0");
    assert_eq!(first["program"], "amazon");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("without your id")
    );
}

#[test]
fn disclosure_findings_carry_no_url_or_program() {
    let dir = site(&[(
        "a.html",
        "<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=sponsored>x</a>",
    )]);
    let out = run(
        dir.path(),
        &[
            "check",
            "--tag",
            "amazon=mysite-20",
            "--format=json",
            "a.html",
        ],
        None,
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = json["findings"][0].as_object().unwrap();
    assert_eq!(finding["rule"], "missing-disclosure");
    assert!(!finding.contains_key("url") && !finding.contains_key("program"));
}

#[test]
fn fix_rewrites_in_place_keeps_the_mode_and_leaves_clean_files_alone() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("a.html", &untagged_page()),
        ("clean.html", &clean_page()),
    ]);
    let a = dir.path().join("a.html");
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o640)).unwrap();
    let clean = dir.path().join("clean.html");
    let before = std::fs::metadata(&clean).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    let out = run(dir.path(), &["fix"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).ends_with("; 1 file fixed\n"),
        "{}",
        stdout(&out)
    );
    let fixed = std::fs::read_to_string(&a).unwrap();
    assert_eq!(fixed, fixed_page());
    assert_eq!(
        std::fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        std::fs::metadata(&clean).unwrap().modified().unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("affilint-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    let again = run(dir.path(), &["fix"], None);
    assert!(stdout(&again).ends_with("; 0 files fixed\n"));
}

#[test]
fn fix_follows_a_symlink_named_on_the_command_line_and_keeps_the_link() {
    let dir = site(&[("affilint.toml", CONFIG), ("real/a.html", &untagged_page())]);
    std::os::unix::fs::symlink("real/a.html", dir.path().join("link.html")).unwrap();
    let walked = run(dir.path(), &["check", "."], None);
    assert!(
        stdout(&walked).starts_with("./real/a.html:"),
        "a walk skips the symlink: {}",
        stdout(&walked)
    );
    let out = run(dir.path(), &["fix", "link.html"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(dir.path().join("link.html"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(dir.path().join("real/a.html"))
            .unwrap()
            .contains("tag=mysite-20")
    );
}

#[test]
fn fix_out_mirrors_relative_paths_and_leaves_inputs_alone() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("site/posts/a.html", &untagged_page()),
        ("site/index.html", "<p>Hello &amp; welcome</p>\r\n"),
    ]);
    let out = run(dir.path(), &["fix", "site", "--out", "build"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let original = std::fs::read_to_string(dir.path().join("site/posts/a.html")).unwrap();
    assert_eq!(original, untagged_page(), "inputs are not touched");
    let copy = std::fs::read_to_string(dir.path().join("build/posts/a.html")).unwrap();
    assert!(copy.contains("tag=mysite-20"));
    assert_eq!(
        std::fs::read(dir.path().join("build/index.html")).unwrap(),
        b"<p>Hello &amp; welcome</p>\r\n",
        "unchanged files are copied byte for byte"
    );
    // The output directory inside the walked tree is not walked again.
    let again = run(dir.path(), &["fix", ".", "--out", "build"], None);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(dir.path().join("build/site/posts/a.html").is_file());
    assert!(
        !dir.path().join("build/build").exists(),
        "--out DIR is not walked"
    );
    // Two inputs that would land on the same path are refused before anything is written.
    let clash = run(
        dir.path(),
        &["fix", "site/posts", "build/posts", "--out", "other"],
        None,
    );
    assert_fails_with(&clash, "would both be written to a.html");
    assert!(!dir.path().join("other").exists());
    let inner = run(dir.path(), &["check", "site", "--format", "json"], None);
    let json: Value = serde_json::from_slice(&inner.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 2);
}

#[test]
fn stdin_is_read_with_dash_and_fix_writes_the_document_to_stdout() {
    let dir = site(&[("affilint.toml", CONFIG)]);
    let page = untagged_page();
    let out = run(
        dir.path(),
        &["check", "-", "--format", "json"],
        Some(page.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["file"], "-");

    let out = run(dir.path(), &["fix", "-"], Some(page.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), fixed_page());
    assert!(
        stderr(&out).contains("1 file checked"),
        "the report goes to stderr: {}",
        stderr(&out)
    );
}

#[test]
fn tag_overrides_the_config_and_bad_ids_are_refused() {
    let dir = site(&[("affilint.toml", CONFIG), ("a.html", &clean_page())]);
    let out = run(dir.path(), &["check", "--tag", "amazon=other-20"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("`mysite-20` instead of `other-20`"),
        "{}",
        stdout(&out)
    );
    for bad in [
        "amazon=x\"><script>",
        "amazon=a&b=c",
        "amazon=a b",
        "amazon",
    ] {
        let out = run(dir.path(), &["check", "--tag", bad], None);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}");
    }
    let out = run(dir.path(), &["check", "--tag", "amazn=x-20"], None);
    assert_fails_with(&out, "unknown program `amazn`");
}

#[test]
fn config_errors_exit_2_and_name_the_file_and_line() {
    let dir = site(&[
        (
            "affilint.toml",
            "[programs.amazon]\ntag = \"mysite-20\"\nbogus = 1\n",
        ),
        ("a.html", &clean_page()),
    ]);
    let out = run(dir.path(), &["check"], None);
    assert_fails_with(&out, "affilint: affilint.toml:3:1: unknown field `bogus`");
    let out = run(dir.path(), &["check", "-c", "missing.toml"], None);
    assert_fails_with(&out, "missing.toml: cannot read the config file");
}

#[test]
fn rule_directories_add_programs_and_bad_rules_exit_2_with_file_and_line() {
    let rule = "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n[tagging]\nmethod = \"query\"\n\
                params = [{ name = \"ref\", value = \"{id}\" }]\n";
    let dir = site(&[
        ("my-rules/shop.toml", rule),
        (
            "a.html",
            "<p>We earn a commission from these links.</p><a href=\"https://www.shop.example/p/1\" rel=sponsored>x</a>",
        ),
    ]);
    let out = run(
        dir.path(),
        &["fix", "--rules", "my-rules", "--tag", "shop=abc"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let fixed = std::fs::read_to_string(dir.path().join("a.html")).unwrap();
    assert!(
        fixed.contains("https://www.shop.example/p/1?ref=abc"),
        "{fixed}"
    );

    std::fs::write(
        dir.path().join("my-rules/broken.toml"),
        "id = \"x\"\nname = \"X\"\nhosts = [\"Not A Host\"]\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", "--rules", "my-rules"], None);
    assert_fails_with(
        &out,
        "affilint: my-rules/broken.toml:3:10: `Not A Host` is not a valid host",
    );
}

#[test]
fn one_bad_file_does_not_stop_the_run_or_hide_other_findings() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("a.html", &untagged_page()),
        ("c.html", &untagged_page()),
    ]);
    std::fs::write(dir.path().join("b.html"), b"\xff\xfe<\x00p\x00>\x00").unwrap();
    let out = run(
        dir.path(),
        &["check", ".", "missing.html", "--format", "json"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "I/O and document errors win over findings"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 2);
    assert_eq!(json["summary"]["errors"], 2);
    let errors = stderr(&out);
    assert!(
        errors.contains("affilint: ./b.html: the document is encoded as UTF-16LE"),
        "{errors}"
    );
    assert!(
        errors.contains("affilint: missing.html: No such file"),
        "{errors}"
    );
    let file_errors = json["file_errors"].as_array().unwrap();
    assert_eq!(file_errors.len(), 2);
}

#[test]
fn exclude_skips_files_and_directories() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("keep/a.html", &clean_page()),
        ("drafts/b.html", &untagged_page()),
        ("keep/amp/c.html", &untagged_page()),
    ]);
    let out = run(
        dir.path(),
        &["check", "--exclude", "drafts", "--exclude", "keep/amp/*"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("1 file checked"));
}

#[test]
fn jobs_do_not_change_the_output() {
    let mut files: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("p{i:02}/index.html"),
                if i % 3 == 0 {
                    untagged_page()
                } else {
                    clean_page()
                },
            )
        })
        .collect();
    files.push(("affilint.toml".into(), CONFIG.into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = site(&refs);
    let one = run(dir.path(), &["check", "-j", "1"], None);
    let four = run(dir.path(), &["check", "--jobs", "4"], None);
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(one.status.code(), Some(1));
    let zero = run(dir.path(), &["check", "-j", "0"], None);
    assert_eq!(zero.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn no_paths_means_the_current_directory_and_a_note_says_when_nothing_is_active() {
    let dir = site(&[("x/a.html", &untagged_page())]);
    let out = run(dir.path(), &["check"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "1 file checked, 1 link (0 affiliate): 0 errors, 0 warnings\n"
    );
    assert!(
        stderr(&out).contains("no program has an id"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_readme_example_site_checks_with_every_kind_of_finding() {
    let repo = crate::support::repo();
    let out = run(
        &repo,
        &[
            "check",
            "-c",
            "examples/affilint.toml",
            "examples/site",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: std::collections::BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "untagged-link",
        "foreign-tag",
        "short-link",
        "missing-rel",
        "incomplete-disclosure",
        "late-disclosure",
    ] {
        assert!(rules.contains(rule), "{rule} missing from {rules:?}");
    }
}

#[test]
fn shards_split_the_files_once_and_stably() {
    let mut files: Vec<(String, String)> = (0..30)
        .map(|i| (format!("p{i:02}/index.html"), untagged_page()))
        .collect();
    files.push(("affilint.toml".into(), CONFIG.into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = site(&refs);
    let mut seen: Vec<String> = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = run(
            dir.path(),
            &["check", "--shard", &shard, "--format", "json"],
            None,
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut files: Vec<String> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap().to_owned())
            .collect();
        files.dedup();
        assert!(!files.is_empty(), "shard {shard} has files");
        let again = run(
            dir.path(),
            &["check", "--shard", &shard, "--format", "json"],
            None,
        );
        assert_eq!(out.stdout, again.stdout, "the split is stable");
        seen.extend(files);
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!(before, seen.len(), "no file in two shards");
    assert_eq!(seen.len(), 30, "every file in one shard");
    for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
        let out = run(dir.path(), &["check", "--shard", bad], None);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}
