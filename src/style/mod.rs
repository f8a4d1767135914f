//! Whether text is rendered, and readable, by the page's own CSS: inline styles, `<style>`
//! blocks and the site's linked sheets, read with cssparser and matched by specificity,
//! order and `!important` as browsers match them.
//!
//! An element's [`Look`] is what its own declarations do: hide its content (`display:none`,
//! `visibility:hidden`, `opacity:0`, `font-size:0`, off-screen, clipped, zero height with
//! overflow hidden), or set the font size and colours its text inherits. [`readability`]
//! combines the looks of nested elements. A value affilint cannot evaluate (`var()`, `em`,
//! a sheet it was not given) is unknown, and unknown is seen: never a finding from a guess.

mod declaration;
mod rules;
mod sheet;

pub(crate) use declaration::{Declaration, parse_inline};
pub(crate) use rules::{Names, Rules};
pub(crate) use sheet::{Node, Sheet};

use declaration::{Property, Rgba, Value};

/// A property as a page sets it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) enum Known<T> {
    /// Not set: inherited, or the browser's default.
    #[default]
    Unset,
    Is(T),
    /// Set to something affilint does not evaluate.
    Unknown,
}

impl<T: Copy> Known<T> {
    /// This value over `outer`'s (an unset value inherits).
    fn over(self, outer: Known<T>) -> Known<T> {
        match self {
            Known::Unset => outer,
            set => set,
        }
    }
}

/// What an element's own declarations do to its text.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Look {
    /// Why its box, and all in it, is not rendered, when it is not (`display: none`,
    /// `opacity: 0`, clipped, off-screen, zero height): no descendant can undo that.
    pub(crate) hidden: Option<&'static str>,
    /// Inherited, so a descendant may undo them: `visibility: hidden`, a text indent that
    /// puts the text off-screen, the font size in pixels, the text colour.
    pub(crate) invisible: Known<bool>,
    pub(crate) indented_away: Known<bool>,
    pub(crate) font: Known<f32>,
    pub(crate) color: Known<Rgba>,
    pub(crate) background: Known<Rgba>,
    /// Whether its `display` makes it a block (a height or text indent then applies).
    block: bool,
}

/// Elements that are inline unless their `display` says otherwise: a height or text indent
/// does nothing to them.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "em", "font", "i", "label", "mark", "q", "s", "small",
    "span", "strong", "sub", "sup", "time", "u",
];

/// A declaration and where it comes from, for the cascade.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Weighted<'a> {
    pub(crate) declaration: &'a Declaration,
    /// From the element's `style` attribute.
    pub(crate) inline: bool,
    pub(crate) specificity: u32,
    /// The sheet's place among the page's sheets, then the rule's in its sheet.
    pub(crate) order: (u32, u32),
}

impl Weighted<'_> {
    fn weight(&self) -> (bool, bool, u32, (u32, u32)) {
        (
            self.declaration.important,
            self.inline,
            self.specificity,
            self.order,
        )
    }
}

impl Look {
    /// This look on an element named `name`: on an inline one (unless made a block), a
    /// height or a text indent does nothing.
    pub(crate) fn on(mut self, name: &[u8]) -> Look {
        if !self.block
            && INLINE
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        {
            if self.hidden == Some(ZERO_HEIGHT) {
                self.hidden = None;
            }
            self.indented_away = Known::Unset;
        }
        self
    }

    /// Whether the element hides its content for every reader, whatever is inside it: its
    /// box is not rendered, or it is `visibility: hidden`.
    pub(crate) fn hides_box(&self) -> bool {
        self.hidden.is_some() || self.invisible == Known::Is(true)
    }

    /// The look the declarations that apply to an element give it: for each property, the
    /// declaration that wins the cascade.
    pub(crate) fn of<'a>(declarations: impl IntoIterator<Item = Weighted<'a>>) -> Look {
        let mut winners: [Option<Weighted<'a>>; Property::COUNT] = [None; Property::COUNT];
        for candidate in declarations {
            let slot = &mut winners[candidate.declaration.property as usize];
            if slot.is_none_or(|held| candidate.weight() >= held.weight()) {
                *slot = Some(candidate);
            }
        }
        let value = |p: Property| winners[p as usize].map(|w| &w.declaration.value);
        let keyword = |p: Property| match value(p) {
            Some(Value::Keyword(k)) => Some(&**k),
            _ => None,
        };
        let px = |p: Property| match value(p) {
            Some(Value::Px(px)) => Some(*px),
            _ => None,
        };
        let positioned = matches!(keyword(Property::Position), Some("absolute" | "fixed"));
        let clipped_box = matches!(keyword(Property::Overflow), Some("hidden" | "clip"));
        let hidden = if keyword(Property::Display) == Some("none") {
            Some("display: none")
        } else if matches!(value(Property::Opacity), Some(Value::Number(n)) if *n <= 0.0) {
            Some("opacity: 0")
        } else if positioned
            && [Property::Left, Property::Top]
                .iter()
                .any(|&p| px(p).is_some_and(|v| v <= -OFF_SCREEN))
        {
            Some("positioned off-screen")
        } else if positioned && matches!(value(Property::Clip), Some(Value::Rect(r)) if *r <= 1.0) {
            Some("clipped to a pixel")
        } else if matches!(value(Property::ClipPath), Some(Value::Number(n)) if *n >= 0.5) {
            Some("clip-path: inset(50%)")
        } else if clipped_box
            && [Property::Height, Property::MaxHeight]
                .iter()
                .any(|&p| px(p).is_some_and(|v| (0.0..=1.0).contains(&v)))
        {
            Some(ZERO_HEIGHT)
        } else {
            None
        };
        let known = |p: Property, read: fn(&Value) -> Option<f32>| match value(p) {
            None => Known::Unset,
            Some(v) => read(v).map_or(Known::Unknown, Known::Is),
        };
        let colour = |p: Property| match value(p) {
            None => Known::Unset,
            Some(Value::Color(c)) => Known::Is(*c),
            Some(_) => Known::Unknown,
        };
        let invisible = match keyword(Property::Visibility) {
            _ if value(Property::Visibility).is_none() => Known::Unset,
            Some("hidden" | "collapse") => Known::Is(true),
            Some("visible") => Known::Is(false),
            _ => Known::Unknown,
        };
        let indented_away = match value(Property::TextIndent) {
            None => Known::Unset,
            Some(Value::Px(v)) => Known::Is(*v <= -OFF_SCREEN),
            Some(_) => Known::Unknown,
        };
        let block = matches!(
            keyword(Property::Display),
            Some("block" | "inline-block" | "flex" | "grid" | "table" | "list-item" | "flow-root")
        );
        Look {
            hidden,
            invisible,
            indented_away,
            // A negative size is invalid: browsers drop it.
            font: known(Property::FontSize, |v| match v {
                Value::Px(px) if *px >= 0.0 => Some(*px),
                _ => None,
            }),
            color: colour(Property::Color),
            background: colour(Property::Background),
            block,
        }
    }
}

