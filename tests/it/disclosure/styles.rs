//! Statements the page's own CSS hides or makes hard to read, written as themes and page
//! builders write them: inline styles, `<style>` blocks in the head, and a site's linked
//! stylesheet when a directory is checked. What affilint cannot evaluate stays visible.

use affilint::FindingId;

use super::{LINK, disclosure_ids, insert_config};
use crate::support::{CONFIG, engine, run, site, stderr};

const STATEMENT: &str = "As an Amazon Associate I earn from qualifying purchases.";

/// The disclosure findings of a page whose `<head>` holds `style` and whose footer holds the
/// statement in `footer` (with `{s}` for the statement).
fn judged(style: &str, footer: &str) -> Vec<FindingId> {
    let footer = footer.replace("{s}", STATEMENT);
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Kettles</title>\n\
         <style>{style}</style>\n</head>\n<body class=\"post-template-default single\">\n\
         <div id=\"page\" class=\"site\">\n<header class=\"site-header\"><a href=\"/\">Home</a></header>\n\
         <main id=\"main\"><article class=\"post\">\n<div class=\"entry-content\">\n{footer}\n\
         <p>The best kettle: {LINK}</p>\n</div>\n</article></main>\n</div>\n</body></html>\n"
    );
    disclosure_ids(&engine(CONFIG).check(page.as_bytes()).unwrap())
}

#[test]
fn inline_styles_that_make_a_statement_unreadable_hide_it() {
    for style in [
        "font-size:0",
        "font-size: 0px; line-height: 0",
        "opacity:0",
        "opacity: 0 !important",
        "position:absolute;left:-9999px",
        "position: absolute; top: -10000px; width: 1px",
        "text-indent: -9999px",
        "position:absolute;clip:rect(1px,1px,1px,1px);overflow:hidden",
        "color:#ffffff;background-color:#fff",
        "height:0;overflow:hidden",
        "max-height: 0; overflow: hidden",
    ] {
        let footer = format!("<p class=\"disclosure\" style=\"{style}\">{{s}}</p>");
        assert_eq!(
            judged("", &footer),
            [FindingId::HiddenDisclosure],
            "{style}"
        );
        // On the element around the statement, too.
        let footer = format!("<div style=\"{style}\"><p><em>{{s}}</em></p></div>");
        assert_eq!(
            judged("", &footer),
            [FindingId::HiddenDisclosure],
            "{style}"
        );
    }
}

#[test]
fn the_pages_own_style_blocks_hide_statements_by_selector() {
    for (style, footer) in [
        (".x{display:none}", "<p class=\"x\">{s}</p>"),
        (
            ".note.hidden-mobile { DISPLAY: NONE }",
            "<div class=\"note hidden-mobile\"><p>{s}</p></div>",
        ),
        ("#aff-note{visibility:hidden}", "<p id=\"aff-note\">{s}</p>"),
        (
            ".entry-content .disclosure{opacity:0}",
            "<p class=\"disclosure\">{s}</p>",
        ),
        (
            ".tabs > .panel{display:none}",
            "<div class=\"tabs\"><div class=\"panel\"><p>{s}</p></div></div>",
        ),
        (
            "[data-tab=\"2\"]{display:none}",
            "<section data-tab=\"2\"><p>{s}</p></section>",
        ),
        (
            "article p.fine { position:absolute; left:-9999px }",
            "<p class=\"fine\">{s}</p>",
        ),
        (
            "/* theme */ .fine{display:block} .fine{display:none}",
            "<p class=\"fine\">{s}</p>",
        ),
        (
            "#keep{display:block} .x{display:none !important}",
            "<p id=\"keep\" class=\"x\">{s}</p>",
        ),
    ] {
        assert_eq!(
            judged(style, footer),
            [FindingId::HiddenDisclosure],
            "{style}"
        );
    }
}

