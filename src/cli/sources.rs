//! `check --sources DIR`: each finding on a built page pointed back to the Markdown that
//! wrote it. A page's source is found by its path (Hugo's `posts/x.md` and `posts/x/index.md`
//! build `posts/x/index.html`; a front matter's `url` or `slug` moves it; Jekyll's dated
//! `_posts`), else by content: the first of its link findings whose URL one source alone
//! writes. A link finding goes to the line where its URL is written in the page's source
//! (the n-th link to a URL on the page to the n-th place the source writes it), or in the
//! one source that writes it; a page finding to the page's source. What cannot be placed
//! keeps its built location.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use affilint::{Finding, Kind, Location, MarkdownLink, markdown_links};
use regex::Regex;

use super::walk::{self, Excludes};

/// The Markdown sources of a site, read once.
pub(crate) struct Sources {
    files: Vec<SourceFile>,
    /// Page path keys (`posts/x`) to the sources that build them.
    by_key: HashMap<String, Vec<usize>>,
    /// Decoded URLs to the sources that write them.
    by_url: HashMap<String, Vec<usize>>,
}

struct SourceFile {
    location: Location,
    links: Vec<MarkdownLink>,
}

/// Where a finding was written in a source.
pub(crate) struct Written<'s> {
    pub(crate) location: &'s Location,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Sources {
    /// Reads the Markdown under `dirs`. Files that cannot be read are named in the notes
    /// returned; they are not sources.
    pub(crate) fn load(
        dirs: &[PathBuf],
        excludes: &Excludes,
        jobs: usize,
    ) -> Result<(Sources, Vec<String>), String> {
        let mut notes = Vec::new();
        let mut sources = Sources {
            files: Vec::new(),
            by_key: HashMap::new(),
            by_url: HashMap::new(),
        };
        for dir in dirs {
            if !dir.is_dir() {
                return Err(format!(
                    "--sources {}: not a directory (give the directory that holds the \
                     site's Markdown, such as content/)",
                    dir.display()
                ));
            }
            let mut walk = walk::collect(
                std::slice::from_ref(dir),
                excludes,
                None,
                jobs,
                &[Kind::Markdown],
            );
            walk.inputs.sort_by(|a, b| a.location.cmp(&b.location));
            for (location, message) in walk.errors {
                notes.push(format!("--sources: {location}: {message}"));
            }
            for input in walk.inputs {
                let (Some(path), Some(relative)) = (input.location.path(), &input.relative) else {
                    continue;
                };
                let text = match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(e) => {
                        notes.push(format!(
                            "--sources: {}: not read, its findings stay on the built pages: {e}",
                            path.display()
                        ));
                        continue;
                    }
                };
                sources.add(input.location.clone(), relative, &text);
            }
        }
        Ok((sources, notes))
    }

    fn add(&mut self, location: Location, relative: &Path, text: &str) {
        let index = self.files.len();
        for key in page_keys(relative, text) {
            self.by_key.entry(key).or_default().push(index);
        }
        let links = markdown_links(text);
        for link in &links {
            let files = self.by_url.entry(normal_url(&link.url)).or_default();
            if files.last() != Some(&index) {
                files.push(index);
            }
        }
        self.files.push(SourceFile { location, links });
    }

    /// How many sources were read.
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// The mapping of one built page: `path` relative to the directory walked, or (`walked`
    /// false) a file named on the command line, whose path is matched from its end.
    pub(crate) fn page(&self, path: &Path, walked: bool) -> Page<'_> {
        let key = built_key(path);
        let candidates: Vec<&str> = if walked {
            vec![key.as_str()]
        } else {
            // `public/posts/x` is tried as itself, `posts/x`, then `x`; never as the root.
            let mut from = Some(key.as_str());
            std::iter::from_fn(|| {
                let current = from?;
                from = current.split_once('/').map(|(_, rest)| rest);
                Some(current)
            })
            .filter(|k| !k.is_empty())
            .collect()
        };
        let source = candidates
            .into_iter()
            .find_map(|key| match self.by_key.get(key) {
                Some(files) if files.len() == 1 => Some(files[0]),
                _ => None,
            });
        Page {
            sources: self,
            source,
            seen: HashMap::new(),
        }
    }
}

/// One built page being mapped to its source.
pub(crate) struct Page<'s> {
    sources: &'s Sources,
    source: Option<usize>,
    /// Per URL: how many links to it the page had before, and the last one's offset.
    seen: HashMap<String, (usize, usize)>,
}

