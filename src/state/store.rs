//! [`State`]: everything fluxdeck knows, an empty one to start from, and what the UI reads
//! from it. Its one writer, [`State::apply_at`], is in `apply`; the connection and access
//! answers the header and the actions need are in `access`.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::model::automation::ImageUpdateAutomation;
use crate::model::image::{ImagePolicy, ImageRepository};
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::pod::Pod;
use crate::model::source::Source;

use super::activity::ActionLog;
use super::chain::ImageChain;
use super::command::PodsWatch;
use super::commits::{CommitDiff, CommitLog, CommitLogs};
use super::details::Details;
use super::lanes::{self, Lane, Lanes, Release, Stuck};
use super::logs::LogBuffer;
use super::scans::{self, ImagePreview, NextPick};
use super::table::{Table, TableOps};
use super::update::{Permission, Session, WatchState};

/// The tables of a `State` the release lanes read, borrowed field by field (so that
/// `State::split` can lend the lanes mutably beside them).
macro_rules! lane_inputs {
    ($state:expr) => {
        lanes::Inputs {
            kustomizations: &$state.kustomizations,
            sources: &$state.sources,
            repositories: &$state.image_repositories,
            policies: &$state.image_policies,
            automations: &$state.image_automations,
            pods: &$state.pods,
            chains: &$state.image_chains,
            scans: &$state.scans,
            commit_logs: &$state.commit_logs,
        }
    };
}

/// Everything fluxdeck knows, as the workers reported it.
#[derive(Debug, Default)]
pub struct State {
    pub(super) kustomizations: Table<Kustomization>,
    pub(super) sources: Table<Source>,
    pub(super) image_repositories: Table<ImageRepository>,
    pub(super) image_policies: Table<ImagePolicy>,
    pub(super) image_automations: Table<ImageUpdateAutomation>,
    pub(super) pods: Table<Pod>,
    pub(super) image_chains: Vec<ImageChain>,
    pub(super) image_chains_revision: u64,
    pub(super) watchers: BTreeMap<Kind, WatchState>,
    pub(super) session: Session,
    pub(super) access: BTreeMap<Permission, bool>,
    pub(super) actions: ActionLog,
    pub(super) details: Option<Details>,
    pub(super) logs: Option<LogBuffer>,
    pub(super) commit_logs: CommitLogs,
    pub(super) diff: Option<CommitDiff>,
    pub(super) scans: scans::Scans,
    pub(super) lanes: Lanes,
}

impl State {
    /// An empty state whose pods are those of `pods` until a worker says otherwise.
    pub fn new(pods: PodsWatch) -> State {
        State {
            session: Session {
                pods,
                ..Session::default()
            },
            ..State::default()
        }
    }

    /// The lanes and, apart, the tables they read (borrowed field by field).
    pub(super) fn split(&mut self) -> (&mut Lanes, lanes::Inputs<'_>) {
        (&mut self.lanes, lane_inputs!(self))
    }