#[test]
fn the_cascade_and_what_cannot_be_evaluated_keep_a_statement_visible() {
    for (style, footer) in [
        // Specificity and order: the later or more specific rule shows it.
        (
            ".x{display:none} #keep{display:block}",
            "<p id=\"keep\" class=\"x\">{s}</p>",
        ),
        (
            ".x{display:none} p.x{display:block}",
            "<p class=\"x\">{s}</p>",
        ),
        (
            ".x{display:none} .x{display:block}",
            "<p class=\"x\">{s}</p>",
        ),
        // The inline style wins over the sheet's.
        (
            ".x{display:none}",
            "<p class=\"x\" style=\"display:block\">{s}</p>",
        ),
        // Conditional, relative or unknown: never a finding from a guess.
        (
            "@media (max-width: 600px) { .x { display: none } }",
            "<p class=\"x\">{s}</p>",
        ),
        (".x:hover{display:none}", "<p class=\"x\">{s}</p>"),
        (".y + .x{display:none}", "<p class=\"x\">{s}</p>"),
        (".x{font-size:var(--tiny)}", "<p class=\"x\">{s}</p>"),
        (
            ".x{color:var(--bg);background:var(--bg)}",
            "<p class=\"x\">{s}</p>",
        ),
        (".x{font-size:.8em}", "<p class=\"x\">{s}</p>"),
        // A rule for another element, and a child rule that is not a child here.
        (".xx{display:none}", "<p class=\"x\">{s}</p>"),
        (
            ".tabs > .panel{display:none}",
            "<div class=\"tabs\"><div><div class=\"panel\">{s}</div></div></div>",
        ),
        // Frameworks that show on wide screens what they hide on small ones (Bootstrap's
        // `d-none d-md-block`, Tailwind's `hidden md:block`): it may be seen.
        (
            ".d-none{display:none!important} @media (min-width:768px){.d-md-block{display:block!important}}",
            "<div class=\"d-none d-md-block\"><p>{s}</p></div>",
        ),
        (
            ".hidden{display:none} @media (min-width: 768px) { .md\\:block { display: block } }",
            "<div class=\"hidden md:block\"><p>{s}</p></div>",
        ),
        // What the text inside undoes: the inline-block whitespace trick, visibility.
        (
            "",
            "<div style=\"font-size:0\"><span style=\"font-size:14px\">{s}</span></div>",
        ),
        (
            ".row{font-size:0} .row .col{font-size:16px}",
            "<div class=\"row\"><div class=\"col\">{s}</div></div>",
        ),
        (
            ".v{visibility:visible}",
            "<div style=\"visibility:hidden\"><p class=\"v\">{s}</p></div>",
        ),
        // Ends HTML implies close the hidden sibling; markup in a script is no element.
        (
            ".d-none{display:none}",
            "<ul><li class=\"d-none\">x<li>{s}</ul>",
        ),
        (
            ".tiny{display:none}",
            "<p class=\"tiny\"><span>x</span><div>{s}</div>",
        ),
        (
            ".d-none{display:none}",
            "<script>var t = '<div class=\"d-none\">';</script><p>{s}</p>",
        ),
        // A height does nothing to an inline element.
        (
            "",
            "<p><span style=\"height:0;overflow:hidden\">{s}</span></p>",
        ),
        // A string with a brace: the sheet is not understood, so nothing is judged from it.
        (
            ".icon::before{content:\"}\"} .x{display:none}",
            "<p class=\"x\">{s}</p>",
        ),
    ] {
        assert_eq!(judged(style, footer), [], "{style}");
    }
}

#[test]
fn small_or_faint_statements_are_inconspicuous_but_still_count() {
    for (style, footer) in [
        ("", "<p style=\"font-size:8px\">{s}</p>"),
        (".fine{font-size:6pt}", "<p class=\"fine\">{s}</p>"),
        (
            "body{background:#fff} .fine{color:#e0e0e0}",
            "<p class=\"fine\">{s}</p>",
        ),
        (
            ".site{background-color:#111} .fine{color:#333}",
            "<p class=\"fine\">{s}</p>",
        ),
    ] {
        assert_eq!(
            judged(style, footer),
            [FindingId::InconspicuousDisclosure],
            "{style}"
        );
    }
    // A readable copy after a faint one is enough.
    let footer = "<p style=\"font-size:8px\">{s}</p><p>{s}</p>";
    assert_eq!(judged("", footer), []);
    // Readable sizes and contrasts, and colours with no known background, are fine.
    for (style, footer) in [
        (".fine{font-size:12px}", "<p class=\"fine\">{s}</p>"),
        (
            "body{background:#fff} .fine{color:#595959}",
            "<p class=\"fine\">{s}</p>",
        ),
        (".fine{color:#eee}", "<p class=\"fine\">{s}</p>"),
    ] {
        assert_eq!(judged(style, footer), [], "{style}");
    }
}

#[test]
fn the_thresholds_are_configurable_and_the_message_says_why() {
    let page = format!(
        "<style>.fine{{font-size:11px;color:#777;background:#fff}}</style>\
         <p class=\"fine\">{STATEMENT}</p><p>{LINK}</p>"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(disclosure_ids(&report), []);
    let strict = format!("{CONFIG}\n[disclosure]\nmin_font_px = 12\nmin_contrast = 4.5\n");
    let report = engine(&strict).check(page.as_bytes()).unwrap();
    let found: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.id == FindingId::InconspicuousDisclosure)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("contrast with the background is 4.5:1, under 4.5:1")
            || found[0].contains("font size is 11px, under 12px"),
        "{}",
        found[0]
    );
    let off = format!(
        "{CONFIG}\n[disclosure]\nmin_font_px = 12\n[severity]\ninconspicuous-disclosure = \"off\"\n"
    );
    assert_eq!(
        disclosure_ids(&engine(&off).check(page.as_bytes()).unwrap()),
        []
    );
}

