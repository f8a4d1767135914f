//! The declarations that decide whether text is seen and read, parsed with cssparser from an
//! inline `style` or a rule's block. Every other property is left out; a value affilint cannot
//! evaluate (`var()`, `calc()`, a relative length) is kept as [`Value::Unknown`], so that it
//! overrides what came before and nothing is judged from a guess.

use cssparser::{
    AtRuleParser, CowRcStr, DeclarationParser, Delimiter, ParseError, Parser, ParserInput,
    ParserState, QualifiedRuleParser, RuleBodyItemParser, RuleBodyParser, Token,
};
use cssparser_color::{Color, hsl_to_rgb, hwb_to_rgb};

/// The properties read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Property {
    Display,
    Visibility,
    Opacity,
    FontSize,
    Position,
    Left,
    Top,
    TextIndent,
    Clip,
    ClipPath,
    Height,
    MaxHeight,
    Overflow,
    Color,
    Background,
}

impl Property {
    /// Every property, for tables indexed by `property as usize`.
    pub(crate) const COUNT: usize = 15;

    fn named(name: &str) -> Option<Property> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "display" => Property::Display,
            "visibility" => Property::Visibility,
            "opacity" => Property::Opacity,
            "font-size" => Property::FontSize,
            "position" => Property::Position,
            "left" => Property::Left,
            "top" => Property::Top,
            "text-indent" => Property::TextIndent,
            "clip" => Property::Clip,
            "clip-path" => Property::ClipPath,
            "height" => Property::Height,
            "max-height" => Property::MaxHeight,
            "overflow" | "overflow-y" => Property::Overflow,
            "color" => Property::Color,
            "background" | "background-color" => Property::Background,
            _ => return None,
        })
    }
}

/// An sRGB colour with alpha, each in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgba {
    pub(crate) red: f32,
    pub(crate) green: f32,
    pub(crate) blue: f32,
    pub(crate) alpha: f32,
}

/// A value as far as affilint evaluates it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A keyword, lowercase.
    Keyword(Box<str>),
    /// A length in CSS pixels (absolute units; any zero).
    Px(f32),
    /// A number or a percentage as a fraction (`opacity`, `clip-path: inset()`).
    Number(f32),
    Color(Rgba),
    /// `clip: rect(...)`: its largest extent in pixels.
    Rect(f32),
    /// Set, to something affilint does not evaluate.
    Unknown,
}

/// One declaration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Declaration {
    pub(crate) property: Property,
    pub(crate) value: Value,
    pub(crate) important: bool,
}

/// The declarations of a `style` attribute.
pub(crate) fn parse_inline(style: &str) -> Vec<Declaration> {
    let mut input = ParserInput::new(style);
    let mut parser = Parser::new(&mut input);
    parse_block(&mut parser)
}

/// The declarations of a block (a rule's `{...}` contents, or an inline style).
pub(crate) fn parse_block(input: &mut Parser<'_, '_>) -> Vec<Declaration> {
    let mut reader = Declarations;
    RuleBodyParser::new(input, &mut reader)
        .filter_map(|item| item.ok().flatten())
        .collect()
}

/// Parses the declarations read and skips the others.
struct Declarations;

impl<'i> DeclarationParser<'i> for Declarations {
    type Declaration = Option<Declaration>;
    type Error = ();

    fn parse_value<'t>(
        &mut self,
        name: CowRcStr<'i>,
        input: &mut Parser<'i, 't>,
        _start: &ParserState,
    ) -> Result<Option<Declaration>, ParseError<'i, ()>> {
        let Some(property) = Property::named(&name) else {
            // Consume the value: it ends at the next semicolon.
            while input.next().is_ok() {}
            return Ok(None);
        };
        let value = input
            .parse_until_before(Delimiter::Bang, |input| {
                let value = value(property, input)?;
                input.expect_exhausted()?;
                Ok(value)
            })
            .unwrap_or(Value::Unknown);
        let important = input.try_parse(cssparser::parse_important).is_ok();
        while input.next().is_ok() {}
        Ok(Some(Declaration {
            property,
            value,
            important,
        }))
    }
}

impl AtRuleParser<'_> for Declarations {
    type Prelude = ();
    type AtRule = Option<Declaration>;
    type Error = ();
}

impl QualifiedRuleParser<'_> for Declarations {
    type Prelude = ();
    type QualifiedRule = Option<Declaration>;
    type Error = ();
}

impl<'i> RuleBodyItemParser<'i, Option<Declaration>, ()> for Declarations {
    fn parse_declarations(&self) -> bool {
        true
    }

    fn parse_qualified(&self) -> bool {
        false
    }
}

