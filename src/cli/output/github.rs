//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the pull request: `::error file=F,line=L,col=C,title=T::message`.

use affilint::{Finding, Location};

use super::{Style, Summary};
use crate::cli::files::FileError;
use crate::cli::snippet::Snippet;

/// Workflow commands.
pub(crate) struct Github {
    /// No summary line.
    pub(crate) quiet: bool,
}

/// Escapes a command's message, as `@actions/core` does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
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
        format!(
            "::{command} file={},line={},col={},title={}::{}\n",
            escape_property(&location.to_string()),
            f.line,
            f.column,
            escape_property(&format!("affilint {}", f.id)),
            escape_data(&message)
        )
    }

    fn close(&self, summary: &Summary, file_errors: &[FileError]) -> String {
        let mut out = String::new();
        for error in file_errors {
            out.push_str(&format!(
                "::error file={},title=affilint::{}\n",
                escape_property(&error.location.to_string()),
                escape_data(&error.message)
            ));
        }
        if !self.quiet {
            out.push_str(&format!(
                "affilint: {} files checked, {} links ({} affiliate): {} errors, {} warnings\n",
                summary.files,
                summary.links,
                summary.affiliate_links,
                summary.errors,
                summary.warnings
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