impl<'s> Page<'s> {
    /// Where `finding` was written, when a source can be found for it.
    pub(crate) fn written(&mut self, finding: &Finding) -> Option<Written<'s>> {
        let sources = self.sources;
        let Some(url) = &finding.url else {
            let file = &sources.files[self.source?];
            return Some(Written {
                location: &file.location,
                line: 1,
                column: 1,
            });
        };
        // The n-th link to this URL on the page (two findings on one link are one link).
        let nth = match self.seen.get_mut(url) {
            Some((n, offset)) if *offset == finding.offset => *n,
            Some((n, offset)) => {
                *n += 1;
                *offset = finding.offset;
                *n
            }
            None => {
                self.seen.insert(url.clone(), (0, finding.offset));
                0
            }
        };
        let normal = normal_url(url);
        let writers = sources.by_url.get(&normal)?;
        let file = match self.source {
            Some(source) if writers.contains(&source) => source,
            _ if writers.len() == 1 => {
                self.source.get_or_insert(writers[0]);
                writers[0]
            }
            _ => return None,
        };
        let file = &sources.files[file];
        let places = file.links.iter().filter(|l| normal_url(&l.url) == normal);
        let last = places.clone().next_back();
        let link = places.clone().nth(nth).or(last)?;
        Some(Written {
            location: &file.location,
            line: link.line,
            column: link.column,
        })
    }
}

/// The keys of the pages a source builds: its path without extension (`posts/x` for
/// `posts/x.md` and `posts/x/index.md`, the section for `_index.md`), moved by a front
/// matter's `url` or `slug`; a Jekyll post's `YYYY/MM/DD/title` and its title.
fn page_keys(relative: &Path, text: &str) -> Vec<String> {
    let path = relative.with_extension("");
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = path.parent().map(key_of).unwrap_or_default();
    let mut keys = Vec::new();
    let matter = front_matter_fields(text);
    let placed = matter.get("url").or(matter.get("permalink"));
    // `permalink: false` (Eleventy) builds no page; `:title` patterns are not paths.
    if let Some(url) = placed.filter(|u| *u != "false" && !u.contains(':')) {
        keys.push(built_key(Path::new(url)));
    }
    let base = if stem == "index" || stem == "_index" {
        dir.clone()
    } else {
        join(&dir, &stem.to_lowercase())
    };
    if let Some(slug) = matter.get("slug") {
        let parent = if stem == "index" || stem == "_index" {
            base.rsplit_once('/').map_or("", |(p, _)| p).to_owned()
        } else {
            dir.clone()
        };
        keys.push(join(&parent, &slug.to_lowercase()));
    }
    keys.push(base);
    static DATED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$").expect("the dated post pattern")
    });
    if let Some(c) = DATED.captures(&stem) {
        let title = c[4].to_lowercase();
        keys.push(format!("{}/{}/{}/{title}", &c[1], &c[2], &c[3]));
        keys.push(title);
    }
    keys
}

/// The key of a built page: `posts/x/index.html` and `posts/x.html` are `posts/x`.
fn built_key(path: &Path) -> String {
    let key = format!("/{}", key_of(path));
    let stripped = ["/index.html", "/index.htm", ".html", ".htm"]
        .iter()
        .find_map(|suffix| key.strip_suffix(suffix))
        .unwrap_or(&key);
    stripped.trim_start_matches('/').to_owned()
}

/// A URL as the key it is found by: parsed and written back when it parses (a generator
/// may percent-encode what the Markdown wrote plainly), as it is otherwise.
fn normal_url(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_owned(), String::from)
}

