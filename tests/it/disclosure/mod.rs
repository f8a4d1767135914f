//! Disclosure checks on what a reader sees. Each case is one a naive substring search gets
//! wrong: the statement split across tags, entities, case and line breaks still counts; the
//! same words hidden, commented out, in a script or in an attribute do not.

mod statements;
mod styles;

use affilint::{FindingId, Report};
use proptest::prelude::*;

use crate::support::{CONFIG, engine, fix_in_chunks, repo};

pub(super) const LINK: &str =
    "<a href=\"https://www.amazon.com/dp/B0?tag=mysite-20\" rel=\"sponsored\">kettle</a>";
const EBAY_LINK: &str = "<a href=\"https://www.ebay.com/itm/1?mkevt=1&amp;mkcid=1&amp;mkrid=711-53200-19255-0&amp;campid=5338000000&amp;toolid=10001\" rel=\"sponsored\">lot</a>";

fn check(page: &str) -> Report {
    engine(CONFIG).check(page.as_bytes()).unwrap()
}

pub(super) fn disclosure_ids(report: &Report) -> Vec<FindingId> {
    report
        .findings
        .iter()
        .map(|f| f.id)
        .filter(|id| {
            matches!(
                id,
                FindingId::MissingDisclosure
                    | FindingId::MissingProgramStatement
                    | FindingId::IncompleteDisclosure
                    | FindingId::NegatedDisclosure
                    | FindingId::HiddenDisclosure
                    | FindingId::InconspicuousDisclosure
                    | FindingId::LateDisclosure
            )
        })
        .collect()
}

fn accepted(statement_html: &str) {
    let page = format!("<main>{statement_html}\n<p>{LINK}</p></main>");
    let report = check(&page);
    assert_eq!(disclosure_ids(&report), [], "{statement_html}");
}

#[test]
fn statements_split_across_inline_tags_count() {
    accepted(
        "<p>As an <a href=\"https://affiliate-program.amazon.com/\">Amazon Associate</a> I earn from <strong>qualifying purchases</strong>.</p>",
    );
    accepted("<p><em>As an Amazon</em> <em>Associate</em> I earn<br>from qualifying purchases</p>");
    accepted("<p>As an Amazon Associate I<!-- note --> earn from qualifying purchases.</p>");
}

#[test]
fn case_entities_quotes_and_whitespace_are_folded() {
    accepted("<p>AS AN AMAZON ASSOCIATE I EARN FROM QUALIFYING PURCHASES.</p>");
    accepted(
        "<p>As&nbsp;an&#160;Amazon&#x20;Associate I earn from &ldquo;qualifying&rdquo; purchases.</p>",
    );
    accepted("<p>As an Amazon\n        Associate,\tI earn\r\nfrom qualifying purchases!</p>");
    accepted("<p>As an Amazon Associate, Running with Miles earns from qualifying purchases.</p>");
    accepted("<p>As an Amazon Associate we earn from qualifying purchases.</p>");
}

#[test]
fn words_glued_by_inline_markup_are_one_word() {
    // A reader sees "AmazonAssociate": that is not Amazon's statement (a text search that
    // drops tags and adds spaces would accept it), only a general one ("I earn from
    // qualifying purchases").
    let page = format!(
        "<p>As an Amazon<em>Associate</em> I earn from qualifying purchases.</p><p>{LINK}</p>"
    );
    assert_eq!(
        disclosure_ids(&check(&page)),
        [FindingId::MissingProgramStatement]
    );
}

#[test]
fn the_seed_page_gets_incomplete_disclosure_with_the_missing_words() {
    let page =
        std::fs::read(repo().join("examples/site/2015/03/pyongyang-marathon/index.html")).unwrap();
    let config = "[programs.amazon]\ntag = \"runwithmiles-20\"\n";
    let report = engine(config).check(&page).unwrap();
    let incomplete: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == FindingId::IncompleteDisclosure)
        .collect();
    assert_eq!(incomplete.len(), 1, "{:#?}", report.findings);
    let finding = incomplete[0];
    assert!(
        finding.message.contains("missing \"Amazon.com\""),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("Amazon Associates"),
        "{}",
        finding.message
    );
    assert_eq!(finding.line, 39);
    // The general statement ("affiliate links that pay a commission") is there, but late.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.id == FindingId::LateDisclosure)
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.id == FindingId::MissingDisclosure)
    );
}

