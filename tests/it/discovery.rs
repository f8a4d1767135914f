//! Affiliate links found by the ids they carry, with or without a config: every shipped
//! network on real link shapes, retired hosts, and a real WordPress export checked with no
//! config, then with the config `init --from` writes for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use affilint::{AffiliateLink, Config, Engine, FindingId, RuleSet};
use serde_json::Value;

use crate::support::{CONFIG, DISCLOSED, corpus, engine, run, site, stderr, stdout};

fn no_config() -> Engine {
    Engine::new(&RuleSet::shipped(), &Config::default()).unwrap()
}

/// The affiliate links `engine` meets on `page`, and its report.
fn links(engine: &Engine, page: &str) -> (Vec<AffiliateLink>, affilint::Report) {
    let mut found = Vec::new();
    let mut checker = engine.checker();
    checker.on_affiliate_link(|link| found.push(link));
    checker.write(page.as_bytes()).unwrap();
    let report = checker.end().unwrap();
    (found, report)
}

fn ids(report: &affilint::Report) -> Vec<FindingId> {
    report.findings.iter().map(|f| f.id).collect()
}

#[test]
fn links_that_carry_an_id_are_affiliate_links_without_any_config() {
    let page = "<p>Gear I use.</p>\n\
        <a href=\"https://www.amazon.in/dp/B00KA7VUD4/?tag=kmramit56-21&amp;th=1\">kettle</a>\n\
        <a href=\"https://amzn.to/2LQXAoW\">short</a>\n\
        <a href=\"https://www.amazon.com/dp/B00KA7VUD4\">no id: a plain link</a>\n\
        <a href=\"https://www.ebay.com/itm/123456789012?campid=5338000000&amp;mkevt=1\">ebay</a>\n\
        <a href=\"https://www.booking.com/hotel/kp/x.html?aid=1234567\">hotel</a>\n\
        <a href=\"https://apps.apple.com/app/id1?at=1l3vx\">app</a>\n\
        <a href=\"https://go.skimresources.com/?id=123X456&amp;url=https%3A%2F%2Fwww.walmart.com%2Fip%2F1\">wrapped</a>\n\
        <a href=\"https://www.anrdoezrs.net/click-100123-13456?url=https%3A%2F%2Fshop.example%2F\">cj</a>\n\
        <a href=\"https://www.etsy.com/listing/1\">a merchant, not wrapped: a plain link</a>\n";
    let (found, report) = links(&no_config(), page);
    let carried: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|l| (l.program.as_str(), l.id.as_deref()))
        .collect();
    assert_eq!(
        carried,
        [
            ("amazon", Some("kmramit56-21")),
            ("amazon", None),
            ("ebay", Some("5338000000")),
            ("booking", Some("1234567")),
            ("apple", Some("1l3vx")),
            ("skimlinks", Some("123X456")),
            ("cj", Some("100123")),
        ]
    );
    assert_eq!(report.affiliate_links, 7);
    assert_eq!(report.links, 9);
    assert!(found[1].short);
    assert_eq!(found[0].host, "amazon.in");
    assert_eq!(found[0].product.as_deref(), Some("B00KA7VUD4"));
    assert_eq!(found[2].product.as_deref(), Some("123456789012"));
    assert_eq!(
        found[5].destination.as_deref(),
        Some("https://www.walmart.com/ip/1")
    );
    // Every disclosure finding applies; untagged-link and foreign-tag need your id.
    let found_ids = ids(&report);
    assert!(
        found_ids.contains(&FindingId::MissingDisclosure),
        "{found_ids:?}"
    );
    assert_eq!(
        found_ids
            .iter()
            .filter(|&&id| id == FindingId::MissingRel)
            .count(),
        7
    );
    assert!(!found_ids.contains(&FindingId::UntaggedLink));
    assert!(!found_ids.contains(&FindingId::ForeignTag));
    let rel = report
        .findings
        .iter()
        .find(|f| f.id == FindingId::MissingRel)
        .unwrap();
    assert_eq!(rel.affiliate_id.as_deref(), Some("kmramit56-21"));
}

