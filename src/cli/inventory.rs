//! What a site links with: per program, host and affiliate id, and per product, how many
//! links on how many pages. `affilint inventory` prints it; `check` and `fix` use it to say
//! which ids they found for programs without an id in the config; `init --from` writes a
//! config from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Mutex;

use affilint::{AffiliateLink, CONFIG_FILE_NAME, Engine, Kind, Location, Site};
use rayon::prelude::*;
use serde::Serialize;

use super::args::{InventoryArgs, InventoryFormat};
use super::files::{self, FileError, Mode, Side, Sinks};
use super::interrupt::Interrupt;
use super::walk::{self, Excludes, Input};
use super::{CLEAN, FAILURE, build_engine, plural, printable};

/// An id row: program, the program's host (as its rule lists it) or short-link host, and the
/// id (`None`: a short link, or a link without an id).
pub(crate) type IdKey = (String, String, Option<String>);

/// The affiliate links of one page.
#[derive(Default)]
pub(crate) struct PageLinks {
    ids: BTreeMap<IdKey, (usize, bool)>,
    products: BTreeMap<(String, String), usize>,
}

impl PageLinks {
    /// Counts one link.
    pub(crate) fn record(&mut self, link: AffiliateLink) {
        if let Some(product) = &link.product {
            *self
                .products
                .entry((link.program.clone(), product.clone()))
                .or_default() += 1;
        }
        let entry = self
            .ids
            .entry((link.program, link.host, link.id))
            .or_insert((0, link.short));
        entry.0 += 1;
    }
}

/// Links and pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Count {
    pub(crate) links: usize,
    pub(crate) pages: usize,
}

/// The links of every page, counted.
#[derive(Default)]
pub(crate) struct Inventory {
    counts: Mutex<Counts>,
    /// Products are not counted: one entry per product would grow with the site, and
    /// only the inventory itself and the HTML report list them.
    ids_only: bool,
}

/// Counts by id and by product.
#[derive(Default)]
pub(crate) struct Counts {
    pub(crate) ids: BTreeMap<IdKey, (Count, bool)>,
    pub(crate) products: BTreeMap<(String, String), Count>,
    pub(crate) pages: usize,
}

impl Inventory {
    /// An inventory that counts the ids only, not the products.
    pub(crate) fn ids_only() -> Inventory {
        Inventory {
            ids_only: true,
            ..Inventory::default()
        }
    }

    /// Adds one page.
    pub(crate) fn add(&self, page: PageLinks) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.pages += 1;
        for (key, (links, short)) in page.ids {
            let (count, _) = counts.ids.entry(key).or_insert((Count::default(), short));
            count.links += links;
            count.pages += 1;
        }
        if self.ids_only {
            return;
        }
        for (key, links) in page.products {
            let count = counts.products.entry(key).or_default();
            count.links += links;
            count.pages += 1;
        }
    }

    pub(crate) fn into_counts(self) -> Counts {
        self.counts.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl Counts {
    /// The note `check` and `fix` print: the ids found for programs the config gives no id,
    /// or `None` when there are none.
    pub(crate) fn note(&self, active: &[&str], paths: &str) -> Option<String> {
        // One entry per program and id (over every host), short links per short host.
        let mut ids: BTreeMap<(&str, String), Count> = BTreeMap::new();
        for ((program, host, id), (count, short)) in &self.ids {
            if active.contains(&program.as_str()) {
                continue;
            }
            let what = match (id, short) {
                (Some(id), _) => format!("{program} {id}"),
                (None, true) => format!("{host} short links"),
                (None, false) => continue,
            };
            let entry = ids.entry((program, what)).or_default();
            entry.links += count.links;
            entry.pages += count.pages;
        }
        if ids.is_empty() {
            return None;
        }
        let found: Vec<String> = ids
            .iter()
            .map(|((_, what), count)| {
                format!(
                    "{what} ({} on {})",
                    plural(count.links, "link"),
                    plural(count.pages, "page")
                )
            })
            .collect();
        let whose = if active.is_empty() {
            "found affiliate ids"
        } else {
            "found affiliate ids of programs without an id in the config"
        };
        // `init --from` reads files: a live site's ids go into the config by hand.
        let make_yours = if paths.is_empty() {
            format!(
                "set them under [programs.<id>] in {CONFIG_FILE_NAME} (or give --tag \
                 PROGRAM=ID) to make them yours"
            )
        } else {
            format!("`affilint init --from {paths}` makes them yours")
        };
        Some(format!("{whose}: {}; {make_yours}", found.join(", ")))
    }
}

#[derive(Serialize)]
struct IdRow<'a> {
    program: &'a str,
    host: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    short: bool,
    links: usize,
    pages: usize,
}

