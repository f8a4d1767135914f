//! Throughput of check and fix against a bare lol_html pass-through over the same input, in
//! the same run, so the ratios can be read from one report.
//!
//! Inputs:
//! - `site`: the synthetic blog from `../shared/bench/gen_site.py` (2,000 pages, seed 42),
//!   generated into `target/bench-site/` on first use (needs `python3`). Override the
//!   generator with `AFFILINT_BENCH_GEN`, the page count with `AFFILINT_BENCH_PAGES`.
//! - `lolhtml`: lol-html's own bench pages from the corpus (`AFFILINT_CORPUS`, default
//!   `../shared/corpus`), when present.
//!
//! `lol_html, empty link handler` is lol_html with an `a, area` handler that does nothing but
//! look at each link's attributes: what reporting links costs before affilint does anything.
//!
//! `check all, 2 threads` shares one engine between two threads, as `-j 2` does; its ratio
//! to `check all` is the parallel speed-up.
//!
//! The `site files` group reads every page from its file in each iteration, in the chunks
//! `affilint check` reads (the page cache is warm after the first pass): the job the command
//! line does, against a pass-through that reads the same files the same way.
//!
//! Run: `cargo bench --bench throughput` (add `-- site` for the site groups only).

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

mod common;

use affilint::{Config, Engine, RuleSet};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lol_html::{HtmlRewriter, Settings, element};
use rayon::prelude::*;

const CONFIG: &str = r#"
[programs.amazon]
tag = "gearnotes-20"
[programs.ebay]
tag = "5338000000"
"#;

const LINKS_ONLY: &str = r#"
[severity]
missing-disclosure = "off"
missing-program-statement = "off"
incomplete-disclosure = "off"
negated-disclosure = "off"
hidden-disclosure = "off"
late-disclosure = "off"
"#;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn site_pages() -> Vec<Vec<u8>> {
    site_files()
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect()
}

fn site_files() -> Vec<PathBuf> {
    common::site_files(&common::site_dir())
}

fn lolhtml_pages() -> Vec<Vec<u8>> {
    let corpus = std::env::var_os("AFFILINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../shared/corpus"));
    [
        "cloudflare.com.html",
        "ecma402-spec.html",
        "html-parsing-spec.html",
    ]
    .iter()
    .filter_map(|name| std::fs::read(corpus.join("lolhtml-bench").join(name)).ok())
    .collect()
}

fn engine(extra: &str) -> Engine {
    let config = Config::parse("bench.toml", &format!("{CONFIG}{extra}")).unwrap();
    Engine::new(&RuleSet::shipped(), &config).unwrap()
}

/// lol_html with no handlers: the floor affilint is measured against.
/// The page is written in one piece, as `Engine::check` writes it.
fn pass_through(page: &[u8]) -> usize {
    let mut emitted = 0;
    let mut rewriter = HtmlRewriter::new(Settings::new(), |chunk: &[u8]| emitted += chunk.len());
    rewriter.write(page).unwrap();
    rewriter.end().unwrap();
    emitted
}

/// lol_html with an `a, area` handler that only counts each link's attributes: the floor
/// under any job that reports links (with an element handler, lol_html's selector VM keeps a
/// stack of open elements and lexes every link's attributes).
fn link_handler_only(page: &[u8]) -> usize {
    let mut attributes = 0;
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(element!("a, area", |el| {
            attributes += el.attributes().len();
            Ok(())
        })),
        |_: &[u8]| {},
    );
    rewriter.write(page).unwrap();
    rewriter.end().unwrap();
    attributes
}

/// The same, reading `input` in the chunks `affilint check` reads files in.
fn pass_through_reader(mut input: impl Read) -> usize {
    let mut emitted = 0;
    let mut rewriter = HtmlRewriter::new(Settings::new(), |chunk: &[u8]| emitted += chunk.len());
    let mut buf = vec![0; 64 * 1024];
    loop {
        match input.read(&mut buf).unwrap() {
            0 => break,
            n => rewriter.write(&buf[..n]).unwrap(),
        }
    }
    rewriter.end().unwrap();
    emitted
}