#[test]
fn a_program_with_an_id_still_reports_untagged_and_foreign_links() {
    let page = format!(
        "{DISCLOSED}<a href=\"https://www.amazon.com/dp/B0?tag=other-20\" rel=sponsored>a</a>\n\
         <a href=\"https://www.amazon.com/dp/B1\" rel=sponsored>b</a>\n\
         <a href=\"https://www.ebay.com/itm/1?campid=1111111111\" rel=sponsored>c</a>\n"
    );
    let report = engine("[programs.amazon]\ntag = \"mysite-20\"\n")
        .check(page.as_bytes())
        .unwrap();
    assert_eq!(
        ids(&report),
        [FindingId::ForeignTag, FindingId::UntaggedLink],
        "the eBay link carries an id of a program you have none for: no finding"
    );
    assert_eq!(report.findings[0].affiliate_id.as_deref(), Some("other-20"));
    assert_eq!(report.findings[1].affiliate_id, None);
    assert_eq!(report.affiliate_links, 3);
}

/// One real link shape per network, with the id and destination it carries.
const NETWORK_LINKS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "https://goto.walmart.com/c/2003851/565706/9383?veh=aff&amp;sourceid=imp_000011112222&amp;u=https%3A%2F%2Fwww.walmart.com%2Fip%2F123",
        "impact",
        "2003851",
        Some("https://www.walmart.com/ip/123"),
    ),
    (
        "https://goto.target.com/c/1234567/81938/2092?u=https%3A%2F%2Fwww.target.com%2Fp%2F-%2FA-1",
        "impact",
        "1234567",
        Some("https://www.target.com/p/-/A-1"),
    ),
    (
        "https://nike.sjv.io/c/2345678/1234/5678?u=https%3A%2F%2Fwww.nike.com%2Fw",
        "impact",
        "2345678",
        Some("https://www.nike.com/w"),
    ),
    (
        "https://homedepot.pxf.io/c/3456789/456/789",
        "impact",
        "3456789",
        None,
    ),
    (
        "https://www.kqzyfj.com/click-7654321-11223344",
        "cj",
        "7654321",
        None,
    ),
    (
        "https://click.linksynergy.com/deeplink?id=AbCdEfGhIjK&amp;mid=36805&amp;murl=https%3A%2F%2Fwww.example-shop.com%2Fp%2F1",
        "rakuten",
        "AbCdEfGhIjK",
        Some("https://www.example-shop.com/p/1"),
    ),
    (
        "https://redirect.viglink.com/?key=0123456789abcdef0123456789abcdef&amp;u=https%3A%2F%2Fwww.rei.com%2Fproduct%2F1&amp;cuid=post1",
        "viglink",
        "0123456789abcdef0123456789abcdef",
        Some("https://www.rei.com/product/1"),
    ),
    (
        "https://www.avantlink.com/click.php?tt=cl&amp;mi=10248&amp;pw=123456&amp;url=https%3A%2F%2Fwww.rei.com%2Fproduct%2F1",
        "avantlink",
        "123456",
        Some("https://www.rei.com/product/1"),
    ),
    (
        "https://shareasale.com/r.cfm?b=1234&amp;u=987654&amp;m=47&amp;urllink=www.example.com%2Fpage&amp;afftrack=",
        "shareasale",
        "987654",
        Some("www.example.com/page"),
    ),
];

#[test]
fn every_network_is_recognised_on_real_link_shapes_and_disclosed() {
    let engine = no_config();
    for (href, program, id, destination) in NETWORK_LINKS {
        let page = format!("<p><a href=\"{href}\" rel=sponsored>x</a></p>");
        let (found, report) = links(&engine, &page);
        assert_eq!(found.len(), 1, "{href}");
        assert_eq!(found[0].program, *program, "{href}");
        assert_eq!(found[0].id.as_deref(), Some(*id), "{href}");
        assert_eq!(found[0].destination.as_deref(), *destination, "{href}");
        assert!(
            ids(&report).contains(&FindingId::MissingDisclosure),
            "{href}: {:?}",
            ids(&report)
        );
    }
}

#[test]
fn network_look_alikes_are_plain_links() {
    let engine = no_config();
    for href in [
        "https://goto.walmart.com.evil.example/c/2003851/565706/9383",
        "https://evilsjv.io/c/1/2/3",
        "https://sjv.io.evil.example/c/1/2/3",
        "https://click.linksynergy.com.attacker.net/deeplink?id=x&murl=y",
        "https://redirect-viglink.com/?key=0123456789abcdef0123456789abcdef",
        "https://www.avantlink.com.evil.example/click.php?pw=1",
        "https://shareasale.co/r.cfm?u=987654",
        "https://www.walmart.com/c/2003851/565706/9383",
        "https://example.com/?u=https://goto.walmart.com/c/1/2/3",
    ] {
        let page = format!("<a href=\"{href}\">x</a>");
        let (found, report) = links(&engine, &page);
        assert!(found.is_empty(), "{href}: {found:?}");
        assert_eq!(report.affiliate_links, 0, "{href}");
    }
}

