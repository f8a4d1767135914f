//! What the benches share: the generated blog (`../shared/bench/gen_site.py`, seeded), made
//! once under `target/` and read from there.

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The generated site's directory, with `AFFILINT_BENCH_PAGES` pages (default 2,000).
pub fn site_dir() -> PathBuf {
    let pages: usize = std::env::var("AFFILINT_BENCH_PAGES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(2000);
    let dir = manifest_dir().join(format!("target/bench-site-{pages}"));
    if !dir.join("manifest.json").is_file() {
        let generator = std::env::var_os("AFFILINT_BENCH_GEN")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest_dir().join("../shared/bench/gen_site.py"));
        assert!(
            generator.is_file(),
            "the site generator {} is not there: set AFFILINT_BENCH_GEN to the path of \
             gen_site.py (shared/bench/ next to this repository)",
            generator.display()
        );
        let status = Command::new("python3")
            .arg(&generator)
            .arg(&dir)
            .args(["--pages", &pages.to_string(), "--seed", "42"])
            .status()
            .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", generator.display()));
        assert!(status.success(), "{} failed", generator.display());
    }
    dir
}

/// The site's pages, in path order.
pub fn site_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect_html(dir, &mut files);
    files.sort();
    files
}

fn collect_html(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_html(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}
