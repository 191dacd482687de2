//! Status conditions as Flux controllers write them (`meta.Condition` with
//! `observedGeneration` and `lastTransitionTime` that only moves when the status changes).

use serde_json::{Value, json};

/// Sets condition `kind` in `status.conditions`, keeping `lastTransitionTime` when the
/// condition's status did not change.
pub fn set(
    status: &mut Value,
    kind: &str,
    value: &str,
    reason: &str,
    message: &str,
    generation: i64,
    now: &str,
) {
    if !status.is_object() {
        *status = json!({});
    }
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    let new = |since: &str| {
        json!({
            "type": kind,
            "status": value,
            "reason": reason,
            "message": message,
            "observedGeneration": generation,
            "lastTransitionTime": since,
        })
    };
    if let Some(list) = status["conditions"].as_array_mut() {
        match list.iter_mut().find(|c| c["type"] == kind) {
            Some(c) => {
                let since = if c["status"] == value {
                    c["lastTransitionTime"].as_str().unwrap_or(now).to_string()
                } else {
                    now.to_string()
                };
                *c = new(&since);
            }
            None => list.push(new(now)),
        }
        // Flux keeps Ready first, as kstatus readers expect.
        list.sort_by_key(|c| c["type"] != "Ready");
    }
}

/// Removes condition `kind`.
pub fn remove(status: &mut Value, kind: &str) {
    if let Some(list) = status["conditions"].as_array_mut() {
        list.retain(|c| c["type"] != kind);
    }
}

/// The status of condition `kind`, if present.
pub fn get<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_when_the_status_changes() {
        let mut s = json!({});
        set(&mut s, "Ready", "True", "Succeeded", "ok", 1, "t1");
        set(&mut s, "Ready", "True", "Succeeded", "still ok", 2, "t2");
        assert_eq!(get(&s, "Ready").unwrap()["lastTransitionTime"], "t1");
        assert_eq!(get(&s, "Ready").unwrap()["message"], "still ok");
        set(&mut s, "Reconciling", "True", "Progressing", "x", 2, "t3");
        set(&mut s, "Ready", "False", "Failed", "boom", 2, "t4");
        assert_eq!(get(&s, "Ready").unwrap()["lastTransitionTime"], "t4");
        assert_eq!(s["conditions"][0]["type"], "Ready");
        remove(&mut s, "Reconciling");
        assert!(get(&s, "Reconciling").is_none());
    }
}
