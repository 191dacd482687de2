//! Tag selection by regular expression: `filterTags` of an ImagePolicy and the
//! `exclusionList` of an ImageRepository.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::error::PolicyError;
use crate::golang::regexp::{GoRegex, Template};

/// The ImageRepository exclusion used when `spec.exclusionList` is empty (cosign signatures).
pub const DEFAULT_EXCLUSION: &str = "^.*\\.sig$";

/// `filterTags`, compiled: an unanchored Go regex and an optional `extract` template.
#[derive(Debug, Clone)]
pub struct TagFilter {
    regex: GoRegex,
    template: Option<Template>,
}

/// A fast, non-keyed hash for de-duplicating extracted values (SipHash dominated the
/// filter's cost on 100k tags). Tags come from the organisation's own registry, so
/// collision flooding is not a threat worth SipHash's price here.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        for (dst, src) in tail.iter_mut().zip(chunks.remainder()) {
            *dst = *src;
        }
        self.add(u64::from_le_bytes(tail) ^ (bytes.len() as u64));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The candidates a filter leaves: extracted value → original tag.
///
/// Flux keeps them in a Go map, so the order it hands them to the policy is random (and
/// so are its tie-breaks). fluxdeck keeps the order in which each extracted value first
/// appeared in the input instead, and, like Flux, the *last* original tag that produced a
/// value is the one reported for it. This is the documented divergence: with ties, Flux may
/// pick either tag; fluxdeck always picks the same one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates<'a> {
    values: Vec<Cow<'a, str>>,
    originals: Vec<&'a str>,
}

impl<'a> Candidates<'a> {
    /// Extracted values, in first-appearance order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|v| v.as_ref())
    }

    /// The original tag behind an extracted value.
    pub fn original(&self, value: &str) -> Option<&'a str> {
        let i = self.values.iter().position(|v| v == value)?;
        self.original_at(i)
    }

    /// The original tag behind the value at `index` (as in [`Candidates::values`]).
    pub fn original_at(&self, index: usize) -> Option<&'a str> {
        self.originals.get(index).copied()
    }

    /// How many distinct values there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no tag matched.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
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
    pub fn apply<'a, S: AsRef<str>>(&self, tags: &'a [S]) -> Candidates<'a> {
        // Pass 1: the value of every matching tag (borrowed when there is no template).
        let mut slots = self.regex.slots();
        let mut matched: Vec<(Cow<'a, str>, &'a str)> = Vec::new();
        for tag in tags {
            let tag = tag.as_ref();
            let value = match &self.template {
                None if self.regex.is_match(tag) => Cow::Borrowed(tag),
                None => continue,
                Some(template) if self.regex.captures_into(tag, &mut slots) => {
                    Cow::Owned(template.expand(tag, |i| slots.get(i)))
                }
                Some(_) => continue,
            };
            matched.push((value, tag));
        }
        // Pass 2: first position of each value, last original for it.
        let mut first: HashMap<&str, usize, BuildHasherDefault<FxHasher>> =
            HashMap::with_capacity_and_hasher(matched.len(), BuildHasherDefault::default());
        let mut keep = vec![false; matched.len()];
        let mut last_original: Vec<&'a str> = Vec::with_capacity(matched.len());
        for (i, (value, original)) in matched.iter().enumerate() {
            match first.get(value.as_ref()) {
                Some(&slot) => {
                    if let Some(o) = last_original.get_mut(slot) {
                        *o = original;
                    }
                }
                None => {
                    first.insert(value.as_ref(), last_original.len());
                    last_original.push(original);
                    if let Some(k) = keep.get_mut(i) {
                        *k = true;
                    }
                }
            }
        }
        drop(first);
        let values = matched
            .into_iter()
            .zip(keep)
            .filter_map(|((value, _), keep)| keep.then_some(value))
            .collect();
        Candidates {
            values,
            originals: last_original,
        }
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

    fn values<'c>(c: &'c Candidates<'_>) -> Vec<&'c str> {
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
