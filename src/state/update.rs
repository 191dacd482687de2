//! `Update`: everything a worker can tell the app. Workers send these over an mpsc channel;
//! `State::apply` is the only code that turns them into state.
//!
//! The watch variants mirror kube-runtime's `watcher::Event` one to one, so the cluster
//! worker maps each event to one update without buffering:
//!
//! | kube-runtime        | Update                    |
//! |---------------------|---------------------------|
//! | `Event::Init`       | `RelistStarted(kind)`     |
//! | `Event::InitApply`  | `Relisted(object)`        |
//! | `Event::InitDone`   | `RelistDone(kind)`        |
//! | `Event::Apply`      | `Applied(object)`         |
//! | `Event::Delete`     | `Deleted(key)`            |
//!
//! Objects are parsed by the worker (`model::object::Object::parse`) so the channel carries
//! small typed rows, never raw JSON, except for details the user asked for.

use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use crate::model::event::KubeEvent;
use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;

use super::command::{ActionId, ActionKind, PodsWatch};
use super::commits::{CommitDiff, CommitLog};
use super::scans::RegistryScan;

/// One message from a worker to the state.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Update {
    /// An object was added or changed (watcher `Apply`).
    Applied(Object),
    /// An object was deleted (watcher `Delete`).
    Deleted(ObjectKey),
    /// A (re)list of `kind` begins (watcher `Init`); the current rows stay until it is done.
    RelistStarted(Kind),
    /// One object of the relist in progress (watcher `InitApply`).
    Relisted(Object),
    /// The relist of `kind` is complete (watcher `InitDone`): objects of that kind not seen
    /// since `RelistStarted` are removed, and the watcher counts as connected.
    RelistDone(Kind),
    /// Every row of `kind` in `namespace` (`None`: in every namespace) goes: its watcher
    /// stopped (the pods of a namespace no workload is in any more).
    Forget {
        /// The kind.
        kind: Kind,
        /// The namespace; `None` for all.
        namespace: Option<String>,
    },
    /// The connection state of the watcher for `kind` changed.
    Watch {
        /// Which watcher.
        kind: Kind,
        /// Its new state.
        state: WatchState,
    },
    /// Which context and namespaces the workers serve now (after start or a switch).
    Session(Session),
    /// The answer of a SelfSubjectAccessReview.
    Access {
        /// What was asked.
        permission: Permission,
        /// Whether it is allowed.
        allowed: bool,
    },
    /// Progress or result of an action the UI asked for.
    Action(ActionEvent),
    /// The whole object for the details view (masked on apply), plus related objects the
    /// worker fetched with it (e.g. a source's `secretRef` Secret).
    Details {
        /// Which object.
        key: ObjectKey,
        /// The object as the API returned it.
        object: Value,
        /// Related objects, shown after it.
        related: Vec<Value>,
    },
    /// Events about one object, newest last.
    Events {
        /// Which object.
        key: ObjectKey,
        /// The events.
        events: Vec<KubeEvent>,
    },
    /// Fetching details or events failed.
    FetchFailed {
        /// Which object.
        key: ObjectKey,
        /// Why, in words that say what to do.
        error: String,
    },
    /// News of the log stream the UI opened with `Command::OpenLogs`.
    Log {
        /// Which stream.
        session: super::logs::LogSession,
        /// What happened.
        event: super::logs::LogEvent,
    },
    /// A tracked repository's commit log (from the git worker, through the hub).
    Commits(CommitLog),
    /// Reading a tracked repository failed; its log stays as last read.
    CommitsFailed {
        /// The repository's key.
        key: String,
        /// The repository, for a pane that has no log yet.
        repository: String,
        /// What failed and what to do.
        error: String,
    },
    /// The `--repo` arguments, in the order given (the keys of their logs): the commits pane
    /// shows the first by default and lists them before the cluster's repositories. Sent
    /// once by the hub, before any log.
    PinnedRepos(Vec<String>),
    /// A repository is no longer tracked.
    CommitsUntracked {
        /// The repository's key.
        key: String,
    },
    /// The diff asked for with `Command::ShowDiff`.
    CommitDiff(CommitDiff),
    /// A registry scan result for one ImageRepository (from the registry scanner).
    RegistryScan(RegistryScan),
    /// A one-line answer for the status strip (e.g. to `:build`); not part of the state.
    Notice {
        /// Whether it reports a failure.
        error: bool,
        /// What to say.
        text: String,
    },
}

