//! Hostile and odd input: nothing panics, memory stays bounded, every problem is a clear
//! per-file message, and other files are still checked.

use affilint::{DocumentError, FindingId};
use encoding_rs::{SHIFT_JIS, WINDOWS_1252};
use proptest::prelude::*;

use crate::support::{
    CONFIG, DISCLOSED, assert_fails_with, assert_only_link_attributes_changed, engine,
    fix_in_chunks, run, site,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_fix_is_stable(
        input in prop::collection::vec(any::<u8>(), 0..2048),
        sizes in prop::collection::vec(1..64usize, 1..4),
    ) {
        let engine = engine(CONFIG);
        match engine.fix(&input) {
            Ok(fixed) => {
                let (chunked, _) = fix_in_chunks(&engine, &input, &sizes);
                prop_assert_eq!(&chunked, &fixed.html);
                let again = engine.fix(&fixed.html).unwrap();
                prop_assert_eq!(&again.html, &fixed.html);
                prop_assert!(engine.check(&input).is_ok());
            }
            // Refused because the fix would change the encoding the page declares: the
            // input itself reads fine.
            Err(DocumentError::EncodingChanged { .. }) => {
                prop_assert!(engine.check(&input).is_ok());
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.is_empty());
                prop_assert!(engine.check(&input).is_err());
            }
        }
    }

    #[test]
    fn html_like_noise_changes_only_link_attributes(
        pieces in prop::collection::vec(prop::sample::select(vec![
            "<", ">", "<a ", "href=", "\"", "'", "https://amazon.com/dp/B0", "?tag=x", "&amp;",
            "&", "<!--", "-->", "<script>", "</script>", " ", "\n", "\0", "rel=", "nofollow",
            "</a>", "<area href=//amazon.de>", "<p>", "\u{fffd}", "\u{e9}", "=",
        ]), 0..80),
    ) {
        let input = pieces.concat().into_bytes();
        let fixed = engine(CONFIG).fix(&input).unwrap();
        assert_only_link_attributes_changed(&input, &fixed.html);
    }
}

#[test]
fn empty_nul_and_tiny_files_are_fine() {
    let engine = engine(CONFIG);
    for input in [
        &b""[..],
        b"\0",
        b"\0\0\0\0<p>\0</p>",
        b"\n",
        b"<a href=\"https://amazon.com/dp/B0\">",
    ] {
        let fixed = engine.fix(input).unwrap();
        if !input.starts_with(b"<a") {
            assert_eq!(fixed.html, input);
        }
    }
}

#[test]
fn binary_files_get_a_clear_message() {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend(std::iter::repeat_n(0u8, 2000));
    let err = engine(CONFIG).check(&png).unwrap_err();
    assert!(matches!(err, DocumentError::NotHtml { .. }));
    assert_eq!(err.to_string(), "not an HTML document: it is a PNG image");
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    assert!(
        engine(CONFIG)
            .check(&noise)
            .unwrap_err()
            .to_string()
            .starts_with("not an HTML document")
    );
}

