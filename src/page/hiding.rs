//! What hides content from readers, defined once: the attributes, inline styles, classes and
//! elements below, and one function that judges an element by them. Every reader takes its
//! answer from here and nowhere else:
//!
//! - [`element_hiding`]: the verdict on an element lol_html hands over (the blocks `fix`
//!   tracks to place a disclosure);
//! - [`tag_hiding`] on a start tag read from the raw bytes, found through [`markers`] (the
//!   disclosure reader, which never asks lol_html for text; `fix` asks it too whether the
//!   first affiliate link is seen, so no disclosure goes next to a hidden one).
//!
//! There is no selector for hidden content: lol_html's attribute selectors can only match
//! substrings of a style, and would disagree with a declaration spaced `display:\tnone` or a
//! property that merely ends in `display`.
//!
//! Attribute names, element names, CSS properties and keywords are matched without regard to
//! case, as browsers match them; class names with it (HTML class names are case-sensitive).
//! The raw search looks for each marker in lowercase, UPPERCASE and Capitalised: a marker
//! written otherwise (`hIdDeN`) is not found there. Tests hold the readers to the same verdict
//! on every form, spacing and case variants included (here, and through the whole pipeline in
//! `tests/it/disclosure.rs`).

use std::borrow::Cow;

use lol_html::html_content::Element;

use super::elements::is_one_of;
use super::markup::Tag;
use crate::style;

/// Attributes whose presence hides an element (`<p hidden>`).
const HIDING_ATTRIBUTES: &[&str] = &["hidden"];
/// Attributes whose value hides it (`aria-hidden="true"`; the value without regard to case).
const HIDING_VALUES: &[(&str, &str)] = &[("aria-hidden", "true")];
/// Finds every `style` attribute (and `<style>` block and linked stylesheet, which the
/// disclosure reader reads too), for the raw search: an inline style that hides (`display:
/// none`, `opacity: 0`) is read by [`crate::style`] from its tag, so the words of its
/// declarations (`none`, which text and sheets are full of) need no search of their own.
const STYLE: &str = "style";
/// Classes that hide it: the screen-reader-only utilities of common frameworks and themes.
const HIDING_CLASSES: &[&str] = &[
    "sr-only",
    "screen-reader-text",
    "visually-hidden",
    "visuallyhidden",
];
/// Elements whose content is never rendered.
pub(crate) const NON_RENDERED: &[&str] = &["template", "noscript"];
/// An element that hides all but its summary until it has the attribute `open`.
const COLLAPSIBLE: &str = "details";
const OPEN: &str = "open";

/// For the raw search: a part of a marker with a rarer leading trigram, as the SIMD search
/// checks every occurrence of a pattern's first three bytes (`scr` is in every `<script`).
const FINGERPRINTS: &[(&str, &str)] = &[("screen-reader-text", "n-reader")];

/// How much of its content an element hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hiding {
    /// Nothing: its content is seen.
    Nothing,
    /// All of it.
    All,
    /// All but its `<summary>` (a closed `<details>`).
    AllButSummary,
}

impl Hiding {
    /// Whether the element hides anything.
    pub(crate) fn hides(self) -> bool {
        self != Hiding::Nothing
    }
}

/// The verdict for an element named `name` whose attributes `attribute` looks up by
/// lowercase name.
fn hiding<'a>(name: &[u8], attribute: impl Fn(&str) -> Option<Cow<'a, [u8]>>) -> Hiding {
    let hidden = is_one_of(name, NON_RENDERED)
        || HIDING_ATTRIBUTES.iter().any(|a| attribute(a).is_some())
        || HIDING_VALUES.iter().any(|(a, hiding)| {
            attribute(a).is_some_and(|v| v.eq_ignore_ascii_case(hiding.as_bytes()))
        })
        || attribute("style").is_some_and(|style| declares_hiding(name, &style))
        || attribute("class").is_some_and(|classes| {
            classes
                .split(u8::is_ascii_whitespace)
                .any(|c| HIDING_CLASSES.iter().any(|h| h.as_bytes() == c))
        });
    if hidden {
        Hiding::All
    } else if name.eq_ignore_ascii_case(COLLAPSIBLE.as_bytes()) && attribute(OPEN).is_none() {
        Hiding::AllButSummary
    } else {
        Hiding::Nothing
    }
}

