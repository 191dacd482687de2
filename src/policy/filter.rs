//! Tag selection by regular expression: `filterTags` of an ImagePolicy and the
//! `exclusionList` of an ImageRepository.

use std::collections::HashMap;

use super::error::PolicyError;
use super::expand::Template;
use super::goregex::GoRegex;

/// The ImageRepository exclusion used when `spec.exclusionList` is empty (cosign signatures).
pub const DEFAULT_EXCLUSION: &str = "^.*\\.sig$";

/// `filterTags`, compiled: an unanchored Go regex and an optional `extract` template.
#[derive(Debug, Clone)]
pub struct TagFilter {
    regex: GoRegex,
    template: Option<Template>,
}

/// The candidates a filter leaves: extracted value → original tag.
///
/// Flux keeps them in a Go map, so the order it hands them to the policy is random (and
/// so are its tie-breaks). fluxdeck keeps the order in which each extracted value first
/// appeared in the input instead, and, like Flux, the *last* original tag that produced a
/// value is the one reported for it. This is the documented divergence: with ties, Flux may
/// pick either tag; fluxdeck always picks the same one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    entries: Vec<(String, String)>,
}

impl Candidates {
    /// Extracted values, in first-appearance order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(v, _)| v.as_str())
    }

    /// The original tag behind an extracted value.
    pub fn original(&self, value: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, o)| o.as_str())
    }

    /// The original tag behind the value at `index` (as in [`Candidates::values`]).
    pub fn original_at(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(|(_, o)| o.as_str())
    }

    /// How many distinct values there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no tag matched.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl TagFilter {
    /// Compiles `pattern` (Go RE2 syntax) and `extract` (Go `Expand` syntax; empty = the tag).
    pub fn new(pattern: &str, extract: &str) -> Result<Self, PolicyError> {
        let regex = GoRegex::new(pattern).map_err(|cause| PolicyError::InvalidPattern {
            pattern: pattern.to_owned(),
            cause,
        })?;
        let template = (!extract.is_empty()).then(|| Template::new(extract, regex.names()));
        Ok(Self { regex, template })
    }

    /// Keeps the tags the pattern matches anywhere, keyed by their extracted value.
    pub fn apply<S: AsRef<str>>(&self, tags: &[S]) -> Candidates {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut entries: Vec<(String, String)> = Vec::new();
        for tag in tags {
            let tag = tag.as_ref();
            let value = match &self.template {
                None if self.regex.is_match(tag) => tag.to_owned(),
                None => continue,
                Some(template) => match self.regex.captures(tag) {
                    Some(groups) => template.expand(tag, &groups),
                    None => continue,
                },
            };
            match index.get(&value) {
                Some(&i) => {
                    if let Some(entry) = entries.get_mut(i) {
                        entry.1 = tag.to_owned();
                    }
                }
                None => {
                    index.insert(value.clone(), entries.len());
                    entries.push((value, tag.to_owned()));
                }
            }
        }
        Candidates { entries }
    }
}

/// Drops every tag that any exclusion pattern matches (unanchored), as the ImageRepository
/// scan does; an empty pattern list means [`DEFAULT_EXCLUSION`]. A pattern that is not valid
/// Go syntax fails the whole scan.
pub fn exclude<S: AsRef<str>>(tags: &[S], patterns: &[String]) -> Result<Vec<String>, PolicyError> {
    let default = [DEFAULT_EXCLUSION.to_owned()];
    let patterns = if patterns.is_empty() {
        &default[..]
    } else {
        patterns
    };
    let regexes = patterns
        .iter()
        .map(|pattern| {
            GoRegex::new(pattern).map_err(|cause| PolicyError::InvalidExclusion {
                pattern: pattern.clone(),
                cause,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(tags
        .iter()
        .map(AsRef::as_ref)
        .filter(|tag| !regexes.iter().any(|re| re.is_match(tag)))
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(c: &Candidates) -> Vec<&str> {
        c.values().collect()
    }

    #[test]
    fn pattern_is_unanchored() {
        let f = TagFilter::new("main", "").unwrap();
        let c = f.apply(&["x-main-1", "main", "dev"]);
        assert_eq!(values(&c), ["x-main-1", "main"]);
    }

    #[test]
    fn empty_pattern_matches_everything() {
        let f = TagFilter::new("", "").unwrap();
        assert_eq!(values(&f.apply(&["a"])), ["a"]);
    }

    #[test]
    fn extracted_value_maps_to_last_original_in_first_position() {
        let f = TagFilter::new(r"^(?:main|dev)-[a-f0-9]+-(?P<n>\d+)$", "$n").unwrap();
        let c = f.apply(&["main-aaa-1", "dev-bbb-2", "main-ccc-1", "other-1"]);
        assert_eq!(values(&c), ["1", "2"]);
        assert_eq!(c.original("1"), Some("main-ccc-1"));
        assert_eq!(c.original("2"), Some("dev-bbb-2"));
        assert_eq!(c.original_at(0), Some("main-ccc-1"));
        assert_eq!(c.original("3"), None);
    }

    #[test]
    fn extract_to_empty_is_a_candidate() {
        let f = TagFilter::new(r"^v(\d+)?", "$1").unwrap();
        let c = f.apply(&["v", "v2"]);
        assert_eq!(values(&c), ["", "2"]);
        assert_eq!(c.original(""), Some("v"));
    }

    #[test]
    fn invalid_pattern_is_flux_message() {
        let err = TagFilter::new("(", "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid regular expression pattern '(': error parsing regexp: missing closing ): `(`"
        );
    }

    #[test]
    fn exclusion_default_drops_signatures() {
        let tags = ["v1", "sha256-abc.sig", "v1.sig.bak", "x.sig"];
        assert_eq!(exclude(&tags, &[]).unwrap(), ["v1", "v1.sig.bak"]);
    }

    #[test]
    fn exclusion_any_pattern_drops_and_explicit_list_replaces_default() {
        let tags = ["v1", "v1-rc", "latest", "a.sig"];
        let pats = vec!["-rc".to_owned(), "^latest$".to_owned()];
        assert_eq!(exclude(&tags, &pats).unwrap(), ["v1", "a.sig"]);
    }

    #[test]
    fn exclusion_bad_pattern_fails_whole_scan() {
        let err = exclude(&["a"], &["[".to_owned()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to compile regex [: error parsing regexp: missing closing ]: `[`"
        );
        assert_eq!(err.condition_message(), format!("scan failed: {err}"));
    }
}
