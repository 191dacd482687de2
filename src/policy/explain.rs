//! Why a policy does not take a tag: the one rule of the ImageRepository's exclusion list or
//! the ImagePolicy's `filterTags` and range that drops it, in words that name the rule.
//! The release lanes use it to say why a pushed tag never becomes the policy's pick.

use super::error::PolicyError;
use super::filter::{DEFAULT_EXCLUSION, TagFilter};
use super::semver::{Constraints, Version};
use super::spec::{PolicyChoice, PolicySpec};
use crate::golang::regexp::GoRegex;
use crate::golang::strconv::parse_float;

/// The rule that drops `tag`, or `None` when the policy admits it (it may still lose to a
/// better tag). `exclusions` is the ImageRepository's `spec.exclusionList`.
pub fn rejection(spec: &PolicySpec, exclusions: &[String], tag: &str) -> Option<String> {
    let default = [DEFAULT_EXCLUSION.to_owned()];
    let patterns = if exclusions.is_empty() {
        &default[..]
    } else {
        exclusions
    };
    for pattern in patterns {
        if GoRegex::new(pattern).is_ok_and(|r| r.is_match(tag)) {
            return Some(format!(
                "excluded by the ImageRepository's exclusionList pattern `{pattern}`"
            ));
        }
    }
    let value = match &spec.filter {
        Some(f) => match TagFilter::new(&f.pattern, &f.extract) {
            Ok(filter) => {
                let tags = [tag];
                let candidates = filter.apply(&tags);
                match candidates.values().next() {
                    Some(value) => value.to_owned(),
                    None => {
                        return Some(format!(
                            "does not match the ImagePolicy's filterTags.pattern `{}`",
                            f.pattern
                        ));
                    }
                }
            }
            Err(err) => return Some(invalid(&err)),
        },
        None => tag.to_owned(),
    };
    let shown = if value == tag {
        format!("`{tag}`")
    } else {
        format!("`{value}` (extracted from `{tag}`)")
    };
    match &spec.choice {
        PolicyChoice::Semver { range } => match Version::parse_flux(&value) {
            None => Some(format!("{shown} is not a semantic version (policy semver)")),
            Some(v) => match Constraints::parse(range) {
                Ok(c) if c.check(&v) => None,
                Ok(_) => Some(format!(
                    "{shown} is outside the ImagePolicy's semver range `{range}`"
                )),
                Err(message) => Some(format!("the semver range `{range}` is invalid: {message}")),
            },
        },
        PolicyChoice::Numerical { .. } => parse_float(&value)
            .is_none()
            .then(|| format!("{shown} is not a number (policy numerical)")),
        PolicyChoice::Alphabetical { .. } => None,
    }
}

fn invalid(err: &PolicyError) -> String {
    format!("the ImagePolicy cannot be evaluated: {err}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> PolicySpec {
        PolicySpec::from_spec(&value).unwrap()
    }

    #[test]
    fn names_the_rule_that_drops_a_tag() {
        let numbered = spec(json!({
            "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<ts>[0-9]+)", "extract": "$ts"},
            "policy": {"numerical": {"order": "asc"}}
        }));
        assert_eq!(rejection(&numbered, &[], "main-1f49071-24"), None);
        let why = rejection(&numbered, &[], "latest").unwrap();
        assert!(why.contains("filterTags.pattern `^main-"), "{why}");
        let why = rejection(&numbered, &["^main-1f".to_owned()], "main-1f49071-24").unwrap();
        assert!(why.contains("exclusionList pattern `^main-1f`"), "{why}");
        assert!(
            rejection(&numbered, &[], "x.sig")
                .unwrap()
                .contains("^.*\\.sig$")
        );

        let ranged = spec(json!({"policy": {"semver": {"range": ">=1.0.0 <2.0.0"}}}));
        assert_eq!(rejection(&ranged, &[], "1.4.2"), None);
        let why = rejection(&ranged, &[], "2.0.0-rc1").unwrap();
        assert!(
            why.contains("outside the ImagePolicy's semver range `>=1.0.0 <2.0.0`"),
            "{why}"
        );
        assert!(
            rejection(&ranged, &[], "nightly")
                .unwrap()
                .contains("not a semantic version")
        );

        let alpha = spec(json!({"policy": {"alphabetical": {"order": "asc"}}}));
        assert_eq!(rejection(&alpha, &[], "anything"), None);
    }

    #[test]
    fn an_extracted_value_is_shown_with_its_tag() {
        let s = spec(json!({
            "filterTags": {"pattern": "^v(?P<v>.*)$", "extract": "$v"},
            "policy": {"numerical": {"order": "asc"}}
        }));
        let why = rejection(&s, &[], "vnext").unwrap();
        assert_eq!(
            why,
            "`next` (extracted from `vnext`) is not a number (policy numerical)"
        );
    }
}