#[derive(Serialize)]
struct ProductRow<'a> {
    program: &'a str,
    product: &'a str,
    links: usize,
    pages: usize,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    affiliate_links: usize,
    not_read: usize,
}

#[derive(Serialize)]
struct InventoryJson<'a> {
    ids: Vec<IdRow<'a>>,
    products: Vec<ProductRow<'a>>,
    summary: Summary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    file_errors: Vec<FileErrorRow>,
}

#[derive(Serialize)]
struct FileErrorRow {
    file: String,
    kind: &'static str,
    message: String,
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Renders the inventory.
fn render(counts: &Counts, failures: &[FileError], format: InventoryFormat) -> String {
    let affiliate_links: usize = counts.ids.values().map(|(c, _)| c.links).sum();
    let mut out = String::new();
    match format {
        InventoryFormat::Json => {
            let ids: Vec<IdRow<'_>> = counts
                .ids
                .iter()
                .map(|((program, host, id), (count, short))| IdRow {
                    program,
                    host,
                    id: id.as_deref(),
                    short: *short,
                    links: count.links,
                    pages: count.pages,
                })
                .collect();
            let products: Vec<ProductRow<'_>> = counts
                .products
                .iter()
                .map(|((program, product), count)| ProductRow {
                    program,
                    product,
                    links: count.links,
                    pages: count.pages,
                })
                .collect();
            let summary = Summary {
                files: counts.pages,
                affiliate_links,
                not_read: failures.len(),
            };
            let errors: Vec<FileErrorRow> = failures
                .iter()
                .map(|e| FileErrorRow {
                    file: e.location.to_string(),
                    kind: e.side.as_str(),
                    message: e.message.clone(),
                })
                .collect();
            let json = InventoryJson {
                ids,
                products,
                summary,
                file_errors: errors,
            };
            out = serde_json::to_string_pretty(&json).unwrap_or_default();
            out.push('\n');
        }
        InventoryFormat::Csv => {
            out.push_str("kind,program,host,id,product,links,pages\n");
            for ((program, host, id), (count, short)) in &counts.ids {
                let kind = if *short { "short" } else { "id" };
                let id = id.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "{kind},{},{},{},,{},{}",
                    csv(program),
                    csv(host),
                    csv(id),
                    count.links,
                    count.pages
                );
            }
            for ((program, product), count) in &counts.products {
                let _ = writeln!(
                    out,
                    "product,{},,,{},{},{}",
                    csv(program),
                    csv(product),
                    count.links,
                    count.pages
                );
            }
        }
        InventoryFormat::Human => {
            out.push_str("Affiliate ids (program, host, id)\n");
            if counts.ids.is_empty() {
                out.push_str("  none\n");
            }
            for ((program, host, id), (count, short)) in &counts.ids {
                let id = match (id, short) {
                    (Some(id), _) => printable(id).into_owned(),
                    (None, true) => "(short links)".to_owned(),
                    (None, false) => "(no id)".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "  {program:<12} {host:<22} {id:<24} {} on {}",
                    plural(count.links, "link"),
                    plural(count.pages, "page")
                );
            }
            if !counts.products.is_empty() {
                out.push_str("\nProducts (program, product)\n");
            }
            for ((program, product), count) in &counts.products {
                let product = printable(product);
                let _ = writeln!(
                    out,
                    "  {program:<12} {product:<24} {} on {}",
                    plural(count.links, "link"),
                    plural(count.pages, "page")
                );
            }
            let _ = writeln!(
                out,
                "\n{} read, {}",
                plural(counts.pages, "file"),
                plural(affiliate_links, "affiliate link")
            );
        }
    }
    out
}

/// The documents a walk found, the sites they belong to, and what could not be walked.
pub(crate) type Inputs = (Vec<Input>, Vec<Site>, Vec<FileError>);

