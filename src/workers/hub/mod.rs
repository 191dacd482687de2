//! The hub: sits between the cluster worker and the UI. It forwards every `Update` from
//! the cluster to the UI and every `Command` from the UI to the cluster, and from the Flux
//! objects it sees drives the git worker (which repositories, which authors, what each
//! Kustomization applied) and the registry scanner (which ImageRepositories), turning their
//! events into `Update`s. The commands for those two (`RefreshGit`, `RefreshRegistry`,
//! `ShowDiff`, `LoadMoreCommits`, `TrackRepository`) stop here. It tracks a bounded set of
//! repositories (see `desired::AUTO_TRACK_LIMIT`), not every GitRepository of the cluster.
//!
//! It keeps its own `State` as a mirror of the Flux objects, so it reads typed models and
//! never raw JSON, and it sends a worker only what changed since the last time.

mod cluster;
mod config;
pub mod convert;
pub mod desired;
mod reconcile;
mod relay;
mod run;
#[cfg(test)]
mod tests;

use tokio::task::JoinHandle;

pub use config::{HubChannels, HubConfig};

/// Starts the hub, the git worker and the registry scanner on the current runtime. All
/// stop when the UI's channels close or on `Command::Shutdown`.
pub fn spawn_hub(config: HubConfig, channels: HubChannels) -> JoinHandle<()> {
    tokio::spawn(run::run(config, channels))
}
