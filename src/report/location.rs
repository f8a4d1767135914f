//! Where a document comes from and what kind of document it is. Reporters, baselines and the
//! walker name documents by their [`Location`], never by a bare path, so a new kind of input
//! needs a new variant here and nothing else in the reporting.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a document was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Location {
    /// A file, named as the walk found it (relative paths stay relative).
    File(PathBuf),
    /// Standard input (`-` on the command line).
    Stdin,
    /// A page of a live site, by its URL (`affilint check https://...`).
    Url(String),
}

impl Location {
    /// The file's path, for a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Stdin | Location::Url(_) => None,
        }
    }
}

impl fmt::Display for Location {
    /// How findings name the document: the path as walked, `-`, or the page's URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Stdin => f.write_str("-"),
            Location::Url(url) => f.write_str(url),
        }
    }
}

/// What kind of document it is, which decides how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Kind {
    /// An HTML page (`*.html`, `*.htm`, or standard input).
    #[default]
    Html,
    /// A Markdown source (`*.md`, `*.markdown`): CommonMark with GFM and front matter.
    Markdown,
}

impl Kind {
    /// The kind a file's name says it is, or `None` when affilint does not read such files.
    pub fn of_path(path: &Path) -> Option<Kind> {
        let extension = path.extension()?.to_str()?;
        let is = |names: &[&str]| names.iter().any(|n| extension.eq_ignore_ascii_case(n));
        if is(&["html", "htm"]) {
            Some(Kind::Html)
        } else if is(&["md", "markdown"]) {
            Some(Kind::Markdown)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_display_as_findings_name_them() {
        assert_eq!(
            Location::File("posts/a.html".into()).to_string(),
            "posts/a.html"
        );
        assert_eq!(Location::Stdin.to_string(), "-");
        assert_eq!(Kind::of_path(Path::new("a.HTM")), Some(Kind::Html));
        assert_eq!(Kind::of_path(Path::new("notes.txt")), None);
        assert_eq!(Kind::of_path(Path::new("post.MD")), Some(Kind::Markdown));
        assert_eq!(Kind::of_path(Path::new("a.markdown")), Some(Kind::Markdown));
        assert_eq!(Kind::of_path(Path::new("html")), None);
    }
}