#[test]
fn deep_nesting_and_huge_attribute_lists_are_handled() {
    let engine = engine(&format!(
        "{CONFIG}\n[disclosure]\ninsert = \"<p>As an Amazon Associate I earn from qualifying purchases.</p>\"\n"
    ));
    // Nesting that deep does not fit lol_html's open-element stack in the memory limit: a
    // clear error, not a crash or unbounded memory.
    let mut page = String::from(DISCLOSED);
    page.push_str(&"<div>".repeat(200_000));
    page.push_str("<a href=\"https://www.amazon.com/dp/B0\" rel=sponsored>x</a>");
    page.push_str(&"</div>".repeat(200_000));
    let err = engine.fix(page.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("nested hundreds of thousands deep"), "{err}");
    // Ordinary depths are fine.
    let page = format!(
        "{DISCLOSED}{}<a href=\"https://www.amazon.com/dp/B0\" rel=sponsored>x</a>{}",
        "<div>".repeat(2_000),
        "</div>".repeat(2_000)
    );
    let fixed = engine.fix(page.as_bytes()).unwrap();
    assert_eq!(fixed.report.findings, []);
    assert_only_link_attributes_changed(page.as_bytes(), &fixed.html);

    let mut tag = String::from("<a href=\"https://www.amazon.com/dp/B0\"");
    for i in 0..50_000 {
        tag.push_str(&format!(" data-a{i}=\"{i}\""));
    }
    tag.push_str(">many</a>");
    let page = format!("{DISCLOSED}{tag}");
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html).unwrap();
    assert!(html.starts_with(&format!("{DISCLOSED}<a href=\"https://www.amazon.com/dp/B0?tag=mysite-20\" rel=\"sponsored\" data-a0=\"0\"")));
    assert_eq!(
        html.len(),
        page.len() + "?tag=mysite-20 rel=\"sponsored\"".len()
    );
}

/// Runs `affilint fix` over a site of `bad` and a fixable page: `bad` is reported with
/// `message` and left alone, the other page is fixed, no temporary file is left.
fn fix_refuses_one_page_and_fixes_the_others(bad: &[u8], message: &str) {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        (
            "ok.html",
            &format!("{DISCLOSED}<a href=\"https://amazon.com/dp/B1\">z</a>"),
        ),
    ]);
    std::fs::write(dir.path().join("bad.html"), bad).unwrap();
    let out = run(dir.path(), &["fix"], None);
    assert_fails_with(&out, &format!("./bad.html: {message}"));
    assert_eq!(
        std::fs::read(dir.path().join("bad.html")).unwrap(),
        bad,
        "untouched"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("ok.html"))
            .unwrap()
            .contains("tag=mysite-20"),
        "others fixed"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".affilint-")),
        "no temp file left: {names:?}"
    );
}

#[test]
fn a_tag_larger_than_the_memory_limit_is_a_clear_error_and_leaves_the_file_alone() {
    let mut page =
        format!("{DISCLOSED}<a href=\"https://www.amazon.com/dp/B0\">x</a>\n<a title=\"");
    page.push_str(&"x".repeat(9 << 20));
    page.push_str("\">y</a>\n");
    // Read in chunks, as files are: the tag cannot be held.
    let engine = engine(CONFIG);
    let mut checker = engine.checker();
    let err = checker.read_from(page.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("more than 8 MB"), "{err}");

    fix_refuses_one_page_and_fixes_the_others(page.as_bytes(), "cannot parse the document");
}

#[test]
fn binary_and_utf16_files_are_reported_and_others_still_checked() {
    let dir = site(&[
        ("affilint.toml", CONFIG),
        (
            "a.html",
            &format!("{DISCLOSED}<a href=\"https://amazon.com/dp/B1\">z</a>"),
        ),
    ]);
    std::fs::write(
        dir.path().join("logo.html"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    )
    .unwrap();
    let out = run(dir.path(), &["check"], None);
    assert_fails_with(&out, "./logo.html: not an HTML document: it is a PNG image");
    assert!(String::from_utf8_lossy(&out.stdout).contains("./a.html:2:1: error[untagged-link]"));
}

#[test]
fn windows_1252_pages_keep_their_bytes_and_their_disclosure_counts() {
    let page = "<meta charset=\"windows-1252\"><p>As an Amazon Associate I earn from \u{201c}qualifying\u{201d} purchases \u{2013} caf\u{e9}.</p>\n<p>Caf\u{e9}: <a href=\"https://www.amazon.com/dp/B0?k=caf\u{e9}\">x</a></p>";
    let (bytes, _, unmappable) = WINDOWS_1252.encode(page);
    assert!(!unmappable);
    let engine = engine(CONFIG);
    let report = engine.check(&bytes).unwrap();
    let ids: Vec<FindingId> = report.findings.iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [FindingId::UntaggedLink, FindingId::MissingRel],
        "the curly-quoted statement counts"
    );
    assert_eq!(
        report.findings[0].column, 10,
        "columns count windows-1252 characters"
    );
    let fixed = engine.fix(&bytes).unwrap();
    let expected = page.replace(
        "?k=caf\u{e9}\">",
        "?k=caf\u{e9}&amp;tag=mysite-20\" rel=\"sponsored\">",
    );
    assert_eq!(fixed.html, WINDOWS_1252.encode(&expected).0.as_ref());
}

