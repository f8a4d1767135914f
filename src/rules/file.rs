//! A rule file as written (the serde schema) and its checks: everything a rule file can get
//! wrong is refused here, with the file, line and column, before a [`Program`] exists.
//!
//! Keys are written in snake_case (`short_hosts`, `id_param`); the kebab-case spelling of
//! each (`short-hosts`) is accepted too.
//!
//! The schema and its checks read best together (each check names the key it guards); the
//! last hundred lines are tests.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::program::{Program, RetiredHost, Tagging, TaggingMethod};
use super::template::{Template, is_placeholder_name};
use crate::disclosure::statement::Statement;
use crate::errors::{RuleError, SourceSpot};
use crate::hosts::{HostTable, host_matches, is_valid_domain};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default, alias = "short-hosts")]
    short_hosts: Vec<Spanned<String>>,
    #[serde(default, alias = "exclude-hosts")]
    exclude_hosts: Vec<Spanned<String>>,
    #[serde(default, alias = "exclude-paths")]
    exclude_paths: Vec<Spanned<String>>,
    #[serde(alias = "id-pattern")]
    id_pattern: Option<Spanned<String>>,
    tagging: Option<Spanned<TaggingFile>>,
    #[serde(default)]
    vars: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
    #[serde(default)]
    disclosure: DisclosureFile,
    #[serde(alias = "product-path")]
    product_path: Option<Spanned<String>>,
    #[serde(default, alias = "retired-hosts")]
    retired_hosts: Vec<Spanned<RetiredFile>>,
    #[serde(default)]
    policy: PolicyFile,
}

/// What the program's agreement forbids that shows in a page.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    cloaking: Allowance,
    #[serde(default)]
    prices: Allowance,
}

/// Whether a program's agreement allows something.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Allowance {
    #[default]
    Allowed,
    Forbidden,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetiredFile {
    host: Spanned<String>,
    replacement: Option<Spanned<String>>,
    note: String,
}

/// How a program's links carry the id, as written.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Method {
    Query,
    Wrap,
    Replace,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaggingFile {
    method: Spanned<Method>,
    #[serde(default)]
    params: Vec<Spanned<ParamFile>>,
    #[serde(alias = "id-param")]
    id_param: Option<Spanned<String>>,
    #[serde(alias = "path-id")]
    path_id: Option<Spanned<String>>,
    #[serde(alias = "destination-param")]
    destination_param: Option<Spanned<String>>,
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

/// Characters allowed in parameter names, fixed parameter values and variable values: nothing
/// that could end an attribute, start a reference or add a parameter.
fn is_safe_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~'))
}

/// One rule file's text, turning a span in it into a [`RuleError`] at that line and column.
struct RuleSource<'a> {
    origin: &'a str,
    text: &'a str,
}

impl RuleSource<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> RuleError {
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

    fn param_name(&self, p: &Spanned<String>) -> Result<String, RuleError> {
        if is_safe_token(p.get_ref()) {
            Ok(p.get_ref().clone())
        } else {
            Err(self.err(
                p.span(),
                format!("`{}` is not a valid parameter name", p.get_ref()),
            ))
        }
    }
}

impl Program {
    /// Parses and checks one rule file's text; `origin` names it in errors (with line and
    /// column).
    ///
    /// ```
    /// let shop = affilint::Program::parse(
    ///     "shop.toml",
    ///     "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n\
    ///      [tagging]\nmethod = \"query\"\nparams = [{ name = \"ref\", value = \"{id}\" }]\n",
    /// )?;
    /// assert_eq!(shop.hosts(), ["shop.example"]);
    /// # Ok::<(), affilint::RuleError>(())
    /// ```
    pub fn parse(origin: &str, text: &str) -> Result<Program, RuleError> {
        parse(origin, text)
    }
}

