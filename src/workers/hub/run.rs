//! The hub's loop: it starts the git worker and the registry scanner, then serves the
//! cluster, the UI and the two workers until the UI quits.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::workers::ecr::{EcrScanner, RegistryEvent, spawn_scanner};
use crate::workers::git::{GitCommand, GitEvent, spawn_git_worker};

use super::config::{HubChannels, HubConfig};
use super::relay::Hub;

pub(super) async fn run(config: HubConfig, channels: HubChannels) {
    let HubChannels {
        mut from_cluster,
        to_ui,
        mut from_ui,
        to_cluster,
    } = channels;
    let (git_tx, mut git_events) = mpsc::channel::<GitEvent>(256);
    let (git_commands, git_rx) = mpsc::channel::<GitCommand>(64);
    // The hub never waits on the git worker: a worker blocked on sending its events to
    // the hub while the hub waits to send it a command would deadlock both.
    let (git, mut git_queue) = mpsc::unbounded_channel::<GitCommand>();
    let git_worker = spawn_git_worker(config.git, git_rx, git_tx);
    let git_pump = tokio::spawn(async move {
        while let Some(cmd) = git_queue.recv().await {
            if git_commands.send(cmd).await.is_err() {
                break;
            }
        }
    });
    let (images, images_rx) = watch::channel(Vec::new());
    let (scans, scans_rx) = mpsc::channel(8);
    let (registry_tx, mut registry_events) = mpsc::channel::<RegistryEvent>(256);
    let scanner = spawn_scanner(
        Arc::new(EcrScanner::new(config.ecr)),
        config.scanner,
        images_rx,
        scans_rx,
        registry_tx,
    );
    let mut hub = Hub::new(to_ui, to_cluster, git, scans, images, config.repos);
    // `--repo` arguments are tracked before the cluster answers (or when it never does),
    // and shown first in the commits pane.
    hub.pin_repos().await;
    hub.reconcile().await;
    // A gone cluster worker is not the end: git and registry are served until the UI quits.
    let mut cluster_open = true;
    loop {
        let open = tokio::select! {
            update = from_cluster.recv(), if cluster_open => match update {
                Some(update) => hub.cluster_batch(update, &mut from_cluster).await,
                None => {
                    cluster_open = false;
                    true
                }
            },
            command = from_ui.recv() => match command {
                Some(command) => hub.command(command).await,
                None => false,
            },
            Some(event) = git_events.recv() => hub.git_event(event).await,
            Some(event) = registry_events.recv() => hub.registry_event(event).await,
        };
        if !open {
            break;
        }
    }
    git_pump.abort();
    git_worker.abort();
    scanner.abort();
}
