//! The sandbox's live workloads: a Deployment controller, a ReplicaSet controller, a
//! scheduler and a kubelet, playing Kubernetes 1.33 over the store so a client watching pods
//! sees a real rollout (a new ReplicaSet, surge pods going Pending → ContainerCreating →
//! Running, old pods Terminating then gone) and real failures (`ErrImagePull` /
//! `ImagePullBackOff`, `CrashLoopBackOff` with restarts counting up, `Progressing=False
//! ProgressDeadlineExceeded`), with the Events and pod logs a cluster shows.
//!
//! One task owns all state. It reacts to the store's changes (its own writes included) and to
//! per-object timers on one heap; a change queues the keys it concerns (the object, its
//! owner), and each sync reads only its object and what the owner indexes say it owns. Every
//! simulated delay goes through [`Pace::delay`]. Writes go through `Store::create`,
//! `modify` (status through `Target::Status`) and `delete`; a failed write is logged and
//! retried by the next change or timer.

mod deployment;
mod images;
mod index;
mod kubelet;
mod node;
mod owned;
mod podstatus;
mod replicaset;
mod rollout;
mod sched;
mod status;
mod times;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::selectors::{FieldSelector, LabelSelector};
use crate::sandbox::apiserver::store::{Change, EventKind, Store, Target};
use crate::sandbox::pace::Pace;
use crate::sandbox::scenario::ids::Ids;

pub use images::{AnyImage, ImageFate, ImageSource};

use super::events::EventLog;
use index::Owners;
use node::Kubelet;
use sched::{Key, ObjKey, Queue, Timers};

/// How long the simulated steps take before [`Pace`] scales them (defaults are what a small
/// EKS cluster shows).
#[derive(Debug, Clone)]
pub struct Timing {
    /// From a pod's creation to its binding to a node.
    pub schedule: Duration,
    /// From the binding to the pod's sandbox (network) being ready, when pulls start.
    pub sandbox: Duration,
    /// The shortest and longest pull of an image new to the node.
    pub pull: (Duration, Duration),
    /// A pull of an image the node already has (`imagePullPolicy: Always`).
    pub repull: Duration,
    /// How long containerd takes to give up on an image it cannot pull.
    pub failed_pull: Duration,
    /// From a pulled image to the container's start.
    pub start: Duration,
    /// From the start to Ready, for containers without a readiness probe; with one, its
    /// `initialDelaySeconds` when that is longer.
    pub ready: Duration,
    /// From `Stopping container` to the pod's removal (never longer than its grace period).
    pub kill: Duration,
    /// From a first crash to the immediate restart (before back-off applies).
    pub restart: Duration,
    /// How long the kubelet shows `ErrImagePull` before its next sync shows
    /// `ImagePullBackOff`.
    pub resync: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        let ms = Duration::from_millis;
        Timing {
            schedule: ms(200),
            sandbox: ms(400),
            pull: (ms(1000), ms(3000)),
            repull: ms(500),
            failed_pull: ms(800),
            start: ms(500),
            ready: ms(1000),
            kill: ms(1000),
            restart: ms(1000),
            resync: ms(1000),
        }
    }
}

/// How the workload controllers behave.
#[derive(Clone)]
pub struct WorkloadOptions {
    /// The pace of every simulated delay (and of `progressDeadlineSeconds`).
    pub pace: Pace,
    /// What pulling and running each image does.
    pub images: Arc<dyn ImageSource>,
    /// Worker nodes pods are placed on (the scenario's EKS node names and IPs).
    pub nodes: usize,
    /// The seed of `pod-template-hash`: the scenario's seed, so a template the scenario
    /// seeded and the same template applied live get the same ReplicaSet name.
    pub seed: u64,
    /// How long the Events of a deleted object stay (paced).
    pub event_linger: Duration,
    /// Step durations.
    pub timing: Timing,
}

impl Default for WorkloadOptions {
    /// Real time, every image runs, three nodes, seed 1 (the scenario's default).
    fn default() -> Self {
        WorkloadOptions {
            pace: Pace::default(),
            images: Arc::new(AnyImage),
            nodes: 3,
            seed: 1,
            event_linger: Duration::from_secs(120),
            timing: Timing::default(),
        }
    }
}

impl std::fmt::Debug for WorkloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkloadOptions")
            .field("pace", &self.pace)
            .field("nodes", &self.nodes)
            .field("seed", &self.seed)
            .field("event_linger", &self.event_linger)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// Starts the controllers on the current runtime; they run until the store's broadcast closes
/// or the handle is aborted. Every Deployment, ReplicaSet and pod already stored is
/// reconciled first (running pods are adopted as they are).
pub fn spawn(store: Arc<Store>, options: WorkloadOptions) -> tokio::task::JoinHandle<()> {
    // Subscribed before the first list, so no change between the two is missed.
    let rx = store.subscribe();
    tokio::spawn(async move {
        match Manager::new(store, options) {
            Some(m) => m.run(rx).await,
            None => tracing::warn!(
                "workload controllers not started: the store serves no Deployments, ReplicaSets, Pods or Events"
            ),
        }
    })
}

