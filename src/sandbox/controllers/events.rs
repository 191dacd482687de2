//! Core v1 Events as the live controllers' event recorders write them (built by the
//! scenario's own `kube::event_object`, so live and seeded Events look alike). An identical
//! event on the same object is aggregated (`count` + 1, `lastTimestamp` now) rather than
//! written again, as client-go's recorder does (`2s (x9 over 4s)` in `kubectl`); each object
//! keeps at most [`PER_OBJECT`] Events (the oldest go), and the Events of a deleted object
//! are dropped (the workloads controller a while after it: see `Manager::forget_events`), so
//! a long demo does not grow the store without bound.
//!
//! [`EventLog`] is the recorder itself (the workloads controller owns one); [`Recorder`]
//! shares one between the Flux controllers' reconciles, which emit [`FluxEvent`]s.

use std::collections::{HashMap, VecDeque};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use std::sync::{Arc, Mutex};

use serde_json::Map;

use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::{Store, Target};
use crate::sandbox::scenario::ids;
use crate::sandbox::scenario::kube::{Event, event_object};

/// The most Events kept about one object.
pub const PER_OBJECT: usize = 40;

/// One event to record.
#[derive(Debug, Clone)]
pub struct Note<'a> {
    /// `reason`.
    pub reason: &'a str,
    /// `message`.
    pub message: String,
    /// Warning (else Normal).
    pub warning: bool,
    /// `source.component` / `reportingComponent`.
    pub component: &'static str,
    /// `source.host` (the node, for the kubelet).
    pub host: Option<&'a str>,
    /// `involvedObject.fieldPath` (`spec.containers{name}`).
    pub field_path: Option<String>,
    /// The Event's annotations (Flux puts `<group>/revision` there).
    pub annotations: Map<String, Value>,
}

impl<'a> Note<'a> {
    /// A Normal event from `component`.
    pub fn normal(component: &'static str, reason: &'a str, message: String) -> Self {
        Note {
            reason,
            message,
            warning: false,
            component,
            host: None,
            field_path: None,
            annotations: Map::new(),
        }
    }

    /// A Warning event from `component`.
    pub fn warning(component: &'static str, reason: &'a str, message: String) -> Self {
        Note {
            warning: true,
            ..Note::normal(component, reason, message)
        }
    }

    /// The same event from the kubelet on `node` about container `container`.
    pub fn on(mut self, node: &'a str, container: &str) -> Self {
        self.host = Some(node);
        self.field_path = Some(format!("spec.containers{{{container}}}"));
        self
    }
}

/// What makes two events the same one (Kubernetes' aggregation key, minus the timestamps).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Same {
    uid: String,
    field_path: Option<String>,
    reason: String,
    message: String,
    warning: bool,
    component: &'static str,
}

/// Where a written Event is: (namespace, name).
type At = (String, String);

/// Writes Events and remembers which ones, per involved object.
pub struct EventLog {
    type_id: TypeId,
    last_nanos: i64,
    rng: StdRng,
    written: HashMap<Same, At>,
    by_object: HashMap<String, VecDeque<Same>>,
}

impl EventLog {
    /// A recorder writing Events of type `type_id`.
    pub fn new(type_id: TypeId) -> EventLog {
        EventLog {
            type_id,
            last_nanos: 0,
            rng: StdRng::seed_from_u64(rand::random()),
            written: HashMap::new(),
            by_object: HashMap::new(),
        }
    }

    /// Records `note` about `about` (a stored object: kind, apiVersion, metadata).
    pub fn record(&mut self, store: &Store, about: &Value, note: Note<'_>) {
        let Some(uid) = about["metadata"]["uid"].as_str().filter(|u| !u.is_empty()) else {
            return;
        };
        let same = Same {
            uid: uid.to_string(),
            field_path: note.field_path.clone(),
            reason: note.reason.to_string(),
            message: note.message.clone(),
            warning: note.warning,
            component: note.component,
        };
        let now = jiff::Timestamp::now();
        if let Some(at) = self.written.get(&same) {
            let stamp = ids::rfc3339(now.as_second());
            let bumped = store.modify(
                self.type_id,
                &at.0,
                &at.1,
                Target::Main,
                false,
                &|old| {
                    let mut new = old.clone();
                    new["count"] = json!(old["count"].as_u64().unwrap_or(1) + 1);
                    new["lastTimestamp"] = json!(stamp);
                    Ok(new)
                },
                None,
            );
            match bumped {
                Ok(_) => return,
                Err(e) => {
                    tracing::debug!(
                        "event {}/{} not aggregated ({}), writing anew",
                        at.0,
                        at.1,
                        e.message
                    );
                    self.written.remove(&same);
                }
            }
        }
        let nanos = i64::try_from(now.as_nanosecond())
            .unwrap_or(i64::MAX)
            .max(self.last_nanos.saturating_add(1));
        self.last_nanos = nanos;
        let event = Event {
            reason: note.reason,
            message: note.message,
            warning: note.warning,
            count: 1,
            first: now.as_second(),
            last: now.as_second(),
            component: note.component,
            host: note.host,
            field_path: note.field_path,
            annotations: note.annotations,
        };
        let obj = event_object(about, event, nanos, ids::uid(&mut self.rng));
        let ns = about["metadata"]["namespace"].as_str().unwrap_or("default");
        match store.create(self.type_id, ns, obj, false) {
            Ok(stored) => {
                self.written
                    .insert(same.clone(), (ns.to_string(), stored.name.clone()));
                let list = self.by_object.entry(same.uid.clone()).or_default();
                list.push_back(same);
                while list.len() > PER_OBJECT {
                    let Some(oldest) = list.pop_front() else {
                        break;
                    };
                    if let Some(at) = self.written.remove(&oldest) {
                        let _ = store.delete(self.type_id, &at.0, &at.1, false);
                    }
                }
            }
            Err(e) => tracing::debug!("event about {uid} not written: {}", e.message),
        }
    }

    /// Deletes the Events recorded about the object `uid`.
    pub fn forget(&mut self, store: &Store, uid: &str) {
        for same in self.by_object.remove(uid).into_iter().flatten() {
            if let Some(at) = self.written.remove(&same) {
                let _ = store.delete(self.type_id, &at.0, &at.1, false);
            }
        }
    }
}

/// One event a Flux controller emits (owned, so a reconcile's result can carry it).
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

/// An [`EventLog`] shared by the Flux controllers' reconciles.
pub struct Recorder {
    store: Arc<Store>,
    log: Option<Mutex<EventLog>>,
}

impl Recorder {
    /// A recorder writing into `store` (a store that serves no Events gets none).
    pub fn new(store: Arc<Store>) -> Recorder {
        let log = store
            .resources()
            .by_path("", "v1", "events")
            .map(|id| Mutex::new(EventLog::new(id)));
        Recorder { store, log }
    }

    /// Emits `e` about `about` (an object with apiVersion, kind and metadata).
    pub fn emit(&self, about: &Value, e: &FluxEvent) {
        let Some(log) = &self.log else {
            return;
        };
        let note = Note {
            warning: e.warning,
            annotations: e.annotations.clone(),
            ..Note::normal(e.component, &e.reason, e.message.clone())
        };
        log.lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(&self.store, about, note);
    }

    /// Deletes a deleted object's events.
    pub fn forget(&self, uid: &str) {
        if let Some(log) = &self.log {
            log.lock()
                .unwrap_or_else(|p| p.into_inner())
                .forget(&self.store, uid);
        }
    }
}
