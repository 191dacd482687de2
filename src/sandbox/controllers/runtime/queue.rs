//! The loop itself: the queue of due objects, the triggers that move an object up, the
//! limit on reconciles at once, and the jittered requeue after each run.

use crate::sandbox::controllers::outcome::interval_of;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio::time::Instant;

use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::EventKind;
use crate::sandbox::controllers::world::World;
use crate::sandbox::controllers::{REQUESTED_AT, pending};

use super::links::{Links, links_of};
use super::reconcile::reconcile;

/// An object: its type, namespace and name.
pub type Key = (TypeId, String, String);

/// Reconciles doing their work at once.
const PARALLEL: usize = 8;

/// What the loop learns from a finished reconcile.
struct Done {
    key: Key,
    requeue: Option<Duration>,
    changed: bool,
}

pub(super) struct Loop {
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
    pub(super) fn new(world: Arc<World>) -> Loop {
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

    pub(super) async fn run(
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
                                crate::sandbox::controllers::kustomize::finalize(&self.world, &obj);
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
        for kind in crate::sandbox::controllers::world::FLUX_KINDS {
            let Some(id) = self.world.kinds.id(kind) else {
                continue;
            };
            for obj in self.world.list(kind, None) {
                let (ns, name) = crate::sandbox::controllers::world::ns_name(&obj);
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

/// Flux's default `--interval-jitter-percentage`: requeues land within ±5 % of the
/// interval, so objects created together do not reconcile in lockstep forever.
pub const INTERVAL_JITTER: f64 = 0.05;

/// `d` moved by up to ±[`INTERVAL_JITTER`].
fn jittered(d: Duration) -> Duration {
    let spread = rand::random::<f64>() * 2.0 - 1.0;
    d.mul_f64(1.0 + INTERVAL_JITTER * spread)
}