#[test]
fn hidden_and_non_rendered_statements_are_hidden_disclosures() {
    let statement = "As an Amazon Associate I earn from qualifying purchases.";
    for wrapper in [
        format!("<p hidden>{statement}</p>"),
        format!("<div aria-hidden=\"true\"><p>{statement}</p></div>"),
        format!("<p style=\"color: red; display: none\">{statement}</p>"),
        format!("<p style='VISIBILITY:HIDDEN'>{statement}</p>"),
        format!("<span class=\"screen-reader-text\">{statement}</span>"),
        format!("<details><summary>Disclosure</summary><p>{statement}</p></details>"),
        format!("<template><p>{statement}</p></template>"),
        format!("<noscript>{statement}</noscript>"),
        format!("<!-- {statement} -->"),
    ] {
        let page = format!("<main>{wrapper}<p>{LINK}</p></main>");
        let report = check(&page);
        assert_eq!(
            disclosure_ids(&report),
            [FindingId::HiddenDisclosure],
            "{wrapper}"
        );
        assert!(
            report.findings[0]
                .message
                .contains("hidden or non-rendered"),
            "{wrapper}"
        );
    }
}

#[test]
fn an_open_details_or_its_summary_is_visible() {
    accepted(
        "<details open><summary>Note</summary>As an Amazon Associate I earn from qualifying purchases.</details>",
    );
    accepted(
        "<details><summary>As an Amazon Associate I earn from qualifying purchases.</summary><p>More</p></details>",
    );
}

#[test]
fn scripts_styles_and_attributes_do_not_count_at_all() {
    let statement = "As an Amazon Associate I earn from qualifying purchases.";
    for wrapper in [
        format!("<script>var d = \"{statement}\";</script>"),
        format!("<style>/* {statement} */</style>"),
        format!("<p title=\"{statement}\">Hover me</p>"),
        format!("<img alt=\"{statement}\" src=x.png>"),
        format!("<title>{statement}</title>"),
    ] {
        let page = format!("<main>{wrapper}<p>{LINK}</p></main>");
        assert_eq!(
            disclosure_ids(&check(&page)),
            [FindingId::MissingDisclosure],
            "{wrapper}"
        );
    }
}

#[test]
fn a_statement_after_the_first_link_is_late_unless_placement_is_anywhere() {
    let page = format!(
        "<main><p>{LINK}</p></main><footer><p>As an Amazon Associate I earn from qualifying purchases.</p></footer>"
    );
    let report = check(&page);
    assert_eq!(disclosure_ids(&report), [FindingId::LateDisclosure]);
    let late = &report.findings[0];
    assert_eq!(late.severity, affilint::Severity::Warning);
    assert!(
        late.offset > page.find("<footer>").unwrap(),
        "points at the statement"
    );
    let anywhere = format!("{CONFIG}\n[disclosure]\nplacement = \"anywhere\"\n");
    let report = engine(&anywhere).check(page.as_bytes()).unwrap();
    assert_eq!(disclosure_ids(&report), []);
}

#[test]
fn missing_is_reported_once_with_what_each_program_needs() {
    let page = format!("<main><p>{LINK} and {EBAY_LINK}</p></main>");
    let report = check(&page);
    assert_eq!(disclosure_ids(&report), [FindingId::MissingDisclosure]);
    let message = &report.findings[0].message;
    assert!(message.contains("amazon, ebay"), "{message}");
    assert!(
        message.contains("Amazon Associates and the FTC"),
        "{message}"
    );
}

