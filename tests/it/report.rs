//! `--format html`: the report as the command line writes it, and as headless Chromium shows
//! it. The browser tests need Chromium (`.ci/run` installs Debian's): they are ignored unless
//! asked for, with `AFFILINT_CHROMIUM=/usr/bin/chromium cargo test --release -- --ignored`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, CONFIG, DISCLOSED};

/// The example site, as the README runs it.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A page whose path, text and links try to put markup and script into the report.
const HOSTILE: &str = r#"<p>As an Amazon Associate I earn from qualifying purchases.</p>
<p></script><script>document.title='pwned'</script><img src=x onerror="document.title='pwned'">
<a href="https://www.amazon.com/dp/B00TEST123?tag=other-20&x=</script><script>document.title='pwned'</script>">a</a>
<a href="javascript:document.title='pwned'">b</a> <a href="https://amzn.to/3xYz"><img src=x onerror="document.title='pwned'"></a></p>
"#;

fn hostile_site() -> tempfile::TempDir {
    support::site(&[
        ("affilint.toml", CONFIG),
        ("posts/\"><img src=x onerror=alert(1)>/index.html", HOSTILE),
        ("posts/clean/index.html", DISCLOSED),
    ])
}

/// Runs affilint in `dir` under the umask `mask`.
fn run_with_umask(dir: &Path, mask: &str, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {mask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_affilint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("affilint runs")
}

const TO_FILE: &[&str] = &[
    "check",
    "--format",
    "html",
    "--output",
    "report.html",
    "posts",
];

#[test]
fn check_writes_the_report_to_the_output_file_readable_and_whole() {
    let dir = hostile_site();
    let out = run_with_umask(dir.path(), "022", TO_FILE);
    // The exit status is the same as in any format: findings are errors here.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "the report went to the file, not stdout"
    );
    let path = dir.path().join("report.html");
    let report = std::fs::read_to_string(&path).unwrap();
    assert!(report.starts_with("<!DOCTYPE html>") && report.ends_with("</html>\n"));
    assert!(report.contains("id=\"card-files\"><b>2</b>files"));
    assert!(report.contains("foreign-tag"));
    assert_eq!(path.metadata().unwrap().permissions().mode() & 0o777, 0o644);
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".affilint-")),
        "{names:?}"
    );
}

