//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the pull request: `::error file=F,line=L,col=C,title=T::message`.

use affilint::{Finding, Location};

use super::{Style, Summary};
use crate::cli::files::FileError;
use crate::cli::plural;
use crate::cli::snippet::Snippet;

/// Workflow commands.
pub(crate) struct Github {
    /// No summary line.
    pub(crate) quiet: bool,
}

/// Escapes a command's message, as `@actions/core` does; other control characters (an
/// escape sequence) are written as `\u{1b}`.
fn escape_data(text: &str) -> String {
    let text = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::cli::printable(&text).into_owned()
}

/// Escapes a command property's value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Style for Github {
    fn finding(&self, location: &Location, f: &Finding, _: Option<&Snippet>) -> String {
        // Workflow commands are named as severities are: `error`, `warning`.
        let command = f.severity.as_str();
        // The engine's message already says when `affilint fix` handles it.
        let message = if f.message.contains("affilint fix") {
            f.message.clone()
        } else {
            format!("{} ({})", f.message, f.id.help())
        };
        let title = escape_property(&format!("affilint {}", f.id));
        match location {
            // A live page is no file of the repository: the annotation names it in its text.
            Location::Url(url) => format!(
                "::{command} title={title}::{}\n",
                escape_data(&format!("{url}:{}:{}: {message}", f.line, f.column))
            ),
            _ => format!(
                "::{command} file={},line={},col={},title={title}::{}\n",
                escape_property(&location.to_string()),
                f.line,
                f.column,
                escape_data(&message)
            ),
        }
    }

    fn close(&self, summary: &Summary, file_errors: &[FileError]) -> String {
        let mut out = String::new();
        for error in file_errors {
            out.push_str(&match &error.location {
                Location::Url(url) => format!(
                    "::error title=affilint::{}\n",
                    escape_data(&format!("{url}: {}", error.message))
                ),
                location => format!(
                    "::error file={},title=affilint::{}\n",
                    escape_property(&location.to_string()),
                    escape_data(&error.message)
                ),
            });
        }
        if !self.quiet {
            for note in &summary.notes {
                out.push_str(&format!("::notice title=affilint::{}\n", escape_data(note)));
            }
            out.push_str(&format!(
                "affilint: {} checked, {} ({} affiliate): {}, {}\n",
                plural(summary.files, "file"),
                plural(summary.links, "link"),
                summary.affiliate_links,
                plural(summary.errors, "error"),
                plural(summary.warnings, "warning")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% off\r\nnow"), "50%25 off%0D%0Anow");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
