//! Async workers, each owning its I/O and sending `state::Update`s: cluster watchers, actions,
//! git, registry.

pub mod actions;
pub mod cluster;
pub mod git;
pub mod registry;
pub mod router;