#[test]
fn networks_are_tagged_where_they_allow_it() {
    let engine = engine(
        "[programs.impact]\ntag = \"1111111\"\n[programs.viglink]\n\
         tag = \"ffffffffffffffffffffffffffffffff\"\nmerchants = [\"rei.com\"]\n",
    );
    let page = "<p>We earn a commission from these links.</p>\n\
        <a href=\"https://goto.walmart.com/c/2003851/565706/9383?u=https%3A%2F%2Fwww.walmart.com%2F\" rel=sponsored>a</a>\n\
        <a href=\"https://goto.target.com/\" rel=sponsored>b</a>\n\
        <a href=\"https://redirect.viglink.com/?key=0123456789abcdef0123456789abcdef&amp;u=x\" rel=sponsored>c</a>\n\
        <a href=\"https://www.rei.com/product/1\" rel=sponsored>d</a>\n";
    let fixed = engine.fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html).unwrap();
    assert!(
        html.contains(
            "https://goto.walmart.com/c/1111111/565706/9383?u=https%3A%2F%2Fwww.walmart.com%2F"
        ),
        "a foreign partner id is replaced: {html}"
    );
    assert!(html.contains("https://goto.target.com/\""), "{html}");
    assert!(
        html.contains("key=ffffffffffffffffffffffffffffffff&amp;u=x"),
        "{html}"
    );
    assert!(
        html.contains("https://redirect.viglink.com/?key=ffffffffffffffffffffffffffffffff&amp;u=https%3A%2F%2Fwww.rei.com%2Fproduct%2F1"),
        "a merchant link is wrapped: {html}"
    );
    let left = &fixed.report.findings;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].id, FindingId::UntaggedLink);
    assert!(
        left[0]
            .message
            .contains("make this one in Impact's own tools"),
        "{}",
        left[0].message
    );
}

#[test]
fn a_retired_host_is_reported_and_fix_moves_the_link_keeping_the_rest() {
    let page = format!(
        "{DISCLOSED}<a href=\"https://smile.amazon.com/dp/B00TEST123?th=1&amp;psc=1#reviews\" \
         rel=sponsored>x</a>\n"
    );
    let report = engine(CONFIG).check(page.as_bytes()).unwrap();
    assert_eq!(
        ids(&report),
        [FindingId::UntaggedLink, FindingId::RetiredHost],
        "{:?}",
        report.findings
    );
    let retired = &report.findings[1];
    assert!(
        retired.message.contains("AmazonSmile closed on 2023-02-20")
            && retired.message.contains("moves it to www.amazon.com"),
        "{}",
        retired.message
    );
    let fixed = engine(CONFIG).fix(page.as_bytes()).unwrap();
    let html = String::from_utf8(fixed.html).unwrap();
    assert!(
        html.contains(
            "href=\"https://www.amazon.com/dp/B00TEST123?th=1&amp;psc=1&amp;tag=mysite-20#reviews\""
        ),
        "{html}"
    );
    assert!(
        fixed.report.findings.is_empty(),
        "{:?}",
        fixed.report.findings
    );
    // Without an Amazon id, it is moved all the same: a plain link, left untagged.
    let plain = format!("{DISCLOSED}<a href=\"https://smile.amazon.com/gp/help\">help</a>\n");
    let fixed = no_config().fix(plain.as_bytes()).unwrap();
    assert!(
        String::from_utf8(fixed.html)
            .unwrap()
            .contains("href=\"https://www.amazon.com/gp/help\"")
    );
}

