//! Live sites: `affilint check URL` over the generated blog served on 127.0.0.1 (a sitemap
//! listing every page), against a bare fetch of the same pages at the same concurrency (four
//! connections), in the same run: pages per second, and their ratio. Then the peak memory of
//! one `affilint check` over the whole site, printed (`AFFILINT_BENCH_PAGES=10000` for the
//! 10,000 pages the README quotes).
//!
//! Run: `cargo bench --bench live`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CONNECTIONS: usize = 4;
const CONFIG: &str =
    "[programs.amazon]\ntag = \"gearnotes-20\"\n[programs.ebay]\ntag = \"5338000000\"\n";

/// Serves `root`'s files, a robots.txt naming a sitemap, and the sitemap of `paths`.
fn serve(root: PathBuf, paths: Vec<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let urls: String = paths
        .iter()
        .map(|p| format!("<url><loc>{base}{p}</loc></url>"))
        .collect();
    let sitemap = Arc::new(format!("<?xml version=\"1.0\"?><urlset>{urls}</urlset>"));
    let robots = Arc::new(format!("User-agent: *\nSitemap: {base}/sitemap.xml\n"));
    let root = Arc::new(root);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (root, sitemap, robots) = (root.clone(), sitemap.clone(), robots.clone());
            std::thread::spawn(move || {
                let _ = respond(stream, &root, &sitemap, &robots);
            });
        }
    });
    base
}

fn respond(mut stream: TcpStream, root: &Path, sitemap: &str, robots: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let (kind, body) = match path.as_str() {
        "/robots.txt" => ("text/plain", robots.as_bytes().to_vec()),
        "/sitemap.xml" => ("application/xml", sitemap.as_bytes().to_vec()),
        _ => {
            let file = root.join(path.trim_start_matches('/')).join("index.html");
            let file = if file.is_file() {
                file
            } else {
                root.join(path.trim_start_matches('/'))
            };
            (
                "text/html; charset=utf-8",
                std::fs::read(file).unwrap_or_default(),
            )
        }
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

/// Every URL fetched and read to its end, `CONNECTIONS` at a time.
fn bare_fetch(agent: &ureq::Agent, urls: &[String]) -> u64 {
    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..CONNECTIONS {
            scope.spawn(|| {
                while let Some(url) = urls.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let response = agent.get(url).call().expect("fetch");
                    let mut body = response.into_body().into_reader();
                    let read = std::io::copy(&mut body, &mut std::io::sink()).expect("read");
                    bytes.fetch_add(read as usize, Ordering::Relaxed);
                }
            });
        }
    });
    bytes.into_inner() as u64
}

fn affilint(base: &str, config: &Path, pages: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_affilint"));
    command
        .arg("check")
        .arg(format!("{base}/"))
        .arg("-c")
        .arg(config)
        .args(["--rate", "0", "--format", "short", "--quiet"])
        .args(["--connections", &CONNECTIONS.to_string()])
        .args(["--max-pages", &pages.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The peak resident memory of one run, in KiB (the child's own, from `wait4`).
#[expect(
    clippy::zombie_processes,
    reason = "wait4 below reaps it, with its own rusage"
)]
fn peak_memory_kib(mut command: Command) -> i64 {
    let child = command.spawn().expect("affilint runs");
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct that wait4 fills in; the pid is our child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: waits for our own child, with valid pointers to locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    usage.ru_maxrss
}

fn bench_live(c: &mut Criterion) {
    let dir = common::site_dir();
    let paths: Vec<String> = common::site_files(&dir)
        .iter()
        .map(|f| {
            let relative = f.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
            format!("/{}", relative.trim_end_matches("index.html"))
        })
        .collect();
    let base = serve(dir.clone(), paths.clone());
    let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
    let config =
        std::env::temp_dir().join(format!("affilint-live-bench-{}.toml", std::process::id()));
    std::fs::write(&config, CONFIG).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().proxy(None).build().into();

    let mut group = c.benchmark_group("live");
    group.throughput(Throughput::Elements(urls.len() as u64));
    group.sample_size(10);
    group.bench_function("bare fetch", |b| b.iter(|| bare_fetch(&agent, &urls)));
    group.bench_function("affilint check", |b| {
        b.iter(|| {
            affilint(&base, &config, urls.len())
                .status()
                .expect("affilint runs")
        })
    });
    group.finish();

    let kib = peak_memory_kib(affilint(&base, &config, urls.len()));
    eprintln!(
        "live: peak memory of `affilint check` over {} pages: {:.1} MiB",
        urls.len(),
        kib as f64 / 1024.0
    );
    let _ = std::fs::remove_file(&config);
}

criterion_group!(live, bench_live);
criterion_main!(live);
