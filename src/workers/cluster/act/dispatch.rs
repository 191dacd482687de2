//! The worker's commands that act on, or read, one object: the actions (suspend, resume,
//! reconcile), each run in its own task and reported as `Update::Action`s; the details
//! view's fetch (the whole object, its source's Secret, its events); and the permission
//! checks that tell the UI which actions the user may send.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use tokio::sync::mpsc;

use super::follow::Outcome;
use super::patch::{self, Action, Progress, Target};
use crate::model::event::KubeEvent;
use crate::model::key::{Kind, ObjectKey};
use crate::state::{ActionEvent, ActionId, ActionKind, ActionPhase, Permission, Update};
use crate::workers::cluster::discovery::ServedKind;
use crate::workers::cluster::session::{Running, kind_of};
use crate::workers::cluster::watch::WatchSpec;

/// One SelfSubjectAccessReview per served Flux kind (patch, in the watched namespace).
pub(in crate::workers::cluster) fn check_permissions(
    running: &Running,
    updates: &mpsc::Sender<Update>,
) {
    for s in running.served.clone() {
        let Some(kind) = kind_of(&s) else { continue };
        let client = running.conn.client.clone();
        let ns = running.namespace.clone();
        let out = updates.clone();
        tokio::spawn(async move {
            let allowed = patch::can_patch(&client, &s, ns.as_deref().unwrap_or_default())
                .await
                .unwrap_or(true);
            let permission = Permission {
                verb: "patch".into(),
                kind,
                namespace: ns,
            };
            let _ = out
                .send(Update::Access {
                    permission,
                    allowed,
                })
                .await;
        });
    }
}

/// Runs `kind` on each of `keys`, each in its own task, reporting every step as an
/// `Update::Action` (refused at once in read-only mode).
pub(in crate::workers::cluster) fn act(
    running: &Running,
    updates: &mpsc::Sender<Update>,
    id: ActionId,
    kind: ActionKind,
    keys: Vec<ObjectKey>,
    read_only: bool,
    timeout: Duration,
) {
    let served: Arc<HashMap<Kind, ServedKind>> = Arc::new(
        running
            .served
            .iter()
            .filter_map(|s| kind_of(s).map(|k| (k, s.clone())))
            .collect(),
    );
    for key in keys {
        let out = updates.clone();
        let client = running.conn.client.clone();
        let served = served.clone();
        tokio::spawn(async move {
            let event = |phase: ActionPhase| {
                Update::Action(ActionEvent {
                    id,
                    action: kind,
                    key: key.clone(),
                    at: Timestamp::now(),
                    phase,
                })
            };
            if read_only {
                let _ = out
                    .send(event(ActionPhase::Failed(
                        "read-only mode: no write was sent (toggle with :readonly)".into(),
                    )))
                    .await;
                return;
            }
            let Some(sk) = served.get(&key.kind).cloned() else {
                let _ = out
                    .send(event(ActionPhase::Failed(format!(
                        "{} is not served by this cluster",
                        key.kind.resource()
                    ))))
                    .await;
                return;
            };
            let target = Target {
                kind: sk,
                namespace: key.namespace.to_string(),
                name: key.name.to_string(),
            };
            let action = match kind {
                ActionKind::Suspend => Action::Suspend,
                ActionKind::Resume => Action::Resume,
                ActionKind::Reconcile => Action::Reconcile { with_source: false },
                ActionKind::ReconcileWithSource => Action::Reconcile { with_source: true },
            };
            let _ = out
                .send(event(ActionPhase::Running(format!(
                    "{} {}…",
                    action.verb(),
                    target.display()
                ))))
                .await;
            let progress_out = out.clone();
            let progress_key = key.clone();
            let progress = move |p: Progress| {
                let text = match p {
                    Progress::Start(s)
                    | Progress::Sent(s)
                    | Progress::Waiting(s)
                    | Progress::Step(s) => s,
                };
                let _ = progress_out.try_send(Update::Action(ActionEvent {
                    id,
                    action: kind,
                    key: progress_key.clone(),
                    at: Timestamp::now(),
                    phase: ActionPhase::Running(text),
                }));
            };
            let source_served = served.clone();
            let ns = key.namespace.clone();
            let source_of = move |obj: &Value| -> Option<Target> {
                patch::source_target(&source_served, &ns, obj)
            };
            let outcome =
                patch::run(&client, &target, action, timeout, &progress, &source_of).await;
            let phase = match outcome {
                Outcome::Succeeded(m) => ActionPhase::Succeeded(m),
                Outcome::Failed(m) => ActionPhase::Failed(m),
            };
            let _ = out.send(event(phase)).await;
        });
    }
}

/// The whole object, the Secrets its source refers to (masked by the state), and its events.
pub(in crate::workers::cluster) async fn fetch_details(
    client: kube::Client,
    served: Option<ServedKind>,
    key: ObjectKey,
    out: mpsc::Sender<Update>,
) {
    let version = match (&served, key.kind) {
        (Some(s), _) => s.version.clone(),
        (None, Kind::Pod) => "v1".to_string(),
        (None, _) => {
            let _ = out
                .send(Update::FetchFailed {
                    key: key.clone(),
                    error: format!("{} is not served", key.kind.resource()),
                })
                .await;
            return;
        }
    };
    let spec = WatchSpec {
        kind: key.kind,
        version,
        namespace: Some(key.namespace.to_string()),
        partial: false,
    };
    let api = spec.api::<DynamicObject>(&client);
    let object = match api.get(&key.name).await {
        Ok(o) => serde_json::to_value(o).unwrap_or(Value::Null),
        Err(e) => {
            let _ = out
                .send(Update::FetchFailed {
                    key: key.clone(),
                    error: format!(
                        "cannot get {} {}/{}: {e}",
                        key.kind, key.namespace, key.name
                    ),
                })
                .await;
            return;
        }
    };
    let mut related = Vec::new();
    if let Some(secret) = object["spec"]["secretRef"]["name"].as_str() {
        let secrets: Api<k8s_openapi::api::core::v1::Secret> =
            Api::namespaced(client.clone(), &key.namespace);
        if let Ok(s) = secrets.get(secret).await
            && let Ok(v) = serde_json::to_value(s)
        {
            related.push(v);
        }
    }
    let _ = out
        .send(Update::Details {
            key: key.clone(),
            object,
            related,
        })
        .await;
    let events: Api<DynamicObject> = Api::namespaced_with(
        client,
        &key.namespace,
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("", "v1", "Event"),
            "events",
        ),
    );
    let lp = ListParams::default().fields(&format!(
        "involvedObject.name={},involvedObject.namespace={}",
        key.name, key.namespace
    ));
    match events.list(&lp).await {
        Ok(list) => {
            let mut evs: Vec<KubeEvent> = list
                .items
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok())
                .filter(|e| e["involvedObject"]["kind"] == key.kind.name())
                .map(|e| KubeEvent::parse(&e))
                .collect();
            evs.sort_by_key(|e| e.last_seen);
            let _ = out.send(Update::Events { key, events: evs }).await;
        }
        Err(e) => {
            let _ = out
                .send(Update::FetchFailed {
                    key,
                    error: format!("cannot list events: {e}"),
                })
                .await;
        }
    }
}
