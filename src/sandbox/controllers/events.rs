//! Events the live Flux controllers emit, as `v1` Event objects in the store, the way
//! client-go's recorder writes them: one Event per (object, type, reason, message), whose
//! `count` and `lastTimestamp` move when it repeats (`2s (x9 over 4s)` in `kubectl`).
//!
//! The recorder keeps at most [`PER_OBJECT`] Events per object (the oldest go first), so a
//! demo that runs for days does not grow without bound; a real cluster expires them after an
//! hour instead.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::{Store, Target, now_rfc3339};

/// Events kept per involved object.
pub const PER_OBJECT: usize = 24;

/// One event to emit.
#[derive(Debug, Clone)]
pub struct FluxEvent {
    /// `Normal` when false, `Warning` when true.
    pub warning: bool,
    /// The reason (`NewArtifact`, `ReconciliationSucceeded`...).
    pub reason: String,
    /// The message.
    pub message: String,
    /// The reporting controller (`source-controller`...).
    pub component: &'static str,
    /// `<group>.toolkit.fluxcd.io/revision` and the like.
    pub annotations: Map<String, Value>,
}

impl FluxEvent {
    /// A Normal event.
    pub fn normal(component: &'static str, reason: &str, message: impl Into<String>) -> Self {
        FluxEvent {
            warning: false,
            reason: reason.to_string(),
            message: message.into(),
            component,
            annotations: Map::new(),
        }
    }

    /// A Warning event.
    pub fn warning(component: &'static str, reason: &str, message: impl Into<String>) -> Self {
        FluxEvent {
            warning: true,
            ..FluxEvent::normal(component, reason, message)
        }
    }

    /// Adds the revision annotation Flux puts on events (`<group>/revision`).
    pub fn with_revision(mut self, group: &str, revision: &str) -> Self {
        self.annotations
            .insert(format!("{group}/revision"), json!(revision));
        self
    }
}

/// Writes events, aggregating repeats.
pub struct Recorder {
    store: Arc<Store>,
    events: Option<TypeId>,
    /// Per involved object uid: (type, reason, message) → Event name, oldest first.
    seen: Mutex<HashMap<String, VecDeque<(String, String)>>>,
}

impl Recorder {
    /// A recorder writing into `store`.
    pub fn new(store: Arc<Store>) -> Recorder {
        let events = store.registry().by_path("", "v1", "events");
        Recorder {
            store,
            events,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Emits `e` about `about` (an object with apiVersion, kind and metadata).
    pub fn emit(&self, about: &Value, e: &FluxEvent) {
        let Some(type_id) = self.events else {
            return;
        };
        let meta = &about["metadata"];
        let ns = meta["namespace"].as_str().unwrap_or("default").to_string();
        let uid = meta["uid"].as_str().unwrap_or_default().to_string();
        let kind = if e.warning { "Warning" } else { "Normal" };
        let key = format!("{kind}\n{}\n{}", e.reason, e.message);
        let now = now_rfc3339();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let list = seen.entry(uid.clone()).or_default();
        if let Some((_, name)) = list.iter().find(|(k, _)| *k == key) {
            let bumped = self.store.modify(
                type_id,
                &ns,
                name,
                Target::Main,
                false,
                &|old| {
                    let mut new = old.clone();
                    new["count"] = json!(old["count"].as_u64().unwrap_or(1) + 1);
                    new["lastTimestamp"] = json!(now);
                    Ok(new)
                },
                None,
            );
            if bumped.is_ok() {
                return;
            }
            // Deleted meanwhile (a user, a namespace): write it anew below.
            list.retain(|(k, _)| *k != key);
        }
        let nanos = jiff::Timestamp::now().as_nanosecond();
        let name = format!(
            "{}.{:x}",
            meta["name"].as_str().unwrap_or_default(),
            nanos.max(0)
        );
        let mut metadata = json!({"name": name, "namespace": ns});
        if !e.annotations.is_empty() {
            metadata["annotations"] = Value::Object(e.annotations.clone());
        }
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": metadata,
            "involvedObject": {
                "apiVersion": about["apiVersion"],
                "kind": about["kind"],
                "name": meta["name"],
                "namespace": ns,
                "uid": uid,
                "resourceVersion": meta["resourceVersion"],
            },
            "reason": e.reason,
            "message": e.message,
            "source": {"component": e.component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": kind,
            "eventTime": null,
            "reportingComponent": e.component,
            "reportingInstance": "",
        });
        match self.store.create(type_id, &ns, event, false) {
            Ok(_) => list.push_back((key, name)),
            Err(err) => {
                tracing::debug!("event {} not written: {}", e.reason, err.message);
                return;
            }
        }
        while list.len() > PER_OBJECT {
            if let Some((_, old)) = list.pop_front() {
                let _ = self.store.delete(type_id, &ns, &old, false);
            }
        }
    }

    /// Forgets an object's events (it was deleted); the Events stay until their namespace goes.
    pub fn forget(&self, uid: &str) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(uid);
    }
}
