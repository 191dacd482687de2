//! The live controllers' loop: which object to reconcile when, and the status writes every
//! Flux controller makes around a reconcile.
//!
//! An object is reconciled when it is new or its generation moved, when
//! `reconcile.fluxcd.io/requestedAt` differs from `status.lastHandledReconcileAt`, when its
//! interval comes round (scaled by the [`Pace`](crate::sandbox::pace::Pace)), and when what
//! it depends on produced something new, as the real controllers' watches do:
//! - a GitRepository's new artifact → its Kustomizations and ImageUpdateAutomations;
//! - an ImageRepository's new scan → its ImagePolicies;
//! - an ImagePolicy's new pick → the ImageUpdateAutomations of its namespace;
//! - a Kustomization applied a new revision → the Kustomizations that depend on it (Flux
//!   requeues those every 30 s; the sandbox tells them at once, so a pipeline settles in one
//!   pass).
//!
//! One object is never reconciled twice at once; a trigger that arrives meanwhile runs it
//! again right after. Dependents are found through indexes kept from the store's changes, so
//! a change costs the same with 10 objects or 10,000.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio::time::Instant;

use super::conditions;
use super::events::FluxEvent;
use super::world::World;
use super::{REQUESTED_AT, pending, write_status};
use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::{EventKind, Store, now_rfc3339};

/// An object: its type, namespace and name.
pub type Key = (TypeId, String, String);

/// How long a reconcile shows `Reconciling` before its result, at speed 1.
pub const RECONCILE_TIME: Duration = Duration::from_millis(300);

/// Reconciles doing their work at once.
const PARALLEL: usize = 8;

/// Flux's `--requeue-dependency` default.
pub const REQUEUE_DEPENDENCY: Duration = Duration::from_secs(30);

/// What the loop is doing, for `/sandbox/stats` and the benchmarks: a backlog shows as a
/// growing queue of overdue objects and a growing lag.
#[derive(Debug, Default)]
pub struct RuntimeStats {
    /// Objects waiting for their next reconcile.
    pub queued: AtomicUsize,
    /// Reconciles in progress.
    pub running: AtomicUsize,
    /// Reconciles started so far.
    pub reconciles: AtomicU64,
    /// How late (ms) the last reconcile started after it was due.
    pub last_lag_ms: AtomicU64,
    /// The largest such lag since the last [`RuntimeStats::take_max_lag`].
    pub max_lag_ms: AtomicU64,
}

impl RuntimeStats {
    /// The largest lag since the last call, resetting it.
    pub fn take_max_lag(&self) -> u64 {
        self.max_lag_ms.swap(0, Ordering::Relaxed)
    }

    /// As JSON; with `window`, the max lag is the one since the last window, and restarts.
    pub fn to_json(&self, window: bool) -> Value {
        let max = if window {
            self.take_max_lag()
        } else {
            self.max_lag_ms.load(Ordering::Relaxed)
        };
        json!({
            "queued": self.queued.load(Ordering::Relaxed),
            "running": self.running.load(Ordering::Relaxed),
            "reconciles": self.reconciles.load(Ordering::Relaxed),
            "lastLagMs": self.last_lag_ms.load(Ordering::Relaxed),
            "maxLagMs": max,
        })
    }
}

/// A failed reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The Ready condition's reason.
    pub reason: String,
    /// The Ready condition's message.
    pub message: String,
    /// A terminal configuration error (Stalled=True, no retry until the spec changes).
    pub stalled: bool,
}

impl Failure {
    /// A retried failure.
    pub fn new(reason: &str, message: impl Into<String>) -> Failure {
        Failure {
            reason: reason.to_string(),
            message: message.into(),
            stalled: false,
        }
    }

    /// A stalled failure.
    pub fn stalled(reason: &str, message: impl Into<String>) -> Failure {
        Failure {
            stalled: true,
            ..Failure::new(reason, message)
        }
    }
}