/// A page whose `<meta charset="windows-1252">` starts at byte `meta_at`, after `link`.
fn page_with_meta_at(link: &str, meta_at: usize) -> Vec<u8> {
    let mut page = link.as_bytes().to_vec();
    page.extend_from_slice(b"<!--");
    page.resize(meta_at - 3, b'-');
    page.extend_from_slice(b"-->");
    page.extend_from_slice(b"<meta charset=\"windows-1252\">");
    page.extend_from_slice(DISCLOSED.as_bytes());
    page.extend_from_slice(b"<p>caf\xe9</p>\n");
    page
}

#[test]
fn fix_refuses_edits_that_move_a_meta_charset_across_the_first_kilobyte() {
    let engine = engine(CONFIG);
    let untagged = "<a href=\"https://www.amazon.com/dp/B0\">x</a>";
    let foreign = format!(
        "<a href=\"https://www.amazon.com/dp/B0?tag={}-20\">x</a>",
        "o".repeat(80)
    );
    // Tagging lengthens the top of the page and pushes the declaration out of the first
    // 1024 bytes; replacing a long foreign id shortens it and pulls a later one in.
    for (link, meta_at, from, to) in [
        (untagged, 980, "windows-1252", "UTF-8"),
        (&foreign[..], 1030, "UTF-8", "windows-1252"),
    ] {
        let page = page_with_meta_at(link, meta_at);
        assert!(engine.check(&page).is_ok(), "the page itself reads fine");
        let err = engine.fix(&page).unwrap_err();
        assert!(
            matches!(err, DocumentError::EncodingChanged { from: f, to: t } if f == from && t == to),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("put the `<meta charset>` first"),
            "{err}"
        );
        for size in [1, 7, 4096] {
            let mut document = engine.fixer(Vec::new());
            let chunked = page
                .chunks(size)
                .try_for_each(|chunk| document.write(chunk))
                .and_then(|()| document.end().map(drop));
            assert!(
                matches!(chunked, Err(DocumentError::EncodingChanged { .. })),
                "{chunked:?}"
            );
        }
    }
    // Well inside the first kilobyte, or well past it, the declaration stays where it was.
    for meta_at in [200, 2000] {
        let page = page_with_meta_at(untagged, meta_at);
        let fixed = engine.fix(&page).unwrap();
        assert!(fixed.report.changed);
        assert_eq!(engine.fix(&fixed.html).unwrap().html, fixed.html);
    }

    fix_refuses_one_page_and_fixes_the_others(
        &page_with_meta_at(untagged, 980),
        "fixing would make the page's first kilobyte declare UTF-8 instead of windows-1252",
    );
}

#[test]
fn attribute_values_that_start_with_byte_order_mark_bytes_read_as_written() {
    let engine = engine(CONFIG);
    // Decoded with byte-order-mark sniffing (lol_html's `Attribute::value`), `FE FF` would
    // make the rest of the value read as UTF-16 and hide the `sponsored`.
    let marked = [
        DISCLOSED.as_bytes(),
        b"<a href=\"https://www.amazon.com/dp/B0?tag=mysite-20\" rel=\"\xfe\xff sponsored\">x</a>",
    ]
    .concat();
    let report = engine.check(&marked).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(engine.fix(&marked).unwrap().html, marked);
    // A value that starts with a UTF-8 byte-order mark has no scheme: browsers resolve it as a
    // relative path, so it is nobody's link.
    let bom_href = [
        DISCLOSED.as_bytes(),
        b"<a href=\"\xef\xbb\xbfhttps://www.amazon.com/dp/B0\">x</a>",
    ]
    .concat();
    let report = engine.check(&bom_href).unwrap();
    assert_eq!((report.links, report.affiliate_links), (1, 0));
    assert_eq!(engine.fix(&bom_href).unwrap().html, bom_href);
}

