//! One reconcile of one object: Reconciling, the kind's controller, then the result, with
//! the status writes every Flux controller makes around its work.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::{Store, now_rfc3339};
use crate::sandbox::controllers::conditions;
use crate::sandbox::controllers::world::World;
use crate::sandbox::controllers::{REQUESTED_AT, pending, write_status};

use crate::sandbox::controllers::outcome::{Progress, Reconciled};

/// How long a reconcile shows `Reconciling` before its result, at speed 1.
pub const RECONCILE_TIME: Duration = Duration::from_millis(300);

impl World {
    /// An object by type id, parsed.
    pub fn get_by_id(&self, id: TypeId, ns: &str, name: &str) -> Option<Value> {
        self.store.get(id, ns, name)?.value().ok()
    }
}

/// A status write not made (see `persist` in [`reconcile`]).
fn skip_status(_: &Store, _: TypeId, _: &str, _: &str, _: &dyn Fn(&mut Value)) {}

/// One reconcile: Reconciling, the kind's work, then the result, as every Flux controller
/// writes them. Returns when to run again and whether dependents should run.
pub(super) async fn reconcile(
    world: &World,
    id: TypeId,
    obj: &Value,
    permits: &Semaphore,
) -> (Option<Duration>, bool) {
    let Some(kind) = world.kinds.flux_kind(id) else {
        return (None, false);
    };
    let (ns, name) = crate::sandbox::controllers::world::ns_name(obj);
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
        "GitRepository" => crate::sandbox::controllers::source::progress(world, obj),
        "Kustomization" => crate::sandbox::controllers::kustomize::progress(world, obj),
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
        "GitRepository" => crate::sandbox::controllers::source::reconcile(world, obj).await,
        "Kustomization" => crate::sandbox::controllers::kustomize::reconcile(world, obj).await,
        "ImageRepository" => {
            crate::sandbox::controllers::image_reflector::reconcile_repository(world, obj)
        }
        "ImagePolicy" => crate::sandbox::controllers::image_policy::reconcile(world, obj),
        "ImageUpdateAutomation" => {
            crate::sandbox::controllers::image_automation::reconcile(world, obj).await
        }
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
