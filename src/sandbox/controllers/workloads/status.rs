//! Deployment status, pure: the counts the Deployment controller derives from its
//! ReplicaSets, the `Available`/`Progressing` conditions with Kubernetes' reasons and exact
//! messages, and how a condition is set (a new one only when its status or reason changes,
//! moved to the end of the list, `lastTransitionTime` kept while the status holds).

use serde_json::{Map, Value, json};

/// `Progressing` reasons and `Available` reasons (`deployment_util.go`).
pub(super) mod reason {
    /// A new ReplicaSet was created.
    pub const NEW_RS: &str = "NewReplicaSetCreated";
    /// An existing ReplicaSet became the new one.
    pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
    /// The rollout made progress.
    pub const RS_UPDATED: &str = "ReplicaSetUpdated";
    /// The rollout completed.
    pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
    /// No progress within `progressDeadlineSeconds`.
    pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
    /// `spec.paused` was set.
    pub const PAUSED: &str = "DeploymentPaused";
    /// `spec.paused` was cleared.
    pub const RESUMED: &str = "DeploymentResumed";
    /// Enough pods are available.
    pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
    /// Too few pods are available.
    pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
}

/// The `Progressing` message for `reason`, naming the new ReplicaSet (or the Deployment when
/// there is none).
pub(super) fn progressing_message(reason: &str, deployment: &str, rs: Option<&str>) -> String {
    let subject = match rs {
        Some(rs) => format!("ReplicaSet \"{rs}\""),
        None => format!("Deployment \"{deployment}\""),
    };
    match reason {
        reason::NEW_RS => format!("Created new replica set \"{}\"", rs.unwrap_or(deployment)),
        reason::FOUND_NEW_RS => format!("Found new replica set \"{}\"", rs.unwrap_or(deployment)),
        reason::RS_UPDATED => format!("{subject} is progressing."),
        reason::NEW_RS_AVAILABLE => format!("{subject} has successfully progressed."),
        reason::TIMED_OUT => format!("{subject} has timed out progressing."),
        reason::PAUSED => "Deployment is paused".to_string(),
        reason::RESUMED => "Deployment is resumed".to_string(),
        _ => String::new(),
    }
}

/// A Deployment condition, fields in the API's order.
pub(super) fn condition(kind: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "type": kind,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}

/// Condition `kind` of a status, if present.
pub(super) fn get<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// Removes condition `kind`.
pub(super) fn remove(status: &mut Value, kind: &str) {
    if let Some(list) = status["conditions"].as_array_mut() {
        list.retain(|c| c["type"] != kind);
    }
}

/// Sets `cond` as Kubernetes' `SetDeploymentCondition` does: nothing when a condition of the
/// type has the same status and reason; otherwise it replaces it at the end of the list,
/// keeping `lastTransitionTime` when the status is unchanged. Returns whether it changed.
pub(super) fn set(status: &mut Value, mut cond: Value) -> bool {
    let kind = cond["type"].clone();
    if let Some(current) = status["conditions"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["type"] == kind))
    {
        if current["status"] == cond["status"] && current["reason"] == cond["reason"] {
            return false;
        }
        if current["status"] == cond["status"] {
            cond["lastTransitionTime"] = current["lastTransitionTime"].clone();
        }
    }
    if !status.is_object() {
        *status = json!({});
    }
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    if let Some(list) = status["conditions"].as_array_mut() {
        list.retain(|c| c["type"] != kind);
        list.push(cond);
    }
    true
}

/// The counts a Deployment's status reports, from its ReplicaSets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    /// Pods of every ReplicaSet (their `status.replicas`).
    pub replicas: i32,
    /// Pods of the new ReplicaSet.
    pub updated: i32,
    /// Ready pods.
    pub ready: i32,
    /// Available pods.
    pub available: i32,
    /// `spec.replicas` of every ReplicaSet minus available pods (never negative).
    pub unavailable: i32,
}

/// The status counts of ReplicaSets `(spec.replicas, status)` with the new one's `status`.
pub(super) fn counts<'a>(
    all: impl Iterator<Item = (i32, &'a Value)>,
    new: Option<&Value>,
) -> Counts {
    let int = |v: &Value, k: &str| v[k].as_i64().unwrap_or(0) as i32;
    let mut c = Counts::default();
    let mut desired = 0;
    for (spec_replicas, status) in all {
        desired += spec_replicas;
        c.replicas += int(status, "replicas");
        c.ready += int(status, "readyReplicas");
        c.available += int(status, "availableReplicas");
    }
    c.updated = new.map(|s| int(s, "replicas")).unwrap_or(0);
    c.unavailable = (desired - c.available).max(0);
    c
}