/// Whether an element's inline style hides its content whatever is inside it (`!important`
/// or not): its box is not rendered. What a descendant may undo (`visibility: hidden`, a font
/// size of 0, a colour) is judged where a statement is found.
fn declares_hiding(name: &[u8], style: &[u8]) -> bool {
    style::may_matter(style)
        && style::inline_look(&style::parse_inline(&String::from_utf8_lossy(style)))
            .on(name)
            .hidden
            .is_some()
}

/// The verdict on an element lol_html hands over.
pub(crate) fn element_hiding(el: &Element<'_, '_>) -> Hiding {
    hiding(el.tag_name().as_bytes(), |name| {
        el.get_attribute(name).map(|v| Cow::Owned(v.into_bytes()))
    })
}

/// The verdict on a start tag read from the raw bytes.
pub(crate) fn tag_hiding(tag: &Tag<'_>) -> Hiding {
    hiding(tag.name, |name| {
        tag.attribute(name.as_bytes()).map(Cow::Borrowed)
    })
}

/// The byte patterns the raw search looks for: a start tag that holds one may hide its
/// content, and is then read with [`tag_hiding`]. A word that contains another is left out
/// (the other finds it); a case-insensitive word is looked for in three spellings.
pub(crate) fn markers() -> Vec<String> {
    let mut words: Vec<(String, bool)> = Vec::new();
    words.extend(HIDING_ATTRIBUTES.iter().map(|a| (a.to_string(), true)));
    words.extend(HIDING_VALUES.iter().map(|(a, _)| (a.to_string(), true)));
    words.push((STYLE.to_owned(), true));
    words.extend(HIDING_CLASSES.iter().map(|c| (c.to_string(), false)));
    words.extend(NON_RENDERED.iter().map(|e| (format!("<{e}"), true)));
    words.push((format!("<{COLLAPSIBLE}"), true));
    let found_by_other = |(word, _): &(String, bool)| {
        words.iter().any(|(other, insensitive)| {
            other != word
                && if *insensitive {
                    word.to_ascii_lowercase().contains(other.as_str())
                } else {
                    word.contains(other.as_str())
                }
        })
    };
    let kept: Vec<(String, bool)> = words
        .iter()
        .filter(|w| !found_by_other(w))
        .cloned()
        .collect();
    let mut markers: Vec<String> = Vec::new();
    for (word, insensitive) in kept {
        let word = FINGERPRINTS
            .iter()
            .find(|(w, _)| *w == word)
            .map_or(word.clone(), |(_, part)| part.to_string());
        let mut spellings = vec![word.clone()];
        if insensitive {
            spellings.push(word.to_ascii_uppercase());
            spellings.push(capitalised(&word));
        }
        for spelling in spellings {
            if !markers.contains(&spelling) {
                markers.push(spelling);
            }
        }
    }
    markers
}

/// `word` with its first letter in uppercase (`<template` becomes `<Template`).
fn capitalised(word: &str) -> String {
    let mut out = word.to_owned();
    if let Some(at) = out.find(|c: char| c.is_ascii_alphabetic()) {
        out[at..=at].make_ascii_uppercase();
    }
    out
}

#[cfg(test)]
mod tests {
    use lol_html::{HtmlRewriter, Settings, element};

    use super::*;
    use crate::page::markup::parse_start_tag;

