//! Release lanes: one per app (an ImagePolicy and the workloads whose pods run its image),
//! each tag a release followed through seven stages, from the registry push to the pods.
//!
//! Pure and incremental. [`State::apply`](super::State::apply) hands every update to
//! [`Lanes`] with the tables it has already folded it into; the indexes here find the lanes
//! an update concerns and only those are refreshed ([`Lanes::refresh`] reads one lane's
//! objects, a handful of rows). Commit logs are read from their newest commit down to the
//! first one already seen, so a log of 50,000 commits costs what its new commits cost.
//!
//! Times are never guessed. A stage's time comes from the object that records it (the
//! registry's push time, Flux's scan time, the commit's time, the artifact's update time,
//! a pod's Ready transition) or, for a change seen as it happened, the time of the update
//! that completed it. A stage reached before fluxdeck watched shows as reached without a
//! time, and a stage whose data fluxdeck cannot read (no registry or git access, pods not
//! watched) as unknown, never as pending or done. Why the current release waits is read
//! on demand by [`why`](stuck::why), from the objects as they are now.
//!
//! The types of a lane are in `lane`; [`Lanes`] and its indexes in `index`; this module only
//! declares the parts and re-exports their public types.

mod index;
mod lane;
mod refresh;
mod release;
pub mod stuck;

pub use index::{Inputs, Lanes};
pub use lane::{CommitRef, Filtered, KEPT_FILTERED, KEPT_RELEASES, Lane, Mark, Release, Stage};
pub use stuck::Stuck;

#[cfg(test)]
mod tests;
