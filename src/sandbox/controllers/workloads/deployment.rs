//! The Deployment controller's sync, as kube-controller-manager's `deployment-controller`
//! runs it: pause conditions, scaling events (proportional mid-rollout), the `RollingUpdate`
//! and `Recreate` rollouts one step per sync, and the status with `Available`/`Progressing`
//! and the progress deadline (paced).
//!
//! A sync works on `rss`, the Deployment's ReplicaSets oldest first; it only ever grows
//! during a sync (a new ReplicaSet is pushed), and every index into it comes from its own
//! range or from `new_replica_set` (a position in it), so indexing stays in bounds.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Manager;
use super::owned::Rs;
use super::rollout::{self, RsCounts, Share, Strategy};
use super::sched::{Key, ObjKey};
use super::status::{self, reason};
use super::times;
use crate::sandbox::apiserver::store::{Target, now_rfc3339};

/// While the pace warps (no delays), a stuck rollout is looked at again after this long
/// rather than timing out at once.
const WARP_RECHECK: Duration = Duration::from_secs(1);

impl Manager {
    /// One sync of Deployment `key`.
    pub(super) fn sync_deployment(&mut self, key: &ObjKey) {
        let Some(mut d) = self.value(self.types.deployments, key) else {
            return;
        };
        let uid = d["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut rss = self.owned_replica_sets(key, &uid);
        let selector = &d["spec"]["selector"];
        let empty = |k: &str| {
            selector[k].as_object().is_none_or(|m| m.is_empty())
                && selector[k].as_array().is_none_or(|a| a.is_empty())
        };
        if empty("matchLabels") && empty("matchExpressions") {
            // Kubernetes refuses to select every pod; so does the sandbox.
            return;
        }
        self.check_paused(key, &mut d);
        if d["spec"]["paused"] == true || self.scaling_event(key, &mut d, &mut rss) {
            self.scale_sync(key, &mut d, &mut rss);
        } else if Strategy::of(&d["spec"]).recreate {
            self.rollout_recreate(key, &mut d, &mut rss);
        } else {
            self.rollout_rolling(key, &mut d, &mut rss);
        }
    }

    /// Writes `Progressing=Unknown DeploymentPaused/DeploymentResumed` when `spec.paused`
    /// changed (not over a timed-out rollout).
    fn check_paused(&mut self, key: &ObjKey, d: &mut Value) {
        if !d["spec"]["progressDeadlineSeconds"].is_i64() {
            return;
        }
        let current = status::get(&d["status"], "Progressing");
        let current_reason = current
            .and_then(|c| c["reason"].as_str())
            .unwrap_or_default();
        if current_reason == reason::TIMED_OUT {
            return;
        }
        let paused = d["spec"]["paused"] == true;
        let was_paused = current_reason == reason::PAUSED;
        let why = match (paused, was_paused) {
            (true, false) => reason::PAUSED,
            (false, true) => reason::RESUMED,
            _ => return,
        };
        let msg = status::progressing_message(why, &key.name, None);
        let cond = status::condition("Progressing", "Unknown", why, &msg, &now_rfc3339());
        let mut new_status = d["status"].clone();
        self.set_progressing(key, &mut new_status, cond);
        self.write_deployment_status(key, d, new_status);
    }

    /// Whether an active ReplicaSet was sized for another replica count than the
    /// Deployment's (its `desired-replicas` annotation).
    fn scaling_event(&mut self, key: &ObjKey, d: &mut Value, rss: &mut Vec<Rs>) -> bool {
        self.new_replica_set(key, d, rss, false);
        let replicas = rollout::replicas(&d["spec"]).to_string();
        rss.iter().filter(|rs| rs.replicas() > 0).any(|rs| {
            rs.obj["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"]
                .as_str()
                .is_some_and(|desired| desired != replicas)
        })
    }

    /// A paused Deployment or a scaling event: resize, never roll.
    fn scale_sync(&mut self, key: &ObjKey, d: &mut Value, rss: &mut Vec<Rs>) {
        let new = self.new_replica_set(key, d, rss, false);
        self.scale(d, rss, new);
        if d["spec"]["paused"] == true {
            self.cleanup(d, rss, new);
        }
        let (counts, replicas, unavailable) = self.counts(d, rss, new);
        let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
        let new_status = status::calculate(
            &d["status"],
            generation,
            counts,
            replicas,
            unavailable,
            &now_rfc3339(),
        );
        self.write_deployment_status(key, d, new_status);
    }

    /// Resizes the ReplicaSets to the Deployment's replica count: the only active one (or
    /// the newest) takes it all; mid-rollout, the change is spread in proportion.
    fn scale(&mut self, d: &Value, rss: &mut [Rs], new: Option<usize>) {
        let replicas = rollout::replicas(&d["spec"]);
        let active: Vec<usize> = (0..rss.len()).filter(|i| rss[*i].replicas() > 0).collect();
        let target = match active.as_slice() {
            [] => new.or_else(|| {
                // The newest old one (rss is oldest first).
                (0..rss.len()).rev().find(|i| Some(*i) != new)
            }),
            [only] => Some(*only),
            _ => None,
        };
        if let Some(i) = target {
            if rss[i].replicas() != replicas {
                self.scale_rs(d, rss, i, replicas);
            }
            return;
        }
        if let Some(n) = new {
            let rs = &rss[n];
            let desired =
                rs.obj["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"]
                    .as_str()
                    .and_then(|s| s.parse::<i32>().ok());
            let saturated = rs.replicas() == replicas
                && desired == Some(replicas)
                && rs.status("availableReplicas") == replicas;
            if saturated {
                for i in active.into_iter().filter(|i| *i != n) {
                    self.scale_rs(d, rss, i, 0);
                }
                return;
            }
        }
        let strategy = Strategy::of(&d["spec"]);
        if strategy.recreate {
            return;
        }
        let total: i32 = active.iter().map(|i| rss[*i].replicas()).sum();
        let allowed = if replicas > 0 {
            replicas + strategy.surge
        } else {
            0
        };
        let mut order = active;
        // Largest first; among equals newer first when growing, older first when shrinking.
        order.sort_by(|a, b| {
            let (ra, rb) = (&rss[*a], &rss[*b]);
            rb.replicas().cmp(&ra.replicas()).then_with(|| {
                if allowed > total {
                    rb.age_key().cmp(&ra.age_key())
                } else {
                    ra.age_key().cmp(&rb.age_key())
                }
            })
        });
        let shares: Vec<Share> = order
            .iter()
            .map(|i| Share {
                replicas: rss[*i].replicas(),
                max_before:
                    rss[*i].obj["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"]
                        .as_str()
                        .and_then(|s| s.parse().ok()),
            })
            .collect();
        let status_replicas = d["status"]["replicas"].as_i64().unwrap_or(0) as i32;
        let sizes = rollout::proportional(&shares, replicas, strategy.surge, status_replicas);
        for (i, size) in order.into_iter().zip(sizes) {
            self.scale_rs(d, rss, i, size);
        }
    }

    /// One step of a rolling update: grow the new ReplicaSet within surge, else shrink the
    /// old ones within unavailability, else (complete) trim history; then the status.
    fn rollout_rolling(&mut self, key: &ObjKey, d: &mut Value, rss: &mut Vec<Rs>) {
        let Some(n) = self.new_replica_set(key, d, rss, true) else {
            self.rollout_status(key, d, rss, None);
            return;
        };
        let replicas = rollout::replicas(&d["spec"]);
        let strategy = Strategy::of(&d["spec"]);
        let current = rss[n].replicas();
        if current != replicas {
            let size = if current > replicas {
                replicas
            } else {
                let total = rss.iter().map(Rs::replicas).sum();
                rollout::new_rs_replicas(strategy, replicas, total, current)
            };
            if self.scale_rs(d, rss, n, size) {
                self.rollout_status(key, d, rss, Some(n));
                return;
            }
        }
        if self.scale_down_old(d, rss, n, strategy, replicas) {
            self.rollout_status(key, d, rss, Some(n));
            return;
        }
        self.cleanup_if_complete(d, rss, Some(n));
        self.rollout_status(key, d, rss, Some(n));
    }

    /// Shrinks the old ReplicaSets as far as availability allows (unavailable pods first).
    fn scale_down_old(
        &mut self,
        d: &Value,
        rss: &mut [Rs],
        n: usize,
        strategy: Strategy,
        replicas: i32,
    ) -> bool {
        let old: Vec<usize> = (0..rss.len())
            .filter(|i| *i != n && rss[*i].replicas() > 0)
            .collect();
        if old.is_empty() {
            return false;
        }
        let all_total: i32 = rss.iter().map(Rs::replicas).sum();
        let new = RsCounts {
            replicas: rss[n].replicas(),
            available: rss[n].status("availableReplicas"),
        };
        let budget = rollout::max_scaled_down(strategy, replicas, all_total, &new);
        if budget <= 0 {
            return false;
        }
        let counts: Vec<RsCounts> = old
            .iter()
            .map(|i| RsCounts {
                replicas: rss[*i].replicas(),
                available: rss[*i].status("availableReplicas"),
            })
            .collect();
        let (sizes, cleaned) = rollout::cleanup_unhealthy(&counts, budget);
        for (i, size) in old.iter().zip(&sizes) {
            self.scale_rs(d, rss, *i, *size);
        }
        let available: i32 = rss.iter().map(|rs| rs.status("availableReplicas")).sum();
        let after = rollout::scale_down_old(strategy, replicas, available, &sizes);
        let mut scaled = 0;
        for ((i, before), size) in old.iter().zip(&sizes).zip(after) {
            if size != *before {
                self.scale_rs(d, rss, *i, size);
                scaled += before - size;
            }
        }
        cleaned + scaled > 0
    }

    /// One step of a `Recreate` rollout: every old pod goes before the new ReplicaSet grows.
    fn rollout_recreate(&mut self, key: &ObjKey, d: &mut Value, rss: &mut Vec<Rs>) {
        let mut new = self.new_replica_set(key, d, rss, false);
        let old_active: Vec<usize> = (0..rss.len())
            .filter(|i| Some(*i) != new && rss[*i].replicas() > 0)
            .collect();
        let mut scaled = false;
        for i in old_active {
            scaled |= self.scale_rs(d, rss, i, 0);
        }
        if scaled || self.old_pods_running(rss, new) {
            self.rollout_status(key, d, rss, new);
            return;
        }
        if new.is_none() {
            new = self.new_replica_set(key, d, rss, true);
        }
        if let Some(n) = new {
            let replicas = rollout::replicas(&d["spec"]);
            if rss[n].replicas() != replicas {
                self.scale_rs(d, rss, n, replicas);
            }
        }
        self.cleanup_if_complete(d, rss, new);
        self.rollout_status(key, d, rss, new);
    }

    /// Whether an old ReplicaSet still has pods (terminating ones count until gone).
    fn old_pods_running(&self, rss: &[Rs], new: Option<usize>) -> bool {
        rss.iter().enumerate().any(|(i, rs)| {
            if Some(i) == new {
                return false;
            }
            if rs.status("replicas") > 0 {
                return true;
            }
            self.pod_owners.children(&rs.key).iter().any(|pk| {
                self.value(self.types.pods, pk).is_some_and(|p| {
                    !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
                })
            })
        })
    }

    fn cleanup_if_complete(&mut self, d: &Value, rss: &[Rs], new: Option<usize>) {
        let int = |k: &str| d["status"][k].as_i64().unwrap_or(0) as i32;
        let counts = status::Counts {
            replicas: int("replicas"),
            updated: int("updatedReplicas"),
            ready: int("readyReplicas"),
            available: int("availableReplicas"),
            unavailable: int("unavailableReplicas"),
        };
        let replicas = rollout::replicas(&d["spec"]);
        let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
        let observed = d["status"]["observedGeneration"].as_i64().unwrap_or(0);
        if status::complete(counts, replicas, observed, generation) {
            self.cleanup(d, rss, new);
        }
    }

    /// Counts of the ReplicaSets, the replica count and the unavailability allowed.
    fn counts(&self, d: &Value, rss: &[Rs], new: Option<usize>) -> (status::Counts, i32, i32) {
        let counts = status::counts(
            rss.iter().map(|rs| (rs.replicas(), &rs.obj["status"])),
            new.map(|n| &rss[n].obj["status"]),
        );
        let replicas = rollout::replicas(&d["spec"]);
        (counts, replicas, Strategy::of(&d["spec"]).unavailable)
    }

    /// The status after a rollout step: counts, `Available`, and `Progressing` judged
    /// against the last one (complete, progressing, or past its deadline).
    fn rollout_status(&mut self, key: &ObjKey, d: &mut Value, rss: &[Rs], new: Option<usize>) {
        let now = now_rfc3339();
        let (counts, replicas, unavailable) = self.counts(d, rss, new);
        let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
        let mut new_status = status::calculate(
            &d["status"],
            generation,
            counts,
            replicas,
            unavailable,
            &now,
        );
        let deadline = d["spec"]["progressDeadlineSeconds"]
            .as_i64()
            .filter(|s| *s != i64::from(i32::MAX));
        if deadline.is_none() {
            status::remove(&mut new_status, "Progressing");
        }
        let current = status::get(&d["status"], "Progressing").cloned();
        let reason_of = |c: &Option<Value>| {
            c.as_ref()
                .and_then(|c| c["reason"].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let finished =
            counts.replicas == counts.updated && reason_of(&current) == reason::NEW_RS_AVAILABLE;
        let rs_name = new.map(|n| rss[n].key.name.as_str());
        if let Some(deadline) = deadline.filter(|_| !finished) {
            if status::complete(counts, replicas, generation, generation) {
                let msg = status::progressing_message(reason::NEW_RS_AVAILABLE, &key.name, rs_name);
                let cond =
                    status::condition("Progressing", "True", reason::NEW_RS_AVAILABLE, &msg, &now);
                self.set_progressing(key, &mut new_status, cond);
            } else if status::progressed(&d["status"], counts) {
                let msg = status::progressing_message(reason::RS_UPDATED, &key.name, rs_name);
                let mut cond =
                    status::condition("Progressing", "True", reason::RS_UPDATED, &msg, &now);
                if let Some(c) = &current {
                    if c["status"] == "True" {
                        cond["lastTransitionTime"] = c["lastTransitionTime"].clone();
                    }
                    status::remove(&mut new_status, "Progressing");
                }
                self.set_progressing(key, &mut new_status, cond);
            } else if self.timed_out(key, &new_status, deadline) {
                let msg = status::progressing_message(reason::TIMED_OUT, &key.name, rs_name);
                let cond = status::condition("Progressing", "False", reason::TIMED_OUT, &msg, &now);
                self.set_progressing(key, &mut new_status, cond);
            }
            self.requeue_stuck(key, &new_status, deadline, counts, replicas, generation);
        }
        status::remove(&mut new_status, "ReplicaFailure");
        self.write_deployment_status(key, d, new_status);
    }

    /// Sets a `Progressing` condition and, when it changed, notes the time (the deadline
    /// counts from it).
    pub(super) fn set_progressing(&mut self, key: &ObjKey, status: &mut Value, cond: Value) {
        if status::set(status, cond) {
            self.progress.insert(key.clone(), Instant::now());
        }
    }

    /// How long ago the rollout last showed progress.
    fn since_progress(&self, key: &ObjKey, status: &Value) -> Duration {
        if let Some(at) = self.progress.get(key) {
            return at.elapsed();
        }
        status::get(status, "Progressing")
            .and_then(|c| c["lastUpdateTime"].as_str())
            .map(|t| times::instant_of(t).elapsed())
            .unwrap_or(Duration::ZERO)
    }

    fn timed_out(&self, key: &ObjKey, status: &Value, deadline: i64) -> bool {
        let Some(c) = status::get(status, "Progressing") else {
            return false;
        };
        match c["reason"].as_str() {
            Some(reason::NEW_RS_AVAILABLE) => false,
            Some(reason::TIMED_OUT) => true,
            _ if self.opts.pace.warping() => false,
            _ => {
                let limit = self
                    .opts
                    .pace
                    .declared(Duration::from_secs(deadline.max(0) as u64));
                self.since_progress(key, status) >= limit
            }
        }
    }

    /// Looks at a rollout again when its deadline passes, if nothing happens before.
    fn requeue_stuck(
        &mut self,
        key: &ObjKey,
        status: &Value,
        deadline: i64,
        counts: status::Counts,
        replicas: i32,
        generation: i64,
    ) {
        let Some(c) = status::get(status, "Progressing") else {
            return;
        };
        if status::complete(counts, replicas, generation, generation)
            || c["reason"] == reason::TIMED_OUT
            || c["reason"] == reason::NEW_RS_AVAILABLE
        {
            return;
        }
        let wait = if self.opts.pace.warping() {
            WARP_RECHECK
        } else {
            let limit = self
                .opts
                .pace
                .declared(Duration::from_secs(deadline.max(0) as u64));
            limit.saturating_sub(self.since_progress(key, status)) + Duration::from_millis(1)
        };
        self.timers
            .at(Key::Deployment(key.clone()), Instant::now() + wait);
    }

    /// Writes `new_status` as the Deployment's status when it differs.
    pub(super) fn write_deployment_status(
        &mut self,
        key: &ObjKey,
        d: &mut Value,
        new_status: Value,
    ) {
        if d["status"] == new_status {
            return;
        }
        if let Some(stored) = self.write(self.types.deployments, key, Target::Status, &|o| {
            o["status"] = new_status.clone();
        }) {
            *d = stored;
        }
    }
}
