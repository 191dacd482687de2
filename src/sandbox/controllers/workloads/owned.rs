//! The Deployment controller's dealings with its ReplicaSets: which ones it owns, which one
//! is new (its template is the Deployment's, ignoring `pod-template-hash`), creating that one
//! (`<deployment>-<hash>`, the scenario's `template_hash`), the revision annotations, scaling
//! with `ScalingReplicaSet` events, and trimming history to `revisionHistoryLimit`.

use serde_json::{Map, Value, json};

use super::Manager;
use super::index::controller_of;
use super::rollout::{self, Strategy};
use super::sched::{Key, ObjKey};
use super::status::{self, reason};
use crate::sandbox::apiserver::store::{Target, now_rfc3339};
use crate::sandbox::controllers::events::Note;
use crate::sandbox::scenario::pods::default_pod_spec;

/// `deployment.kubernetes.io/revision`.
pub(super) const REVISION: &str = "deployment.kubernetes.io/revision";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
const MAX: &str = "deployment.kubernetes.io/max-replicas";
/// Annotations a Deployment does not pass on to its ReplicaSets.
const NOT_COPIED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED,
    MAX,
    "deprecated.deployment.rollback.to",
];
/// The longest `revision-history` annotation.
const MAX_HISTORY_CHARS: usize = 2000;
const COMPONENT: &str = "deployment-controller";

/// A ReplicaSet of a Deployment, as last read or written.
#[derive(Debug, Clone)]
pub(super) struct Rs {
    pub key: ObjKey,
    pub obj: Value,
}

impl Rs {
    /// `spec.replicas`.
    pub(super) fn replicas(&self) -> i32 {
        rollout::replicas(&self.obj["spec"])
    }

    /// A status count (`replicas`, `availableReplicas`, ...).
    pub(super) fn status(&self, key: &str) -> i32 {
        self.obj["status"][key].as_i64().unwrap_or(0) as i32
    }

    /// Its revision (0 when unset or malformed).
    pub(super) fn revision(&self) -> i64 {
        self.annotation(REVISION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.obj["metadata"]["annotations"][key].as_str()
    }

    /// Creation order (creationTimestamp, then name, as Kubernetes sorts them).
    pub(super) fn age_key(&self) -> (String, String) {
        let created = self.obj["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap_or_default();
        (created.to_string(), self.key.name.clone())
    }
}

/// A pod template without the hash label and with the pod spec defaults, for comparing a
/// Deployment's template with a ReplicaSet's.
fn normalized(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("pod-template-hash");
    }
    if let Some(spec) = t.pointer_mut("/spec") {
        default_pod_spec(spec);
    }
    t
}

/// Sorts an object's keys (Go writes maps sorted).
fn sorted(map: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}

/// Sets `deployment.kubernetes.io/desired-replicas` and `max-replicas`; returns whether
/// either changed.
fn set_replica_annotations(rs: &mut Value, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (key, value) in [(DESIRED, desired), (MAX, max)] {
        let value = value.to_string();
        if rs["metadata"]["annotations"][key].as_str() != Some(value.as_str()) {
            rs["metadata"]["annotations"][key] = json!(value);
            changed = true;
        }
    }
    changed
}

/// Gives the new ReplicaSet the Deployment's annotations and revision `new_revision`
/// (keeping earlier revisions in `revision-history` when an old template comes back).
fn set_new_rs_annotations(d: &Value, rs: &mut Value, new_revision: i64) -> bool {
    if !rs["metadata"]["annotations"].is_object() {
        rs["metadata"]["annotations"] = json!({});
    }
    let mut changed = false;
    if let Some(from) = d["metadata"]["annotations"].as_object() {
        for (k, v) in from {
            if NOT_COPIED.contains(&k.as_str()) || rs["metadata"]["annotations"][k] == *v {
                continue;
            }
            rs["metadata"]["annotations"][k] = v.clone();
            changed = true;
        }
    }
    let old = rs["metadata"]["annotations"][REVISION]
        .as_str()
        .map(str::to_string);
    let old_revision = match old.as_deref().map(str::parse::<i64>) {
        Some(Ok(n)) => n,
        Some(Err(_)) => return changed,
        None => 0,
    };
    if old_revision < new_revision {
        rs["metadata"]["annotations"][REVISION] = json!(new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            let history = rs["metadata"]["annotations"][REVISION_HISTORY]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut revisions: Vec<&str> = history.split(',').filter(|r| !r.is_empty()).collect();
            revisions.push(&old);
            while revisions.join(",").len() > MAX_HISTORY_CHARS && revisions.len() > 1 {
                revisions.remove(0);
            }
            rs["metadata"]["annotations"][REVISION_HISTORY] = json!(revisions.join(","));
        }
    }
    if let Some(m) = rs["metadata"]["annotations"].as_object_mut() {
        *m = sorted(std::mem::take(m));
    }
    changed
}

impl Manager {
    /// The ReplicaSets the Deployment `key` (uid `uid`) controls, oldest first. Ones that
    /// name an earlier Deployment of the same name are garbage, and deleted.
    pub(super) fn owned_replica_sets(&mut self, key: &ObjKey, uid: &str) -> Vec<Rs> {
        let mut out = Vec::new();
        for rk in self.rs_owners.children(key) {
            let Some(obj) = self.value(self.types.replicasets, &rk) else {
                continue;
            };
            match controller_of(&obj, "Deployment") {
                Some((_, owner)) if owner == uid => out.push(Rs { key: rk, obj }),
                Some(_) => {
                    self.remove(self.types.replicasets, &rk);
                }
                None => {}
            }
        }
        out.sort_by_key(Rs::age_key);
        out
    }

