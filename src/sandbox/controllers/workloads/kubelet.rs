//! The scheduler and the kubelet: a new pod is bound to a node (round robin over the
//! scenario's nodes, `Scheduled`), its sandbox comes up, each container pulls (`Pulling`,
//! `Pulled` with duration and size, or `already present on machine`), is `Created` and
//! `Started`, and turns Ready; or its pull fails (`ErrImagePull`, then `ImagePullBackOff`,
//! retried with doubling back-off up to 5 minutes), or it exits and restarts under
//! `CrashLoopBackOff` (10s, 20s, ... 5m0s). A deleted pod's containers are stopped
//! (`Killing`) and the pod removed. Each step waits a paced delay on the pod's timer.

use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

use super::Manager;
use super::images::ImageFate;
use super::node::{first_look, resolved};
use super::podstatus::{PodRun, Step, render};
use super::rollout::next_backoff;
use super::sched::{Key, ObjKey};
use crate::sandbox::apiserver::store::{Target, now_rfc3339};
use crate::sandbox::controllers::events::Note;
use crate::sandbox::pace::MIN_INTERVAL;
use crate::sandbox::scenario::ids;

const KUBELET: &str = "kubelet";
const SCHEDULER: &str = "default-scheduler";
/// Image pull and crash-loop back-off: 10s doubling to 5m.
const BACKOFF_START: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// Transitions one container may make in one sync (when delays are zero).
const STEPS_PER_SYNC: usize = 8;

impl Manager {
    /// One sync of pod `key`: schedule, run, stop.
    pub(super) fn sync_pod(&mut self, key: &ObjKey) {
        let Some(pod) = self.value(self.types.pods, key) else {
            self.kubelet.pods.remove(key);
            return;
        };
        let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
        let mut run = match self.kubelet.pods.remove(key) {
            Some(run) if run.uid == uid => run,
            Some(stale) => {
                self.forget_logs(&stale);
                first_look(&pod, self.opts.timing.ready, &mut self.kubelet)
            }
            None => first_look(&pod, self.opts.timing.ready, &mut self.kubelet),
        };
        if !pod["metadata"]["deletionTimestamp"].is_null() {
            if self.stop(key, &pod, &mut run) {
                self.forget_logs(&run);
                return;
            }
        } else if !self.owner_alive(&pod, "ReplicaSet", self.types.replicasets) {
            // Its ReplicaSet is gone: garbage, deleted as any pod is.
            self.terminate_pod(key, &pod);
        } else if !run.adopted {
            self.advance(key, &pod, &mut run);
        }
        if let Some(at) = run.next() {
            self.timers.at(Key::Pod(key.clone()), at);
        }
        self.kubelet.pods.insert(key.clone(), run);
    }

    /// Forgets pod `key` (deleted, uid `uid`) and its containers' output.
    pub(super) fn kubelet_forget(&mut self, key: &ObjKey, uid: &str) {
        if let Some(run) = self.kubelet.pods.get(key).filter(|r| r.uid == uid).cloned() {
            self.kubelet.pods.remove(key);
            self.forget_logs(&run);
        }
    }

    fn forget_logs(&self, run: &PodRun) {
        for c in &run.containers {
            for id in [&c.id, &c.previous_id].into_iter().flatten() {
                self.store.logs().remove(id);
            }
        }
    }

    /// A back-off wait: paced, but never so short that a crash loop spins while the pace
    /// warps.
    pub(super) fn backoff_delay(&self, d: Duration) -> Duration {
        self.opts.pace.delay(d).max(MIN_INTERVAL)
    }