#[test]
fn a_new_report_takes_the_umask() {
    let dir = hostile_site();
    run_with_umask(dir.path(), "077", TO_FILE);
    let path = dir.path().join("report.html");
    assert_eq!(path.metadata().unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_symlink_is_followed_and_a_fifo_written_through() {
    let dir = hostile_site();
    std::fs::write(dir.path().join("real.html"), "old").unwrap();
    std::os::unix::fs::symlink("real.html", dir.path().join("report.html")).unwrap();
    support::run(dir.path(), TO_FILE, None);
    let link = std::fs::symlink_metadata(dir.path().join("report.html")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    let real = std::fs::read_to_string(dir.path().join("real.html")).unwrap();
    assert!(real.starts_with("<!DOCTYPE html>"));

    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = support::run(
        dir.path(),
        &["check", "--format", "html", "--output", "fifo", "posts"],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(reader.join().unwrap().contains("</html>"));
    let still = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&still),
        "the FIFO is not replaced"
    );
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_run() {
    let dir = hostile_site();
    for (output, says) in [
        ("posts", "it is a directory"),
        ("none/r.html", "no directory"),
    ] {
        let out = support::run(
            dir.path(),
            &["check", "--format", "html", "--output", output, "posts"],
            None,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let names = format!("cannot write the report to {output}");
        assert!(stderr.contains(&names), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            !stderr.contains(".affilint-"),
            "no temporary name: {stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing was checked");
    }
}

#[test]
fn a_report_written_again_keeps_its_mode() {
    let dir = hostile_site();
    let path = dir.path().join("report.html");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    support::run(dir.path(), TO_FILE, None);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("<!DOCTYPE html>")
    );
    assert_eq!(path.metadata().unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_page_cannot_put_markup_or_script_into_the_report() {
    let dir = hostile_site();
    let out = support::run(dir.path(), &["check", "--format", "html", "posts"], None);
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("foreign-tag"),
        "the hostile page is in the report"
    );
    assert_eq!(
        report.matches("<script").count(),
        1,
        "only the report's own script"
    );
    assert!(!report.contains("<img"));
    assert!(!report.contains("href=\"javascript"));
    assert!(report.contains("&lt;img src=x onerror="));
    // Every tag in it (past its own style sheet, before its own script) is one the report
    // writes itself.
    let body = &report[report.find("</style>").unwrap()..report.rfind("<script>").unwrap()];
    let tags: std::collections::BTreeSet<&str> = body
        .match_indices('<')
        .map(|(at, _)| {
            let rest = body[at + 1..].trim_start_matches('/');
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '!')
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    let written = [
        "!DOCTYPE", "a", "b", "body", "code", "details", "div", "footer", "g", "h1", "h2", "h3",
        "head", "header", "html", "i", "input", "mark", "meta", "option", "p", "pre", "rect",
        "script", "section", "select", "span", "strong", "style", "summary", "svg", "table", "td",
        "text", "th", "title", "tr", "button",
    ];
    let foreign: Vec<&&str> = tags.iter().filter(|t| !written.contains(t)).collect();
    assert!(foreign.is_empty(), "tags from the page: {foreign:?}");
}

#[test]
fn fix_reports_what_is_left() {
    let dir = support::site(&[
        ("affilint.toml", CONFIG),
        (
            "a.html",
            "<a href=\"https://www.amazon.com/dp/B00TEST123\">x</a>",
        ),
    ]);
    let out = support::run(dir.path(), &["fix", "--format", "html", "a.html"], None);
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("What is left after <code>affilint fix</code>"));
    // The link was tagged; the disclosure is for a human to write.
    assert!(report.contains("href=\"#why-missing-disclosure\">missing-disclosure</a>"));
    assert!(!report.contains("href=\"#why-untagged-link\">untagged-link</a>"));
    assert!(report.contains("id=\"card-fixed\"><b>1</b>fixed"));
}

/// What headless Chromium made of a page: its DOM after its script ran, the console
/// messages it logged, and the requests the page made.
struct Shown {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
}

/// Opens `page` (with `fragment`, `#q=...` or empty) in headless Chromium
/// (`AFFILINT_CHROMIUM`), as the machine's closed network asks: no background networking, a
/// new profile.
fn chromium(page: &Path, fragment: &str) -> Shown {
    let browser = std::env::var("AFFILINT_CHROMIUM")
        .expect("set AFFILINT_CHROMIUM to a Chromium binary (apt-get install chromium)");
    let profile = tempfile::tempdir().unwrap();
    let net_log = profile.path().join("net.json");
    // Its output goes to files: a pipe that fills would stall it.
    let dom_file = profile.path().join("dom.html");
    let log_file = profile.path().join("stderr.txt");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p").display()
        ))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(std::fs::File::create(&log_file).unwrap())
        .spawn()
        .expect("Chromium starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Chromium did not finish with {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let stderr = std::fs::read_to_string(&log_file).unwrap_or_default();
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Shown {
        dom: String::from_utf8_lossy(&std::fs::read(&dom_file).unwrap()).into_owned(),
        console,
        requests: page_requests(&net_log),
    }
}

/// The requests a page started, from Chromium's net log: those with the page as initiator
/// (Chromium's own, to its services, have none).
fn page_requests(net_log: &Path) -> Vec<String> {
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(net_log).expect("the net log")).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| e["params"]["initiator"] != "not an origin")
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .filter(|url| !url.starts_with("file:"))
        .collect()
}

fn report_file(dir: &Path, args: &[&str]) -> PathBuf {
    let path = dir.join("report.html");
    let mut all = vec!["check", "--format", "html", "--output"];
    let shown = path.to_string_lossy().into_owned();
    all.push(&shown);
    all.extend_from_slice(args);
    let out = support::run(&example(), &all, None);
    assert!(path.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The example site's report, as the README writes it, in a temporary directory.
fn example_report() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let report = report_file(dir.path(), &["-c", "affilint.toml", "site"]);
    (dir, report)
}

#[test]
#[ignore = "needs Chromium: AFFILINT_CHROMIUM=/usr/bin/chromium cargo test --release -- --ignored"]
fn chromium_shows_the_example_report_with_no_error_and_no_request() {
    let (_dir, report) = example_report();
    let shown = chromium(&report, "");
    assert!(shown.console.is_empty(), "console: {:#?}", shown.console);
    assert!(shown.requests.is_empty(), "requests: {:#?}", shown.requests);
    let dom = &shown.dom;
    for needle in [
        "id=\"card-files\"",
        "id=\"card-affiliate\"",
        "id=\"card-undisclosed\"",
        "<svg",
        "class=\"bar-error\"",
        "id=\"page-list\"",
        "<mark>",
        "id=\"why-missing-rel\"",
        "id=\"inventory\"",
    ] {
        assert!(dom.contains(needle), "{needle} is not in the DOM");
    }
    // The script ran (the policy let it): it counted the pages, and the open page shows
    // what its ids mean.
    assert!(
        dom.contains("<span id=\"shown\" class=\"meta\">2 of 2 pages</span>"),
        "{dom}"
    );
    assert!(dom.contains("class=\"js\""));
    assert!(dom.contains("<div class=\"why\"><strong>"));
}

#[test]
#[ignore = "needs Chromium: AFFILINT_CHROMIUM=/usr/bin/chromium cargo test --release -- --ignored"]
fn chromium_filters_the_pages_by_the_link_s_query() {
    let (_dir, report) = example_report();
    // The travel-kit page by its path; both pages by an id they both have; none by words
    // that are nowhere.
    let one = chromium(&report, "#q=marathon-travel-kit");
    assert!(one.console.is_empty(), "console: {:#?}", one.console);
    assert!(one.dom.contains(">1 of 2 pages</span>"), "{}", one.dom);
    let all = chromium(&report, "#q=foreign-tag");
    assert!(all.dom.contains(">2 of 2 pages</span>"));
    let none = chromium(&report, "#q=no%20such%20words");
    assert!(none.dom.contains(">0 of 2 pages</span>"));
    // The page filtered out is hidden, the one kept is not.
    let pages: Vec<&str> = one
        .dom
        .match_indices("<details")
        .map(|(at, _)| &one.dom[at..at + one.dom[at..].find('>').unwrap()])
        .filter(|tag| !tag.contains("id=\"why-"))
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(
        pages.iter().filter(|t| t.contains("hidden")).count(),
        1,
        "{pages:?}"
    );
}

#[test]
#[ignore = "needs Chromium: AFFILINT_CHROMIUM=/usr/bin/chromium cargo test --release -- --ignored"]
fn chromium_finds_the_hostile_page_report_inert() {
    let dir = hostile_site();
    let report = dir.path().join("report.html");
    support::run(
        dir.path(),
        &[
            "check",
            "--format",
            "html",
            "--output",
            "report.html",
            "posts",
        ],
        None,
    );
    let shown = chromium(&report, "");
    // A script that had got in would have run, or been refused: either is a console line.
    assert!(shown.console.is_empty(), "console: {:#?}", shown.console);
    assert!(shown.requests.is_empty(), "requests: {:#?}", shown.requests);
    assert!(!shown.dom.contains("pwned</title>"));
    assert!(!shown.dom.contains("<img"));
    assert!(!shown.dom.contains("href=\"javascript"));
    assert_eq!(shown.dom.matches("<script").count(), 1);
    assert!(shown.dom.contains("foreign-tag"));
}

#[test]
fn the_run_s_notes_are_in_the_json_sarif_and_github_reports() {
    // No config: the ids the pages carry are a note.
    let dir = crate::support::site(&[(
        "post.html",
        "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
         <a href=\"https://www.amazon.com/dp/B0?tag=found-20\" rel=\"sponsored\">x</a>\n",
    )]);
    let said = |out: &std::process::Output| {
        let stderr = crate::support::stderr(out);
        let note = stderr
            .lines()
            .find_map(|l| l.strip_prefix("affilint: note: "))
            .unwrap_or_else(|| panic!("no note: {stderr}"))
            .to_owned();
        assert!(note.contains("found-20"), "{note}");
        note
    };
    let out = support::run(dir.path(), &["check", ".", "--format", "json"], None);
    let report: serde_json::Value = serde_json::from_str(&crate::support::stdout(&out)).unwrap();
    assert_eq!(report["notes"], serde_json::json!([said(&out)]), "{report}");

    let out = support::run(dir.path(), &["check", ".", "--format", "sarif"], None);
    let sarif: serde_json::Value = serde_json::from_str(&crate::support::stdout(&out)).unwrap();
    let notifications = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(
        notifications,
        &serde_json::json!([{ "level": "note", "message": { "text": said(&out) } }]),
        "{sarif}"
    );

    let out = support::run(dir.path(), &["check", ".", "--format", "github"], None);
    let notice = format!("::notice title=affilint::{}", said(&out));
    assert!(
        crate::support::stdout(&out).lines().any(|l| l == notice),
        "{}",
        crate::support::stdout(&out)
    );
}

#[test]
fn control_characters_from_a_page_never_reach_the_terminal_or_the_ci_log() {
    // An id that decodes to an escape sequence, and a newline that would start a workflow
    // command of its own.
    let dir = crate::support::site(&[
        ("affilint.toml", CONFIG),
        (
            "post.html",
            &format!(
                "{DISCLOSED}<a href=\"https://www.amazon.com/dp/B0?tag=%1B%5B31mx%0A::error::y-20\" \
                 rel=\"sponsored\">x</a>\n"
            ),
        ),
    ]);
    for format in ["human", "short", "github"] {
        let out = support::run(dir.path(), &["check", ".", "--format", format], None);
        let printed = format!("{}{}", support::stdout(&out), support::stderr(&out));
        assert!(printed.contains("foreign-tag"), "{printed}");
        assert!(!printed.contains('\u{1b}'), "{format}: {printed:?}");
        assert!(
            !printed.lines().any(|l| l.starts_with("::error::y")),
            "{format}: {printed}"
        );
        assert!(printed.contains("\\u{1b}[31mx"), "{format}: {printed}");
    }
}