#[test]
fn the_general_statement_is_needed_for_every_program_and_amazons_statement_is_one() {
    // eBay needs only the general statement; Amazon's statement is one.
    let amazon_statement = format!(
        "<p>As an Amazon Associate I earn from qualifying purchases.</p><p>{EBAY_LINK}</p>"
    );
    assert_eq!(disclosure_ids(&check(&amazon_statement)), []);
    let commission =
        format!("<p>I may earn a small commission from links on this page.</p><p>{EBAY_LINK}</p>");
    assert_eq!(disclosure_ids(&check(&commission)), []);
    // "Affiliate links" alone is not understood by readers (FTC).
    let vague = format!("<p>This post contains affiliate links.</p><p>{EBAY_LINK}</p>");
    assert_eq!(
        disclosure_ids(&check(&vague)),
        [FindingId::MissingDisclosure]
    );
    // A general statement is not Amazon's statement: the finding says which is missing
    // and quotes what was found.
    let general_only =
        format!("<p>I may earn a small commission from links on this page.</p><p>{LINK}</p>");
    let report = check(&general_only);
    assert_eq!(
        disclosure_ids(&report),
        [FindingId::MissingProgramStatement]
    );
    let message = &report.findings[0].message;
    assert!(
        message.contains("Amazon Associates asks for its own statement")
            && message.contains("As an Amazon Associate")
            && message.contains("(\"earn a small commission\")"),
        "{message}"
    );
}

#[test]
fn the_publishers_own_statements_count_for_every_program() {
    let config = format!(
        "{CONFIG}\n[disclosure]\nstatements = [\"Buying through my links keeps {{site}} running\"]\n"
    );
    let page = format!(
        "<p>Buying through my links keeps Running with Miles running.</p><p>{LINK} {EBAY_LINK}</p>"
    );
    let report = engine(&config).check(page.as_bytes()).unwrap();
    assert_eq!(disclosure_ids(&report), []);
    assert_eq!(
        disclosure_ids(&check(&page)),
        [FindingId::MissingDisclosure]
    );
}

#[test]
fn disclosure_ids_can_be_turned_off() {
    let config = format!("{CONFIG}\n[severity]\nmissing-disclosure = \"off\"\n");
    let page = format!("<p>{LINK}</p>");
    assert_eq!(
        disclosure_ids(&engine(&config).check(page.as_bytes()).unwrap()),
        []
    );
}

const INSERT: &str = r#"
[disclosure]
insert = "<p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p>"
"#;

pub(super) fn insert_config(extra: &str) -> String {
    format!("[programs.amazon]\ntag = \"mysite-20\"\n{INSERT}{extra}")
}

#[test]
fn fix_inserts_the_disclosure_before_the_first_links_paragraph() {
    let page = "<main>\n  <h1>Kettles</h1>\n  <ul>\n    <li>See <a href=\"https://www.amazon.com/dp/B0\">this</a></li>\n  </ul>\n</main>\n";
    let engine = engine(&insert_config(""));
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html.clone()).unwrap();
    assert_eq!(
        html,
        "<main>\n  <h1>Kettles</h1>\n  <p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p>\n  <ul>\n    <li>See <a href=\"https://www.amazon.com/dp/B0?tag=mysite-20\" rel=\"sponsored\">this</a></li>\n  </ul>\n</main>\n"
    );
    assert!(
        fixed.report.findings.is_empty(),
        "{:?}",
        fixed.report.findings
    );
    assert!(
        engine.check(&fixed.html).unwrap().findings.is_empty(),
        "check accepts the fixed page"
    );
    let again = engine.fix(&fixed.html).unwrap();
    assert_eq!(again.html, fixed.html, "a second fix inserts nothing");
    for sizes in [[1usize].as_slice(), &[3, 17], &[64]] {
        let (chunked, _) = fix_in_chunks(&engine, page.as_bytes(), sizes);
        assert_eq!(chunked, fixed.html, "{sizes:?}");
    }
}

