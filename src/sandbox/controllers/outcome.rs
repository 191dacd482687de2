//! What a controller's reconcile hands back to the loop (`runtime`): the result written to
//! the object's status (Ready or a failure, extra fields, events, a requeue) and the
//! in-progress state, and the intervals both sides read. The controllers and the loop import
//! this; neither imports the other for it.

use std::time::Duration;

use serde_json::Value;

use crate::sandbox::controllers::events::FluxEvent;

/// A failed reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The Ready condition's reason.
    pub reason: String,
    /// The Ready condition's message.
    pub message: String,
    /// A terminal configuration error (Stalled=True, no retry until the spec changes).
    pub stalled: bool,
}

impl Failure {
    /// A retried failure.
    pub fn new(reason: &str, message: impl Into<String>) -> Failure {
        Failure {
            reason: reason.to_string(),
            message: message.into(),
            stalled: false,
        }
    }

    /// A stalled failure.
    pub fn stalled(reason: &str, message: impl Into<String>) -> Failure {
        Failure {
            stalled: true,
            ..Failure::new(reason, message)
        }
    }
}

/// A condition besides Ready, Reconciling and Stalled (`ArtifactInStorage`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    /// The type.
    pub kind: &'static str,
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    /// The reason.
    pub reason: String,
    /// The message.
    pub message: String,
}

/// What one reconcile produced.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// Ready=True with (reason, message), or the failure.
    pub ready: Result<(String, String), Failure>,
    /// Status fields to set.
    pub fields: Vec<(&'static str, Value)>,
    /// Status fields to remove.
    pub removed: Vec<&'static str>,
    /// Other conditions to set.
    pub conditions: Vec<Cond>,
    /// Other conditions to remove.
    pub removed_conditions: Vec<&'static str>,
    /// Events to emit after the status is written.
    pub events: Vec<FluxEvent>,
    /// When to run again (a spec duration, before the pace scales it); `None`: only when
    /// triggered.
    pub requeue: Option<Duration>,
    /// Whether the object produced something its dependents read (a new artifact, scan,
    /// pick or applied revision): they are reconciled next.
    pub changed: bool,
}

impl Reconciled {
    /// Ready=True.
    pub fn ready(reason: &str, message: impl Into<String>) -> Reconciled {
        Reconciled {
            ready: Ok((reason.to_string(), message.into())),
            fields: Vec::new(),
            removed: Vec::new(),
            conditions: Vec::new(),
            removed_conditions: Vec::new(),
            events: Vec::new(),
            requeue: None,
            changed: false,
        }
    }

    /// Ready=False (or Stalled) for `failure`.
    pub fn failed(failure: Failure) -> Reconciled {
        Reconciled {
            ready: Err(failure),
            ..Reconciled::ready("", "")
        }
    }

    /// Sets a status field.
    pub fn with(mut self, key: &'static str, value: Value) -> Reconciled {
        self.fields.push((key, value));
        self
    }

    /// Runs again after `d`.
    pub fn requeue(mut self, d: Duration) -> Reconciled {
        self.requeue = Some(d);
        self
    }

    /// Emits an event.
    pub fn event(mut self, e: FluxEvent) -> Reconciled {
        self.events.push(e);
        self
    }

    /// Marks the reconcile as having produced something new (see `changed`) and emits the
    /// event that announces it.
    pub fn produced(mut self, e: FluxEvent) -> Reconciled {
        self.changed = true;
        self.event(e)
    }
}

/// What a reconcile shows while it runs.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The Reconciling message.
    pub message: String,
    /// Whether Ready goes Unknown even when it was True (drift, a new revision).
    pub drift: bool,
    /// Conditions set while in progress (`ArtifactOutdated`).
    pub conditions: Vec<Cond>,
}

impl Progress {
    /// Progress with `message`.
    pub fn new(message: impl Into<String>) -> Progress {
        Progress {
            message: message.into(),
            drift: false,
            conditions: Vec::new(),
        }
    }
}

/// Flux's `--requeue-dependency` default.
pub const REQUEUE_DEPENDENCY: Duration = Duration::from_secs(30);

/// `spec.interval` as a duration (10 minutes when absent or unreadable).
pub fn interval_of(obj: &Value) -> Duration {
    obj["spec"]["interval"]
        .as_str()
        .and_then(crate::model::duration::parse_go_duration)
        .unwrap_or(Duration::from_secs(600))
}
