//! Error types. Each says where the problem is (file, line) and, where it can, what to do.
//!
//! Findings about a page (an untagged link, a missing disclosure) are not errors: they are
//! [`Finding`](crate::Finding)s in a [`Report`](crate::Report). Errors are what stops a rule
//! file, a config or one document from being used at all.

use std::fmt;
use std::io;

/// A place in a text input (a rule file, a config file, a command-line value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpot {
    /// The file path as given, or a description such as `--tag`.
    pub origin: String,
    /// 1-based line, when the input is a file.
    pub line: Option<usize>,
    /// 1-based column (characters), when the input is a file.
    pub column: Option<usize>,
}

impl SourceSpot {
    /// A spot without a line: a command-line value or a whole file.
    pub fn whole(origin: impl Into<String>) -> Self {
        SourceSpot {
            origin: origin.into(),
            line: None,
            column: None,
        }
    }

    /// The spot of byte `offset` in `text`.
    pub(crate) fn at(origin: impl Into<String>, text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        SourceSpot {
            origin: origin.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl SourceSpot {
    /// Where a TOML parse or schema error points, and its message.
    pub(crate) fn of_toml(
        origin: &str,
        text: &str,
        error: &toml::de::Error,
    ) -> (SourceSpot, String) {
        let spot = match error.span() {
            Some(span) => SourceSpot::at(origin, text, span.start),
            None => SourceSpot::whole(origin),
        };
        (spot, error.message().trim().to_owned())
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Display for SourceSpot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A rule file that cannot be used: bad TOML, an unknown key, a bad regex or host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{spot}: {message}")]
pub struct RuleError {
    /// Where the problem is.
    pub spot: SourceSpot,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
}

/// A configuration (affilint.toml or a command-line override) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{spot}: {message}")]
pub struct ConfigError {
    /// Where the problem is.
    pub spot: SourceSpot,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
}

/// One document that could not be checked or fixed. Other documents are not affected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document is in an encoding that is not ASCII-compatible (UTF-16 and the like).
    #[error(
        "the document is encoded as {encoding}, which affilint cannot rewrite safely; \
         convert it to UTF-8"
    )]
    UnsupportedEncoding {
        /// The encoding's name.
        encoding: &'static str,
    },
    /// The document does not look like HTML at all (binary content).
    #[error("not an HTML document: {reason}")]
    NotHtml {
        /// What gave it away.
        reason: String,
    },
    /// The HTML parser gave up (for example a single tag larger than the memory limit).
    #[error("cannot parse the document: {message}")]
    Parse {
        /// The parser's own message.
        message: String,
    },
    /// Fixing would change the encoding a browser reads the page in: an edit in the first
    /// kilobyte moved a `<meta charset>` into or out of it. Nothing is written.
    #[error(
        "fixing would make the page's first kilobyte declare {to} instead of {from} (an edit \
         near the top moves a `<meta charset>` into or out of it), and browsers would read \
         the rest differently; put the `<meta charset>` first in `<head>`, or fix this page \
         by hand"
    )]
    EncodingChanged {
        /// The encoding the page is read in.
        from: &'static str,
        /// The encoding the fixed page would declare.
        to: &'static str,
    },
    /// A Markdown document that is not UTF-8 (CommonMark reads Unicode text).
    #[error("not UTF-8 (line {line}): a Markdown file must be UTF-8; convert it")]
    NotUtf8 {
        /// The line of the first byte that is not.
        line: usize,
    },
    /// A Markdown document larger than affilint reads (it is parsed whole).
    #[error("larger than {limit} MB, the most a Markdown file may be")]
    TooLarge {
        /// The limit, in megabytes.
        limit: usize,
    },
    /// Reading the input failed.
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    /// Writing the output failed.
    #[error("cannot write: {0}")]
    Write(#[source] io::Error),
}

/// Any error affilint can return.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A rule file is invalid.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A document could not be processed.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_counts_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        let spot = SourceSpot::at("x.toml", text, text.find('=').unwrap());
        assert_eq!(spot.to_string(), "x.toml:1:3");
        let second = text.rfind('=').unwrap();
        assert_eq!(
            SourceSpot::at("x.toml", text, second).to_string(),
            "x.toml:2:4"
        );
        assert_eq!(SourceSpot::whole("--tag").to_string(), "--tag");
    }
}
