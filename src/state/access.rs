//! Whether fluxdeck is connected, and what the cluster lets the user do: the answers the
//! header, the footer and the action checks need.

use jiff::Timestamp;

use crate::model::key::{Kind, ObjectKey};

use super::store::State;
use super::update::{Permission, WatchState};

/// The connection as the header shows it: the worst state of any watcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// No watcher has reported: no cluster worker runs, or it has not started.
    NotConnected,
    /// Watchers started; some have not listed yet.
    Connecting,
    /// Every watcher listed (some may be forbidden or not served; see the watcher states).
    Connected,
    /// At least one watcher is retrying; the oldest failure is reported.
    Retrying {
        /// Which watcher.
        kind: Kind,
        /// Since when.
        since: Timestamp,
        /// Its last error.
        reason: String,
        /// How long until its next attempt.
        retry_in: std::time::Duration,
    },
}

/// Whether an action on an object is allowed, as far as fluxdeck knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// A SelfSubjectAccessReview allowed it.
    Allowed,
    /// A SelfSubjectAccessReview denied it: this permission is missing.
    Denied(Permission),
    /// Not checked (yet); the API server will decide.
    Unknown,
}

impl State {
    /// The connection summary for the header.
    pub fn connection(&self) -> Connection {
        let retrying = self
            .watchers
            .iter()
            .filter_map(|(kind, state)| match state {
                WatchState::Retrying {
                    since,
                    reason,
                    retry_in,
                } => Some((*since, *kind, reason, *retry_in)),
                _ => None,
            })
            .min();
        if let Some((since, kind, reason, retry_in)) = retrying {
            return Connection::Retrying {
                kind,
                since,
                reason: reason.clone(),
                retry_in,
            };
        }
        if self.watchers.is_empty() {
            Connection::NotConnected
        } else if self
            .watchers
            .values()
            .any(|s| matches!(s, WatchState::Connecting))
        {
            Connection::Connecting
        } else {
            Connection::Connected
        }
    }

    /// Whether the actions (which all patch) are allowed on `key`: the answer for its
    /// namespace if known, else the one for all namespaces.
    pub fn access(&self, key: &ObjectKey) -> Access {
        let specific = Permission::patch(key);
        let cluster_wide = Permission {
            namespace: None,
            ..specific.clone()
        };
        match (self.access.get(&specific), self.access.get(&cluster_wide)) {
            (Some(true), _) | (None, Some(true)) => Access::Allowed,
            (Some(false), _) => Access::Denied(specific),
            (None, Some(false)) => Access::Denied(cluster_wide),
            (None, None) => Access::Unknown,
        }
    }
}
