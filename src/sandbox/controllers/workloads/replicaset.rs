//! The ReplicaSet controller: as many active pods as `spec.replicas` (new ones from the
//! template with `generateName: <rs>-`, surplus ones chosen as Kubernetes ranks them:
//! unscheduled, pending, unready, recently ready, restarted, newer first), with
//! `SuccessfulCreate`/`SuccessfulDelete` events, and the status counts. A pod is removed
//! gracefully: `deletionTimestamp` and `deletionGracePeriodSeconds` first (kubectl shows it
//! `Terminating`), then the kubelet stops it and deletes it.

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Manager;
use super::index::controller_of;
use super::rollout;
use super::sched::{Key, ObjKey};
use super::times;
use crate::sandbox::apiserver::store::Target;
use crate::sandbox::controllers::events::Note;
use crate::sandbox::scenario::ids;
use crate::sandbox::scenario::pods::{admit_pod_spec, default_pod_spec, parse_time, qos_class};

/// The most pods one sync creates or deletes (kube-controller-manager's `burstReplicas`).
const BURST: usize = 500;
const COMPONENT: &str = "replicaset-controller";

/// Whether a pod counts towards its ReplicaSet: not being deleted, not finished.
pub(super) fn active(pod: &Value) -> bool {
    pod["metadata"]["deletionTimestamp"].is_null()
        && !matches!(
            pod["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed")
        )
}

/// Whether a pod's `Ready` condition is True.
pub(super) fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|l| {
        l.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// The order in which surplus pods go (smallest first).
fn deletion_rank(pod: &Value) -> impl Ord + use<> {
    let assigned = pod["spec"]["nodeName"]
        .as_str()
        .is_some_and(|n| !n.is_empty());
    let phase = match pod["status"]["phase"].as_str() {
        Some("Pending") | None => 0,
        Some("Unknown") => 1,
        _ => 2,
    };
    let is_ready = ready(pod);
    let cost: i64 = pod["metadata"]["annotations"]["controller.kubernetes.io/pod-deletion-cost"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let ready_since = pod["status"]["conditions"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|c| c["type"] == "Ready" && c["status"] == "True")
        })
        .map(|c| parse_time(&c["lastTransitionTime"]))
        .unwrap_or(0);
    let restarts: i64 = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["restartCount"].as_i64())
        .max()
        .unwrap_or(0);
    let created = parse_time(&pod["metadata"]["creationTimestamp"]);
    (
        assigned,
        phase,
        is_ready,
        cost,
        Reverse(ready_since),
        Reverse(restarts),
        Reverse(created),
    )
}

/// A pod for `rs` from its template, with the API server's defaults and admission's.
fn pod_for(rs: &Value) -> Value {
    let ns = rs["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = rs["metadata"]["name"].as_str().unwrap_or_default();
    let template = &rs["spec"]["template"];
    let mut spec = template["spec"].clone();
    default_pod_spec(&mut spec);
    admit_pod_spec(&mut spec, None, true);
    let qos = qos_class(&spec);
    let mut meta = Map::new();
    // The API server fills in the name from generateName, in the first place.
    meta.insert("name".into(), json!(""));
    meta.insert("generateName".into(), json!(format!("{name}-")));
    meta.insert("namespace".into(), json!(ns));
    for key in ["labels", "annotations"] {
        if let Some(m) = template["metadata"][key]
            .as_object()
            .filter(|m| !m.is_empty())
        {
            meta.insert(key.into(), Value::Object(m.clone()));
        }
    }
    meta.insert(
        "ownerReferences".into(),
        json!([{
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": name,
            "uid": rs["metadata"]["uid"],
            "controller": true,
            "blockOwnerDeletion": true,
        }]),
    );
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos},
    })
}

