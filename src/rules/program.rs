//! One affiliate program as its rule file describes it, compiled: hosts, how links carry the
//! publisher's id, and the disclosure statements it accepts.

use std::collections::BTreeMap;

use globset::GlobSet;
use regex::Regex;

use super::template::Template;
use crate::disclosure::statement::Statement;
use crate::hosts::HostTable;

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
    /// The network's own links carry the id (in `id_param` or `path_id`), and only a
    /// foreign id is replaced: new links are made in the network's own tools.
    Replace,
}

/// How a program tags links, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Tagging {
    pub(crate) method: TaggingMethod,
    /// The query parameter that carries the publisher's id on the program's own links.
    pub(crate) id_param: Option<String>,
    /// A regex over the URL path whose first group is an id carried in the path.
    pub(crate) path_id: Option<Regex>,
    /// The query parameter of the network's own links that carries the destination.
    pub(crate) destination_param: Option<String>,
    pub(super) keep: GlobSet,
    pub(super) drop: GlobSet,
    pub(super) has_drop: bool,
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
    pub(super) id: String,
    pub(super) name: String,
    pub(super) origin: String,
    pub(crate) hosts: Vec<String>,
    pub(crate) short_hosts: Vec<String>,
    pub(crate) exclude_hosts: Vec<String>,
    pub(crate) exclude_paths: Vec<Regex>,
    pub(crate) id_pattern: Option<Regex>,
    pub(crate) tagging: Option<Tagging>,
    pub(crate) vars: HostTable<BTreeMap<String, String>>,
    pub(crate) general_disclosure: bool,
    pub(crate) statements: Vec<Statement>,
    /// A regex over the URL path whose first group names the product (an ASIN, an item id).
    pub(crate) product_path: Option<Regex>,
    /// Hosts that no longer serve the program's links.
    pub(crate) retired_hosts: Vec<RetiredHost>,
    /// Whether its agreement forbids links that hide where they go (`[policy] cloaking`).
    pub(crate) forbids_cloaking: bool,
    /// Whether it forbids prices and ratings not fetched from it (`[policy] prices`).
    pub(crate) forbids_static_prices: bool,
}

/// A host of a program that is gone, with what replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RetiredHost {
    pub(crate) host: String,
    /// The host its links move to (`fix` moves them), if any.
    pub(crate) replacement: Option<String>,
    /// Why, for the finding's message ("AmazonSmile closed on 2023-02-20").
    pub(crate) note: String,
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

    /// Whether the program's agreement forbids links that hide where they go: a redirect
    /// through the site (`/go/...`) or a URL shortener (`[policy] cloaking = "forbidden"`).
    pub fn forbids_cloaking(&self) -> bool {
        self.forbids_cloaking
    }

    /// Whether it forbids showing prices and ratings that were not fetched from it
    /// (`[policy] prices = "forbidden"`).
    pub fn forbids_static_prices(&self) -> bool {
        self.forbids_static_prices
    }

    /// Hosts whose links are reported as retired, and where `fix` moves them (if anywhere).
    pub fn retired_hosts(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.retired_hosts
            .iter()
            .map(|r| (r.host.as_str(), r.replacement.as_deref()))
    }

    /// The disclosure statements that satisfy this program, as written.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().map(Statement::text)
    }

    /// Whether the program's rule accepts `id` as a publisher id (an eBay campaign id is ten
    /// digits, ...).
    ///
    /// ```
    /// let ebay = affilint::RuleSet::shipped().program("ebay").unwrap().clone();
    /// assert!(ebay.accepts_id("5338000000"));
    /// assert!(!ebay.accepts_id("123"));
    /// ```
    pub fn accepts_id(&self, id: &str) -> bool {
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
