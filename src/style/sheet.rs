//! Style sheets (a page's `<style>` blocks, a site's linked `.css` files), parsed with
//! cssparser and kept to what can hide text or make it hard to read: the style rules outside
//! any at-rule (`@media`, `@supports` and the like apply only sometimes: not a certainty)
//! whose selectors are made of type, class, id and attribute selectors joined by descendant
//! and child combinators, and whose blocks declare a property affilint reads. A rule beyond
//! that (a pseudo-class, a sibling combinator) is left out: it may apply, and "may" is never
//! a finding.

use std::collections::HashMap;

use cssparser::{
    AtRuleParser, ParseError, Parser, ParserInput, ParserState, QualifiedRuleParser,
    StyleSheetParser, Token,
};

use super::Weighted;
use super::declaration::{Declaration, Property, Value, parse_block};

/// An element as selectors see it.
pub(crate) trait Node {
    /// Its name, as written.
    fn name(&self) -> &[u8];
    /// The value of the attribute named `name` (lowercase), if it has one.
    fn attribute(&self, name: &[u8]) -> Option<&[u8]>;
}

/// How an attribute selector compares the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Exists,
    Equals,
    /// `~=`: one of its whitespace-separated words.
    Includes,
    /// `|=`: the value or the value and `-`.
    DashMatch,
    Prefix,
    Suffix,
    Substring,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Simple {
    /// A type selector, lowercase.
    Type(Vec<u8>),
    Id(Vec<u8>),
    Class(Vec<u8>),
    Attribute {
        /// Lowercase.
        name: Vec<u8>,
        operator: Operator,
        value: Vec<u8>,
        /// The `i` flag: the value without regard to ASCII case.
        folded: bool,
    },
}

impl Simple {
    fn matches(&self, node: &dyn Node) -> bool {
        match self {
            Simple::Type(name) => node.name().eq_ignore_ascii_case(name),
            Simple::Id(id) => node.attribute(b"id") == Some(id.as_slice()),
            Simple::Class(class) => node
                .attribute(b"class")
                .is_some_and(|classes| words(classes).any(|c| c == class.as_slice())),
            Simple::Attribute {
                name,
                operator,
                value,
                folded,
            } => node.attribute(name).is_some_and(|actual| {
                let (actual, value) = if *folded {
                    (actual.to_ascii_lowercase(), value.to_ascii_lowercase())
                } else {
                    (actual.to_vec(), value.clone())
                };
                match operator {
                    Operator::Exists => true,
                    Operator::Equals => actual == value,
                    Operator::Includes => words(&actual).any(|w| w == value.as_slice()),
                    Operator::DashMatch => {
                        actual == value
                            || (actual.starts_with(&value)
                                && actual.get(value.len()) == Some(&b'-'))
                    }
                    Operator::Prefix => !value.is_empty() && actual.starts_with(&value),
                    Operator::Suffix => !value.is_empty() && actual.ends_with(&value),
                    Operator::Substring => {
                        !value.is_empty() && memchr::memmem::find(&actual, &value).is_some()
                    }
                }
            }),
        }
    }
}

pub(super) fn words(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(u8::is_ascii_whitespace)
        .filter(|word| !word.is_empty())
}

/// Simple selectors that one element must all match (`*` is the empty compound).
type Compound = Vec<Simple>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combinator {
    Descendant,
    Child,
}

/// One selector of a rule's list: compounds, the rightmost (the element itself) last.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selector {
    compounds: Vec<Compound>,
    /// `combinators[i]` joins `compounds[i]` and `compounds[i + 1]`.
    combinators: Vec<Combinator>,
}

impl Selector {
    /// (ids, classes and attributes, types), packed so that a larger number wins.
    fn specificity(&self) -> u32 {
        let (mut ids, mut classes, mut types) = (0u32, 0u32, 0u32);
        for simple in self.compounds.iter().flatten() {
            match simple {
                Simple::Id(_) => ids += 1,
                Simple::Class(_) | Simple::Attribute { .. } => classes += 1,
                Simple::Type(_) => types += 1,
            }
        }
        ids.min(1023) << 20 | classes.min(1023) << 10 | types.min(1023)
    }

