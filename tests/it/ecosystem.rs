//! Fitting the ecosystem: SARIF, GitHub annotations, diffs, baselines, explain, init, rules,
//! completions, the man page and the progress bar, as a user runs them.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{CONFIG, DISCLOSED, run, sarif_schema_errors, site, stderr, stdout};

fn untagged(path: &str) -> String {
    format!("{DISCLOSED}<a href=\"https://amazon.com/dp/{path}\" rel=sponsored>x</a>\n")
}

/// A site with one untagged link in a file whose name needs escaping, and a clean file.
fn sample_site() -> tempfile::TempDir {
    site(&[
        ("affilint.toml", CONFIG),
        ("posts/my post.html", &untagged("B01")),
        ("posts/ok.html", "<p>no affiliate links</p>"),
    ])
}

fn sarif(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend_from_slice(args);
    let out = run(dir, &all, None);
    serde_json::from_slice(&out.stdout).expect("SARIF is one JSON document")
}

#[test]
fn sarif_has_rules_results_and_relative_locations() {
    let dir = sample_site();
    let log = sarif(dir.path(), &["posts"]);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in affilint::FindingId::ALL.iter().copied() {
        assert!(ids.contains(&id.as_str()), "rule {id} is described");
    }
    assert!(
        rules.iter().all(|r| {
            r["shortDescription"]["text"].is_string() && r["help"]["text"].is_string()
        })
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let result = &results[0];
    assert_eq!(result["ruleId"], "untagged-link");
    assert_eq!(result["level"], "error");
    assert_eq!(
        ids[result["ruleIndex"].as_u64().unwrap() as usize],
        "untagged-link"
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("without your id")
    );
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "posts/my%20post.html");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 1);
    assert!(result["partialFingerprints"]["affilint/v1"].is_string());
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
#[ignore = "needs AFFILINT_CORPUS (the SARIF 2.1.0 schema); bash .ci/run sets it"]
fn sarif_validates_against_the_official_schema() {
    let dir = sample_site();
    std::fs::write(
        dir.path().join("posts/bad.html"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("posts/warn.html"),
        "<a href=\"https://amzn.to/x\">x</a>",
    )
    .unwrap();
    for args in [&["posts"][..], &["posts/ok.html"], &["-"]] {
        let mut all = vec!["check", "--format", "sarif"];
        all.extend_from_slice(args);
        let out = run(
            dir.path(),
            &all,
            Some(b"<a href=\"https://amazon.com/dp/B0\">x</a>"),
        );
        let log: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors = sarif_schema_errors(&log);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
    let log = sarif(dir.path(), &["posts"]);
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !sarif_schema_errors(&broken).is_empty(),
        "the schema does check results"
    );
    let notifications = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    assert!(
        notifications[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("bad.html")
    );
}

#[test]
fn fix_diff_applies_with_patch_as_git_writes_it() {
    let dir = sample_site();
    let out = run(dir.path(), &["fix", "--diff", "posts"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("--- a/posts/my post.html\t\n"));
    let patch = Command::new("patch")
        .args(["-p1", "--dry-run"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    if let Ok(mut patch) = patch {
        use std::io::Write;
        patch.stdin.take().unwrap().write_all(&out.stdout).unwrap();
        assert!(patch.wait().unwrap().success(), "patch -p1 takes the diff");
    }
}

#[test]
fn init_writes_a_starter_config_whose_examples_are_valid() {
    let dir = site(&[]);
    let out = run(dir.path(), &["init"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = dir.path().join("affilint.toml");
    let starter = std::fs::read_to_string(&path).unwrap();
    affilint::Config::load(&path).expect("the starter loads as it is");
    // Uncommented, its examples are a valid config with active programs.
    let uncommented: String = starter
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.starts_with('[') || rest.contains(" = ") => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = affilint::Config::parse("uncommented.toml", &uncommented).expect("examples load");
    let engine = affilint::Engine::new(&affilint::RuleSet::shipped(), &config).unwrap();
    assert!(engine.active_programs().count() >= 4);
}

/// Runs `affilint` with stderr on a pseudo-terminal (`script`), returns what the terminal got.
fn on_a_terminal(dir: &std::path::Path, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let binary = env!("CARGO_BIN_EXE_affilint");
    let mut command = Command::new("script");
    command
        .args(["-qec", &format!("{binary} {args} >/dev/null"), "/dev/null"])
        .current_dir(dir)
        .env_remove("CI")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only() {
    let files: Vec<(String, String)> = (0..150)
        .map(|i| (format!("p{i}.html"), untagged("B01")))
        .collect();
    let mut refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    refs.push(("affilint.toml", CONFIG));
    let dir = site(&refs);
    let Some(terminal) = on_a_terminal(dir.path(), "check -j 1", &[]) else {
        eprintln!("no `script` to make a terminal: skipped");
        return;
    };
    assert!(terminal.contains("/150 files"), "{terminal:?}");
    let quiet = on_a_terminal(dir.path(), "check -j 1 --quiet", &[]).unwrap();
    assert!(!quiet.contains("files"), "{quiet:?}");
    let ci = on_a_terminal(dir.path(), "check -j 1", &[("CI", "true")]).unwrap();
    assert!(!ci.contains("/150 files"), "{ci:?}");
    let piped = run(dir.path(), &["check"], None);
    assert!(!stderr(&piped).contains("files"), "{}", stderr(&piped));
}
