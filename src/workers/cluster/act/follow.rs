//! Following an object after a write, until it settles as the flux CLI decides it: kstatus,
//! the Ready condition, and (after a reconcile request) `status.lastHandledReconcileAt`.

use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the message is the flux CLI's success message.
    Succeeded(String),
    /// Failed; the message names the object and the cause.
    Failed(String),
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// kstatus as the flux CLI computes it: `Current`, `InProgress` or `Failed`.
fn kstatus(obj: &Value) -> &'static str {
    let generation = obj["metadata"]["generation"].as_i64();
    let observed = obj["status"]["observedGeneration"].as_i64();
    if generation.is_some() && observed.is_some() && generation != observed {
        return "InProgress";
    }
    if condition(obj, "Reconciling").is_some_and(|c| c["status"] == "True") {
        return "InProgress";
    }
    if condition(obj, "Stalled").is_some_and(|c| c["status"] == "True") {
        return "Failed";
    }
    "Current"
}

/// The flux CLI's success message for a kind.
pub fn success_message(kind: &str, obj: &Value) -> String {
    let s = &obj["status"];
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
    match kind {
        "GitRepository" | "OCIRepository" | "Bucket" => {
            format!("fetched revision {}", str_of(&s["artifact"]["revision"]))
        }
        "Kustomization" => format!("applied revision {}", str_of(&s["lastAppliedRevision"])),
        "ImageRepository" => format!(
            "scan fetched {} tags",
            s["lastScanResult"]["tagCount"].as_i64().unwrap_or(0)
        ),
        "ImagePolicy" => {
            let r = &s["latestRef"];
            let mut out = format!("selected ref {}:{}", str_of(&r["name"]), str_of(&r["tag"]));
            if let Some(d) = r["digest"].as_str().filter(|d| !d.is_empty()) {
                out.push('@');
                out.push_str(d);
            }
            if r.is_null() {
                out = format!("selected ref {}", str_of(&s["latestImage"]));
            }
            out
        }
        "ImageUpdateAutomation" => {
            match condition(obj, "Ready").and_then(|c| c["message"].as_str()) {
                Some(m) => m.to_string(),
                None => match s["lastAutomationRunTime"].as_str() {
                    Some(t) => format!("last run {t}"),
                    None => "automation not yet run".to_string(),
                },
            }
        }
        _ => "reconciliation completed".to_string(),
    }
}

/// Where an object stands after a reconcile request, if it has settled.
pub(super) fn settled(kind: &str, obj: &Value, token: &str) -> Option<Outcome> {
    if obj["status"]["lastHandledReconcileAt"].as_str() != Some(token) {
        return None;
    }
    let ready = condition(obj, "Ready");
    let failing = ready.is_some_and(|c| c["status"] == "False");
    match kstatus(obj) {
        "Current" if ready.is_some_and(|c| c["status"] == "True") => {
            Some(Outcome::Succeeded(success_message(kind, obj)))
        }
        "Current" | "Failed" => Some(Outcome::Failed(format!(
            "{kind} reconciliation failed: '{}'",
            ready
                .and_then(|c| c["message"].as_str())
                .unwrap_or("not ready")
        ))),
        _ if failing
            && condition(obj, "Reconciling")
                .is_some_and(|c| c["reason"] == "ProgressingWithRetry") =>
        {
            Some(Outcome::Failed(format!(
                "{kind} reconciliation failed: '{}' (Flux will retry)",
                ready
                    .and_then(|c| c["message"].as_str())
                    .unwrap_or("not ready")
            )))
        }
        _ => None,
    }
}

