//! Interrupted, concurrent and failing writes, with real processes and real signals: `fix`
//! leaves every file either as it was or completely fixed, leaves no temporary file behind
//! (but after SIGKILL or a second signal, and then the next run removes it), never replaces a
//! file someone else wrote meanwhile, and says which files it could not write and why.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{CONFIG, engine, run, stderr, stdout};

/// A generated site: 240 pages of 8 to 60 KB, each with untagged Amazon links (the first one
/// early on some pages, late on others) and a disclosure.
fn pages() -> Vec<(String, Vec<u8>)> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    (0..240)
        .map(|i| {
            let mut page = String::from(
                "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Gear</title></head>\n\
                 <body>\n<p>As an Amazon Associate I earn from qualifying purchases.</p>\n",
            );
            let size = 8_000 + next(52_000) as usize;
            let links_at: Vec<usize> = (0..3).map(|_| next(size as u64) as usize).collect();
            while page.len() < size {
                if links_at.iter().any(|&at| page.len() <= at && at < page.len() + 400) {
                    page.push_str(&format!(
                        "<p>Kettle: <a href=\"https://www.amazon.com/dp/B0{:08}\">on Amazon</a></p>\n",
                        next(100_000_000)
                    ));
                }
                page.push_str(
                    "<p>We tested the kettle for a week of mornings; it boils quickly, the lid \
                     is sturdy and the handle stays cool. Honestly the best value this year.</p>\n",
                );
            }
            page.push_str("</body></html>\n");
            (format!("posts/{:03}/index.html", i), page.into_bytes())
        })
        .collect()
}

/// Writes the site and its config into a new directory.
fn write_site(pages: &[(String, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("affilint.toml"), CONFIG).unwrap();
    for (path, bytes) in pages {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    dir
}

/// Each page as `fix` writes it.
fn fixed(pages: &[(String, Vec<u8>)]) -> Vec<Vec<u8>> {
    let engine = engine(CONFIG);
    pages
        .iter()
        .map(|(_, bytes)| engine.fix(bytes).unwrap().html)
        .collect()
}

/// Every file under `dir` whose name is one of affilint's temporary files.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".affilint-"))
            {
                found.push(path);
            }
        }
    }
    found
}

/// How many pages are fixed; panics on a page that is neither the original nor fixed.
fn count_fixed(dir: &Path, pages: &[(String, Vec<u8>)], fixed: &[Vec<u8>]) -> usize {
    let mut done = 0;
    for ((path, original), fixed) in pages.iter().zip(fixed) {
        let now = fs::read(dir.join(path)).unwrap();
        if now == *fixed {
            done += 1;
        } else {
            assert!(
                now == *original,
                "{path} is neither the original nor fully fixed ({} bytes)",
                now.len()
            );
        }
    }
    done
}

