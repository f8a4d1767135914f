//! Amazon's policies that show in a page, on blocks written as real sites write them: static
//! prices and ratings next to Amazon links, link-level labels, disclosures repeated on long
//! pages.

use affilint::FindingId;

use crate::support::{CONFIG, DISCLOSED, engine, fix_in_chunks};

const AMAZON: &str = "https://www.amazon.com/dp/B0KETTLE1?tag=mysite-20";

fn ids(config: &str, page: &str) -> Vec<(FindingId, usize)> {
    engine(config)
        .check(page.as_bytes())
        .unwrap()
        .findings
        .iter()
        .map(|f| (f.id, f.line))
        .filter(|(id, _)| {
            matches!(
                id,
                FindingId::StaticPrice | FindingId::UnlabeledLink | FindingId::DistantDisclosure
            )
        })
        .collect()
}

#[test]
fn prices_and_ratings_beside_amazon_links_need_their_as_of_time() {
    let link = format!("<a href=\"{AMAZON}\" rel=\"sponsored\">Buy on Amazon</a>");
    for (block, expected) in [
        // A paragraph, a list item, a table row, a product box: the price is beside the link.
        (
            format!("<p>The kettle costs $39.99 right now: {link}</p>"),
            true,
        ),
        (
            format!("<ul><li>Kettle &ndash; &#36;39 &ndash; {link}</li></ul>"),
            true,
        ),
        (
            format!("<table><tr><td>Kettle</td><td>€ 34,90</td><td>{link}</td></tr></table>"),
            true,
        ),
        (
            format!(
                "<div class=\"product-box\"><h3>Kettle</h3><p class=\"price\">£24.99</p>\
                 <div class=\"stars\">★★★★☆</div><p>{link}</p></div>"
            ),
            true,
        ),
        (
            format!("<p>Rated 4.6 out of 5 stars on Amazon. {link}</p>"),
            true,
        ),
        (
            format!("<p><a href=\"{AMAZON}\">Kettle, $39.99</a></p>"),
            true,
        ),
        // With the time it was fetched, as the Product Advertising API asks.
        (
            format!("<p>$39.99 (as of 12 May 2026 10:00 UTC &ndash; Details) {link}</p>"),
            false,
        ),
        // A price elsewhere on the page, not in the link's block.
        (
            format!("<p>My old kettle cost $20.</p><p>This one is better: {link}</p>"),
            false,
        ),
        (
            format!("<p>A 10-cup kettle with 5 settings: {link}</p>"),
            false,
        ),
    ] {
        let page = format!("{DISCLOSED}<main>{block}</main>");
        let found = ids(CONFIG, &page);
        assert_eq!(
            found.iter().any(|(id, _)| *id == FindingId::StaticPrice),
            expected,
            "{block}: {found:?}"
        );
    }
    // eBay allows prices; a config that fetches Amazon's prices from its API turns it off.
    let ebay = "<p>A lot for $12.50: <a href=\"https://www.ebay.com/itm/1?mkevt=1&amp;mkcid=1&amp;mkrid=711-53200-19255-0&amp;campid=5338000000&amp;toolid=10001\" rel=\"sponsored\">eBay</a></p>";
    assert_eq!(ids(CONFIG, &format!("{DISCLOSED}{ebay}")), []);
    let page = format!("{DISCLOSED}<p>$39.99 <a href=\"{AMAZON}\" rel=\"sponsored\">x</a></p>");
    let allowed = CONFIG.replace(
        "tag = \"mysite-20\"\n",
        "tag = \"mysite-20\"\nprices = \"allowed\"\n",
    );
    assert_eq!(ids(&allowed, &page), []);
    assert_eq!(ids(CONFIG, &page), [(FindingId::StaticPrice, 2)]);
}

#[test]
fn the_verdict_and_the_order_of_findings_do_not_depend_on_chunking() {
    let page = format!(
        "{DISCLOSED}<ul><li>One $10 <a href=\"{AMAZON}\">a</a></li>\n<li>Two \
         <a href=\"https://www.amazon.com/dp/B0TWO?tag=other-20\">b</a> (4.5/5)</li></ul>\n\
         <p>No price <a href=\"https://www.amazon.com/dp/B0THREE\">c</a></p>\n"
    );
    let engine = engine(CONFIG);
    let whole = engine.fix(page.as_bytes()).unwrap().report;
    let order: Vec<(FindingId, usize)> = whole.findings.iter().map(|f| (f.id, f.line)).collect();
    assert!(order.contains(&(FindingId::StaticPrice, 2)), "{order:?}");
    assert!(order.contains(&(FindingId::StaticPrice, 3)), "{order:?}");
    for size in [1, 3, 17, 64, 200] {
        let (_, report) = fix_in_chunks(&engine, page.as_bytes(), &[size]);
        assert_eq!(report, whole, "chunks of {size}");
    }
}

#[test]
fn configured_labels_are_needed_in_or_right_after_each_link() {
    let config = format!("{CONFIG}[disclosure]\nlink_labels = [\"(paid link)\", \"#ad\"]\n");
    let page = format!(
        "{DISCLOSED}\
         <p><a href=\"{AMAZON}\" rel=\"sponsored\">Kettle</a> (paid link)</p>\n\
         <p><a href=\"{AMAZON}\" rel=\"sponsored\">Kettle #ad</a></p>\n\
         <p><a href=\"{AMAZON}\" rel=\"sponsored\">Kettle</a> is great.</p>\n\
         <p><a href=\"{AMAZON}\" rel=\"sponsored\">Kettle</a></p><p>(paid link)</p>\n"
    );
    assert_eq!(
        ids(&config, &page),
        [(FindingId::UnlabeledLink, 4), (FindingId::UnlabeledLink, 5)]
    );
    // Off unless labels are configured.
    assert_eq!(ids(CONFIG, &page), []);
}

#[test]
fn a_long_page_repeats_its_disclosure_when_asked_to() {
    let words = "word ".repeat(300);
    let link = format!("<a href=\"{AMAZON}\" rel=\"sponsored\">kettle</a>");
    let page = format!(
        "{DISCLOSED}<p>{link}</p>\n<p>{words}</p>\n<p>{link}</p>\n<p>{link}</p>\n\
         {DISCLOSED}<p>{link}</p>\n"
    );
    let config = format!("{CONFIG}[disclosure]\nmax_distance_words = 200\n");
    // The link after 300 words gets it once; after the repeated statement, none.
    assert_eq!(ids(&config, &page), [(FindingId::DistantDisclosure, 4)]);
    assert_eq!(ids(CONFIG, &page), [], "off unless configured");
    let err = affilint::Config::parse("a.toml", "[disclosure]\nmax_distance_words = 0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("must be at least 1"), "{err}");
}
