//! Kubernetes events about one object, shown in its details view.

use jiff::Timestamp;
use serde_json::Value;

use super::json::{bounded, i64_at, str_at, string_at, time_at};

/// Longest event message kept.
const EVENT_MESSAGE_MAX: usize = 600;

/// One event, read from `v1` Event or `events.k8s.io/v1` Event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KubeEvent {
    /// `Normal` or `Warning`.
    pub type_: String,
    /// The CamelCase reason, e.g. `ReconciliationSucceeded`.
    pub reason: String,
    /// The message (`message` in v1, `note` in events.k8s.io/v1).
    pub message: String,
    /// How many times it happened (1 when not counted).
    pub count: i64,
    /// The last time it happened.
    pub last_seen: Option<Timestamp>,
    /// The reporting controller, e.g. `kustomize-controller`.
    pub source: String,
}

impl KubeEvent {
    /// Reads an event of either API; every field is optional.
    pub fn parse(event: &Value) -> KubeEvent {
        let last_seen = time_at(event, &["series", "lastObservedTime"])
            .or_else(|| time_at(event, &["lastTimestamp"]))
            .or_else(|| time_at(event, &["deprecatedLastTimestamp"]))
            .or_else(|| time_at(event, &["eventTime"]))
            .or_else(|| time_at(event, &["metadata", "creationTimestamp"]));
        let count = i64_at(event, &["series", "count"])
            .or_else(|| i64_at(event, &["count"]))
            .or_else(|| i64_at(event, &["deprecatedCount"]))
            .unwrap_or(1);
        KubeEvent {
            type_: str_at(event, &["type"]).unwrap_or("Normal").to_owned(),
            reason: str_at(event, &["reason"]).unwrap_or("").to_owned(),
            message: bounded(
                &super::mask::mask_url_passwords(
                    str_at(event, &["message"])
                        .or_else(|| str_at(event, &["note"]))
                        .unwrap_or(""),
                ),
                EVENT_MESSAGE_MAX,
            ),
            count,
            last_seen,
            source: string_at(event, &["reportingComponent"])
                .or_else(|| string_at(event, &["reportingController"]))
                .or_else(|| string_at(event, &["source", "component"]))
                .unwrap_or_default(),
        }
    }

    /// Whether this is a Warning event.
    pub fn is_warning(&self) -> bool {
        self.type_ == "Warning"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata;
    use serde_json::json;

    #[test]
    fn reads_core_v1_events() {
        let events: Vec<KubeEvent> = testdata::items("events-sock-shop.json")
            .iter()
            .map(KubeEvent::parse)
            .collect();
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].count, 12);
        assert_eq!(events[0].source, "kustomize-controller");
        assert!(events[0].last_seen.is_some());
        assert!(!events[0].is_warning());
    }

    #[test]
    fn reads_events_k8s_io_v1_events() {
        let e = KubeEvent::parse(&json!({
            "type": "Warning", "reason": "BuildFailed", "note": "kustomize build failed",
            "reportingController": "kustomize-controller",
            "series": {"count": 4, "lastObservedTime": "2026-08-07T11:55:03.000000Z"}
        }));
        assert_eq!(e.count, 4);
        assert_eq!(e.message, "kustomize build failed");
        assert!(e.is_warning());
        assert!(e.last_seen.is_some());
    }
}
