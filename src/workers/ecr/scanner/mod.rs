//! The scanner task: scans every ECR-backed ImageRepository on its interval and on demand,
//! backs off on throttling and server errors, and reports each result as a [`RegistryEvent`].
//!
//! It is a self-contained component with plain channels: the ImageRepositories come in through
//! a `watch` channel (the latest full list), scan requests through an `mpsc` channel, and
//! events go out through another; the app turns events into `Update`s. It never panics (a
//! panicking scan becomes an error event), never busy-loops (every wake-up is a channel message
//! or a due time in the future), and stops when the event receiver is dropped.
//!
//! Scans run concurrently up to [`ScannerConfig::max_concurrent`], at most one per
//! ImageRepository. A scan that fails with a transient error (throttling, 5xx, network) is
//! retried after an exponential backoff with jitter, capped; any other failure waits for the
//! next interval, because retrying cannot help until someone fixes the cause.

mod config;
mod protocol;
mod repo_scanner;
mod scheduler;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use config::{ScannerConfig, backoff_delay};
pub use protocol::{ImageRepoSpec, RegistryEvent, ScanRequest};
pub use repo_scanner::{EcrScanner, RepoScanner};

/// Starts the scanner task. It ends when `out`'s receiver is dropped (or on abort).
pub fn spawn_scanner<S: RepoScanner>(
    scanner: Arc<S>,
    config: ScannerConfig,
    repos: watch::Receiver<Vec<ImageRepoSpec>>,
    requests: mpsc::Receiver<ScanRequest>,
    out: mpsc::Sender<RegistryEvent>,
) -> JoinHandle<()> {
    tokio::spawn(scheduler::run(scanner, config, repos, requests, out))
}
