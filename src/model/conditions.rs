//! Conditions and readiness, read the way Flux and kstatus read them.
//!
//! fluxdeck keeps only the conditions its panes show (Ready, Reconciling, Stalled); the
//! full list arrives with the object's details when the user asks for them.

use compact_str::CompactString;
use jiff::Timestamp;
use serde_json::Value;

use super::json::{array_at, bounded, str_at, time_at};

/// Longest condition message kept per object; details carry the full text.
pub const MESSAGE_MAX: usize = 400;

/// A condition's `status` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CondStatus {
    /// `"True"`.
    True,
    /// `"False"`.
    False,
    /// `"Unknown"`, or any other value (the API only allows the three).
    Unknown,
}

impl CondStatus {
    /// Reads a condition status string; anything but True/False is Unknown.
    pub fn parse(text: &str) -> CondStatus {
        match text {
            "True" => CondStatus::True,
            "False" => CondStatus::False,
            _ => CondStatus::Unknown,
        }
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CondStatus::True => "True",
            CondStatus::False => "False",
            CondStatus::Unknown => "Unknown",
        }
    }
}

/// One condition, as much of it as the panes show.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Condition {
    /// The condition type, e.g. `Ready`.
    #[serde(with = "crate::model::compact")]
    pub type_: CompactString,
    /// True, False or Unknown.
    pub status: CondStatus,
    /// The CamelCase reason, e.g. `ReconciliationSucceeded`.
    #[serde(with = "crate::model::compact")]
    pub reason: CompactString,
    /// The human message (bounded to [`MESSAGE_MAX`] characters).
    pub message: String,
    /// When the status last changed.
    pub last_transition: Option<Timestamp>,
    /// The generation the condition was computed for, when the controller sets it.
    pub observed_generation: Option<i64>,
}

impl Condition {
    /// Reads one entry of `status.conditions`; `None` when it has no `type`.
    pub fn parse(value: &Value) -> Option<Condition> {
        let type_ = str_at(value, &["type"])?.into();
        Some(Condition {
            type_,
            status: CondStatus::parse(str_at(value, &["status"]).unwrap_or("")),
            reason: str_at(value, &["reason"]).unwrap_or("").into(),
            // Controllers quote the URL they failed on, password and all.
            message: bounded(
                &super::mask::mask_url_passwords(str_at(value, &["message"]).unwrap_or("")),
                MESSAGE_MAX,
            ),
            last_transition: time_at(value, &["lastTransitionTime"]),
            observed_generation: super::json::i64_at(value, &["observedGeneration"]),
        })
    }
}

/// Every condition of an object (`status.conditions`), skipping malformed entries.
pub fn all_conditions(object: &Value) -> Vec<Condition> {
    array_at(object, &["status", "conditions"])
        .iter()
        .filter_map(Condition::parse)
        .collect()
}

/// The condition of type `type_` in `status.conditions`, if any.
pub fn find_condition(object: &Value, type_: &str) -> Option<Condition> {
    array_at(object, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == Some(type_))
        .and_then(Condition::parse)
}

/// Whether the condition of type `type_` is present and True.
pub fn condition_true(object: &Value, type_: &str) -> bool {
    array_at(object, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == Some(type_) && str_at(c, &["status"]) == Some("True"))
}

/// What the operator needs to know at a glance: one word per object, used for colour and
/// for "is this release stuck". Suspension is reported apart from health because a
/// suspended object keeps its last conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Readiness {
    /// Ready=True for the current generation, nothing in progress.
    Ready,
    /// Ready=False: the last attempt failed (Flux keeps retrying).
    Failed,
    /// Stalled=True: Flux gave up until the spec changes.
    Stalled,
    /// Reconciling, Ready=Unknown, or the generation is not observed yet.
    Progressing,
    /// `metadata.deletionTimestamp` is set.
    Terminating,
    /// No Ready condition yet (never reconciled, or the controller is not running).
    Unknown,
}

impl Readiness {
    /// A short word for the screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Ready => "Ready",
            Readiness::Failed => "Failed",
            Readiness::Stalled => "Stalled",
            Readiness::Progressing => "Progressing",
            Readiness::Terminating => "Terminating",
            Readiness::Unknown => "Unknown",
        }
    }
}