/// A condition besides Ready, Reconciling and Stalled (`ArtifactInStorage`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    /// The type.
    pub kind: &'static str,
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    /// The reason.
    pub reason: String,
    /// The message.
    pub message: String,
}

/// What one reconcile produced.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// Ready=True with (reason, message), or the failure.
    pub ready: Result<(String, String), Failure>,
    /// Status fields to set.
    pub fields: Vec<(&'static str, Value)>,
    /// Status fields to remove.
    pub removed: Vec<&'static str>,
    /// Other conditions to set.
    pub conditions: Vec<Cond>,
    /// Other conditions to remove.
    pub removed_conditions: Vec<&'static str>,
    /// Events to emit after the status is written.
    pub events: Vec<FluxEvent>,
    /// When to run again (a spec duration, before the pace scales it); `None`: only when
    /// triggered.
    pub requeue: Option<Duration>,
    /// Whether the object produced something its dependents read (a new artifact, scan,
    /// pick or applied revision): they are reconciled next.
    pub changed: bool,
}

impl Reconciled {
    /// Ready=True.
    pub fn ready(reason: &str, message: impl Into<String>) -> Reconciled {
        Reconciled {
            ready: Ok((reason.to_string(), message.into())),
            fields: Vec::new(),
            removed: Vec::new(),
            conditions: Vec::new(),
            removed_conditions: Vec::new(),
            events: Vec::new(),
            requeue: None,
            changed: false,
        }
    }

    /// Ready=False (or Stalled) for `failure`.
    pub fn failed(failure: Failure) -> Reconciled {
        Reconciled {
            ready: Err(failure),
            ..Reconciled::ready("", "")
        }
    }

    /// Sets a status field.
    pub fn with(mut self, key: &'static str, value: Value) -> Reconciled {
        self.fields.push((key, value));
        self
    }

    /// Runs again after `d`.
    pub fn requeue(mut self, d: Duration) -> Reconciled {
        self.requeue = Some(d);
        self
    }

    /// Emits an event.
    pub fn event(mut self, e: FluxEvent) -> Reconciled {
        self.events.push(e);
        self
    }
}

/// What a reconcile shows while it runs.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The Reconciling message.
    pub message: String,
    /// Whether Ready goes Unknown even when it was True (drift, a new revision).
    pub drift: bool,
    /// Conditions set while in progress (`ArtifactOutdated`).
    pub conditions: Vec<Cond>,
}

impl Progress {
    /// Progress with `message`.
    pub fn new(message: impl Into<String>) -> Progress {
        Progress {
            message: message.into(),
            drift: false,
            conditions: Vec::new(),
        }
    }
}

/// A parsed object's place in the indexes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Links {
    /// (kind, namespace, name) of the objects whose output this one reads.
    reads: Vec<(&'static str, String, String)>,
    /// An automation's `policySelector.matchLabels`: the policies of its namespace it reads.
    policy_labels: Vec<(String, String)>,
}

/// What the loop learns from a finished reconcile.
struct Done {
    key: Key,
    requeue: Option<Duration>,
    changed: bool,
}

/// Starts the live controllers on the current runtime.
pub fn spawn(world: Arc<World>) -> tokio::task::JoinHandle<()> {
    let rx = world.store.subscribe();
    tokio::spawn(async move { Loop::new(world).run(rx).await })
}

struct Loop {
    world: Arc<World>,
    queue: BTreeSet<(Instant, Key)>,
    due: HashMap<Key, Instant>,
    running: HashSet<Key>,
    again: HashSet<Key>,
    links: HashMap<Key, Links>,
    /// The (generation, requestedAt) last seen per object: a change of either is a trigger;
    /// status writes, the controllers' own included, are not.
    seen: HashMap<Key, (i64, Option<String>)>,
    /// (kind, ns, name) of an object → the keys that read it.
    readers: HashMap<(&'static str, String, String), HashSet<Key>>,
    permits: Arc<Semaphore>,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
}

impl Loop {
    fn new(world: Arc<World>) -> Loop {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Loop {
            world,
            queue: BTreeSet::new(),
            due: HashMap::new(),
            running: HashSet::new(),
            again: HashSet::new(),
            links: HashMap::new(),
            seen: HashMap::new(),
            readers: HashMap::new(),
            permits: Arc::new(Semaphore::new(PARALLEL)),
            done_tx,
            done_rx,
        }
    }