/// Syncs run between two looks at the store's changes.
const BATCH: usize = 64;

/// The type ids of the kinds the controllers touch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Types {
    deployments: TypeId,
    replicasets: TypeId,
    pods: TypeId,
    events: TypeId,
}

/// All state of the controllers; each sync is a method (in the file of its controller).
pub(super) struct Manager {
    store: Arc<Store>,
    types: Types,
    opts: WorkloadOptions,
    ids: Ids,
    queue: Queue,
    timers: Timers,
    /// ReplicaSet → Deployment.
    rs_owners: Owners,
    /// Pod → ReplicaSet.
    pod_owners: Owners,
    recorder: EventLog,
    kubelet: Kubelet,
    /// When each Deployment last showed progress (for `progressDeadlineSeconds`).
    progress: HashMap<ObjKey, Instant>,
}

impl Manager {
    fn new(store: Arc<Store>, opts: WorkloadOptions) -> Option<Manager> {
        let reg = store.resources();
        let types = Types {
            deployments: reg.by_path("apps", "v1", "deployments")?,
            replicasets: reg.by_path("apps", "v1", "replicasets")?,
            pods: reg.by_path("", "v1", "pods")?,
            events: reg.by_path("", "v1", "events")?,
        };
        Some(Manager {
            types,
            ids: Ids::new(opts.seed),
            queue: Queue::default(),
            timers: Timers::default(),
            rs_owners: Owners::default(),
            pod_owners: Owners::default(),
            recorder: EventLog::new(types.events),
            kubelet: Kubelet::new(opts.nodes),
            progress: HashMap::new(),
            store,
            opts,
        })
    }

    async fn run(mut self, mut rx: broadcast::Receiver<Arc<Change>>) {
        self.resync();
        loop {
            loop {
                match rx.try_recv() {
                    Ok(change) => self.on_change(&change),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Lagged(n)) => {
                        tracing::warn!("workload controllers missed {n} changes; resyncing");
                        self.resync();
                    }
                    Err(TryRecvError::Closed) => return,
                }
            }
            for key in self.timers.due(Instant::now()) {
                self.queue.push(key);
            }
            if !self.queue.is_empty() {
                for _ in 0..BATCH {
                    let Some(key) = self.queue.pop() else {
                        break;
                    };
                    self.sync(key);
                }
                tokio::task::yield_now().await;
                continue;
            }
            let next = self.timers.next();
            tokio::select! {
                got = rx.recv() => match got {
                    Ok(change) => self.on_change(&change),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("workload controllers missed {n} changes; resyncing");
                        self.resync();
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = sleep_until(next) => {}
            }
        }
    }

    fn sync(&mut self, key: Key) {
        match key {
            Key::Deployment(k) => self.sync_deployment(&k),
            Key::ReplicaSet(k) => self.sync_replicaset(&k),
            Key::Pod(k) => self.sync_pod(&k),
            Key::Events(uid) => self.recorder.forget(&self.store, &uid),
        }
    }

    /// Rebuilds the owner indexes from the store and queues every object (at start, and
    /// after missing changes).
    fn resync(&mut self) {
        self.rs_owners.clear();
        self.pod_owners.clear();
        let all = |ty| {
            self.store
                .list(
                    ty,
                    None,
                    &LabelSelector::default(),
                    &FieldSelector::default(),
                    None,
                    None,
                )
                .map(|page| page.items)
                .unwrap_or_default()
        };
        let (deployments, replicasets, pods) = (
            all(self.types.deployments),
            all(self.types.replicasets),
            all(self.types.pods),
        );
        for o in deployments {
            self.queue
                .push(Key::Deployment(ObjKey::new(&o.namespace, &o.name)));
        }
        for o in replicasets {
            let key = ObjKey::new(&o.namespace, &o.name);
            let owner = owner_name(&o.json, "Deployment");
            self.rs_owners.set(&key, owner.as_deref());
            self.queue.push(Key::ReplicaSet(key));
        }
        for o in pods {
            let key = ObjKey::new(&o.namespace, &o.name);
            let owner = owner_name(&o.json, "ReplicaSet");
            self.pod_owners.set(&key, owner.as_deref());
            self.queue.push(Key::Pod(key));
        }
    }