/// kstatus' verdict (fluxcd/cli-utils `pkg/kstatus/status/generic.go`), which the flux CLI
/// waits on after a reconcile request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KStatus {
    /// Observed generation current, not reconciling, not stalled.
    Current,
    /// Generation not observed yet, or Reconciling=True.
    InProgress,
    /// Stalled=True.
    Failed,
    /// Being deleted.
    Terminating,
}

/// The status fields every Flux kind shares, reduced to what fluxdeck shows and follows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FluxStatus {
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// `status.observedGeneration`.
    pub observed_generation: Option<i64>,
    /// The Ready condition.
    pub ready: Option<Condition>,
    /// Reconciling=True.
    pub reconciling: bool,
    /// Stalled=True.
    pub stalled: bool,
    /// `spec.suspend`.
    pub suspended: bool,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// The reconcile request tokens, when the object carries either (boxed: most objects
    /// were never asked to reconcile, and inline the two would cost every row 48 bytes).
    pub tokens: Option<Box<ReconcileTokens>>,
}

/// The tokens of `flux reconcile` (and fluxdeck's sync): what was asked, what was handled.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReconcileTokens {
    /// The `reconcile.fluxcd.io/requestedAt` annotation (an opaque token).
    pub requested_at: Option<String>,
    /// `status.lastHandledReconcileAt`: the last requestedAt token the controller handled.
    pub last_handled_reconcile_at: Option<String>,
}

impl ReconcileTokens {
    /// The tokens, boxed, or `None` when neither is set.
    pub fn boxed(
        requested_at: Option<String>,
        last_handled_reconcile_at: Option<String>,
    ) -> Option<Box<ReconcileTokens>> {
        (requested_at.is_some() || last_handled_reconcile_at.is_some()).then(|| {
            Box::new(ReconcileTokens {
                requested_at,
                last_handled_reconcile_at,
            })
        })
    }
}

impl FluxStatus {
    /// Reads the shared fields of any Flux object; missing fields stay absent.
    pub fn parse(object: &Value) -> FluxStatus {
        FluxStatus {
            generation: super::json::i64_at(object, &["metadata", "generation"]),
            observed_generation: super::json::i64_at(object, &["status", "observedGeneration"]),
            ready: find_condition(object, "Ready"),
            reconciling: condition_true(object, "Reconciling"),
            stalled: condition_true(object, "Stalled"),
            suspended: super::json::bool_at(object, &["spec", "suspend"]).unwrap_or(false),
            deleting: super::json::at(object, &["metadata", "deletionTimestamp"])
                .is_some_and(|v| !v.is_null()),
            tokens: ReconcileTokens::boxed(
                super::json::string_at(
                    object,
                    &["metadata", "annotations", "reconcile.fluxcd.io/requestedAt"],
                ),
                super::json::string_at(object, &["status", "lastHandledReconcileAt"]),
            ),
        }
    }

    /// The `reconcile.fluxcd.io/requestedAt` token, if any.
    pub fn requested_at(&self) -> Option<&str> {
        self.tokens.as_ref()?.requested_at.as_deref()
    }

    /// The last requestedAt token the controller handled, if any.
    pub fn last_handled_reconcile_at(&self) -> Option<&str> {
        self.tokens.as_ref()?.last_handled_reconcile_at.as_deref()
    }

    /// Whether the controller has seen the current spec. Unknown generations count as
    /// observed: some objects (older shapes, fakes) carry neither field.
    pub fn generation_observed(&self) -> bool {
        match (self.generation, self.observed_generation) {
            (Some(generation), Some(observed)) => observed >= generation,
            (Some(_), None) => false,
            (None, _) => true,
        }
    }

    /// The one-word health of the object (suspension is reported apart).
    pub fn readiness(&self) -> Readiness {
        if self.deleting {
            return Readiness::Terminating;
        }
        if self.stalled {
            return Readiness::Stalled;
        }
        // Ready=False wins over Reconciling: kustomize-controller keeps Reconciling=True
        // (ProgressingWithRetry) after a failure, and the operator must see the failure.
        match self.ready.as_ref().map(|c| c.status) {
            Some(CondStatus::False) => Readiness::Failed,
            Some(CondStatus::True) if !self.reconciling && self.generation_observed() => {
                Readiness::Ready
            }
            Some(_) => Readiness::Progressing,
            None if self.reconciling => Readiness::Progressing,
            None => Readiness::Unknown,
        }
    }