    /// What the selector's element must hold, to index the rule by: its id, a class, an
    /// attribute's name or `<name`.
    fn key(&self) -> Option<Vec<u8>> {
        let last = self.compounds.last()?;
        let pick = |want: fn(&Simple) -> Option<Vec<u8>>| last.iter().find_map(want);
        pick(|s| match s {
            Simple::Id(id) => Some(id.clone()),
            _ => None,
        })
        .or_else(|| {
            pick(|s| match s {
                Simple::Class(class) => Some(class.clone()),
                _ => None,
            })
        })
        .or_else(|| {
            pick(|s| match s {
                Simple::Attribute { name, .. } => Some(name.clone()),
                _ => None,
            })
        })
        .or_else(|| {
            pick(|s| match s {
                Simple::Type(name) => Some([b"<".as_slice(), name].concat()),
                _ => None,
            })
        })
    }

    /// Whether `node`, whose ancestors are `ancestors` (innermost first), matches.
    fn matches(&self, node: &dyn Node, ancestors: &[&dyn Node]) -> bool {
        let Some((last, _)) = self.compounds.split_last() else {
            return false;
        };
        if !last.iter().all(|s| s.matches(node)) {
            return false;
        }
        let ancestors = &ancestors[..ancestors.len().min(MAX_ANCESTORS)];
        // Whether the first `k` compounds match among `ancestors[a..]`, each state once: a
        // page's nesting cannot make matching exponential.
        let width = ancestors.len() + 1;
        let mut memo: Vec<Option<bool>> = vec![None; self.compounds.len() * width];
        self.matches_left(self.compounds.len() - 1, 0, ancestors, &mut memo)
    }

    fn matches_left(
        &self,
        k: usize,
        a: usize,
        ancestors: &[&dyn Node],
        memo: &mut Vec<Option<bool>>,
    ) -> bool {
        if k == 0 {
            return true;
        }
        let slot = k * (ancestors.len() + 1) + a;
        if let Some(known) = memo[slot] {
            return known;
        }
        let compound = &self.compounds[k - 1];
        let matching = |node: &dyn Node| compound.iter().all(|s| s.matches(node));
        let found = match self.combinators[k - 1] {
            Combinator::Child => ancestors.get(a).is_some_and(|parent| {
                matching(*parent) && self.matches_left(k - 1, a + 1, ancestors, memo)
            }),
            Combinator::Descendant => (a..ancestors.len()).any(|at| {
                matching(ancestors[at]) && self.matches_left(k - 1, at + 1, ancestors, memo)
            }),
        };
        memo[slot] = Some(found);
        found
    }
}

/// How many ancestors selectors look at (real pages nest far less deep).
const MAX_ANCESTORS: usize = 128;

/// A style rule that may hide text or make it hard to read.
#[derive(Debug)]
pub(crate) struct Rule {
    selector: Selector,
    pub(crate) declarations: Vec<Declaration>,
    /// Its specificity, packed.
    pub(crate) specificity: u32,
    /// Its place in the sheet.
    pub(crate) order: u32,
}

impl Rule {
    /// Whether `node`, whose ancestors are `ancestors` (innermost first), matches.
    pub(crate) fn matches(&self, node: &dyn Node, ancestors: &[&dyn Node]) -> bool {
        self.selector.matches(node, ancestors)
    }

    /// Its declarations for the cascade, from the sheet at place `sheet` among the page's.
    pub(crate) fn weighted(&self, sheet: u32) -> impl Iterator<Item = Weighted<'_>> {
        self.declarations.iter().map(move |declaration| Weighted {
            declaration,
            inline: false,
            specificity: self.specificity,
            order: (sheet, self.order),
        })
    }
}

/// The rules of one style sheet that matter, and how to find the elements they may match.
#[derive(Debug, Default)]
pub(crate) struct Sheet {
    rules: Vec<Rule>,
    /// Rules by their selector's key.
    by_key: HashMap<Vec<u8>, Vec<usize>>,
    /// The keys that are attribute names, each once.
    attribute_keys: Vec<Vec<u8>>,
}

