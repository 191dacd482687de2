//! `Command`: everything the UI can ask a worker to do. The UI sends these over an mpsc
//! channel and never waits for an answer; results come back as `Update`s.
//!
//! Contract for the workers:
//! - Actions (`Suspend`, `Resume`, `Reconcile`) carry an [`ActionId`]; the actions worker
//!   reports each key's progress with `Update::Action` events under that id, ending every
//!   key with `Succeeded` or `Failed`. Several actions may run at once.
//! - The UI has already checked read-only mode, permissions and suspension; the worker
//!   checks again (the cluster may have changed) and reports refusals as `Failed`.
//! - `FetchDetails` answers with `Update::Details` and `Update::Events` (or `FetchFailed`).
//! - `RefreshGit`, `RefreshRegistry`, `ShowDiff`, `LoadMoreCommits` and `TrackRepository`
//!   are served by the hub (`workers::hub`), which answers with `Update::Commits`, `Update::CommitDiff`
//!   and `Update::RegistryScan`; the cluster worker ignores them.
//! - `OpenLogs` starts streaming one log (replacing any other), answered with
//!   `Update::Log` events under its session until `CloseLogs` (or the next `OpenLogs`).
//! - Switches (`SwitchNamespace`, `SwitchContext`, `SwitchPods`) restart the
//!   affected watchers, which relist; the worker then sends `Update::Session`.

use std::fmt;

use crate::model::key::ObjectKey;

/// Numbers an action so its progress updates find their way to the status strip.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ActionId(pub u64);

/// The actions fluxdeck performs, with the flux CLI's semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ActionKind {
    /// Merge-patch `spec.suspend: true`.
    Suspend,
    /// Merge-patch `spec.suspend: null`, then wait for Ready.
    Resume,
    /// Set `reconcile.fluxcd.io/requestedAt` and follow until handled and Ready settles.
    Reconcile,
    /// Reconcile the source first, then the object.
    ReconcileWithSource,
}

impl ActionKind {
    /// The verb for messages (`suspend`, `resume`, `reconcile`, `reconcile with source`).
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Suspend => "suspend",
            ActionKind::Resume => "resume",
            ActionKind::Reconcile => "reconcile",
            ActionKind::ReconcileWithSource => "reconcile with source",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// One request from the UI to a worker.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// Suspend every object in `keys`.
    Suspend {
        /// Numbers the progress updates.
        id: ActionId,
        /// The objects (Flux kinds only).
        keys: Vec<ObjectKey>,
    },
    /// Resume every object in `keys`.
    Resume {
        /// Numbers the progress updates.
        id: ActionId,
        /// The objects.
        keys: Vec<ObjectKey>,
    },
    /// Request a reconciliation of every object in `keys`, optionally of its source first.
    Reconcile {
        /// Numbers the progress updates.
        id: ActionId,
        /// The objects.
        keys: Vec<ObjectKey>,
        /// Reconcile the referenced source first and wait for it (`flux reconcile --with-source`).
        with_source: bool,
    },
    /// Fetch the whole object and its events for the details view.
    FetchDetails {
        /// Which object.
        key: ObjectKey,
    },
    /// Stream a pod's log (following it, or the previous instance's whole log), replacing
    /// the stream open before.
    OpenLogs {
        /// Numbers the stream's updates.
        session: super::logs::LogSession,
        /// Which log.
        target: super::logs::LogTarget,
    },
    /// Stop the log stream `session` (the log view closed).
    CloseLogs {
        /// Which stream.
        session: super::logs::LogSession,
    },
    /// Watch Flux objects in `namespace` (`None`: all namespaces).
    SwitchNamespace {
        /// The namespace.
        namespace: Option<String>,
    },
    /// Switch to another kubeconfig context.
    SwitchContext {
        /// The context name.
        context: String,
    },
    /// Watch other pods (`:pods NS|all|auto`).
    SwitchPods {
        /// Which.
        watch: PodsWatch,
    },
    /// Fetch every tracked repository now instead of at the next interval.
    RefreshGit,
    /// Scan every ECR-backed ImageRepository now instead of at the next interval.
    RefreshRegistry,
    /// Send the diff of one commit (answered with `Update::CommitDiff`).
    ShowDiff {
        /// The repository's key (`CommitLog::key`).
        repository: String,
        /// The commit's full SHA.
        sha: String,
    },
    /// Track GitRepository `namespace/name` too (`:repo KEY` on one beyond the ones tracked
    /// without asking; see `workers::hub::desired::AUTO_TRACK_LIMIT`).
    TrackRepository {
        /// `namespace/name`.
        key: String,
    },
    /// Load the next page of a repository's log.
    LoadMoreCommits {
        /// The repository's key.
        repository: String,
    },
    /// Read-only mode changed; workers refuse writes while it is on (defence in depth: the
    /// UI already sends no action in read-only mode).
    SetReadOnly {
        /// The new mode.
        read_only: bool,
    },
    /// Ask the sandbox's CI for a build (`:build [ok|broken|missing]`): answered with an
    /// `Update::Notice`. Only fluxdeck's sandbox serves it; a real cluster says so.
    SandboxBuild {
        /// `ok`, `broken` or `missing`.
        kind: String,
    },
    /// The UI is quitting; workers stop.
    Shutdown,
}

/// Which pods the pod watcher watches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PodsWatch {
    /// The namespaces that hold the workloads in the watched Kustomizations' inventories
    /// (the default: a tenant may list pods only where its apps run).
    #[default]
    Workloads,
    /// One namespace (`--app-namespace NS`, `:pods NS`).
    Namespace(String),
    /// All namespaces (`-A`, `:pods all`).
    All,
}

impl PodsWatch {
    /// `:pods` and `--app-namespace` words: `all`, `auto` (the workloads' namespaces) or a
    /// namespace.
    pub fn from_word(word: &str) -> PodsWatch {
        match word {
            "all" => PodsWatch::All,
            "auto" => PodsWatch::Workloads,
            ns => PodsWatch::Namespace(ns.to_owned()),
        }
    }
}