/// Reading every file in each iteration, as `affilint check -j 1` does.
fn bench_files(c: &mut Criterion, name: &str, files: &[PathBuf]) {
    let bytes: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    let all = engine("");
    let open = |f: &PathBuf| File::open(f).unwrap();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("lol_html pass-through", bytes), |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| pass_through_reader(open(f)))
                .sum::<usize>()
        })
    });
    group.bench_function(BenchmarkId::new("check all", bytes), |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| {
                    let mut checker = all.checker();
                    checker.read_from(open(f)).unwrap();
                    checker.end().unwrap().findings.len()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

fn bench_group(c: &mut Criterion, name: &str, pages: &[Vec<u8>]) {
    if pages.is_empty() {
        eprintln!("bench group {name}: no input, skipped");
        return;
    }
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let all = engine("");
    let links_only = engine(LINKS_ONLY);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("lol_html pass-through", bytes), |b| {
        b.iter(|| pages.iter().map(|p| pass_through(p)).sum::<usize>())
    });
    group.bench_function(
        BenchmarkId::new("lol_html, empty link handler", bytes),
        |b| b.iter(|| pages.iter().map(|p| link_handler_only(p)).sum::<usize>()),
    );
    group.bench_function(BenchmarkId::new("check links only", bytes), |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|p| links_only.check(p).unwrap().findings.len())
                .sum::<usize>()
        })
    });
    group.bench_function(BenchmarkId::new("check all", bytes), |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|p| all.check(p).unwrap().findings.len())
                .sum::<usize>()
        })
    });
    group.bench_function(BenchmarkId::new("fix to buffer", bytes), |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|p| all.fix(p).unwrap().html.len())
                .sum::<usize>()
        })
    });
    // `-j 2` against `-j 1`: the same engine shared by two threads, as the CLI runs it.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    group.bench_function(BenchmarkId::new("check all, 2 threads", bytes), |b| {
        b.iter(|| {
            pool.install(|| {
                pages
                    .par_iter()
                    .map(|p| all.check(p).unwrap().findings.len())
                    .sum::<usize>()
            })
        })
    });
    group.finish();
}

/// Markdown posts as a static-site blog commits them, made from a seed: TOML front matter
/// with a product URL, headings, paragraphs with emphasis and inline links (a third of them
/// to Amazon), lists, a code block, a reference definition used twice, and a bare URL.
fn markdown_posts(count: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 42;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    const WORDS: &[&str] = &[
        "kettle", "trail", "water", "the", "a", "best", "review", "shoes", "light", "camp",
        "morning", "coffee", "and", "of", "pack", "weight", "grams", "we", "tested", "stove",
    ];
    (0..count)
        .map(|post| {
            let mut md = format!(
                "+++\ntitle = \"Post {post}\"\ndate = 2024-05-{:02}\nproduct_url = \
                 \"https://www.amazon.com/dp/B0{post:08}\"\n+++\n\n",
                1 + post % 28
            );
            for section in 0..6 {
                md.push_str(&format!("## Section {section}\n\n"));
                for _ in 0..3 {
                    for w in 0..60 {
                        let word = WORDS[next(WORDS.len())];
                        match next(40) {
                            0 => md.push_str(&format!(
                                "[{word}](https://www.amazon.com/dp/B0{:08}?ref=x) ",
                                next(1_000_000)
                            )),
                            1 => md.push_str(&format!("[{word}](https://example.com/{w}) ")),
                            2 => md.push_str(&format!("*{word}* ")),
                            3 => md.push_str(&format!("`{word}` ")),
                            _ => {
                                md.push_str(word);
                                md.push(' ');
                            }
                        }
                    }
                    md.push_str("\n\n");
                }
                md.push_str(
                    "- one [pick][gear]\n- two\n- three https://www.amazon.com/dp/B0BARE\n\n",
                );
            }
            md.push_str("```toml\n[x]\ny = 1\n```\n\nAgain: [the pick][gear].\n\n");
            md.push_str("[gear]: https://www.amazon.com/dp/B0GEAR \"Gear\"\n");
            md.into_bytes()
        })
        .collect()
}

/// Markdown `check` against a bare pulldown-cmark parse of the same posts (every event read).
fn bench_markdown(c: &mut Criterion) {
    let posts = markdown_posts(400);
    let bytes: usize = posts.iter().map(Vec::len).sum();
    let engine = engine("");
    let options = pulldown_cmark::Options::ENABLE_TABLES
        | pulldown_cmark::Options::ENABLE_FOOTNOTES
        | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
        | pulldown_cmark::Options::ENABLE_TASKLISTS
        | pulldown_cmark::Options::ENABLE_GFM
        | pulldown_cmark::Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | pulldown_cmark::Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut group = c.benchmark_group("markdown");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(BenchmarkId::new("pulldown-cmark parse", bytes), |b| {
        b.iter(|| {
            posts
                .iter()
                .map(|p| {
                    let text = std::str::from_utf8(p).unwrap();
                    pulldown_cmark::Parser::new_ext(text, options)
                        .into_offset_iter()
                        .count()
                })
                .sum::<usize>()
        })
    });
    group.bench_function(BenchmarkId::new("check", bytes), |b| {
        b.iter(|| {
            posts
                .iter()
                .map(|p| {
                    let mut checker = engine.checker_for(affilint::Kind::Markdown);
                    checker.write(p).unwrap();
                    checker.end().unwrap().findings.len()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_markdown(c);
    bench_group(c, "site", &site_pages());
    bench_files(c, "site files", &site_files());
    bench_group(c, "lolhtml", &lolhtml_pages());
}

criterion_group!(throughput, benches);
criterion_main!(throughput);
