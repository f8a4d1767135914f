//! Element names by the role the HTML standard gives them, defined once for every reader:
//! raw-text and void elements, the start tags that close an open `<p>`, the other tags that
//! end sentences or separate words, and the blocks a disclosure can be inserted before.

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

/// Tags that end a sentence besides those in [`CLOSES_P`]: table parts and form controls
/// (text in two cells is two statements, not one).
const ENDS_SENTENCES: &[&str] = &[
    "button", "caption", "option", "select", "tbody", "td", "textarea", "tfoot", "th", "thead",
    "tr",
];

/// Tags that only separate words: line breaks and replaced content inside a sentence
/// (`As an Amazon Associate<br>I earn ...` is one sentence). Inline elements (`<em>`, `<a>`,
/// `<span>`) and comments do not even separate words.
const BREAKS_WORDS: &[&str] = &[
    "audio", "br", "canvas", "embed", "iframe", "img", "input", "object", "svg", "video", "wbr",
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

/// What a tag does to the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Break {
    /// The words on either side are two words.
    Word,
    /// They are in two sentences (a block boundary).
    Sentence,
}

/// What a tag named `name` (start or end tag) does to the text around it, if anything.
pub(crate) fn breaks(name: &[u8]) -> Option<Break> {
    if is_one_of(name, CLOSES_P) || is_one_of(name, ENDS_SENTENCES) {
        Some(Break::Sentence)
    } else if is_one_of(name, BREAKS_WORDS) {
        Some(Break::Word)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_break_only_at_block_markup_and_sentences_only_at_blocks() {
        assert_eq!(breaks(b"BR"), Some(Break::Word));
        assert_eq!(breaks(b"img"), Some(Break::Word));
        assert_eq!(breaks(b"p"), Some(Break::Sentence));
        assert_eq!(breaks(b"menu"), Some(Break::Sentence));
        assert_eq!(breaks(b"li"), Some(Break::Sentence));
        assert_eq!(breaks(b"TD"), Some(Break::Sentence));
        assert_eq!(breaks(b"em"), None);
        assert_eq!(breaks(b"pre-x"), None);
    }

    #[test]
    fn each_list_names_each_element_once() {
        for list in [
            RAW_TEXT,
            VOID,
            CLOSES_P,
            ENDS_SENTENCES,
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
        for name in BREAKS_WORDS.iter().chain(ENDS_SENTENCES) {
            assert!(
                !is_one_of(name.as_bytes(), CLOSES_P),
                "{name} is in two lists"
            );
        }
        for name in BREAKS_WORDS {
            assert!(!is_one_of(name.as_bytes(), ENDS_SENTENCES), "{name}");
        }
    }
}
