//! URL values in a Markdown file's front matter (YAML between `---`, TOML between `+++`),
//! as site generators read them (`product_url = "https://www.amazon.de/...&tag=..."`),
//! found and rewritten with their format's quoting: TOML basic and literal strings, YAML
//! plain, single- and double-quoted scalars. Comments are not values.

use std::ops::Range;

/// How a front-matter string is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote {
    /// `"..."`: TOML basic, YAML double-quoted (backslash escapes).
    Double,
    /// `'...'` in YAML (`''` is a quote).
    YamlSingle,
    /// `'...'` in TOML (literal: no escapes, no `'`).
    TomlLiteral,
    /// A YAML plain scalar.
    YamlPlain,
    /// A YAML plain scalar in a flow collection (`[...]`, `{...}`), where YAML 1.1 readers
    /// refuse a `?` or `:` inside: read, never written.
    YamlFlow,
}

/// A URL value: where its characters are (inside the quotes), what it means, its quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) range: Range<usize>,
    pub(crate) url: String,
    pub(crate) quote: Quote,
}

/// The front matter at the top of `text` (after a byte-order mark): `---` ... `---` (or
/// `...`) for YAML, `+++` ... `+++` for TOML, each on a line of its own. Its content, where
/// the body starts, and whether it is YAML.
pub(crate) fn block(text: &str) -> Option<(Range<usize>, usize, bool)> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let (delimiter, yaml) = if rest.starts_with("---") {
        ("---", true)
    } else if rest.starts_with("+++") {
        ("+++", false)
    } else {
        return None;
    };
    let first_end = rest.find('\n')?;
    if rest[..first_end].trim_end() != delimiter {
        return None;
    }
    let content_start = start + first_end + 1;
    let mut at = content_start;
    for line in text[content_start..].split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == delimiter || (yaml && bare == "...") {
            return Some((content_start..at, at + line.len(), yaml));
        }
        at += line.len();
    }
    None
}

/// The URL values of front matter `text` (at `base` in the document).
pub(crate) fn urls(text: &str, base: usize, yaml: bool) -> Vec<Value> {
    let mut values = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = ["http://", "https://"]
        .iter()
        .filter_map(|s| lower[from..].find(s))
        .min()
    {
        let at = from + found;
        from = at + 1;
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        let before = &text[line_start..at];
        if in_comment(before) {
            continue;
        }
        let quote = match before.chars().last() {
            Some('"') => Quote::Double,
            Some('\'') if yaml => Quote::YamlSingle,
            Some('\'') => Quote::TomlLiteral,
            Some(_) if yaml => Quote::YamlPlain,
            _ => continue,
        };
        // Only a value that is the URL and nothing else: what starts it is the quote, or for
        // a plain scalar a key's `:`, a list's `-` or a flow collection's `[`, `,`, `{`.
        let opener = before[..before.len() - usize::from(quote != Quote::YamlPlain)].trim_end();
        let starts_value =
            opener.ends_with([':', '=', '[', ',', '{']) || opener.trim_start() == "-";
        let spaced = quote != Quote::YamlPlain || before.ends_with([' ', '\t']);
        if !starts_value || !spaced {
            continue;
        }
        let flow = before.matches(['[', '{']).count() > before.matches([']', '}']).count();
        let quote = if quote == Quote::YamlPlain && flow {
            Quote::YamlFlow
        } else {
            quote
        };
        let rest = &text[at..];
        let Some((len, url)) = read(rest, quote) else {
            continue;
        };
        // What follows on the line: the value's end, then a comment, a flow separator or
        // nothing.
        let after = rest[len..].split(['\n', '\r']).next().unwrap_or("");
        let after = after
            .strip_prefix(['"', '\''])
            .filter(|_| !matches!(quote, Quote::YamlPlain | Quote::YamlFlow))
            .unwrap_or(after)
            .trim_start();
        let ends_value = after.is_empty() || after.starts_with(['#', ',', ']', '}']);
        if !ends_value || url.contains(char::is_whitespace) {
            continue;
        }
        values.push(Value {
            range: base + at..base + at + len,
            url,
            quote,
        });
        from = at + len;
    }
    values
}

