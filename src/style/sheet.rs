//! Style sheets (a page's `<style>` blocks, a site's linked `.css` files), parsed with
//! cssparser and kept to what can hide text or make it hard to read: the style rules outside
//! any at-rule (`@media`, `@supports` and the like apply only sometimes: not a certainty)
//! whose selectors are made of type, class, id and attribute selectors joined by descendant
//! and child combinators, and whose blocks declare a property affilint reads. A rule beyond
//! that (a pseudo-class, a sibling combinator) is left out: it may apply, and "may" is never
//! a finding.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::packed;

use cssparser::{
    AtRuleParser, ParseError, Parser, ParserInput, ParserState, QualifiedRuleParser,
    StyleSheetParser, Token,
};

use super::declaration::{Declaration, Property, parse_block};

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

fn words(value: &[u8]) -> impl Iterator<Item = &[u8]> {
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
        let Some((last, rest)) = self.compounds.split_last() else {
            return false;
        };
        last.iter().all(|s| s.matches(node)) && self.matches_left(rest, ancestors)
    }

    /// Whether the compounds left of the element match among `ancestors`.
    fn matches_left(&self, compounds: &[Compound], ancestors: &[&dyn Node]) -> bool {
        let Some((compound, rest)) = compounds.split_last() else {
            return true;
        };
        let matching = |node: &&dyn Node| compound.iter().all(|s| s.matches(*node));
        match self.combinators[compounds.len() - 1] {
            Combinator::Child => ancestors
                .first()
                .is_some_and(|parent| matching(parent) && self.matches_left(rest, &ancestors[1..])),
            Combinator::Descendant => (0..ancestors.len()).any(|at| {
                matching(&ancestors[at]) && self.matches_left(rest, &ancestors[at + 1..])
            }),
        }
    }
}

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
}

/// The rules of one style sheet that matter, and how to find the elements they may match.
#[derive(Debug, Default)]
pub(crate) struct Sheet {
    rules: Vec<Rule>,
    /// Rules by their selector's key.
    by_key: HashMap<Vec<u8>, Vec<usize>>,
}

impl Sheet {
    /// Parses `css`; what cannot be parsed or does not matter is left out.
    pub(crate) fn parse(css: &str) -> Sheet {
        let mut input = ParserInput::new(css);
        let mut parser = Parser::new(&mut input);
        let mut rules = TopLevel { order: 0 };
        let mut sheet = Sheet::default();
        let parsed: Vec<(Vec<Selector>, Vec<Declaration>, u32)> =
            StyleSheetParser::new(&mut parser, &mut rules)
                .filter_map(|rule| rule.ok().flatten())
                .collect();
        for (selectors, declarations, order) in parsed {
            for selector in selectors {
                let Some(key) = selector.key() else { continue };
                let at = sheet.rules.len();
                sheet.by_key.entry(key).or_default().push(at);
                sheet.rules.push(Rule {
                    specificity: selector.specificity(),
                    selector,
                    declarations: declarations.clone(),
                    order,
                });
            }
        }
        sheet
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
        for name in self.attribute_keys() {
            if node.attribute(name).is_some() {
                take(name);
            }
        }
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|at| &self.rules[at]).collect()
    }

    /// The keys that are attribute names.
    fn attribute_keys(&self) -> impl Iterator<Item = &[u8]> {
        self.rules.iter().filter_map(|rule| {
            match rule
                .selector
                .compounds
                .last()?
                .iter()
                .find_map(|s| match s {
                    Simple::Attribute { name, .. } => Some(name.as_slice()),
                    _ => None,
                }) {
                Some(name) if rule.selector.key().as_deref() == Some(name) => Some(name),
                _ => None,
            }
        })
    }
}

/// Parses the top level of a sheet: style rules kept, at-rules skipped.
struct TopLevel {
    order: u32,
}

type Parsed = Option<(Vec<Selector>, Vec<Declaration>, u32)>;

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
        Ok(
            (!selectors.is_empty() && !declarations.is_empty()).then_some((
                selectors,
                declarations,
                self.order,
            )),
        )
    }
}

