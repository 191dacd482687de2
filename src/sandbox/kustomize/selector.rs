//! Patch targets: kustomize's `Selector` (anchored regular expressions over group, version,
//! kind, name and namespace) and Kubernetes label selectors (`app=x,tier!=db,env in (a,b)`).

use regex::{Regex, RegexBuilder};

use super::kustfile::Selector;
use super::resource::Res;
use crate::sandbox::labels::LabelSelector;

/// Compiled regexes are capped so a hostile pattern cannot take much memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `^(?:pattern)$` as kustomize's `anchorRegex` does (Go RE2 and Rust's `regex`
/// share the syntax kustomize users write).
pub(crate) fn anchored(pattern: &str) -> Result<Regex, String> {
    compile(&format!("^(?:{pattern})$"))
}

/// Compiles a regular expression with the size cap; errors read like Go's.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text.lines().last().unwrap_or("").trim();
            let last = last.strip_prefix("error: ").unwrap_or(last);
            format!("error parsing regexp: {last}: `{pattern}`")
        })
}

/// Parses a label (or annotation) selector as `labels.Parse` does.
fn parse_labels(s: &str) -> Result<LabelSelector, String> {
    LabelSelector::parse(s).map_err(|e| e.to_string())
}

/// A [`Selector`] ready to match objects.
pub(crate) struct Matcher {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: LabelSelector,
    annotations: LabelSelector,
}

fn opt(p: &str) -> Result<Option<Regex>, String> {
    if p.is_empty() {
        Ok(None)
    } else {
        anchored(p).map(Some)
    }
}

impl Matcher {
    /// Compiles a selector.
    pub fn new(s: &Selector) -> Result<Matcher, String> {
        Ok(Matcher {
            group: opt(&s.group)?,
            version: opt(&s.version)?,
            kind: opt(&s.kind)?,
            name: opt(&s.name)?,
            namespace: opt(&s.namespace)?,
            labels: parse_labels(&s.label_selector)?,
            annotations: parse_labels(&s.annotation_selector)?,
        })
    }

    /// kustomize's `resWrangler.Select` test for one object: namespace and name match the
    /// original or the current identity, the kind the current one, then the label and
    /// annotation selectors.
    pub fn matches(&self, r: &Res) -> bool {
        let (org, cur) = (r.org_id(), r.cur_id());
        let is = |re: &Option<Regex>, s: &str| re.as_ref().is_none_or(|re| re.is_match(s));
        (is(&self.namespace, org.effective_ns()) || is(&self.namespace, cur.effective_ns()))
            && (is(&self.name, &org.name) || is(&self.name, &cur.name))
            && is(&self.group, &cur.gvk.group)
            && is(&self.version, &cur.gvk.version)
            && is(&self.kind, &cur.gvk.kind)
            && self.labels.matches(&r.meta_strings("labels"))
            && self.annotations.matches(&r.meta_strings("annotations"))
    }
}

/// kustomize's `Selector.String()` (`<ResId>:a=<annotations>:l=<labels>`), as messages quote it.
pub(crate) fn selector_string(s: &Selector) -> String {
    let id = super::resource::Id {
        gvk: super::resource::Gvk {
            group: s.group.clone(),
            version: s.version.clone(),
            kind: s.kind.clone(),
        },
        name: s.name.clone(),
        namespace: s.namespace.clone(),
    };
    format!("{id}:a={}:l={}", s.annotation_selector, s.label_selector)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_anchored_regexes() {
        let re = anchored("front-.*").unwrap();
        assert!(re.is_match("front-end"));
        assert!(!re.is_match("my-front-end"));
        assert!(anchored("a|b").unwrap().is_match("b"));
        assert!(
            anchored("(")
                .unwrap_err()
                .starts_with("error parsing regexp:")
        );
    }
}