/// The status `calculateStatus` writes: `observedGeneration`, the counts (zero counts left
/// out, as the API's `omitempty` does), the earlier conditions, and `Available` set against
/// `replicas - maxUnavailable`.
pub(super) fn calculate(
    old: &Value,
    generation: i64,
    c: Counts,
    replicas: i32,
    max_unavailable: i32,
    now: &str,
) -> Value {
    let mut s = Map::new();
    s.insert("observedGeneration".into(), json!(generation));
    for (key, value) in [
        ("replicas", c.replicas),
        ("updatedReplicas", c.updated),
        ("readyReplicas", c.ready),
        ("availableReplicas", c.available),
        ("unavailableReplicas", c.unavailable),
    ] {
        if value != 0 {
            s.insert(key.into(), json!(value));
        }
    }
    if let Some(list) = old["conditions"].as_array().filter(|l| !l.is_empty()) {
        s.insert("conditions".into(), Value::Array(list.clone()));
    }
    if let Some(n) = old["collisionCount"].as_i64() {
        s.insert("collisionCount".into(), json!(n));
    }
    let mut status = Value::Object(s);
    let available = if c.available >= replicas - max_unavailable {
        condition(
            "Available",
            "True",
            reason::MIN_AVAILABLE,
            "Deployment has minimum availability.",
            now,
        )
    } else {
        condition(
            "Available",
            "False",
            reason::MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    };
    set(&mut status, available);
    status
}

/// Whether the rollout is complete: every pod updated and available, none extra, and the
/// latest generation observed.
pub(super) fn complete(c: Counts, replicas: i32, observed: i64, generation: i64) -> bool {
    c.updated == replicas
        && c.replicas == replicas
        && c.available == replicas
        && observed >= generation
}

/// Whether `new` shows progress over `old` (more updated, ready or available pods, or fewer
/// old ones).
pub(super) fn progressed(old: &Value, new: Counts) -> bool {
    let int = |k: &str| old[k].as_i64().unwrap_or(0) as i32;
    let old_old = int("replicas") - int("updatedReplicas");
    let new_old = new.replicas - new.updated;
    new.updated > int("updatedReplicas")
        || new_old < old_old
        || new.ready > int("readyReplicas")
        || new.available > int("availableReplicas")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_kubernetes_words() {
        assert_eq!(
            progressing_message(reason::NEW_RS, "web", Some("web-5c89db9f57")),
            "Created new replica set \"web-5c89db9f57\""
        );
        assert_eq!(
            progressing_message(reason::RS_UPDATED, "web", Some("web-5c89db9f57")),
            "ReplicaSet \"web-5c89db9f57\" is progressing."
        );
        assert_eq!(
            progressing_message(reason::NEW_RS_AVAILABLE, "web", Some("web-5c89db9f57")),
            "ReplicaSet \"web-5c89db9f57\" has successfully progressed."
        );
        assert_eq!(
            progressing_message(reason::TIMED_OUT, "web", None),
            "Deployment \"web\" has timed out progressing."
        );
        assert_eq!(
            progressing_message(reason::PAUSED, "web", None),
            "Deployment is paused"
        );
    }

    #[test]
    fn a_condition_changes_only_with_its_status_or_reason_and_moves_last() {
        let mut s = json!({});
        assert!(set(
            &mut s,
            condition("Progressing", "True", "NewReplicaSetCreated", "m", "t1")
        ));
        assert!(set(
            &mut s,
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "m",
                "t1"
            )
        ));
        assert!(!set(
            &mut s,
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "other",
                "t2"
            )
        ));
        assert!(set(
            &mut s,
            condition("Progressing", "True", "ReplicaSetUpdated", "m2", "t3")
        ));
        let list = s["conditions"].as_array().unwrap();
        assert_eq!(list[0]["type"], "Available");
        assert_eq!(list[1]["type"], "Progressing");
        assert_eq!(list[1]["lastTransitionTime"], "t1");
        assert_eq!(list[1]["lastUpdateTime"], "t3");
        remove(&mut s, "Available");
        assert!(get(&s, "Available").is_none());
    }

    #[test]
    fn status_counts_leave_zeros_out_and_set_availability() {
        let old_rs = json!({"replicas": 2, "readyReplicas": 2, "availableReplicas": 2});
        let new_rs = json!({"replicas": 1});
        let c = counts([(2, &old_rs), (1, &new_rs)].into_iter(), Some(&new_rs));
        assert_eq!(
            c,
            Counts {
                replicas: 3,
                updated: 1,
                ready: 2,
                available: 2,
                unavailable: 1
            }
        );
        let s = calculate(&json!({}), 4, c, 2, 0, "t");
        assert_eq!(s["observedGeneration"], 4);
        assert_eq!(get(&s, "Available").unwrap()["status"], "True");
        let none = calculate(&json!({}), 1, Counts::default(), 1, 0, "t");
        assert!(none.get("replicas").is_none());
        assert_eq!(
            get(&none, "Available").unwrap()["message"],
            "Deployment does not have minimum availability."
        );
        assert!(complete(
            Counts {
                replicas: 2,
                updated: 2,
                ready: 2,
                available: 2,
                unavailable: 0
            },
            2,
            3,
            3
        ));
        let same = json!({"replicas": 3, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2});
        assert!(!progressed(&same, c));
        assert!(progressed(&json!({}), c));
    }
}
