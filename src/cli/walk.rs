//! Finding the documents to read: files named on the command line, and `*.html` / `*.htm`
//! under directories, minus `--exclude` globs.
//!
//! Symlinks met while walking a directory are not followed (a walk never leaves the tree or
//! loops); a symlink named on the command line is read, and `fix` writes to its target.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// One document to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file: `path` as walked (shown in findings), `relative` to the argument it came from.
    File { path: PathBuf, relative: PathBuf },
}

impl Input {
    /// How the input is named in findings.
    pub(crate) fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File { path, .. } => path.display().to_string(),
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

/// Whether `input` belongs to shard `k` of `n` (1-based): a stable hash of its path, so the
/// split is the same on every machine and run. Standard input belongs to every shard.
pub(crate) fn in_shard(input: &Input, (k, n): (u32, u32)) -> bool {
    let Input::File { path, .. } = input else {
        return true;
    };
    let hash = super::stable_hash(&[path.to_string_lossy().as_bytes()]);
    hash % u64::from(n) == u64::from(k - 1)
}

/// What a walk found: the documents, and the paths it could not read.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub(crate) inputs: Vec<Input>,
    pub(crate) errors: Vec<(String, String)>,
}

fn is_html(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// Collects the inputs named by `paths` (none: `.`), skipping `skip` (the `--out` directory),
/// walking directories with `threads` threads.
pub(crate) fn collect(
    paths: &[PathBuf],
    excludes: &Excludes,
    skip: Option<&Path>,
    threads: usize,
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
            walk.inputs.push(Input::Stdin);
            continue;
        }
        let metadata = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                walk.errors
                    .push((root.display().to_string(), e.to_string()));
                continue;
            }
        };
        if !metadata.is_dir() {
            let relative = PathBuf::from(root.file_name().unwrap_or(root.as_os_str()));
            walk.inputs.push(Input::File {
                path: root.clone(),
                relative,
            });
            continue;
        }
        let skip_dir = skip.clone();
        let root_for_filter = root.clone();
        let filter_excludes = excludes.clone();
        let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
        ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .hidden(true)
            .follow_links(false)
            .threads(threads)
            .filter_entry(move |entry| {
                let path = entry.path();
                let relative = path.strip_prefix(&root_for_filter).unwrap_or(path);
                if entry.depth() > 0 && filter_excludes.excludes(path, relative) {
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
                    let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                    match entry {
                        Ok(entry) => {
                            let is_file = entry.file_type().is_some_and(|t| t.is_file());
                            if is_file && is_html(entry.path()) {
                                found.0.push(entry.into_path());
                            }
                        }
                        Err(e) => {
                            let path = match &e {
                                ignore::Error::WithPath { path, .. } => path.display().to_string(),
                                _ => root.display().to_string(),
                            };
                            found.1.push((path, e.to_string()));
                        }
                    }
                    ignore::WalkState::Continue
                })
            });
        let (mut paths, mut errors) = found.into_inner().unwrap_or_else(|p| p.into_inner());
        // The walk is parallel; the order is the paths' order, so every run reports alike.
        paths.sort();
        errors.sort();
        for path in paths {
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            walk.inputs.push(Input::File { path, relative });
        }
        walk.errors.extend(errors);
    }
    walk
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "<p>x</p>").unwrap();
        }
        let excludes = Excludes::new(&["drafts".into(), "posts/amp/*".into()]).unwrap();
        let walk = collect(&[root.to_path_buf()], &excludes, None, 2);
        let relative: Vec<String> = walk
            .inputs
            .iter()
            .map(|i| match i {
                Input::File { relative, .. } => relative.display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(relative, ["a.HTM", "b.html", "posts/2024/p.html"]);
        assert!(walk.errors.is_empty());
    }

    #[test]
    fn missing_paths_are_errors_and_dash_is_stdin() {
        let excludes = Excludes::new(&[]).unwrap();
        let walk = collect(&["-".into(), "/no/such/dir".into()], &excludes, None, 1);
        assert_eq!(walk.inputs, [Input::Stdin]);
        assert_eq!(walk.errors.len(), 1);
        assert_eq!(walk.errors[0].0, "/no/such/dir");
    }
}
