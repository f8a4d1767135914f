//! The source line of a finding, for human output: read back from the file around the
//! finding's byte offset (the document itself was streamed and is not kept).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

/// How much of the file around a finding is read.
const BEFORE: usize = 2048;
const AFTER: usize = 2048;
/// The most characters of a line shown; longer lines (minified HTML) show a window.
const WIDTH: usize = 100;
/// In a window, how many characters are shown before the marked part.
const LEAD: usize = 30;

/// A line to show under a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snippet {
    /// 1-based line number.
    pub(crate) line: usize,
    /// The line (or a window of it, with `…` where it was cut), tabs and control characters
    /// shown as spaces.
    pub(crate) text: String,
    /// The characters of `text` to underline: the element's start tag, or the start of the
    /// text.
    pub(crate) mark: Range<usize>,
}

/// Reads snippets from one file.
pub(crate) struct Snippets {
    file: Option<File>,
}

impl Snippets {
    /// Snippets of the file at `path`; none when it cannot be opened.
    pub(crate) fn open(path: &Path) -> Snippets {
        Snippets {
            file: File::open(path).ok(),
        }
    }

    /// No snippets (standard input).
    pub(crate) fn none() -> Snippets {
        Snippets { file: None }
    }

    /// The line holding byte `offset`, which is on line `line`.
    pub(crate) fn at(&mut self, offset: usize, line: usize) -> Option<Snippet> {
        let file = self.file.as_mut()?;
        let start = offset.saturating_sub(BEFORE);
        file.seek(SeekFrom::Start(start as u64)).ok()?;
        let mut window = Vec::with_capacity(BEFORE + AFTER);
        file.take((offset - start + AFTER) as u64)
            .read_to_end(&mut window)
            .ok()?;
        Some(snippet(&window, offset - start, line))
    }
}

/// The snippet for byte `at` of `window`.
fn snippet(window: &[u8], at: usize, line: usize) -> Snippet {
    let at = at.min(window.len());
    let line_start = memchr::memrchr(b'\n', &window[..at]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &window[at..]).map_or(window.len(), |i| at + i);
    let tag_end = if window.get(at) == Some(&b'<') {
        memchr::memchr(b'>', &window[at..line_end]).map_or(line_end, |i| at + i + 1)
    } else {
        // Text: mark the word.
        window[at..line_end]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(line_end, |i| at + i)
            .max(at + 1)
            .min(line_end)
    };
    let shown = |bytes: &[u8]| -> Vec<char> {
        String::from_utf8_lossy(bytes)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let before = shown(&window[line_start..at]);
    let marked = shown(&window[at..tag_end]);
    let after = shown(&window[tag_end..line_end]);
    let after: &[char] = match after.last() {
        // A `\r` of a CRLF line ending became a space.
        Some(' ') if window[..line_end].ends_with(b"\r") => &after[..after.len() - 1],
        _ => &after,
    };
    let total = before.len() + marked.len() + after.len();
    if total <= WIDTH {
        let text: String = before.iter().chain(&marked).chain(after).collect();
        return Snippet {
            line,
            text,
            mark: before.len()..before.len() + marked.len().max(1),
        };
    }
    // A long line: a window that starts a little before the mark.
    let lead = before.len().min(LEAD);
    let cut_before = before.len() > lead;
    let mut text = String::new();
    if cut_before {
        text.push('…');
    }
    text.extend(&before[before.len() - lead..]);
    let mark_start = lead + usize::from(cut_before);
    let room = WIDTH.saturating_sub(lead);
    let marked_shown = marked.len().min(room);
    text.extend(&marked[..marked_shown]);
    let rest = room - marked_shown;
    text.extend(after.iter().take(rest));
    if marked_shown < marked.len() || after.len() > rest {
        text.push('…');
    }
    Snippet {
        line,
        text,
        mark: mark_start..mark_start + marked_shown.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(s: &Snippet) -> String {
        s.text
            .chars()
            .skip(s.mark.start)
            .take(s.mark.len())
            .collect()
    }

    #[test]
    fn the_start_tag_is_marked_on_its_line() {
        let page = b"<p>intro</p>\r\n\t<a href=\"x\">\xc3\xa9t\xc3\xa9</a> after\r\nnext";
        let at = 15;
        let s = snippet(page, at, 2);
        assert_eq!(s.text, " <a href=\"x\">été</a> after");
        assert_eq!(marked(&s), "<a href=\"x\">");
        let text = snippet(b"one\nAs an Amazon Associate", 4, 2);
        assert_eq!(marked(&text), "As");
    }

    #[test]
    fn long_lines_show_a_window_around_the_mark() {
        let mut page = "x".repeat(500);
        let at = page.len();
        page.push_str("<a href=\"https://amazon.com/dp/B0\">kettle</a>");
        page.push_str(&"y".repeat(500));
        let s = snippet(page.as_bytes(), at, 1);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert!(s.text.chars().count() <= WIDTH + 2);
        assert_eq!(marked(&s), "<a href=\"https://amazon.com/dp/B0\">");
    }
}