    /// Finds the new ReplicaSet (creating it with `create`), brings its annotations and the
    /// Deployment's revision up to date, and returns its index in `rss`.
    pub(super) fn new_replica_set(
        &mut self,
        key: &ObjKey,
        d: &mut Value,
        rss: &mut Vec<Rs>,
        create: bool,
    ) -> Option<usize> {
        let template = normalized(&d["spec"]["template"]);
        let found = rss
            .iter()
            .position(|rs| normalized(&rs.obj["spec"]["template"]) == template);
        let max_old = rss
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != found)
            .map(|(_, rs)| rs.revision())
            .max()
            .unwrap_or(0);
        let new_revision = max_old + 1;
        if let Some(i) = found {
            let mut obj = rss[i].obj.clone();
            let mut changed = set_new_rs_annotations(d, &mut obj, new_revision);
            let min_ready = d["spec"]["minReadySeconds"].as_i64().unwrap_or(0);
            if obj["spec"]["minReadySeconds"].as_i64().unwrap_or(0) != min_ready {
                obj["spec"]["minReadySeconds"] = json!(min_ready);
                changed = true;
            }
            if changed {
                let rk = rss[i].key.clone();
                if let Some(stored) = self.write(self.types.replicasets, &rk, Target::Main, &|rs| {
                    rs["metadata"]["annotations"] = obj["metadata"]["annotations"].clone();
                    rs["spec"]["minReadySeconds"] = obj["spec"]["minReadySeconds"].clone();
                }) {
                    rss[i].obj = stored;
                }
                return Some(i);
            }
            let revision = rss[i].revision().to_string();
            self.set_revision(key, d, &revision);
            let deadline = d["spec"]["progressDeadlineSeconds"].is_i64();
            if deadline && status::get(&d["status"], "Progressing").is_none() {
                let msg = status::progressing_message(
                    reason::FOUND_NEW_RS,
                    &key.name,
                    Some(&rss[i].key.name),
                );
                let cond = status::condition(
                    "Progressing",
                    "True",
                    reason::FOUND_NEW_RS,
                    &msg,
                    &now_rfc3339(),
                );
                let mut new_status = d["status"].clone();
                self.set_progressing(key, &mut new_status, cond);
                self.write_deployment_status(key, d, new_status);
            }
            return Some(i);
        }
        if !create {
            return None;
        }
        self.create_replica_set(key, d, rss, new_revision)
    }

