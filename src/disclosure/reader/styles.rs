//! The page's styles, for the reader: `<style>` blocks kept as they come (their text, never
//! parsed whole), the site's sheets a page links to, and each statement found in view judged
//! by the styles of the elements around it (see [`crate::style`]): one the styles hide counts
//! as hidden, one they make hard to read is noted.
//!
//! Judging happens once per statement found, not per element: the elements open at the
//! statement are read back from the bytes held ([`open_elements`]), and only the rules of the
//! page's sheets that name one of them are parsed.

use std::ops::Range;
use std::sync::Arc;

use super::{Reader, Styles};
use crate::page::entities::DecodedAttr;
use crate::page::markup::{Close, LOOKBACK, Tag, find_close, open_elements, parse_start_tag};
use crate::page::source::Source;
use crate::style::{
    self, Look, Names, Node, Readability, Rules, Sheet, Thresholds, Weighted, parse_inline,
};

/// How many faint statements a page notes.
const MAX_FAINT: usize = 64;
/// How much `<style>` text a page keeps; more is not read.
const MAX_STYLE_TEXT: usize = 1 << 20;
/// How many sheets a page may have.
const MAX_SHEETS: usize = 256;

/// One of the page's sheets.
pub(crate) enum PageSheet {
    /// A `<style>` block: its text, and its rules once a statement needed them.
    Block(Box<[u8]>, std::cell::OnceCell<Rules>),
    /// A sheet of the site.
    Linked(Arc<Sheet>),
}

impl<'e> Reader<'e> {
    /// Reads the page's styles; text under `thresholds` is faint.
    pub(crate) fn read_styles(&mut self, thresholds: Thresholds) {
        self.styles = Some(Styles {
            thresholds,
            linked: None,
            sheets: Vec::new(),
            kept: 0,
            read_to: 0,
            faint: Vec::new(),
        });
    }

    /// Where the sheets the page links to come from (`href` as written, references decoded).
    pub(crate) fn link_sheets(&mut self, linked: impl Fn(&str) -> Option<Arc<Sheet>> + 'e) {
        if let Some(styles) = &mut self.styles {
            styles.linked = Some(Box::new(linked));
        }
    }

    /// Whether the page's linked sheets are read (a site with sheets is around it).
    pub(super) fn links_sheets(&self) -> bool {
        self.styles.as_ref().is_some_and(|s| s.linked.is_some())
    }

    /// The statements that are rendered but hard to read: where each starts, and why.
    pub(crate) fn faint(&self) -> &[(usize, String)] {
        self.styles.as_ref().map_or(&[], |s| &s.faint)
    }

    /// Reads the `<style>` block whose content starts at `content`; `false` to wait for its
    /// end tag.
    pub(super) fn read_style_block(&mut self, source: &Source, content: usize, end: bool) -> bool {
        let Some(bytes) = source.bytes(content..source.fed()) else {
            return true;
        };
        match find_close(bytes, b"style") {
            Close::At(close, _) => {
                self.add_style_block(source, content..content + close);
                true
            }
            _ => end || bytes.len() > MAX_STYLE_TEXT,
        }
    }

    /// Keeps the text of a `<style>` block.
    pub(super) fn add_style_block(&mut self, source: &Source, content: Range<usize>) {
        let Some(styles) = &mut self.styles else {
            return;
        };
        if content.start < styles.read_to
            || styles.kept + content.len() > MAX_STYLE_TEXT
            || styles.sheets.len() >= MAX_SHEETS
        {
            return;
        }
        styles.read_to = content.end;
        let Some(css) = source.bytes(content) else {
            return;
        };
        styles.kept += css.len();
        styles
            .sheets
            .push(PageSheet::Block(css.into(), std::cell::OnceCell::new()));
    }

    /// Adds the site's sheet a `<link rel=stylesheet>` names (for every medium, or screens).
    pub(super) fn read_linked(&mut self, tag: &Tag<'_>) {
        let Some(styles) = &mut self.styles else {
            return;
        };
        let Some(linked) = &styles.linked else {
            return;
        };
        // An alternate sheet applies only when the reader picks it.
        let stylesheet = tag.attribute(b"rel").is_some_and(|rel| {
            let mut words = rel.split(u8::is_ascii_whitespace);
            words.clone().any(|r| r.eq_ignore_ascii_case(b"stylesheet"))
                && !words.any(|r| r.eq_ignore_ascii_case(b"alternate"))
        });
        let screen = tag.attribute(b"media").is_none_or(|media| {
            let media = media.trim_ascii();
            media.eq_ignore_ascii_case(b"all") || media.eq_ignore_ascii_case(b"screen")
        });
        let href = tag.attribute(b"href").map(String::from_utf8_lossy);
        let Some(href) = href.filter(|_| stylesheet && screen) else {
            return;
        };
        if styles.sheets.len() < MAX_SHEETS
            && let Some(sheet) = linked(DecodedAttr::new(&href).text())
        {
            let seen = styles.sheets.iter().any(|s| match s {
                PageSheet::Linked(held) => Arc::ptr_eq(held, &sheet),
                PageSheet::Block(..) => false,
            });
            if !seen {
                styles.sheets.push(PageSheet::Linked(sheet));
            }
        }
    }

