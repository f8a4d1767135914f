//! Rule files: one TOML file per affiliate program, compiled once into an immutable
//! [`RuleSet`].
//!
//! The shipped files in `rules/` are built into the binary; users add or replace programs with
//! their own files (a file with the same `id` replaces the shipped one). Every key is checked:
//! an unknown key, a bad host, a bad regex or a bad template is refused with the file, line and
//! reason.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::disclosure::Statement;
use crate::errors::{RuleError, SourceSpot};
use crate::hosts::{HostTable, is_valid_domain};

/// The rule files shipped with affilint, built into the binary.
const SHIPPED: &[(&str, &str)] = &[
    ("rules/amazon.toml", include_str!("../rules/amazon.toml")),
    ("rules/apple.toml", include_str!("../rules/apple.toml")),
    ("rules/awin.toml", include_str!("../rules/awin.toml")),
    ("rules/booking.toml", include_str!("../rules/booking.toml")),
    ("rules/cj.toml", include_str!("../rules/cj.toml")),
    ("rules/ebay.toml", include_str!("../rules/ebay.toml")),
    ("rules/ftc.toml", include_str!("../rules/ftc.toml")),
    (
        "rules/skimlinks.toml",
        include_str!("../rules/skimlinks.toml"),
    ),
];

/// Characters allowed in parameter names, fixed parameter values and variable values: nothing
/// that could end an attribute, start a reference or add a parameter.
fn is_safe_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~'))
}

fn is_placeholder_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    short_hosts: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_hosts: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_paths: Vec<Spanned<String>>,
    id_pattern: Option<Spanned<String>>,
    tagging: Option<Spanned<TaggingFile>>,
    #[serde(default)]
    vars: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
    #[serde(default)]
    disclosure: DisclosureFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaggingFile {
    method: Spanned<String>,
    #[serde(default)]
    params: Vec<Spanned<ParamFile>>,
    id_param: Option<Spanned<String>>,
    path_id: Option<Spanned<String>>,
    #[serde(default)]
    keep: Vec<Spanned<String>>,
    #[serde(default)]
    drop: Vec<Spanned<String>>,
    template: Option<Spanned<String>>,
    #[serde(default)]
    merchants: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    name: Spanned<String>,
    value: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DisclosureFile {
    #[serde(default)]
    general: bool,
    #[serde(default)]
    statements: Vec<Spanned<String>>,
}

/// A value with `{placeholders}`: `{id}` (the publisher's id), `{url}` (the destination, for
/// redirect networks) or a variable from the rule's `[vars]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePart {
    Literal(String),
    Placeholder(String),
}

impl Template {
    fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(TemplatePart::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..].find('}').ok_or("`{` without a closing `}`")? + open;
            let name = &rest[open + 1..close];
            if !is_placeholder_name(name) {
                return Err(format!("`{{{name}}}` is not a placeholder name"));
            }
            parts.push(TemplatePart::Placeholder(name.to_owned()));
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err("`}` without an opening `{`".into());
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Literal(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The placeholder names, in order.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Placeholder(name) => Some(name.as_str()),
            TemplatePart::Literal(_) => None,
        })
    }

    fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Literal(text) => Some(text.as_str()),
            TemplatePart::Placeholder(_) => None,
        })
    }

    /// Whether the template is exactly `{name}`.
    fn is_only(&self, name: &str) -> bool {
        matches!(self.parts.as_slice(), [TemplatePart::Placeholder(p)] if p == name)
    }

    /// Fills in the placeholders; `None` names the first one `lookup` does not know.
    pub(crate) fn render(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<String, &str> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Literal(text) => out.push_str(text),
                TemplatePart::Placeholder(name) => {
                    out.push_str(&lookup(name).ok_or(name.as_str())?)
                }
            }
        }
        Ok(out)
    }
}

