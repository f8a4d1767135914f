//! `check URL`: a live site served by a server these tests start on 127.0.0.1 (and nothing
//! else is ever asked): the example site as a WordPress site (a `wp-sitemap.xml` index, one
//! of its sitemaps gzipped, a robots.txt that disallows a directory), and endpoints that
//! misbehave. The live findings equal those of `check` on the same files, page for page.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support::{assert_says, corpus, repo, run, stderr, stdout};

/// What the server answers.
enum Body {
    Bytes(Vec<u8>),
    /// This many bytes of filler HTML, written as they go.
    Endless(usize),
    /// Nothing for this long, then a page.
    Late(Duration),
}

struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

fn answer(status: u16, kind: &str, body: impl Into<Vec<u8>>) -> Answer {
    Answer {
        status,
        headers: vec![("Content-Type", kind.to_owned())],
        body: Body::Bytes(body.into()),
    }
}

/// How many times `log` holds `path`.
fn asked_in(log: &[String], path: &str) -> usize {
    log.iter().filter(|p| *p == path).count()
}

/// Each finding of a JSON report, as the values of `fields` (empty where it has none).
fn finding_fields(report: &Value, fields: &[&str]) -> Vec<Vec<String>> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            fields
                .iter()
                .map(|field| f[*field].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

/// A redirect to `to`.
fn redirect(status: u16, to: &str) -> Answer {
    Answer {
        status,
        headers: vec![("Location", to.to_owned())],
        body: Body::Bytes(Vec::new()),
    }
}

/// A server on 127.0.0.1: each request's path and User-Agent are logged.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<(String, String)>>>,
}

impl Server {
    /// The paths asked so far, in order.
    fn paths(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// `--connect-to` sending `host`'s port 80 here.
    fn connect_to(&self, host: &str) -> String {
        let port = self.base.rsplit(':').next().unwrap_or_default();
        format!("{host}:80:127.0.0.1:{port}")
    }
}

/// A request as the routes see it.
struct Asked<'a> {
    path: &'a str,
    /// The `Host` header.
    host: &'a str,
    /// `http://127.0.0.1:PORT`.
    base: &'a str,
}

fn serve(routes: impl Fn(&Asked<'_>) -> Answer + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let routes = Arc::new(routes);
    let server_log = log.clone();
    let server_base = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (routes, log, base) = (routes.clone(), server_log.clone(), server_base.clone());
            std::thread::spawn(move || {
                let _ = respond(stream, &base, &*routes, &log);
            });
        }
    });
    Server { base, log }
}

fn respond(
    mut stream: TcpStream,
    base: &str,
    routes: &dyn Fn(&Asked<'_>) -> Answer,
    log: &Mutex<Vec<(String, String)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
    let (mut agent, mut host) = (String::new(), String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("user-agent:") {
            agent = value.trim().to_owned();
        } else if let Some(value) = lower.strip_prefix("host:") {
            host = value.trim().to_owned();
        }
    }
    log.lock().unwrap().push((path.clone(), agent));
    let answer = routes(&Asked {
        path: &path,
        host: &host,
        base,
    });
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match answer.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            stream.write_all(head.as_bytes())?;
            stream.write_all(&bytes)?;
        }
        Body::Endless(size) => {
            head.push_str(&format!("Content-Length: {size}\r\n\r\n"));
            stream.write_all(head.as_bytes())?;
            let chunk = "<p>filler</p>\n".repeat(4096);
            let mut sent = 0;
            while sent < size {
                stream.write_all(chunk.as_bytes())?;
                sent += chunk.len();
            }
        }
        Body::Late(wait) => {
            std::thread::sleep(wait);
            head.push_str("Content-Length: 4\r\n\r\n<p>x");
            stream.write_all(head.as_bytes())?;
        }
    }
    stream.flush()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    out.write_all(bytes).unwrap();
    out.finish().unwrap()
}

fn urlset(base: &str, paths: &[&str]) -> String {
    let urls: String = paths
        .iter()
        .map(|p| format!("<url><loc>{base}{p}</loc></url>"))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"
    )
}

/// The example site's pages, by URL path, and the file each is.
fn example_pages() -> Vec<(String, PathBuf)> {
    pages_of(&repo().join("examples/site"))
}

/// The pages under `root`, by URL path, and the file each is.
fn pages_of(root: &Path) -> Vec<(String, PathBuf)> {
    let root = root.to_path_buf();
    let mut pages = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let url = format!("/{}", relative.trim_end_matches("index.html"));
                pages.push((url, path));
            }
        }
    }
    pages.sort();
    pages
}

/// The example site as WordPress serves it, and the endpoints that misbehave.
fn wordpress() -> Server {
    wordpress_of(&repo().join("examples/site"))
}

