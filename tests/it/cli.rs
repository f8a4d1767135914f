//! Command-line behaviour a snapshot case (tests/cmd/) cannot hold: file modes, modification
//! times and leftovers, symlinks, byte-exact copies, parallel and sharded runs, the example
//! site in the repository.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::{CONFIG, DISCLOSED, run, site, stderr, stdout};

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
fn fix_out_copies_unchanged_files_byte_for_byte_and_never_walks_its_own_output() {
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
    // The README's first command: no config at all.
    let out = run(&repo, &["check", "examples/site"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("error[incomplete-disclosure]"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("found affiliate ids: amazon otherblog-21 (1 link on 1 page)"),
        "{}",
        stderr(&out)
    );
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

#[test]
fn json_output_escapes_what_it_prints() {
    // The snapshot cases in tests/cmd show `\` as `/` (trycmd's path filter): the escaping
    // itself is checked here.
    let dir = site(&[
        ("affilint.toml", CONFIG),
        ("a \"quoted\" \\ name.html", &untagged_page()),
    ]);
    let out = run(dir.path(), &["check", "--format", "json"], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rel = &json["findings"][1];
    assert_eq!(rel["file"], "./a \"quoted\" \\ name.html");
    assert_eq!(
        rel["message"],
        "Amazon Associates link without rel=\"sponsored\" (or \"nofollow\"), which Google asks \
         for on paid links; `affilint fix` adds rel=\"sponsored\""
    );
}
