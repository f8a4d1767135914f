//! Finding the documents to read: files named on the command line, and `*.html` / `*.htm`
//! pages and `*.md` / `*.markdown` sources (not those under `node_modules` or `vendor`)
//! under directories, minus `--exclude` globs. Each is an [`Input`]: its [`Location`] (what
//! findings name), its [`Kind`], and for `--out` its path relative to its argument.
//!
//! Symlinks met while walking a directory are not followed (a walk never leaves the tree or
//! loops); a symlink named on the command line is read, and `fix` writes to its target.

use std::path::{Path, PathBuf};

use affilint::{Kind, Location, Site};
use globset::{Glob, GlobSet, GlobSetBuilder};

use super::site;
use super::write::is_temp_name;

/// One document to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Input {
    /// Where it is: a file as walked (shown in findings), or standard input.
    pub(crate) location: Location,
    pub(crate) kind: Kind,
    /// For a file, its path relative to the argument it came from (`--out` mirrors it).
    pub(crate) relative: Option<PathBuf>,
    /// For a file in a walked directory, that directory's site (an index into
    /// [`Walk::sites`]).
    pub(crate) site: Option<usize>,
}

impl Input {
    /// A page of a live site.
    #[cfg(feature = "live")]
    pub(crate) fn page(location: Location) -> Input {
        Input {
            location,
            kind: Kind::Html,
            relative: None,
            site: None,
        }
    }

    /// Standard input, read as `kind`.
    fn stdin(kind: Kind) -> Input {
        Input {
            location: Location::Stdin,
            kind,
            relative: None,
            site: None,
        }
    }

    fn file(path: PathBuf, kind: Kind, relative: PathBuf) -> Input {
        Input {
            location: Location::File(path),
            kind,
            relative: Some(relative),
            site: None,
        }
    }
}

/// `--exclude` globs.
#[derive(Clone)]
pub(crate) struct Excludes {
    paths: GlobSet,
    names: GlobSet,
}

impl Excludes {
    /// Compiles the globs; a glob without `/` matches file and directory names.
    pub(crate) fn new(patterns: &[String]) -> Result<Excludes, String> {
        let mut paths = GlobSetBuilder::new();
        let mut names = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern).map_err(|e| format!("--exclude {pattern}: {e}"))?;
            if pattern.contains('/') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| format!("--exclude: {e}"));
        Ok(Excludes {
            paths: build(paths)?,
            names: build(names)?,
        })
    }

    fn excludes(&self, path: &Path, relative: &Path) -> bool {
        self.paths.is_match(path)
            || self.paths.is_match(relative)
            || path
                .file_name()
                .is_some_and(|name| self.names.is_match(Path::new(name)))
    }
}

/// Whether a path that is not there looks like a site meant as a URL: `host:port`,
/// `www.`, or another scheme's `://`.
fn looks_like_a_site(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    if text.contains("://") {
        return true;
    }
    // The host part: `127.0.0.1:8080/x` is a site and its path.
    let text = text.split('/').next().unwrap_or(text);
    let port = text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
    });
    text.starts_with("www.") || port
}

/// Whether `input` belongs to shard `k` of `n` (1-based): a stable hash of its path, so the
/// split is the same on every machine and run. Standard input belongs to every shard.
pub(crate) fn in_shard(input: &Input, (k, n): (u32, u32)) -> bool {
    let name = match &input.location {
        Location::File(path) => path.to_string_lossy(),
        // A live site's pages are shared out too: each shard asks for its own.
        Location::Url(url) => url.into(),
        _ => return true,
    };
    let hash = super::stable_hash(&[name.as_bytes()]);
    hash % u64::from(n) == u64::from(k - 1)
}

/// What a walk found: the documents, and the paths it could not read.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub(crate) inputs: Vec<Input>,
    pub(crate) errors: Vec<(Location, String)>,
    /// affilint's own temporary files met on the way, left by an interrupted run.
    pub(crate) leftovers: Vec<PathBuf>,
    /// The sites of the directories walked: their redirects.
    pub(crate) sites: Vec<Site>,
    /// What could not be read of them (a bad `_redirects` line).
    pub(crate) notes: Vec<String>,
}

/// What a parallel walk of one directory gathers.
#[derive(Default)]
struct Found {
    documents: Vec<(PathBuf, Kind)>,
    errors: Vec<(Location, String)>,
    leftovers: Vec<PathBuf>,
}

/// Whether `path` is in a package manager's dependencies (`node_modules`, `vendor`): their
/// READMEs are not the site's Markdown.
fn in_dependencies(path: &Path) -> bool {
    path.components()
        .any(|c| matches!(c.as_os_str().to_str(), Some("node_modules" | "vendor")))
}

