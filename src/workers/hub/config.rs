//! How the hub is set up and its four ends.

use tokio::sync::mpsc;

use crate::state::{Command, Update};
use crate::workers::ecr::{EcrClientConfig, ScannerConfig};
use crate::workers::git::GitWorkerConfig;

/// How the hub and the workers it starts are set up.
#[derive(Debug, Clone, Default)]
pub struct HubConfig {
    /// `--repo PATH|URL` arguments, tracked besides the cluster's GitRepositories.
    pub repos: Vec<String>,
    /// The git worker's settings (cache, credentials, page size).
    pub git: GitWorkerConfig,
    /// How ECR clients are built (`--ecr-endpoint`, `--ecr-region`).
    pub ecr: EcrClientConfig,
    /// The scanner's schedule.
    pub scanner: ScannerConfig,
}

/// The hub's four ends.
pub struct HubChannels {
    /// Updates from the cluster worker.
    pub from_cluster: mpsc::Receiver<Update>,
    /// Where the UI reads updates.
    pub to_ui: mpsc::Sender<Update>,
    /// Commands from the UI.
    pub from_ui: mpsc::Receiver<Command>,
    /// Where the cluster worker reads commands.
    pub to_cluster: mpsc::Sender<Command>,
}
