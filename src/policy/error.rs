//! Why a policy could not pick a tag, worded as Flux words it, and how Flux would report it.

use crate::golang::regexp::SyntaxError;

/// How Flux's controllers surface an error in the object's conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FluxCondition {
    /// ImagePolicy: `Stalled=True` and `Ready=False`, reason `InvalidPolicy`; no retry until
    /// the spec changes.
    InvalidPolicy,
    /// ImagePolicy: `Ready=False`, reason `Failure`; the controller retries with backoff.
    Failure,
    /// ImageRepository: `Ready=False`, reason `ReadOperationFailed` (`scan failed: ...`);
    /// retried with backoff.
    ScanFailed,
}

impl FluxCondition {
    /// The condition reason Flux sets on `Ready`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::InvalidPolicy => "InvalidPolicy",
            Self::Failure => "Failure",
            Self::ScanFailed => "ReadOperationFailed",
        }
    }

    /// Whether Flux also sets `Stalled=True` (it will not retry on its own).
    pub fn stalled(self) -> bool {
        matches!(self, Self::InvalidPolicy)
    }
}

/// Everything that can stop a policy from selecting a tag. `Display` is Flux's own message
/// for the cause (at the `internal/policy` level); [`PolicyError::condition_message`] adds
/// the prefix the controller puts in the `Ready` condition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// `spec.filterTags.pattern` is not a valid Go regular expression.
    #[error("invalid regular expression pattern '{pattern}': {cause}")]
    InvalidPattern {
        /// The pattern as written.
        pattern: String,
        /// Go's parse error.
        cause: SyntaxError,
    },
    /// An `exclusionList` entry of the ImageRepository is not a valid Go regular expression.
    #[error("failed to compile regex {pattern}: {cause}")]
    InvalidExclusion {
        /// The pattern as written.
        pattern: String,
        /// Go's parse error.
        cause: SyntaxError,
    },
    /// `spec.policy.semver.range` is not a Masterminds constraint (message is Masterminds').
    #[error("{message}")]
    InvalidRange {
        /// The range as written.
        range: String,
        /// Masterminds/semver's error text, e.g. `improper constraint: "foo"`.
        message: String,
    },
    /// `spec.policy.{alphabetical,numerical}.order` is neither `asc` nor `desc`.
    #[error("invalid order argument provided: '{order}', must be one of: ASC, DESC")]
    InvalidOrder {
        /// The order after Flux upper-cased it.
        order: String,
    },
    /// `spec.policy` names no known policy.
    #[error("given ImagePolicyChoice object is invalid")]
    NoChoice,
    /// A field of the spec has the wrong JSON type (the API server would have refused it).
    #[error("{field} must be {expected}; fix the ImagePolicy spec and apply it again")]
    InvalidSpec {
        /// JSON path of the field, e.g. `spec.policy.semver.range`.
        field: String,
        /// What the field must be, e.g. `a string such as ">=1.0.0"`.
        expected: String,
    },
    /// No tag was left to choose from (none given, all excluded, or none matched the filter).
    #[error("version list argument cannot be empty")]
    EmptyList,
    /// semver: no tag parsed as a version satisfying the range.
    #[error("unable to determine latest version from provided list")]
    NoMatchingVersion,
    /// numerical: a candidate does not parse as a Go float64.
    #[error("failed to parse invalid numeric value '{tag}'")]
    InvalidNumber {
        /// The candidate (the extracted value when `filterTags.extract` is set).
        tag: String,
    },
}

impl PolicyError {
    /// How Flux reports this error in the object's conditions.
    pub fn condition(&self) -> FluxCondition {
        match self {
            Self::InvalidPattern { .. }
            | Self::InvalidRange { .. }
            | Self::InvalidOrder { .. }
            | Self::NoChoice
            | Self::InvalidSpec { .. } => FluxCondition::InvalidPolicy,
            Self::InvalidExclusion { .. } => FluxCondition::ScanFailed,
            Self::EmptyList | Self::NoMatchingVersion | Self::InvalidNumber { .. } => {
                FluxCondition::Failure
            }
        }
    }

    /// The `Ready` condition message the Flux controller would set for this error.
    pub fn condition_message(&self) -> String {
        match self {
            Self::InvalidPattern { .. } => format!("failed to filter tags: {self}"),
            Self::InvalidRange { .. }
            | Self::InvalidOrder { .. }
            | Self::NoChoice
            | Self::InvalidSpec { .. } => format!("invalid policy: {self}"),
            Self::InvalidExclusion { .. } => format!("scan failed: {self}"),
            Self::EmptyList | Self::NoMatchingVersion | Self::InvalidNumber { .. } => {
                self.to_string()
            }
        }
    }
}