/// The value of `property`, up to an `!important`.
fn value<'i>(property: Property, input: &mut Parser<'i, '_>) -> Result<Value, ParseError<'i, ()>> {
    match property {
        Property::Color => color(input),
        Property::Background => {
            // The shorthand: its colour, unless an image or gradient paints over it.
            let mut found = None;
            while !input.is_exhausted() {
                if let Ok(value) = input.try_parse(color) {
                    found = Some(value);
                    continue;
                }
                match input.next()? {
                    Token::Function(_) | Token::UnquotedUrl(_) => return Ok(Value::Unknown),
                    _ => {}
                }
            }
            Ok(found.unwrap_or(Value::Unknown))
        }
        Property::Clip => {
            input.expect_function_matching("rect")?;
            input.parse_nested_block(|input| {
                let mut largest = 0f32;
                while !input.is_exhausted() {
                    match length(input)? {
                        Value::Px(px) => largest = largest.max(px.abs()),
                        _ => largest = f32::INFINITY,
                    }
                    let _ = input.try_parse(Parser::expect_comma);
                }
                Ok(Value::Rect(largest))
            })
        }
        Property::ClipPath => {
            input.expect_function_matching("inset")?;
            input.parse_nested_block(|input| match input.next()? {
                Token::Percentage { unit_value, .. } => Ok(Value::Number(*unit_value)),
                _ => Ok(Value::Unknown),
            })
        }
        Property::Opacity => match input.next()? {
            Token::Number { value, .. } => Ok(Value::Number(*value)),
            Token::Percentage { unit_value, .. } => Ok(Value::Number(*unit_value)),
            _ => Ok(Value::Unknown),
        },
        Property::FontSize
        | Property::Left
        | Property::Top
        | Property::TextIndent
        | Property::Height
        | Property::MaxHeight => input
            .try_parse(length)
            .or_else(|_| keyword(input, property)),
        Property::Display | Property::Visibility | Property::Position | Property::Overflow => {
            keyword(input, property)
        }
    }
}

fn keyword<'i>(
    input: &mut Parser<'i, '_>,
    property: Property,
) -> Result<Value, ParseError<'i, ()>> {
    let ident = input.expect_ident()?.to_ascii_lowercase();
    // The absolute font sizes, from `medium` (16px) by the standard's ratios.
    if property == Property::FontSize {
        let px = match ident.as_str() {
            "xx-small" => 9.6,
            "x-small" => 12.0,
            "small" => 13.333,
            "medium" => 16.0,
            "large" => 19.2,
            "x-large" => 24.0,
            "xx-large" => 32.0,
            _ => return Ok(Value::Unknown),
        };
        return Ok(Value::Px(px));
    }
    Ok(Value::Keyword(ident.into_boxed_str()))
}

/// A length in pixels; a relative one (`em`, `%`, `vw`) is unknown unless it is zero.
fn length<'i>(input: &mut Parser<'i, '_>) -> Result<Value, ParseError<'i, ()>> {
    let location = input.current_source_location();
    let px = match input.next()? {
        Token::Number { value, .. } if *value == 0.0 => 0.0,
        Token::Percentage { unit_value, .. } if *unit_value == 0.0 => 0.0,
        Token::Dimension { value, unit, .. } => {
            if *value == 0.0 {
                0.0
            } else {
                let per = match unit.to_ascii_lowercase().as_str() {
                    "px" => 1.0,
                    "pt" => 96.0 / 72.0,
                    "pc" => 16.0,
                    "in" => 96.0,
                    "cm" => 96.0 / 2.54,
                    "mm" => 96.0 / 25.4,
                    "q" => 96.0 / 101.6,
                    _ => return Ok(Value::Unknown),
                };
                value * per
            }
        }
        Token::Function(_) => return Ok(Value::Unknown),
        _ => return Err(location.new_custom_error(())),
    };
    Ok(Value::Px(px))
}

fn color<'i>(input: &mut Parser<'i, '_>) -> Result<Value, ParseError<'i, ()>> {
    let parsed = Color::parse(input)?;
    Ok(match parsed {
        Color::Rgba(c) => Value::Color(Rgba {
            red: f32::from(c.red) / 255.0,
            green: f32::from(c.green) / 255.0,
            blue: f32::from(c.blue) / 255.0,
            alpha: c.alpha,
        }),
        Color::Hsl(c) => hued(c.hue, c.alpha, |hue| {
            hsl_to_rgb(hue, c.saturation.unwrap_or(0.0), c.lightness.unwrap_or(0.0))
        }),
        Color::Hwb(c) => hued(c.hue, c.alpha, |hue| {
            hwb_to_rgb(hue, c.whiteness.unwrap_or(0.0), c.blackness.unwrap_or(0.0))
        }),
        _ => Value::Unknown,
    })
}

/// A colour given by its hue in degrees (`hsl()`, `hwb()`), converted by `to_rgb` from a hue
/// in 0..=1; a hue that is not a number (`hsl(1e39 ...)`) is unknown.
fn hued(hue: Option<f32>, alpha: Option<f32>, to_rgb: impl Fn(f32) -> (f32, f32, f32)) -> Value {
    let hue = hue.unwrap_or(0.0) / 360.0;
    if !(0.0..=1.0).contains(&hue) {
        return Value::Unknown;
    }
    let (red, green, blue) = to_rgb(hue);
    Value::Color(Rgba {
        red,
        green,
        blue,
        alpha: alpha.unwrap_or(1.0),
    })
}
