//! `affilint.toml`: the publisher's ids, disclosure policy and severities.
//!
//! ```toml
//! [programs.amazon]
//! tag = "mysite-20"
//!
//! [programs.amazon.marketplaces]
//! "amazon.co.uk" = "mysite-21"
//!
//! [disclosure]
//! placement = "before-first-link"
//! statements = ["I earn a commission when you buy through links on this page."]
//!
//! insert = "<p class=\"disclosure\">As an Amazon Associate I earn from qualifying purchases.</p>"
//!
//! [severity]
//! missing-rel = "off"
//! ```
//!
//! Keys are written in snake_case (`insert_before`); the kebab-case spelling of each
//! (`insert-before`) is accepted too. Values that name something (placements, levels,
//! finding ids) are kebab-case. Unknown keys, bad values and ids that could inject markup or
//! parameters are refused with the file and line. Whether a program id, marketplace or
//! merchant exists is checked against the rules when the [`Engine`](crate::Engine) is built.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::disclosure::Placement;
use crate::disclosure::statement::Statement;
use crate::errors::{ConfigError, SourceSpot};
use crate::report::{FindingId, Severity};

/// The file name looked for in the current directory.
pub const CONFIG_FILE_NAME: &str = "affilint.toml";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    programs: BTreeMap<Spanned<String>, Spanned<ProgramFile>>,
    #[serde(default)]
    disclosure: DisclosureFile,
    #[serde(default)]
    severity: BTreeMap<FindingId, Level>,
    #[serde(default)]
    links: LinksFile,
    #[serde(default)]
    markdown: MarkdownFile,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MarkdownFile {
    disclosure: Option<MarkdownDisclosure>,
}

/// Whether Markdown sources get disclosure findings (`[markdown] disclosure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum MarkdownDisclosure {
    /// Judged on the built page, where a layout adds the footer (the default).
    #[default]
    Off,
    /// Judged on the post itself, for sites whose posts carry their own statement.
    Check,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramFile {
    tag: Option<Spanned<String>>,
    #[serde(default)]
    marketplaces: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    merchants: Vec<Spanned<String>>,
    prices: Option<Prices>,
}

/// Whether static prices next to a program's links are allowed (`prices = "allowed"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Prices {
    /// As the program's rule says.
    Checked,
    /// Not checked (your prices come from the program's API, say).
    Allowed,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LinksFile {
    #[serde(alias = "cloaking-prefixes")]
    cloaking_prefixes: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DisclosureFile {
    placement: Option<Placement>,
    #[serde(default)]
    statements: Vec<Spanned<String>>,
    insert: Option<Spanned<String>>,
    #[serde(alias = "insert-before")]
    insert_before: Option<Spanned<String>>,
    #[serde(default, alias = "link-labels")]
    link_labels: Vec<Spanned<String>>,
    #[serde(alias = "max-distance-words")]
    max_distance_words: Option<Spanned<u32>>,
    #[serde(alias = "min-font-px")]
    min_font_px: Option<Spanned<f32>>,
    #[serde(alias = "min-contrast")]
    min_contrast: Option<Spanned<f32>>,
}

/// Where WordPress link plugins (ThirstyAffiliates, Pretty Links, Lasso) and hand-made
/// redirects put cloaked links, unless the config says otherwise.
pub(crate) const CLOAKING_PREFIXES: &[&str] = &[
    "/go/",
    "/recommends/",
    "/recommend/",
    "/refer/",
    "/out/",
    "/visit/",
];

/// A configured value and where it was written, for errors found later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) spot: SourceSpot,
}

/// One program's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProgramSettings {
    pub(crate) tag: Option<Setting<String>>,
    pub(crate) marketplaces: Vec<(Setting<String>, Setting<String>)>,
    pub(crate) merchants: Vec<Setting<String>>,
    /// `prices = "allowed"`: no `static-price` finding for the program.
    pub(crate) prices_allowed: bool,
    /// Where the `[programs.<id>]` table is.
    pub(crate) spot: Option<SourceSpot>,
}

/// What a finding id is set to in `[severity]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Level {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Do not check at all (and `fix` does not fix it).
    Off,
}

impl Level {
    /// The severity findings get at this level, `None` when they are off.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }
}

impl From<Severity> for Level {
    fn from(severity: Severity) -> Level {
        match severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        }
    }
}

