//! Disclosures judged as Amazon and the FTC judge them: Amazon's "substantially similar
//! statement", one sentence at a time; negated earning clauses; what exactly is missing.

use affilint::FindingId;

use super::{EBAY_LINK, LINK, check, disclosure_ids};
use crate::support::repo;

/// The disclosure findings of a page holding `statement` in a paragraph before a tagged
/// Amazon link.
fn verdict(statement: &str) -> Vec<FindingId> {
    let mut ids = disclosure_ids(&check(&format!("<p>{statement}</p>\n<p>{LINK}</p>")));
    ids.sort();
    ids
}

/// The rows of the README's table of statements accepted and refused.
fn readme_rows() -> Vec<(String, Vec<FindingId>)> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("<!-- statements: begin -->")
        .expect("table start marker");
    let end = readme
        .find("<!-- statements: end -->")
        .expect("table end marker");
    readme[start..end]
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| statement on the page"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 2, "{line}");
            let mut ids: Vec<FindingId> = if cells[1] == "accepted" {
                Vec::new()
            } else {
                cells[1]
                    .split(", ")
                    .map(|id| id.trim_matches('`').parse().unwrap())
                    .collect()
            };
            ids.sort();
            (cells[0].to_owned(), ids)
        })
        .collect()
}

#[test]
fn every_row_of_the_readme_table_of_statements_holds() {
    let rows = readme_rows();
    assert!(rows.len() >= 20, "{rows:?}");
    assert!(rows.iter().any(|(_, ids)| ids.is_empty()));
    assert!(rows.iter().any(|(_, ids)| !ids.is_empty()));
    for (statement, expected) in rows {
        assert_eq!(verdict(&statement), expected, "{statement}");
    }
}

#[test]
fn similar_statements_are_judged_on_whole_sentences() {
    // The statement split by a sentence end or a block boundary is two statements: the
    // first part is Amazon's cut off, the second only a general one.
    let split = "<p>As an Amazon Associate</p><p>I earn from qualifying purchases.</p>";
    assert_eq!(
        disclosure_ids(&check(&format!("{split}<p>{LINK}</p>"))),
        [FindingId::IncompleteDisclosure]
    );
    assert_eq!(
        verdict("Amazon Associates are everywhere. Still, we earn from qualifying purchases."),
        [FindingId::MissingProgramStatement]
    );
    // A line break or inline markup inside the sentence does not end it.
    assert_eq!(
        verdict(
            "As a member of the <em>Amazon Associates</em><br>programme we earn from qualifying purchases."
        ),
        []
    );
    // Abbreviations and domains do not end a sentence.
    assert_eq!(
        verdict("As an Amazon Associate (e.g. on Amazon.co.uk) we earn from qualifying purchases."),
        []
    );
}

#[test]
fn the_statements_of_the_pages_that_were_reported_missing_are_accepted_or_named() {
    // Before the link: "still missing" before this check judged similar statements.
    let uk = "As a participant in the Amazon Associates programme (UK), we earn from qualifying \
              purchases.";
    assert_eq!(verdict(uk), []);
    // A general statement after the link: the program statement is missing, and that is
    // the one finding (not also missing-disclosure and late-disclosure).
    let general = "We earn commission from qualifying purchases through Amazon affiliate links in \
                   this article.";
    let page = format!("<p>{LINK}</p>\n<footer><p>{general}</p></footer>");
    let report = check(&page);
    assert_eq!(
        disclosure_ids(&report),
        [FindingId::MissingProgramStatement]
    );
    let message = &report.findings.last().unwrap().message;
    assert!(
        message.contains("general disclosure (\"earn commission\")")
            && message.contains("\"As an Amazon Associate I earn from qualifying purchases.\""),
        "{message}"
    );
    // The same general statement is enough for a program without a statement of its own,
    // and then it is only late.
    let page = format!("<p>{EBAY_LINK}</p>\n<footer><p>{general}</p></footer>");
    assert_eq!(disclosure_ids(&check(&page)), [FindingId::LateDisclosure]);
}

#[test]
fn negated_earning_clauses_are_not_disclosures() {
    for negated in [
        "We don't earn commission from these links.",
        "We never receive a commission from the shops we mention.",
        "We receive no compensation for the products we review.",
        "Affiliate links on this page do not pay us a commission.",
        "We do NOT earn from qualifying purchases.",
        "Als Amazon-Partner verdienen wir nicht an qualifizierten Verkäufen.",
        "We earn nothing in commission from these links.",
    ] {
        let page = format!("<p>{negated}</p>\n<p>{EBAY_LINK} {LINK}</p>");
        let report = check(&page);
        let ids = disclosure_ids(&report);
        assert!(
            ids.contains(&FindingId::NegatedDisclosure)
                && ids.contains(&FindingId::MissingDisclosure),
            "{negated}: {ids:?}"
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.id == FindingId::NegatedDisclosure)
            .unwrap();
        assert_eq!(
            (finding.line, finding.severity),
            (1, affilint::Severity::Error)
        );
    }
    // Not negated: the negation is in another clause, or is about something else.
    for clean in [
        "Don't worry, we earn a small commission at no extra cost to you.",
        "We earn a commission at no extra cost to you.",
        "This does not change the price: we earn a commission when you buy.",
        "We do not charge you more, but we earn a commission.",
        "Not every link is an affiliate link. We earn a commission on those that are.",
    ] {
        let page = format!("<p>{clean}</p>\n<p>{EBAY_LINK}</p>");
        assert_eq!(disclosure_ids(&check(&page)), [], "{clean}");
    }
}

#[test]
fn a_negated_statement_is_an_error_only_when_the_links_carry_an_id() {
    // Links to a program with an id in the config but carrying none (untagged): nobody
    // earns yet, so saying so is true; the page still needs its disclosure once tagged.
    let untagged = "<a href=\"https://www.amazon.com/dp/B0\" rel=\"sponsored\">kettle</a>";
    let page = format!("<p>We don't earn a commission from these links.</p><p>{untagged}</p>");
    let ids = disclosure_ids(&check(&page));
    assert_eq!(ids, [FindingId::MissingDisclosure]);
    // A short link holds an id inside.
    let short = "<a href=\"https://amzn.to/3xYz\" rel=\"sponsored\">kettle</a>";
    let page = format!("<p>We don't earn a commission from these links.</p><p>{short}</p>");
    assert!(disclosure_ids(&check(&page)).contains(&FindingId::NegatedDisclosure));
}

#[test]
fn a_page_with_a_statement_and_a_negated_aside_keeps_its_statement() {
    // The page's real statement counts; the negated sentence is still reported, since it
    // tells readers something false about links that carry an id.
    let page = format!(
        "<p>As an Amazon Associate I earn from qualifying purchases.</p>\
         <p>We never receive a commission from the shops we mention.</p><p>{LINK}</p>"
    );
    assert_eq!(
        disclosure_ids(&check(&page)),
        [FindingId::NegatedDisclosure]
    );
}
