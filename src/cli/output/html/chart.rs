//! The report's charts: horizontal bars as inline SVG, one row per label, errors and warnings
//! stacked, sized to the largest row. No script, no font, nothing fetched.

use std::fmt::Write as _;

use super::escape;

/// One bar: its label and its errors and warnings.
pub(super) struct Bar {
    pub(super) label: String,
    pub(super) errors: usize,
    pub(super) warnings: usize,
}

/// How many bars a chart shows at most; the rest are summed into one last bar.
const MOST: usize = 15;
const ROW: usize = 22;
const LABEL: usize = 190;
/// The most characters of a label that fit left of the bars (the full one is its title).
const LABEL_CHARS: usize = 24;
const WIDTH: usize = 600;
/// Room right of the longest bar for its count.
const COUNT: usize = 60;

/// An SVG bar chart of `bars` (largest first), titled `title` for screen readers.
pub(super) fn bars(title: &str, mut bars: Vec<Bar>) -> String {
    bars.sort_by(|a, b| {
        (b.errors + b.warnings)
            .cmp(&(a.errors + a.warnings))
            .then_with(|| a.label.cmp(&b.label))
    });
    if bars.len() > MOST {
        let rest = bars.split_off(MOST - 1);
        bars.push(Bar {
            label: format!("{} more", rest.len()),
            errors: rest.iter().map(|b| b.errors).sum(),
            warnings: rest.iter().map(|b| b.warnings).sum(),
        });
    }
    let largest = bars
        .iter()
        .map(|b| b.errors + b.warnings)
        .max()
        .unwrap_or(0);
    let height = bars.len().max(1) * ROW + 4;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"{title}\"><title>{title}</title>",
        title = escape(title)
    );
    if bars.is_empty() {
        let _ = write!(out, "<text x=\"0\" y=\"16\">No findings.</text>");
    }
    let span = (WIDTH - LABEL - COUNT) as f64;
    let scale = |n: usize| {
        if largest == 0 {
            0.0
        } else {
            n as f64 * span / largest as f64
        }
    };
    for (row, bar) in bars.iter().enumerate() {
        let y = row * ROW + 2;
        let label = shorten(&bar.label, LABEL_CHARS);
        let errors = scale(bar.errors);
        let warnings = scale(bar.warnings);
        let _ = write!(
            out,
            "<g><title>{full}: {e} error(s), {w} warning(s)</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect class=\"bar-error\" x=\"{LABEL}\" y=\"{y}\" width=\"{errors:.1}\" height=\"16\"/>\
             <rect class=\"bar-warning\" x=\"{wx:.1}\" y=\"{y}\" width=\"{warnings:.1}\" height=\"16\"/>\
             <text x=\"{cx:.1}\" y=\"{ty}\">{total}</text></g>",
            full = escape(&bar.label),
            e = bar.errors,
            w = bar.warnings,
            lx = LABEL - 6,
            ty = y + 12,
            label = escape(&label),
            wx = LABEL as f64 + errors,
            cx = LABEL as f64 + errors + warnings + 5.0,
            total = bar.errors + bar.warnings,
        );
    }
    out.push_str("</svg>");
    out
}

/// `text` cut to `most` characters, with `…` where it was cut.
fn shorten(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(most - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, errors: usize, warnings: usize) -> Bar {
        Bar {
            label: label.to_owned(),
            errors,
            warnings,
        }
    }

    #[test]
    fn bars_are_sized_to_the_largest_and_labels_escaped() {
        let svg = bars("by id", vec![bar("small", 1, 0), bar("<b>big</b>", 2, 2)]);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("&lt;b&gt;big&lt;/b&gt;"), "{svg}");
        assert!(!svg.contains("<b>"));
        // The largest row spans the whole width left for bars; the other, a quarter of it.
        let span = (WIDTH - LABEL - COUNT) as f64;
        assert!(
            svg.contains(&format!("width=\"{:.1}\"", span / 2.0)),
            "{svg}"
        );
        assert!(
            svg.contains(&format!("width=\"{:.1}\"", span / 4.0)),
            "{svg}"
        );
        assert!(svg.find("big").unwrap() < svg.find("small").unwrap());
    }

    #[test]
    fn many_bars_end_with_the_rest_summed() {
        let many: Vec<Bar> = (0..20).map(|i| bar(&format!("s{i:02}"), 1, 0)).collect();
        let svg = bars("by section", many);
        assert_eq!(svg.matches("<g>").count(), MOST);
        assert!(svg.contains("6 more: 6 error(s)"), "{svg}");
    }
}