/// The state of one watcher's connection.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WatchState {
    /// Started; the first list is not done yet.
    Connecting,
    /// Listed and watching.
    Connected,
    /// The last request failed; the watcher backs off and retries.
    Retrying {
        /// When the failures began.
        since: Timestamp,
        /// The last error, in words.
        reason: String,
        /// How long until the next attempt (the watcher's backoff, at most 2 s).
        retry_in: std::time::Duration,
    },
    /// The API refused the watch.
    Forbidden {
        /// The permission that is missing, e.g. `list kustomizations.kustomize.toolkit.fluxcd.io
        /// in namespace flux-system`.
        permission: String,
    },
    /// The cluster does not serve this kind (e.g. the image controllers are not installed).
    NotServed {
        /// What discovery found.
        reason: String,
    },
}

/// The cluster context and the namespaces being watched.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The kubeconfig context.
    pub context: Option<String>,
    /// The API server URL.
    pub server: Option<String>,
    /// The namespace of the Flux panes; `None` for all namespaces.
    pub namespace: Option<String>,
    /// Which pods are watched (`-A`, `--app-namespace`, `:pods`).
    pub pods: PodsWatch,
    /// The namespaces whose pods are watched now, for [`PodsWatch::Workloads`].
    pub pods_namespaces: Vec<String>,
}

impl Session {
    /// Where the watched pods are, as the header and the pods pane say it: a namespace,
    /// `all namespaces`, or the workloads' namespaces.
    pub fn pods_scope(&self) -> String {
        match &self.pods {
            PodsWatch::Namespace(ns) => ns.clone(),
            PodsWatch::All => "all namespaces".to_owned(),
            PodsWatch::Workloads if self.pods_namespaces.is_empty() => {
                "workload namespaces (none yet)".to_owned()
            }
            PodsWatch::Workloads => self.pods_namespaces.join(", "),
        }
    }
}

/// An RBAC permission fluxdeck checks (SelfSubjectAccessReview resource attributes).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Permission {
    /// The verb, e.g. `patch`.
    pub verb: String,
    /// The kind (gives group and resource).
    pub kind: Kind,
    /// The namespace; `None` for all namespaces.
    pub namespace: Option<String>,
}

impl Permission {
    /// The permission every action (suspend, resume, reconcile) needs on `key`.
    pub fn patch(key: &ObjectKey) -> Permission {
        Permission {
            verb: "patch".to_owned(),
            kind: key.kind,
            namespace: Some(key.namespace.to_string()),
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.kind.resource())?;
        match &self.namespace {
            Some(ns) => write!(f, " in namespace {ns}"),
            None => write!(f, " in all namespaces"),
        }
    }
}

/// One step of an action on one object.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionEvent {
    /// The action, as the UI numbered it in its `Command`.
    pub id: ActionId,
    /// What kind of action.
    pub action: ActionKind,
    /// The object acted on.
    pub key: ObjectKey,
    /// When this step happened.
    pub at: Timestamp,
    /// Where it is.
    pub phase: ActionPhase,
}

/// Where an action on one object is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ActionPhase {
    /// Sent; the message says what is being waited for.
    Running(String),
    /// Done; the message is the flux CLI's success line (e.g. `applied revision main@sha1:…`).
    Succeeded(String),
    /// Failed or refused; the message says why and what to do.
    Failed(String),
}