    /// Queues what a change concerns and keeps the owner indexes current.
    fn on_change(&mut self, c: &Change) {
        let key = ObjKey::new(&c.object.namespace, &c.object.name);
        let deleted = c.kind == EventKind::Deleted;
        if c.type_id == self.types.deployments {
            if deleted {
                for rs in self.rs_owners.children(&key) {
                    self.queue.push(Key::ReplicaSet(rs));
                }
                self.progress.remove(&key);
                self.forget_events_later(&c.object.uid);
            } else {
                self.queue.push(Key::Deployment(key));
            }
        } else if c.type_id == self.types.replicasets {
            let owner = if deleted {
                for pod in self.pod_owners.children(&key) {
                    self.queue.push(Key::Pod(pod));
                }
                self.forget_events_later(&c.object.uid);
                self.rs_owners.remove(&key)
            } else {
                let owner = owner_name(&c.object.json, "Deployment");
                self.rs_owners.set(&key, owner.as_deref());
                self.queue.push(Key::ReplicaSet(key.clone()));
                self.rs_owners.owner(&key)
            };
            if let Some(d) = owner {
                self.queue.push(Key::Deployment(d));
            }
        } else if c.type_id == self.types.pods {
            let owner = if deleted {
                self.kubelet_forget(&key, &c.object.uid);
                self.forget_events_later(&c.object.uid);
                self.pod_owners.remove(&key)
            } else {
                let owner = owner_name(&c.object.json, "ReplicaSet");
                self.pod_owners.set(&key, owner.as_deref());
                self.queue.push(Key::Pod(key.clone()));
                self.pod_owners.owner(&key)
            };
            if let Some(rs) = owner {
                // A Recreate rollout waits for the last old pod to be gone, and a
                // terminating pod's removal changes no ReplicaSet count: tell the Deployment.
                if deleted && let Some(d) = self.rs_owners.owner(&rs) {
                    self.queue.push(Key::Deployment(d));
                }
                self.queue.push(Key::ReplicaSet(rs));
            }
        }
    }

    /// Syncs `key` again after a failed write nothing else would retry (5 s, paced, never
    /// less than [`crate::sandbox::pace::MIN_INTERVAL`]).
    fn retry_later(&mut self, key: Key) {
        let wait = self.backoff_delay(Duration::from_secs(5));
        self.timers.at(key, Instant::now() + wait);
    }

    /// Drops the Events recorded about `uid` after the linger time.
    fn forget_events_later(&mut self, uid: &str) {
        let at = Instant::now() + self.opts.pace.delay(self.opts.event_linger);
        self.timers.at(Key::Events(uid.to_string()), at);
    }

    /// The object `key` of type `ty`, parsed.
    fn value(&self, ty: TypeId, key: &ObjKey) -> Option<Value> {
        let stored = self.store.get(ty, &key.ns, &key.name)?;
        match stored.value() {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!("{key} does not parse: {}", e.message);
                None
            }
        }
    }

    /// Changes object `key` with `f` (its status with `Target::Status`); the store skips a
    /// change that changes nothing. Returns the object as stored, or `None` (logged) when the
    /// write failed: the next change or timer retries.
    fn write(
        &self,
        ty: TypeId,
        key: &ObjKey,
        target: Target,
        f: &dyn Fn(&mut Value),
    ) -> Option<Value> {
        let result = self.store.modify(
            ty,
            &key.ns,
            &key.name,
            target,
            false,
            &|old| {
                let mut new = old.clone();
                f(&mut new);
                Ok(new)
            },
            None,
        );
        match result.and_then(|(stored, _)| stored.value()) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::debug!("write of {key} skipped: {}", e.message);
                None
            }
        }
    }

    /// Deletes object `key` of type `ty` (now; pods go through `terminate` first).
    fn remove(&self, ty: TypeId, key: &ObjKey) -> bool {
        match self.store.delete(ty, &key.ns, &key.name, false) {
            Ok(_) => true,
            Err(e) => {
                tracing::debug!("delete of {key} skipped: {}", e.message);
                false
            }
        }
    }

    /// Whether the controller owner named in `obj` (of `kind`, stored as type `ty`) still
    /// exists with the uid the reference names (else the object is garbage).
    fn owner_alive(&self, obj: &Value, kind: &str, ty: TypeId) -> bool {
        let Some((name, uid)) = index::controller_of(obj, kind) else {
            return true;
        };
        let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
        self.store
            .get(ty, ns, name)
            .is_some_and(|owner| owner.uid == uid)
    }
}

/// The name of the controller owner of kind `kind` in a stored object's JSON (parsing only
/// its owner references).
fn owner_name(json: &[u8], kind: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Obj {
        #[serde(default)]
        metadata: Meta,
    }
    #[derive(serde::Deserialize, Default)]
    struct Meta {
        #[serde(default, rename = "ownerReferences")]
        owners: Vec<Owner>,
    }
    #[derive(serde::Deserialize)]
    struct Owner {
        #[serde(default)]
        kind: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        controller: Option<bool>,
    }
    let obj: Obj = serde_json::from_slice(json).ok()?;
    obj.metadata
        .owners
        .into_iter()
        .find(|o| o.controller == Some(true))
        .filter(|o| o.kind == kind)
        .map(|o| o.name)
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