    /// kstatus' verdict, in kstatus' order of rules.
    pub fn kstatus(&self) -> KStatus {
        if self.deleting {
            KStatus::Terminating
        } else if !self.generation_observed() || self.reconciling {
            KStatus::InProgress
        } else if self.stalled {
            KStatus::Failed
        } else {
            KStatus::Current
        }
    }

    /// The Ready message, or "" when there is no Ready condition.
    pub fn message(&self) -> &str {
        self.ready.as_ref().map_or("", |c| c.message.as_str())
    }

    /// The Ready status as the flux CLI prints it (`True`, `False`, `Unknown`), `-` if absent.
    pub fn ready_text(&self) -> &'static str {
        self.ready.as_ref().map_or("-", |c| c.status.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(conditions: Value, generation: i64, observed: i64) -> Value {
        json!({
            "metadata": {"generation": generation},
            "status": {"observedGeneration": observed, "conditions": conditions}
        })
    }

    #[test]
    fn ready_true_for_current_generation_is_ready_and_current() {
        let s = FluxStatus::parse(&object(
            json!([{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                     "message": "Applied revision: main@sha1:abc"}]),
            2,
            2,
        ));
        assert_eq!(s.readiness(), Readiness::Ready);
        assert_eq!(s.kstatus(), KStatus::Current);
        assert_eq!(s.message(), "Applied revision: main@sha1:abc");
        assert_eq!(s.ready_text(), "True");
    }

    #[test]
    fn failure_with_retry_is_failed_but_kstatus_in_progress() {
        let s = FluxStatus::parse(&object(
            json!([
                {"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry"},
                {"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "kustomize build failed"}
            ]),
            1,
            1,
        ));
        assert_eq!(s.readiness(), Readiness::Failed);
        assert_eq!(s.kstatus(), KStatus::InProgress);
    }

    #[test]
    fn stalled_is_failed_for_kstatus() {
        let s = FluxStatus::parse(&object(
            json!([{"type": "Stalled", "status": "True"}, {"type": "Ready", "status": "False"}]),
            1,
            1,
        ));
        assert_eq!(s.readiness(), Readiness::Stalled);
        assert_eq!(s.kstatus(), KStatus::Failed);
    }

    #[test]
    fn unobserved_generation_is_in_progress() {
        let s = FluxStatus::parse(&object(json!([{"type": "Ready", "status": "True"}]), 3, 2));
        assert_eq!(s.readiness(), Readiness::Progressing);
        assert_eq!(s.kstatus(), KStatus::InProgress);
    }

    #[test]
    fn missing_status_is_unknown_and_tolerated() {
        let s = FluxStatus::parse(&json!({"metadata": {"name": "x"}}));
        assert_eq!(s.readiness(), Readiness::Unknown);
        assert_eq!(s.ready_text(), "-");
        assert_eq!(s.message(), "");
    }

    #[test]
    fn malformed_conditions_are_skipped() {
        let v = json!({"status": {"conditions": [5, {"status": "True"}, {"type": "Ready", "status": 1}]}});
        let all = all_conditions(&v);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status, CondStatus::Unknown);
        let v = json!({"status": {"conditions": "Ready"}});
        assert!(all_conditions(&v).is_empty());
    }

    #[test]
    fn deletion_and_annotations_are_read() {
        let v = json!({
            "metadata": {"deletionTimestamp": "2026-08-07T10:00:00Z",
                          "annotations": {"reconcile.fluxcd.io/requestedAt": "2026-08-07T12:00:00.1+02:00"}},
            "spec": {"suspend": true},
            "status": {"lastHandledReconcileAt": "2026-08-07T11:00:00+02:00"}
        });
        let s = FluxStatus::parse(&v);
        assert!(s.deleting && s.suspended);
        assert_eq!(s.readiness(), Readiness::Terminating);
        assert_eq!(s.kstatus(), KStatus::Terminating);
        assert_eq!(s.requested_at(), Some("2026-08-07T12:00:00.1+02:00"));
        assert_eq!(
            s.last_handled_reconcile_at(),
            Some("2026-08-07T11:00:00+02:00")
        );
    }
}