/// Parses and checks one rule file.
fn parse(origin: &str, text: &str) -> Result<Program, RuleError> {
    let src = RuleSource { origin, text };
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        let (spot, message) = SourceSpot::of_toml(origin, text, &e);
        RuleError { spot, message }
    })?;

    let id = file.id.get_ref();
    if !id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        || id.is_empty()
    {
        return Err(src.err(
            file.id.span(),
            format!("program id `{id}` must be lowercase letters, digits, `-` or `_`"),
        ));
    }
    let hosts = src.domains(&file.hosts, "host")?;
    let short_hosts = src.domains(&file.short_hosts, "short-link host")?;
    let exclude_hosts = src.domains(&file.exclude_hosts, "excluded host")?;
    let exclude_paths = file
        .exclude_paths
        .iter()
        .map(|p| src.regex(p, false))
        .collect::<Result<Vec<_>, _>>()?;
    let id_pattern = file
        .id_pattern
        .as_ref()
        .map(|p| src.regex(p, true))
        .transpose()?;

    let tagging = match &file.tagging {
        Some(tagging) => Some(compile_tagging(&src, tagging, &hosts, &file.vars)?),
        None => None,
    };
    if tagging.is_none() && !hosts.is_empty() {
        return Err(src.err(
            file.id.span(),
            "a program with `hosts` needs a `[tagging]` section",
        ));
    }
    if tagging.is_some() && hosts.is_empty() {
        return Err(src.err(
            file.id.span(),
            "a program with `[tagging]` needs `hosts` (the hosts of its own links)",
        ));
    }
    let merchants: &[String] = match tagging.as_ref().map(|t| &t.method) {
        Some(TaggingMethod::Wrap { merchants, .. }) => merchants,
        _ => &[],
    };
    let vars = compile_vars(&src, &file.vars, &hosts, merchants)?;

    let statements = file
        .disclosure
        .statements
        .iter()
        .map(|s| Statement::parse(s.get_ref()).map_err(|e| src.err(s.span(), e)))
        .collect::<Result<Vec<_>, _>>()?;
    if tagging.is_none() && statements.is_empty() {
        return Err(src.err(
            file.id.span(),
            "a rule file needs `hosts` and `[tagging]`, or `[disclosure] statements`",
        ));
    }
    if tagging.is_none() && !file.disclosure.general {
        return Err(src.err(
            file.id.span(),
            "a rule file without hosts only makes sense with `[disclosure] general = true`",
        ));
    }

    let product_path = match &file.product_path {
        Some(p) => {
            let re = src.regex(p, false)?;
            if re.captures_len() != 2 {
                return Err(src.err(
                    p.span(),
                    "`product_path` needs exactly one capture group: the product id",
                ));
            }
            Some(re)
        }
        None => None,
    };
    let retired_hosts = compile_retired(&src, &file.retired_hosts, &hosts)?;

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
        product_path,
        retired_hosts,
        forbids_cloaking: file.policy.cloaking == Allowance::Forbidden,
        forbids_static_prices: file.policy.prices == Allowance::Forbidden,
    })
}

/// `retired_hosts`: each a subdomain of one of the program's hosts (its links are the
/// program's), its replacement one too.
fn compile_retired(
    src: &RuleSource<'_>,
    list: &[Spanned<RetiredFile>],
    hosts: &[String],
) -> Result<Vec<RetiredHost>, RuleError> {
    let owned = |host: &Spanned<String>| -> Result<String, RuleError> {
        let name = host.get_ref();
        if !is_valid_domain(name) || !hosts.iter().any(|h| host_matches(name, h)) {
            return Err(src.err(
                host.span(),
                format!("`{name}` must be one of the program's hosts or a subdomain of one"),
            ));
        }
        Ok(name.clone())
    };
    list.iter()
        .map(|retired| {
            let file = retired.get_ref();
            Ok(RetiredHost {
                host: owned(&file.host)?,
                replacement: file.replacement.as_ref().map(owned).transpose()?,
                note: file.note.clone(),
            })
        })
        .collect()
}

