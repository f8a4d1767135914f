//! A `<style>` block's rules found without parsing it: its braces give the style rules,
//! a SIMD search for a few words tells which may hide, shrink or colour text, and an index
//! by the class, id and element names in their selectors gives, for the elements around a
//! statement, the few rules worth handing to [`Sheet::parse`](super::Sheet::parse). A page's
//! large `<style>` blocks are never parsed whole.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::packed;

use super::sheet::{Node, words};

/// The class, id and element names of some elements, as keys of [`Rules`]' index: what a
/// rule that may match one of them names in its selectors.
pub(crate) struct Names {
    keys: Vec<Vec<u8>>,
}

impl Names {
    pub(crate) fn of(nodes: &[&dyn Node]) -> Names {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for node in nodes {
            if let Some(classes) = node.attribute(b"class") {
                keys.extend(words(classes).map(|c| key(b'.', c)));
            }
            if let Some(id) = node.attribute(b"id") {
                keys.push(key(b'#', id));
            }
            keys.push(key(TYPE, &node.name().to_ascii_lowercase()));
        }
        keys.sort();
        keys.dedup();
        Names { keys }
    }
}

/// The sign of an element's name in an index key (a class's is `.`, an id's `#`).
const TYPE: u8 = b' ';

fn key(sign: u8, name: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 1);
    key.push(sign);
    key.extend_from_slice(name);
    key
}

/// The names a selector list holds, as index keys, and whether it has an attribute
/// selector; `None` when no selector of the list can be matched (each has a pseudo-class or
/// -element).
fn selector_names(prelude: &[u8]) -> Option<(Vec<Vec<u8>>, bool)> {
    // A colon that is not escaped (`md\:block` is a class name) starts a pseudo-class.
    let pseudo = |selector: &[u8]| {
        memchr::memchr_iter(b':', selector).any(|at| at == 0 || selector[at - 1] != b'\\')
    };
    if prelude.split(|&b| b == b',').all(pseudo) {
        return None;
    }
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80;
    let mut keys = Vec::new();
    let mut attributed = false;
    let mut i = 0;
    while i < prelude.len() {
        let b = prelude[i];
        if b == b'[' {
            attributed = true;
            i += memchr::memchr(b']', &prelude[i..]).unwrap_or(prelude.len() - i);
            continue;
        }
        let sign = match b {
            b'.' | b'#' | b':' => {
                i += 1;
                b
            }
            _ if ident(b) => TYPE,
            _ => {
                i += 1;
                continue;
            }
        };
        // The name, its escapes (`md\:block`) undone.
        let mut name = Vec::new();
        let mut end = i;
        while end < prelude.len() {
            match prelude[end] {
                b'\\' if end + 1 < prelude.len() => {
                    name.push(prelude[end + 1]);
                    end += 2;
                }
                c if ident(c) => {
                    name.push(c);
                    end += 1;
                }
                _ => break,
            }
        }
        if sign != b':' && !name.is_empty() {
            let name = name.as_slice();
            keys.push(if sign == TYPE {
                key(TYPE, &name.to_ascii_lowercase())
            } else {
                key(sign, name)
            });
        }
        i = end.max(i + 1);
    }
    Some((keys, attributed))
}

/// Words of the declarations that can hide or shrink text (a rule with one is *strong*), as
/// sheets write them, then `background`. A sheet without a strong rule, nor a [`COLOUR`] and
/// a background, cannot make text unseen or hard to read.
pub(super) const TRIGGERS: &[&str] = &[
    "none",
    "NONE",
    "hidden",
    "HIDDEN",
    "collapse",
    "opacity",
    "font-size",
    "absolute",
    "fixed",
    "clip",
    "text-indent",
    "background",
];
/// The word of a text colour (`color`, `background-color`).
pub(super) const COLOUR: &str = "color";

