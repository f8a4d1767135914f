//! The README's shell sessions (`$ cat FILE` then `$ affilint ...` with its output) are run as
//! written, so the documented examples stay true.

use crate::support::{repo, run, stdout};

struct Session {
    files: Vec<(String, String)>,
    commands: Vec<(Vec<String>, Vec<String>)>,
}

fn sessions(readme: &str) -> Vec<Session> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut lines: Vec<&str> = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            if in_block && lines.iter().any(|l| l.starts_with("$ affilint ")) {
                out.push(parse(&lines));
            }
            in_block = line == "```text";
            lines.clear();
        } else if in_block {
            lines.push(line);
        }
    }
    out
}

fn parse(lines: &[&str]) -> Session {
    let mut session = Session {
        files: Vec::new(),
        commands: Vec::new(),
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let body_end = lines[i..]
            .iter()
            .position(|l| l.starts_with("$ ") || l.is_empty())
            .map_or(lines.len(), |n| i + n);
        let body: Vec<String> = lines[i..body_end].iter().map(|l| l.to_string()).collect();
        if let Some(name) = line.strip_prefix("$ cat ") {
            session
                .files
                .push((name.to_owned(), body.join("\n") + "\n"));
        } else if let Some(args) = line.strip_prefix("$ affilint ") {
            session
                .commands
                .push((args.split_whitespace().map(str::to_owned).collect(), body));
        }
        i = body_end;
    }
    session
}

#[test]
fn readme_sessions_run_as_documented() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let sessions = sessions(&readme);
    assert!(!sessions.is_empty(), "the README has shell sessions");
    let mut commands = 0;
    for session in sessions {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in &session.files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        for (args, expected) in &session.commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run(dir.path(), &args, None);
            let got = stdout(&out);
            let got: Vec<&str> = got.lines().take(expected.len()).collect();
            assert_eq!(got, *expected, "affilint {}", args.join(" "));
            commands += 1;
        }
    }
    assert!(
        commands >= 4,
        "every finding of the disclosure section is shown"
    );
}