/// Whether a resumed object is ready again (the CLI's `isObjectReady`).
pub(super) fn ready_after_resume(kind: &str, obj: &Value) -> Option<Outcome> {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(0);
    let ready = condition(obj, "Ready")?;
    let observed = match ready["observedGeneration"].as_i64() {
        Some(g) if g != 0 => g,
        _ => obj["status"]["observedGeneration"].as_i64().unwrap_or(0),
    };
    if observed != generation {
        return None;
    }
    match kstatus(obj) {
        "InProgress" => None,
        "Current" if ready["status"] == "True" => Some(Outcome::Succeeded(format!(
            "{kind} {} reconciliation completed; {}",
            obj["metadata"]["name"].as_str().unwrap_or_default(),
            success_message(kind, obj)
        ))),
        _ => Some(Outcome::Failed(format!(
            "{kind} reconciliation failed: '{}'",
            ready["message"].as_str().unwrap_or("not ready")
        ))),
    }
}

/// Watches one object until `done` says it settled or `timeout` passes. Watch errors
/// (a dropped connection, a 410) restart the watch; they do not end the action.
pub(super) async fn follow(
    api: &Api<DynamicObject>,
    name: &str,
    timeout: Duration,
    done: impl Fn(&Value) -> Option<Outcome>,
) -> Outcome {
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = watcher::watcher(api.clone(), config).default_backoff();
    let watch = async {
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            let obj = match ev {
                Ok(watcher::Event::Apply(o)) | Ok(watcher::Event::InitApply(o)) => o,
                Ok(watcher::Event::Delete(_)) => {
                    return Outcome::Failed(format!("{name} was deleted while waiting"));
                }
                _ => continue,
            };
            if let Ok(v) = serde_json::to_value(&obj)
                && let Some(o) = done(&v)
            {
                return o;
            }
        }
        Outcome::Failed(format!("lost the watch on {name}"))
    };
    match tokio::time::timeout(timeout, watch).await {
        Ok(o) => o,
        Err(_) => Outcome::Failed(format!(
            "timed out after {}s waiting for {name}; it may still finish: check its conditions",
            timeout.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ks(handled: &str, ready: &str, reconciling: Option<&str>) -> Value {
        let mut conds = vec![
            json!({"type": "Ready", "status": ready, "message": "Applied revision: main@sha1:abc", "reason": "x"}),
        ];
        if let Some(r) = reconciling {
            conds.push(json!({"type": "Reconciling", "status": "True", "reason": r}));
        }
        json!({"metadata": {"generation": 2, "name": "app"},
               "status": {"observedGeneration": 2, "lastHandledReconcileAt": handled,
                          "lastAppliedRevision": "main@sha1:abc", "conditions": conds}})
    }

    #[test]
    fn settles_only_on_the_requested_token_and_a_settled_ready() {
        assert_eq!(
            settled("Kustomization", &ks("old", "True", None), "new"),
            None
        );
        assert_eq!(
            settled(
                "Kustomization",
                &ks("new", "Unknown", Some("Progressing")),
                "new"
            ),
            None
        );
        assert_eq!(
            settled("Kustomization", &ks("new", "True", None), "new"),
            Some(Outcome::Succeeded("applied revision main@sha1:abc".into()))
        );
        assert!(matches!(
            settled("Kustomization", &ks("new", "False", Some("ProgressingWithRetry")), "new"),
            Some(Outcome::Failed(m)) if m.contains("reconciliation failed") && m.contains("retry")
        ));
    }

    #[test]
    fn success_messages_per_kind() {
        let ip = json!({"status": {"latestRef": {"name": "repo/app", "tag": "1.2.3"}}});
        assert_eq!(
            success_message("ImagePolicy", &ip),
            "selected ref repo/app:1.2.3"
        );
        let old = json!({"status": {"latestImage": "repo/app:1.0.0"}});
        assert_eq!(
            success_message("ImagePolicy", &old),
            "selected ref repo/app:1.0.0"
        );
        let ir = json!({"status": {"lastScanResult": {"tagCount": 7}}});
        assert_eq!(
            success_message("ImageRepository", &ir),
            "scan fetched 7 tags"
        );
        let gr = json!({"status": {"artifact": {"revision": "main@sha1:1"}}});
        assert_eq!(
            success_message("GitRepository", &gr),
            "fetched revision main@sha1:1"
        );
        assert_eq!(
            success_message("ImageUpdateAutomation", &json!({})),
            "automation not yet run"
        );
    }
}
