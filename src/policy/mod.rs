//! Flux image policy engine (filterTags, semver, alphabetical, numerical), pure: no I/O.
//!
//! It reproduces image-reflector-controller's `internal/policy` and the parts of its
//! controllers that decide which tag is picked: `filterTags` (Go `regexp` patterns and
//! `Expand` templates, from [`golang::regexp`](crate::golang::regexp)), Masterminds/semver v3
//! ranges with Flux's version parsing (`semver`), numbers read as Go's `strconv.ParseFloat`
//! reads them ([`golang::strconv`](crate::golang::strconv)), the exclusion list and scan
//! summary of an ImageRepository ([`ScanSummary`]) and the ImagePolicy `Ready` message.
//!
//! Where Flux is non-deterministic (ties between candidates produced by `filterTags`, which
//! Flux keeps in a Go map), fluxdeck picks a fixed rule: see [`Candidates`].

mod alphabetical;
mod error;
mod explain;
mod filter;
mod numerical;
mod order;
mod semver;
mod spec;
mod status;

pub use error::{FluxCondition, PolicyError};
pub use explain::rejection;
pub use filter::{Candidates, DEFAULT_EXCLUSION, TagFilter, exclude};
pub use order::Order;
pub use semver::{Constraints, Version};
pub use spec::{CompiledPolicy, FilterTags, PolicyChoice, PolicySpec};
pub use status::{ImageRef, LATEST_TAGS_COUNT, ScanSummary, ready_message, repository_order};

#[cfg(test)]
mod tests;