#[test]
fn shift_jis_pages_keep_every_byte_outside_the_rewritten_href() {
    // 表 is 0x95 0x5C in Shift_JIS: its second byte is a backslash.
    let page = "<meta charset=\"Shift_JIS\"><p>表示のテスト。As an Amazon Associate I earn from qualifying purchases.</p>\n<p><a href=\"https://www.amazon.co.jp/s?k=表\">検索</a></p>";
    let (bytes, _, _) = SHIFT_JIS.encode(page);
    assert!(bytes.windows(2).any(|w| w == [0x95, 0x5c]));
    let config = "[programs.amazon]\ntag = \"mysite-20\"\n[programs.amazon.marketplaces]\n\"amazon.co.jp\" = \"mysite-22\"\n";
    let fixed = engine(config).fix(&bytes).unwrap();
    let expected = page.replace("k=表\">", "k=表&amp;tag=mysite-22\" rel=\"sponsored\">");
    assert_eq!(fixed.html, SHIFT_JIS.encode(&expected).0.as_ref());
    assert!(
        fixed.report.findings.is_empty(),
        "{:?}",
        fixed.report.findings
    );
}

#[test]
fn iso_2022_jp_and_utf16_are_refused_by_name() {
    let err = engine(CONFIG)
        .check(b"<meta charset=\"iso-2022-jp\"><p>x</p>")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the document is encoded as ISO-2022-JP, which affilint cannot rewrite safely; convert it to UTF-8"
    );
    let utf16: Vec<u8> = "\u{feff}<p>x</p>"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    assert!(
        engine(CONFIG)
            .check(&utf16)
            .unwrap_err()
            .to_string()
            .contains("UTF-16BE")
    );
}

#[test]
fn several_tag_parameters_end_as_exactly_ours_and_everything_else_survives() {
    let page = format!(
        "{DISCLOSED}<a rel=nofollow href=\"https://www.amazon.com/dp/B0?tag=a-20&amp;th=1&amp;tag=b-20&amp;psc=1&amp;tag=mysite-20#top\">x</a>"
    );
    let fixed = engine(CONFIG).fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html).unwrap();
    assert!(
        html.contains("href=\"https://www.amazon.com/dp/B0?tag=mysite-20&amp;th=1&amp;psc=1#top\""),
        "{html}"
    );
    assert_eq!(html.matches("tag=").count(), 1);
}

#[test]
fn rel_values_keep_their_raw_bytes_and_get_a_safe_quote() {
    // Found by the fuzzer: an unquoted rel value with an invalid byte and a double quote.
    let engine = engine(CONFIG);
    let input = b"<p>As an Amazon Associate I earn from qualifying purchases.</p>\n<a href=\"http:amazon.co.uk\"rel=\x81\">";
    let fixed = engine.fix(input).unwrap();
    let expected = b"<p>As an Amazon Associate I earn from qualifying purchases.</p>\n<a href=\"http:amazon.co.uk?tag=mysite-21\"rel='\x81\" sponsored'>".to_vec();
    assert_eq!(
        String::from_utf8_lossy(&fixed.html),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(fixed.html, expected);
    assert_eq!(
        engine.fix(&fixed.html).unwrap().html,
        fixed.html,
        "idempotent"
    );
    // Both kinds of quote: no safe way to quote it, so it is reported instead.
    let input =
        format!("{DISCLOSED}<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=a\"b'c>x</a>");
    let fixed = engine.fix(input.as_bytes()).unwrap();
    assert_eq!(fixed.html, input.as_bytes());
    assert_eq!(fixed.report.findings[0].id, FindingId::MissingRel);
}