impl AtRuleParser<'_> for TopLevel {
    type Prelude = ();
    type AtRule = Parsed;
    type Error = ();
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
    if prelude
        .split(|&b| b == b',')
        .all(|selector| memchr::memchr(b':', selector).is_some())
    {
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
        let end = prelude[i..]
            .iter()
            .position(|&c| !ident(c))
            .map_or(prelude.len(), |n| i + n);
        if sign != b':' && end > i {
            let name = &prelude[i..end];
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
/// whole: [`Rules::naming`] hands [`Sheet::parse`] only the rules that may match the elements
/// at hand, and only when one of them may hide or shrink text. Braces that do not balance (a
/// string or comment that holds one) leave no rule: unknown.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    /// The sheet with its comments blanked out, when it has any.
    uncommented: Option<Vec<u8>>,
    /// Each rule that may match: where its selectors start, and its `}`.
    rules: Vec<(usize, usize)>,
    /// Rules by the names their selectors hold ([`Names`]' keys).
    index: HashMap<Vec<u8>, Vec<usize>>,
    /// Rules with an attribute selector: they may match any element.
    attributed: Vec<usize>,
    /// Whether a rule may hide or shrink text, sets a colour, sets a background.
    strong: Vec<bool>,
    colour: Vec<bool>,
    background: bool,
}

impl Rules {
    /// The rules of `css`, indexed only when one may hide, shrink or colour text.
    pub(crate) fn new(css: &[u8]) -> Rules {
        let uncommented = without_comments(css);
        let text = uncommented.as_deref().unwrap_or(css);
        let Some(all) = top_level_rules(text) else {
            return Rules::default();
        };
        let Some(triggers) = TRIGGER_SEARCH.as_ref() else {
            return Rules::default();
        };
        // The rule whose block holds `at`.
        let block_at = |at: usize| {
            let index = all.partition_point(|&(_, _, close)| close < at);
            all.get(index)
                .is_some_and(|&(_, open, _)| at > open)
                .then_some(index)
        };
        let mut strong = vec![false; all.len()];
        let mut colour = vec![false; all.len()];
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
        let matters = |i: usize| {
            (strong[i] || (background && colour[i]))
                && selector_names(&text[all[i].0..all[i].1]).is_some()
        };
        let mut rules = Rules {
            background,
            ..Rules::default()
        };
        if !(0..all.len()).any(matters) {
            return rules;
        }
        // Any rule may override one that matters: every one that may match is indexed.
        for (i, &(start, open, close)) in all.iter().enumerate() {
            let Some((keys, attributed)) = selector_names(&text[start..open]) else {
                continue;
            };
            let at = rules.rules.len();
            rules.rules.push((start, close));
            rules.strong.push(strong[i]);
            rules.colour.push(colour[i]);
            if attributed {
                rules.attributed.push(at);
            }
            for key in keys {
                rules.index.entry(key).or_default().push(at);
            }
        }
        rules.uncommented = uncommented;
        rules
    }

    /// Whether a rule sets a background.
    pub(crate) fn sets_background(&self) -> bool {
        self.background
    }

    /// Whether a rule may hide or shrink text (or, with `colours`, colour it).
    pub(crate) fn may_hide(&self, colours: bool) -> bool {
        (0..self.rules.len()).any(|i| self.strong[i] || (colours && self.colour[i]))
    }

    /// The text of the rules of `css` (the sheet these rules were found in) whose selectors
    /// may name one of `names` (or match by attribute), in their order; none unless one of
    /// them may hide or shrink text (or, with `colours`, sets a colour).
    pub(crate) fn naming(&self, css: &[u8], names: &Names, colours: bool) -> String {
        let text = self.uncommented.as_deref().unwrap_or(css);
        let mut named: Vec<usize> = self.attributed.clone();
        for key in &names.keys {
            if let Some(rules) = self.index.get(key) {
                named.extend(rules);
            }
        }
        named.sort_unstable();
        named.dedup();
        if !named
            .iter()
            .any(|&i| self.strong[i] || (colours && self.colour[i]))
        {
            return String::new();
        }
        let mut out = String::new();
        for &(start, close) in named.iter().map(|&i| &self.rules[i]) {
            out.push_str(&String::from_utf8_lossy(&text[start..=close]));
            out.push('\n');
        }
        out
    }
}

/// The style rules of `css` outside any at-rule: where each one's selectors start, its `{`
/// and its `}`; `None` when the braces do not balance.
fn top_level_rules(css: &[u8]) -> Option<Vec<(usize, usize, usize)>> {
    let mut all = Vec::new();
    let mut depth = 0usize;
    let mut prelude_start = 0;
    let mut open = 0;
    let mut nested = false;
    let mut i = 0;
    while let Some(found) = memchr::memchr2(b'{', b'}', &css[i..]) {
        let at = i + found;
        i = at + 1;
        if css[at] == b'{' {
            if depth == 0 {
                open = at;
                nested = false;
            } else {
                nested = true;
            }
            depth += 1;
            continue;
        }
        depth = depth.checked_sub(1)?;
        if depth > 0 {
            continue;
        }
        let mut start = prelude_start;
        // After a statement at-rule (`@import url(x.css);`), the rule starts past its `;`.
        if let Some(semicolon) = memchr::memrchr(b';', &css[start..open]) {
            start += semicolon + 1;
        }
        if !nested && !css[start..open].trim_ascii_start().starts_with(b"@") {
            all.push((start, open, at));
        }
        prelude_start = at + 1;
    }
    (depth == 0).then_some(all)
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