/// Whether a `#` outside quotes starts a comment before the value on its line.
fn in_comment(before: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for c in before.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q && previous != '\\' => quote = None,
            (None, '#') if previous.is_whitespace() => return true,
            _ => {}
        }
        previous = c;
    }
    // At the very start of a line.
    before.trim_start().starts_with('#')
}

/// The value's length in `rest` (from the URL's first character) and what it means;
/// `None` when it holds what this reading does not follow (escapes other than `\\`, `\"`
/// and `\/`).
fn read(rest: &str, quote: Quote) -> Option<(usize, String)> {
    match quote {
        Quote::Double => {
            let mut out = String::new();
            let mut chars = rest.char_indices();
            while let Some((at, c)) = chars.next() {
                match c {
                    '"' => return Some((at, out)),
                    '\\' => match chars.next() {
                        Some((_, e @ ('\\' | '"'))) => out.push(e),
                        _ => return None,
                    },
                    '\n' => return None,
                    c => out.push(c),
                }
            }
            None
        }
        Quote::YamlSingle => {
            let mut out = String::new();
            let bytes = rest.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\'' if bytes.get(i + 1) == Some(&b'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    b'\'' => return Some((i, out)),
                    b'\n' => return None,
                    _ => {
                        let c = rest[i..].chars().next()?;
                        out.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            None
        }
        Quote::TomlLiteral => {
            let end = rest.find(['\'', '\n'])?;
            (rest.as_bytes()[end] == b'\'').then(|| (end, rest[..end].to_owned()))
        }
        Quote::YamlPlain | Quote::YamlFlow => {
            // Up to the line's end, a comment, or (in a flow sequence) `,` or `]`.
            let mut end = rest.find(['\n', '\r']).unwrap_or(rest.len());
            if let Some(comment) = rest[..end].find(" #") {
                end = comment;
            }
            if let Some(flow) = rest[..end].find([',', ']', '}']) {
                end = flow;
            }
            let value = rest[..end].trim_end();
            Some((value.len(), value.to_owned()))
        }
    }
}

/// What a value's characters (inside its quotes) mean.
pub(crate) fn read_value(source: &str, quote: Quote) -> Option<String> {
    let close = match quote {
        Quote::Double => "\"",
        Quote::YamlSingle | Quote::TomlLiteral => "'",
        Quote::YamlPlain | Quote::YamlFlow => "",
    };
    let (len, url) = read(&format!("{source}{close}"), quote)?;
    (len == source.len()).then_some(url)
}

/// How `url` is written with `quote`, or why it cannot be.
pub(crate) fn write(url: &str, quote: Quote) -> Result<String, &'static str> {
    match quote {
        Quote::Double => Ok(url.replace('\\', "\\\\").replace('"', "\\\"")),
        Quote::YamlSingle => Ok(url.replace('\'', "''")),
        Quote::TomlLiteral if url.contains(['\'', '\n']) => {
            Err("the new URL cannot be written in a TOML literal string")
        }
        Quote::TomlLiteral => Ok(url.to_owned()),
        Quote::YamlPlain
            if url.contains(" #") || url.contains(": ") || url.contains([',', ']', '}', '\n']) =>
        {
            Err("the new URL cannot be written as a plain YAML value")
        }
        Quote::YamlPlain => Ok(url.to_owned()),
        Quote::YamlFlow => {
            Err("a plain value in a YAML flow collection cannot take it: quote the URL")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_in_their_quoting_and_not_in_comments() {
        let toml = "title = \"Kettles\"\nproduct_url = \"https://www.amazon.de/dp/B0?tag=x-21&a=\\\"b\\\"\"\n\
                    # old = \"https://www.amazon.de/dp/OLD\"\nshop = 'https://www.amazon.de/dp/B1'\n";
        let found = urls(toml, 100, false);
        let got: Vec<(&str, &str, Quote)> = found
            .iter()
            .map(|v| {
                (
                    &toml[v.range.start - 100..v.range.end - 100],
                    v.url.as_str(),
                    v.quote,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "https://www.amazon.de/dp/B0?tag=x-21&a=\\\"b\\\"",
                    "https://www.amazon.de/dp/B0?tag=x-21&a=\"b\"",
                    Quote::Double
                ),
                (
                    "https://www.amazon.de/dp/B1",
                    "https://www.amazon.de/dp/B1",
                    Quote::TomlLiteral
                ),
            ]
        );
    }

    #[test]
    fn yaml_values_plain_single_double_and_in_lists() {
        let yaml = "a: https://a.example/x # note\nb: 'https://a.example/it''s'\n\
                    c: [\"https://a.example/c\", https://a.example/d]\n# d: https://a.example/no\n";
        let urls: Vec<(String, Quote)> = urls(yaml, 0, true)
            .into_iter()
            .map(|v| (v.url, v.quote))
            .collect();
        assert_eq!(
            urls,
            [
                ("https://a.example/x".to_owned(), Quote::YamlPlain),
                ("https://a.example/it's".to_owned(), Quote::YamlSingle),
                ("https://a.example/c".to_owned(), Quote::Double),
                ("https://a.example/d".to_owned(), Quote::YamlFlow),
            ]
        );
    }

    #[test]
    fn front_matter_is_at_the_top_with_its_own_delimiters() {
        let text = "---\r\ntitle: x\r\nurl: https://a.example/x\r\n---\r\nBody\n";
        let (content, end, yaml) = block(text).unwrap();
        assert_eq!(&text[content], "title: x\r\nurl: https://a.example/x\r\n");
        assert_eq!(&text[end..], "Body\n");
        assert!(yaml);
        assert!(block("+++\na = 1\n+++\n").is_some_and(|(_, _, yaml)| !yaml));
        assert!(block("Intro\n---\na: b\n---\n").is_none());
        assert!(block("---\nno end\n").is_none());
        assert!(block("--- not a delimiter\n---\n").is_none());
    }

    #[test]
    fn a_url_inside_a_longer_value_or_a_block_scalar_is_not_one() {
        let yaml = "title: \"Buy at https://a.example/x now\"\ndesc: see https://a.example/y for more\n\
                    body: |\n  https://a.example/z\nmap: {url: https://a.example/w}\nlist:\n  - https://a.example/v\n";
        assert_eq!(
            urls_of(yaml, true),
            ["https://a.example/w", "https://a.example/v"]
        );
        let toml =
            "title = \"Buy at https://a.example/x now\"\nurl = \"https://a.example/y\" # ok\n";
        assert_eq!(urls_of(toml, false), ["https://a.example/y"]);
    }

    fn urls_of(text: &str, yaml: bool) -> Vec<String> {
        urls(text, 0, yaml).into_iter().map(|v| v.url).collect()
    }

    #[test]
    fn values_are_written_back_with_their_quoting() {
        assert_eq!(write("a\"b\\c", Quote::Double).unwrap(), "a\\\"b\\\\c");
        assert_eq!(write("it's", Quote::YamlSingle).unwrap(), "it''s");
        assert!(write("it's", Quote::TomlLiteral).is_err());
        assert!(write("a #b", Quote::YamlPlain).is_err());
        assert_eq!(
            write("https://a.example/?tag=x-20", Quote::YamlPlain).unwrap(),
            "https://a.example/?tag=x-20"
        );
        for (url, quote) in [("a\"b\\c", Quote::Double), ("it's", Quote::YamlSingle)] {
            let written = write(url, quote).unwrap();
            let (_, read_back) = read(
                &format!(
                    "{written}{}",
                    if quote == Quote::Double { "\"" } else { "'" }
                ),
                quote,
            )
            .unwrap();
            assert_eq!(read_back, url);
        }
    }
}