    /// Moves pod `key` along. (`run.containers` never changes length, so the indexes below,
    /// all from its own range, stay in bounds.)
    fn advance(&mut self, key: &ObjKey, pod: &Value, run: &mut PodRun) {
        let now = Instant::now();
        let timing = self.opts.timing.clone();
        let pace = self.opts.pace.clone();
        let mut changed = false;
        if run.placement.is_none() {
            if let Some(node) = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
                run.placement = Some(self.kubelet.place_on(node));
            } else {
                let at = *run
                    .schedule_at
                    .get_or_insert(now + pace.delay(timing.schedule));
                if at > now {
                    return;
                }
                let placement = self.kubelet.place();
                let node = placement.node.clone();
                let bound = self.write(self.types.pods, key, Target::Main, &|p| {
                    p["spec"]["nodeName"] = json!(node);
                });
                if bound.is_none() {
                    // Try again a little later (not at once: the write may keep failing).
                    run.schedule_at = Some(now + self.backoff_delay(timing.schedule));
                    return;
                }
                let msg = format!("Successfully assigned {}/{} to {node}", key.ns, key.name);
                self.recorder
                    .record(&self.store, pod, Note::normal(SCHEDULER, "Scheduled", msg));
                run.placement = Some(placement);
            }
        }
        if run.start_time.is_none() {
            run.start_time = Some(now_rfc3339());
            run.sandbox_at = Some(now + pace.delay(timing.sandbox));
            changed = true;
        }
        if !run.sandbox_ready && run.sandbox_at.is_some_and(|at| at <= now) {
            run.sandbox_ready = true;
            changed = true;
            for i in 0..run.containers.len() {
                self.begin_pull(pod, run, i, now);
            }
        }
        for i in 0..run.containers.len() {
            for _ in 0..STEPS_PER_SYNC {
                if !self.step(pod, run, i, now) {
                    break;
                }
                changed = true;
            }
        }
        if changed {
            let old = pod["status"].clone();
            let status = render(&old, pod, run, &now_rfc3339());
            if status != old {
                self.write(self.types.pods, key, Target::Status, &|p| {
                    p["status"] = status.clone();
                });
            }
        }
    }

    fn note(&mut self, pod: &Value, run: &PodRun, i: usize, note: Note<'_>) {
        let node = run
            .placement
            .as_ref()
            .map(|p| p.node.as_str())
            .unwrap_or("");
        let container = run.containers[i].name.clone();
        self.recorder
            .record(&self.store, pod, note.on(node, &container));
    }

    /// Starts pulling container `i`'s image (or finds it on the node).
    fn begin_pull(&mut self, pod: &Value, run: &mut PodRun, i: usize, now: Instant) {
        let timing = self.opts.timing.clone();
        let image = run.containers[i].image.clone();
        let fate = self.opts.images.fate(&image);
        let node = run
            .placement
            .as_ref()
            .map(|p| p.node.clone())
            .unwrap_or_default();
        let present = self.kubelet.present.contains(&(node, image.clone()));
        let unpullable = matches!(fate, ImageFate::Unpullable { .. });
        if present && !run.containers[i].always && !unpullable {
            let msg = format!("Container image \"{image}\" already present on machine");
            self.note(pod, run, i, Note::normal(KUBELET, "Pulled", msg));
            let c = &mut run.containers[i];
            c.resolved = Some(resolved(&image, &fate));
            c.pull_error = None;
            c.step = Step::Starting {
                at: now + self.opts.pace.delay(timing.start),
                fate,
            };
            return;
        }
        let took = if unpullable {
            timing.failed_pull
        } else if present {
            timing.repull
        } else {
            let (lo, hi) = timing.pull;
            let span = hi.saturating_sub(lo).as_millis() as u64;
            lo + Duration::from_millis(self.kubelet.rng.random_range(0..=span))
        };
        let msg = format!("Pulling image \"{image}\"");
        self.note(pod, run, i, Note::normal(KUBELET, "Pulling", msg));
        run.containers[i].step = Step::Pulling {
            at: now + self.opts.pace.delay(took),
            took,
            fate,
        };
    }

    /// Makes container `i`'s next transition if it is due; returns whether it did.
    fn step(&mut self, pod: &Value, run: &mut PodRun, i: usize, now: Instant) -> bool {
        let timing = self.opts.timing.clone();
        let pace = self.opts.pace.clone();
        let step = run.containers[i].step.clone();
        let image = run.containers[i].image.clone();
        match step {
            Step::Pulling { at, took, fate } if at <= now => {
                if let ImageFate::Unpullable { message } = &fate {
                    let failed = format!("Failed to pull image \"{image}\": {message}");
                    self.note(pod, run, i, Note::warning(KUBELET, "Failed", failed));
                    let error = "Error: ErrImagePull".to_string();
                    self.note(pod, run, i, Note::warning(KUBELET, "Failed", error));
                    let c = &mut run.containers[i];
                    let backoff = next_backoff(c.pull_backoff, BACKOFF_START, BACKOFF_MAX);
                    c.pull_backoff = Some(backoff);
                    c.pull_error = Some(message.clone());
                    let retry_at = now + self.backoff_delay(backoff);
                    c.step = Step::PullFailed {
                        message: message.clone(),
                        backoff_at: (now + pace.delay(timing.resync)).min(retry_at),
                        retry_at,
                    };
                    return true;
                }
                let millis = took.as_millis() as u64;
                let d = ids::go_duration(millis);
                let size = match &fate {
                    ImageFate::Runs { size, .. } | ImageFate::Crashes { size, .. } => *size,
                    ImageFate::Unpullable { .. } => 0,
                };
                let msg = format!(
                    "Successfully pulled image \"{image}\" in {d} ({d} including waiting). Image size: {size} bytes."
                );
                self.note(pod, run, i, Note::normal(KUBELET, "Pulled", msg));
                if let Some(p) = &run.placement {
                    self.kubelet.present.insert((p.node.clone(), image.clone()));
                }
                let c = &mut run.containers[i];
                c.resolved = Some(resolved(&image, &fate));
                c.pull_error = None;
                c.step = Step::Starting {
                    at: now + pace.delay(timing.start),
                    fate,
                };
                true
            }
            Step::PullFailed {
                message,
                backoff_at,
                retry_at,
            } if backoff_at <= now => {
                let msg = format!("Back-off pulling image \"{image}\"");
                self.note(pod, run, i, Note::normal(KUBELET, "BackOff", msg));
                let error = "Error: ImagePullBackOff".to_string();
                self.note(pod, run, i, Note::warning(KUBELET, "Failed", error));
                run.containers[i].step = Step::PullBackOff { message, retry_at };
                true
            }
            Step::PullBackOff { retry_at, .. } if retry_at <= now => {
                self.begin_pull(pod, run, i, now);
                true
            }
            Step::Starting { at, fate } if at <= now => {
                self.start(pod, run, i, now, fate);
                true
            }
            Step::Running {
                since,
                ready_at,
                ready,
                exit,
            } => {
                if let Some((_, code)) = exit.filter(|(at, _)| *at <= now) {
                    self.exit(pod, run, i, now, &since, code);
                    return true;
                }
                match ready_at {
                    Some(at) if !ready && at <= now => {
                        let c = &mut run.containers[i];
                        c.step = Step::Running {
                            since,
                            ready_at,
                            ready: true,
                            exit,
                        };
                        c.ready_since = Some(now);
                        true
                    }
                    _ => false,
                }
            }
            Step::Exited {
                terminated,
                restart_at,
                back_off,
            } if restart_at <= now => {
                let c = &mut run.containers[i];
                if back_off.is_some() {
                    c.crash_backoff =
                        Some(next_backoff(c.crash_backoff, BACKOFF_START, BACKOFF_MAX));
                }
                c.last = Some(terminated);
                c.restarts += 1;
                let fate = c
                    .fate
                    .clone()
                    .unwrap_or_else(|| self.opts.images.fate(&image));
                let msg = format!("Container image \"{image}\" already present on machine");
                self.note(pod, run, i, Note::normal(KUBELET, "Pulled", msg));
                self.start(pod, run, i, now, fate);
                true
            }
            _ => false,
        }
    }

    /// Creates and starts container `i` as `fate` says.
    fn start(&mut self, pod: &Value, run: &mut PodRun, i: usize, now: Instant, fate: ImageFate) {
        let name = run.containers[i].name.clone();
        self.note(
            pod,
            run,
            i,
            Note::normal(KUBELET, "Created", format!("Created container: {name}")),
        );
        self.note(
            pod,
            run,
            i,
            Note::normal(KUBELET, "Started", format!("Started container {name}")),
        );
        let id = self.kubelet.container_id();
        let pace = self.opts.pace.clone();
        let c = &mut run.containers[i];
        if let Some(older) = c.previous_id.take() {
            self.store.logs().remove(&older);
        }
        c.previous_id = c.id.replace(id.clone());
        let (ready_at, exit) = match &fate {
            ImageFate::Crashes {
                exit_code,
                after,
                log,
                ..
            } => {
                self.store.logs().put(&id, log.clone());
                (None, Some((now + pace.delay(*after), *exit_code)))
            }
            _ => {
                let ready = pace.delay(c.ready_after).max(pace.declared(c.probe_delay));
                (Some(now + ready), None)
            }
        };
        c.fate = Some(fate);
        c.step = Step::Running {
            since: now_rfc3339(),
            ready_at,
            ready: false,
            exit,
        };
    }

    /// Container `i` exited with `code`: restart at once the first time, else back off.
    fn exit(
        &mut self,
        pod: &Value,
        run: &mut PodRun,
        i: usize,
        now: Instant,
        since: &str,
        code: i32,
    ) {
        let c = &run.containers[i];
        let terminated = json!({
            "containerID": c.id.clone().unwrap_or_default(),
            "exitCode": code,
            "finishedAt": now_rfc3339(),
            "reason": if code == 0 { "Completed" } else { "Error" },
            "startedAt": since,
        });
        let (restart_at, back_off) = match c.crash_backoff {
            None => (now + self.opts.pace.delay(self.opts.timing.restart), None),
            Some(d) => {
                let name = &c.name;
                let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
                let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
                let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
                let msg = format!(
                    "Back-off restarting failed container {name} in pod {pod_name}_{ns}({uid})"
                );
                self.note(pod, run, i, Note::warning(KUBELET, "BackOff", msg));
                (now + self.backoff_delay(d), Some(d))
            }
        };
        let c = &mut run.containers[i];
        if c.crash_backoff.is_none() {
            c.crash_backoff = Some(BACKOFF_START);
        }
        c.ready_since = None;
        c.step = Step::Exited {
            terminated,
            restart_at,
            back_off,
        };
    }

    /// A pod being deleted: stop its containers (`Killing`), then remove it once they are
    /// down. Returns whether the pod is gone.
    fn stop(&mut self, key: &ObjKey, pod: &Value, run: &mut PodRun) -> bool {
        let now = Instant::now();
        if run.placement.is_none() && pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty) {
            return self.remove(self.types.pods, key);
        }
        if run.placement.is_none()
            && let Some(node) = pod["spec"]["nodeName"].as_str()
        {
            run.placement = Some(self.kubelet.place_on(node));
        }
        let kill_at = match run.kill_at {
            Some(at) => at,
            None => {
                let mut any_running = false;
                for i in 0..run.containers.len() {
                    if matches!(run.containers[i].step, Step::Running { .. }) {
                        any_running = true;
                        let msg = format!("Stopping container {}", run.containers[i].name);
                        self.note(pod, run, i, Note::normal(KUBELET, "Killing", msg));
                    }
                }
                let grace = pod["metadata"]["deletionGracePeriodSeconds"]
                    .as_u64()
                    .unwrap_or(30);
                let takes = if any_running {
                    self.opts.timing.kill
                } else {
                    self.opts.timing.kill / 5
                };
                let at = now + self.opts.pace.delay(takes.min(Duration::from_secs(grace)));
                run.kill_at = Some(at);
                at
            }
        };
        if kill_at <= now {
            return self.remove(self.types.pods, key);
        }
        false
    }
}
