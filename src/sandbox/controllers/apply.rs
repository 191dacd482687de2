//! Applying a Kustomization's objects to the store and pruning what left its inventory, the
//! way kustomize-controller's server-side apply does: Namespaces and CRDs first, every object
//! labelled with its Kustomization, each one validated as the API server validates it, and a
//! change set (`Deployment/sock-shop/front-end configured`) for the `Progressing` event.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::outcome::Failure;
use super::world::World;
use crate::sandbox::apiserver::resources::split_api_version;
use crate::sandbox::apiserver::store::Target;

/// One inventory entry (`status.inventory.entries[]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// `<namespace>_<name>_<group>_<kind>`.
    pub id: String,
    /// The version.
    pub v: String,
}

impl Entry {
    fn of(obj: &Value) -> Entry {
        let (group, version) = split_api_version(obj["apiVersion"].as_str().unwrap_or_default());
        let meta = &obj["metadata"];
        Entry {
            id: format!(
                "{}_{}_{}_{}",
                meta["namespace"].as_str().unwrap_or_default(),
                meta["name"].as_str().unwrap_or_default(),
                group,
                obj["kind"].as_str().unwrap_or_default()
            ),
            v: version.to_string(),
        }
    }

    /// (namespace, name, group, kind) of the id.
    fn parts(&self) -> Option<(&str, &str, &str, &str)> {
        let mut it = self.id.splitn(4, '_');
        Some((it.next()?, it.next()?, it.next()?, it.next()?))
    }

    /// The inventory as Flux writes it.
    pub fn inventory(entries: &[Entry]) -> Value {
        json!({"entries": entries.iter().map(|e| json!({"id": e.id, "v": e.v})).collect::<Vec<_>>()})
    }

    /// Reads `status.inventory`.
    pub fn read(status: &Value) -> Vec<Entry> {
        status["inventory"]["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some(Entry {
                    id: e["id"].as_str()?.to_string(),
                    v: e["v"].as_str().unwrap_or_default().to_string(),
                })
            })
            .collect()
    }
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The new inventory, sorted.
    pub entries: Vec<Entry>,
    /// `Kind/ns/name created|configured|deleted`, in apply order.
    pub changes: Vec<String>,
}

fn subject(obj: &Value) -> String {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    match obj["metadata"]["namespace"].as_str() {
        Some(ns) if !ns.is_empty() => format!("{kind}/{ns}/{name}"),
        _ => format!("{kind}/{name}"),
    }
}

/// The applied object, as server-side apply makes it: every field the manifest sets
/// replaced (maps merged key by key, lists whole), its labels and annotations merged in,
/// and the fields the last apply set that the manifest no longer sets removed; fields
/// another manager set (`flux suspend`'s `spec.suspend`, a `kubectl scale`) stay, and so do
/// identity and status. `last` is what this controller applied before (`None` when it has
/// not applied the object in this run: then top-level fields the manifest does not set go,
/// nested ones stay).
fn merged(old: &Value, desired: &Value, last: Option<&Value>) -> Value {
    let mut new = old.clone();
    let (Some(n), Some(d), Some(o)) = (new.as_object_mut(), desired.as_object(), old.as_object())
    else {
        return desired.clone();
    };
    for key in o.keys() {
        let owned = last.is_none_or(|l| l.get(key).is_some());
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata" | "status")
            && !d.contains_key(key)
            && owned
        {
            n.remove(key);
        }
    }
    for (k, v) in d {
        match k.as_str() {
            "metadata" | "status" => {}
            _ => {
                let merged = merge_field(o.get(k), v, last.and_then(|l| l.get(k)));
                n.insert(k.clone(), merged);
            }
        }
    }
    for field in ["labels", "annotations"] {
        if let Some(map) = desired["metadata"][field].as_object() {
            for (k, v) in map {
                new["metadata"][field][k.as_str()] = v.clone();
            }
        }
    }
    new
}