#[test]
fn fix_inserts_before_the_configured_element() {
    let page = "<article><header><h1>T</h1></header><div class=\"entry-content\"><p>Intro</p><p><a href=\"https://amazon.com/dp/B0\" rel=sponsored>x</a></p></div></article>";
    let engine = engine(&insert_config(
        "insert_before = \"article .entry-content\"\n",
    ));
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html).unwrap();
    assert!(
        html.starts_with("<article><header><h1>T</h1></header><p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p><div class=\"entry-content\">"),
        "{html}"
    );
}

#[test]
fn fix_inserts_nothing_when_the_page_is_already_disclosed() {
    let page =
        format!("<p>As an Amazon Associate I earn from qualifying purchases.</p><p>{LINK}</p>");
    let fixed = engine(&insert_config("")).fix(page.as_bytes()).unwrap();
    assert_eq!(fixed.html, page.as_bytes());
    assert!(!fixed.report.changed);
}

#[test]
fn fix_with_placement_anywhere_inserts_only_when_the_whole_page_lacks_one() {
    let config = insert_config("placement = \"anywhere\"\n");
    let footer = format!(
        "<p>{LINK}</p><footer>As an Amazon Associate I earn from qualifying purchases.</footer>"
    );
    let fixed = engine(&config).fix(footer.as_bytes()).unwrap();
    assert_eq!(fixed.html, footer.as_bytes());
    let bare = format!("<p>{LINK}</p><footer>Thanks</footer>");
    let fixed = engine(&config).fix(bare.as_bytes()).unwrap();
    assert!(
        String::from_utf8(fixed.html)
            .unwrap()
            .starts_with("<p class=\"disclosure\">")
    );
}

#[test]
fn an_insert_that_would_not_satisfy_the_programs_is_refused() {
    let config = "[programs.amazon]\ntag = \"mysite-20\"\n[disclosure]\ninsert = \"<p>Thanks for reading!</p>\"\n";
    let parsed = affilint::Config::parse("affilint.toml", config).unwrap();
    let err = affilint::Engine::new(&affilint::RuleSet::shipped(), &parsed)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "affilint.toml:4:10: `insert` does not satisfy Amazon Associates and the FTC"
        ),
        "{err}"
    );
    let hidden = config.replace(
        "<p>Thanks for reading!</p>",
        "<p hidden>As an Amazon Associate I earn from qualifying purchases.</p>",
    );
    let parsed = affilint::Config::parse("affilint.toml", &hidden).unwrap();
    assert!(
        affilint::Engine::new(&affilint::RuleSet::shipped(), &parsed).is_err(),
        "a hidden insert is no disclosure"
    );
}

fn disclosure_page() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop::sample::select(vec![
            "<p>As an <em>Amazon</em> Associate I earn from qualifying purchases.</p>",
            "<p hidden>As an Amazon Associate I earn from qualifying purchases.</p>",
            "<!-- As an Amazon Associate I earn from qualifying purchases. -->",
            "<p>Running with Miles is a participant in the Amazon Services LLC Associates Program, an affiliate advertising program designed to provide a means for sites to earn advertising fees by advertising and linking to</p>",
            "<p>Some links &amp; affiliate links that pay a commission.</p>",
            "<p>As&nbsp;an Amazon&#x20;Associate, Site Name earns from qualifying purchases</p>",
            "<p>Plain words about running and miles and points.</p>",
            "<p>See <a href=\"https://www.amazon.com/dp/B0\">this</a> and <a href=\"https://amzn.to/x\">that</a>.</p>",
            "<script>var s = 'As an Amazon Associate';</script>",
            "<details><summary>Why</summary>As an Amazon Associate I earn from qualifying purchases.</details>",
        ]),
        1..12,
    );
    pieces.prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn findings_do_not_depend_on_how_the_page_is_chunked(
        page in disclosure_page(),
        sizes in prop::collection::vec(1..40usize, 1..6),
    ) {
        let engine = engine(&insert_config(""));
        let whole = engine.check(page.as_bytes()).unwrap();
        let mut document = engine.checker();
        let mut at = 0;
        let mut i = 0;
        while at < page.len() {
            let end = (at + sizes[i % sizes.len()]).min(page.len());
            document.write(&page.as_bytes()[at..end]).unwrap();
            at = end;
            i += 1;
        }
        let chunked = document.end().unwrap();
        prop_assert_eq!(&chunked, &whole);
        let fixed = engine.fix(page.as_bytes()).unwrap();
        let (fixed_chunked, report) = fix_in_chunks(&engine, page.as_bytes(), &sizes);
        prop_assert_eq!(&fixed_chunked, &fixed.html);
        prop_assert_eq!(&report, &fixed.report);
        let again = engine.fix(&fixed.html).unwrap();
        prop_assert_eq!(&again.html, &fixed.html);
    }
}