impl Sheet {
    /// Parses `css`; what cannot be parsed or does not matter is left out.
    pub(crate) fn parse(css: &str) -> Sheet {
        let mut input = ParserInput::new(css);
        let mut parser = Parser::new(&mut input);
        let mut rules = TopLevel {
            order: 0,
            conditional: false,
        };
        let mut sheet = Sheet::default();
        let parsed: Parsed = StyleSheetParser::new(&mut parser, &mut rules)
            .filter_map(Result::ok)
            .flatten()
            .collect();
        for (selectors, mut declarations, order, conditional) in parsed {
            if conditional {
                make_unknown(&mut declarations);
            }
            for selector in selectors {
                let Some(key) = selector.key() else { continue };
                let at = sheet.rules.len();
                let by_attribute = selector.compounds.last().is_some_and(|last| {
                    last.iter()
                        .any(|s| matches!(s, Simple::Attribute { name, .. } if *name == key))
                });
                if by_attribute && !sheet.attribute_keys.contains(&key) {
                    sheet.attribute_keys.push(key.clone());
                }
                sheet.by_key.entry(key).or_default().push(at);
                sheet.rules.push(Rule {
                    specificity: if conditional {
                        u32::MAX
                    } else {
                        selector.specificity()
                    },
                    selector,
                    declarations: declarations.clone(),
                    order,
                });
            }
        }
        sheet
    }

    /// The sheet of rules that apply only sometimes (in `@media` and the like): whatever
    /// they set is unknown, and weighs more than anything but an important inline style.
    pub(crate) fn sometimes(mut self) -> Sheet {
        for rule in &mut self.rules {
            rule.specificity = u32::MAX;
            make_unknown(&mut rule.declarations);
        }
        self
    }

    /// Whether a rule sets a background: without one, colours decide nothing.
    pub(crate) fn sets_background(&self) -> bool {
        self.rules.iter().any(|rule| {
            rule.declarations
                .iter()
                .any(|d| d.property == Property::Background)
        })
    }

    /// Whether no rule matters.
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules whose key `node` holds (each once); they still have to be matched.
    pub(crate) fn candidates(&self, node: &dyn Node) -> Vec<&Rule> {
        let mut found: Vec<usize> = Vec::new();
        let mut take = |key: &[u8]| {
            if let Some(rules) = self.by_key.get(key) {
                found.extend(rules);
            }
        };
        if let Some(id) = node.attribute(b"id") {
            take(id);
        }
        if let Some(classes) = node.attribute(b"class") {
            words(classes).for_each(&mut take);
        }
        take(&[b"<".as_slice(), &node.name().to_ascii_lowercase()].concat());
        for name in &self.attribute_keys {
            if node.attribute(name).is_some() {
                take(name);
            }
        }
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|at| &self.rules[at]).collect()
    }
}

/// Parses the top level of a sheet: style rules kept, at-rules skipped.
struct TopLevel {
    order: u32,
    /// Inside an at-rule's block: the rules apply only sometimes.
    conditional: bool,
}

/// Style rules: their selectors, declarations, place in the sheet, and whether they apply
/// only sometimes.
type Parsed = Vec<(Vec<Selector>, Vec<Declaration>, u32, bool)>;

impl<'i> QualifiedRuleParser<'i> for TopLevel {
    type Prelude = Vec<Selector>;
    type QualifiedRule = Parsed;
    type Error = ();

    fn parse_prelude<'t>(
        &mut self,
        input: &mut Parser<'i, 't>,
    ) -> Result<Vec<Selector>, ParseError<'i, ()>> {
        let mut selectors = Vec::new();
        loop {
            let selector = input.parse_until_before(cssparser::Delimiter::Comma, |input| {
                selector(input).ok_or_else(|| input.new_custom_error::<(), ()>(()))
            });
            if let Ok(selector) = selector {
                selectors.push(selector);
            }
            if input.next().is_err() {
                return Ok(selectors);
            }
        }
    }

    fn parse_block<'t>(
        &mut self,
        selectors: Vec<Selector>,
        _start: &ParserState,
        input: &mut Parser<'i, 't>,
    ) -> Result<Parsed, ParseError<'i, ()>> {
        self.order += 1;
        let declarations = parse_block(input);
        Ok(if selectors.is_empty() || declarations.is_empty() {
            Vec::new()
        } else {
            vec![(selectors, declarations, self.order, self.conditional)]
        })
    }
}

/// At-rules whose blocks hold style rules that apply only sometimes.
const CONDITIONAL: &[&str] = &["media", "supports", "container", "layer", "document"];

impl<'i> AtRuleParser<'i> for TopLevel {
    type Prelude = ();
    type AtRule = Parsed;
    type Error = ();