#[test]
fn a_rule_file_declares_retired_hosts() {
    let rule = "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n\
        retired_hosts = [{ host = \"old.shop.example\", replacement = \"www.shop.example\", note = \"the old shop closed\" }]\n\
        [tagging]\nmethod = \"query\"\nparams = [{ name = \"ref\", value = \"{id}\" }]\n";
    let mut rules = RuleSet::shipped();
    rules.add(affilint::Program::parse("shop.toml", rule).unwrap());
    let config = Config::parse("c.toml", "[programs.shop]\ntag = \"me\"\n").unwrap();
    let engine = Engine::new(&rules, &config).unwrap();
    let page = "<p>We earn a commission from these links.</p>\
        <a href=\"https://old.shop.example/p/1\" rel=sponsored>x</a>";
    let fixed = engine.fix(page.as_bytes()).unwrap();
    assert!(
        String::from_utf8(fixed.html)
            .unwrap()
            .contains("https://www.shop.example/p/1?ref=me")
    );
    let bad = rule.replace("\"old.shop.example\"", "\"other.example\"");
    let err = affilint::Program::parse("shop.toml", &bad)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`other.example` must be one of the program's hosts"),
        "{err}"
    );
}

#[test]
fn init_from_nothing_readable_or_a_url_writes_nothing_and_says_why() {
    let dir = site(&[
        ("empty/notes.txt", "no pages here"),
        (
            "pages/a.html",
            "<a href=\"https://www.amazon.com/dp/B0?tag=them-20\">a</a>",
        ),
    ]);
    let out = run(dir.path(), &["init", "--from", "pages", "missing"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    crate::support::assert_says(&out, "--from missing: No such file or directory");
    assert!(!dir.path().join("affilint.toml").exists());
    for (from, says) in [
        (
            "empty",
            "no page or Markdown file could be read; no config written",
        ),
        (
            "missing",
            "--from missing: No such file or directory (os error 2); no config written",
        ),
        ("https://blog.example/", "init reads files, not live sites"),
    ] {
        let out = run(dir.path(), &["init", "--from", from], None);
        assert_eq!(out.status.code(), Some(2), "{from}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{from}: {}", stderr(&out));
        assert!(!dir.path().join("affilint.toml").exists(), "{from}");
    }
}

#[test]
fn init_from_writes_the_most_used_id_per_marketplace_and_notes_the_others() {
    let page = |links: &[&str]| {
        let mut page = String::from(DISCLOSED);
        for href in links {
            page.push_str(&format!("<a href=\"{href}\" rel=sponsored>x</a>\n"));
        }
        page
    };
    let dir = site(&[
        (
            "a.html",
            &page(&[
                "https://www.amazon.com/dp/B000000001?tag=mine-20",
                "https://www.amazon.com/dp/B000000002?tag=mine-20",
                "https://www.amazon.com/dp/B000000003?tag=guest-20",
                "https://www.amazon.co.uk/dp/B000000004?tag=mine-21",
                "https://www.ebay.com/itm/1?campid=123",
            ]),
        ),
        (
            "b.html",
            &page(&[
                "https://www.amazon.com/dp/B000000001?tag=mine-20",
                "https://amzn.to/abc",
                // An id that would end its comment line and write config of its own.
                "https://www.ebay.com/itm/2?campid=x%0A%5Bseverity%5D%0Auntagged-link%3D%22off%22",
            ]),
        ),
    ]);
    let out = run(dir.path(), &["init", "--from", "."], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = std::fs::read_to_string(dir.path().join("affilint.toml")).unwrap();
    for line in [
        "[programs.amazon]\ntag = \"mine-20\"  # amazon.com: 3 links on 2 pages\n",
        "[programs.amazon.marketplaces]\n\"amazon.co.uk\" = \"mine-21\"  # 1 link on 1 page\n",
        "# Other ids seen: \"guest-20\" on amazon.com (1 link on 1 page); `affilint check` \
         reports them as foreign-tag.\n",
        "# Short links: 1 link on 1 page to amzn.to",
        "# Other ids seen: \"123\" on ebay.com (1 link on 1 page, not a valid eBay Partner \
         Network id)",
    ] {
        assert!(config.contains(line), "{line}\n---\n{config}");
    }
    assert!(!config.contains("[programs.ebay]"), "{config}");
    assert!(
        !config.lines().any(|l| l.starts_with("[severity]")),
        "{config}"
    );
    assert!(
        config.contains("\"x\\u{a}[severity]\\u{a}untagged-link=\"off\"\" on ebay.com"),
        "{config}"
    );
    // With it, `check` knows the site's own ids.
    let out = run(dir.path(), &["check", "--format", "json"], None);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let foreign: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "foreign-tag")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(foreign, ["guest-20"]);
    // And it never overwrites.
    let again = run(dir.path(), &["init", "--from", "."], None);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("affilint.toml")).unwrap(),
        config
    );
}

