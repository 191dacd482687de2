//! The hub's state: its ends to the UI, the cluster worker, the git worker and the
//! scanner, its mirror of the Flux objects and what it last sent the workers; it serves the
//! UI's commands and turns the workers' events into `Update`s. What it does with the
//! cluster's updates is in `cluster`, how it drives the workers in `reconcile`.

use std::collections::{BTreeMap, BTreeSet};

use tokio::sync::{mpsc, watch};

use crate::model::key::Kind;
use crate::state::{Command, State, Update};
use crate::workers::ecr::{ImageRepoSpec, RegistryEvent, ScanRequest};
use crate::workers::git::{GitCommand, GitEvent};

use super::convert;
use super::desired::Desired;

pub(super) struct Hub {
    pub(super) to_ui: mpsc::Sender<Update>,
    pub(super) to_cluster: mpsc::Sender<Command>,
    pub(super) git: mpsc::UnboundedSender<GitCommand>,
    pub(super) scans: mpsc::Sender<ScanRequest>,
    pub(super) images: watch::Sender<Vec<ImageRepoSpec>>,
    pub(super) repos: Vec<String>,
    /// GitRepositories asked for with `:repo NS/NAME`, tracked besides the automatic ones.
    pub(super) requested: Vec<String>,
    /// Kinds whose (re)list is under way: the workers are re-driven once it is done, not
    /// after every batch of a 20,000-object list.
    pub(super) relisting: BTreeSet<Kind>,
    /// A change that needs a re-derivation arrived during a list: done when lists finish
    /// (whatever kind finishes last, pods and ImagePolicies included).
    pub(super) deferred: bool,
    pub(super) mirror: State,
    pub(super) sent: Desired,
    /// Repository key → location for messages, of what is tracked now.
    pub(super) locations: BTreeMap<String, String>,
}

impl Hub {
    /// A hub that has seen nothing yet, tracking the `--repo` arguments `repos`; it
    /// sends to the UI, the cluster worker, the git worker and the scanner.
    pub(super) fn new(
        to_ui: mpsc::Sender<Update>,
        to_cluster: mpsc::Sender<Command>,
        git: mpsc::UnboundedSender<GitCommand>,
        scans: mpsc::Sender<ScanRequest>,
        images: watch::Sender<Vec<ImageRepoSpec>>,
        repos: Vec<String>,
    ) -> Hub {
        Hub {
            to_ui,
            to_cluster,
            git,
            scans,
            images,
            repos,
            requested: Vec::new(),
            relisting: BTreeSet::new(),
            deferred: false,
            mirror: State::default(),
            sent: Desired::default(),
            locations: BTreeMap::new(),
        }
    }

    /// Serves a UI command or forwards it to the cluster. `false` on shutdown.
    pub(super) async fn command(&mut self, command: Command) -> bool {
        // A closed git queue means the hub is stopping; nothing to report to anyone.
        match command {
            Command::RefreshGit => {
                let _ = self.git.send(GitCommand::FetchNow { key: None });
            }
            Command::ShowDiff { repository, sha } => {
                let _ = self.git.send(GitCommand::ShowDiff {
                    key: repository,
                    sha,
                });
            }
            Command::LoadMoreCommits { repository } => {
                let _ = self.git.send(GitCommand::LoadMore { key: repository });
            }
            Command::TrackRepository { key } => {
                if !self.requested.contains(&key) {
                    self.requested.push(key);
                    self.reconcile().await;
                }
            }
            Command::RefreshRegistry => {
                // A full queue already holds a scan of everything.
                let _ = self.scans.try_send(ScanRequest::All);
            }
            Command::Shutdown => {
                let _ = self.to_cluster.send(Command::Shutdown).await;
                return false;
            }
            other => {
                // A gone cluster worker is not the hub's end: git and registry still work.
                let _ = self.to_cluster.send(other).await;
            }
        }
        true
    }

    /// Tells the UI the `--repo` arguments, so their logs come first in the commits pane.
    pub(super) async fn pin_repos(&mut self) {
        if !self.repos.is_empty() {
            let _ = self
                .to_ui
                .send(Update::PinnedRepos(self.repos.clone()))
                .await;
        }
    }

    pub(super) async fn git_event(&mut self, event: GitEvent) -> bool {
        let key = match &event {
            GitEvent::Log { key, .. }
            | GitEvent::Fetched { key, .. }
            | GitEvent::Diff { key, .. }
            | GitEvent::Error { key, .. } => key.clone(),
        };
        // Events of a repository untracked meanwhile would bring its log back.
        let Some(location) = self.locations.get(&key) else {
            return true;
        };
        match convert::git_update(event, location) {
            Some(update) => self.to_ui.send(update).await.is_ok(),
            None => true,
        }
    }

    pub(super) async fn registry_event(&mut self, event: RegistryEvent) -> bool {
        let sent = &self.sent.images;
        let image = |id: &str| {
            sent.iter()
                .find(|s| s.id == id)
                .map(|s| s.image.clone())
                .unwrap_or_default()
        };
        match convert::registry_update(event, image) {
            Some(update) => self.to_ui.send(update).await.is_ok(),
            None => true,
        }
    }
}
