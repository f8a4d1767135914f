//! With `[markdown] disclosure = "check"`: a post's disclosure judged on the post itself, as
//! pulldown-cmark renders it, for sites whose posts carry their own statement. Each finding
//! is moved back to the Markdown that rendered the HTML it points at.

use std::cell::RefCell;
use std::fmt;

use pulldown_cmark::Parser;

use super::OPTIONS;
use super::lines::Lines;
use crate::compile::Checks;
use crate::errors::DocumentError;
use crate::pass::Pass;
use crate::report::Finding;

/// Where the rendered HTML goes, as the renderer writes it.
struct Rendered<'a>(&'a RefCell<String>);

impl fmt::Write for Rendered<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.borrow_mut().push_str(s);
        Ok(())
    }
}

/// The disclosure findings of `text`, rendered, at the Markdown's lines and columns.
pub(crate) fn findings(
    checks: &Checks,
    text: &str,
    lines: &Lines<'_>,
) -> Result<Vec<Finding>, DocumentError> {
    let html = RefCell::new(String::with_capacity(text.len() * 2));
    // Per event: where its HTML starts, and where its Markdown does.
    let starts = RefCell::new(Vec::new());
    let events = Parser::new_ext(text, OPTIONS)
        .into_offset_iter()
        .map(|(event, range)| {
            starts.borrow_mut().push((html.borrow().len(), range.start));
            event
        });
    pulldown_cmark::html::write_html_fmt(Rendered(&html), events).map_err(|_| {
        DocumentError::Parse {
            message: "the Markdown could not be rendered".to_owned(),
        }
    })?;
    let html = html.into_inner();
    let starts = starts.into_inner();
    let mut pass = Pass::new(checks, std::io::sink(), false);
    pass.write(html.as_bytes())?;
    let (report, _) = pass.end()?;
    Ok(report
        .findings
        .into_iter()
        .filter(|f| f.id.is_disclosure())
        .map(|mut f| {
            let index = starts.partition_point(|&(at, _)| at <= f.offset);
            let at = index.checked_sub(1).map_or(0, |i| starts[i].1);
            (f.line, f.column) = lines.position(at);
            f.offset = at;
            f
        })
        .collect())
}