impl Manager {
    /// One sync of ReplicaSet `key`.
    pub(super) fn sync_replicaset(&mut self, key: &ObjKey) {
        let Some(rs) = self.value(self.types.replicasets, key) else {
            return;
        };
        if !self.owner_alive(&rs, "Deployment", self.types.deployments) {
            // Its Deployment is gone: garbage. The delete's change takes its pods along.
            self.remove(self.types.replicasets, key);
            return;
        }
        let uid = rs["metadata"]["uid"].as_str().unwrap_or_default();
        let mut pods: Vec<(ObjKey, Value)> = Vec::new();
        for pk in self.pod_owners.children(key) {
            let Some(pod) = self.value(self.types.pods, &pk) else {
                continue;
            };
            if controller_of(&pod, "ReplicaSet").is_some_and(|(_, owner)| owner == uid) {
                pods.push((pk, pod));
            }
        }
        let mut live: Vec<(ObjKey, Value)> = pods.into_iter().filter(|(_, p)| active(p)).collect();
        let want = rollout::replicas(&rs["spec"]).max(0) as usize;
        if rs["metadata"]["deletionTimestamp"].is_null() {
            if live.len() < want {
                for _ in 0..(want - live.len()).min(BURST) {
                    if let Some(created) = self.create_pod(&rs) {
                        live.push(created);
                    }
                }
            } else if live.len() > want {
                live.sort_by_key(|(_, p)| deletion_rank(p));
                let surplus = (live.len() - want).min(BURST);
                for (pk, pod) in live.drain(..surplus) {
                    if self.terminate_pod(&pk, &pod) {
                        let msg = format!("Deleted pod: {}", pk.name);
                        self.recorder.record(
                            &self.store,
                            &rs,
                            Note::normal(COMPONENT, "SuccessfulDelete", msg),
                        );
                    }
                }
            }
        }
        self.write_rs_status(key, &rs, &live);
    }

    /// Creates one pod of `rs`; returns its key and object.
    fn create_pod(&mut self, rs: &Value) -> Option<(ObjKey, Value)> {
        let ns = rs["metadata"]["namespace"].as_str().unwrap_or_default();
        let rs_name = rs["metadata"]["name"].as_str().unwrap_or_default();
        let stored = match self.store.create(self.types.pods, ns, pod_for(rs), false) {
            Ok(stored) => stored,
            Err(e) => {
                let msg = format!("Error creating: {}", e.message);
                self.recorder.record(
                    &self.store,
                    rs,
                    Note::warning(COMPONENT, "FailedCreate", msg),
                );
                return None;
            }
        };
        let pk = ObjKey::new(ns, &stored.name);
        self.pod_owners.set(&pk, Some(rs_name));
        self.queue.push(Key::Pod(pk.clone()));
        let msg = format!("Created pod: {}", stored.name);
        self.recorder.record(
            &self.store,
            rs,
            Note::normal(COMPONENT, "SuccessfulCreate", msg),
        );
        let pod = stored.value().ok()?;
        Some((pk, pod))
    }

