//! The session's watchers: one per Flux kind the cluster serves, and the pod watchers,
//! which follow what the session's `PodsWatch` asks for; with `PodsWatch::Workloads`, the
//! namespaces the watched Kustomizations' inventory workloads are in, learnt by a tap on the
//! Kustomization watcher's updates.

use std::collections::{BTreeSet, HashMap};

use tokio::sync::{mpsc, watch as watch_channel};
use tokio::task::JoinHandle;

use super::session::{Running, kind_of};
use super::watch::{self, WatchSpec};
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::object::Object;
use crate::state::{PodsWatch, Update};

/// The pod watchers `pods` asks for: one for all namespaces, one for a namespace, or
/// one per namespace that holds a watched Kustomization's workload. Starts the missing
/// ones, stops the others (their pods leave the state), and reports the session when
/// anything changed.
pub(super) async fn sync_pod_watchers(running: &mut Running, updates: &mpsc::Sender<Update>) {
    let partial = running.pods == PodsWatch::Workloads;
    let wanted: BTreeSet<Option<String>> = match &running.pods {
        PodsWatch::All => [None].into(),
        PodsWatch::Namespace(ns) => [Some(ns.clone())].into(),
        PodsWatch::Workloads => running
            .workload_namespaces
            .1
            .borrow()
            .iter()
            .map(|ns| Some(ns.clone()))
            .collect(),
    };
    let mut changed = false;
    if partial != running.pods_partial {
        for (_, w) in std::mem::take(&mut running.pod_watchers) {
            stop(w).await;
        }
        if partial {
            // A full watcher's rows are nobody's now; partial watchers add their own.
            forget_pods(updates, None).await;
        }
        running.pods_partial = partial;
        changed = true;
    }
    let stale: Vec<Option<String>> = running
        .pod_watchers
        .keys()
        .filter(|ns| !wanted.contains(*ns))
        .cloned()
        .collect();
    for ns in stale {
        if let Some(w) = running.pod_watchers.remove(&ns) {
            stop(w).await;
        }
        if partial {
            forget_pods(updates, ns).await;
        }
        changed = true;
    }
    for ns in wanted {
        if running.pod_watchers.contains_key(&ns) {
            continue;
        }
        let spec = WatchSpec {
            kind: Kind::Pod,
            version: "v1".into(),
            namespace: ns.clone(),
            partial,
        };
        let handle = tokio::spawn(watch::run(
            running.conn.client.clone(),
            spec,
            updates.clone(),
        ));
        running.pod_watchers.insert(ns, handle);
        changed = true;
    }
    if changed {
        let _ = updates.send(Update::Session(running.session())).await;
    }
}

/// Stops a pod watcher and waits for it to end, so none of its updates can come after a
/// `Forget` sent next.
async fn stop(watcher: JoinHandle<()>) {
    watcher.abort();
    let _ = watcher.await;
}

/// Tells the state to drop the pods of `namespace` (`None`: of every namespace).
async fn forget_pods(updates: &mpsc::Sender<Update>, namespace: Option<String>) {
    let forget = Update::Forget {
        kind: Kind::Pod,
        namespace,
    };
    let _ = updates.send(forget).await;
}

/// One watcher per served Flux kind, in the session's namespace (the Kustomizations' through
/// the tap that keeps the workload namespaces).
pub(super) fn spawn_flux_watchers(
    running: &Running,
    updates: &mpsc::Sender<Update>,
) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::new();
    for s in &running.served {
        let Some(kind) = kind_of(s) else { continue };
        let spec = WatchSpec {
            kind,
            version: s.version.clone(),
            namespace: running.namespace.clone(),
            partial: false,
        };
        let client = running.conn.client.clone();
        if kind == Kind::Kustomization {
            // The Kustomizations say where their workloads run: the pod watchers follow.
            let (tx, rx) = mpsc::channel(1024);
            handles.push(tokio::spawn(watch::run(client, spec, tx)));
            handles.push(tokio::spawn(tap_workload_namespaces(
                rx,
                updates.clone(),
                running.workload_namespaces.0.clone(),
            )));
        } else {
            handles.push(tokio::spawn(watch::run(client, spec, updates.clone())));
        }
    }
    handles
}

/// Passes the Kustomization watcher's updates on, keeping the set of namespaces their
/// inventories' workloads are in (`namespaces`: it changes only when a namespace comes or
/// goes, and a relist counts once it is done).
async fn tap_workload_namespaces(
    mut rx: mpsc::Receiver<Update>,
    out: mpsc::Sender<Update>,
    namespaces: watch_channel::Sender<BTreeSet<String>>,
) {
    let mut by_ks: HashMap<ObjectKey, BTreeSet<String>> = HashMap::new();
    let mut relist: Option<HashMap<ObjectKey, BTreeSet<String>>> = None;
    let of = |ks: &Kustomization| -> BTreeSet<String> {
        ks.workloads
            .iter()
            .filter(|w| !w.namespace.is_empty())
            .map(|w| w.namespace.to_string())
            .collect()
    };
    while let Some(update) = rx.recv().await {
        let mut settled = true;
        match &update {
            Update::RelistStarted(_) => {
                relist = Some(HashMap::new());
                settled = false;
            }
            Update::Relisted(Object::Kustomization(ks)) => {
                relist
                    .get_or_insert_with(HashMap::new)
                    .insert(ks.key.clone(), of(ks));
                settled = false;
            }
            Update::RelistDone(_) => {
                if let Some(r) = relist.take() {
                    by_ks = r;
                }
            }
            Update::Applied(Object::Kustomization(ks)) => {
                by_ks.insert(ks.key.clone(), of(ks));
            }
            Update::Deleted(key) => {
                by_ks.remove(key);
            }
            _ => settled = false,
        }
        if settled {
            let now: BTreeSet<String> = by_ks.values().flatten().cloned().collect();
            namespaces.send_if_modified(|current| {
                let changed = *current != now;
                if changed {
                    *current = now;
                }
                changed
            });
        }
        if out.send(update).await.is_err() {
            return;
        }
    }
}