/// Why a box of no height with its overflow hidden is not seen.
const ZERO_HEIGHT: &str = "zero height with overflow: hidden";

/// How far off the page an element must be put to be out of sight.
const OFF_SCREEN: f32 = 999.0;

/// What makes text hard to read: under these, `inconspicuous-disclosure`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Thresholds {
    /// The smallest font size, in CSS pixels.
    pub(crate) min_font_px: f32,
    /// The lowest contrast ratio between text and background (WCAG's formula).
    pub(crate) min_contrast: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_font_px: 10.0,
            min_contrast: 3.0,
        }
    }
}

/// How a reader meets text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Readability {
    Seen,
    /// Not rendered, or the colour of its background; why.
    Hidden(&'static str),
    /// Rendered but hard to read; why.
    Faint(String),
}

/// How text inside elements with `looks` (outermost first, each its own) reads.
pub(crate) fn readability<'a>(
    looks: impl IntoIterator<Item = &'a Look>,
    thresholds: &Thresholds,
) -> Readability {
    let (mut font, mut color, mut background) = (Known::Unset, Known::Unset, Known::Unset);
    let (mut invisible, mut indented_away) = (Known::Unset, Known::Unset);
    for look in looks {
        if let Some(why) = look.hidden {
            return Readability::Hidden(why);
        }
        invisible = look.invisible.over(invisible);
        indented_away = look.indented_away.over(indented_away);
        font = look.font.over(font);
        color = look.color.over(color);
        background = match look.background {
            // A transparent background shows the one behind it.
            Known::Is(c) if c.alpha == 0.0 => background,
            Known::Is(c) if c.alpha < 1.0 => Known::Unknown,
            set => set.over(background),
        };
    }
    if invisible == Known::Is(true) {
        return Readability::Hidden("visibility: hidden");
    }
    if indented_away == Known::Is(true) {
        return Readability::Hidden("text-indent off-screen");
    }
    if font == Known::Is(0.0) {
        return Readability::Hidden("font-size: 0");
    }
    if let (Known::Is(text), Known::Is(back)) = (color, background) {
        let ratio = contrast(text, back);
        if ratio < 1.05 {
            return Readability::Hidden("text the colour of its background");
        }
        if ratio < thresholds.min_contrast {
            return Readability::Faint(format!(
                "its contrast with the background is {ratio:.1}:1, under {}:1",
                thresholds.min_contrast
            ));
        }
    }
    match font {
        Known::Is(px) if px < thresholds.min_font_px => Readability::Faint(format!(
            "its font size is {}px, under {}px",
            (px * 10.0).round() / 10.0,
            thresholds.min_font_px
        )),
        _ => Readability::Seen,
    }
}

/// WCAG 2's contrast ratio of `text` (blended over `back`) against `back`.
fn contrast(text: Rgba, back: Rgba) -> f32 {
    let blend = |t: f32, b: f32| t * text.alpha + b * (1.0 - text.alpha);
    let seen = Rgba {
        red: blend(text.red, back.red),
        green: blend(text.green, back.green),
        blue: blend(text.blue, back.blue),
        alpha: 1.0,
    };
    let (a, b) = (luminance(seen), luminance(back));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

fn luminance(c: Rgba) -> f32 {
    let channel = |v: f32| {
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.red) + 0.7152 * channel(c.green) + 0.0722 * channel(c.blue)
}

/// Whether an inline style may hide text or make it hard to read: it holds a word of a
/// declaration affilint reads (most styles do not, and are not parsed).
pub(crate) fn may_matter(style: &[u8]) -> bool {
    let lower = style.to_ascii_lowercase();
    rules::TRIGGERS
        .iter()
        .chain([&rules::COLOUR])
        .any(|word| memchr::memmem::find(&lower, word.as_bytes()).is_some())
}

/// The look inline declarations alone give an element.
pub(crate) fn inline_look(declarations: &[Declaration]) -> Look {
    Look::of(declarations.iter().map(|declaration| Weighted {
        declaration,
        inline: true,
        specificity: 0,
        order: (0, 0),
    }))
}

#[cfg(test)]
mod tests;