/// One field of server-side apply: maps merge key by key (a key the manifest dropped goes
/// only if the last apply set it), anything else is replaced.
fn merge_field(current: Option<&Value>, desired: &Value, last: Option<&Value>) -> Value {
    match (current.and_then(Value::as_object), desired.as_object()) {
        (Some(c), Some(d)) => {
            let mut out = c.clone();
            out.retain(|k, _| d.contains_key(k) || last.is_none_or(|l| l.get(k).is_none()));
            for (k, v) in d {
                let merged = merge_field(c.get(k), v, last.and_then(|l| l.get(k)));
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => desired.clone(),
    }
}

/// Applies `objects` for Kustomization `ks` and prunes what its last inventory holds and
/// the new one does not (when `spec.prune`).
pub fn apply(world: &World, ks: &Value, mut objects: Vec<Value>) -> Result<Applied, Failure> {
    let ks_name = ks["metadata"]["name"].as_str().unwrap_or_default();
    let ks_ns = ks["metadata"]["namespace"].as_str().unwrap_or_default();
    let resources = world.store.resources();
    // kustomize-controller's stages: CRDs, Namespaces and ClusterRoles, then classes, then
    // the rest, each in build order (the sort is stable).
    objects.sort_by_key(crate::sandbox::kustomize::apply_stage);
    let mut out = Applied::default();
    let mut ids = BTreeSet::new();
    for mut obj in objects {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let what = subject(&obj);
        let failed = |message: String| {
            Failure::new(
                "ReconciliationFailed",
                format!("{what} dry-run failed: {message}"),
            )
        };
        let Some(type_id) = resources.by_kind(&api_version, &kind) else {
            return Err(failed(format!(
                "no matches for kind \"{kind}\" in version \"{api_version}\""
            )));
        };
        let namespaced = resources.get(type_id).is_some_and(|t| t.namespaced);
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if namespaced && ns.is_empty() {
            return Err(Failure::new(
                "ReconciliationFailed",
                format!(
                    "{kind}/{name} namespace not specified: the server could not find the requested resource"
                ),
            ));
        }
        if !namespaced
            && !ns.is_empty()
            && let Some(m) = obj["metadata"].as_object_mut()
        {
            m.remove("namespace");
        }
        for (k, v) in [
            ("kustomize.toolkit.fluxcd.io/name", ks_name),
            ("kustomize.toolkit.fluxcd.io/namespace", ks_ns),
        ] {
            obj["metadata"]["labels"][k] = json!(v);
        }
        let before = world.store.get(type_id, &ns, &name);
        let id = Entry::of(&obj).id;
        let last = world
            .applied
            .lock()
            .ok()
            .and_then(|applied| applied.get(&id).cloned());
        let result = match &before {
            None => world
                .store
                .create(type_id, &ns, obj.clone(), false)
                .map(|_| Some("created")),
            Some(old) => world
                .store
                .modify(
                    type_id,
                    &ns,
                    &name,
                    Target::Main,
                    false,
                    &|current| Ok(merged(current, &obj, last.as_ref())),
                    None,
                )
                .map(|(stored, _)| (stored.rv != old.rv).then_some("configured")),
        };
        if result.is_ok()
            && let Ok(mut applied) = world.applied.lock()
        {
            applied.insert(id, obj.clone());
        }
        match result {
            Ok(Some(what)) => out.changes.push(format!("{} {what}", subject(&obj))),
            Ok(None) => {}
            Err(e) => return Err(failed(e.message)),
        }
        let entry = Entry::of(&obj);
        if ids.insert(entry.id.clone()) {
            out.entries.push(entry);
        }
    }
    out.entries.sort();
    if ks["spec"]["prune"] == true {
        let old = Entry::read(&ks["status"]);
        for e in old.iter().filter(|e| !ids.contains(&e.id)) {
            if let Some(gone) = delete(world, e) {
                out.changes.push(format!("{gone} deleted"));
            }
        }
    }
    Ok(out)
}

/// Deletes the object of an inventory entry; `Kind/ns/name` when it was there.
fn delete(world: &World, e: &Entry) -> Option<String> {
    let (ns, name, group, kind) = e.parts()?;
    let api_version = if group.is_empty() {
        e.v.clone()
    } else {
        format!("{group}/{}", e.v)
    };
    let type_id = world.store.resources().by_kind(&api_version, kind)?;
    world.store.delete(type_id, ns, name, false).ok()?;
    Some(if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    })
}

/// Garbage-collects a deleted Kustomization's inventory (`spec.prune`), as its finalizer does.
pub fn prune_all(world: &World, ks: &Value) -> Vec<String> {
    if ks["spec"]["prune"] != true || ks["spec"]["suspend"] == true {
        return Vec::new();
    }
    Entry::read(&ks["status"])
        .iter()
        .filter_map(|e| delete(world, e))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_objects_as_flux_does() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "front-end", "namespace": "sock-shop"}});
        let e = Entry::of(&d);
        assert_eq!(e.id, "sock-shop_front-end_apps_Deployment");
        assert_eq!(e.v, "v1");
        let ns =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sock-shop"}});
        assert_eq!(Entry::of(&ns).id, "_sock-shop__Namespace");
        assert_eq!(
            Entry::of(&ns).parts(),
            Some(("", "sock-shop", "", "Namespace"))
        );
    }

    #[test]
    fn a_merge_replaces_set_fields_keeps_identity_and_status_and_drops_unset_ones() {
        let old = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "uid": "u1", "labels": {"a": "1"}},
            "data": {"x": "eA=="}, "stringData": {"y": "z"}, "status": {"k": 1}});
        let desired = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "labels": {"b": "2"}}, "data": {"x": "eQ=="}});
        let m = merged(&old, &desired, None);
        assert_eq!(m["metadata"]["uid"], "u1");
        assert_eq!(m["metadata"]["labels"], json!({"a": "1", "b": "2"}));
        assert_eq!(m["data"]["x"], "eQ==");
        assert!(m.get("stringData").is_none());
        assert_eq!(m["status"]["k"], 1);
    }

    #[test]
    fn a_field_another_manager_set_survives_a_reapply_and_a_dropped_one_goes() {
        let manifest = json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "k"},
            "spec": {"interval": "10m", "path": "./a", "prune": true}});
        // `flux suspend` set spec.suspend; the manifest never did.
        let live = json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "k"},
            "spec": {"interval": "10m", "path": "./a", "prune": true, "suspend": true}});
        let m = merged(&live, &manifest, Some(&manifest));
        assert_eq!(m["spec"]["suspend"], true);
        // The manifest drops `prune`, which the last apply set: it goes.
        let next = json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "k"},
            "spec": {"interval": "5m", "path": "./a"}});
        let m = merged(&m, &next, Some(&manifest));
        assert!(m["spec"].get("prune").is_none(), "{m}");
        assert_eq!(m["spec"]["interval"], "5m");
        assert_eq!(m["spec"]["suspend"], true);
        // Lists are replaced whole.
        let a = json!({"spec": {"l": [1, 2]}});
        let b = json!({"spec": {"l": [3]}});
        assert_eq!(merged(&a, &b, Some(&a))["spec"]["l"], json!([3]));
    }
}