#[test]
fn fix_inserts_before_the_hidden_block_that_holds_the_first_link() {
    // A disclosure next to a hidden first link would be hidden too (the fuzzer found pages
    // where every later fix then inserted another); it goes before what hides the link.
    let engine = engine(&insert_config(""));
    for (page, hider) in [
        // The link is outside the closed <details> for lol_html, its list is inside.
        (
            "<html><details><ul></html><a href=\"http:.amazon.co.uk\"l>",
            "<details>",
        ),
        (
            "<div class=\"sr-only\"><a href=\"https://www.amazon.com/dp/B0\">x</a></div>",
            "<div class",
        ),
        (
            "<details><summary>More</summary><a href=\"https://www.amazon.com/dp/B0\">x</a></details>",
            "<details>",
        ),
        (
            "<template><p><a href=\"https://www.amazon.com/dp/B0\">x</a></p></template>",
            "<template>",
        ),
        (
            "<main><p>Intro <span hidden>a <a href=\"https://www.amazon.com/dp/B0\">x</a></span></p></main>",
            "<p>Intro",
        ),
        (
            "<ul class=\"tabs\"><li style=\"display:none\"><a href=\"https://www.amazon.com/dp/B0\">x</a></li></ul>",
            "<ul",
        ),
    ] {
        let fixed = engine.fix(page.as_bytes()).unwrap();
        let html = String::from_utf8(fixed.html.clone()).unwrap();
        let disclosure = html.find("<p class=\"disclosure\">").expect(&html);
        assert!(
            html[disclosure..].contains(hider) && !html[..disclosure].contains(hider),
            "{page}: {html}"
        );
        assert_eq!(disclosure_ids(&fixed.report), [], "{page}");
        assert_eq!(
            disclosure_ids(&engine.check(&fixed.html).unwrap()),
            [],
            "{html}"
        );
        assert_eq!(engine.fix(&fixed.html).unwrap().html, fixed.html, "{page}");
    }
    // Nothing before a hidden body is seen: then nothing is inserted.
    let page = "<body hidden><p><a href=\"https://www.amazon.com/dp/B0\">x</a></p></body>";
    let fixed = engine.fix(page.as_bytes()).unwrap();
    assert!(!String::from_utf8_lossy(&fixed.html).contains("class=\"disclosure\""));
    assert_eq!(
        disclosure_ids(&fixed.report),
        [FindingId::MissingDisclosure]
    );
}

#[test]
fn fix_inserts_before_a_hidden_tab_when_a_later_link_is_seen() {
    // The issue's case: the first link in a display:none tab, a later one visible.
    let engine = engine(&insert_config(""));
    let page = "<main>\n<h1>Kettles</h1>\n<div class=\"tab\" style=\"display:none\">\n  \
                <p><a href=\"https://www.amazon.com/dp/B01\">one</a></p>\n</div>\n\
                <div class=\"tab\">\n  <p><a href=\"https://www.amazon.com/dp/B02\">two</a></p>\n</div>\n</main>\n";
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html.clone()).unwrap();
    assert!(
        html.contains("<h1>Kettles</h1>\n<p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p>\n<div class=\"tab\" style=\"display:none\">"),
        "{html}"
    );
    assert_eq!(disclosure_ids(&fixed.report), []);
    assert_eq!(disclosure_ids(&engine.check(&fixed.html).unwrap()), []);
}