/// A path as a key: `/`-separated, lowercase, no leading or trailing `/`.
fn key_of(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => Some(part.to_string_lossy().to_lowercase()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The plain `url`, `permalink` and `slug` values of a front matter (YAML or TOML).
fn front_matter_fields(text: &str) -> HashMap<&'static str, String> {
    static FIELD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^(url|permalink|slug)\s*[:=]\s*["']?([^"'\r\n]*?)["']?\s*$"#)
            .expect("the front matter field pattern")
    });
    let mut fields = HashMap::new();
    let mut lines = text.lines();
    let Some(fence @ ("---" | "+++")) = lines.next().map(str::trim_end) else {
        return fields;
    };
    for line in lines.take_while(|l| l.trim_end() != fence) {
        if let Some(c) = FIELD.captures(line) {
            let name = match &c[1] {
                "url" => "url",
                "permalink" => "permalink",
                _ => "slug",
            };
            fields.insert(name, c[2].to_owned());
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_pages_meet_on_the_same_key() {
        let keys = |path: &str, text: &str| page_keys(Path::new(path), text);
        assert_eq!(keys("posts/Kettle.md", ""), ["posts/kettle"]);
        assert_eq!(keys("posts/kettle/index.md", ""), ["posts/kettle"]);
        assert_eq!(keys("posts/_index.md", ""), ["posts"]);
        assert_eq!(keys("_index.md", ""), [""]);
        assert_eq!(
            keys("posts/a.md", "+++\nslug = \"best-kettle\"\n+++\n"),
            ["posts/best-kettle", "posts/a"]
        );
        assert_eq!(
            keys("posts/a.md", "---\nurl: /gear/kettle/\n---\n"),
            ["gear/kettle", "posts/a"]
        );
        assert_eq!(
            keys("_posts/2024-05-01-Kettle.md", ""),
            ["_posts/2024-05-01-kettle", "2024/05/01/kettle", "kettle"]
        );
        assert_eq!(
            keys("a.md", "---\npermalink: /gear/kettle.html\n---\n"),
            ["gear/kettle", "a"]
        );
        assert_eq!(keys("a.md", "---\npermalink: false\n---\n"), ["a"]);
        let built = |path: &str| built_key(Path::new(path));
        assert_eq!(built("posts/kettle/index.html"), "posts/kettle");
        assert_eq!(built("posts/kettle.html"), "posts/kettle");
        assert_eq!(built("index.html"), "");
    }

    #[test]
    fn the_nth_link_to_a_url_goes_to_the_nth_place_it_is_written() {
        let mut sources = Sources {
            files: Vec::new(),
            by_key: HashMap::new(),
            by_url: HashMap::new(),
        };
        let a = "[one](https://x.example/a)\n\n[two](https://x.example/a)\n";
        sources.add(Location::File("content/a.md".into()), Path::new("a.md"), a);
        let b = "Only here: <https://x.example/b>\n";
        sources.add(Location::File("content/b.md".into()), Path::new("b.md"), b);
        let finding = |url: Option<&str>, offset: usize| {
            let config = affilint::Config::parse("t.toml", "[programs.amazon]\ntag = \"x-20\"\n");
            let engine = affilint::Engine::new(&affilint::RuleSet::shipped(), &config.unwrap());
            let page = b"<a href=\"https://www.amazon.com/dp/B0\" rel=\"sponsored\">x</a>";
            let mut f = engine.unwrap().check(page).unwrap().findings.remove(0);
            f.url = url.map(str::to_owned);
            f.offset = offset;
            f
        };
        let mut page = sources.page(Path::new("a/index.html"), true);
        let at = |w: Option<Written<'_>>| w.map(|w| (w.location.to_string(), w.line, w.column));
        assert_eq!(
            at(page.written(&finding(Some("https://x.example/a"), 10))),
            Some(("content/a.md".into(), 1, 1))
        );
        // A second finding on the same link, then the next link.
        assert_eq!(
            at(page.written(&finding(Some("https://x.example/a"), 10))),
            Some(("content/a.md".into(), 1, 1))
        );
        assert_eq!(
            at(page.written(&finding(Some("https://x.example/a"), 90))),
            Some(("content/a.md".into(), 3, 1))
        );
        // Another source's URL: only that one writes it.
        assert_eq!(
            at(page.written(&finding(Some("https://x.example/b"), 120))),
            Some(("content/b.md".into(), 1, 12))
        );
        assert_eq!(
            at(page.written(&finding(Some("https://nowhere.example/"), 130))),
            None
        );
        // A page finding goes to the page's source.
        assert_eq!(
            at(page.written(&finding(None, 0))),
            Some(("content/a.md".into(), 1, 1))
        );
        // A page whose path matches nothing learns its source from a URL only one writes.
        let mut moved = sources.page(Path::new("elsewhere/index.html"), true);
        assert!(moved.written(&finding(None, 0)).is_none());
        assert!(
            moved
                .written(&finding(Some("https://x.example/b"), 5))
                .is_some()
        );
        assert_eq!(
            at(moved.written(&finding(None, 0))),
            Some(("content/b.md".into(), 1, 1))
        );
        // A file named on the command line matches from the end of its path, never as the
        // site's root.
        let mut named = sources.page(Path::new("public/b/index.html"), false);
        assert_eq!(
            at(named.written(&finding(None, 0))),
            Some(("content/b.md".into(), 1, 1))
        );
        let mut root = sources.page(Path::new("public/index.html"), false);
        assert!(root.written(&finding(None, 0)).is_none());
    }
}
