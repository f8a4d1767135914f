//! The source tree's shape, held: the library's top-level modules are layers, each importing
//! only from the layers before it, and no modules that share a parent import each other in a
//! cycle (library and command line alike). `use crate::...`, `use super::...` and inline
//! `crate::` paths all count; comments and string literals do not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repo;

/// The library's layers, lowest first. A module may use the modules of earlier layers only.
const LAYERS: &[&[&str]] = &[
    &["errors", "hosts", "style"],
    &["report"],
    &["page"],
    &["disclosure"],
    &["rules", "config", "site"],
    &["links"],
    &["compile"],
    &["pass"],
    &["markdown"],
    &["engine"],
];

/// A source file: its module path and its text.
struct File {
    module: Vec<String>,
    text: String,
}

/// The module path of `path` (relative to `src/`): `a/b.rs` is `a::b`, `a/mod.rs` is `a`,
/// `lib.rs` and `main.rs` the crate root.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            out.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The library's files and the binary's (`main.rs` and `cli/`).
fn crates() -> (Vec<File>, Vec<File>) {
    let src = repo().join("src");
    let mut all = Vec::new();
    collect(&src, &src, &mut all);
    let (mut lib, mut bin) = (Vec::new(), Vec::new());
    for (relative, text) in all {
        let file = File {
            module: module_of(&relative),
            text,
        };
        if relative == Path::new("main.rs") || relative.starts_with("cli") {
            bin.push(file);
        } else {
            lib.push(file);
        }
    }
    (lib, bin)
}

