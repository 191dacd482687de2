//! The ImagePolicy spec as fluxdeck reads it, and its compiled, reusable form.

use serde_json::Value;

use super::error::PolicyError;
use super::filter::TagFilter;
use super::order::Order;
use super::semver::SemverPolicy;
use super::{alphabetical, numerical};

/// `spec.policy`: which policy picks the tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PolicyChoice {
    /// Highest version satisfying a Masterminds range.
    Semver {
        /// The range, e.g. `>=1.0.0 <2.0.0`.
        range: String,
    },
    /// Byte-wise string order.
    Alphabetical {
        /// `asc` picks the greatest.
        order: Order,
    },
    /// Go float64 order.
    Numerical {
        /// `asc` picks the greatest.
        order: Order,
    },
}

/// `spec.filterTags`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FilterTags {
    /// Go RE2 pattern, unanchored; empty matches every tag.
    pub pattern: String,
    /// Go `Expand` template; empty compares the tags themselves.
    pub extract: String,
}

/// What an ImagePolicy asks for: a policy and an optional tag filter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicySpec {
    /// The policy.
    pub choice: PolicyChoice,
    /// The tag filter, if any.
    pub filter: Option<FilterTags>,
}

/// A field of `obj` that is present and not `null` (Go's non-nil pointer).
fn present<'a>(obj: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    obj.and_then(|o| o.get(key)).filter(|v| !v.is_null())
}

/// A string field, `""` when absent (Go's zero value).
fn string_field(obj: &Value, key: &str, path: &str, example: &str) -> Result<String, PolicyError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(PolicyError::InvalidSpec {
            field: format!("{path}.{key}"),
            expected: format!("a string such as {example}"),
        }),
    }
}

impl PolicySpec {
    /// Reads `spec` of an ImagePolicy (v1 or v1beta2 JSON; same shape), tolerant of missing
    /// fields. The first policy present wins in Flux's order: semver, alphabetical,
    /// numerical; none present is Flux's `given ImagePolicyChoice object is invalid`.
    pub fn from_spec(spec: &Value) -> Result<Self, PolicyError> {
        if !(spec.is_object() || spec.is_null()) {
            return Err(PolicyError::InvalidSpec {
                field: "spec".to_owned(),
                expected: "an object with `policy` and optional `filterTags`".to_owned(),
            });
        }
        let policy = present(Some(spec), "policy");
        let choice = if let Some(semver) = present(policy, "semver") {
            PolicyChoice::Semver {
                range: string_field(semver, "range", "spec.policy.semver", "\">=1.0.0\"")?,
            }
        } else if let Some(alpha) = present(policy, "alphabetical") {
            let order = string_field(alpha, "order", "spec.policy.alphabetical", "\"asc\"")?;
            PolicyChoice::Alphabetical {
                order: Order::parse(&order)?,
            }
        } else if let Some(num) = present(policy, "numerical") {
            let order = string_field(num, "order", "spec.policy.numerical", "\"asc\"")?;
            PolicyChoice::Numerical {
                order: Order::parse(&order)?,
            }
        } else {
            return Err(PolicyError::NoChoice);
        };
        let filter = match present(Some(spec), "filterTags") {
            None => None,
            Some(f) => Some(FilterTags {
                pattern: string_field(f, "pattern", "spec.filterTags", "\"^main-(?P<n>.*)\"")?,
                extract: string_field(f, "extract", "spec.filterTags", "\"$n\"")?,
            }),
        };
        Ok(Self { choice, filter })
    }

    /// Compiles once (regexes, constraint) for repeated evaluation. The policy is checked
    /// before the filter, as Flux does, so with both wrong the policy's error is reported.
    pub fn compile(&self) -> Result<CompiledPolicy, PolicyError> {
        let choice = match &self.choice {
            PolicyChoice::Semver { range } => Compiled::Semver(SemverPolicy::new(range)?),
            PolicyChoice::Alphabetical { order } => Compiled::Alphabetical(*order),
            PolicyChoice::Numerical { order } => Compiled::Numerical(*order),
        };
        let filter = match &self.filter {
            Some(f) => Some(TagFilter::new(&f.pattern, &f.extract)?),
            None => None,
        };
        Ok(CompiledPolicy { choice, filter })
    }
}

#[derive(Debug, Clone)]
enum Compiled {
    Semver(SemverPolicy),
    Alphabetical(Order),
    Numerical(Order),
}

/// A policy ready to evaluate tag lists.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    choice: Compiled,
    filter: Option<TagFilter>,
}

impl CompiledPolicy {
    /// The tag Flux would select from `tags`, taken in the order given (Flux evaluates the
    /// repository's tags in descending byte order; see `ScanSummary`). Reports the original
    /// tag, not the extracted value.
    pub fn latest<S: AsRef<str>>(&self, tags: &[S]) -> Result<String, PolicyError> {
        match &self.filter {
            None => {
                let candidates: Vec<&str> = tags.iter().map(AsRef::as_ref).collect();
                let i = self.pick(&candidates)?;
                candidates.get(i).map(|s| (*s).to_owned())
            }
            Some(filter) => {
                let candidates = filter.apply(tags);
                let values: Vec<&str> = candidates.values().collect();
                let i = self.pick(&values)?;
                candidates.original_at(i).map(str::to_owned)
            }
        }
        // Every policy returns an index into the slice it was given.
        .ok_or(PolicyError::EmptyList)
    }

    fn pick(&self, candidates: &[&str]) -> Result<usize, PolicyError> {
        match &self.choice {
            Compiled::Semver(p) => p.latest(candidates),
            Compiled::Alphabetical(order) => alphabetical::latest(candidates, *order),
            Compiled::Numerical(order) => numerical::latest(candidates, *order),
        }
    }
}