#[test]
fn a_later_visible_copy_counts_when_the_first_is_hidden() {
    let page = format!(
        "<style>.mobile-only{{display:none}}</style>\
         <div class=\"mobile-only\"><p>{STATEMENT}</p></div>\
         <p>{STATEMENT}</p><p>{LINK}</p>"
    );
    assert_eq!(
        disclosure_ids(&engine(CONFIG).check(page.as_bytes()).unwrap()),
        []
    );
}

#[test]
fn fix_inserts_before_a_tab_the_pages_style_hides() {
    let engine = engine(&insert_config(""));
    let page = format!(
        "<html><head><style>.tab-panel{{display:none}} .tab-panel.active{{display:block}}</style></head>\n\
         <body><main>\n<h1>Kettles</h1>\n<div class=\"tab-panel\">\n<p>{LINK}</p>\n</div>\n\
         <div class=\"tab-panel active\">\n<p>{LINK}</p>\n</div>\n</main></body></html>\n"
    );
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html.clone()).unwrap();
    let disclosure = html.find("<p class=\"disclosure\">").expect(&html);
    let tab = html.find("<div class=\"tab-panel\">").unwrap();
    assert!(disclosure < tab, "{html}");
    assert_eq!(
        disclosure_ids(&engine.check(&fixed.html).unwrap()),
        [],
        "{html}"
    );
}

#[test]
fn a_sites_linked_stylesheet_hides_statements_when_the_directory_is_checked() {
    let post = format!(
        "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"../css/theme.css?ver=6.4\">\
         <link rel=\"stylesheet\" href=\"/css/print.css\" media=\"print\">\
         <link rel=\"alternate stylesheet\" href=\"/css/dark.css\" title=\"Dark\"></head><body>\
         <footer class=\"site-footer\"><p class=\"legal\">{STATEMENT}</p></footer>\
         <p>{LINK}</p></body></html>"
    );
    let dir = site(&[
        ("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n"),
        ("css/theme.css", ".site-footer .legal { display: none; }"),
        ("css/print.css", ".site-footer .legal { display: block; }"),
        ("css/dark.css", ".site-footer .legal { display: block; }"),
        ("posts/index.html", &post),
    ]);
    let out = run(dir.path(), &["check", "--format", "short", "."], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("hidden-disclosure"), "{text}{}", stderr(&out));
    // Sheets for print only, or alternate ones, do not show it; without the theme's sheet,
    // the page passes.
    std::fs::remove_file(dir.path().join("css/theme.css")).unwrap();
    let out = run(dir.path(), &["check", "--format", "short", "."], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_style_attribute_whose_quote_never_closes_changes_nothing_however_chunked() {
    // Found by the fuzzer: the raw reader took `<span style='...` for a tag running on to a
    // later quote, and waited for its end past the first link only when fed in chunks.
    let engine = engine(&insert_config(""));
    let unclosed = format!(
        "<html><head><style>body{{overflow-x:hidden}}</style></head><body>\n\
         <p class=MsoNormal><span\nstyle='font-size:10.0pt\">text</span></p>\n\
         <div aria-hidden=\"true\">{LINK}</div>\n<p>{LINK}</p>\n\
         <p>end' of the quote></p></body></html>\n"
    );
    // And markup that only looks like a hiding tag, inside a script.
    let scripted = format!(
        "<html><head><style>body{{overflow-x:hidden}}</style></head><body>\n\
         <script>var t = '<meta content=\"x<dge\" aria-hidden=\"true\">';\n{}</script>\n\
         <p>{LINK}</p></body></html>\n",
        "var pad = 1;\n".repeat(20)
    );
    for page in [unclosed, scripted] {
        check_chunkings(&engine, &page);
    }
}

fn check_chunkings(engine: &affilint::Engine, page: &str) {
    let whole = engine.fix(page.as_bytes()).unwrap();
    for size in [1, 7, 60, 64, 200] {
        let (html, report) = crate::support::fix_in_chunks(engine, page.as_bytes(), &[size]);
        assert_eq!(html, whole.html, "chunks of {size}");
        assert_eq!(report, whole.report, "chunks of {size}");
    }
}
