//! Flux image policy engine (filterTags, semver, alphabetical, numerical), pure: no I/O.
//!
//! It reproduces image-reflector-controller's `internal/policy` and the parts of its
//! controllers that decide which tag is picked: Go `regexp` patterns and `Expand`
//! templates ([`goregex`], `expand`), Masterminds/semver v3 ranges with Flux's version
//! parsing (`semver`), Go `strconv.ParseFloat` (`gofloat`), the exclusion list and scan
//! summary of an ImageRepository ([`ScanSummary`]) and the ImagePolicy `Ready` message.
//!
//! Where Flux is non-deterministic (ties between candidates produced by `filterTags`, which
//! Flux keeps in a Go map), fluxdeck picks a fixed rule: see [`Candidates`].

mod alphabetical;
mod error;
mod expand;
mod explain;
mod filter;
mod gofloat;
pub mod goregex;
mod gotext;
mod numerical;
mod semver;
mod spec;
mod status;

pub use error::{FluxCondition, PolicyError};
pub use explain::rejection;
pub use filter::{Candidates, DEFAULT_EXCLUSION, TagFilter, exclude};
pub use gofloat::parse_go_float;
pub use semver::{Constraints, Version};
pub use spec::{CompiledPolicy, FilterTags, Order, PolicyChoice, PolicySpec};
pub use status::{ImageRef, LATEST_TAGS_COUNT, ScanSummary, ready_message, repository_order};

#[cfg(test)]
mod tests;
