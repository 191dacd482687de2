//! Simulated Flux controllers, in two modes.
//!
//! - **Frozen** ([`spawn`]): for the `sock-shop` and `scale:N` scenarios, whose objects are
//!   seeded as a running cluster shows them. A reconcile request replays the last result:
//!   `Reconciling` for a moment, then the kind's stored result, `observedGeneration` and
//!   `lastHandledReconcileAt`, as Flux does. Suspended objects
//!   only get `lastHandledReconcileAt`. What a reconcile shares and returns is in [`ctx`],
//!   each kind's result in [`kinds`].
//! - **Live** ([`runtime::spawn`] over a [`world::World`]): the live scenario's pipeline.
//!   One module per controller, each driven by the objects in the store as Flux's are:
//!   [`source`] (GitRepository), [`image_reflector`] (ImageRepository), [`image_policy`],
//!   [`image_automation`], [`kustomize`] (with [`apply`]), plus [`workloads`] (Deployments,
//!   ReplicaSets, pods). They call `crate::policy`, `crate::setters` and the sandbox's
//!   kustomize subset, read and commit to the sandbox's git repositories, and scan its
//!   registry.

pub mod apply;
pub mod conditions;
pub mod ctx;
pub mod events;
pub mod image_automation;
pub mod image_policy;
pub mod image_reflector;
pub mod kinds;
pub mod kustomize;
pub mod outcome;
pub mod runtime;
pub mod source;
pub mod stats;
pub mod workloads;
pub mod world;

pub use ctx::{ControllerOptions, Ctx, Outcome};

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::apiserver::resources::TypeId;
use super::apiserver::store::{EventKind, Store, Target, now_rfc3339};

/// The annotation the flux CLI sets to ask for a reconcile.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

/// Starts the controllers on the current tokio runtime; they stop with the store's broadcast.
pub fn spawn(store: Arc<Store>, options: ControllerOptions) -> tokio::task::JoinHandle<()> {
    let ctx = Arc::new(Ctx::new(store.clone(), options));
    let mut rx = store.subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(change) => {
                    if change.kind == EventKind::Deleted {
                        continue;
                    }
                    let Some(ty) = ctx.store.resources().get(change.type_id) else {
                        continue;
                    };
                    if !kinds::handles(&ty.kind) {
                        continue;
                    }
                    let key = (
                        change.type_id,
                        change.object.namespace.clone(),
                        change.object.name.clone(),
                    );
                    start(&ctx, key);
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

/// Whether an object waits for a reconcile: a new generation, or a
/// `reconcile.fluxcd.io/requestedAt` that `status.lastHandledReconcileAt` does not echo yet.
pub fn pending(obj: &Value) -> bool {
    let requested = obj["metadata"]["annotations"][REQUESTED_AT].as_str();
    let handled = obj["status"]["lastHandledReconcileAt"].as_str();
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let observed = obj["status"]["observedGeneration"].as_i64().unwrap_or(-1);
    (requested.is_some() && requested != handled) || generation != observed
}

fn start(ctx: &Arc<Ctx>, key: (TypeId, String, String)) {
    {
        let mut in_flight = ctx.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.contains(&key) {
            return;
        }
        match ctx.object(key.0, &key.1, &key.2) {
            Some(obj) if pending(&obj) => {}
            _ => return,
        }
        in_flight.insert(key.clone());
    }
    let ctx = ctx.clone();
    tokio::spawn(async move {
        // Requests that arrive while a reconcile runs are handled by the next round.
        while let Some(obj) = ctx.object(key.0, &key.1, &key.2).filter(pending) {
            reconcile(&ctx, key.0, &obj).await;
        }
        ctx.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    });
}

/// Changes an object's status with `f`, as a controller's status patch; a failed write is
/// logged (the next reconcile writes again).
pub fn write_status(store: &Store, type_id: TypeId, ns: &str, name: &str, f: &dyn Fn(&mut Value)) {
    let result = store.modify(
        type_id,
        ns,
        name,
        Target::Status,
        false,
        &|old| {
            let mut new = old.clone();
            if !new["status"].is_object() {
                new["status"] = json!({});
            }
            f(&mut new["status"]);
            Ok(new)
        },
        None,
    );
    if let Err(e) = result {
        tracing::debug!("status write for {ns}/{name} skipped: {}", e.message);
    }
}

async fn reconcile(ctx: &Ctx, type_id: TypeId, obj: &Value) {
    let (ns, name) = world::ns_name(obj);
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let requested = obj["metadata"]["annotations"][REQUESTED_AT].clone();
    if obj["spec"]["suspend"] == true {
        write_status(&ctx.store, type_id, &ns, &name, &|s| {
            if !requested.is_null() {
                s["lastHandledReconcileAt"] = requested.clone();
            }
            s["observedGeneration"] = json!(generation);
        });
        return;
    }
    let now = now_rfc3339();
    let progress = kinds::progress_message(&kind, obj);
    write_status(&ctx.store, type_id, &ns, &name, &|s| {
        conditions::set(
            s,
            "Reconciling",
            "True",
            "Progressing",
            &progress,
            generation,
            &now,
        );
        let ready_unknown = conditions::get(s, "Ready").is_none_or(|c| c["status"] != "False");
        if ready_unknown {
            conditions::set(
                s,
                "Ready",
                "Unknown",
                "Progressing",
                "Reconciliation in progress",
                generation,
                &now,
            );
        }
    });
    tokio::time::sleep(ctx.options.reconcile_time).await;
    let outcome = kinds::reconcile(ctx, &kind, obj).await;
    let now = now_rfc3339();
    write_status(&ctx.store, type_id, &ns, &name, &|s| {
        for (k, v) in &outcome.fields {
            s[k.as_str()] = v.clone();
        }
        // A condition with the outcome's reason and message.
        let set = |s: &mut Value, kind: &str, value: &str| {
            conditions::set(
                s,
                kind,
                value,
                &outcome.reason,
                &outcome.message,
                generation,
                &now,
            );
        };
        if outcome.ready {
            set(s, "Ready", "True");
            conditions::remove(s, "Reconciling");
            conditions::remove(s, "Stalled");
        } else if outcome.stalled {
            set(s, "Ready", "False");
            set(s, "Stalled", "True");
            conditions::remove(s, "Reconciling");
        } else {
            set(s, "Ready", "False");
            let msg = format!(
                "Detecting drift for revision with a timeout of 50s; {}",
                outcome.message
            );
            conditions::set(
                s,
                "Reconciling",
                "True",
                "ProgressingWithRetry",
                &msg,
                generation,
                &now,
            );
        }
        s["observedGeneration"] = json!(generation);
        if !requested.is_null() {
            s["lastHandledReconcileAt"] = requested.clone();
        }
    });
}
