//! Where `fix` inserts the configured disclosure (`[disclosure] insert`) on a page that lacks
//! one: before the `insert_before` element when it comes before the first affiliate link,
//! else before that link's paragraph-level ancestor (the `<p>`, list or table it sits in),
//! else right before the link. When the first link is in hidden content (a closed tab, a
//! collapsed `<details>`), the same is done for the outermost element that hides it: the
//! disclosure goes where readers see it, before the hidden block and so before every link.
//!
//! The decision is made at the first affiliate link (placement `before-first-link`: a
//! statement after it would be late anyway) or at the end of the page (`anywhere`). Until
//! then the output is held back from the earliest place the disclosure could go.

use std::cell::RefCell;
use std::rc::Rc;

use crate::page::elements::{CLOSES_P, CONTAINERS, ITEMS, PARAGRAPH_LEVEL, is_one_of};
use crate::page::hiding::NON_RENDERED;

/// An open block element: its name, start offset, and whether it hides its content.
pub(crate) type Block = (&'static str, usize, bool);

/// Open block elements, shared with lol_html end-tag handlers (which must be `'static`).
pub(crate) type Blocks = Rc<RefCell<Vec<Block>>>;

/// The configured disclosure `fix` inserts (`[disclosure] insert`), and the element it goes
/// before when that comes first (`insert-before`).
pub(crate) struct Insert {
    pub(crate) html: String,
    pub(crate) before: Option<lol_html::Selector>,
}

/// The elements tracked to find the first affiliate link's paragraph-level ancestor (and
/// whether it is hidden).
const TRACKED: [&[&str]; 4] = [PARAGRAPH_LEVEL, ITEMS, CONTAINERS, NON_RENDERED];

/// [`TRACKED`] as a selector.
pub(crate) fn block_selector() -> String {
    TRACKED.concat().join(", ")
}

fn is_paragraph_level(name: &str) -> bool {
    PARAGRAPH_LEVEL.contains(&name)
}

/// The insertion state of one document.
#[derive(Debug, Default)]
pub(crate) struct Insertion {
    pub(crate) blocks: Blocks,
    /// The start of the first element matching `insert_before`.
    anchor: Option<usize>,
    /// Where the disclosure goes, fixed at the first affiliate link.
    at: Option<usize>,
    decided: bool,
    inserted: bool,
}

impl Insertion {
    /// Until the decision: the earliest place the disclosure may go so far (`usize::MAX` when
    /// it may only go at an element still to come).
    pub(crate) fn hold(&self) -> Option<usize> {
        if self.decided {
            return None;
        }
        // The disclosure may go before a paragraph, or before a block that hides the link.
        let block = self
            .blocks
            .borrow()
            .iter()
            .find(|&&(name, _, hides)| hides || is_paragraph_level(name))
            .map_or(usize::MAX, |&(_, start, _)| start);
        Some(
            block
                .min(self.anchor.unwrap_or(usize::MAX))
                .min(self.at.unwrap_or(usize::MAX)),
        )
    }

    /// An element matching `insert_before` starts at `start`.
    pub(crate) fn anchor(&mut self, start: usize) {
        if self.at.is_none() && self.anchor.is_none() {
            self.anchor = Some(start);
        }
    }

    /// Fixes the insertion point for a first affiliate link at `link`, which `hidden` (the
    /// start of an element, `root` when it is `<html>` or `<body>`) may hide besides the
    /// tracked blocks; returns it, or `None` when nothing can go before what hides the link
    /// and be seen (a hidden `<body>`).
    pub(crate) fn first_link(
        &mut self,
        link: usize,
        hidden: Option<(usize, bool)>,
    ) -> Option<usize> {
        let blocks = self.blocks.borrow();
        let block = blocks
            .iter()
            .find(|&&(_, _, hides)| hides)
            .map(|&(name, start, _)| (start, name == "body"));
        let hider = [block, hidden]
            .into_iter()
            .flatten()
            .min_by_key(|&(start, _)| start);
        let point = hider.map_or(link, |(start, _)| start);
        let at = match self.anchor {
            Some(anchor) if anchor <= point => anchor,
            _ => ancestor(&blocks, point),
        };
        drop(blocks);
        self.at = Some(at);
        (!hider.is_some_and(|(_, root)| root)).then_some(at)
    }

    /// Where the disclosure goes, if the first link has been seen and nothing is decided.
    pub(crate) fn pending(&self) -> Option<usize> {
        self.at.filter(|_| !self.decided)
    }

    /// Records the decision.
    pub(crate) fn decide(&mut self, insert: bool) {
        self.decided = true;
        self.inserted = insert;
    }

    /// Whether the disclosure was inserted.
    pub(crate) fn inserted(&self) -> bool {
        self.inserted
    }
}

/// The insertion point for content at `point`: before its paragraph-level ancestor (the list
/// or table around an item), else right before it.
fn ancestor(blocks: &[Block], point: usize) -> usize {
    for &(name, start, _) in blocks.iter().rev().filter(|&&(_, start, _)| start < point) {
        if ITEMS.contains(&name) {
            continue;
        }
        return if is_paragraph_level(name) {
            start
        } else {
            point
        };
    }
    point
}

/// The deepest nesting tracked: deeper blocks are not insertion points (memory stays bounded
/// on pathological pages).
const MAX_DEPTH: usize = 512;

/// Updates the stack of open blocks for a start tag (closing what it implies); `hides` says
/// whether the element hides its content (`hidden`, a closed `<details>`, ...).
pub(crate) fn open_block(blocks: &mut Vec<Block>, name: &str, start: usize, hides: bool) {
    let Some(&name) = TRACKED.iter().flat_map(|l| l.iter()).find(|&&b| b == name) else {
        return;
    };
    if blocks.len() >= MAX_DEPTH {
        return;
    }
    let closes_p = is_one_of(name.as_bytes(), CLOSES_P);
    while let Some(&(top, _, _)) = blocks.last() {
        let implied_end = (top == "p" && closes_p)
            || (top == "li" && name == "li")
            || (matches!(top, "dd" | "dt") && matches!(name, "dd" | "dt"))
            || (matches!(top, "td" | "th") && matches!(name, "td" | "th"));
        if !implied_end {
            break;
        }
        blocks.pop();
    }
    blocks.push((name, start, hides));
}

/// Updates the stack for an end tag: closes up to the matching element, if it is open.
pub(crate) fn close_block(blocks: &mut Vec<Block>, name: &str) {
    if let Some(index) = blocks.iter().rposition(|(open, _, _)| *open == name) {
        blocks.truncate(index);
    }
}

/// The bytes to insert at a point: the disclosure (already in the page's encoding), then a
/// newline and the indentation of the line the point is on, when only whitespace precedes it
/// there.
pub(crate) fn inserted_bytes(html: &[u8], line_before: &[u8]) -> Vec<u8> {
    let indent_start = line_before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let indent = &line_before[indent_start..];
    let mut out = html.trim_ascii().to_vec();
    if indent.iter().all(|b| matches!(b, b' ' | b'\t')) {
        out.push(b'\n');
        out.extend_from_slice(indent);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(tags: &[(&str, usize)]) -> Insertion {
        let insertion = Insertion::default();
        for &(tag, start) in tags {
            match tag.strip_prefix('/') {
                Some(name) => close_block(&mut insertion.blocks.borrow_mut(), name),
                None => {
                    let (name, hides) = match tag.strip_suffix(" hidden") {
                        Some(name) => (name, true),
                        None => (tag, false),
                    };
                    open_block(&mut insertion.blocks.borrow_mut(), name, start, hides)
                }
            }
        }
        insertion
    }

    #[test]
    fn the_point_is_the_paragraph_level_ancestor() {
        let first = |tags: &[(&str, usize)], link| stack(tags).first_link(link, None);
        assert_eq!(first(&[("article", 1), ("p", 10)], 20), Some(10));
        assert_eq!(first(&[("ul", 5), ("li", 9), ("li", 30)], 40), Some(5));
        assert_eq!(first(&[("table", 3), ("td", 9)], 12), Some(3));
        assert_eq!(first(&[("div", 3)], 12), Some(12), "right before the link");
        assert_eq!(
            first(&[("p", 1), ("div", 9)], 12),
            Some(12),
            "a div closes the p"
        );
        assert_eq!(first(&[("p", 1), ("/p", 0), ("section", 9)], 20), Some(20));
        assert_eq!(first(&[], 7), Some(7));
    }

    #[test]
    fn the_point_is_before_what_hides_the_link() {
        let first = |tags: &[(&str, usize)], link, hidden| stack(tags).first_link(link, hidden);
        // A hidden block: before it, or before the list or paragraph it is an item of.
        assert_eq!(
            first(&[("main", 0), ("div hidden", 3), ("p", 9)], 12, None),
            Some(3)
        );
        assert_eq!(first(&[("ul", 2), ("li hidden", 5)], 12, None), Some(2));
        assert_eq!(
            first(&[("details hidden", 1), ("ul", 5), ("li", 9)], 12, None),
            Some(1)
        );
        assert_eq!(first(&[("div", 1), ("p hidden", 5)], 12, None), Some(5));
        // An element the reader found hiding it (a hidden span in a paragraph).
        assert_eq!(
            first(&[("div", 0), ("p", 4)], 20, Some((8, false))),
            Some(4)
        );
        // The outermost of the two.
        assert_eq!(
            first(&[("div hidden", 6), ("p", 9)], 20, Some((2, false))),
            Some(2)
        );
        // Nothing before a hidden body is seen.
        assert_eq!(first(&[("body hidden", 6), ("p", 9)], 20, None), None);
        assert_eq!(first(&[("p", 9)], 20, Some((0, true))), None);
    }

    #[test]
    fn the_output_is_held_from_the_outermost_candidate_until_decided() {
        let mut insertion = stack(&[("main", 1), ("ul", 5), ("li", 9), ("p", 12)]);
        assert_eq!(insertion.hold(), Some(5));
        insertion.anchor(3);
        assert_eq!(insertion.hold(), Some(3));
        assert_eq!(insertion.first_link(20, None), Some(3));
        assert_eq!(insertion.pending(), Some(3));
        insertion.decide(false);
        assert_eq!(insertion.hold(), None);
        assert_eq!(insertion.pending(), None);
    }

    #[test]
    fn inserted_html_keeps_the_indentation() {
        assert_eq!(inserted_bytes(b"<p>d</p>", b"x\n    "), b"<p>d</p>\n    ");
        assert_eq!(inserted_bytes(b" <p>d</p>\n", b"<div>text "), b"<p>d</p>");
    }
}