    /// Deletes a pod as the API server does on `DELETE`: an unscheduled one at once, a
    /// scheduled one gracefully (`deletionTimestamp` = now + its grace period; the kubelet
    /// stops it and removes it). Returns whether the delete was accepted.
    pub(super) fn terminate_pod(&mut self, key: &ObjKey, pod: &Value) -> bool {
        if !pod["metadata"]["deletionTimestamp"].is_null() {
            return false;
        }
        let scheduled = pod["spec"]["nodeName"]
            .as_str()
            .is_some_and(|n| !n.is_empty());
        if !scheduled {
            return self.remove(self.types.pods, key);
        }
        let grace = pod["spec"]["terminationGracePeriodSeconds"]
            .as_i64()
            .unwrap_or(30)
            .max(0);
        let at = ids::rfc3339(jiff::Timestamp::now().as_second() + grace);
        let done = self.write(self.types.pods, key, Target::Main, &|p| {
            p["metadata"]["deletionTimestamp"] = json!(at);
            p["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
        });
        if done.is_some() {
            self.queue.push(Key::Pod(key.clone()));
        }
        done.is_some()
    }

    /// Writes the ReplicaSet's status from its active pods.
    fn write_rs_status(&mut self, key: &ObjKey, rs: &Value, live: &[(ObjKey, Value)]) {
        let labels = rs["spec"]["template"]["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let fully_labeled = live
            .iter()
            .filter(|(_, p)| labels.iter().all(|(k, v)| p["metadata"]["labels"][k] == *v))
            .count();
        let min_ready = rs["spec"]["minReadySeconds"].as_i64().unwrap_or(0).max(0) as u64;
        let min_ready = self.opts.pace.delay(Duration::from_secs(min_ready));
        let now = Instant::now();
        let mut ready_count = 0;
        let mut available = 0;
        let mut recheck: Option<Instant> = None;
        for (pk, pod) in live.iter().filter(|(_, p)| ready(p)) {
            ready_count += 1;
            if min_ready.is_zero() {
                available += 1;
                continue;
            }
            let since = self
                .kubelet
                .ready_since(pk)
                .or_else(|| times::ready_time(pod))
                .unwrap_or(now);
            if since + min_ready <= now {
                available += 1;
            } else {
                let at = since + min_ready;
                recheck = Some(recheck.map_or(at, |r| r.min(at)));
            }
        }
        if let Some(at) = recheck {
            self.timers.at(Key::ReplicaSet(key.clone()), at);
        }
        let mut status = Map::new();
        status.insert("replicas".into(), json!(live.len()));
        for (k, n) in [
            ("fullyLabeledReplicas", fully_labeled),
            ("readyReplicas", ready_count),
            ("availableReplicas", available),
        ] {
            if n > 0 {
                status.insert(k.into(), json!(n));
            }
        }
        if let Some(g) = rs["metadata"]["generation"].as_i64() {
            status.insert("observedGeneration".into(), json!(g));
        }
        if let Some(c) = rs["status"]["conditions"]
            .as_array()
            .filter(|c| !c.is_empty())
        {
            status.insert("conditions".into(), Value::Array(c.clone()));
        }
        let status = Value::Object(status);
        if rs["status"] == status {
            return;
        }
        self.write(self.types.replicasets, key, Target::Status, &|o| {
            o["status"] = status.clone();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(node: &str, phase: &str, ready: bool, created: &str) -> Value {
        json!({
            "metadata": {"creationTimestamp": created},
            "spec": {"nodeName": node},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": if ready { "True" } else { "False" }, "lastTransitionTime": created}
            ]}
        })
    }

    #[test]
    fn surplus_pods_go_unscheduled_pending_unready_and_newest_first() {
        let running_old = pod("n1", "Running", true, "2026-01-01T00:00:00Z");
        let running_new = pod("n1", "Running", true, "2026-01-01T00:05:00Z");
        let unready = pod("n1", "Running", false, "2026-01-01T00:00:00Z");
        let pending = pod("n1", "Pending", false, "2026-01-01T00:00:00Z");
        let unscheduled = pod("", "Pending", false, "2026-01-01T00:00:00Z");
        let mut all = [&running_old, &unready, &running_new, &unscheduled, &pending];
        all.sort_by_key(|p| deletion_rank(p));
        assert_eq!(
            all,
            [&unscheduled, &pending, &unready, &running_new, &running_old]
        );
    }

    #[test]
    fn pods_come_from_the_template_with_owner_and_generate_name() {
        let rs = json!({
            "metadata": {"name": "web-5c89db9f57", "namespace": "ns", "uid": "u-1"},
            "spec": {"template": {
                "metadata": {"labels": {"app": "web", "pod-template-hash": "5c89db9f57"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
            }}
        });
        let p = pod_for(&rs);
        assert_eq!(p["metadata"]["generateName"], "web-5c89db9f57-");
        assert_eq!(p["metadata"]["ownerReferences"][0]["uid"], "u-1");
        assert_eq!(p["metadata"]["labels"]["pod-template-hash"], "5c89db9f57");
        assert_eq!(p["spec"]["serviceAccountName"], "default");
        assert_eq!(
            p["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        assert_eq!(p["status"]["phase"], "Pending");
        assert!(active(&p));
        assert!(!ready(&p));
    }
}
