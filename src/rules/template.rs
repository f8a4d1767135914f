//! Rule-file values with `{placeholders}`: parsed once when the rule is loaded, rendered per
//! link.

/// Whether `s` can name a `{placeholder}`.
pub(super) fn is_placeholder_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
    pub(super) fn parse(text: &str) -> Result<Template, String> {
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

    pub(super) fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Literal(text) => Some(text.as_str()),
            TemplatePart::Placeholder(_) => None,
        })
    }

    /// Whether the template is exactly `{name}`.
    pub(super) fn is_only(&self, name: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_render() {
        let t = Template::parse("https://go.example/?id={id}&u={url}").unwrap();
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["id", "url"]);
        assert!(!t.is_only("id"));
        assert!(Template::parse("{id}").unwrap().is_only("id"));
        let rendered = t.render(|name| Some(name.to_uppercase()));
        assert_eq!(rendered.unwrap(), "https://go.example/?id=ID&u=URL");
        assert_eq!(
            t.render(|name| (name == "id").then(String::new)),
            Err("url")
        );
        for bad in ["{id", "id}", "{Bad}", "{}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
