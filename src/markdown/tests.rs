use super::*;

fn checks(config: &str) -> Checks {
    let config = crate::config::Config::parse("affilint.toml", config).expect("config");
    Checks::new(&crate::rules::RuleSet::shipped(), &config).expect("checks")
}

const CONFIG: &str = "[programs.amazon]\ntag = \"mysite-20\"\n";

fn fix(text: &str) -> (String, Report) {
    let checks = checks(CONFIG);
    let checked = check(&checks, text, true, None).expect("fix");
    let mut out = String::new();
    let mut at = 0;
    for (range, bytes) in &checked.edits {
        out.push_str(&text[at..range.start]);
        out.push_str(std::str::from_utf8(bytes).unwrap());
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out, checked.report)
}

fn ids(report: &Report) -> Vec<(&'static str, usize, usize)> {
    report
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.line, f.column))
        .collect()
}

#[test]
fn inline_reference_auto_and_bare_links_are_checked_where_they_are_written() {
    let checks = checks(CONFIG);
    let text = "# Kettles\n\nThe [best](https://www.amazon.com/dp/B01) one, \
                <https://www.amazon.com/dp/B02> and https://www.amazon.com/dp/B03.\n\
                \n[Again][k] and [k].\n\n[k]: https://www.amazon.com/dp/B04\n\
                ![a photo](https://www.amazon.com/dp/B05)\n";
    let report = check(&checks, text, false, None).unwrap().report;
    assert_eq!(
        ids(&report),
        [
            ("untagged-link", 3, 5),
            ("untagged-link", 3, 48),
            ("untagged-link", 3, 84),
            ("untagged-link", 7, 1),
        ]
    );
    // The reference definition is one destination, used twice; the image is not a link.
    assert_eq!(report.links, 5);
    assert_eq!(report.affiliate_links, 5);
}

#[test]
fn fix_changes_only_destinations_and_keeps_their_spelling() {
    let text = "+++\ntitle = \"K\"\nproduct_url = \"https://www.amazon.de/dp/B0?ref=x\"\n+++\n\
                See [it](<https://www.amazon.com/dp/B1> \"t\"), [this](https://www.amazon.com/dp/B2?a=1&amp;b=\\_2)\n\
                and `[code](https://www.amazon.com/dp/B3)` and {{< shop https://www.amazon.com/dp/B4 >}}.\n\n\
                ```\n[block](https://www.amazon.com/dp/B5)\n```\n\n<!-- https://www.amazon.com/dp/B6 -->\n\
                <a href=\"https://www.amazon.com/dp/B7\">raw</a> [r][x]\n\n[x]: https://www.amazon.com/dp/B8 'T'\n";
    let (fixed, report) = fix(text);
    let expected = "+++\ntitle = \"K\"\nproduct_url = \"https://www.amazon.de/dp/B0?ref=x&tag=mysite-20\"\n+++\n\
                See [it](<https://www.amazon.com/dp/B1?tag=mysite-20> \"t\"), [this](https://www.amazon.com/dp/B2?a=1&amp;b=\\_2&tag=mysite-20)\n\
                and `[code](https://www.amazon.com/dp/B3)` and {{< shop https://www.amazon.com/dp/B4 >}}.\n\n\
                ```\n[block](https://www.amazon.com/dp/B5)\n```\n\n<!-- https://www.amazon.com/dp/B6 -->\n\
                <a href=\"https://www.amazon.com/dp/B7?tag=mysite-20\" rel=\"sponsored\">raw</a> [r][x]\n\n[x]: https://www.amazon.com/dp/B8?tag=mysite-20 'T'\n";
    // Raw HTML is fixed as a page is: its link tagged and marked sponsored.
    assert_eq!(fixed, expected);
    // Left: the link in template code, which fix does not touch.
    let left: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(left.contains(&"untagged-link"), "{left:?}");
    let template = report
        .findings
        .iter()
        .find(|f| f.id == FindingId::UntaggedLink)
        .unwrap();
    assert!(
        template.message.contains("inside template code"),
        "{}",
        template.message
    );
    // Fixed again: nothing more changes.
    let (again, _) = fix(&fixed);
    assert_eq!(again, fixed);
}

#[test]
fn a_document_without_a_program_link_is_left_byte_for_byte() {
    let text = "Café &amp; [x](https://example.com/a\\_b \"t\")\r\n\ttabs\u{a0}and  spaces  \n";
    let (fixed, report) = fix(text);
    assert_eq!(fixed, text);
    assert!(!report.changed);
}

#[test]
fn disclosures_are_judged_on_markdown_only_when_asked() {
    let post = "# Kettles\n\nThe [best](https://www.amazon.com/dp/B01?tag=mysite-20).\n\n\
                *As an Amazon Associate I earn from qualifying purchases.*\n";
    let off = checks(CONFIG);
    let report = check(&off, post, false, None).unwrap().report;
    assert!(report.findings.is_empty(), "{:?}", ids(&report));
    let on = checks(&format!("{CONFIG}[markdown]\ndisclosure = \"check\"\n"));
    let report = check(&on, post, false, None).unwrap().report;
    // The statement comes after the link: late, and pointed at in the Markdown.
    assert_eq!(ids(&report), [("late-disclosure", 5, 2)]);
    let before = "*As an Amazon Associate I earn from qualifying purchases.*\n\n\
                  The [best](https://www.amazon.com/dp/B01?tag=mysite-20).\n";
    assert!(
        check(&on, before, false, None)
            .unwrap()
            .report
            .findings
            .is_empty()
    );
    let none = "The [best](https://www.amazon.com/dp/B01?tag=mysite-20).\n";
    let report = check(&on, none, false, None).unwrap().report;
    assert_eq!(report.findings[0].id, FindingId::MissingDisclosure);
    assert_eq!(report.findings[0].line, 1);
}

#[test]
fn an_edit_refused_until_others_are_in_goes_in_with_them_so_a_second_fix_changes_nothing() {
    // From the fuzzer: tagging a bare URL that emphasis follows changes how the `*`s pair,
    // so a URL that could not be tagged alone can be once the others are.
    let text = "****o*http://n.**http://amazon.com/*\u{17}**o*/**http://amazon.com/*\u{17}\
                *www.**http://amazon.com/*\u{17}**";
    let (once, _) = fix(text);
    assert_ne!(once, text);
    let (twice, report) = fix(&once);
    assert_eq!(twice, once);
    assert!(!report.changed);
}

#[test]
fn many_links_are_fixed_beside_an_edit_that_would_change_how_the_document_reads() {
    // A hundred plain links, and the fuzzer's case above, whose edits refuse to go in alone:
    // the hundred are tagged all the same, and a second fix changes nothing.
    let links: String = (0..100)
        .map(|i| format!("- [kettle {i}](https://www.amazon.com/dp/B{i:09})\n"))
        .collect();
    let text = format!(
        "{links}\n****o*http://n.**http://amazon.com/*\u{17}**o*/**http://amazon.com/*\u{17}\
         *www.**http://amazon.com/*\u{17}**\n"
    );
    let (once, _) = fix(&text);
    for i in 0..100 {
        let tagged = format!("(https://www.amazon.com/dp/B{i:09}?tag=mysite-20)");
        assert!(once.contains(&tagged), "{tagged} missing:\n{once}");
    }
    let (twice, report) = fix(&once);
    assert_eq!(twice, once, "a second fix changes nothing");
    assert!(!report.changed);
}