/// A parsed, validated configuration.
///
/// ```
/// let config = affilint::Config::parse(
///     "affilint.toml",
///     "[programs.amazon]\ntag = \"mysite-20\"\n[severity]\nmissing-rel = \"off\"\n",
/// )?;
/// assert_eq!(config.tag("amazon"), Some("mysite-20"));
/// # Ok::<(), affilint::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub(crate) programs: BTreeMap<String, ProgramSettings>,
    pub(crate) placement: Placement,
    pub(crate) statements: Vec<Setting<Statement>>,
    pub(crate) severity: BTreeMap<FindingId, Level>,
    /// HTML `fix` inserts when a page lacks a disclosure.
    pub(crate) insert: Option<Setting<String>>,
    /// Where `fix` inserts it: before the first element matching this selector.
    pub(crate) insert_before: Option<Setting<lol_html::Selector>>,
    /// Labels each affiliate link needs in or right after its text (`unlabeled-link`).
    pub(crate) link_labels: Vec<String>,
    /// The most words an affiliate link may come after the last statement
    /// (`distant-disclosure`).
    pub(crate) max_distance_words: Option<u32>,
    /// Text in a smaller font (CSS pixels) is `inconspicuous-disclosure`; `None`: 10.
    pub(crate) min_font_px: Option<f32>,
    /// Text with a lower contrast ratio is `inconspicuous-disclosure`; `None`: 3.
    pub(crate) min_contrast: Option<f32>,
    /// Path prefixes of cloaked links (`opaque-link`); `None`: [`CLOAKING_PREFIXES`].
    pub(crate) cloaking_prefixes: Option<Vec<String>>,
    /// Whether Markdown sources get disclosure findings (`[markdown] disclosure = "check"`).
    pub(crate) markdown_disclosure: bool,
}

/// Whether `id` is a publisher id affilint will write into a page: letters, digits, `-`, `_`
/// and `.`, nothing that could end an attribute or add a parameter.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn invalid_id_message(id: &str) -> String {
    format!(
        "`{id}` is not a valid id: use letters, digits, `-`, `_` and `.` only \
         (quotes, `&`, `<`, spaces and the like could inject markup or parameters)"
    )
}

