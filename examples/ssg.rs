//! A static-site generator's build step with affilint: render each page, tag its affiliate
//! links and check its disclosure before writing it, and fail the build on errors.
//!
//! Run: `cargo run --example ssg -- [OUT_DIR]` (default: a temporary directory).
//! Library users who do not need the command line can depend on affilint with
//! `default-features = false`.

use std::path::PathBuf;

use affilint::{Config, Engine, RuleSet, Severity};

/// What the generator renders: (path, title, body HTML).
const PAGES: &[(&str, &str, &str)] = &[
    (
        "gear/index.html",
        "Race-day gear",
        r#"<p class="disclosure">As an Amazon Associate I earn from qualifying purchases.</p>
<p>My shoes: <a href="https://www.amazon.com/dp/B0EXAMPLE1">on Amazon</a>.</p>"#,
    ),
    (
        "travel/index.html",
        "Where I stayed",
        r#"<p>I stayed at <a href="https://www.booking.com/hotel/kp/yanggakdo.html">the hotel</a>.</p>"#,
    ),
];

fn render(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body>\n{body}\n</body></html>\n"
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("affilint-ssg-example"));

    // Build the engine once: it is Send + Sync, and compiling the rules is the costly part.
    let config = Config::parse(
        "site config",
        r#"
[programs.amazon]
tag = "runwithmiles-20"

[programs.booking]
tag = "1234567"
"#,
    )?;
    let engine = Engine::new(&RuleSet::shipped(), &config)?;

    let mut errors = 0;
    for (path, title, body) in PAGES {
        let html = render(title, body);
        let fixed = engine.fix(html.as_bytes())?;
        for finding in &fixed.report.findings {
            println!(
                "{path}:{}:{}: {}[{}]: {}",
                finding.line, finding.column, finding.severity, finding.id, finding.message
            );
            if finding.severity == Severity::Error {
                errors += 1;
            }
        }
        let target = out_dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(&out_dir))?;
        std::fs::write(&target, &fixed.html)?;
    }
    println!("wrote {} pages to {}", PAGES.len(), out_dir.display());
    if errors > 0 {
        return Err(format!("{errors} affilint error(s): the build fails").into());
    }
    Ok(())
}
