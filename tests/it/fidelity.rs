//! Nothing is lost: fix changes only link attributes, whatever the markup around them and
//! however the input is chunked, and a second fix changes nothing.

use crate::support::{CONFIG, assert_only_link_attributes_changed, engine, fix_in_chunks};
use proptest::prelude::*;

/// Hrefs: affiliate links (tagged, untagged, foreign, escaped), look-alikes and plain links.
const HREFS: &[&str] = &[
    "https://www.amazon.com/dp/B000000001",
    "https://www.amazon.com/dp/B000000002?th=1&amp;psc=1#reviews",
    "https://amazon.com/gp/product/B000000003/ref=as_li_tl?ie=UTF8&#038;tag=thief-20&#038;linkCode=as2",
    "https://www.amazon.co.uk/dp/B000000004?tag=mysite-20",
    "https://www.amazon.com/s?k=a+b&ref=nb_sb_noss",
    "//amazon.de/dp/B000000005?&amp;x=%20y",
    " https://www.amazon.com/dp/B000000006?tag=mysite-20 ",
    "https://amzn.to/3AbCdEf",
    "https://www.ebay.com/itm/123456789012",
    "https://www.booking.com/hotel/kp/x.html?label=a&amp;aid=999",
    "https://amazon.com.evil.example/dp/B0",
    "https://www.amazon.com@evil.example/",
    "https://example.com/?u=https%3A%2F%2Famazon.com",
    "/relative/path",
    "#top",
    "mailto:me@amazon.com",
];

const OTHER: &[&str] = &[
    "<!DOCTYPE html>\n",
    "<p>Caf\u{e9} &amp; cr&egrave;me &nbsp; &copy 2024 &#x1F600; a < b &notit; \u{201c}q\u{201d}</p>\n",
    "<!-- <a href=\"https://www.amazon.com/dp/B0COMMENT\">x</a> -->",
    "<script>if (a < b && c > d) { document.write('<a href=\"https://amazon.com/dp/B0SCRIPT\">') }</script>",
    "<style>a[href*=\"amazon\"]::after { content: \"<a>\" }</style>",
    "<textarea><a href=\"https://amazon.com/dp/B0TEXTAREA\"></textarea>",
    "<img src='https://m.media-amazon.com/images/I/x.jpg' alt=\"&quot;x&quot;\">",
    "<br/>\r\n",
    "<div\n  class=\"a  b\"\tdata-x='1'   id=z>",
    "</div>",
    "<svg><![CDATA[ <a href=\"https://amazon.com/dp/B0CDATA\"> ]]></svg>",
    "<table><tr><td>cell</td></tr></table>",
    "\u{0}",
    "   \t\n",
    "<p>As an Amazon Associate I earn from qualifying purchases.</p>",
    "<P CLASS=X>Upper</P>",
];

const INVALID_UTF8: &[u8] = b"<p>\xff\xfe\xc3 broken \xe2\x80</p>";

fn attribute(name: &str, value: &str, quote: usize) -> String {
    let unquotable = value.is_empty() || value.contains([' ', '"', '\'', '=', '<', '>', '`']);
    match quote {
        0 => format!("{name}=\"{value}\""),
        1 if !value.contains('\'') => format!("{name}='{value}'"),
        2 if !unquotable => format!("{name}={value}"),
        _ => format!("{name}=\"{value}\""),
    }
}

prop_compose! {
    fn link()(
        href in 0..HREFS.len(),
        tag in prop::sample::select(vec!["a", "A", "area"]),
        rel in prop::option::of(prop::sample::select(vec!["noopener", "nofollow", "sponsored noopener", "", "NOOPENER"])),
        quotes in prop::collection::vec(0..3usize, 3),
        rel_first in any::<bool>(),
        space in prop::sample::select(vec![" ", "\n  ", "\t"]),
        extra in prop::option::of(prop::sample::select(vec!["class=\"btn\"", "target=_blank", "data-id='7'", "download"])),
    ) -> String {
        let mut attrs = vec![attribute(if tag == "A" { "HREF" } else { "href" }, HREFS[href], quotes[0])];
        if let Some(rel) = rel {
            let rel = if rel.is_empty() { "rel".to_owned() } else { attribute("rel", rel, quotes[1]) };
            if rel_first { attrs.insert(0, rel) } else { attrs.push(rel) }
        }
        if let Some(extra) = extra {
            attrs.insert(quotes[2] % (attrs.len() + 1), extra.to_owned());
        }
        let close = if tag == "area" { "" } else { "x</a>" };
        format!("<{tag}{space}{}>{close}", attrs.join(space))
    }
}

fn page() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => link().prop_map(String::into_bytes),
        3 => (0..OTHER.len()).prop_map(|i| OTHER[i].as_bytes().to_vec()),
        1 => Just(INVALID_UTF8.to_vec()),
    ];
    prop::collection::vec(piece, 1..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn fix_changes_only_link_attributes_in_any_chunking(
        input in page(),
        sizes in prop::collection::vec(1..200usize, 1..8),
    ) {
        let engine = engine(CONFIG);
        let whole = engine.fix(&input).unwrap();
        let (chunked, report) = fix_in_chunks(&engine, &input, &sizes);
        prop_assert_eq!(&chunked, &whole.html);
        prop_assert_eq!(&report, &whole.report);
        assert_only_link_attributes_changed(&input, &whole.html);

        let checked = engine.check(&input).unwrap();
        let (_, checked_chunked) = {
            let mut document = engine.checker();
            let mut at = 0;
            let mut i = 0;
            while at < input.len() {
                let end = (at + sizes[i % sizes.len()]).min(input.len());
                document.write(&input[at..end]).unwrap();
                at = end;
                i += 1;
            }
            let report = document.end().unwrap();
            ((), report)
        };
        prop_assert_eq!(checked, checked_chunked);

        let again = engine.fix(&whole.html).unwrap();
        prop_assert_eq!(&again.html, &whole.html, "a second fix changes nothing");
        prop_assert!(!again.report.changed);
    }
}

#[test]
fn a_page_without_affiliate_links_passes_through_byte_for_byte() {
    let mut page = Vec::new();
    for piece in OTHER {
        page.extend_from_slice(piece.as_bytes());
    }
    page.extend_from_slice(INVALID_UTF8);
    page.extend_from_slice(b"<a href=\"https://example.com/\">x</a>");
    let fixed = engine(CONFIG).fix(&page).unwrap();
    assert_eq!(fixed.html, page);
    assert!(!fixed.report.changed);
}