impl Config {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            spot: SourceSpot::whole(&origin),
            message: format!("cannot read the config file: {e}"),
        })?;
        Config::parse(&origin, &text)
    }

    /// Parses config text; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<Config, ConfigError> {
        let err = |span: std::ops::Range<usize>, message: String| ConfigError {
            spot: SourceSpot::at(origin, text, span.start),
            message,
        };
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let (spot, message) = SourceSpot::of_toml(origin, text, &e);
            ConfigError { spot, message }
        })?;
        let spot = |span: std::ops::Range<usize>| SourceSpot::at(origin, text, span.start);
        let setting = |s: &Spanned<String>| Setting {
            value: s.get_ref().clone(),
            spot: spot(s.span()),
        };
        let checked_id = |s: &Spanned<String>| {
            if is_valid_id(s.get_ref()) {
                Ok(setting(s))
            } else {
                Err(err(s.span(), invalid_id_message(s.get_ref())))
            }
        };

        let mut config = Config::default();
        for (name, program) in &file.programs {
            let program_file = program.get_ref();
            let settings = ProgramSettings {
                tag: program_file.tag.as_ref().map(checked_id).transpose()?,
                marketplaces: program_file
                    .marketplaces
                    .iter()
                    .map(|(host, id)| Ok((setting(host), checked_id(id)?)))
                    .collect::<Result<_, ConfigError>>()?,
                merchants: program_file.merchants.iter().map(setting).collect(),
                prices_allowed: program_file.prices == Some(Prices::Allowed),
                spot: Some(spot(name.span())),
            };
            config.programs.insert(name.get_ref().clone(), settings);
        }

        if let Some(placement) = file.disclosure.placement {
            config.placement = placement;
        }
        for statement in &file.disclosure.statements {
            let compiled = Statement::parse(statement.get_ref())
                .map_err(|e| err(statement.span(), format!("invalid statement: {e}")))?;
            config.statements.push(Setting {
                value: compiled,
                spot: spot(statement.span()),
            });
        }
        if let Some(insert) = &file.disclosure.insert {
            if insert.get_ref().trim().is_empty() {
                return Err(err(
                    insert.span(),
                    "`insert` is empty: write the disclosure's HTML, e.g. \
                     \"<p>As an Amazon Associate I earn from qualifying purchases.</p>\""
                        .into(),
                ));
            }
            config.insert = Some(setting(insert));
        }
        if let Some(before) = &file.disclosure.insert_before {
            let selector = before
                .get_ref()
                .parse::<lol_html::Selector>()
                .map_err(|e| {
                    err(
                        before.span(),
                        format!(
                            "`{}` is not a selector affilint supports: {e}",
                            before.get_ref()
                        ),
                    )
                })?;
            if config.insert.is_none() {
                return Err(err(before.span(), "`insert_before` needs `insert`".into()));
            }
            config.insert_before = Some(Setting {
                value: selector,
                spot: spot(before.span()),
            });
        }
        for label in &file.disclosure.link_labels {
            if label.get_ref().trim().is_empty() {
                return Err(err(label.span(), "a link label cannot be empty".into()));
            }
            config.link_labels.push(label.get_ref().trim().to_owned());
        }
        if let Some(words) = &file.disclosure.max_distance_words {
            if *words.get_ref() == 0 {
                return Err(err(
                    words.span(),
                    "`max_distance_words` must be at least 1 (leave it out to turn the check off)"
                        .into(),
                ));
            }
            config.max_distance_words = Some(*words.get_ref());
        }
        if let Some(px) = &file.disclosure.min_font_px {
            let value = *px.get_ref();
            if !(0.0..=100.0).contains(&value) {
                return Err(err(
                    px.span(),
                    format!("`min_font_px` must be between 0 and 100 (CSS pixels), not {value}"),
                ));
            }
            config.min_font_px = Some(value);
        }
        if let Some(ratio) = &file.disclosure.min_contrast {
            let value = *ratio.get_ref();
            if !(1.0..=21.0).contains(&value) {
                return Err(err(
                    ratio.span(),
                    format!(
                        "`min_contrast` is a contrast ratio between 1 and 21 (3 means 3:1), not \
                         {value}"
                    ),
                ));
            }
            config.min_contrast = Some(value);
        }
        if let Some(prefixes) = &file.links.cloaking_prefixes {
            let mut list = Vec::new();
            for prefix in prefixes {
                let value = prefix.get_ref();
                if !value.starts_with('/') || !value.ends_with('/') || value.len() < 3 {
                    return Err(err(
                        prefix.span(),
                        format!("`{value}` is not a path prefix: write it as `/go/`"),
                    ));
                }
                list.push(value.clone());
            }
            config.cloaking_prefixes = Some(list);
        }
        config.markdown_disclosure =
            file.markdown.disclosure.unwrap_or_default() == MarkdownDisclosure::Check;
        config.severity = file.severity;
        Ok(config)
    }

    /// Sets a program's id, overriding the config file; `origin` names where the value comes
    /// from in errors.
    ///
    /// ```
    /// let mut config = affilint::Config::default();
    /// config.set_tag("amazon", "mysite-20", "build.rs")?;
    /// assert_eq!(config.tag("amazon"), Some("mysite-20"));
    /// let err = config.set_tag("amazon", "a\"b", "build.rs").unwrap_err();
    /// assert!(err.to_string().starts_with("build.rs: `a\"b` is not a valid id"));
    /// # Ok::<(), affilint::ConfigError>(())
    /// ```
    pub fn set_tag(&mut self, program: &str, id: &str, origin: &str) -> Result<(), ConfigError> {
        let spot = SourceSpot::whole(origin);
        if !is_valid_id(id) {
            return Err(ConfigError {
                spot,
                message: invalid_id_message(id),
            });
        }
        let settings = self.programs.entry(program.to_owned()).or_default();
        settings.spot.get_or_insert_with(|| spot.clone());
        settings.tag = Some(Setting {
            value: id.to_owned(),
            spot,
        });
        Ok(())
    }

    /// The id configured for a program (its `tag`), if any.
    pub fn tag(&self, program: &str) -> Option<&str> {
        self.programs
            .get(program)?
            .tag
            .as_ref()
            .map(|t| t.value.as_str())
    }

    /// Where the disclosure must be.
    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// The level configured for a finding id (its default severity when not set).
    pub fn level(&self, id: FindingId) -> Level {
        self.severity
            .get(&id)
            .copied()
            .unwrap_or_else(|| id.default_severity().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        Config::parse("affilint.toml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_full_config_parses() {
        let config = Config::parse(
            "affilint.toml",
            "[programs.amazon]\ntag = \"mysite-20\"\n\n[programs.amazon.marketplaces]\n\
             \"amazon.co.uk\" = \"mysite-21\"\n\n[disclosure]\nplacement = \"anywhere\"\n\
             statements = [\"I earn a commission from links here\"]\n\n[severity]\n\
             missing-rel = \"off\"\nshort-link = \"error\"\n",
        )
        .unwrap();
        assert_eq!(config.tag("amazon"), Some("mysite-20"));
        assert_eq!(
            config.programs["amazon"].marketplaces[0].1.value,
            "mysite-21"
        );
        assert_eq!(config.placement(), Placement::Anywhere);
        assert_eq!(config.level(FindingId::MissingRel), Level::Off);
        assert_eq!(config.level(FindingId::ShortLink), Level::Error);
        assert_eq!(config.level(FindingId::UntaggedLink), Level::Error);
        assert_eq!(config.statements.len(), 1);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_line() {
        let unknown = error("[programs.amazon]\ntag = \"x-20\"\ntags = \"y\"\n");
        assert!(
            unknown.starts_with("affilint.toml:3:1: unknown field `tags`"),
            "{unknown}"
        );
        let top = error("[program.amazon]\ntag = \"x\"\n");
        assert!(
            top.starts_with("affilint.toml:1:2: unknown field `program`"),
            "{top}"
        );
        let severity = error("[severity]\nmissing-rell = \"off\"\n");
        assert!(
            severity.starts_with("affilint.toml:2:1: unknown variant `missing-rell`"),
            "{severity}"
        );
        assert!(
            severity.contains("`missing-rel`"),
            "lists the known ids: {severity}"
        );
        let level = error("[severity]\nmissing-rel = \"never\"\n");
        assert!(
            level.starts_with(
                "affilint.toml:2:15: unknown variant `never`, expected one of `error`, `warning`, `off`"
            ),
            "{level}"
        );
        let placement = error("[disclosure]\nplacement = \"top\"\n");
        assert!(placement.starts_with("affilint.toml:2:13:"), "{placement}");
        assert!(placement.contains("`before-first-link`"), "{placement}");
        let statement = error("[disclosure]\nstatements = [\"I earn {site\"]\n");
        assert!(
            statement.starts_with("affilint.toml:2:15: invalid statement"),
            "{statement}"
        );
        let insert = error("[disclosure]\ninsert = \"<p>x</p>\"\ninsert_before = \"p:hover\"\n");
        assert!(
            insert.starts_with("affilint.toml:3:17: `p:hover` is not a selector"),
            "{insert}"
        );
        let lonely = error("[disclosure]\ninsert_before = \"main\"\n");
        assert!(
            lonely.contains("`insert_before` needs `insert`"),
            "{lonely}"
        );
        let bad_type = error("[programs.amazon]\ntag = 20\n");
        assert!(bad_type.starts_with("affilint.toml:2:7:"), "{bad_type}");
    }

    #[test]
    fn ids_that_could_inject_are_refused() {
        for bad in [
            "x\\\"><script>",
            "a&tag=b",
            "a b",
            "a<b",
            "",
            "a'b",
            "a#b",
            "a?b",
            "a/b",
        ] {
            let text = format!("[programs.amazon]\ntag = \"{bad}\"\n");
            let message = error(&text);
            assert!(
                message.starts_with("affilint.toml:2:7:"),
                "{bad}: {message}"
            );
            assert!(message.contains("not a valid id"), "{bad}: {message}");
        }
        let market = error("[programs.amazon.marketplaces]\n\"amazon.de\" = \"x&y\"\n");
        assert!(market.starts_with("affilint.toml:2:15:"), "{market}");
        let mut config = Config::default();
        let err = config
            .set_tag("amazon", "a\"b", "--tag amazon=a\"b")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--tag amazon=a\"b: "), "{err}");
        config.set_tag("amazon", "ok-20", "--tag").unwrap();
        assert_eq!(config.tag("amazon"), Some("ok-20"));
    }

    #[test]
    fn snake_case_keys_are_documented_and_kebab_case_is_accepted() {
        let snake = "[disclosure]\ninsert = \"<p>x</p>\"\ninsert_before = \"main\"\n";
        let kebab = snake.replace("insert_before", "insert-before");
        for text in [snake, kebab.as_str()] {
            let config = Config::parse("affilint.toml", text).unwrap();
            assert!(config.insert_before.is_some(), "{text}");
        }
    }
}
