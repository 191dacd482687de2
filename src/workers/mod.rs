//! Async workers, each owning its I/O and sending `state::Update`s: cluster watchers, actions, git, registry.

pub mod registry;