/// The code of `text` with comments and string and character literals blanked out.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                i = end;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && !b[..i]
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let body = i + 2 + hashes;
                i = text[body..]
                    .find(&close)
                    .map_or(b.len(), |e| body + e + close.len());
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A character literal ('x', '\n', '\u{..}'), or a lifetime ('a).
                let mut chars = text[i + 1..].chars();
                let first = chars.next();
                if first == Some('\\') {
                    // The escaped character may itself be a quote ('\'').
                    let close = text[i + 3..].find('\'').map_or(b.len(), |e| i + 3 + e + 1);
                    i = close;
                    out.push_str("' '");
                } else if let Some(c) = first.filter(|_| chars.next() == Some('\'')) {
                    i += 2 + c.len_utf8();
                    out.push_str("' '");
                } else {
                    out.push('\'');
                    i += 1;
                }
            }
            _ => {
                let c = text[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The inline `mod NAME { ... }` blocks of `code`: their name and byte range.
fn inline_modules(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let b = code.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("mod ").map(|i| at + i) {
        at = i + 4;
        if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
            continue;
        }
        let rest = &code[at..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = at + name.len() + (rest.len() - name.len() - after.len());
        let mut depth = 0;
        let mut end = code.len();
        for (j, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push((name, open..end));
    }
    found
}

/// Every path that starts at `crate::`, `super::` or `self::` in `code`, as an absolute
/// path, for a file of `module` (`self` is the module the path is written in, `super` its
/// parent; an inline `mod tests { ... }` is a module of its own).
fn references(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let inline = inline_modules(code);
    let base_at = |offset: usize| {
        let mut base = module.to_vec();
        let mut enclosing: Vec<&(String, std::ops::Range<usize>)> =
            inline.iter().filter(|(_, r)| r.contains(&offset)).collect();
        enclosing.sort_by_key(|(_, r)| r.start);
        base.extend(enclosing.iter().map(|(name, _)| name.clone()));
        base
    };
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts_word = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let rest = &code[i..];
        let prefix = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|p| starts_word && rest.starts_with(p));
        let Some(prefix) = prefix else {
            i += 1;
            continue;
        };
        let base = base_at(i);
        let mut start: Vec<String> = match prefix {
            "crate::" => Vec::new(),
            "self::" => base.clone(),
            _ => base[..base.len().saturating_sub(1)].to_vec(),
        };
        let mut j = i + prefix.len();
        while code[j..].starts_with("super::") {
            start.pop();
            j += "super::".len();
        }
        let (paths, end) = parse_tree(code, j);
        for path in paths {
            let mut full = start.clone();
            full.extend(path);
            out.push(full);
        }
        i = end.max(i + 1);
    }
    out
}

/// Parses a use tree at `at`: `a::b`, `a::{b, c::d}`, `{a, b}`; returns its paths and where it
/// ends.
fn parse_tree(code: &str, mut at: usize) -> (Vec<Vec<String>>, usize) {
    let b = code.as_bytes();
    let skip_space = |at: &mut usize| {
        while *at < b.len() && b[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    skip_space(&mut at);
    if b.get(at) == Some(&b'{') {
        at += 1;
        let mut paths = Vec::new();
        loop {
            skip_space(&mut at);
            match b.get(at) {
                None => return (paths, at),
                Some(b'}') => return (paths, at + 1),
                Some(b',') => at += 1,
                _ => {
                    let (inner, end) = parse_tree(code, at);
                    paths.extend(inner);
                    if end == at {
                        at += 1;
                    } else {
                        at = end;
                    }
                }
            }
        }
    }
    let ident_end = code[at..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(code.len(), |e| at + e);
    if ident_end == at {
        return (vec![Vec::new()], at);
    }
    let ident = code[at..ident_end].to_owned();
    if code[ident_end..].starts_with("::") {
        let (rest, end) = parse_tree(code, ident_end + 2);
        let paths = rest
            .into_iter()
            .map(|mut p| {
                p.insert(0, ident.clone());
                p
            })
            .collect();
        return (paths, end);
    }
    (vec![vec![ident]], ident_end)
}

/// The names the crate root re-exports (`pub use engine::{Engine, Fixer};`), with the
/// module each comes from: `crate::Engine` is a use of `engine`.
fn reexports(files: &[File]) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for file in files.iter().filter(|f| f.module.is_empty()) {
        let code = code_only(&file.text);
        let mut at = 0;
        while let Some(i) = code[at..].find("pub use ").map(|i| at + i) {
            let (paths, end) = parse_tree(&code, i + "pub use ".len());
            for path in paths {
                if let (Some(first), Some(last)) = (path.first(), path.last())
                    && path.len() > 1
                {
                    names.insert(last.clone(), first.clone());
                }
            }
            at = end.max(i + 1);
        }
    }
    names
}

/// For every pair of sibling modules (`parent` → `from` uses `to`), the edges the files make.
fn sibling_edges(files: &[File]) -> BTreeMap<(Vec<String>, String, String), String> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let reexported = reexports(files);
    let mut edges = BTreeMap::new();
    for file in files {
        for mut target in references(&code_only(&file.text), &file.module) {
            // A name the crate root re-exports stands for the module it comes from.
            if let Some(module) = target.first().and_then(|name| reexported.get(name)) {
                target.insert(0, module.clone());
            }
            let common = file
                .module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common >= file.module.len() || common >= target.len() {
                continue; // a parent using its own child, or a child its ancestor's items
            }
            let parent = file.module[..common].to_vec();
            let mut to_module = parent.clone();
            to_module.push(target[common].clone());
            if !modules.contains(&to_module) {
                continue; // an item of the parent, not a sibling module
            }
            let key = (parent, file.module[common].clone(), target[common].clone());
            edges.entry(key).or_insert_with(|| {
                format!("{} uses {}", file.module.join("::"), target.join("::"))
            });
        }
    }
    edges
}

/// The cycles among siblings, each as `parent: a -> b -> a (why)`.
fn cycles(edges: &BTreeMap<(Vec<String>, String, String), String>) -> Vec<String> {
    let mut found = Vec::new();
    let parents: BTreeSet<&Vec<String>> = edges.keys().map(|(p, _, _)| p).collect();
    for parent in parents {
        let graph: BTreeMap<&str, Vec<&str>> = edges.keys().filter(|(p, _, _)| p == parent).fold(
            BTreeMap::new(),
            |mut g, (_, a, b)| {
                g.entry(a.as_str()).or_default().push(b.as_str());
                g
            },
        );
        // Depth-first search from every node; a path that comes back is a cycle.
        for &start in graph.keys() {
            let mut stack = vec![(start, vec![start])];
            while let Some((node, path)) = stack.pop() {
                for &next in graph.get(node).map(Vec::as_slice).unwrap_or_default() {
                    if next == start {
                        let mut cycle = path.clone();
                        cycle.push(start);
                        let why: Vec<&str> = cycle
                            .windows(2)
                            .map(|w| {
                                edges[&(parent.clone(), w[0].to_owned(), w[1].to_owned())].as_str()
                            })
                            .collect();
                        found.push(format!(
                            "{}: {} ({})",
                            if parent.is_empty() {
                                "crate".to_owned()
                            } else {
                                parent.join("::")
                            },
                            cycle.join(" -> "),
                            why.join("; ")
                        ));
                    } else if !path.contains(&next) {
                        let mut longer = path.clone();
                        longer.push(next);
                        stack.push((next, longer));
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Top-level edges of the library that do not go down the layers.
fn upward(edges: &BTreeMap<(Vec<String>, String, String), String>) -> Vec<String> {
    let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    edges
        .iter()
        .filter(|((parent, _, _), _)| parent.is_empty())
        .filter_map(|((_, from, to), why)| match (layer(from), layer(to)) {
            (Some(a), Some(b)) if b < a => None,
            (Some(_), Some(_)) => Some(format!("{why}: `{to}` is not in a layer below `{from}`")),
            _ => Some(format!(
                "{why}: `{from}` or `{to}` is in no layer (tests/it/layers.rs)"
            )),
        })
        .collect()
}

#[test]
fn the_library_imports_only_down_its_layers() {
    let (lib, _) = crates();
    let edges = sibling_edges(&lib);
    assert!(
        edges.len() > 20,
        "the scan sees the imports: {}",
        edges.len()
    );
    let bad = upward(&edges);
    assert!(
        bad.is_empty(),
        "imports that go up or across:\n{}",
        bad.join("\n")
    );
    let top: BTreeSet<String> = lib
        .iter()
        .filter(|f| f.module.len() == 1)
        .map(|f| f.module[0].clone())
        .collect();
    for module in &top {
        assert!(
            LAYERS.iter().any(|l| l.contains(&module.as_str())),
            "src/{module} is in no layer: add it to LAYERS in tests/it/layers.rs"
        );
    }
}

#[test]
fn no_modules_import_each_other_in_a_cycle() {
    let (lib, bin) = crates();
    for files in [lib, bin] {
        let found = cycles(&sibling_edges(&files));
        assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
    }
}

#[test]
fn the_scan_catches_upward_imports_and_cycles_and_ignores_comments_and_strings() {
    let file = |module: &str, text: &str| File {
        module: module
            .split("::")
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
        text: text.to_owned(),
    };
    let files = [
        file(
            "page",
            "use crate::report::Finding;\n// use crate::pass::X;\n",
        ),
        file(
            "report",
            "fn f() { crate::page::source::x(); let s = \"crate::engine\"; }",
        ),
        file("page::source", "use super::{hiding::Hiding, markup};"),
        file("page::hiding", "use super::source::Source;"),
        file(
            "page::markup",
            "use crate::page::{hiding, source::{self, Ticket}};",
        ),
        file("pass", "use crate::{engine::Engine, page::source};"),
        file("engine", ""),
        file("hosts", "fn f() -> crate::Fixer { todo!() }"),
        file(
            "links",
            "mod tests { use super::super::engine::X; use super::Y; }",
        ),
        file(
            "",
            "pub use engine::{Engine, Fixer};\npub use page::Output;",
        ),
    ];
    let edges = sibling_edges(&files);
    let up = upward(&edges);
    assert_eq!(
        up,
        [
            "hosts uses engine::Fixer: `engine` is not in a layer below `hosts`",
            "links uses engine::X: `engine` is not in a layer below `links`",
            "pass uses engine::Engine: `engine` is not in a layer below `pass`",
            "report uses page::source::x: `page` is not in a layer below `report`",
        ],
        "{edges:?}"
    );
    let found = cycles(&edges);
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("crate: page -> report -> page")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("page: hiding -> source -> hiding")),
        "{found:?}"
    );
    assert_eq!(
        code_only("a // b crate::x\nc 'x' 'a \"s\" r#\"q\"#"),
        "a \nc ' ' 'a \"\" \"\""
    );
    assert_eq!(code_only("'\\'' crate::a"), "' ' crate::a");
}
