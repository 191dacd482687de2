//! Placeholder until the workloads controller lands (branch `workloads`).

use std::sync::Arc;

use crate::sandbox::apiserver::store::Store;
use crate::sandbox::pace::Pace;

/// What pulling and running an image does in the sandbox.
pub enum ImageFate {
    /// Pulls and runs.
    Runs {
        /// Digest.
        digest: String,
        /// Size.
        size: u64,
    },
    /// Pulls, starts, then exits.
    Crashes {
        /// Digest.
        digest: String,
        /// Size.
        size: u64,
        /// Exit code.
        exit_code: i32,
        /// After.
        after: std::time::Duration,
        /// Output.
        log: Vec<String>,
    },
    /// The pull fails.
    Unpullable {
        /// containerd's message.
        message: String,
    },
}

/// Decides the fate of an image reference.
pub trait ImageSource: Send + Sync + 'static {
    /// The fate.
    fn fate(&self, image: &str) -> ImageFate;
}

/// Options.
pub struct WorkloadOptions {
    /// Pace.
    pub pace: Pace,
    /// Images.
    pub images: Arc<dyn ImageSource>,
}

/// Starts nothing yet.
pub fn spawn(_store: Arc<Store>, _options: WorkloadOptions) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {})
}