/// The site under `root` as WordPress serves it (half its pages in the posts' sitemap, the
/// other half in the pages' gzipped one), and the endpoints that misbehave.
fn wordpress_of(root: &Path) -> Server {
    let pages: HashMap<String, Vec<u8>> = pages_of(root)
        .into_iter()
        .map(|(url, path)| (url, std::fs::read(path).unwrap()))
        .collect();
    let mut listed: Vec<String> = pages.keys().cloned().collect();
    listed.sort();
    let pages_sitemap: Vec<String> = listed.split_off(listed.len() / 2);
    let flaky = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    // Made once: a page of 8 MiB of spaces, gzipped to a few kilobytes.
    let bomb = gzip(&vec![b' '; 8 << 20]);
    serve(move |asked| {
        let Asked { path, host, base } = *asked;
        let html = "text/html; charset=UTF-8";
        // The bare host sends everyone to `www.`, as WordPress sites do.
        if host.starts_with("blog.example") {
            return redirect(301, &format!("http://www.blog.example{path}"));
        }
        let base = if host.starts_with("www.blog.example") {
            "http://www.blog.example"
        } else {
            base
        };
        match path {
            "/robots.txt" => answer(
                200,
                "text/plain",
                format!(
                    "User-agent: *\nDisallow: /private/\n\nSitemap: {base}/wp-sitemap.xml\n\
                     Sitemap: http://127.0.0.2:9/sitemap.xml\n"
                ),
            ),
            "/wp-sitemap.xml" => answer(
                200,
                "application/xml",
                format!(
                    "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
                     <sitemap><loc>{base}/wp-sitemap-posts-post-1.xml</loc></sitemap>\
                     <sitemap><loc>{base}/wp-sitemap-posts-page-1.xml.gz</loc></sitemap>\
                     <sitemap><loc>{base}/wp-sitemap-broken.xml</loc></sitemap></sitemapindex>"
                ),
            ),
            "/wp-sitemap-posts-post-1.xml" => {
                let mut paths: Vec<&str> = listed.iter().map(String::as_str).collect();
                paths.extend([
                    "/private/secret/",
                    "/flaky/",
                    "/busy/",
                    "/loop/",
                    "/away/",
                    "/big/",
                    "/bomb/",
                    "/data.json",
                    "/gone/",
                    "/to-private/",
                ]);
                // Yoast and Rank Math list each post's images too: not pages.
                let images = format!(
                    "<url><loc>{base}/gone/</loc><image:image><image:loc>{base}/a.jpg</image:loc>\
                     </image:image></url></urlset>"
                );
                let set = urlset(base, &paths).replace("</urlset>", &images).replace(
                    "<urlset ",
                    "<urlset xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\" ",
                );
                answer(200, "application/xml", set)
            }
            "/wp-sitemap-posts-page-1.xml.gz" => answer(
                200,
                "application/gzip",
                gzip(
                    urlset(
                        base,
                        &pages_sitemap.iter().map(String::as_str).collect::<Vec<_>>(),
                    )
                    .as_bytes(),
                ),
            ),
            "/wp-sitemap-broken.xml" => answer(200, "application/xml", "<urlset><url><loc>x</url>"),
            "/flaky/" if flaky.fetch_add(1, Ordering::SeqCst) == 0 => answer(500, html, "oops"),
            "/busy/" if busy.fetch_add(1, Ordering::SeqCst) == 0 => Answer {
                status: 429,
                headers: vec![("Retry-After", "1".to_owned())],
                body: Body::Bytes(Vec::new()),
            },
            "/flaky/" | "/busy/" => answer(200, html, "<p>Back.</p>"),
            "/loop/" => redirect(302, "/loop/"),
            // Inside the site, to where robots.txt says no.
            "/to-private/" => redirect(301, "/private/other/"),
            // Inside the site, to a page nothing links to.
            "/to-hidden" => redirect(301, "/hidden/"),
            "/kit" => redirect(301, "/gear/marathon-travel-kit/"),
            "/away/" => redirect(301, "http://127.0.0.2:9/elsewhere"),
            "/big/" => Answer {
                status: 200,
                headers: vec![("Content-Type", html.to_owned())],
                body: Body::Endless(100 << 20),
            },
            "/bomb/" => Answer {
                status: 200,
                headers: vec![
                    ("Content-Type", html.to_owned()),
                    ("Content-Encoding", "gzip".to_owned()),
                ],
                body: Body::Bytes(bomb.clone()),
            },
            "/data.json" => answer(200, "application/json", "{}"),
            "/slow/" => Answer {
                status: 200,
                headers: vec![("Content-Type", html.to_owned())],
                body: Body::Late(Duration::from_secs(5)),
            },
            _ => match pages.get(path) {
                Some(page) => answer(200, html, page.clone()),
                None => answer(404, html, "<p>Not found</p>"),
            },
        }
    })
}

/// Findings per document: (rule, line, column, message).
fn by_file(report: &Value) -> HashMap<String, Vec<(String, u64, u64, String)>> {
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for f in report["findings"].as_array().unwrap() {
        out.entry(f["file"].as_str().unwrap().to_owned())
            .or_default()
            .push((
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            ));
    }
    out
}