    /// Creates the new ReplicaSet of `d` at the size the strategy allows now.
    fn create_replica_set(
        &mut self,
        key: &ObjKey,
        d: &mut Value,
        rss: &mut Vec<Rs>,
        revision: i64,
    ) -> Option<usize> {
        let mut template = d["spec"]["template"].clone();
        let collisions = d["status"]["collisionCount"].as_i64().unwrap_or(0);
        let hash = if collisions == 0 {
            self.ids.template_hash(&template)
        } else {
            self.ids.template_hash(&json!([template, collisions]))
        };
        let name = format!("{}-{hash}", key.name);
        let mut labels = template["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        labels.insert("pod-template-hash".into(), json!(hash));
        let labels = sorted(labels);
        template["metadata"]["labels"] = Value::Object(labels.clone());
        let mut selector = d["spec"]["selector"].clone();
        selector["matchLabels"]["pod-template-hash"] = json!(hash);
        let replicas = rollout::replicas(&d["spec"]);
        let strategy = Strategy::of(&d["spec"]);
        let total: i32 = rss.iter().map(Rs::replicas).sum();
        let size = rollout::new_rs_replicas(strategy, replicas, total, 0);
        let mut rs = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": key.ns,
                "labels": labels,
                "annotations": {},
                "ownerReferences": [{
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": key.name,
                    "uid": d["metadata"]["uid"],
                    "controller": true,
                    "blockOwnerDeletion": true,
                }],
            },
            "spec": {"replicas": size},
        });
        let min_ready = d["spec"]["minReadySeconds"].as_i64().unwrap_or(0);
        if min_ready > 0 {
            rs["spec"]["minReadySeconds"] = json!(min_ready);
        }
        rs["spec"]["selector"] = selector;
        rs["spec"]["template"] = template;
        set_new_rs_annotations(d, &mut rs, revision);
        set_replica_annotations(&mut rs, replicas, replicas + strategy.surge);
        if let Some(m) = rs["metadata"]["annotations"].as_object_mut() {
            *m = sorted(std::mem::take(m));
        }
        let created = match self
            .store
            .create(self.types.replicasets, &key.ns, rs, false)
        {
            Ok(stored) => stored,
            Err(e) if e.code == 409 => {
                // The name is taken by a ReplicaSet of another template: count a collision so
                // the next sync hashes differently.
                let mut new_status = d["status"].clone();
                new_status["collisionCount"] = json!(collisions + 1);
                self.write_deployment_status(key, d, new_status);
                self.queue.push(Key::Deployment(key.clone()));
                return None;
            }
            Err(e) => {
                let msg = format!("Failed to create new replica set \"{name}\": {}", e.message);
                self.recorder.record(
                    &self.store,
                    d,
                    Note::warning(COMPONENT, "ReplicaSetCreateError", msg.clone()),
                );
                let mut new_status = d["status"].clone();
                let cond = status::condition(
                    "Progressing",
                    "False",
                    "ReplicaSetCreateError",
                    &msg,
                    &now_rfc3339(),
                );
                self.set_progressing(key, &mut new_status, cond);
                self.write_deployment_status(key, d, new_status);
                self.retry_later(Key::Deployment(key.clone()));
                return None;
            }
        };
        let obj = match created.value() {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("new replica set {name} does not parse: {}", e.message);
                return None;
            }
        };
        let rk = ObjKey::new(&key.ns, &name);
        self.rs_owners.set(&rk, Some(&key.name));
        if size > 0 {
            let msg = format!("Scaled up replica set {name} from 0 to {size}");
            self.recorder.record(
                &self.store,
                d,
                Note::normal(COMPONENT, "ScalingReplicaSet", msg),
            );
        }
        self.set_revision(key, d, &revision.to_string());
        if d["spec"]["progressDeadlineSeconds"].is_i64() {
            let msg = status::progressing_message(reason::NEW_RS, &key.name, Some(&name));
            let cond =
                status::condition("Progressing", "True", reason::NEW_RS, &msg, &now_rfc3339());
            let mut new_status = d["status"].clone();
            self.set_progressing(key, &mut new_status, cond);
            self.write_deployment_status(key, d, new_status);
        }
        rss.push(Rs {
            key: rk.clone(),
            obj,
        });
        self.sync_replicaset(&rk);
        Some(rss.len() - 1)
    }

    /// Sets the Deployment's revision annotation (a metadata write; no new generation).
    fn set_revision(&mut self, key: &ObjKey, d: &mut Value, revision: &str) {
        if d["metadata"]["annotations"][REVISION].as_str() == Some(revision) {
            return;
        }
        let revision = revision.to_string();
        if let Some(stored) = self.write(self.types.deployments, key, Target::Main, &|o| {
            if !o["metadata"]["annotations"].is_object() {
                o["metadata"]["annotations"] = json!({});
            }
            o["metadata"]["annotations"][REVISION] = json!(revision);
        }) {
            *d = stored;
        }
    }

    /// Scales `rss[i]` to `size` (and its replica annotations to the Deployment's), with a
    /// `ScalingReplicaSet` event; its ReplicaSet controller acts at once. Returns whether the
    /// size changed.
    pub(super) fn scale_rs(&mut self, d: &Value, rss: &mut [Rs], i: usize, size: i32) -> bool {
        let Some(rs) = rss.get(i) else {
            return false;
        };
        let old = rs.replicas();
        let replicas = rollout::replicas(&d["spec"]);
        let max = replicas + Strategy::of(&d["spec"]).surge;
        let mut probe = rs.obj.clone();
        let annotations = set_replica_annotations(&mut probe, replicas, max);
        if old == size && !annotations {
            return false;
        }
        let rk = rs.key.clone();
        let Some(stored) = self.write(self.types.replicasets, &rk, Target::Main, &|o| {
            o["spec"]["replicas"] = json!(size);
            set_replica_annotations(o, replicas, max);
            if let Some(m) = o["metadata"]["annotations"].as_object_mut() {
                *m = sorted(std::mem::take(m));
            }
        }) else {
            return false;
        };
        rss[i].obj = stored;
        if old == size {
            return false;
        }
        let direction = if old < size { "up" } else { "down" };
        let msg = format!(
            "Scaled {direction} replica set {} from {old} to {size}",
            rk.name
        );
        self.recorder.record(
            &self.store,
            d,
            Note::normal(COMPONENT, "ScalingReplicaSet", msg),
        );
        self.sync_replicaset(&rk);
        true
    }

    /// Deletes the oldest old ReplicaSets beyond `revisionHistoryLimit` (only empty ones).
    pub(super) fn cleanup(&mut self, d: &Value, rss: &[Rs], new: Option<usize>) {
        let Some(limit) = d["spec"]["revisionHistoryLimit"].as_i64() else {
            return;
        };
        if limit == i64::from(i32::MAX) {
            return;
        }
        let mut old: Vec<&Rs> = rss
            .iter()
            .enumerate()
            .filter(|(i, rs)| Some(*i) != new && rs.obj["metadata"]["deletionTimestamp"].is_null())
            .map(|(_, rs)| rs)
            .collect();
        let surplus = old.len() as i64 - limit;
        if surplus <= 0 {
            return;
        }
        old.sort_by_key(|rs| (rs.revision(), rs.age_key()));
        for rs in old.into_iter().take(surplus as usize) {
            let generation = rs.obj["metadata"]["generation"].as_i64().unwrap_or(0);
            let observed = rs.obj["status"]["observedGeneration"].as_i64().unwrap_or(0);
            if rs.status("replicas") != 0 || rs.replicas() != 0 || generation > observed {
                continue;
            }
            self.remove(self.types.replicasets, &rs.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compare_without_the_hash_and_with_defaults() {
        let d = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}});
        let mut rs = d.clone();
        rs["metadata"]["labels"]["pod-template-hash"] = json!("5c89db9f57");
        default_pod_spec(&mut rs["spec"]);
        assert_eq!(normalized(&d), normalized(&rs));
        rs["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert_ne!(normalized(&d), normalized(&rs));
    }

    #[test]
    fn revisions_move_to_the_new_replica_set_and_history_keeps_the_old_ones() {
        let d = json!({"metadata": {"annotations": {"team": "shop", REVISION: "3"}}});
        let mut rs = json!({"metadata": {}});
        assert!(set_new_rs_annotations(&d, &mut rs, 1));
        assert_eq!(rs["metadata"]["annotations"][REVISION], "1");
        assert_eq!(rs["metadata"]["annotations"]["team"], "shop");
        // Rolled back to: revision 1 becomes 4, history remembers 1.
        assert!(set_new_rs_annotations(&d, &mut rs, 4));
        assert_eq!(rs["metadata"]["annotations"][REVISION], "4");
        assert_eq!(rs["metadata"]["annotations"][REVISION_HISTORY], "1");
        assert!(!set_new_rs_annotations(&d, &mut rs, 2));
        let keys: Vec<&String> = rs["metadata"]["annotations"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort();
        assert_eq!(keys, sorted_keys);
        assert!(set_replica_annotations(&mut rs, 3, 4));
        assert_eq!(rs["metadata"]["annotations"][MAX], "4");
        assert!(!set_replica_annotations(&mut rs, 3, 4));
    }
}