    async fn run(
        mut self,
        mut rx: broadcast::Receiver<Arc<crate::sandbox::apiserver::store::Change>>,
    ) {
        self.observe_all();
        loop {
            self.start_due();
            let stats = &self.world.stats;
            stats.queued.store(self.queue.len(), Ordering::Relaxed);
            stats.running.store(self.running.len(), Ordering::Relaxed);
            let next = self.queue.first().map(|(at, _)| *at);
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                change = rx.recv() => match change {
                    Ok(change) => {
                        let Some(kind) = self.world.kinds.flux_kind(change.type_id) else { continue };
                        let key = (change.type_id, change.object.namespace.clone(), change.object.name.clone());
                        if change.kind == EventKind::Deleted {
                            self.forget(kind, &key, &change.object.uid);
                            if kind == "Kustomization"
                                && let Ok(obj) = change.object.value()
                            {
                                super::kustomize::finalize(&self.world, &obj);
                            }
                            continue;
                        }
                        if let Ok(obj) = change.object.value() {
                            self.observe(kind, key, &obj);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => self.observe_all(),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                Some(done) = self.done_rx.recv() => self.finished(done),
                () = sleep => {}
            }
        }
    }

    /// Reads every object of the handled kinds (at start, and after missing changes).
    fn observe_all(&mut self) {
        for kind in super::world::FLUX_KINDS {
            let Some(id) = self.world.kinds.id(kind) else {
                continue;
            };
            for obj in self.world.list(kind, None) {
                let (ns, name) = super::world::ns_name(&obj);
                let key = (id, ns, name);
                self.observe(kind, key, &obj);
            }
        }
    }

    fn observe(&mut self, kind: &'static str, key: Key, obj: &Value) {
        let links = links_of(kind, obj);
        if self.links.get(&key) != Some(&links) {
            if let Some(old) = self.links.remove(&key) {
                for r in old.reads {
                    if let Some(set) = self.readers.get_mut(&r) {
                        set.remove(&key);
                    }
                }
            }
            for r in &links.reads {
                self.readers
                    .entry(r.clone())
                    .or_default()
                    .insert(key.clone());
            }
            self.links.insert(key.clone(), links);
        }
        let token = (
            obj["metadata"]["generation"].as_i64().unwrap_or(1),
            obj["metadata"]["annotations"][REQUESTED_AT]
                .as_str()
                .map(str::to_string),
        );
        match self.seen.insert(key.clone(), token.clone()) {
            Some(before) if before == token => {}
            Some(_) => self.schedule(key, Instant::now()),
            None if pending(obj) => self.schedule(key, Instant::now()),
            None => {
                // Reconciled before the loop started: its interval counts from now.
                let every = interval_of(obj);
                self.schedule(
                    key,
                    Instant::now() + jittered(self.world.pace.interval(every)),
                );
            }
        }
    }

    fn forget(&mut self, kind: &'static str, key: &Key, uid: &str) {
        if let Some(at) = self.due.remove(key) {
            self.queue.remove(&(at, key.clone()));
        }
        self.again.remove(key);
        self.seen.remove(key);
        if let Some(old) = self.links.remove(key) {
            for r in old.reads {
                if let Some(set) = self.readers.get_mut(&r) {
                    set.remove(key);
                }
            }
        }
        if kind == "ImageRepository" {
            self.world.forget_tags(&key.1, &key.2);
        }
        self.world.events.forget(uid);
    }

    /// Runs `key` at `at`, or sooner if it was already due sooner.
    fn schedule(&mut self, key: Key, at: Instant) {
        if self.running.contains(&key) {
            if at <= Instant::now() {
                self.again.insert(key);
            }
            return;
        }
        match self.due.get(&key) {
            Some(current) if *current <= at => {}
            Some(current) => {
                self.queue.remove(&(*current, key.clone()));
                self.queue.insert((at, key.clone()));
                self.due.insert(key, at);
            }
            None => {
                self.queue.insert((at, key.clone()));
                self.due.insert(key, at);
            }
        }
    }

    fn start_due(&mut self) {
        let now = Instant::now();
        let stats = &self.world.stats;
        while let Some((at, key)) = self.queue.first().cloned() {
            if at > now {
                break;
            }
            let lag = u64::try_from(now.duration_since(at).as_millis()).unwrap_or(u64::MAX);
            stats.last_lag_ms.store(lag, Ordering::Relaxed);
            stats.max_lag_ms.fetch_max(lag, Ordering::Relaxed);
            stats.reconciles.fetch_add(1, Ordering::Relaxed);
            self.queue.remove(&(at, key.clone()));
            self.due.remove(&key);
            tracing::trace!(ns = %key.1, name = %key.2, lag_ms = lag, "reconcile starts");
            self.running.insert(key.clone());
            let world = self.world.clone();
            let done = self.done_tx.clone();
            let permits = self.permits.clone();
            tokio::spawn(async move {
                let (requeue, changed) = match world.get_by_id(key.0, &key.1, &key.2) {
                    Some(obj) => reconcile(&world, key.0, &obj, &permits).await,
                    None => (None, false),
                };
                let _ = done.send(Done {
                    key,
                    requeue,
                    changed,
                });
            });
        }
    }

    fn finished(&mut self, done: Done) {
        tracing::trace!(ns = %done.key.1, name = %done.key.2, requeue = ?done.requeue, changed = done.changed, "reconcile done");
        self.running.remove(&done.key);
        if done.changed {
            let Some(kind) = self.world.kinds.flux_kind(done.key.0) else {
                return;
            };
            let me = (kind, done.key.1.clone(), done.key.2.clone());
            let mut readers: Vec<Key> = self
                .readers
                .get(&me)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            if kind == "ImagePolicy" {
                // Automations read the policies of their namespace that their selector
                // picks (all of them without one).
                let labels = self
                    .world
                    .get_by_id(done.key.0, &done.key.1, &done.key.2)
                    .map(|p| p["metadata"]["labels"].clone())
                    .unwrap_or_default();
                let ns = ("ImagePolicy", done.key.1.clone(), String::new());
                readers.extend(
                    self.readers
                        .get(&ns)
                        .into_iter()
                        .flatten()
                        .filter(|a| {
                            self.links.get(*a).is_none_or(|l| {
                                l.policy_labels
                                    .iter()
                                    .all(|(k, v)| labels[k.as_str()].as_str() == Some(v.as_str()))
                            })
                        })
                        .cloned(),
                );
            }
            if kind == "ImageUpdateAutomation" && self.world.pace.warping() {
                // At start-up the pushed commit is fetched at once, as a git host's push
                // webhook to a Flux Receiver would have it; afterwards sources wait for
                // their interval, as the reference pipeline's do.
                readers.extend(
                    self.links
                        .get(&done.key)
                        .into_iter()
                        .flat_map(|l| l.reads.iter())
                        .filter(|(k, _, _)| *k == "GitRepository")
                        .filter_map(|(_, ns, name)| {
                            Some((self.world.kinds.git_repository?, ns.clone(), name.clone()))
                        }),
                );
            }
            for r in readers {
                self.schedule(r, Instant::now());
            }
        }
        let key = done.key;
        if self.again.remove(&key) {
            self.schedule(key, Instant::now());
        } else if let Some(after) = done.requeue {
            let at = Instant::now() + jittered(self.world.pace.interval(after));
            self.schedule(key, at);
        }
    }
}

impl World {
    /// An object by type id, parsed.
    pub fn get_by_id(&self, id: TypeId, ns: &str, name: &str) -> Option<Value> {
        self.store.get(id, ns, name)?.value().ok()
    }
}

fn ns_of(obj: &Value) -> String {
    super::world::ns_name(obj).0
}

/// Flux's default `--interval-jitter-percentage`: requeues land within ±5 % of the
/// interval, so objects created together do not reconcile in lockstep forever.
pub const INTERVAL_JITTER: f64 = 0.05;

/// `d` moved by up to ±[`INTERVAL_JITTER`].
fn jittered(d: Duration) -> Duration {
    let spread = rand::random::<f64>() * 2.0 - 1.0;
    d.mul_f64(1.0 + INTERVAL_JITTER * spread)
}

/// `spec.interval` as a duration (10 minutes when absent or unreadable).
pub fn interval_of(obj: &Value) -> Duration {
    obj["spec"]["interval"]
        .as_str()
        .and_then(crate::model::duration::parse_go_duration)
        .unwrap_or(Duration::from_secs(600))
}

/// What an object reads, for the indexes.
fn links_of(kind: &str, obj: &Value) -> Links {
    let ns = ns_of(obj);
    let spec = &obj["spec"];
    let mut reads = Vec::new();
    let source = |reads: &mut Vec<(&'static str, String, String)>| {
        let r = &spec["sourceRef"];
        if r["kind"].as_str().unwrap_or("GitRepository") == "GitRepository"
            && let Some(name) = r["name"].as_str()
        {
            let sns = r["namespace"].as_str().unwrap_or(&ns).to_string();
            reads.push(("GitRepository", sns, name.to_string()));
        }
    };
    match kind {
        "Kustomization" => {
            source(&mut reads);
            for d in spec["dependsOn"].as_array().into_iter().flatten() {
                if let Some(name) = d["name"].as_str() {
                    let dns = d["namespace"].as_str().unwrap_or(&ns).to_string();
                    reads.push(("Kustomization", dns, name.to_string()));
                }
            }
        }
        "ImageUpdateAutomation" => {
            source(&mut reads);
            // The ImagePolicies of the namespace (`""` as the name stands for all), narrowed
            // by the selector when a policy changes.
            reads.push(("ImagePolicy", ns.clone(), String::new()));
            let policy_labels = spec["policySelector"]["matchLabels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            return Links {
                reads,
                policy_labels,
            };
        }
        "ImagePolicy" => {
            let r = &spec["imageRepositoryRef"];
            if let Some(name) = r["name"].as_str() {
                let rns = r["namespace"].as_str().unwrap_or(&ns).to_string();
                reads.push(("ImageRepository", rns, name.to_string()));
            }
        }
        _ => {}
    }
    Links {
        reads,
        policy_labels: Vec::new(),
    }
}

/// A status write not made (see `persist` in [`reconcile`]).
fn skip_status(_: &Store, _: TypeId, _: &str, _: &str, _: &dyn Fn(&mut Value)) {}

/// One reconcile: Reconciling, the kind's work, then the result, as every Flux controller
/// writes them. Returns when to run again and whether dependents should run.
async fn reconcile(
    world: &World,
    id: TypeId,
    obj: &Value,
    permits: &Semaphore,
) -> (Option<Duration>, bool) {
    let Some(kind) = world.kinds.flux_kind(id) else {
        return (None, false);
    };
    let (ns, name) = super::world::ns_name(obj);
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let requested = obj["metadata"]["annotations"][REQUESTED_AT].clone();
    if obj["spec"]["suspend"] == true {
        write_status(&world.store, id, &ns, &name, &|s| {
            if !requested.is_null() {
                s["lastHandledReconcileAt"] = requested.clone();
            }
            s["observedGeneration"] = json!(generation);
        });
        return (None, false);
    }
    let progress = match kind {
        "GitRepository" => super::source::progress(world, obj),
        "Kustomization" => super::kustomize::progress(world, obj),
        _ => Progress::new("reconciliation in progress"),
    };
    let now = now_rfc3339();
    let reset_ready = kind == "Kustomization";
    // What Flux persists before the work: kustomize-controller always patches its progress;
    // the other controllers only for a new generation, a reconcile request or real progress
    // (a new upstream revision): a periodic no-op reconcile writes nothing.
    let persist = reset_ready || progress.drift || pending(obj);
    let show = if persist { write_status } else { skip_status };
    show(&world.store, id, &ns, &name, &|s| {
        for c in &progress.conditions {
            conditions::set(s, c.kind, c.status, &c.reason, &c.message, generation, &now);
        }
        conditions::set(
            s,
            "Reconciling",
            "True",
            "Progressing",
            &progress.message,
            generation,
            &now,
        );
        let ready_status = conditions::get(s, "Ready").map(|c| c["status"].clone());
        let unknown = ready_status.is_none() || ready_status == Some(json!("Unknown"));
        if unknown || progress.drift || reset_ready {
            let message = if reset_ready {
                "Reconciliation in progress"
            } else {
                progress.message.as_str()
            };
            conditions::set(
                s,
                "Ready",
                "Unknown",
                "Progressing",
                message,
                generation,
                &now,
            );
        }
    });
    world.pace.sleep(RECONCILE_TIME).await;
    // The work itself (git, kustomize, writes) runs a few at a time; the paced wait above
    // holds nothing, so thousands of objects can be in progress at once.
    let _permit = permits.acquire().await;
    let out = match kind {
        "GitRepository" => super::source::reconcile(world, obj).await,
        "Kustomization" => super::kustomize::reconcile(world, obj).await,
        "ImageRepository" => super::image_reflector::reconcile_repository(world, obj),
        "ImagePolicy" => super::image_policy::reconcile(world, obj),
        "ImageUpdateAutomation" => super::image_automation::reconcile(world, obj).await,
        _ => Reconciled::ready("Succeeded", "reconciliation succeeded"),
    };
    let now = now_rfc3339();
    write_status(&world.store, id, &ns, &name, &|s| {
        for (k, v) in &out.fields {
            s[*k] = v.clone();
        }
        if let Some(m) = s.as_object_mut() {
            for k in &out.removed {
                m.remove(*k);
            }
        }
        for c in &out.removed_conditions {
            conditions::remove(s, c);
        }
        for c in &out.conditions {
            conditions::set(s, c.kind, c.status, &c.reason, &c.message, generation, &now);
        }
        match &out.ready {
            Ok((reason, message)) => {
                conditions::set(s, "Ready", "True", reason, message, generation, &now);
                conditions::remove(s, "Reconciling");
                conditions::remove(s, "Stalled");
                s["observedGeneration"] = json!(generation);
            }
            Err(f) if f.stalled => {
                conditions::set(
                    s, "Stalled", "True", &f.reason, &f.message, generation, &now,
                );
                conditions::set(s, "Ready", "False", &f.reason, &f.message, generation, &now);
                conditions::remove(s, "Reconciling");
                s["observedGeneration"] = json!(generation);
            }
            Err(f) => {
                conditions::remove(s, "Stalled");
                conditions::set(s, "Ready", "False", &f.reason, &f.message, generation, &now);
                let message = conditions::get(s, "Reconciling")
                    .and_then(|c| c["message"].as_str())
                    .unwrap_or(progress.message.as_str())
                    .to_string();
                conditions::set(
                    s,
                    "Reconciling",
                    "True",
                    "ProgressingWithRetry",
                    &message,
                    generation,
                    &now,
                );
            }
        }
        if !requested.is_null() {
            s["lastHandledReconcileAt"] = requested.clone();
        }
    });
    if !out.events.is_empty() {
        // Events name the object as it is now (with its latest resourceVersion).
        let about = world
            .get_by_id(id, &ns, &name)
            .unwrap_or_else(|| obj.clone());
        for e in &out.events {
            world.events.emit(&about, e);
        }
    }
    let requeue = match &out.ready {
        Err(f) if f.stalled => None,
        _ => out.requeue,
    };
    (requeue, out.changed)
}