#[test]
fn a_copy_of_the_disclosure_after_the_first_link_gets_one_before_it_however_chunked() {
    // Found by the fuzzer: whether fix had "seen" the copy depended on how far the input had
    // been fed when the first link was met. Only a copy before the link counts.
    let engine = engine(&insert_config(""));
    let page = "<main><p><a href=\"https://www.amazon.com/dp/B0\">x</a></p>\n\
                <footer><p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p></footer></main>";
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html.clone()).unwrap();
    assert_eq!(html.matches("class=\"disclosure\"").count(), 2, "{html}");
    assert!(html.starts_with("<main><p class=\"disclosure\">"), "{html}");
    for size in [1, 7, 60, 4096] {
        assert_eq!(
            fix_in_chunks(&engine, page.as_bytes(), &[size]).0,
            fixed.html,
            "{size}"
        );
    }
    assert_eq!(engine.fix(&fixed.html).unwrap().html, fixed.html);
}

#[test]
fn fix_never_inserts_a_second_copy_of_the_configured_disclosure() {
    // Wherever a previous fix put it, and whatever a reader sees of it, the page has it.
    let engine = engine(&insert_config(""));
    let page = "<footer><p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p></footer><main><p><a href=\"https://www.amazon.com/dp/B0?tag=mysite-20\" rel=\"sponsored\">x</a></p></main>";
    let fixed = engine.fix(page.as_bytes()).unwrap();
    assert!(
        fixed.html.starts_with(b"<footer>"),
        "{}",
        String::from_utf8_lossy(&fixed.html)
    );
    assert!(!fixed.report.changed);
}

#[test]
fn positions_after_legacy_or_invalid_bytes_point_at_the_statement() {
    // Text before the cut-off statement whose bytes do not decode one to one: windows-1252
    // letters (two bytes each in UTF-8) and invalid UTF-8 bytes (three-byte U+FFFD each).
    let statement = "As an Amazon Associate I earn from";
    let pages: [(Vec<u8>, usize); 2] = [
        (
            [
                &b"<meta charset=\"windows-1252\">\n<p>Caf\xe9 cr\xe8me \xe0 la carte. "[..],
                statement.as_bytes(),
                b"</p>\n",
                LINK.as_bytes(),
            ]
            .concat(),
            "<p>Café crème à la carte. ".chars().count() + 1,
        ),
        (
            [
                &b"<meta charset=\"utf-8\">\n<p>Ru\x92\x91\x96th \xdf\x88 miles. "[..],
                statement.as_bytes(),
                b"</p>\n",
                LINK.as_bytes(),
            ]
            .concat(),
            // Columns count the characters that decode (stray bytes are not counted).
            "<p>Ruth \u{7c8} miles. ".chars().count() + 1,
        ),
    ];
    for (page, column) in pages {
        let start = page.len() - LINK.len() - statement.len() - "</p>\n".len();
        for size in [1, 3, 7, page.len()] {
            let (_, report) = fix_in_chunks(&engine(CONFIG), &page, &[size]);
            let found = report
                .findings
                .iter()
                .find(|f| f.id == FindingId::IncompleteDisclosure)
                .expect("the cut-off statement is found");
            assert_eq!(
                (found.offset, found.line, found.column),
                (start, 2, column),
                "chunks of {size}"
            );
        }
    }
}

#[test]
fn reading_goes_on_past_anchor_fragments_next_to_multibyte_characters() {
    // `ociate` four bytes after `é`'s lead byte: the reader's stop for that fragment falls
    // inside the character. The real statement after it must still be read, in any chunking.
    let page = format!(
        "<p>Voilà: éabcociate, déjà vu.</p>\n<p>As an Amazon Associate I earn from qualifying \
         purchases.</p>\n{LINK}"
    );
    for size in [1, 2, 3, 5, page.len()] {
        let (_, report) = fix_in_chunks(&engine(CONFIG), page.as_bytes(), &[size]);
        assert_eq!(disclosure_ids(&report), [], "chunks of {size}");
    }
}