/// [`TRIGGERS`], as one SIMD search.
static TRIGGER_SEARCH: LazyLock<Option<packed::Searcher>> =
    LazyLock::new(|| packed::Config::new().builder().extend(TRIGGERS).build());

/// The style rules of a `<style>` block outside any at-rule, found by their braces and a few
/// words without parsing the sheet, so that a page's large `<style>` blocks are never parsed
/// whole: [`Rules::naming`] hands [`Sheet::parse`](super::Sheet::parse) only the rules that may match the elements
/// at hand, and only when one of them may hide or shrink text. Braces that do not balance (a
/// string or comment that holds one) leave no rule: unknown.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    /// The sheet with its comments blanked out, when it has any.
    uncommented: Option<Vec<u8>>,
    spans: Vec<Span>,
    /// Per rule: whether it may hide or shrink text, whether it sets a colour.
    strong: Vec<bool>,
    colour: Vec<bool>,
    /// Whether a rule that may match may hide or shrink text, sets a colour, and whether
    /// one sets a background.
    may_hide: bool,
    may_colour: bool,
    background: bool,
    /// The rules that may match, by the names their selectors hold; built when first asked.
    index: std::cell::OnceCell<Index>,
}

/// The rules that may match an element, by the names their selectors hold.
#[derive(Debug, Default)]
struct Index {
    /// By [`Names`]' keys: the rules (in `spans`) whose selectors hold it.
    by_name: HashMap<Vec<u8>, Vec<usize>>,
    /// Rules with an attribute selector: they may match any element.
    attributed: Vec<usize>,
}

impl Rules {
    /// The rules of `css`, found by their braces; which may hide, shrink or colour text.
    pub(crate) fn new(css: &[u8]) -> Rules {
        let uncommented = without_comments(css);
        let text = uncommented.as_deref().unwrap_or(css);
        let Some(spans) = style_rules(text) else {
            return Rules::default();
        };
        let Some(triggers) = TRIGGER_SEARCH.as_ref() else {
            return Rules::default();
        };
        // The rule whose block holds `at` (one that applies always).
        let block_at = |at: usize| {
            let index = spans.partition_point(|span| span.close < at);
            spans
                .get(index)
                .is_some_and(|span| at > span.open && !span.conditional)
                .then_some(index)
        };
        let mut strong = vec![false; spans.len()];
        let mut colour = vec![false; spans.len()];
        let mut background = false;
        for found in triggers.find_iter(text) {
            let Some(index) = block_at(found.start()) else {
                continue;
            };
            if found.pattern().as_usize() + 1 == TRIGGERS.len() {
                background = true;
                colour[index] = true;
            } else {
                strong[index] = true;
            }
        }
        // Colours decide something only with a background: otherwise they are not looked for.
        if background {
            for at in memchr::memmem::find_iter(text, COLOUR) {
                if let Some(index) = block_at(at) {
                    colour[index] = true;
                }
            }
        }
        // A rule that can match no element (`:root`, `a:hover`) matters for nothing.
        let matchable = |i: usize| selector_names(&text[spans[i].start..spans[i].open]).is_some();
        let may_hide = (0..spans.len()).any(|i| strong[i] && matchable(i));
        let may_colour = (0..spans.len()).any(|i| colour[i] && matchable(i));
        Rules {
            uncommented,
            spans,
            strong,
            colour,
            may_hide,
            may_colour,
            background,
            index: std::cell::OnceCell::new(),
        }
    }

    /// Whether a rule sets a background.
    pub(crate) fn sets_background(&self) -> bool {
        self.background
    }

    /// Whether a rule may hide or shrink text (or, with `colours`, colour it).
    pub(crate) fn may_hide(&self, colours: bool) -> bool {
        self.may_hide || (colours && self.may_colour)
    }

