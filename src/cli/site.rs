//! The site around the pages a directory holds: its `_redirects` file and redirect pages,
//! gathered before any page is checked, so a link through the site is judged by where it goes.

use std::path::{Path, PathBuf};

use affilint::Site;

/// Redirect pages are small (Hugo's aliases are ~300 bytes): larger files are not read twice.
const MAX_REDIRECT_PAGE: u64 = 16 * 1024;
/// A larger style sheet is not read.
const MAX_STYLESHEET: u64 = 4 << 20;
/// How many style sheets a site may have read, and how deep they are looked for.
const MAX_STYLESHEETS: usize = 1000;
const MAX_DEPTH: usize = 16;

/// The site under `root`, from its `_redirects` file and the redirect pages among `pages`
/// (paths under `root`); with notes on what could not be read.
pub(crate) fn gather(root: &Path, pages: &[PathBuf]) -> (Site, Vec<String>) {
    let mut site = Site::new();
    let mut notes = Vec::new();
    let redirects = root.join("_redirects");
    match std::fs::read_to_string(&redirects) {
        Ok(text) => {
            for error in site.add_redirects_file(&text) {
                notes.push(format!(
                    "{}:{}: {} (line skipped)",
                    redirects.display(),
                    error.line,
                    error.message
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => notes.push(format!("{}: cannot read: {e}", redirects.display())),
    }
    let mut sheets = Vec::new();
    stylesheets(root, 0, &mut sheets);
    for path in sheets {
        match std::fs::read(&path) {
            Ok(css) => {
                let at = url_path(path.strip_prefix(root).unwrap_or(&path));
                site.add_stylesheet(&at, &String::from_utf8_lossy(&css));
            }
            Err(e) => notes.push(format!("{}: cannot read: {e}", path.display())),
        }
    }
    for page in pages {
        let small = std::fs::metadata(page).is_ok_and(|m| m.len() <= MAX_REDIRECT_PAGE);
        if !small {
            continue;
        }
        // An unreadable page is reported when it is checked.
        if let Ok(html) = std::fs::read(page) {
            site.add_page(&url_path(page.strip_prefix(root).unwrap_or(page)), &html);
        }
    }
    (site, notes)
}

/// The `.css` files under `dir` (not in hidden directories or `node_modules`).
fn stylesheets(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_STYLESHEETS {
            return;
        }
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < MAX_DEPTH && !name.starts_with('.') && name != "node_modules" {
                stylesheets(&path, depth + 1, out);
            }
        } else if kind.is_file()
            && name.to_ascii_lowercase().ends_with(".css")
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_STYLESHEET)
        {
            out.push(path);
        }
    }
}

/// The URL path of a file under the site's root: `posts/a/index.html` is `/posts/a/index.html`.
pub(crate) fn url_path(relative: &Path) -> String {
    let mut path = String::new();
    for part in relative.components() {
        if let std::path::Component::Normal(part) = part {
            path.push('/');
            path.push_str(&part.to_string_lossy());
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_gathers_its_redirect_file_and_small_redirect_pages() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("_redirects"),
            "/go/a https://amzn.to/x 302\nbroken\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("old")).unwrap();
        let page = root.join("old/index.html");
        std::fs::write(&page, "<meta http-equiv=refresh content=\"0; url=/new/\">").unwrap();
        let (site, notes) = gather(root, &[page]);
        assert_eq!(site.redirects(), 2);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].ends_with(
                "_redirects:2: `broken` has no destination: write `from to [status]` (line skipped)"
            ),
            "{notes:?}"
        );
        assert_eq!(
            url_path(Path::new("posts/a/index.html")),
            "/posts/a/index.html"
        );
    }
}
