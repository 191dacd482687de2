//! Async workers, each owning its I/O and sending `state::Update`s: the cluster worker
//! (watchers and actions), git, registry.

pub mod cluster;
pub mod ecr;
pub mod git;
pub mod hub;
pub mod proxy;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::state::{Command, Update};
use cluster::worker::ClusterConfig;
use hub::{HubChannels, HubConfig, spawn_hub};

/// The ends a front end (the TUI, or a headless command) holds: the updates every worker
/// sends, through the hub, and the commands it sends back.
pub struct Channels {
    /// Updates from the cluster worker, the git worker and the registry scanner.
    pub updates: mpsc::Receiver<Update>,
    /// Commands to the hub (which passes cluster commands on to the cluster worker).
    pub commands: mpsc::Sender<Command>,
}

/// The running worker tasks; dropping this aborts them (the git worker and the registry
/// scanner stop with the hub, whose channels close).
pub struct Tasks {
    cluster: JoinHandle<()>,
    hub: JoinHandle<()>,
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.hub.abort();
        self.cluster.abort();
    }
}

/// Starts the cluster worker and the hub (which starts the git worker and the registry
/// scanner) on the current tokio runtime, wired as the TUI uses them: the one start-up the
/// TUI and the headless commands (`status`) share.
pub fn start(cluster: ClusterConfig, hub: HubConfig) -> (Channels, Tasks) {
    let (cluster_updates, from_cluster) = mpsc::channel::<Update>(4096);
    let (to_cluster, cluster_commands) = mpsc::channel::<Command>(64);
    let (to_ui, updates) = mpsc::channel::<Update>(4096);
    let (commands, from_ui) = mpsc::channel::<Command>(64);
    let cluster = tokio::spawn(cluster::worker::run(
        cluster,
        cluster_updates,
        cluster_commands,
    ));
    let hub = spawn_hub(
        hub,
        HubChannels {
            from_cluster,
            to_ui,
            from_ui,
            to_cluster,
        },
    );
    (Channels { updates, commands }, Tasks { cluster, hub })
}
