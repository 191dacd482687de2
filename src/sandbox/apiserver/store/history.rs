//! The watch history: where a watch starts (every current object, or the changes after a
//! version while the bounded history holds them) and how each change is recorded.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::object::{Change, EventKind, StoredObject};
use super::{Inner, Store};
use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::status::ApiError;

/// Where a watch starts.
pub struct WatchStart {
    /// Events to send first (synthetic ADDEDs, or the history after the given version).
    pub initial: Vec<Change>,
    /// Later changes.
    pub receiver: broadcast::Receiver<Arc<Change>>,
    /// Changes at or below this version are covered by `initial`.
    pub from_rv: u64,
}

impl Store {
    /// Starts a watch on a type (in one namespace or all) from `rv`: `None` (or 0) sends
    /// every current object as ADDED first; a version sends the changes after it, or fails
    /// with 410 Gone when it is older than the kept history.
    pub fn watch(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        rv: Option<u64>,
    ) -> Result<WatchStart, ApiError> {
        let inner = self.read();
        // Subscribing under the read lock: no write can land between the snapshot and the
        // subscription, so the watch sees every change exactly once.
        let receiver = self.changes.subscribe();
        let in_ns = |o: &StoredObject| namespace.is_none_or(|ns| o.namespace == ns);
        let initial = match rv.filter(|v| *v > 0) {
            None => inner
                .objects
                .get(type_id)
                .map(|m| {
                    m.values()
                        .filter(|o| in_ns(o))
                        .map(|o| Change {
                            rv: o.rv,
                            kind: EventKind::Added,
                            type_id,
                            object: o.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Some(from) if from < inner.oldest_valid_rv => {
                return Err(ApiError::gone(format!(
                    "too old resource version: {from} ({})",
                    inner.oldest_valid_rv
                )));
            }
            Some(from) => inner
                .history
                .iter()
                .filter(|c| c.rv > from && c.type_id == type_id && in_ns(&c.object))
                .map(|c| (**c).clone())
                .collect(),
        };
        Ok(WatchStart {
            initial,
            receiver,
            from_rv: inner.rv,
        })
    }

    /// Keeps a change in the bounded history and sends it to open watches.
    pub(super) fn record(&self, inner: &mut Inner, change: Change) {
        let change = Arc::new(change);
        inner.history.push_back(change.clone());
        while inner.history.len() > self.history_limit {
            if let Some(old) = inner.history.pop_front() {
                inner.oldest_valid_rv = old.rv;
            }
        }
        // No receivers is fine: nobody watches.
        let _ = self.changes.send(change);
    }
}