    fn index(&self, css: &[u8]) -> &Index {
        self.index.get_or_init(|| {
            let text = self.uncommented.as_deref().unwrap_or(css);
            let mut index = Index::default();
            for (at, span) in self.spans.iter().enumerate() {
                let Some((keys, attributed)) = selector_names(&text[span.start..span.open]) else {
                    continue;
                };
                if attributed {
                    index.attributed.push(at);
                }
                for key in keys {
                    index.by_name.entry(key).or_default().push(at);
                }
            }
            index
        })
    }

    /// The text of the rules of `css` (the sheet these rules were found in) whose selectors
    /// may name one of `names` (or match by attribute), in their order, and of those that
    /// apply only sometimes (in `@media` and the like). With neither `always` nor a rule
    /// among them that may hide or shrink text (or, with `colours`, sets a colour): none.
    pub(crate) fn naming(
        &self,
        css: &[u8],
        names: &Names,
        colours: bool,
        always: bool,
    ) -> (String, String) {
        if !always && !self.may_hide(colours) {
            return (String::new(), String::new());
        }
        let text = self.uncommented.as_deref().unwrap_or(css);
        let index = self.index(css);
        let mut named: Vec<usize> = index.attributed.clone();
        for key in &names.keys {
            if let Some(rules) = index.by_name.get(key) {
                named.extend(rules);
            }
        }
        named.sort_unstable();
        named.dedup();
        let matters = |&i: &usize| {
            !self.spans[i].conditional && (self.strong[i] || (colours && self.colour[i]))
        };
        if !always && !named.iter().any(matters) {
            return (String::new(), String::new());
        }
        let (mut every, mut sometimes) = (String::new(), String::new());
        for span in named.iter().map(|&i| &self.spans[i]) {
            let out = if span.conditional {
                &mut sometimes
            } else {
                &mut every
            };
            out.push_str(&String::from_utf8_lossy(&text[span.start..=span.close]));
            out.push('\n');
        }
        (every, sometimes)
    }
}

/// A style rule found by its braces.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// Where its selectors start, its `{` and its `}`.
    start: usize,
    open: usize,
    close: usize,
    /// Inside an at-rule (`@media`, `@supports`) or another rule: it applies only sometimes.
    conditional: bool,
}

/// The style rules of `css` (blocks of declarations, not at-rules); `None` when the braces
/// do not balance.
fn style_rules(css: &[u8]) -> Option<Vec<Span>> {
    let mut all = Vec::new();
    // The blocks open: where each one's prelude starts, its `{`, whether it holds a block.
    let mut open: Vec<(usize, usize, bool)> = Vec::new();
    let mut prelude_start = 0;
    let mut i = 0;
    while let Some(found) = memchr::memchr2(b'{', b'}', &css[i..]) {
        let at = i + found;
        i = at + 1;
        if css[at] == b'{' {
            if let Some(outer) = open.last_mut() {
                outer.2 = true;
            }
            let mut start = prelude_start;
            // After a declaration or statement at-rule (`@import url(x.css);`), past its `;`.
            if let Some(semicolon) = memchr::memrchr(b';', &css[start..at]) {
                start += semicolon + 1;
            }
            open.push((start, at, false));
        } else {
            let (start, brace, holds_block) = open.pop()?;
            if !holds_block && !css[start..brace].trim_ascii_start().starts_with(b"@") {
                all.push(Span {
                    start,
                    open: brace,
                    close: at,
                    conditional: !open.is_empty(),
                });
            }
        }
        prelude_start = at + 1;
    }
    open.is_empty().then_some(all)
}

/// `css` with its comments blanked out, if it has any.
fn without_comments(css: &[u8]) -> Option<Vec<u8>> {
    memchr::memmem::find(css, b"/*")?;
    let mut out = css.to_vec();
    let mut i = 0;
    while let Some(start) = memchr::memmem::find(&out[i..], b"/*") {
        let start = i + start;
        let end =
            memchr::memmem::find(&out[start + 2..], b"*/").map_or(out.len(), |e| start + 2 + e + 2);
        out[start..end].fill(b' ');
        i = end;
    }
    Some(out)
}
