//! The `semver` policy: the highest tag that parses as a version (Flux's parsing) and
//! satisfies the Masterminds range; ties go to the first such tag in iteration order.

mod constraint;
mod version;

pub use constraint::Constraints;
pub use version::Version;

use std::cmp::Ordering;

use super::error::PolicyError;

/// A compiled `semver` policy.
#[derive(Debug, Clone)]
pub struct SemverPolicy {
    constraints: Constraints,
}

impl SemverPolicy {
    /// Parses the range; an invalid one is Flux's `InvalidPolicy`.
    pub fn new(range: &str) -> Result<Self, PolicyError> {
        let constraints =
            Constraints::parse(range).map_err(|message| PolicyError::InvalidRange {
                range: range.to_owned(),
                message,
            })?;
        Ok(Self { constraints })
    }

    /// Index of the selected candidate. Unparsable tags are skipped silently, as in Flux;
    /// the comparison is strict, so among equal versions (`v1.0.0`, `1.0.0`, `1.0.0+b`) the
    /// first one wins.
    pub fn latest(&self, candidates: &[&str]) -> Result<usize, PolicyError> {
        if candidates.is_empty() {
            return Err(PolicyError::EmptyList);
        }
        let mut best: Option<(usize, Version<'_>)> = None;
        for (i, tag) in candidates.iter().enumerate() {
            let Some(v) = Version::parse_flux(tag) else {
                continue;
            };
            let better = best
                .as_ref()
                .is_none_or(|(_, b)| v.cmp_precedence(b) == Ordering::Greater);
            if better && self.constraints.check(&v) {
                best = Some((i, v));
            }
        }
        best.map(|(i, _)| i).ok_or(PolicyError::NoMatchingVersion)
    }
}