fn spawn_fix(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_affilint"))
        .arg("fix")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the run in `dir` has visibly started: a page fixed or a temporary file made
/// (its signal handlers are installed before it touches any file).
fn wait_for_start(dir: &Path, pages: &[(String, Vec<u8>)], child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let touched = !temporary_files(dir).is_empty()
            || pages
                .iter()
                .any(|(path, original)| fs::read(dir.join(path)).is_ok_and(|b| b != *original));
        if touched || child.try_wait().unwrap().is_some() {
            return;
        }
        assert!(Instant::now() < deadline, "fix never started");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The number in the summary's "N files fixed".
fn files_fixed(summary: &str) -> usize {
    let at = summary
        .find(" fixed")
        .unwrap_or_else(|| panic!("{summary}"));
    let words: Vec<&str> = summary[..at].split_whitespace().collect();
    words[words.len() - 2].parse().unwrap()
}

fn kill(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal}");
}

const SIGNALS: [(&str, i32); 3] = [("INT", 130), ("TERM", 143), ("HUP", 129)];

#[test]
fn a_signal_at_any_moment_leaves_each_file_original_or_fixed_and_no_temporary_file() {
    let pages = pages();
    let fixed = fixed(&pages);
    // How long a whole run takes here, to spread the signals over it.
    let dir = write_site(&pages);
    let started = Instant::now();
    let out = spawn_fix(dir.path(), &["-j", "2"])
        .wait_with_output()
        .unwrap();
    let whole = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count_fixed(dir.path(), &pages, &fixed), pages.len());

    let mut interrupted = 0;
    let mut stopped_short = 0;
    let mut state = 12345u64;
    for round in 0..8 {
        for (signal, code) in SIGNALS {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // From the start of the work to a little after the end.
            let delay = whole.mul_f64((state >> 11) as f64 / (1u64 << 53) as f64);
            let dir = write_site(&pages);
            let mut child = spawn_fix(dir.path(), &["-j", "2"]);
            wait_for_start(dir.path(), &pages, &mut child);
            std::thread::sleep(delay);
            kill(&child, signal);
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            let done = count_fixed(dir.path(), &pages, &fixed);
            assert_eq!(
                temporary_files(dir.path()),
                Vec::<PathBuf>::new(),
                "SIG{signal} after {delay:?} (round {round}): {err}"
            );
            match out.status.code() {
                Some(0) => assert_eq!(done, pages.len(), "finished before SIG{signal}"),
                Some(c) if c == code => {
                    interrupted += 1;
                    assert!(
                        err.contains(&format!("interrupted by SIG{signal} after")),
                        "{err}"
                    );
                    let summary = String::from_utf8_lossy(&out.stdout);
                    assert_eq!(
                        files_fixed(&summary),
                        done,
                        "the summary says what was done: {summary}"
                    );
                    stopped_short += usize::from(done < pages.len());
                }
                other => panic!("SIG{signal} after {delay:?}: exit {other:?}: {err}"),
            }
        }
    }
    assert!(
        interrupted >= 12,
        "most signals came during the run ({interrupted} of 24)"
    );
    assert!(
        stopped_short * 2 >= interrupted,
        "an interrupted run takes no new file ({stopped_short} of {interrupted} stopped short)"
    );
}

#[test]
fn a_second_signal_ends_at_once_and_the_next_run_cleans_up() {
    let (dir, path) = large_page_site();
    let original = fs::read(&path).unwrap();
    let child = spawn_fix(dir.path(), &[]);
    wait_for_temporary_file(dir.path());
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(20));
    kill(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(!err.contains("interrupted by"), "it ended at once: {err}");
    assert_eq!(
        fs::read(&path).unwrap(),
        original,
        "the original is untouched"
    );
    let left = temporary_files(dir.path());
    assert_eq!(left.len(), 1, "the write in flight was left: {left:?}");
    // The next run removes it, with a note, and finishes the job.
    let again = run(dir.path(), &["fix"], None);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let name = left[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        stderr(&again).contains(&format!("removed ./{name}, a temporary file left")),
        "{}",
        stderr(&again)
    );
    assert!(temporary_files(dir.path()).is_empty());
    assert!(fs::read_to_string(&path).unwrap().contains("tag=mysite-20"));
}

#[test]
fn after_sigkill_the_next_fix_removes_the_leftover_in_place_and_under_out() {
    for args in [&[][..], &["--out", "build", "."]] {
        let (dir, path) = large_page_site();
        let child = spawn_fix(dir.path(), args);
        wait_for_temporary_file(dir.path());
        kill(&child, "KILL");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), None, "killed");
        assert!(
            !fs::read_to_string(&path).unwrap().contains("tag=mysite-20"),
            "{args:?}: the original is as it was"
        );
        let left = temporary_files(dir.path());
        assert_eq!(left.len(), 1, "{args:?}: {left:?}");
        let again = run(dir.path(), &[&["fix"][..], args].concat(), None);
        assert_eq!(again.status.code(), Some(0), "{args:?}: {}", stderr(&again));
        assert!(stderr(&again).contains("removed "), "{}", stderr(&again));
        assert!(temporary_files(dir.path()).is_empty(), "{args:?}");
    }
}