    /// The tables the lanes read.
    pub fn lane_inputs(&self) -> lanes::Inputs<'_> {
        lane_inputs!(self)
    }

    /// The release lanes, one per ImagePolicy.
    pub fn lanes(&self) -> &Lanes {
        &self.lanes
    }

    /// Why `release` of `lane` has not rolled out at `now`; `None` once it has.
    pub fn stuck(&self, lane: &Lane, release: &Release, now: Timestamp) -> Option<Stuck> {
        lanes::stuck::why(lane, release, self.lane_inputs(), now)
    }

    /// Kustomizations, sorted by namespace and name.
    pub fn kustomizations(&self) -> &Table<Kustomization> {
        &self.kustomizations
    }

    /// Sources of every kind, sorted by namespace, name and kind.
    pub fn sources(&self) -> &Table<Source> {
        &self.sources
    }

    /// ImageRepositories.
    pub fn image_repositories(&self) -> &Table<ImageRepository> {
        &self.image_repositories
    }

    /// ImagePolicies.
    pub fn image_policies(&self) -> &Table<ImagePolicy> {
        &self.image_policies
    }

    /// ImageUpdateAutomations.
    pub fn image_automations(&self) -> &Table<ImageUpdateAutomation> {
        &self.image_automations
    }

    /// Pods of the pods namespace.
    pub fn pods(&self) -> &Table<Pod> {
        &self.pods
    }

    /// The image automation chains, sorted by anchor.
    pub fn image_chains(&self) -> &[ImageChain] {
        &self.image_chains
    }

    /// Bumped whenever the chains change.
    pub fn image_chains_revision(&self) -> u64 {
        self.image_chains_revision
    }

    /// The Flux object with `key`, whatever its kind, as its shared status.
    pub fn flux_status(&self, key: &ObjectKey) -> Option<&crate::model::conditions::FluxStatus> {
        match key.kind {
            Kind::Kustomization => self.kustomizations.get(key).map(|o| &o.status),
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                self.sources.get(key).map(|o| &o.status)
            }
            Kind::ImageRepository => self.image_repositories.get(key).map(|o| &o.status),
            Kind::ImagePolicy => self.image_policies.get(key).map(|o| &o.status),
            Kind::ImageUpdateAutomation => self.image_automations.get(key).map(|o| &o.status),
            Kind::Pod => None,
        }
    }

    /// Each watcher's state.
    pub fn watchers(&self) -> &BTreeMap<Kind, WatchState> {
        &self.watchers
    }

    /// Whether a relist of `kind` is in progress.
    pub fn syncing(&self, kind: Kind) -> bool {
        self.table(kind).relisting(kind)
    }

    /// Whether the first list of `kind` is in progress, its rows shown as they come.
    pub fn loading(&self, kind: Kind) -> bool {
        self.table(kind).loading(kind)
    }

    /// The table holding `kind`.
    fn table(&self, kind: Kind) -> &dyn TableOps {
        match kind {
            Kind::Kustomization => &self.kustomizations,
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                &self.sources
            }
            Kind::ImageRepository => &self.image_repositories,
            Kind::ImagePolicy => &self.image_policies,
            Kind::ImageUpdateAutomation => &self.image_automations,
            Kind::Pod => &self.pods,
        }
    }

    /// The context and namespaces being watched.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Actions, running and finished.
    pub fn actions(&self) -> &ActionLog {
        &self.actions
    }

    /// The lines of the last log stream opened (check its session).
    pub fn logs(&self) -> Option<&LogBuffer> {
        self.logs.as_ref()
    }

    /// The details last fetched.
    pub fn details(&self) -> Option<&Details> {
        self.details.as_ref()
    }

    /// The commit log the commits pane shows by default: the first `--repo` argument's
    /// once it is tracked (whatever order the logs arrive in), else the repository an
    /// ImageUpdateAutomation pushes to when it is tracked, else the first tracked one.
    pub fn commits(&self) -> Option<&CommitLog> {
        self.commits_for(None)
    }

    /// The log of `chosen` (a key the user picked with `:repo`) while it is tracked, else
    /// the default of [`State::commits`].
    pub fn commits_for(&self, chosen: Option<&str>) -> Option<&CommitLog> {
        // Lazily: with thousands of automations the first tracked repository ends the search.
        let pushed_to = self
            .image_automations
            .iter()
            .filter_map(|a| a.source.as_ref())
            .map(|k| format!("{}/{}", k.namespace, k.name));
        let pinned = self.commit_logs.pinned().iter().cloned();
        self.commit_logs.shown_by(
            chosen
                .map(str::to_string)
                .into_iter()
                .chain(pinned)
                .chain(pushed_to),
        )
    }

    /// Every tracked repository's log, by key.
    pub fn commit_logs(&self) -> &CommitLogs {
        &self.commit_logs
    }

    /// Bumped whenever a commit log changes.
    pub fn commits_revision(&self) -> u64 {
        self.commit_logs.revision()
    }

    /// The diff last received.
    pub fn diff(&self) -> Option<&CommitDiff> {
        self.diff.as_ref()
    }

    /// Registry scans per ImageRepository and the next picks per ImagePolicy.
    pub fn scans(&self) -> &scans::Scans {
        &self.scans
    }

    /// ImagePolicy `key` seen three ways (cluster, next pick, running) with its drift.
    pub fn image_preview(&self, key: &ObjectKey) -> Option<ImagePreview> {
        let policy = self.image_policies.get(key)?;
        let next = self.scans.next(key).cloned().unwrap_or(NextPick::Waiting);
        let image = policy
            .repository
            .as_ref()
            .and_then(|k| self.image_repositories.get(k))
            .and_then(|r| r.image.as_deref());
        let running = image.map_or_else(Vec::new, |image| {
            scans::running_tags(image, self.pods.iter())
        });
        Some(scans::preview(policy, next, running))
    }

    /// Errors of background work for the status strip (first registry scan error, first
    /// repository error), when any.
    pub fn background_error(&self) -> Option<String> {
        self.scans.first_error().or_else(|| {
            self.commit_logs.all().values().find_map(|l| {
                l.error
                    .as_ref()
                    .map(|e| format!("git {}: {e}", l.repository))
            })
        })
    }
}
