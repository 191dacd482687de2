//! What the frozen controllers ([`spawn`](super::spawn)) share: their options, the context
//! each reconcile gets ([`Ctx`]) and what one reconcile hands back ([`Outcome`]). The
//! reconcile loop and the per-kind results ([`kinds`](super::kinds)) both import this; neither
//! imports the other for it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::Store;

/// How the simulated controllers behave.
#[derive(Debug, Clone)]
pub struct ControllerOptions {
    /// How long a reconcile stays `Reconciling` before its result is written.
    pub reconcile_time: Duration,
}

impl Default for ControllerOptions {
    fn default() -> Self {
        ControllerOptions {
            reconcile_time: Duration::from_millis(400),
        }
    }
}

/// The result of one reconcile of one object.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Ready=True when set, else Ready=False.
    pub ready: bool,
    /// The Ready condition's reason.
    pub reason: String,
    /// The Ready condition's message.
    pub message: String,
    /// Status fields to set (top-level keys of `status`).
    pub fields: Vec<(String, Value)>,
    /// Whether a failure is terminal (Stalled=True) rather than retried.
    pub stalled: bool,
}

impl Outcome {
    /// Ready=True.
    pub fn ready(reason: &str, message: impl Into<String>) -> Self {
        Outcome {
            ready: true,
            reason: reason.to_string(),
            message: message.into(),
            fields: Vec::new(),
            stalled: false,
        }
    }

    /// Ready=False, retried.
    pub fn failed(reason: &str, message: impl Into<String>) -> Self {
        Outcome {
            ready: false,
            ..Self::ready(reason, message)
        }
    }

    /// Adds a status field.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.fields.push((key.to_string(), value));
        self
    }
}

/// What the controllers share.
pub struct Ctx {
    /// The store.
    pub store: Arc<Store>,
    /// Options.
    pub options: ControllerOptions,
    /// The objects being reconciled now (type, namespace, name).
    pub(super) in_flight: Mutex<HashSet<(TypeId, String, String)>>,
}

impl Ctx {
    /// A context over `store`, with nothing in flight.
    pub fn new(store: Arc<Store>, options: ControllerOptions) -> Ctx {
        Ctx {
            store,
            options,
            in_flight: Mutex::new(HashSet::new()),
        }
    }

    /// The current object, parsed.
    pub fn object(&self, type_id: TypeId, ns: &str, name: &str) -> Option<Value> {
        self.store.get(type_id, ns, name)?.value().ok()
    }

    /// Finds an object by kind (`GitRepository`...), namespace and name.
    pub fn find(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let id = self
            .store
            .resources()
            .types()
            .iter()
            .position(|t| t.kind == kind && t.custom)?;
        self.object(id, ns, name)
    }
}