/// `[vars."<host>"]`: per-host values for placeholders, on the program's own hosts or
/// merchants only.
fn compile_vars(
    src: &RuleSource<'_>,
    file: &BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
    hosts: &[String],
    merchants: &[String],
) -> Result<HostTable<BTreeMap<String, String>>, RuleError> {
    let mut vars = HostTable::default();
    for (domain, values) in file {
        let known = hosts
            .iter()
            .chain(merchants)
            .any(|h| host_matches(domain.get_ref(), h));
        if !is_valid_domain(domain.get_ref()) || !known {
            return Err(src.err(
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
                return Err(src.err(
                    name.span(),
                    format!(
                        "`{}` cannot be a variable name: use lowercase letters and `_`, \
                         not `id` or `url`",
                        name.get_ref()
                    ),
                ));
            }
            if !is_safe_token(value.get_ref()) {
                return Err(src.err(
                    value.span(),
                    "variable values may only hold letters, digits, `.`, `_`, `-` and `~`",
                ));
            }
            table.insert(name.get_ref().clone(), value.get_ref().clone());
        }
        *vars.entry(domain.get_ref(), BTreeMap::new) = table;
    }
    Ok(vars)
}

fn compile_tagging(
    src: &RuleSource<'_>,
    spanned: &Spanned<TaggingFile>,
    hosts: &[String],
    vars: &BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
) -> Result<Tagging, RuleError> {
    let file = spanned.get_ref();
    let path_id = match &file.path_id {
        Some(p) => {
            let re = src.regex(p, false)?;
            if re.captures_len() != 2 {
                return Err(src.err(
                    p.span(),
                    "`path_id` needs exactly one capture group: the id",
                ));
            }
            Some(re)
        }
        None => None,
    };
    let mut id_param = file
        .id_param
        .as_ref()
        .map(|p| src.param_name(p))
        .transpose()?;
    let method = match file.method.get_ref() {
        Method::Query => {
            if file.template.is_some() || !file.merchants.is_empty() {
                return Err(src.err(
                    file.method.span(),
                    "`template` and `merchants` belong to `method = \"wrap\"`",
                ));
            }
            if file.params.is_empty() {
                return Err(src.err(
                    spanned.span(),
                    "`method = \"query\"` needs `params = [{ name = \"tag\", value = \"{id}\" }]`",
                ));
            }
            // A query program's placeholders must be `{id}` or one of its `[vars]`.
            let defined = |name: &str| vars.values().any(|v| v.keys().any(|k| k.get_ref() == name));
            let mut params = Vec::new();
            for p in &file.params {
                let param = p.get_ref();
                let name = src.param_name(&param.name)?;
                let value = Template::parse(param.value.get_ref())
                    .map_err(|e| src.err(param.value.span(), e))?;
                if value.placeholders().any(|n| n == "url") {
                    return Err(src.err(
                        param.value.span(),
                        "`{url}` only exists for `method = \"wrap\"`",
                    ));
                }
                if let Some(name) = value.placeholders().find(|n| *n != "id" && !defined(n)) {
                    return Err(src.err(
                        param.value.span(),
                        format!("`{{{name}}}` is not defined: add it under `[vars.\"<host>\"]`"),
                    ));
                }
                if value.literals().any(|l| !is_safe_token(l)) {
                    return Err(src.err(
                        param.value.span(),
                        "parameter values may only hold letters, digits, `.`, `_`, `-`, `~` \
                         and placeholders",
                    ));
                }
                if value.is_only("id") {
                    if id_param.as_ref().is_some_and(|i| *i != name) {
                        return Err(src.err(
                            p.span(),
                            "`id_param` must be the parameter whose value is `{id}`",
                        ));
                    }
                    id_param = Some(name.clone());
                }
                params.push((name, value));
            }
            if id_param.is_none() {
                return Err(src.err(
                    spanned.span(),
                    "one parameter must have `value = \"{id}\"`: it carries the publisher's id",
                ));
            }
            TaggingMethod::Query { params }
        }
        Method::Replace => {
            if !file.params.is_empty() || file.template.is_some() || !file.merchants.is_empty() {
                return Err(src.err(
                    file.method.span(),
                    "`method = \"replace\"` takes no `params`, `template` or `merchants`: it \
                     only replaces the id on the network's own links",
                ));
            }
            if id_param.is_none() && path_id.is_none() {
                return Err(src.err(
                    spanned.span(),
                    "`method = \"replace\"` needs `id_param` or `path_id`: where the \
                     network's links carry the publisher's id",
                ));
            }
            TaggingMethod::Replace
        }
        Method::Wrap => {
            if !file.params.is_empty() {
                return Err(src.err(
                    file.method.span(),
                    "`params` belongs to `method = \"query\"`; a redirect network uses `template`",
                ));
            }
            let template_text = file.template.as_ref().ok_or_else(|| {
                src.err(
                    spanned.span(),
                    "`method = \"wrap\"` needs `template = \"https://...{id}...{url}\"`",
                )
            })?;
            let template = Template::parse(template_text.get_ref())
                .map_err(|e| src.err(template_text.span(), e))?;
            let names: Vec<&str> = template.placeholders().collect();
            if !names.contains(&"id") || !names.contains(&"url") {
                return Err(src.err(
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
                return Err(src.err(
                    template_text.span(),
                    "the template must be an absolute http(s) URL",
                ));
            };
            if !hosts.iter().any(|h| host_matches(&template_host, h)) {
                return Err(src.err(
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
                return Err(src.err(
                    template_text.span(),
                    "the template may only hold URL characters (letters, digits, `:/?&=._-~`)",
                ));
            }
            if id_param.is_none() && path_id.is_none() {
                return Err(src.err(
                    spanned.span(),
                    "a redirect network needs `id_param` or `path_id`: where its own links \
                     carry the publisher's id",
                ));
            }
            // A template may name per-merchant variables that the rule leaves to the user's
            // own merchants: those are checked when the engine is built, merchant by merchant.
            TaggingMethod::Wrap {
                template,
                merchants: src.domains(&file.merchants, "merchant host")?,
            }
        }
    };
    for p in file.keep.iter().chain(&file.drop) {
        src.param_name(&Spanned::new(p.span(), p.get_ref().replace('*', "x")))?;
    }
    let destination_param = file
        .destination_param
        .as_ref()
        .map(|p| src.param_name(p))
        .transpose()?;
    Ok(Tagging {
        method,
        id_param,
        path_id,
        destination_param,
        keep: src.globs(&file.keep)?,
        drop: src.globs(&file.drop)?,
        has_drop: !file.drop.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse("r.toml", text).unwrap_err().to_string()
    }

    const MINIMAL: &str = "id = \"shop\"\nname = \"Shop\"\nhosts = [\"shop.example\"]\n\
                           [tagging]\nmethod = \"query\"\nparams = [{ name = \"ref\", value = \"{id}\" }]\n";

    #[test]
    fn a_minimal_rule_compiles() {
        let program = parse("r.toml", MINIMAL).unwrap();
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
        assert!(
            method.starts_with(
                "r.toml:5:10: unknown variant `append`, expected one of `query`, `wrap`, `replace`"
            ),
            "{method}"
        );
    }

    #[test]
    fn wrap_templates_are_checked() {
        let wrap = "id = \"net\"\nname = \"Net\"\nhosts = [\"go.net.example\"]\n[tagging]\n\
                    method = \"wrap\"\ntemplate = \"https://go.net.example/?id={id}&u={url}\"\n\
                    id_param = \"id\"\n";
        parse("w.toml", wrap).unwrap();
        let other_host = error(&wrap.replace("https://go.net.example/", "https://evil.example/"));
        assert!(other_host.contains("is not one of `hosts`"), "{other_host}");
        let no_url = error(&wrap.replace("&u={url}", ""));
        assert!(no_url.contains("needs both `{id}` and `{url}`"), "{no_url}");
        let quote = error(&wrap.replace("?id=", "?\\\"id="));
        assert!(quote.contains("may only hold URL characters"), "{quote}");
    }

    #[test]
    fn keys_are_snake_case_and_kebab_case_is_accepted_too() {
        let snake = format!("{MINIMAL}path_id = '^/r/([^/]+)'\n").replace(
            "hosts = [\"shop.example\"]",
            "hosts = [\"shop.example\"]\nshort_hosts = [\"shop.link\"]\nid_pattern = '[a-z]+'",
        );
        let kebab = snake
            .replace("short_hosts", "short-hosts")
            .replace("id_pattern", "id-pattern")
            .replace("path_id", "path-id");
        for text in [snake, kebab] {
            let program = parse("r.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(program.short_hosts(), ["shop.link"]);
            assert!(program.tagging.as_ref().unwrap().path_id.is_some());
            assert!(!program.accepts_id("A1"));
        }
    }
}