/// The `href`s of `a` and `area` elements in a page, read with lol_html alone.
fn hrefs(page: &[u8]) -> Vec<String> {
    use lol_html::{HtmlRewriter, Settings, element};
    let mut found = Vec::new();
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(element!("a[href], area[href]", |el| {
            found.push(el.get_attribute("href").unwrap_or_default());
            Ok(())
        })),
        |_: &[u8]| {},
    );
    rewriter.write(page).unwrap();
    rewriter.end().unwrap();
    found
}

fn html_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            html_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

#[test]
#[ignore = "needs AFFILINT_CORPUS (a real WordPress export); bash .ci/run sets it"]
fn a_wordpress_export_with_no_config_gets_its_disclosures_checked_and_an_inventory() {
    let site = corpus().join("sites/wp-best2buy-export");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("site");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&site)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());

    // An independent count of the Amazon links: amazon.in links by `tag`, amzn.to links.
    let mut files = Vec::new();
    html_files(&copy, &mut files);
    let mut tagged: BTreeMap<String, (usize, BTreeSet<std::path::PathBuf>)> = BTreeMap::new();
    let mut short = (0usize, BTreeSet::new());
    let mut with_links = BTreeSet::new();
    for file in &files {
        for href in hrefs(&std::fs::read(file).unwrap()) {
            let Ok(url) = url::Url::parse(&href.replace("&amp;", "&")) else {
                continue;
            };
            let host = url.host_str().unwrap_or_default();
            if host == "amzn.to" {
                short.0 += 1;
                short.1.insert(file.clone());
                with_links.insert(file.strip_prefix(&copy).unwrap().to_path_buf());
            } else if (host == "amazon.in" || host.ends_with(".amazon.in"))
                && let Some((_, tag)) = url.query_pairs().find(|(k, _)| k == "tag")
            {
                let entry = tagged.entry(tag.into_owned()).or_default();
                entry.0 += 1;
                entry.1.insert(file.clone());
                with_links.insert(file.strip_prefix(&copy).unwrap().to_path_buf());
            }
        }
    }
    assert_eq!(tagged["kmramit56-21"].0, 145, "the corpus README's count");
    assert_eq!(short.0, 535);

    // No config: a disclosure finding on exactly the pages with a tagged or short link.
    let out = run(&copy, &["check", "--format", "json"], None);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let disclosure: BTreeSet<std::path::PathBuf> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let rule = f["rule"].as_str().unwrap();
            rule.ends_with("-disclosure") || rule == "missing-program-statement"
        })
        .map(|f| {
            Path::new(f["file"].as_str().unwrap())
                .strip_prefix("./")
                .unwrap()
                .to_path_buf()
        })
        .collect();
    assert_eq!(disclosure, with_links);
    assert_eq!(
        json["summary"]["affiliate_links"],
        145 + 535,
        "links without an id are plain links"
    );
    assert!(
        stderr(&out).contains(
            "found affiliate ids: amazon kmramit56-21 (145 links on 19 pages), amzn.to short \
             links (535 links on 63 pages); `affilint init --from .` makes them yours"
        ),
        "{}",
        stderr(&out)
    );

    // The inventory's counts are the independent ones.
    let out = run(&copy, &["inventory", "--format", "json"], None);
    let inventory: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = inventory["ids"].as_array().unwrap();
    for (tag, (links, pages)) in &tagged {
        let row = rows
            .iter()
            .find(|r| r["id"] == tag.as_str())
            .unwrap_or_else(|| panic!("{tag} in {rows:?}"));
        assert_eq!(row["host"], "amazon.in");
        assert_eq!(row["links"], *links);
        assert_eq!(row["pages"], pages.len());
    }
    let short_row = rows.iter().find(|r| r["host"] == "amzn.to").unwrap();
    assert_eq!(short_row["links"], short.0);
    assert_eq!(short_row["pages"], short.1.len());
    assert!(!inventory["products"].as_array().unwrap().is_empty());

    // init --from writes the site's id; check then reports no foreign-tag for it.
    let out = run(&copy, &["init", "--from", "."], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = std::fs::read_to_string(copy.join("affilint.toml")).unwrap();
    assert!(config.contains("tag = \"kmramit56-21\""), "{config}");
    let out = run(&copy, &["check", "--format", "short"], None);
    assert!(!stdout(&out).contains("foreign-tag"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("untagged-link"),
        "the 7 links without an id now need it"
    );
}