#[test]
fn a_live_wordpress_site_is_checked_page_for_page_as_its_files_are() {
    let server = wordpress();
    let dir = tempfile::tempdir().unwrap();
    let site = format!("{}/", server.base);
    let out = run(
        dir.path(),
        &[
            "check",
            &site,
            "--format",
            "json",
            "--rate",
            "0",
            "--max-page-mib",
            "1",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "pages could not be read: {}",
        stderr(&out)
    );
    assert_says(
        &out,
        "robots.txt names a sitemap on another site, http://127.0.0.2:9/sitemap.xml: not read",
    );
    let live = serde_json::from_str::<Value>(&stdout(&out)).unwrap();
    let on_disk = run(
        &repo(),
        &["check", "examples/site", "--format", "json"],
        None,
    );
    let on_disk: Value = serde_json::from_str(&stdout(&on_disk)).unwrap();
    let live_files = by_file(&live);
    let disk_files = by_file(&on_disk);
    for (url, path) in example_pages() {
        let file = path
            .strip_prefix(repo())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            live_files.get(&format!("{}{url}", server.base)),
            disk_files.get(&file),
            "{url} live and {file} on disk"
        );
    }
    // What could not be checked, each with why; the others were checked all the same.
    let errors: HashMap<String, String> = live["file_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap();
            let path = file.strip_prefix(&server.base).unwrap_or(file).to_owned();
            (path, e["message"].as_str().unwrap().to_owned())
        })
        .collect();
    let expect = |path: &str, says: &str| {
        let message = errors
            .get(path)
            .unwrap_or_else(|| panic!("{path} in file_errors: {errors:?}"));
        assert!(message.contains(says), "{path}: {message}");
    };
    expect("/loop/", "redirects in a loop");
    expect(
        "/away/",
        "redirected off the site, to http://127.0.0.2:9/elsewhere",
    );
    expect("/big/", "larger than 1 MiB once decompressed");
    expect("/bomb/", "larger than 1 MiB once decompressed");
    expect("/data.json", "not HTML (Content-Type: application/json)");
    expect("/gone/", "HTTP 404");
    expect("/wp-sitemap-broken.xml", "sitemap not read");
    // A listed page that redirects where robots.txt says no is not checked, and said so.
    assert!(!errors.contains_key("/to-private/"), "{errors:?}");
    assert_says(
        &out,
        "1 page(s) not checked: they redirect to pages robots.txt",
    );
    assert!(
        !errors.contains_key("/flaky/") && !errors.contains_key("/busy/"),
        "{errors:?}"
    );
    let summary = &live["summary"];
    assert_eq!(
        summary["files"].as_u64().unwrap() as usize,
        example_pages().len() + 2,
        "the example's pages, /flaky/ and /busy/: {summary}"
    );
    // robots.txt was read first and obeyed; every request says who is asking.
    let log = server.log.lock().unwrap();
    assert_eq!(log[0].0, "/robots.txt");
    assert!(
        log.iter().all(|(path, _)| path != "/a.jpg"),
        "images are no pages: {log:?}"
    );
    assert!(
        log.iter().all(|(path, _)| !path.starts_with("/private/")),
        "{log:?}"
    );
    assert!(
        log.iter().all(|(_, agent)| agent.starts_with("affilint/")),
        "{log:?}"
    );
    let retried = |p: &str| log.iter().filter(|(path, _)| path == p).count();
    assert_eq!((retried("/flaky/"), retried("/busy/")), (2, 2));
}

/// `check --crawl URL --format json --rate 0` in `dir`, with `extra` arguments.
fn crawl(dir: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let args = [
        &["check", "--crawl", url, "--format", "json", "--rate", "0"][..],
        extra,
    ]
    .concat();
    run(dir, &args, None)
}