/// How a program's links carry the publisher's id.
#[derive(Debug, Clone)]
pub(crate) enum TaggingMethod {
    /// Query parameters are set on the retailer's own URL.
    Query {
        /// Parameters to set, in order.
        params: Vec<(String, Template)>,
    },
    /// The retailer's URL is wrapped in the network's redirect URL.
    Wrap {
        template: Template,
        /// Retailer hosts this network wraps (the config may add more).
        merchants: Vec<String>,
    },
}

/// How a program tags links, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Tagging {
    pub(crate) method: TaggingMethod,
    /// The query parameter that carries the publisher's id on the program's own links.
    pub(crate) id_param: Option<String>,
    /// A regex over the URL path whose first group is an id carried in the path.
    pub(crate) path_id: Option<Regex>,
    keep: GlobSet,
    drop: GlobSet,
    has_drop: bool,
}

impl Tagging {
    /// Whether a parameter named `name` is removed when a link is tagged.
    pub(crate) fn drops(&self, name: &str) -> bool {
        self.has_drop && self.drop.is_match(name) && !self.keep.is_match(name)
    }
}

/// One affiliate program (or, without hosts, a set of general disclosure statements).
#[derive(Debug, Clone)]
pub struct Program {
    id: String,
    name: String,
    origin: String,
    pub(crate) hosts: Vec<String>,
    pub(crate) short_hosts: Vec<String>,
    pub(crate) exclude_hosts: Vec<String>,
    pub(crate) exclude_paths: Vec<Regex>,
    pub(crate) id_pattern: Option<Regex>,
    pub(crate) tagging: Option<Tagging>,
    pub(crate) vars: HostTable<BTreeMap<String, String>>,
    pub(crate) general_disclosure: bool,
    pub(crate) statements: Vec<Statement>,
}

impl Program {
    /// The program's id, as used in config (`[programs.<id>]`) and findings.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The program's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the rule came from (a path, or `rules/<file>` for shipped rules).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The hosts whose links belong to the program (subdomains included).
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Short-link hosts that cannot be tagged offline.
    pub fn short_hosts(&self) -> &[String] {
        &self.short_hosts
    }

    /// Retailer hosts a redirect network wraps by default.
    pub fn merchants(&self) -> &[String] {
        match self.tagging.as_ref().map(|t| &t.method) {
            Some(TaggingMethod::Wrap { merchants, .. }) => merchants,
            _ => &[],
        }
    }

    /// The disclosure statements that satisfy this program, as written.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().map(Statement::text)
    }

    /// Whether a publisher id is acceptable for this program.
    pub(crate) fn accepts_id(&self, id: &str) -> bool {
        self.id_pattern.as_ref().is_none_or(|re| re.is_match(id))
    }

    /// The variable `name` for links on `host`.
    pub(crate) fn var(&self, host: &str, name: &str) -> Option<&str> {
        self.vars
            .lookup(host)
            .and_then(|(_, vars)| vars.get(name))
            .map(String::as_str)
    }
}

/// Every program affilint knows, compiled once and shared by every document.
///
/// ```
/// let rules = affilint::RuleSet::shipped();
/// let amazon = rules.program("amazon").unwrap();
/// assert!(amazon.hosts().iter().any(|h| h == "amazon.co.uk"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    programs: Vec<Program>,
}

impl RuleSet {
    /// The rules shipped with affilint.
    pub fn shipped() -> RuleSet {
        let mut set = RuleSet::default();
        for (origin, text) in SHIPPED {
            let program = parse_rule(origin, text)
                .unwrap_or_else(|e| panic!("shipped rule file is invalid: {e}"));
            set.insert(program);
        }
        set
    }

