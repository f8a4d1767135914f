//! Helpers shared by the tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use affilint::{Config, Engine, RuleSet};

/// An engine for the shipped rules and `config` (TOML text).
pub fn engine(config: &str) -> Engine {
    let config = Config::parse("affilint.toml", config).expect("test config parses");
    Engine::new(&RuleSet::shipped(), &config).expect("test engine builds")
}

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
        child.stdin.take().unwrap().write_all(input).unwrap();
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

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