/// Copies the directory `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn a_crawl_follows_the_site_links_once_each_within_robots_and_finds_what_check_finds_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_dir(&repo().join("examples/site"), &site);
    // The home page links on to a page of links: through its `<base>`, to a page already
    // met, to files, to nothing, off the site, and where robots.txt says no.
    let mut home = std::fs::read_to_string(site.join("index.html")).unwrap();
    home.push_str("<a href=\"/more/#top\">More</a>\n");
    std::fs::write(site.join("index.html"), home).unwrap();
    std::fs::create_dir_all(site.join("more")).unwrap();
    std::fs::write(
        site.join("more/index.html"),
        "<html><head><base href=\"/gear/\"></head><body>\
         <a href=\"marathon-travel-kit/\">Kit</a> <a href=\"/more/\">Here</a>\
         <a href=\"/guide.pdf\">Guide</a> <a href=\"/gone/\">Gone</a> <a href=\"/away/\">Away</a>\
         <a href=\"/private/secret/\">Secret</a> <a href=\"http://127.0.0.2:9/\">Elsewhere</a>\
         <a href=\"/more/?a=1&amp;b=2\">Again</a> <a href=\"/to-private/\">Through</a>\
         <a href=\"/kit\">Kit again</a> <a href=\"/loop/\">Round</a>\
         <a href=\"/to-hidden\">Hidden</a>\
         <a href=\"https://www.amazon.com/dp/B000000001\">A watch</a></body></html>",
    )
    .unwrap();
    std::fs::create_dir_all(site.join("hidden")).unwrap();
    std::fs::write(
        site.join("hidden/index.html"),
        "<p>Only a redirect leads here: <a href=\"https://www.amazon.com/dp/B000000002\">a \
         kettle</a></p>",
    )
    .unwrap();
    let server = wordpress_of(&site);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = crawl(elsewhere.path(), &format!("{}/", server.base), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    // Two categories, /gone/, /away/, /loop/ (to itself), and /more/?a=1&b=2 (the test
    // server has no such page).
    assert!(said.contains("--crawl: 6 link(s) led to no page"), "{said}");
    assert!(
        said.contains("/category/destinations/ (HTTP 404)"),
        "{said}"
    );
    // /kit (to a page met before), /to-private/ (to one robots.txt disallows), /to-hidden
    // (to a page nothing links to: checked under its own URL).
    assert!(
        said.contains("--crawl: 3 link(s) redirect inside the site"),
        "{said}"
    );
    assert!(
        said.contains("--crawl: 2 page(s) not checked: robots.txt disallows them"),
        "{said}"
    );
    let live: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let on_disk = run(dir.path(), &["check", "site", "--format", "json"], None);
    let on_disk: Value = serde_json::from_str(&stdout(&on_disk)).unwrap();
    let (live_files, disk_files) = (by_file(&live), by_file(&on_disk));
    let pages = pages_of(&site);
    for (url, path) in &pages {
        let file = path
            .strip_prefix(dir.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            live_files.get(&format!("{}{url}", server.base)),
            disk_files.get(&file),
            "{url} live and {file} on disk"
        );
    }
    assert_eq!(
        live["summary"]["files"].as_u64(),
        Some(pages.len() as u64),
        "every page reached by a link, and nothing else"
    );
    assert!(live.get("file_errors").is_none(), "{live}");
    // Each page asked for once; no sitemap, no file, nothing disallowed, no other host.
    let log = server.log.lock().unwrap();
    let asked: Vec<&str> = log.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(asked[0], "/robots.txt");
    let mut unique = asked.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), asked.len(), "{asked:?}");
    for never in [
        "/guide.pdf",
        "/private/secret/",
        "/private/other/",
        "/wp-sitemap.xml",
    ] {
        assert!(!asked.contains(&never), "{never}: {asked:?}");
    }
    // An attribute value as written: `&amp;` is `&`.
    assert!(asked.contains(&"/more/?a=1&b=2"), "{asked:?}");
    drop(log);
    // From the bare host that sends everyone to `www.`: the home page, where it really is,
    // is checked once (its links to `/` are to a page already read: as many pages as files),
    // the others under `www.`, by its own robots.txt.
    let out = crawl(
        elsewhere.path(),
        "http://blog.example/",
        &[
            "--connect-to",
            &server.connect_to("blog.example"),
            "--connect-to",
            &server.connect_to("www.blog.example"),
        ],
    );
    let adopted: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        adopted["summary"]["files"].as_u64(),
        Some(pages.len() as u64),
        "{}",
        stderr(&out)
    );
    let files: std::collections::HashSet<&str> = adopted["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        files.contains("http://www.blog.example/2015/03/pyongyang-marathon/"),
        "{files:?}"
    );
    // --max-pages bounds the crawl.
    let out = crawl(
        elsewhere.path(),
        &format!("{}/", server.base),
        &["--max-pages", "2"],
    );
    let live: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        live["summary"]["files"].as_u64(),
        Some(2),
        "{}",
        stderr(&out)
    );
    assert_says(&out, "--crawl: stopped at --max-pages 2");
}