/// Reads every input and counts its affiliate links.
pub(crate) fn gather(
    engine: &Engine,
    inputs: &[Input],
    sites: &[Site],
    jobs: usize,
) -> Result<(Counts, Vec<FileError>), String> {
    let interrupt = Interrupt::default();
    let inventory = Inventory::default();
    let failures = Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start {jobs} threads: {e}"))?;
    pool.install(|| {
        inputs.par_iter().for_each(|input| {
            let mut page = PageLinks::default();
            let sinks = Sinks {
                finding: &mut |_| {},
                affiliate_link: &mut |link| page.record(link),
            };
            let site = input.site.map(|i| &sites[i]);
            let from = files::From {
                site,
                #[cfg(feature = "live")]
                live: None,
            };
            let processed = files::process(engine, from, input, &Mode::Check, &interrupt, sinks);
            match processed.failure {
                Some((side, message)) => {
                    failures
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(FileError {
                            location: input.location.clone(),
                            side,
                            message,
                        })
                }
                None => inventory.add(page),
            }
        })
    });
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort_by(|a, b| a.location.cmp(&b.location));
    Ok((inventory.into_counts(), failures))
}

/// The inputs `paths` name, walked as `check` walks them.
pub(crate) fn inputs(
    paths: &[std::path::PathBuf],
    exclude: &[String],
    jobs: usize,
    kinds: &[Kind],
) -> Result<Inputs, String> {
    let walk = walk::collect(paths, &Excludes::new(exclude)?, None, jobs, kinds);
    let errors = walk
        .errors
        .into_iter()
        .map(|(location, message): (Location, String)| FileError {
            location,
            side: Side::Read,
            message,
        })
        .collect();
    Ok((walk.inputs, walk.sites, errors))
}

/// `affilint inventory`.
pub(crate) fn run(args: &InventoryArgs, out: &mut dyn Write) -> Result<u8, String> {
    let engine = build_engine(&args.engine)?;
    let jobs = args.walk.jobs();
    let kinds = args.walk.kinds();
    let (inputs, sites, mut failures) = inputs(&args.walk.paths, &args.walk.exclude, jobs, &kinds)?;
    let (counts, read_failures) = gather(&engine, &inputs, &sites, jobs)?;
    failures.extend(read_failures);
    for failure in &failures {
        failure.say();
    }
    let rendered = render(&counts, &failures, args.format);
    match out.write_all(rendered.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(format!("cannot write the inventory: {e}"));
        }
        _ => {}
    }
    Ok(if failures.is_empty() { CLEAN } else { FAILURE })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(program: &str, host: &str, id: Option<&str>, product: Option<&str>) -> AffiliateLink {
        let mut link = affilint_link();
        link.program = program.into();
        link.host = host.into();
        link.id = id.map(Into::into);
        link.product = product.map(Into::into);
        link.short = host == "amzn.to";
        link
    }

    /// An `AffiliateLink` made the only way outside the library: by checking a page.
    fn affilint_link() -> AffiliateLink {
        let engine =
            Engine::new(&affilint::RuleSet::shipped(), &affilint::Config::default()).unwrap();
        let mut found = None;
        let mut checker = engine.checker();
        checker.on_affiliate_link(|l| found = Some(l));
        checker
            .write(b"<a href=\"https://www.amazon.com/dp/B000000000?tag=x-20\">x</a>")
            .unwrap();
        checker.end().unwrap();
        found.unwrap()
    }

    #[test]
    fn links_are_counted_per_id_and_product_with_their_pages() {
        let inventory = Inventory::default();
        for _ in 0..2 {
            let mut page = PageLinks::default();
            page.record(link(
                "amazon",
                "amazon.in",
                Some("a-21"),
                Some("B00KA7VUD4"),
            ));
            page.record(link(
                "amazon",
                "amazon.in",
                Some("a-21"),
                Some("B00KA7VUD4"),
            ));
            page.record(link("amazon", "amzn.to", None, None));
            inventory.add(page);
        }
        let counts = inventory.into_counts();
        let key = (
            "amazon".to_owned(),
            "amazon.in".to_owned(),
            Some("a-21".to_owned()),
        );
        assert_eq!(counts.ids[&key].0, Count { links: 4, pages: 2 });
        let product = ("amazon".to_owned(), "B00KA7VUD4".to_owned());
        assert_eq!(counts.products[&product], Count { links: 4, pages: 2 });
        assert_eq!(
            counts.note(&[], "site").unwrap(),
            "found affiliate ids: amazon a-21 (4 links on 2 pages), amzn.to short links (2 \
             links on 2 pages); `affilint init --from site` makes them yours"
        );
        assert_eq!(counts.note(&["amazon"], "site"), None, "amazon has an id");
        let csv = render(&counts, &[], InventoryFormat::Csv);
        assert_eq!(
            csv,
            "kind,program,host,id,product,links,pages\nid,amazon,amazon.in,a-21,,4,2\n\
             short,amazon,amzn.to,,,2,2\nproduct,amazon,,,B00KA7VUD4,4,2\n"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("plain"), "plain");
    }
}