    /// The verdict of each reader on a start tag `form`: (lol_html element, raw bytes).
    fn verdicts(form: &str) -> (Hiding, Hiding) {
        let name_end = form[1..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>')
            .map_or(form.len(), |i| i + 1);
        let page = format!("{form}<a href=\"x\">x</a></{}>", &form[1..name_end]);
        let mut element = None;
        {
            let mut rewriter = HtmlRewriter::new(
                Settings::new().append_element_content_handler(element!("*", |el| {
                    element.get_or_insert(element_hiding(el));
                    Ok(())
                })),
                |_: &[u8]| {},
            );
            rewriter.write(page.as_bytes()).unwrap();
            rewriter.end().unwrap();
        }
        let found = markers().iter().any(|m| form.contains(m.as_str()));
        let raw = match parse_start_tag(form.as_bytes()) {
            Some(tag) if found => tag_hiding(&tag),
            _ => Hiding::Nothing,
        };
        (element.unwrap(), raw)
    }

    #[test]
    fn every_reader_gives_the_same_verdict_on_every_form() {
        let hidden = [
            "<div hidden>",
            "<div HIDDEN>",
            "<div Hidden>",
            "<p hidden=\"\">",
            "<span aria-hidden=\"true\">",
            "<span ARIA-HIDDEN=TRUE>",
            "<span aria-hidden='True'>",
            "<div style=\"display:none\">",
            "<div style=\"display: none\">",
            "<div style=\"display :none\">",
            "<div style=\"display : none\">",
            "<div style=\"DISPLAY:NONE\">",
            "<div style=\"Display: None\">",
            "<div style=\"color: red; display: none !important\">",
            "<div style=\"display:\tnone\">",
            "<div style=\"display:  none\">",
            "<div style=\"display\n:\nnone\">",
            "<div STYLE=\"opacity:0\">",
            "<div style=\"position: absolute; left: -9999px\">",
            "<span class=\"sr-only\">",
            "<span class=\"a screen-reader-text b\">",
            "<span class=visually-hidden>",
            "<span class=\"visuallyhidden\">",
            "<template>",
            "<TEMPLATE>",
            "<noscript>",
            "<Noscript>",
        ];
        for form in hidden {
            assert_eq!(verdicts(form), (Hiding::All, Hiding::All), "{form}");
        }
        for form in ["<details>", "<DETAILS>", "<Details class=x>"] {
            assert_eq!(
                verdicts(form),
                (Hiding::AllButSummary, Hiding::AllButSummary),
                "{form}"
            );
        }
        let seen = [
            "<details open>",
            "<details OPEN=\"\">",
            "<div>",
            "<div style=\"display:block\">",
            "<div style=\"visibility:visible\">",
            // A descendant may undo it: judged on the text (see `crate::style`).
            "<div style=\"visibility:hidden\">",
            "<div style=\"font-size:0\">",
            "<div aria-hidden=\"false\">",
            "<span class=\"sr-only-focusable\">",
            "<span class=\"SR-ONLY\">",
            "<input type=hidden>",
            "<div title=\"display:none\">",
            "<div style=\"mso-display:none\">",
            "<div style=\"--display:none\">",
        ];
        for form in seen {
            assert_eq!(verdicts(form), (Hiding::Nothing, Hiding::Nothing), "{form}");
        }
    }

    #[test]
    fn markers_are_few_and_each_finds_its_word() {
        let markers = markers();
        assert!(markers.len() <= 17, "{} {markers:?}", markers.len());
        for (word, part) in FINGERPRINTS {
            assert!(word.contains(part), "{part} is part of {word}");
        }
        for needle in [
            "hidden",
            "HIDDEN",
            "<template",
            "<DETAILS",
            "n-reader",
            "style",
            "STYLE",
        ] {
            assert!(markers.iter().any(|m| m == needle), "{needle}: {markers:?}");
        }
        assert!(
            !markers.iter().any(|m| m == "aria-hidden"),
            "found by `hidden`"
        );
        // A declaration's words are found through its `style` attribute.
        assert!(!markers.iter().any(|m| m.eq_ignore_ascii_case("none")));
    }
}