#[test]
fn a_url_named_that_redirects_where_robots_txt_says_no_is_an_error() {
    let server = wordpress();
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "check",
            &format!("{}/to-private/", server.base),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message = report["file_errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("which robots.txt disallows"), "{message}");
    let log = server.log.lock().unwrap();
    assert!(
        log.iter().all(|(p, _)| !p.starts_with("/private/")),
        "{log:?}"
    );
}

#[test]
fn a_page_url_is_checked_by_itself_and_fix_refuses_urls() {
    let server = wordpress();
    let dir = tempfile::tempdir().unwrap();
    let page = format!("{}/2015/03/pyongyang-marathon/", server.base);
    let out = run(dir.path(), &["check", &page, "--format", "sarif"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            page.as_str()
        );
    }
    let requested = server.paths();
    assert_eq!(requested, ["/robots.txt", "/2015/03/pyongyang-marathon/"]);
    server.log.lock().unwrap().clear();
    // Two pages of one site: its robots.txt is read once.
    let about = format!("{}/about/", server.base);
    run(
        dir.path(),
        &["check", &page, &about, "--format", "short"],
        None,
    );
    let log = server.log.lock().unwrap().clone();
    assert_eq!(
        log.iter().filter(|(p, _)| p == "/robots.txt").count(),
        1,
        "{log:?}"
    );

    // GitHub annotations name no file for a live page: the URL is in their text.
    let out = run(dir.path(), &["check", &page, "--format", "github"], None);
    let text = stdout(&out);
    assert!(
        text.lines()
            .filter(|l| l.starts_with("::"))
            .all(|l| !l.contains("file=")),
        "{text}"
    );
    assert!(
        text.contains(&format!("::{page}:39:133: ")) || text.contains(&format!("{page}:39:133")),
        "{text}"
    );

    let out = run(dir.path(), &["fix", &page], None);
    assert_eq!(out.status.code(), Some(2));
    assert_says(&out, "fix works on files, not on a live site");
}

#[test]
fn connect_to_sends_a_host_to_the_test_server() {
    let server = wordpress();
    let dir = tempfile::tempdir().unwrap();
    let mapping = server.connect_to("shop.example");
    let out = run(
        dir.path(),
        &[
            "check",
            "http://shop.example/2015/03/pyongyang-marathon/",
            "--connect-to",
            &mapping,
            "--format",
            "short",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "http://shop.example/2015/03/pyongyang-marathon/:39:133: error[incomplete-disclosure]"
        ),
        "{}",
        stdout(&out)
    );
    let bad = run(
        dir.path(),
        &["check", "http://x.example/", "--connect-to", "nope"],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert_says(&bad, "HOST:PORT:HOST2:PORT2");
}

#[test]
fn a_bare_host_that_sends_everyone_to_www_is_one_site_and_a_slow_page_times_out() {
    let server = wordpress();
    let dir = tempfile::tempdir().unwrap();
    let (bare, www) = (
        server.connect_to("blog.example"),
        server.connect_to("www.blog.example"),
    );
    let out = run(
        dir.path(),
        &[
            "check",
            "http://blog.example/",
            "--connect-to",
            &bare,
            "--connect-to",
            &www,
            "--rate",
            "0",
            "--max-page-mib",
            "1",
            "--format",
            "json",
        ],
        None,
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files = by_file(&report);
    assert!(
        files.contains_key("http://www.blog.example/2015/03/pyongyang-marathon/"),
        "the pages are read where the site is: {:?} {}",
        files.keys(),
        stderr(&out)
    );

    let slow = format!("{}/slow/", server.base);
    let out = run(
        dir.path(),
        &[
            "check",
            &slow,
            "--timeout",
            "1",
            "--retries",
            "0",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message = report["file_errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("timed out") || message.contains("timeout"),
        "{message}"
    );
}

#[test]
fn a_robots_txt_that_cannot_be_read_stops_the_site_not_the_run() {
    let server = serve(|asked| match asked.path {
        "/robots.txt" => answer(503, "text/plain", "down"),
        _ => answer(200, "text/html", "<p>x</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "check",
            &format!("{}/", server.base),
            "--retries",
            "0",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message = report["file_errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("robots.txt could not be read"),
        "{message}"
    );
    let log = server.log.lock().unwrap();
    assert_eq!(
        log.len(),
        1,
        "nothing but robots.txt was asked for: {log:?}"
    );
}

/// A real WordPress export (the corpus's), served live: its findings are those of `check`
/// over its files, page for page.
#[test]
#[ignore]
fn the_corpus_wordpress_export_live_reads_as_its_files() {
    let root = corpus().join("sites/wp-best2buy-export");
    let server = wordpress_of(&root);
    let dir = tempfile::tempdir().unwrap();
    let site = format!("{}/", server.base);
    let out = run(
        dir.path(),
        &["check", &site, "--format", "json", "--rate", "0"],
        None,
    );
    let live: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files: Vec<String> = pages_of(&root)
        .iter()
        .map(|(_, path)| path.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["check", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let on_disk = run(dir.path(), &args, None);
    let on_disk: Value = serde_json::from_str(&stdout(&on_disk)).unwrap();
    let (live_files, disk_files) = (by_file(&live), by_file(&on_disk));
    let pages = pages_of(&root);
    assert!(pages.len() > 100, "{}", pages.len());
    let mut compared = 0;
    for (url, path) in pages {
        assert_eq!(
            live_files.get(&format!("{}{url}", server.base)),
            disk_files.get(path.to_string_lossy().as_ref()),
            "{url}"
        );
        compared += usize::from(disk_files.contains_key(path.to_string_lossy().as_ref()));
    }
    assert!(compared > 50, "pages with findings compared: {compared}");
}

/// A short-link host (amzn.to, sent to the test server): where each link goes.
fn short_link_host() -> Server {
    serve(|asked| {
        let to = |target: &str| redirect(301, target);
        match asked.path {
            "/ours" => to("https://www.amazon.com/dp/B0OURS0001?tag=mysite-20"),
            "/theirs" => to("https://www.amazon.com/dp/B0THEIRS01?tag=someone-20"),
            "/bare" => to("https://www.amazon.com/dp/B0BARE0001"),
            _ => answer(404, "text/html", "<p>gone</p>"),
        }
    })
}

#[test]
fn short_links_are_judged_where_they_go_online_then_offline_from_the_cache_and_fixed() {
    let host = short_link_host();
    let dir = crate::support::site(&[
        ("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n"),
        (
            "post.html",
            "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
             <a href=\"http://amzn.to/ours\" rel=\"sponsored\">a</a>\n\
             <a href=\"http://amzn.to/theirs\" rel=\"sponsored\">b</a>\n\
             <a href=\"http://amzn.to/bare\" rel=\"sponsored\">c</a>\n\
             <a href=\"http://amzn.to/gone\" rel=\"sponsored\">d</a>\n",
        ),
    ]);
    let rules = |out: &std::process::Output| {
        let report: Value = serde_json::from_str(&stdout(out)).unwrap();
        finding_fields(&report, &["rule", "url"])
    };
    let expected = [
        ["foreign-tag", "http://amzn.to/theirs"],
        ["untagged-link", "http://amzn.to/bare"],
        ["dead-short-link", "http://amzn.to/gone"],
    ]
    .map(|fields| fields.map(str::to_owned).to_vec());
    let online = run(
        dir.path(),
        &[
            "check",
            "post.html",
            "--expand-short-links",
            "--link-cache",
            "links.json",
            "--connect-to",
            &host.connect_to("amzn.to"),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(online.status.code(), Some(1), "{}", stderr(&online));
    assert_eq!(rules(&online), expected);
    let cache: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("links.json")).unwrap())
            .unwrap();
    assert_eq!(cache["links"].as_object().unwrap().len(), 4, "{cache}");
    assert_eq!(cache["links"]["http://amzn.to/gone"]["status"], 404);
    assert!(
        cache["links"]["http://amzn.to/bare"]["checked"]
            .as_u64()
            .unwrap()
            > 0
    );
    let asked = host.log.lock().unwrap().len();
    assert_eq!(asked, 4, "each short link asked once");

    // Offline, from the cache alone: the same findings, and nothing asked.
    let offline = run(
        dir.path(),
        &[
            "check",
            "post.html",
            "--link-cache",
            "links.json",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(rules(&offline), expected);
    assert_eq!(host.log.lock().unwrap().len(), asked);

    // fix writes the tagged full link in place of a short one whose target lacks your id.
    let fixed = run(
        dir.path(),
        &["fix", "post.html", "--link-cache", "links.json"],
        None,
    );
    assert_eq!(
        fixed.status.code(),
        Some(1),
        "the dead link is left: {}",
        stderr(&fixed)
    );
    let page = std::fs::read_to_string(dir.path().join("post.html")).unwrap();
    assert!(page.contains("href=\"http://amzn.to/ours\""), "{page}");
    assert!(
        page.contains("href=\"https://www.amazon.com/dp/B0THEIRS01?tag=mysite-20\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"https://www.amazon.com/dp/B0BARE0001?tag=mysite-20\""),
        "{page}"
    );
    assert!(page.contains("href=\"http://amzn.to/gone\""), "{page}");
    let after = run(
        dir.path(),
        &[
            "check",
            "post.html",
            "--link-cache",
            "links.json",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(rules(&after), [expected[2].clone()]);
}

#[test]
fn a_short_link_without_an_answer_is_asked_once_and_the_cache_keeps_what_another_run_wrote() {
    let page = "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
                <a href=\"http://amzn.to/down\" rel=\"sponsored\">a</a>\n\
                <a href=\"http://amzn.to/slow\" rel=\"sponsored\">b</a>\n";
    let dir = crate::support::site(&[
        ("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n"),
        ("a.html", page),
        ("b.html", page),
    ]);
    let cache = dir.path().join("links.json");
    let other = cache.clone();
    let host = serve(move |asked| match asked.path {
        "/down" => answer(503, "text/html", "<p>busy</p>"),
        "/slow" => {
            // Another run writes the cache while this one waits for the answer.
            std::fs::write(
                &other,
                "{\"affilint_link_cache\": 1, \"ttl_days\": 30, \"links\": {\"http://amzn.to/other\": \
                 {\"status\": 301, \"target\": \"https://www.amazon.com/dp/B0OTHER001?tag=mysite-20\", \
                 \"checked\": 1}}}",
            )
            .unwrap();
            Answer {
                status: 301,
                headers: vec![(
                    "Location",
                    "https://www.amazon.com/dp/B0SLOW0001?tag=mysite-20".to_owned(),
                )],
                body: Body::Bytes(Vec::new()),
            }
        }
        _ => answer(404, "text/html", "<p>gone</p>"),
    });
    let out = run(
        dir.path(),
        &[
            "check",
            "a.html",
            "b.html",
            "-j",
            "1",
            "--expand-short-links",
            "--link-cache",
            "links.json",
            "--connect-to",
            &host.connect_to("amzn.to"),
            "--format",
            "json",
        ],
        None,
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let short: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "short-link")
        .map(|f| f["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        short,
        ["http://amzn.to/down", "http://amzn.to/down"],
        "{report}"
    );
    let asked = |path: &str| {
        let log = host.log.lock().unwrap();
        log.iter().filter(|(p, _)| p == path).count()
    };
    assert_eq!((asked("/down"), asked("/slow")), (1, 1));
    assert_says(
        &out,
        "--expand-short-links: http://amzn.to/down (HTTP 503, no redirect) gave no answer",
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    let links = written["links"].as_object().unwrap();
    assert!(links.contains_key("http://amzn.to/slow"), "{written}");
    assert!(links.contains_key("http://amzn.to/other"), "{written}");
    assert!(!links.contains_key("http://amzn.to/down"), "{written}");
}

#[test]
fn a_short_link_host_that_cannot_be_reached_is_given_up_and_the_cache_is_written_anyway() {
    // A port nothing listens on: every question fails at once.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let links: String = (0..6)
        .map(|i| format!("<a href=\"http://amzn.to/x{i}\" rel=\"sponsored\">{i}</a>\n"))
        .collect();
    let dir = crate::support::site(&[
        ("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n"),
        ("a.html", &links),
    ]);
    let online = run(
        dir.path(),
        &[
            "check",
            "a.html",
            "--expand-short-links",
            "--link-cache",
            "links.json",
            "--connect-to",
            &format!("amzn.to:80:127.0.0.1:{port}"),
        ],
        None,
    );
    let said = stderr(&online);
    assert!(
        said.contains("--expand-short-links: amzn.to could not be reached"),
        "{said}"
    );
    assert!(said.contains("http://amzn.to/x0 ("), "{said}");
    assert!(
        said.contains("and 2 other(s) gave no answer"),
        "three asked: {said}"
    );
    // The next run, offline, reads the cache this one wrote (empty as it is).
    let offline = run(
        dir.path(),
        &["check", "a.html", "--link-cache", "links.json"],
        None,
    );
    assert_eq!(offline.status.code(), Some(1), "{}", stderr(&offline));
    assert_says(
        &offline,
        "--link-cache: 6 short link(s) not in the cache (the first: http://amzn.to/x0)",
    );
    assert!(
        stdout(&offline).contains("short-link"),
        "{}",
        stdout(&offline)
    );
}

#[test]
#[ignore = "needs AFFILINT_CORPUS (the SARIF 2.1.0 schema); bash .ci/run sets it"]
fn sarif_of_a_live_site_names_page_urls_and_validates_against_the_schema() {
    let server = wordpress();
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "check",
            &format!("{}/", server.base),
            "--format",
            "sarif",
            "--rate",
            "0",
            "--max-page-mib",
            "1",
        ],
        None,
    );
    let log: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert!(
        uri.as_str().unwrap().starts_with(&server.base),
        "a page URL: {uri}"
    );
    let errors = crate::support::sarif_schema_errors(&log);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn links_under_a_cloaking_prefix_are_asked_of_the_site_once_within_robots_and_judged_where_they_go()
{
    let server = serve(|asked| {
        let page = |links: &str| {
            answer(
                200,
                "text/html",
                format!(
                    "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n{links}\n"
                ),
            )
        };
        match asked.path {
            "/robots.txt" => answer(200, "text/plain", "User-agent: *\nDisallow: /go/secret/\n"),
            "/a/" => page(&format!(
                "<a href=\"/go/kettle/\" rel=\"sponsored\">kettle</a>\n\
                 <a href=\"{}/recommends/pan\" rel=\"sponsored\">pan</a>\n\
                 <a href=\"/go/secret/\" rel=\"sponsored\">secret</a>\n\
                 <a href=\"/recommends/hop\" rel=\"sponsored\">hop</a>\n\
                 <a href=\"/go/about/\">about</a>\n\
                 <a href=\"/go/page/\">page</a>\n\
                 <a href=\"http://127.0.0.2:9/go/elsewhere/\">elsewhere</a>\n\
                 <a href=\"/go/kettle/#top\" rel=\"sponsored\">kettle again</a>\n\
                 <a href=\"/go/thief/\" rel=\"sponsored\">someone else's</a>",
                asked.base
            )),
            // Named as /deep/start/, read at /b/: its links are the links of /b/.
            "/deep/start/" => redirect(301, "/b/"),
            "/b/" => page("<a href=\"../go/kettle/\" rel=\"sponsored\">kettle, from b</a>"),
            // Two hops inside the site, then off it.
            "/go/kettle/" => redirect(302, "/go/kettle-2/"),
            "/go/kettle-2/" => redirect(301, "https://www.amazon.com/dp/B0KETTLE?tag=mysite-20"),
            "/recommends/pan" => redirect(307, "https://www.amazon.com/dp/B0PAN?tag=mysite-20"),
            "/go/thief/" => redirect(302, "https://www.amazon.com/dp/B0PAN?tag=thief-20"),
            // Through a page robots.txt disallows: where it ends up is not known.
            "/recommends/hop" => redirect(302, "/go/secret/hop"),
            "/go/about/" => redirect(302, "/about/"),
            "/about/" => answer(200, "text/html", "<p>About</p>"),
            "/go/page/" => answer(200, "text/html", "<p>Going to the shop...</p>"),
            _ => answer(404, "text/plain", "no"),
        }
    });
    let dir =
        crate::support::site(&[("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")]);
    let a = format!("{}/a/", server.base);
    let start = format!("{}/deep/start/", server.base);
    let out = run(dir.path(), &["check", &a, &start, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found = finding_fields(&report, &["file", "rule", "message"]);
    let ids: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f[0].rsplit('/').nth(1).unwrap(), f[1].as_str()))
        .collect();
    // The kettle and the pan go to Amazon, which forbids cloaking. The secret one robots.txt
    // keeps from being asked, the hop through it is not followed there, and the interstitial
    // page says nothing: they stay opaque, as does another site's /go/ (never asked). A
    // redirect to a page of the site is no finding.
    assert_eq!(
        ids,
        [
            ("a", "cloaked-link"),
            ("a", "cloaked-link"),
            ("a", "opaque-link"),
            ("a", "opaque-link"),
            ("a", "opaque-link"),
            ("a", "opaque-link"),
            ("a", "cloaked-link"),
            ("a", "cloaked-link"),
            ("start", "cloaked-link"),
        ],
        "{found:#?}"
    );
    for (i, says) in [
        (0, "https://www.amazon.com/dp/B0KETTLE?tag=mysite-20"),
        (2, "could not be learned from the site"),
        (5, "cannot be seen in the site"),
        (
            7,
            "(it carries the id `thief-20`, not `mysite-20`: use yours)",
        ),
    ] {
        assert!(found[i][2].contains(says), "{i}: {says}: {found:#?}");
    }
    let log = server.paths();
    let asked = |path: &str| asked_in(&log, path);
    assert_eq!(
        asked("/go/kettle/"),
        1,
        "asked once for three links: {log:?}"
    );
    assert_eq!(asked("/go/kettle-2/"), 1, "{log:?}");
    assert_eq!(asked("/go/secret/"), 0, "robots.txt says no: {log:?}");
    assert_eq!(asked("/go/secret/hop"), 0, "robots.txt says no: {log:?}");
    assert_eq!(
        asked("/deep/go/kettle/"),
        0,
        "resolved against /b/: {log:?}"
    );
    for said in [
        "7 link(s) under a cloaking prefix on the site: 6 asked where they go",
        "1 of them not asked: robots.txt disallows them, or could not be read",
        "2 of them led to no redirect the check could follow",
        "/go/page/: a page, not a redirect",
    ] {
        assert_says(&out, said);
    }

    // A crawl does not read them as pages: each is asked once, by the check.
    server.log.lock().unwrap().clear();
    let out = run(
        dir.path(),
        &["check", "--crawl", &a, "--format", "json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = server.paths();
    for cloaked in ["/go/kettle/", "/go/page/", "/go/about/"] {
        assert_eq!(asked_in(&log, cloaked), 1, "{cloaked}: {log:?}");
    }
}

#[test]
fn a_page_is_read_to_its_end_before_its_site_is_asked_about_its_links() {
    // Each question about a link takes 0.7 s; the page's own request may take 2 s in all.
    // Were the page's connection held open while its links are asked about, the page would
    // time out half read.
    let links: String = (0..4)
        .map(|i| format!("<a href=\"/go/{i}/\" rel=\"sponsored\">{i}</a>\n"))
        .collect();
    let page = format!(
        "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n{links}{}\
         <a href=\"https://www.amazon.com/dp/B0END\" rel=\"sponsored\">last</a>\n",
        "<p>filler text</p>\n".repeat(40_000)
    );
    let server = serve(move |asked| match asked.path {
        "/robots.txt" => answer(404, "text/plain", ""),
        "/post/" => answer(200, "text/html", page.clone()),
        _ => {
            std::thread::sleep(Duration::from_millis(700));
            redirect(302, "https://www.amazon.com/dp/B0?tag=mysite-20")
        }
    });
    let dir =
        crate::support::site(&[("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")]);
    let url = format!("{}/post/", server.base);
    let out = run(
        dir.path(),
        &[
            "check",
            &url,
            "--timeout",
            "2",
            "--rate",
            "0",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(report.get("file_errors").is_none(), "{report}");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "cloaked-link",
            "cloaked-link",
            "cloaked-link",
            "cloaked-link",
            "untagged-link"
        ],
        "the page is read to its last link: {report}"
    );
}

#[test]
fn a_page_waiting_for_another_page_s_question_has_its_rest_set_aside_first() {
    // Requests 2.5 s apart, a page's own request 2 s at most: the second page meets the
    // link while the first waits its turn to ask about it, and waits for that answer.
    let page = format!(
        "<p>As an Amazon Associate I earn from qualifying purchases.</p>\n\
         <a href=\"/go/kettle/\" rel=\"sponsored\">kettle</a>\n{}",
        "<p>filler text</p>\n".repeat(40_000)
    );
    let server = serve(move |asked| match asked.path {
        "/robots.txt" => answer(404, "text/plain", ""),
        "/a/" | "/b/" => answer(200, "text/html", page.clone()),
        _ => redirect(302, "https://www.amazon.com/dp/B0?tag=mysite-20"),
    });
    let dir =
        crate::support::site(&[("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")]);
    let (a, b) = (format!("{}/a/", server.base), format!("{}/b/", server.base));
    let out = run(
        dir.path(),
        &[
            "check",
            &a,
            &b,
            "--timeout",
            "2",
            "--rate",
            "0.4",
            "--connections",
            "2",
            "--format",
            "json",
        ],
        None,
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(report.get("file_errors").is_none(), "{report}");
    let rules = finding_fields(&report, &["rule"]);
    assert_eq!(rules, [["cloaked-link"], ["cloaked-link"]], "{report}");
    let log = server.paths();
    assert_eq!(asked_in(&log, "/go/kettle/"), 1, "{log:?}");
}
