//! A connected session's state: the connection, the Flux kinds the cluster serves, the
//! namespaces watched and the running watchers. The worker (`worker`) starts and stops
//! sessions; `watchers` starts their watchers and `act` acts through them.

use std::collections::{BTreeMap, BTreeSet};

use tokio::sync::watch as watch_channel;
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::discovery::ServedKind;
use crate::model::key::Kind;
use crate::state::{PodsWatch, Session};

/// The kind enum for a discovered kind name.
pub(super) fn kind_of(served: &ServedKind) -> Option<Kind> {
    Kind::from_name(&served.kind)
}

/// A connected session: the connection, the kinds the cluster serves, what is watched, and
/// the watchers' handles.
pub(super) struct Running {
    pub(super) conn: Connection,
    pub(super) served: Vec<ServedKind>,
    pub(super) namespace: Option<String>,
    pub(super) pods: PodsWatch,
    pub(super) flux_watchers: Vec<JoinHandle<()>>,
    /// One pod watcher per namespace (`None`: all namespaces).
    pub(super) pod_watchers: BTreeMap<Option<String>, JoinHandle<()>>,
    /// Whether the pod watchers are partial (one per workload namespace).
    pub(super) pods_partial: bool,
    /// The namespaces of the watched Kustomizations' inventory workloads, kept by the tap
    /// on the Kustomization watcher.
    pub(super) workload_namespaces: (
        watch_channel::Sender<BTreeSet<String>>,
        watch_channel::Receiver<BTreeSet<String>>,
    ),
}

impl Running {
    /// Stops every watcher (the log stream is the worker's).
    pub(super) fn stop(&mut self) {
        for w in self.flux_watchers.drain(..) {
            w.abort();
        }
        for (_, w) in std::mem::take(&mut self.pod_watchers) {
            w.abort();
        }
    }

    /// Where `kind` is served, if it is.
    pub(super) fn served(&self, kind: Kind) -> Option<&ServedKind> {
        self.served.iter().find(|s| kind_of(s) == Some(kind))
    }

    /// The session as the state reports it.
    pub(super) fn session(&self) -> Session {
        Session {
            context: Some(self.conn.context.clone()),
            server: Some(self.conn.server.clone()),
            namespace: self.namespace.clone(),
            pods: self.pods.clone(),
            pods_namespaces: self.pod_watchers.keys().filter_map(Clone::clone).collect(),
        }
    }
}