#[test]
fn only_leftovers_no_run_holds_are_removed_and_nothing_else() {
    let dir = write_site(&pages()[..3]);
    let posts = dir.path().join("posts/000");
    // What a killed run leaves: a temporary file no process holds.
    fs::write(posts.join(".affilint-Ab3dE9.tmp"), "<p>half a page").unwrap();
    // Files that only look alike, and a temporary file a running affilint holds.
    fs::write(posts.join(".affilint-notes.tmp"), "mine").unwrap();
    fs::write(posts.join(".affilint-Ab3dE9.tmp.bak"), "mine").unwrap();
    fs::write(posts.join("affilint-Ab3dE9.tmp"), "mine").unwrap();
    let held = posts.join(".affilint-Zz9yY8.tmp");
    fs::write(&held, "in use").unwrap();
    let holder = fs::File::open(&held).unwrap();
    rustix::fs::flock(&holder, rustix::fs::FlockOperation::LockExclusive).unwrap();

    let check = run(dir.path(), &["check"], None);
    assert!(
        stderr(&check).contains(
            "./posts/000/.affilint-Ab3dE9.tmp is a temporary file left by an interrupted \
             `affilint fix`"
        ),
        "{}",
        stderr(&check)
    );
    assert!(
        posts.join(".affilint-Ab3dE9.tmp").exists(),
        "check deletes nothing"
    );

    let fix = run(dir.path(), &["fix"], None);
    assert_eq!(fix.status.code(), Some(0), "{}", stderr(&fix));
    assert!(
        stderr(&fix).contains("removed ./posts/000/.affilint-Ab3dE9.tmp, a temporary file left"),
        "{}",
        stderr(&fix)
    );
    assert!(!posts.join(".affilint-Ab3dE9.tmp").exists());
    for kept in [
        ".affilint-notes.tmp",
        ".affilint-Ab3dE9.tmp.bak",
        "affilint-Ab3dE9.tmp",
        ".affilint-Zz9yY8.tmp",
    ] {
        assert!(posts.join(kept).exists(), "{kept} is not ours to delete");
    }
}

#[test]
fn two_runs_at_once_fix_every_file_once_and_corrupt_none() {
    let pages = pages();
    let fixed = fixed(&pages);
    for _ in 0..3 {
        let dir = write_site(&pages);
        let a = spawn_fix(dir.path(), &["-j", "2"]);
        let b = spawn_fix(dir.path(), &["-j", "2"]);
        for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
            let err = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => {}
                // The other run replaced a file first: reported, its content kept.
                Some(2) => assert!(
                    err.lines()
                        .all(|l| l.contains("changed after affilint read it")),
                    "{err}"
                ),
                other => panic!("exit {other:?}: {err}"),
            }
        }
        assert_eq!(count_fixed(dir.path(), &pages, &fixed), pages.len());
        assert!(temporary_files(dir.path()).is_empty());
    }
}

/// A site with one large page whose first link comes first: `fix` starts its temporary file
/// at once and takes a while to finish it.
fn large_page_site() -> (tempfile::TempDir, PathBuf) {
    let mut page = String::from(
        "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
         <a href=\"https://www.amazon.com/dp/B0\" rel=sponsored>x</a>\n",
    );
    while page.len() < 24 << 20 {
        page.push_str("<p>Filler text that takes a while to read through.</p>\n");
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("affilint.toml"), CONFIG).unwrap();
    let path = dir.path().join("big.html");
    fs::write(&path, page).unwrap();
    (dir, path)
}

