//! Fuzzes Markdown check and fix over arbitrary text (random bytes, and the spec examples
//! the seeds hold, mutated): no panic, fix idempotent, nothing changed outside the link
//! destinations (what fix adds is the program's id), and the same result however the text
//! is fed.
#![no_main]

use std::collections::HashSet;
use std::sync::LazyLock;

use affilint::{Config, Engine, Kind, RuleSet};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let config = Config::parse("fuzz.toml", "[programs.amazon]\ntag = \"fuzz-20\"\n")
        .expect("fuzz config");
    Engine::new(&RuleSet::shipped(), &config).expect("fuzz engine")
});

/// What fix may put into a destination: the id, after a `?` or `&` of its own or of the URL
/// (and a backslash that escapes one the URL ended with); into a raw HTML link, `rel`.
const ADDED: &[&[u8]] = &[
    b" rel=\"sponsored\"",
    b"rel=\"sponsored\" ",
    b"\\?tag=fuzz-20",
    b"\\&tag=fuzz-20",
    b"?tag=fuzz-20",
    b"&amp;tag=fuzz-20",
    b"&tag=fuzz-20",
    b"tag=fuzz-20",
];

/// Whether `fixed` is `original` with only ids of [`ADDED`] put in.
fn only_ids_added(original: &[u8], fixed: &[u8]) -> bool {
    fn walk(o: &[u8], f: &[u8], i: usize, j: usize, failed: &mut HashSet<(usize, usize)>) -> bool {
        if i == o.len() && j == f.len() {
            return true;
        }
        if failed.contains(&(i, j)) {
            return false;
        }
        let same = i < o.len() && j < f.len() && o[i] == f[j];
        let ok = (same && walk(o, f, i + 1, j + 1, failed))
            || ADDED
                .iter()
                .any(|added| f[j..].starts_with(added) && walk(o, f, i, j + added.len(), failed));
        if !ok {
            failed.insert((i, j));
        }
        ok
    }
    walk(original, fixed, 0, 0, &mut HashSet::new())
}

fn fix(text: &[u8], chunk: usize) -> Option<(Vec<u8>, affilint::Report)> {
    let mut fixer = ENGINE.fixer_for(Kind::Markdown, Vec::new());
    for part in text.chunks(chunk.max(1)) {
        fixer.write(part).ok()?;
    }
    let (report, out) = fixer.end().ok()?;
    Some((out, report))
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, text)) = data.split_first() else {
        return;
    };
    let Some((fixed, report)) = fix(text, text.len()) else {
        // Refused (not UTF-8): refused the same way in chunks.
        assert!(fix(text, usize::from(size)).is_none());
        return;
    };
    let (chunked, _) = fix(text, usize::from(size)).expect("fixes in chunks too");
    assert_eq!(fixed, chunked, "chunking changed the fix");
    assert_eq!(report.changed, fixed != text);
    let (again, _) = fix(&fixed, fixed.len()).expect("fixes again");
    assert_eq!(again, fixed, "a second fix changed it");
    assert!(std::str::from_utf8(&fixed).is_ok(), "UTF-8 stays UTF-8");
    // Only ids were added (an id already there is replaced: such inputs are not compared).
    if !String::from_utf8_lossy(text).to_ascii_lowercase().contains("tag") {
        assert!(only_ids_added(text, &fixed), "bytes outside destinations changed");
    }
});
