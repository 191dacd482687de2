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

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinHandle;

use super::client::{EcrClientConfig, build_client};
use super::errors::ScanError;
use super::image_ref::{EcrRepo, NotEcr};
use super::scan::{RegistryScan, scan};

/// What the scanner needs to know about one ImageRepository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRepoSpec {
    /// A stable id, e.g. `sock-shop/sock-shop-front-end` (namespace/name).
    pub id: String,
    /// `spec.image`.
    pub image: String,
    /// `spec.interval` (the scanner's default when `None`).
    pub interval: Option<Duration>,
}

/// A request to scan now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanRequest {
    /// Scan this ImageRepository (by [`ImageRepoSpec::id`]).
    Repository(String),
    /// Scan every ECR-backed ImageRepository.
    All,
}

/// What the scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryEvent {
    /// A scan started.
    Scanning {
        /// The ImageRepository id.
        id: String,
        /// The repository being scanned.
        repo: EcrRepo,
    },
    /// A scan finished.
    Scanned {
        /// The ImageRepository id.
        id: String,
        /// What it found.
        scan: RegistryScan,
    },
    /// A scan failed; the next attempt is scheduled.
    Failed {
        /// The ImageRepository id.
        id: String,
        /// The repository.
        repo: EcrRepo,
        /// Why.
        error: ScanError,
        /// Consecutive failures so far (1 for the first).
        failures: u32,
        /// When the next attempt happens.
        retry_in: Duration,
    },
    /// The image is not a scannable ECR repository (never scanned; the message is for the pane).
    Unavailable {
        /// The ImageRepository id.
        id: String,
        /// Why (its `Display` is e.g. `registry scan not available for ghcr.io`).
        reason: NotEcr,
    },
    /// The ImageRepository is gone from the input; forget its results.
    Removed {
        /// The ImageRepository id.
        id: String,
    },
}

/// Scheduling knobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerConfig {
    /// The interval for ImageRepositories without one (Flux's seed uses 1m).
    pub default_interval: Duration,
    /// Shorter intervals are raised to this, to stay well inside ECR's request limits.
    pub min_interval: Duration,
    /// First retry delay after a transient failure; doubles per consecutive failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// Scans running at once.
    pub max_concurrent: usize,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        ScannerConfig {
            default_interval: Duration::from_secs(60),
            min_interval: Duration::from_secs(10),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(300),
            max_concurrent: 4,
        }
    }
}

/// The delay before retry number `failures` (≥ 1): `base·2^(failures−1)` capped at `cap`, of
/// which the upper half is scaled by `jitter` ∈ [0, 1] ("equal jitter": never less than half
/// the step, so many clients throttled together spread out without retrying instantly).
pub fn backoff_delay(failures: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let step = base.saturating_mul(1u32 << exponent).min(cap);
    let half = step / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Something that can scan a repository: the real ECR client, or a test double.
pub trait RepoScanner: Send + Sync + 'static {
    /// Lists every image of `repo`.
    fn scan(&self, repo: &EcrRepo) -> impl Future<Output = Result<RegistryScan, ScanError>> + Send;
}

/// Scans with aws-sdk-ecr, one client per region (built on first use, then reused).
pub struct EcrScanner {
    config: EcrClientConfig,
    clients: Mutex<HashMap<(String, bool, bool), aws_sdk_ecr::Client>>,
}

impl EcrScanner {
    /// A scanner whose clients follow `config`.
    pub fn new(config: EcrClientConfig) -> Self {
        EcrScanner {
            config,
            clients: Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self, repo: &EcrRepo) -> Result<aws_sdk_ecr::Client, ScanError> {
        let key = (self.config.region_for(repo), repo.fips(), repo.dual_stack());
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let client = build_client(&self.config, repo).await?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}

impl RepoScanner for EcrScanner {
    async fn scan(&self, repo: &EcrRepo) -> Result<RegistryScan, ScanError> {
        let client = self.client(repo).await?;
        scan(&client, repo).await
    }
}

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

mod scheduler;
#[cfg(test)]
mod tests;
