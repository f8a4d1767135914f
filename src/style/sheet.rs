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
/// whole: [`Rules::naming`] hands [`Sheet::parse`] only the rules that may match the elements
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