    /// Parses one rule file's text. `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<Program, RuleError> {
        parse_rule(origin, text)
    }

    /// Loads every `*.toml` file in `dir` (not recursively), in name order.
    pub fn load_dir(dir: &Path) -> Result<Vec<Program>, RuleError> {
        let unreadable = |e: std::io::Error| RuleError {
            spot: SourceSpot::whole(dir.display().to_string()),
            message: format!("cannot read the rules directory: {e}"),
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(unreadable)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(unreadable)?;
        paths.retain(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file());
        paths.sort();
        let mut programs: Vec<Program> = Vec::new();
        for path in paths {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| RuleError {
                spot: SourceSpot::whole(&origin),
                message: format!("cannot read: {e}"),
            })?;
            let program = parse_rule(&origin, &text)?;
            if let Some(other) = programs.iter().find(|p| p.id == program.id) {
                return Err(RuleError {
                    spot: SourceSpot::at(&origin, &text, 0),
                    message: format!(
                        "program id `{}` is also defined in {}",
                        program.id, other.origin
                    ),
                });
            }
            programs.push(program);
        }
        Ok(programs)
    }

    /// Adds a program; one with the same id is replaced.
    pub fn insert(&mut self, program: Program) {
        self.programs.retain(|p| p.id != program.id);
        self.programs.push(program);
        self.programs.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// The program with this id.
    pub fn program(&self, id: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.id == id)
    }

    /// Every program, by id.
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.iter()
    }

    /// Checks that no host belongs to two programs.
    pub(crate) fn check_overlaps(&self) -> Result<(), RuleError> {
        let mut owners: HostTable<&Program> = HostTable::default();
        for program in &self.programs {
            for host in program.hosts.iter().chain(&program.short_hosts) {
                let owner = owners.entry(host, || program);
                if owner.id != program.id {
                    return Err(RuleError {
                        spot: SourceSpot::whole(program.origin.clone()),
                        message: format!(
                            "host `{host}` belongs to both `{}` ({}) and `{}`; \
                             a host may belong to one program only",
                            owner.id, owner.origin, program.id
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Turns a TOML or validation problem at `span` into a [`RuleError`].
struct Ctx<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> RuleError {
        RuleError {
            spot: SourceSpot::at(self.origin, self.text, span.start),
            message: message.into(),
        }
    }

    fn domains(&self, list: &[Spanned<String>], what: &str) -> Result<Vec<String>, RuleError> {
        let mut seen = HashSet::new();
        list.iter()
            .map(|d| {
                if !is_valid_domain(d.get_ref()) {
                    return Err(self.err(
                        d.span(),
                        format!(
                            "`{}` is not a valid {what}: write a lowercase domain such as \
                             `example.com` (subdomains match automatically)",
                            d.get_ref()
                        ),
                    ));
                }
                if !seen.insert(d.get_ref().clone()) {
                    return Err(self.err(d.span(), format!("`{}` is listed twice", d.get_ref())));
                }
                Ok(d.get_ref().clone())
            })
            .collect()
    }

    fn regex(&self, pattern: &Spanned<String>, anchored: bool) -> Result<Regex, RuleError> {
        let source = if anchored {
            format!("^(?:{})$", pattern.get_ref())
        } else {
            pattern.get_ref().clone()
        };
        Regex::new(&source).map_err(|e| self.err(pattern.span(), format!("invalid regex: {e}")))
    }

    fn globs(&self, list: &[Spanned<String>]) -> Result<GlobSet, RuleError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in list {
            let glob = Glob::new(pattern.get_ref())
                .map_err(|e| self.err(pattern.span(), format!("invalid pattern: {e}")))?;
            builder.add(glob);
        }
        builder
            .build()
            .map_err(|e| self.err(0..0, format!("invalid patterns: {e}")))
    }
}

fn parse_rule(origin: &str, text: &str) -> Result<Program, RuleError> {
    let ctx = Ctx { origin, text };
    let file: RuleFile = toml::from_str(text).map_err(|e| RuleError {
        spot: match e.span() {
            Some(span) => SourceSpot::at(origin, text, span.start),
            None => SourceSpot::whole(origin),
        },
        message: e.message().trim().to_owned(),
    })?;

    let id = file.id.get_ref();
    if !id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        || id.is_empty()
    {
        return Err(ctx.err(
            file.id.span(),
            format!("program id `{id}` must be lowercase letters, digits, `-` or `_`"),
        ));
    }
    let hosts = ctx.domains(&file.hosts, "host")?;
    let short_hosts = ctx.domains(&file.short_hosts, "short-link host")?;
    let exclude_hosts = ctx.domains(&file.exclude_hosts, "excluded host")?;
    let exclude_paths = file
        .exclude_paths
        .iter()
        .map(|p| ctx.regex(p, false))
        .collect::<Result<Vec<_>, _>>()?;
    let id_pattern = file
        .id_pattern
        .as_ref()
        .map(|p| ctx.regex(p, true))
        .transpose()?;

    let tagging = match &file.tagging {
        Some(tagging) => Some(compile_tagging(&ctx, tagging, &hosts)?),
        None => None,
    };
    if tagging.is_none() && !hosts.is_empty() {
        return Err(ctx.err(
            file.id.span(),
            "a program with `hosts` needs a `[tagging]` section",
        ));
    }
    if tagging.is_some() && hosts.is_empty() {
        return Err(ctx.err(
            file.id.span(),
            "a program with `[tagging]` needs `hosts` (the hosts of its own links)",
        ));
    }

    let mut vars = HostTable::default();
    let merchants: &[String] = match tagging.as_ref().map(|t| &t.method) {
        Some(TaggingMethod::Wrap { merchants, .. }) => merchants,
        _ => &[],
    };
    for (domain, values) in &file.vars {
        let known = hosts
            .iter()
            .chain(merchants)
            .any(|h| crate::hosts::host_matches(domain.get_ref(), h) || h == domain.get_ref());
        if !is_valid_domain(domain.get_ref()) || !known {
            return Err(ctx.err(
                domain.span(),
                format!(
                    "`[vars.\"{}\"]` must name one of the program's hosts or merchants",
                    domain.get_ref()
                ),
            ));
        }
        let mut table = BTreeMap::new();
        for (name, value) in values {
            if !is_placeholder_name(name.get_ref())
                || matches!(name.get_ref().as_str(), "id" | "url")
            {
                return Err(ctx.err(
                    name.span(),
                    format!(
                        "`{}` cannot be a variable name: use lowercase letters and `_`, \
                         not `id` or `url`",
                        name.get_ref()
                    ),
                ));
            }
            if !is_safe_token(value.get_ref()) {
                return Err(ctx.err(
                    value.span(),
                    "variable values may only hold letters, digits, `.`, `_`, `-` and `~`",
                ));
            }
            table.insert(name.get_ref().clone(), value.get_ref().clone());
        }
        *vars.entry(domain.get_ref(), BTreeMap::new) = table;
    }
    if let Some(tagging) = &file.tagging {
        check_placeholders(&ctx, tagging, &vars)?;
    }

    let statements = file
        .disclosure
        .statements
        .iter()
        .map(|s| Statement::parse(s.get_ref()).map_err(|e| ctx.err(s.span(), e)))
        .collect::<Result<Vec<_>, _>>()?;
    if tagging.is_none() && statements.is_empty() {
        return Err(ctx.err(
            file.id.span(),
            "a rule file needs `hosts` and `[tagging]`, or `[disclosure] statements`",
        ));
    }
    if tagging.is_none() && !file.disclosure.general {
        return Err(ctx.err(
            file.id.span(),
            "a rule file without hosts only makes sense with `[disclosure] general = true`",
        ));
    }

    Ok(Program {
        id: id.clone(),
        name: file.name,
        origin: origin.to_owned(),
        hosts,
        short_hosts,
        exclude_hosts,
        exclude_paths,
        id_pattern,
        tagging,
        vars,
        general_disclosure: file.disclosure.general,
        statements,
    })
}

fn compile_tagging(
    ctx: &Ctx<'_>,
    spanned: &Spanned<TaggingFile>,
    hosts: &[String],
) -> Result<Tagging, RuleError> {
    let file = spanned.get_ref();
    let param_name = |p: &Spanned<String>| -> Result<String, RuleError> {
        if is_safe_token(p.get_ref()) {
            Ok(p.get_ref().clone())
        } else {
            Err(ctx.err(
                p.span(),
                format!("`{}` is not a valid parameter name", p.get_ref()),
            ))
        }
    };
    let path_id = match &file.path_id {
        Some(p) => {
            let re = ctx.regex(p, false)?;
            if re.captures_len() != 2 {
                return Err(ctx.err(
                    p.span(),
                    "`path_id` needs exactly one capture group: the id",
                ));
            }
            Some(re)
        }
        None => None,
    };
    let mut id_param = file.id_param.as_ref().map(param_name).transpose()?;
    let method = match file.method.get_ref().as_str() {
        "query" => {
            if file.template.is_some() || !file.merchants.is_empty() {
                return Err(ctx.err(
                    file.method.span(),
                    "`template` and `merchants` belong to `method = \"wrap\"`",
                ));
            }
            if file.params.is_empty() {
                return Err(ctx.err(
                    spanned.span(),
                    "`method = \"query\"` needs `params = [{ name = \"tag\", value = \"{id}\" }]`",
                ));
            }
            let mut params = Vec::new();
            for p in &file.params {
                let param = p.get_ref();
                let name = param_name(&param.name)?;
                let value = Template::parse(param.value.get_ref())
                    .map_err(|e| ctx.err(param.value.span(), e))?;
                if value.placeholders().any(|n| n == "url") {
                    return Err(ctx.err(
                        param.value.span(),
                        "`{url}` only exists for `method = \"wrap\"`",
                    ));
                }
                if value.literals().any(|l| !is_safe_token(l)) {
                    return Err(ctx.err(
                        param.value.span(),
                        "parameter values may only hold letters, digits, `.`, `_`, `-`, `~` \
                         and placeholders",
                    ));
                }
                if value.is_only("id") {
                    if id_param.as_ref().is_some_and(|i| *i != name) {
                        return Err(ctx.err(
                            p.span(),
                            "`id_param` must be the parameter whose value is `{id}`",
                        ));
                    }
                    id_param = Some(name.clone());
                }
                params.push((name, value));
            }
            if id_param.is_none() {
                return Err(ctx.err(
                    spanned.span(),
                    "one parameter must have `value = \"{id}\"`: it carries the publisher's id",
                ));
            }
            TaggingMethod::Query { params }
        }
        "wrap" => {
            if !file.params.is_empty() {
                return Err(ctx.err(
                    file.method.span(),
                    "`params` belongs to `method = \"query\"`; a redirect network uses `template`",
                ));
            }
            let template_text = file.template.as_ref().ok_or_else(|| {
                ctx.err(
                    spanned.span(),
                    "`method = \"wrap\"` needs `template = \"https://...{id}...{url}\"`",
                )
            })?;
            let template = Template::parse(template_text.get_ref())
                .map_err(|e| ctx.err(template_text.span(), e))?;
            let names: Vec<&str> = template.placeholders().collect();
            if !names.contains(&"id") || !names.contains(&"url") {
                return Err(ctx.err(
                    template_text.span(),
                    "the template needs both `{id}` and `{url}`",
                ));
            }
            let sample = template
                .render(|_| Some("x".to_owned()))
                .unwrap_or_default();
            let valid_url = url::Url::parse(&sample)
                .ok()
                .filter(|u| u.scheme() == "https" || u.scheme() == "http")
                .and_then(|u| u.host_str().map(str::to_owned));
            let Some(template_host) = valid_url else {
                return Err(ctx.err(
                    template_text.span(),
                    "the template must be an absolute http(s) URL",
                ));
            };
            if !hosts
                .iter()
                .any(|h| crate::hosts::host_matches(&template_host, h))
            {
                return Err(ctx.err(
                    template_text.span(),
                    format!("the template's host `{template_host}` is not one of `hosts`"),
                ));
            }
            if template.literals().any(|l| {
                !l.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(
                            b,
                            b'.' | b'_' | b'-' | b'~' | b':' | b'/' | b'?' | b'&' | b'='
                        )
                })
            }) {
                return Err(ctx.err(
                    template_text.span(),
                    "the template may only hold URL characters (letters, digits, `:/?&=._-~`)",
                ));
            }
            if id_param.is_none() && path_id.is_none() {
                return Err(ctx.err(
                    spanned.span(),
                    "a redirect network needs `id_param` or `path_id`: where its own links \
                     carry the publisher's id",
                ));
            }
            TaggingMethod::Wrap {
                template,
                merchants: ctx.domains(&file.merchants, "merchant host")?,
            }
        }
        other => {
            return Err(ctx.err(
                file.method.span(),
                format!("unknown method `{other}`: use \"query\" or \"wrap\""),
            ));
        }
    };
    for p in file.keep.iter().chain(&file.drop) {
        param_name(&Spanned::new(p.span(), p.get_ref().replace('*', "x")))?;
    }
    Ok(Tagging {
        method,
        id_param,
        path_id,
        keep: ctx.globs(&file.keep)?,
        drop: ctx.globs(&file.drop)?,
        has_drop: !file.drop.is_empty(),
    })
}

/// Every placeholder of a query program must be `{id}` or defined in `[vars]`. A redirect
/// network's template may name per-merchant variables that the rule leaves to the user's own
/// merchants: those are checked when the engine is built, merchant by merchant.
fn check_placeholders(
    ctx: &Ctx<'_>,
    tagging: &Spanned<TaggingFile>,
    vars: &HostTable<BTreeMap<String, String>>,
) -> Result<(), RuleError> {
    let file = tagging.get_ref();
    if file.method.get_ref() == "wrap" {
        return Ok(());
    }
    let templates = file
        .params
        .iter()
        .map(|p| &p.get_ref().value)
        .chain(file.template.as_ref());
    for text in templates {
        let Ok(template) = Template::parse(text.get_ref()) else {
            continue;
        };
        for name in template.placeholders() {
            let defined =
                matches!(name, "id" | "url") || vars.iter().any(|(_, v)| v.contains_key(name));
            if !defined {
                return Err(ctx.err(
                    text.span(),
                    format!("`{{{name}}}` is not defined: add it under `[vars.\"<host>\"]`"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_rule_file_is_listed_and_compiles() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| format!("rules/{}", e.unwrap().file_name().to_string_lossy()))
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(
            on_disk, listed,
            "rules/ and SHIPPED must list the same files"
        );
        for (origin, text) in SHIPPED {
            let from_disk =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(origin))
                    .unwrap();
            assert_eq!(&from_disk, text);
            parse_rule(origin, text).unwrap_or_else(|e| panic!("{e}"));
        }
        let set = RuleSet::shipped();
        set.check_overlaps().unwrap();
        for id in [
            "amazon",
            "ebay",
            "booking",
            "apple",
            "skimlinks",
            "awin",
            "cj",
        ] {
            let program = set.program(id).unwrap_or_else(|| panic!("{id} is shipped"));
            assert!(!program.hosts().is_empty());
        }
    }

    #[test]
    fn amazon_lists_every_marketplace() {
        let set = RuleSet::shipped();
        let amazon = set.program("amazon").unwrap();
        for tld in [
            "com", "ca", "com.mx", "com.br", "co.uk", "de", "fr", "it", "es", "nl", "se", "pl",
            "com.be", "ie", "com.tr", "ae", "sa", "eg", "in", "co.jp", "com.au", "sg",
        ] {
            let host = format!("amazon.{tld}");
            assert!(amazon.hosts().contains(&host), "{host} missing");
        }
        for short in ["amzn.to", "a.co", "amzn.eu"] {
            assert!(amazon.short_hosts().iter().any(|h| h == short));
        }
    }

    fn error(text: &str) -> String {
        parse_rule("r.toml", text).unwrap_err().to_string()
    }

    const MINIMAL: &str = "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n\
                           [tagging]\nmethod = \"query\"\nparams = [{ name = \"ref\", value = \"{id}\" }]\n";

    #[test]
    fn a_minimal_rule_compiles() {
        let program = parse_rule("r.toml", MINIMAL).unwrap();
        assert_eq!(program.id(), "shop");
        assert_eq!(
            program.tagging.as_ref().unwrap().id_param.as_deref(),
            Some("ref")
        );
    }

    #[test]
    fn bad_rule_files_are_refused_with_file_line_and_reason() {
        let unknown = error(&MINIMAL.replace("name = \"Shop\"", "name = \"Shop\"\nhost = []"));
        assert!(
            unknown.starts_with("r.toml:3:1: unknown field `host`"),
            "{unknown}"
        );
        let bad_host = error(&MINIMAL.replace("shop.example", "*.shop.example"));
        assert!(
            bad_host.starts_with("r.toml:3:10: `*.shop.example` is not a valid host"),
            "{bad_host}"
        );
        let bad_regex = error(&format!("{MINIMAL}path_id = \"(unclosed\"\n"));
        assert!(
            bad_regex.starts_with("r.toml:7:11: invalid regex"),
            "{bad_regex}"
        );
        let bad_type =
            error(&MINIMAL.replace("hosts = [\"shop.example\"]", "hosts = \"shop.example\""));
        assert!(bad_type.starts_with("r.toml:3:9:"), "{bad_type}");
        assert!(bad_type.contains("sequence"), "{bad_type}");
        let injection = error(&MINIMAL.replace("{id}", "{id}&x=\\\"y"));
        assert!(injection.contains("r.toml:6:"), "{injection}");
        assert!(
            injection.contains("parameter values may only hold"),
            "{injection}"
        );
        let undefined = error(&MINIMAL.replace(
            "\"{id}\"",
            "\"{id}\" }, { name = \"r\", value = \"{rotation}\"",
        ));
        assert!(
            undefined.contains("`{rotation}` is not defined"),
            "{undefined}"
        );
        let no_id = error(&MINIMAL.replace("{id}", "fixed"));
        assert!(
            no_id.contains("value = \\\"{id}\\\"") || no_id.contains("value = \"{id}\""),
            "{no_id}"
        );
        let statement = error(&format!(
            "{MINIMAL}[disclosure]\nstatements = [\"I earn {{site\"]\n"
        ));
        assert!(statement.starts_with("r.toml:8:"), "{statement}");
        let method = error(&MINIMAL.replace("\"query\"", "\"append\""));
        assert!(method.contains("unknown method `append`"), "{method}");
    }

    #[test]
    fn wrap_templates_are_checked() {
        let wrap = "id = \"net\"\nname = \"Net\"\nhosts = [\"go.net.example\"]\n[tagging]\n\
                    method = \"wrap\"\ntemplate = \"https://go.net.example/?id={id}&u={url}\"\n\
                    id_param = \"id\"\n";
        parse_rule("w.toml", wrap).unwrap();
        let other_host = error(&wrap.replace("https://go.net.example/", "https://evil.example/"));
        assert!(other_host.contains("is not one of `hosts`"), "{other_host}");
        let no_url = error(&wrap.replace("&u={url}", ""));
        assert!(no_url.contains("needs both `{id}` and `{url}`"), "{no_url}");
        let quote = error(&wrap.replace("?id=", "?\\\"id="));
        assert!(quote.contains("may only hold URL characters"), "{quote}");
    }

    #[test]
    fn overlapping_hosts_are_refused() {
        let mut set = RuleSet::shipped();
        let copy = MINIMAL.replace("shop.example", "amazon.co.uk");
        set.insert(parse_rule("mine.toml", &copy).unwrap());
        let err = set.check_overlaps().unwrap_err().to_string();
        assert!(err.contains("host `amazon.co.uk` belongs to both"), "{err}");
    }

    #[test]
    fn a_user_rule_replaces_the_shipped_one_with_the_same_id() {
        let mut set = RuleSet::shipped();
        let mine = MINIMAL.replace("\"shop\"", "\"amazon\"");
        set.insert(parse_rule("mine.toml", &mine).unwrap());
        assert_eq!(set.program("amazon").unwrap().origin(), "mine.toml");
        assert_eq!(set.programs().filter(|p| p.id() == "amazon").count(), 1);
    }
}
