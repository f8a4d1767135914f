//! Element names by the role the HTML standard gives them, defined once for every reader:
//! raw-text and void elements, the start tags that close an open `<p>`, the other tags that
//! separate words, and the blocks a disclosure can be inserted before.

/// Elements whose content is not markup (the tokenizer's raw-text, RCDATA and script states,
/// `<noscript>` read with scripting on).
pub(crate) const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements that cannot have content.
pub(crate) const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Start tags that close an open `<p>` ("in body" insertion mode: the tags that "close a p
/// element" when one is in button scope).
pub(crate) const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "plaintext",
    "pre",
    "search",
    "section",
    "summary",
    "table",
    "ul",
    "xmp",
];

/// Tags that separate words besides those in [`CLOSES_P`]: line breaks, table parts, form
/// controls, replaced content. Inline elements (`<em>`, `<a>`, `<span>`) and comments do not.
const BREAKS_WORDS: &[&str] = &[
    "audio", "br", "button", "canvas", "embed", "iframe", "img", "input", "object", "option",
    "select", "svg", "tbody", "td", "textarea", "tfoot", "th", "thead", "tr", "video",
];

/// Blocks a disclosure paragraph can be inserted right before.
pub(crate) const PARAGRAPH_LEVEL: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "figure",
    "ul",
    "ol",
    "dl",
    "table",
    "details",
];

/// Parts of a list or table: the insertion point is the list or table around them.
pub(crate) const ITEMS: &[&str] = &["li", "dd", "dt", "td", "th"];

/// Sectioning and other containers: a link directly inside one gets the disclosure right
/// before itself.
pub(crate) const CONTAINERS: &[&str] = &[
    "div", "section", "article", "main", "aside", "header", "footer", "nav", "body",
];

/// Whether `name` is one of `list`, ASCII case-insensitively.
pub(crate) fn is_one_of(name: &[u8], list: &[&str]) -> bool {
    list.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// Whether a tag named `name` separates words.
pub(crate) fn breaks_words(name: &[u8]) -> bool {
    is_one_of(name, CLOSES_P) || is_one_of(name, BREAKS_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_break_only_at_block_markup() {
        assert!(breaks_words(b"BR"));
        assert!(breaks_words(b"p"));
        assert!(breaks_words(b"menu"));
        assert!(breaks_words(b"li"));
        assert!(!breaks_words(b"em"));
        assert!(!breaks_words(b"pre-x"));
    }

    #[test]
    fn each_list_names_each_element_once() {
        for list in [
            RAW_TEXT,
            VOID,
            CLOSES_P,
            BREAKS_WORDS,
            PARAGRAPH_LEVEL,
            ITEMS,
            CONTAINERS,
        ] {
            let mut sorted = list.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len(), "{list:?}");
        }
        for name in BREAKS_WORDS {
            assert!(
                !is_one_of(name.as_bytes(), CLOSES_P),
                "{name} is in both lists"
            );
        }
    }
}
