//! Finding ids: the stable names (`untagged-link`, ...) that config files, baselines and CI
//! scripts refer to, with their default severity and one-line summary.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::Severity;

/// What kind of problem a finding is. The ids (`untagged-link`, ...) are a stable contract:
/// config files, baselines and CI scripts refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FindingId {
    /// A link to an active program's host without the publisher's id.
    UntaggedLink,
    /// A link that carries someone else's id.
    ForeignTag,
    /// A short link (amzn.to and the like) that cannot be tagged offline.
    ShortLink,
    /// A short link whose target is gone (404 or 410), asked online or read from a cache.
    DeadShortLink,
    /// A link to a host its program has retired (smile.amazon.com).
    RetiredHost,
    /// An affiliate link without `rel="sponsored"` or `rel="nofollow"`.
    MissingRel,
    /// A link through the site's own redirect to a program that forbids cloaked links.
    CloakedLink,
    /// A link through a URL shortener or a cloaking prefix whose destination is not known.
    OpaqueLink,
    /// A price or star rating beside a link of a program that forbids static ones.
    StaticPrice,
    /// An affiliate link without one of the configured labels (`[disclosure] link_labels`).
    UnlabeledLink,
    /// Affiliate links and no disclosure statement at all.
    MissingDisclosure,
    /// A general disclosure, but not the statement a program's agreement asks for (Amazon's).
    MissingProgramStatement,
    /// A disclosure statement that is cut off or otherwise matches only in part.
    IncompleteDisclosure,
    /// A statement that says the site earns nothing from links that carry an id.
    NegatedDisclosure,
    /// The only disclosure statement is in hidden or non-rendered content.
    HiddenDisclosure,
    /// The statement a reader sees is hard to read: small type or low contrast.
    InconspicuousDisclosure,
    /// The disclosure comes only after the first affiliate link.
    LateDisclosure,
    /// An affiliate link too many words after the last statement (`max_distance_words`).
    DistantDisclosure,
}

impl FindingId {
    /// Every finding id, in the order they are documented.
    pub const ALL: &[FindingId] = &[
        FindingId::UntaggedLink,
        FindingId::ForeignTag,
        FindingId::ShortLink,
        FindingId::DeadShortLink,
        FindingId::RetiredHost,
        FindingId::MissingRel,
        FindingId::CloakedLink,
        FindingId::OpaqueLink,
        FindingId::StaticPrice,
        FindingId::UnlabeledLink,
        FindingId::MissingDisclosure,
        FindingId::MissingProgramStatement,
        FindingId::IncompleteDisclosure,
        FindingId::NegatedDisclosure,
        FindingId::HiddenDisclosure,
        FindingId::InconspicuousDisclosure,
        FindingId::LateDisclosure,
        FindingId::DistantDisclosure,
    ];

    /// Whether the finding is about the page's disclosure, read from its text: these ids come
    /// last in [`FindingId::ALL`] (a test holds the order).
    pub(crate) fn is_disclosure(self) -> bool {
        self as usize >= FindingId::MissingDisclosure as usize
    }

    /// The id as written in output and config.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::UntaggedLink => "untagged-link",
            FindingId::ForeignTag => "foreign-tag",
            FindingId::ShortLink => "short-link",
            FindingId::DeadShortLink => "dead-short-link",
            FindingId::RetiredHost => "retired-host",
            FindingId::MissingRel => "missing-rel",
            FindingId::CloakedLink => "cloaked-link",
            FindingId::OpaqueLink => "opaque-link",
            FindingId::StaticPrice => "static-price",
            FindingId::UnlabeledLink => "unlabeled-link",
            FindingId::MissingDisclosure => "missing-disclosure",
            FindingId::MissingProgramStatement => "missing-program-statement",
            FindingId::IncompleteDisclosure => "incomplete-disclosure",
            FindingId::NegatedDisclosure => "negated-disclosure",
            FindingId::HiddenDisclosure => "hidden-disclosure",
            FindingId::InconspicuousDisclosure => "inconspicuous-disclosure",
            FindingId::LateDisclosure => "late-disclosure",
            FindingId::DistantDisclosure => "distant-disclosure",
        }
    }

    /// The severity a finding has unless the config says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            FindingId::ShortLink
            | FindingId::RetiredHost
            | FindingId::MissingRel
            | FindingId::OpaqueLink
            | FindingId::StaticPrice
            | FindingId::UnlabeledLink
            | FindingId::InconspicuousDisclosure
            | FindingId::LateDisclosure
            | FindingId::DistantDisclosure => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// One line on how to fix the finding.
    ///
    /// ```
    /// assert!(affilint::FindingId::UntaggedLink.help().contains("affilint fix"));
    /// ```
    pub fn help(self) -> &'static str {
        super::explain::help(self)
    }

    /// What the finding means, why it matters (naming the Amazon, FTC or Google source) and
    /// how to fix it, in a few plain-text paragraphs: what `affilint explain` prints.
    pub fn explanation(self) -> &'static str {
        super::explain::explanation(self)
    }

    /// One line saying what the finding means.
    pub fn summary(self) -> &'static str {
        match self {
            FindingId::UntaggedLink => "affiliate link without the publisher's id",
            FindingId::ForeignTag => "affiliate link with someone else's id",
            FindingId::ShortLink => "short link that cannot be tagged offline",
            FindingId::DeadShortLink => "short link that leads nowhere (404 or 410)",
            FindingId::MissingRel => "affiliate link without rel=\"sponsored\" or \"nofollow\"",
            FindingId::MissingDisclosure => "affiliate links and no disclosure statement",
            FindingId::MissingProgramStatement => {
                "general disclosure, but not the statement the program asks for"
            }
            FindingId::IncompleteDisclosure => "disclosure statement cut off or incomplete",
            FindingId::NegatedDisclosure => "statement that the site earns nothing from its links",
            FindingId::HiddenDisclosure => "disclosure only in hidden or non-rendered content",
            FindingId::InconspicuousDisclosure => "disclosure in small type or low contrast",
            FindingId::LateDisclosure => "disclosure only after the first affiliate link",
            FindingId::RetiredHost => "link to a host its program has retired",
            FindingId::CloakedLink => {
                "link redirected through the site to a program that forbids it"
            }
            FindingId::OpaqueLink => {
                "link through a shortener or cloaking prefix: destination unknown"
            }
            FindingId::StaticPrice => "price or rating beside the link with no \"as of\" time",
            FindingId::UnlabeledLink => "affiliate link without a configured label",
            FindingId::DistantDisclosure => "affiliate link too far after the last disclosure",
        }
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = FindingId::ALL.iter().map(|id| id.as_str()).collect();
                format!("unknown finding id `{s}`; known ids: {}", known.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_the_ids_in_declaration_order() {
        for (index, &id) in FindingId::ALL.iter().enumerate() {
            assert_eq!(id as usize, index, "{id}");
        }
    }

    #[test]
    fn ids_round_trip_and_unknown_ids_list_the_known_ones() {
        for &id in FindingId::ALL {
            assert_eq!(id.as_str().parse::<FindingId>(), Ok(id));
            let parsed: FindingId =
                serde::Deserialize::deserialize(toml::Value::String(id.as_str().to_owned()))
                    .unwrap();
            assert_eq!(parsed, id, "serde and as_str agree");
        }
        let err = "missing_rel".parse::<FindingId>().unwrap_err();
        assert!(err.contains("missing-rel"), "{err}");
    }
}