/// Collects the inputs named by `paths` (none: `.`), skipping `skip` (the `--out` directory),
/// walking directories with `threads` threads for the documents of `kinds`. A file named is
/// read whatever its kind; standard input is Markdown when `kinds` is Markdown alone.
pub(crate) fn collect(
    paths: &[PathBuf],
    excludes: &Excludes,
    skip: Option<&Path>,
    threads: usize,
    kinds: &[Kind],
) -> Walk {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let skip = skip.and_then(|s| s.canonicalize().ok());
    let mut walk = Walk::default();
    for root in paths {
        if root.as_os_str() == "-" {
            let kind = if kinds == [Kind::Markdown] {
                Kind::Markdown
            } else {
                Kind::Html
            };
            walk.inputs.push(Input::stdin(kind));
            continue;
        }
        let metadata = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                let hint = if looks_like_a_site(root) {
                    " (a live site is checked by its URL: http://... or https://...)"
                } else {
                    ""
                };
                walk.errors
                    .push((Location::File(root.clone()), format!("{e}{hint}")));
                continue;
            }
        };
        if !metadata.is_dir() {
            // A file named on the command line is read whatever its name says.
            let kind = Kind::of_path(root).unwrap_or(Kind::Html);
            let relative = PathBuf::from(root.file_name().unwrap_or(root.as_os_str()));
            walk.inputs.push(Input::file(root.clone(), kind, relative));
            continue;
        }
        let skip_dir = skip.clone();
        let root_for_filter = root.clone();
        let filter_excludes = excludes.clone();
        let found = std::sync::Mutex::new(Found::default());
        ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .threads(threads)
            .filter_entry(move |entry| {
                let path = entry.path();
                let relative = path.strip_prefix(&root_for_filter).unwrap_or(path);
                if entry.depth() > 0 && filter_excludes.excludes(path, relative) {
                    return false;
                }
                // Hidden files and directories are skipped, but for affilint's own leftovers.
                let name = entry.file_name().to_string_lossy();
                if entry.depth() > 0 && name.starts_with('.') && !is_temp_name(&name) {
                    return false;
                }
                match &skip_dir {
                    Some(skip) if entry.file_type().is_some_and(|t| t.is_dir()) => path
                        .canonicalize()
                        .map_or(true, |canonical| canonical != *skip),
                    _ => true,
                }
            })
            .build_parallel()
            .run(|| {
                let found = &found;
                Box::new(move |entry| {
                    let kinds = kinds;
                    let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                    match entry {
                        Ok(entry) => {
                            let is_file = entry.file_type().is_some_and(|t| t.is_file());
                            let name = entry.file_name().to_string_lossy();
                            if is_file && is_temp_name(&name) {
                                found.leftovers.push(entry.into_path());
                            } else if let Some(kind) = Kind::of_path(entry.path())
                                .filter(|kind| is_file && kinds.contains(kind))
                                .filter(|kind| {
                                    *kind == Kind::Html || !in_dependencies(entry.path())
                                })
                            {
                                found.documents.push((entry.into_path(), kind));
                            }
                        }
                        Err(e) => {
                            let path = match &e {
                                ignore::Error::WithPath { path, .. } => path.clone(),
                                _ => root.clone(),
                            };
                            found.errors.push((Location::File(path), e.to_string()));
                        }
                    }
                    ignore::WalkState::Continue
                })
            });
        let Found {
            documents: mut paths,
            mut errors,
            mut leftovers,
        } = found.into_inner().unwrap_or_else(|p| p.into_inner());
        // The walk is parallel; the order is the paths' order, so every run reports alike.
        paths.sort_by(|a, b| a.0.cmp(&b.0));
        errors.sort();
        leftovers.sort();
        walk.leftovers.extend(leftovers);
        // Only pages can be redirect pages.
        let documents: Vec<PathBuf> = paths
            .iter()
            .filter(|(_, kind)| *kind == Kind::Html)
            .map(|(path, _)| path.clone())
            .collect();
        let (site, notes) = site::gather(root, &documents);
        walk.notes.extend(notes);
        let index = walk.sites.len();
        walk.sites.push(site);
        for (path, kind) in paths {
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let mut input = Input::file(path, kind, relative);
            input.site = Some(index);
            walk.inputs.push(input);
        }
        walk.errors.extend(errors);
    }
    walk
}

/// affilint's temporary files anywhere under `dir` (the output directory of `fix --out`,
/// which is not walked for documents).
pub(crate) fn leftovers_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() && is_temp_name(&entry.file_name().to_string_lossy()) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_that_reads_as_a_site_gets_the_url_hint() {
        for site in [
            "127.0.0.1:8080",
            "127.0.0.1:8080/post/",
            "blog.example:443",
            "www.blog.example",
            "ftp://a.example/",
        ] {
            assert!(looks_like_a_site(Path::new(site)), "{site}");
        }
        for path in ["site", "public/index.html", "C:", "notes:draft.md"] {
            assert!(!looks_like_a_site(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn walks_html_files_in_order_and_skips_excluded_and_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "b.html",
            "a.HTM",
            "notes.txt",
            "drafts/x.html",
            "posts/2024/p.html",
            "posts/amp/p.html",
            ".git/hooks/h.html",
            ".hidden.html",
            "posts/.affilint-Ab3dE9.tmp",
            "posts/.affilint-other.tmp",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "<p>x</p>").unwrap();
        }
        let excludes = Excludes::new(&["drafts".into(), "posts/amp/*".into()]).unwrap();
        let walk = collect(&[root.to_path_buf()], &excludes, None, 2, &[Kind::Html]);
        let relative: Vec<String> = walk
            .inputs
            .iter()
            .map(|i| i.relative.as_deref().unwrap().display().to_string())
            .collect();
        assert_eq!(relative, ["a.HTM", "b.html", "posts/2024/p.html"]);
        assert!(walk.errors.is_empty());
        assert_eq!(walk.leftovers, [root.join("posts/.affilint-Ab3dE9.tmp")]);
    }

    #[test]
    fn missing_paths_are_errors_and_dash_is_stdin() {
        let excludes = Excludes::new(&[]).unwrap();
        let walk = collect(
            &["-".into(), "/no/such/dir".into()],
            &excludes,
            None,
            1,
            &[Kind::Html, Kind::Markdown],
        );
        assert_eq!(walk.inputs, [Input::stdin(Kind::Html)]);
        assert_eq!(walk.errors.len(), 1);
        assert_eq!(walk.errors[0].0, Location::File("/no/such/dir".into()));
    }
}
