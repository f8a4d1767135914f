//! The report's reference sections: the inventory of what the pages link with, and the
//! finding ids in force with what each means.

use std::fmt::Write as _;

use affilint::{FindingId, Severity};

use super::escape;
use crate::cli::inventory::Counts;

/// How many products the inventory lists (the most linked first).
const PRODUCTS: usize = 50;

/// The programs, ids and products the pages link with.
pub(super) fn inventory(counts: &Counts) -> String {
    let mut out = String::from(
        "<section id=\"inventory\"><h2>Inventory</h2><div class=\"wide\"><table>\
         <tr><th>Program</th><th>Host</th><th>Affiliate id</th><th class=\"n\">Links</th><th class=\"n\">Pages</th></tr>",
    );
    for ((program, host, id), (count, short)) in &counts.ids {
        let id = match (id, short) {
            (Some(id), _) => format!("<code>{}</code>", escape(id)),
            (None, true) => "short links".to_owned(),
            (None, false) => "none".to_owned(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{id}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             </tr>",
            escape(program),
            escape(host),
            count.links,
            count.pages
        );
    }
    out.push_str("</table></div>");
    if !counts.products.is_empty() {
        let mut products: Vec<_> = counts.products.iter().collect();
        products.sort_by(|a, b| b.1.links.cmp(&a.1.links).then_with(|| a.0.cmp(b.0)));
        let _ = write!(
            out,
            "<h3>Products ({} linked; the {} most linked)</h3><div class=\"wide\"><table>\
             <tr><th>Program</th><th>Product</th><th class=\"n\">Links</th><th class=\"n\">Pages</th></tr>",
            products.len(),
            products.len().min(PRODUCTS)
        );
        for ((program, product), count) in products.into_iter().take(PRODUCTS) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td></tr>",
                escape(program),
                escape(product),
                count.links,
                count.pages
            );
        }
        out.push_str("</table></div>");
    }
    out.push_str("</section>\n");
    out
}

/// Every finding id in force: its severity, what it means and what to do.
pub(super) fn glossary(out: &mut String, checks: &[(FindingId, Severity)]) {
    out.push_str(
        "<section id=\"ids\" class=\"glossary\"><h2>Finding ids in force</h2>\
         <p class=\"meta\"><code>affilint explain ID</code> prints the same.</p>",
    );
    for (id, severity) in checks {
        let name = id.as_str();
        let _ = write!(
            out,
            "<details id=\"why-{name}\"><summary><code>{name}</code> ({severity}): {}</summary>",
            escape(id.summary())
        );
        for paragraph in id.explanation().split("\n\n") {
            let _ = write!(out, "<p>{}</p>", escape(paragraph.trim()));
        }
        out.push_str("</details>");
    }
    out.push_str("</section>\n");
}
