//! Core v1 Events as the controllers' event recorders write them (built by the scenario's
//! own `kube::event_object`, so live and seeded Events look alike). An identical event on
//! the same object is aggregated (`count` + 1, `lastTimestamp` now) rather than written
//! again; each object keeps at most [`PER_OBJECT`] Events (the oldest go), and the Events of
//! a deleted object are dropped a while after it (see `Manager::forget_events`), so a long
//! demo does not grow the store without bound.

use std::collections::{HashMap, VecDeque};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::sched::ObjKey;
use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::{Store, Target};
use crate::sandbox::scenario::ids;
use crate::sandbox::scenario::kube::{Event, event_object};

/// The most Events kept about one object.
pub(super) const PER_OBJECT: usize = 40;

/// One event to record.
#[derive(Debug, Clone)]
pub(super) struct Note<'a> {
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
}

impl<'a> Note<'a> {
    /// A Normal event from `component`.
    pub(super) fn normal(component: &'static str, reason: &'a str, message: String) -> Self {
        Note {
            reason,
            message,
            warning: false,
            component,
            host: None,
            field_path: None,
        }
    }

    /// A Warning event from `component`.
    pub(super) fn warning(component: &'static str, reason: &'a str, message: String) -> Self {
        Note {
            warning: true,
            ..Note::normal(component, reason, message)
        }
    }

    /// The same event from the kubelet on `node` about container `container`.
    pub(super) fn on(mut self, node: &'a str, container: &str) -> Self {
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

/// Writes Events and remembers which ones, per involved object.
pub(super) struct Recorder {
    type_id: TypeId,
    last_nanos: i64,
    rng: StdRng,
    written: HashMap<Same, ObjKey>,
    by_object: HashMap<String, VecDeque<Same>>,
}

impl Recorder {
    /// A recorder writing Events of type `type_id`.
    pub(super) fn new(type_id: TypeId) -> Recorder {
        Recorder {
            type_id,
            last_nanos: 0,
            rng: StdRng::seed_from_u64(rand::random()),
            written: HashMap::new(),
            by_object: HashMap::new(),
        }
    }

    /// Records `note` about `about` (a stored object: kind, apiVersion, metadata).
    pub(super) fn record(&mut self, store: &Store, about: &Value, note: Note<'_>) {
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
                &at.ns,
                &at.name,
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
                    tracing::debug!("event {at} not aggregated ({}), writing anew", e.message);
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
            annotations: serde_json::Map::new(),
        };
        let obj = event_object(about, event, nanos, ids::uid(&mut self.rng));
        let ns = about["metadata"]["namespace"].as_str().unwrap_or("default");
        match store.create(self.type_id, ns, obj, false) {
            Ok(stored) => {
                self.written
                    .insert(same.clone(), ObjKey::new(ns, &stored.name));
                let list = self.by_object.entry(same.uid.clone()).or_default();
                list.push_back(same);
                while list.len() > PER_OBJECT {
                    let Some(oldest) = list.pop_front() else {
                        break;
                    };
                    if let Some(at) = self.written.remove(&oldest) {
                        let _ = store.delete(self.type_id, &at.ns, &at.name, false);
                    }
                }
            }
            Err(e) => tracing::debug!("event about {uid} not written: {}", e.message),
        }
    }

    /// Deletes the Events recorded about the object `uid`.
    pub(super) fn forget(&mut self, store: &Store, uid: &str) {
        for same in self.by_object.remove(uid).into_iter().flatten() {
            if let Some(at) = self.written.remove(&same) {
                let _ = store.delete(self.type_id, &at.ns, &at.name, false);
            }
        }
    }
}