#[test]
fn a_raw_text_end_tag_with_attributes_ends_the_element_in_any_chunking() {
    // The reader is mid-statement when the `<title>` opens, so it follows the title to its
    // end tag. That tag carries attributes and straddles the first kilobyte, which is parsed
    // in one piece: what arrives of it first has no `>` yet.
    for cut in [2, 9, 16] {
        let mut page = format!(
            "<p>As an Amazon Associate I earn <title>{}",
            "x".repeat(1024)
        );
        page.truncate(1024 - cut);
        page.push_str(&format!(
            "</title data-x=\">\" b></p>\n<p>As an Amazon Associate I earn from qualifying \
             purchases.</p>\n{LINK}"
        ));
        for size in (1..=40).chain([page.len()]) {
            let (_, report) = fix_in_chunks(&engine(CONFIG), page.as_bytes(), &[size]);
            assert_eq!(disclosure_ids(&report), [], "cut {cut}, chunks of {size}");
        }
    }
}

/// Every form of hiding (spacing and case variants included), and forms that only look like
/// it, through the whole pipeline: a statement inside is hidden or not for `check`, and a
/// first affiliate link inside gets no disclosure next to it from `fix`.
const HIDING_FORMS: &[(&str, bool)] = &[
    ("<div hidden>", true),
    ("<div HIDDEN>", true),
    ("<span aria-hidden=\"TRUE\">", true),
    ("<div style=\"display:none\">", true),
    ("<div style=\"Display : None\">", true),
    ("<div style=\"display:\tnone\">", true),
    ("<div style=\"display:  none\">", true),
    ("<div style=\"color:red;display:none !important\">", true),
    ("<div STYLE=\"VISIBILITY:HIDDEN\">", true),
    ("<span class=\"x screen-reader-text\">", true),
    ("<span class=\"visually-hidden\">", true),
    ("<TEMPLATE>", true),
    ("<div>", false),
    ("<div style=\"display:block\">", false),
    ("<div style=\"mso-display:none\">", false),
    ("<div aria-hidden=\"false\">", false),
    ("<span class=\"SR-ONLY\">", false),
    ("<div title=\"hidden\">", false),
];

fn closing(form: &str) -> String {
    let name: String = form[1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("</{name}>")
}

#[test]
fn every_hiding_form_hides_a_statement_and_only_those_do() {
    for &(form, hides) in HIDING_FORMS {
        let page = format!(
            "<main>{form}As an Amazon Associate I earn from qualifying purchases.{}\n\
             <p>{LINK}</p></main>",
            closing(form)
        );
        let expected: &[FindingId] = if hides {
            &[FindingId::HiddenDisclosure]
        } else {
            &[]
        };
        assert_eq!(disclosure_ids(&check(&page)), expected, "{form}");
    }
}

#[test]
fn fix_never_puts_a_disclosure_where_a_reader_does_not_see_it() {
    let engine = engine(&insert_config(""));
    for &(form, hides) in HIDING_FORMS {
        let page = format!(
            "<main>\n{form}<p><a href=\"https://www.amazon.com/dp/B0\" rel=sponsored>x</a></p>{}\n\
             </main>\n",
            closing(form)
        );
        let fixed = engine.fix(page.as_bytes()).unwrap();
        let html = String::from_utf8(fixed.html.clone()).unwrap();
        let inside = html.find(form).is_some_and(|open| {
            let close = html[open..]
                .find(&closing(form))
                .map_or(html.len(), |c| open + c);
            html[open..close].contains("class=\"disclosure\"")
        });
        assert!(
            !(hides && inside),
            "{form}: inserted inside hidden content: {html}"
        );
        assert!(html.contains("class=\"disclosure\""), "{form}: {html}");
        assert_eq!(
            disclosure_ids(&engine.check(&fixed.html).unwrap()),
            [],
            "{form}: check accepts the fixed page: {html}"
        );
    }
}
