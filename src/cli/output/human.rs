//! `--format human` (and `short`): `file:line:col: severity[rule]: message`, then the source
//! line with the element underlined and a hint, then a summary line. Colour on request.

use std::fmt::Write as _;

use affilint::{Finding, Location, Severity};
use anstyle::{AnsiColor, Style as Paint};

use super::{Built, Style, Summary};
use crate::cli::files::FileError;
use crate::cli::snippet::Snippet;
use crate::cli::{plural, printable};

const PATH: Paint = Paint::new().bold();
const ERROR: Paint = AnsiColor::Red.on_default().bold();
const WARNING: Paint = AnsiColor::Yellow.on_default().bold();
const GUTTER: Paint = AnsiColor::Blue.on_default().bold();
const HELP: Paint = AnsiColor::Cyan.on_default().bold();

/// Human output.
pub(crate) struct Human {
    /// Colour with ANSI escapes.
    pub(crate) color: bool,
    /// Show the source line and a hint under each finding.
    pub(crate) snippets: bool,
    /// No summary line.
    pub(crate) quiet: bool,
    /// `fix --diff`: files would be fixed, not fixed.
    pub(crate) dry_run: bool,
}

impl Human {
    fn paint(&self, paint: Paint, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", paint.render(), paint.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn severity_paint(severity: Severity) -> Paint {
        if severity == Severity::Error {
            ERROR
        } else {
            WARNING
        }
    }
}

impl Style for Human {
    fn wants_snippets(&self) -> bool {
        self.snippets
    }

    fn finding(&self, location: &Location, f: &Finding, snippet: Option<&Snippet>) -> String {
        let severity = Human::severity_paint(f.severity);
        let place = format!("{location}:{}:{}", f.line, f.column);
        let mut out = format!(
            "{}: {}: {}\n",
            self.paint(PATH, &printable(&place)),
            self.paint(severity, &format!("{}[{}]", f.severity, f.id)),
            printable(&f.message)
        );
        if !self.snippets {
            return out;
        }
        let number = snippet.map_or(String::new(), |s| s.line.to_string());
        let pad = " ".repeat(number.len());
        let bar = self.paint(GUTTER, "|");
        if let Some(s) = snippet {
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(out, "{} {bar} {}", self.paint(GUTTER, &number), s.text);
            let carets = "^".repeat(s.mark.len());
            let _ = writeln!(
                out,
                "{pad} {bar} {}{}",
                " ".repeat(s.mark.start),
                self.paint(severity, &carets)
            );
        }
        // The engine's message already says when `affilint fix` handles it.
        if !f.message.contains("affilint fix") {
            let _ = writeln!(
                out,
                "{pad} {} {}: {}",
                self.paint(GUTTER, "="),
                self.paint(HELP, "help"),
                f.id.help()
            );
        }
        out.push('\n');
        out
    }

    fn mapped_finding(&self, location: &Location, f: &Finding, built: &Built) -> String {
        let mut out = self.finding(location, f, None);
        let at = format!("{}:{}:{}", printable(&built.file), built.line, built.column);
        if self.snippets {
            // After the first line and its help.
            let end = out.trim_end_matches('\n').len() + 1;
            out.insert_str(end, &format!(" {} built: {at}\n", self.paint(GUTTER, "=")));
        } else {
            // `short`: one line per finding, for problem matchers.
            out.insert_str(out.len() - 1, &format!(" (built: {at})"));
        }
        out
    }

    fn close(&self, summary: &Summary, _: &[FileError]) -> String {
        if self.quiet {
            return String::new();
        }
        let errors = plural(summary.errors, "error");
        let errors = if summary.errors > 0 {
            self.paint(ERROR, &errors)
        } else {
            errors
        };
        let warnings = plural(summary.warnings, "warning");
        let warnings = if summary.warnings > 0 {
            self.paint(WARNING, &warnings)
        } else {
            warnings
        };
        let mut out = format!(
            "{} checked, {} ({} affiliate): {errors}, {warnings}",
            plural(summary.files, "file"),
            plural(summary.links, "link"),
            summary.affiliate_links,
        );
        if let Some(fixed) = summary.fixed {
            let done = if self.dry_run {
                "would be fixed"
            } else {
                "fixed"
            };
            let _ = write!(out, "; {} {done}", plural(fixed, "file"));
        }
        if let Some(mapped) = summary.mapped {
            let _ = write!(out, "; {} placed in the sources", plural(mapped, "finding"));
        }
        if let Some(baselined) = summary.baselined {
            let _ = write!(out, "; {} in the baseline", plural(baselined, "finding"));
        }
        if let Some(n) = summary.not_written.filter(|&n| n > 0) {
            let _ = write!(out, "; {} could not be written", plural(n, "file"));
        }
        if summary.not_read > 0 {
            let _ = write!(
                out,
                "; {} could not be read",
                plural(summary.not_read, "file")
            );
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_wraps_the_parts_and_only_when_asked() {
        let plain = Human {
            color: false,
            snippets: true,
            quiet: false,
            dry_run: false,
        };
        assert_eq!(plain.paint(ERROR, "error"), "error");
        let color = Human {
            color: true,
            ..plain
        };
        assert_eq!(color.paint(ERROR, "error"), "\x1b[1m\x1b[31merror\x1b[0m");
    }
}
