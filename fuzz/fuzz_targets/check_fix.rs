//! Fuzzes check and fix over arbitrary bytes fed in arbitrary chunks: no panic, the same
//! result however the input is chunked, fix idempotent, and a document without affiliate
//! links passed through byte for byte.
#![no_main]

use std::sync::LazyLock;

use affilint::{Config, Engine, RuleSet};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let config = Config::parse(
        "fuzz.toml",
        "[programs.amazon]\ntag = \"fuzz-20\"\n[programs.ebay]\ntag = \"5338000000\"\n\
         [programs.skimlinks]\ntag = \"1X2\"\nmerchants = [\"walmart.com\"]\n\
         [disclosure]\ninsert = \"<p>As an Amazon Associate I earn from qualifying purchases.</p>\"\n",
    )
    .expect("fuzz config");
    Engine::new(&RuleSet::shipped(), &config).expect("fuzz engine")
});

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size; the rest is the document.
    let Some((&size, input)) = data.split_first() else {
        return;
    };
    let size = usize::from(size).max(1);
    let engine = &*ENGINE;
    let checked = engine.check(input);
    let fixed = match engine.fix(input) {
        Ok(fixed) => fixed,
        Err(_) => {
            assert!(
                checked.is_err(),
                "check and fix agree on what they can read"
            );
            return;
        }
    };
    let checked = checked.expect("check reads what fix reads");
    if checked.affiliate_links == 0 {
        assert_eq!(fixed.html, input, "no affiliate links, no change");
    }
    let mut document = engine.fixer(Vec::new());
    for chunk in input.chunks(size) {
        document.write(chunk).expect("chunked write");
    }
    let (report, html) = document.end().expect("chunked end");
    assert_eq!(html, fixed.html, "chunking changes nothing");
    assert_eq!(report, fixed.report);
    match engine.fix(&fixed.html) {
        Ok(again) => assert_eq!(again.html, fixed.html, "fix is idempotent"),
        // A crafted input at the edge of the binary-content heuristic may cross it once fix
        // shortens it; that is a clear refusal, not a corruption.
        Err(affilint::DocumentError::NotHtml { .. }) => {}
        Err(e) => panic!("fixed output does not read: {e}"),
    }
});