    /// Judges the statements found in view since the last call by the styles around them.
    pub(super) fn judge_fresh(&mut self, source: &Source) {
        if self.styles.is_none() || !self.matcher.has_fresh() {
            return;
        }
        // Statements in the same text (no markup between them) read the same.
        let mut last: Option<(usize, Readability)> = None;
        for (statement, offset) in self.matcher.take_fresh() {
            let same = last.as_ref().is_some_and(|(at, _)| {
                let (from, to) = ((*at).min(offset), (*at).max(offset));
                source
                    .bytes(from..to)
                    .is_some_and(|b| memchr::memchr(b'<', b).is_none())
            });
            let readability = match &last {
                Some((_, readability)) if same => readability.clone(),
                _ => self.readability_at(source, offset),
            };
            last = Some((offset, readability.clone()));
            match readability {
                Readability::Seen => {}
                Readability::Hidden(_) => self.matcher.demote(statement),
                Readability::Faint(why) => {
                    self.matcher.set_aside(statement);
                    if let Some(styles) = &mut self.styles
                        && styles.faint.len() < MAX_FAINT
                    {
                        styles.faint.push((offset, why));
                    }
                }
            }
        }
    }

    /// How text at `at` reads, by the styles of the elements open there.
    fn readability_at(&self, source: &Source, at: usize) -> Readability {
        let Some(styles) = &self.styles else {
            return Readability::Seen;
        };
        let looks: Vec<Look> = self
            .looks_at(source, at)
            .into_iter()
            .map(|(_, _, look)| look)
            .collect();
        style::readability(&looks, &styles.thresholds)
    }

    /// The outermost element open at `at` whose styles hide its content: where its start
    /// tag begins, and its name (lowercase).
    pub(crate) fn hidden_by_styles(&self, source: &Source, at: usize) -> Option<(usize, Vec<u8>)> {
        self.looks_at(source, at)
            .into_iter()
            .find(|(_, _, look)| look.hides_box())
            .map(|(start, name, _)| (start, name))
    }

    /// The elements open at `at` (as far back as the bytes held go), outermost first: where
    /// each starts, its name (lowercase) and its look. Empty when no style can apply.
    fn looks_at(&self, source: &Source, at: usize) -> Vec<(usize, Vec<u8>, Look)> {
        let Some(styles) = &self.styles else {
            return Vec::new();
        };
        let floor = at.saturating_sub(LOOKBACK).max(source.base_offset());
        // An inline style around the text (its attribute, in the cases pages write it).
        let styled_here = source.bytes(floor..at).is_some_and(|b| {
            [b"style=".as_slice(), b"STYLE=", b"Style="]
                .iter()
                .any(|word| memchr::memmem::find(b, word).is_some())
        });
        // Colours decide something only where a background is set.
        let mut colours = styled_here
            && source
                .bytes(floor..at)
                .is_some_and(|b| memchr::memmem::find(b, b"background").is_some());
        colours |= styles.sheets.iter().any(|sheet| match sheet {
            PageSheet::Block(css, rules) => rules.get_or_init(|| Rules::new(css)).sets_background(),
            PageSheet::Linked(sheet) => sheet.sets_background(),
        });
        let sheets_may_hide = styles.sheets.iter().any(|sheet| match sheet {
            PageSheet::Block(css, rules) => rules.get_or_init(|| Rules::new(css)).may_hide(colours),
            PageSheet::Linked(sheet) => !sheet.is_empty(),
        });
        if !sheets_may_hide && !styled_here {
            return Vec::new();
        }
        let fed = source.fed();
        // Innermost first.
        let tags: Vec<(usize, Tag<'_>)> = open_elements(source, at, self.safe_before(at))
            .into_iter()
            .filter_map(|start| Some((start, parse_start_tag(source.bytes(start..fed)?)?)))
            .collect();
        let nodes: Vec<&dyn Node> = tags.iter().map(|(_, t)| t as &dyn Node).collect();
        let names = Names::of(&nodes);
        // Rules that may override an inline style matter even if none hides anything.
        let styled_chain = tags.iter().any(|(_, t)| t.attribute(b"style").is_some());
        // The page's sheets in order, each rule that applies only sometimes right after its
        // sheet.
        let mut parsed: Vec<Arc<Sheet>> = Vec::new();
        for sheet in &styles.sheets {
            match sheet {
                PageSheet::Block(css, rules) => {
                    let rules = rules.get_or_init(|| Rules::new(css));
                    let (always, sometimes) = rules.naming(css, &names, colours, styled_chain);
                    for (text, conditional) in [(always, false), (sometimes, true)] {
                        if !text.is_empty() {
                            let sheet = Sheet::parse(&text);
                            parsed.push(Arc::new(if conditional {
                                sheet.sometimes()
                            } else {
                                sheet
                            }));
                        }
                    }
                }
                PageSheet::Linked(sheet) => parsed.push(sheet.clone()),
            }
        }
        (0..tags.len())
            .rev()
            .map(|i| {
                let (start, tag) = &tags[i];
                let look = look_of(tag, &nodes[i + 1..], &parsed);
                (*start, tag.name.to_ascii_lowercase(), look)
            })
            .collect()
    }
}

/// The look of the element `tag`, inside `ancestors` (innermost first), by `sheets` (in
/// document order) and its own `style`.
fn look_of(tag: &Tag<'_>, ancestors: &[&dyn Node], sheets: &[Arc<Sheet>]) -> Look {
    let inline = tag
        .attribute(b"style")
        .map(|style| parse_inline(&String::from_utf8_lossy(style)))
        .unwrap_or_default();
    let matched = sheets.iter().zip(0u32..).flat_map(|(sheet, at)| {
        sheet
            .candidates(tag)
            .into_iter()
            .filter(|rule| rule.matches(tag, ancestors))
            .flat_map(move |rule| rule.weighted(at))
    });
    let inline = inline.iter().map(|declaration| Weighted {
        declaration,
        inline: true,
        specificity: 0,
        order: (0, 0),
    });
    Look::of(matched.chain(inline).collect::<Vec<_>>()).on(tag.name)
}