    fn parse_prelude<'t>(
        &mut self,
        name: cssparser::CowRcStr<'i>,
        input: &mut Parser<'i, 't>,
    ) -> Result<(), ParseError<'i, ()>> {
        if !CONDITIONAL.iter().any(|c| name.eq_ignore_ascii_case(c)) {
            return Err(input.new_custom_error(()));
        }
        while input.next().is_ok() {}
        Ok(())
    }

    fn parse_block<'t>(
        &mut self,
        _prelude: (),
        _start: &ParserState,
        input: &mut Parser<'i, 't>,
    ) -> Result<Parsed, ParseError<'i, ()>> {
        let mut inner = TopLevel {
            order: self.order,
            conditional: true,
        };
        let rules: Parsed = StyleSheetParser::new(input, &mut inner)
            .filter_map(Result::ok)
            .flatten()
            .collect();
        self.order = inner.order;
        Ok(rules)
    }
}

/// Declarations of a rule that applies only sometimes: what they set is unknown, and
/// important, so that nothing it may undo is judged from a guess.
fn make_unknown(declarations: &mut [Declaration]) {
    for declaration in declarations {
        declaration.value = Value::Unknown;
        declaration.important = true;
    }
}

/// One selector, or `None` for one affilint does not match (pseudo-classes and -elements,
/// sibling combinators, namespaces).
fn selector(input: &mut Parser<'_, '_>) -> Option<Selector> {
    let mut compounds: Vec<Compound> = vec![Vec::new()];
    let mut combinators = Vec::new();
    let mut pending: Option<Combinator> = None;
    // Whether the compound being read has anything yet (`*` counts).
    let mut started = false;
    loop {
        let token = match input.next_including_whitespace() {
            Ok(token) => token.clone(),
            Err(_) => break,
        };
        let simple = match token {
            Token::WhiteSpace(_) => {
                if started && pending.is_none() {
                    pending = Some(Combinator::Descendant);
                }
                continue;
            }
            Token::Delim('>') if started => {
                pending = Some(Combinator::Child);
                continue;
            }
            Token::Delim('*') => None,
            Token::Ident(name) => Some(Simple::Type(name.to_ascii_lowercase().into_bytes())),
            Token::IDHash(id) => Some(Simple::Id(id.as_bytes().to_vec())),
            Token::Delim('.') => match input.next_including_whitespace() {
                Ok(Token::Ident(class)) => Some(Simple::Class(class.as_bytes().to_vec())),
                _ => return None,
            },
            Token::SquareBracketBlock => Some(
                input
                    .parse_nested_block(|input| {
                        attribute(input).ok_or_else(|| input.new_custom_error::<(), ()>(()))
                    })
                    .ok()?,
            ),
            _ => return None,
        };
        if let Some(combinator) = pending.take() {
            combinators.push(combinator);
            compounds.push(Vec::new());
        }
        started = true;
        if let Some(simple) = simple {
            compounds.last_mut()?.push(simple);
        }
    }
    (started && pending != Some(Combinator::Child)).then_some(Selector {
        compounds,
        combinators,
    })
}

/// The inside of `[...]`.
fn attribute(input: &mut Parser<'_, '_>) -> Option<Simple> {
    let name = input.expect_ident().ok()?.to_ascii_lowercase().into_bytes();
    let operator = match input.next() {
        Err(_) => {
            return Some(Simple::Attribute {
                name,
                operator: Operator::Exists,
                value: Vec::new(),
                folded: false,
            });
        }
        Ok(Token::Delim('=')) => Operator::Equals,
        Ok(Token::IncludeMatch) => Operator::Includes,
        Ok(Token::DashMatch) => Operator::DashMatch,
        Ok(Token::PrefixMatch) => Operator::Prefix,
        Ok(Token::SuffixMatch) => Operator::Suffix,
        Ok(Token::SubstringMatch) => Operator::Substring,
        Ok(_) => return None,
    };
    let value = match input.next().ok()? {
        Token::Ident(v) | Token::QuotedString(v) => v.as_bytes().to_vec(),
        _ => return None,
    };
    let folded = match input.next() {
        Err(_) => false,
        Ok(Token::Ident(flag)) if flag.eq_ignore_ascii_case("i") => true,
        Ok(Token::Ident(flag)) if flag.eq_ignore_ascii_case("s") => false,
        Ok(_) => return None,
    };
    Some(Simple::Attribute {
        name,
        operator,
        value,
        folded,
    })
}