/// Waits until `fix` has started writing its temporary file (anywhere under `dir`): it holds
/// bytes. (An empty one a moment old may be a run's that is about to lock it, and is left
/// alone by the next run's clean-up.)
fn wait_for_temporary_file(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let written = |path: &PathBuf| fs::metadata(path).is_ok_and(|m| m.len() > 0);
    while !temporary_files(dir).iter().any(written) {
        assert!(Instant::now() < deadline, "fix never started writing");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_file_replaced_between_read_and_rename_keeps_its_new_content() {
    let (dir, path) = large_page_site();
    let child = spawn_fix(dir.path(), &[]);
    wait_for_temporary_file(dir.path());
    let theirs = dir.path().join("theirs.tmp");
    fs::write(&theirs, "<p>edited by someone else</p>\n").unwrap();
    fs::rename(&theirs, &path).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("big.html: could not be written: it changed after affilint read it"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "<p>edited by someone else</p>\n"
    );
    assert!(temporary_files(dir.path()).is_empty());
}

#[test]
fn a_file_appended_to_between_read_and_rename_keeps_its_new_content() {
    let (dir, path) = large_page_site();
    let before = fs::metadata(&path).unwrap().len();
    let child = spawn_fix(dir.path(), &["--format", "json"]);
    wait_for_temporary_file(dir.path());
    {
        use std::io::Write;
        let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"<p>appended</p>\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["file_errors"][0]["kind"], "write");
    assert_eq!(json["summary"]["files"], 1, "it was checked");
    assert_eq!(json["summary"]["not_written"], 1);
    assert_eq!(fs::metadata(&path).unwrap().len(), before + 16);
    assert!(temporary_files(dir.path()).is_empty());
}

/// Runs `affilint ARGS` in `dir` with the size of any file it writes capped at `kib` KiB
/// (RLIMIT_FSIZE; SIGXFSZ ignored, so the write fails with EFBIG as on a full disk).
fn run_with_file_size_limit(dir: &Path, kib: u32, args: &[&str]) -> std::process::Output {
    // `ulimit -f` counts 512-byte blocks in a POSIX shell.
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {} && exec \"$0\" \"$@\"",
            kib * 2
        ))
        .arg(env!("CARGO_BIN_EXE_affilint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Ten small pages and five large ones, all needing a fix.
fn small_and_large_pages() -> Vec<(String, Vec<u8>)> {
    let page = |filler: usize| {
        let mut page = String::from(
            "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
             <a href=\"https://www.amazon.com/dp/B0\" rel=sponsored>x</a>\n",
        );
        page.push_str(&"<p>filler</p>\n".repeat(filler));
        page.into_bytes()
    };
    let mut pages: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("small{i}.html"), page(10)))
        .collect();
    pages.extend((0..5).map(|i| (format!("large{i}.html"), page(20_000))));
    pages
}

#[test]
fn a_file_that_cannot_be_written_is_reported_as_such_and_left_as_it_was() {
    let pages = small_and_large_pages();
    let fixed = fixed(&pages);
    let dir = write_site(&pages);
    let out = run_with_file_size_limit(dir.path(), 64, &["fix", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["summary"]["files"], 15,
        "every file was read and checked"
    );
    assert_eq!(json["summary"]["fixed"], 10);
    assert_eq!(json["summary"]["not_written"], 5);
    assert_eq!(json["summary"]["not_read"], 0);
    let errors = json["file_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    for error in errors {
        assert_eq!(error["kind"], "write");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with("could not be written: File too large"),
            "{message}"
        );
    }
    let human = run_with_file_size_limit(dir.path(), 64, &["fix"]);
    assert!(
        stdout(&human).contains("15 files checked")
            && stdout(&human).contains("5 files could not be written"),
        "{}",
        stdout(&human)
    );
    for ((path, original), fixed) in pages.iter().zip(&fixed) {
        let now = fs::read(dir.path().join(path)).unwrap();
        let expected = if path.starts_with("large") {
            original
        } else {
            fixed
        };
        assert!(now == *expected, "{path}");
    }
    assert!(temporary_files(dir.path()).is_empty());
}

#[test]
fn fix_out_never_leaves_a_truncated_file_in_its_directory() {
    let pages = small_and_large_pages();
    let dir = write_site(&pages);
    let out = run_with_file_size_limit(dir.path(), 64, &["fix", "--out", "build", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let build = dir.path().join("build");
    for (path, _) in &pages {
        let written = build.join(path);
        if path.starts_with("large") {
            assert!(!written.exists(), "{path}: no partial copy");
        } else {
            assert!(written.is_file(), "{path}");
        }
    }
    assert!(temporary_files(&build).is_empty());
}

#[test]
fn a_full_disk_leaves_every_original_intact() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
        .arg(dir.path())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("cannot mount a tmpfs here (needs root): the full-disk test is skipped");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(dir.path().to_path_buf());
    // Three pages of 150 KB fill most of the disk: only one fix fits at a time.
    let pages: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| {
            let mut page = String::from(
                "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
                 <a href=\"https://www.amazon.com/dp/B0\" rel=sponsored>x</a>\n",
            );
            page.push_str(&"<p>filler</p>\n".repeat(150_000 / 14));
            (format!("p{i}.html"), page.into_bytes())
        })
        .collect();
    fs::write(dir.path().join("affilint.toml"), CONFIG).unwrap();
    for (path, bytes) in &pages {
        fs::write(dir.path().join(path), bytes).unwrap();
    }
    let out = run(dir.path(), &["fix", "-j", "1", "--format", "json"], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixed = fixed(&pages);
    let errors = json["file_errors"].as_array().unwrap();
    assert!(!errors.is_empty(), "the disk filled up: {json}");
    for error in errors {
        assert_eq!(error["kind"], "write");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("No space left on device"),
            "{error}"
        );
    }
    for ((path, original), fixed) in pages.iter().zip(&fixed) {
        let now = fs::read(dir.path().join(path)).unwrap();
        assert!(now == *original || now == *fixed, "{path} is intact");
    }
    assert!(temporary_files(dir.path()).is_empty());
}
