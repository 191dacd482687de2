//! The PATCH formats: JSON merge patch (RFC 7386) and JSON patch (RFC 6902) through the
//! `json-patch` crate, strategic merge patch (maps merge, keyed lists of pods and deployments
//! merge by key, `$patch` directives), and server-side apply (treated as a merge that records
//! its field manager).

use serde_json::{Map, Value};

/// A patch that cannot be applied; the message names the operation and path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);

/// The patch formats, by their content types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/merge-patch+json`
    Merge,
    /// `application/json-patch+json`
    Json,
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply)
    Apply,
}

impl PatchKind {
    /// The kind for a `Content-Type` header value.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let base = ct.split(';').next().unwrap_or_default().trim();
        match base {
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchKind::Apply)
            }
            _ => None,
        }
    }
}

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    json_patch::merge(&mut out, patch);
    out
}

/// RFC 6902: a list of `add`, `remove`, `replace`, `move`, `copy`, `test` operations,
/// applied in order; the first failing one fails the whole patch, and the message names
/// its index and path.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops: json_patch::Patch = serde_json::from_value(patch.clone()).map_err(|e| {
        PatchError(format!(
            "invalid JSON patch: {e} (send an array of add, remove, replace, move, copy or test operations)"
        ))
    })?;
    let mut doc = target.clone();
    json_patch::patch(&mut doc, &ops).map_err(|e| PatchError(e.to_string()))?;
    Ok(doc)
}

/// The merge key of a list field in pods, deployments and replicasets (the patch
/// strategies their Go types declare); `None` means the list is replaced.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "ownerReferences"
        | "readinessGates"
        | "containerStatuses"
        | "initContainerStatuses"
        | "hostAliases" => match field {
            "ownerReferences" => Some("uid"),
            "readinessGates" => Some("conditionType"),
            "hostAliases" => Some("ip"),
            _ => Some("name"),
        },
        "ports" => Some("containerPort"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "conditions" => Some("type"),
        "finalizers" => Some(""),
        _ => None,
    }
}

/// Strategic merge patch over the built-in kinds: maps merge, lists with a merge key merge
/// element by element, `$patch: replace|delete` and `$deleteFromPrimitiveList/<field>`
/// work, `$setElementOrder/<field>` and `$retainKeys` are accepted and dropped.
pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    smp_value(target, patch, "")
}

fn smp_value(target: &Value, patch: &Value, field: &str) -> Result<Value, PatchError> {
    match patch {
        Value::Object(p) => {
            match p.get("$patch").and_then(Value::as_str) {
                Some("replace") => {
                    let mut m = p.clone();
                    m.shift_remove("$patch");
                    return Ok(Value::Object(m));
                }
                Some("delete") => return Ok(Value::Null),
                Some("merge") | None => {}
                Some(other) => {
                    return Err(PatchError(format!(
                        "unknown $patch directive '{other}' in '{field}' (use replace, delete or merge)"
                    )));
                }
            }
            let mut out = match target {
                Value::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
                    continue;
                }
                if let Some(list_field) = k.strip_prefix("$deleteFromPrimitiveList/") {
                    let doomed = v.as_array().cloned().unwrap_or_default();
                    if let Some(Value::Array(items)) = out.get_mut(list_field) {
                        items.retain(|x| !doomed.contains(x));
                    }
                    continue;
                }
                if v.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let merged = smp_value(out.get(k).unwrap_or(&Value::Null), v, k)?;
                if merged.is_null() {
                    out.shift_remove(k);
                } else {
                    out.insert(k.clone(), merged);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => match (merge_key(field), target) {
            (Some(""), Value::Array(existing)) => {
                // A set of primitives: union, keeping order.
                let mut out = existing.clone();
                for i in items {
                    if !out.contains(i) {
                        out.push(i.clone());
                    }
                }
                Ok(Value::Array(out))
            }
            (Some(key), Value::Array(existing)) if !key.is_empty() => {
                if items
                    .iter()
                    .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
                {
                    let kept = items
                        .iter()
                        .filter(|i| i.get("$patch").is_none())
                        .cloned()
                        .collect();
                    return Ok(Value::Array(kept));
                }
                let mut out = existing.clone();
                for item in items {
                    let k = item.get(key).cloned().ok_or_else(|| {
                        PatchError(format!(
                            "an element of '{field}' has no merge key '{key}': add it to the element"
                        ))
                    })?;
                    let pos = out.iter().position(|e| e.get(key) == Some(&k));
                    let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                    match (pos, delete) {
                        (Some(i), true) => {
                            out.remove(i);
                        }
                        (None, true) => {}
                        (Some(i), false) => {
                            let merged = smp_value(&out[i], item, "")?;
                            out[i] = merged;
                        }
                        (None, false) => {
                            let mut clean = item.clone();
                            if let Some(m) = clean.as_object_mut() {
                                m.shift_remove("$patch");
                            }
                            out.push(clean);
                        }
                    }
                }
                Ok(Value::Array(out))
            }
            _ => Ok(patch.clone()),
        },
        other => Ok(other.clone()),
    }
}

/// Records a field manager in `metadata.managedFields`, as server-side apply does. The
/// sandbox does not track per-field ownership; it keeps one entry per manager and
/// operation with the time of the last write.
pub fn record_manager(
    obj: &mut Value,
    manager: &str,
    operation: &str,
    api_version: &str,
    now: &str,
) {
    let entry = serde_json::json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    });
    let list = &mut obj["metadata"]["managedFields"];
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(items) = list {
        items.retain(|e| !(e["manager"] == manager && e["operation"] == operation));
        items.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        let p = json!({"a": "z", "c": {"f": null}});
        assert_eq!(merge_patch(&t, &p), json!({"a": "z", "c": {"d": "e"}}));
        assert_eq!(
            merge_patch(&json!({"a": [1, 2]}), &json!({"a": [3]})),
            json!({"a": [3]})
        );
        assert_eq!(
            merge_patch(&json!({"a": 1}), &json!({"spec": {"suspend": true}})),
            json!({"a": 1, "spec": {"suspend": true}})
        );
    }

    #[test]
    fn json_patch_operations() {
        let t = json!({"metadata": {"annotations": {"x": "1"}}, "list": [1, 2, 3]});
        let p = json!([
            {"op": "add", "path": "/metadata/annotations/reconcile.fluxcd.io~1requestedAt", "value": "now"},
            {"op": "replace", "path": "/list/0", "value": 9},
            {"op": "remove", "path": "/list/1"},
            {"op": "add", "path": "/list/-", "value": 4},
            {"op": "copy", "from": "/list/0", "path": "/copied"},
            {"op": "move", "from": "/copied", "path": "/moved"},
            {"op": "test", "path": "/moved", "value": 9}
        ]);
        let out = json_patch(&t, &p).unwrap();
        assert_eq!(
            out["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
            "now"
        );
        assert_eq!(out["list"], json!([9, 3, 4]));
        assert_eq!(out["moved"], 9);
        assert!(out.get("copied").is_none());
    }

    #[test]
    fn json_patch_errors_name_the_operation() {
        let t = json!({"a": 1});
        for p in [
            json!([{"op": "remove", "path": "/b"}]),
            json!([{"op": "replace", "path": "/b", "value": 1}]),
            json!([{"op": "test", "path": "/a", "value": 2}]),
            json!([{"op": "frobnicate", "path": "/a"}]),
            json!([{"op": "add", "path": "a", "value": 1}]),
            json!({"op": "add"}),
        ] {
            assert!(json_patch(&t, &p).is_err(), "{p}");
        }
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let t = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}
        ]}});
        let p = json!({"spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "b:2"}, {"name": "a", "env": [{"name": "Y", "value": "2"}]}]
        }});
        let out = strategic_merge_patch(&t, &p).unwrap();
        assert_eq!(out["spec"]["containers"][0]["image"], "a:1");
        assert_eq!(
            out["spec"]["containers"][0]["env"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(out["spec"]["containers"][1]["image"], "b:2");
        assert!(out["spec"].get("$setElementOrder/containers").is_none());
    }

    #[test]
    fn strategic_merge_directives() {
        let t = json!({"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x"]},
                       "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let p = json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}, "finalizers": ["y"]},
                       "spec": {"containers": [{"name": "a", "$patch": "delete"}]}});
        let out = strategic_merge_patch(&t, &p).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"c": "3"}));
        assert_eq!(out["metadata"]["finalizers"], json!(["x", "y"]));
        assert_eq!(out["spec"]["containers"], json!([{"name": "b"}]));
        let p = json!({"spec": {"containers": [{"image": "x"}]}});
        assert!(strategic_merge_patch(&t, &p).is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchKind::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchKind::Merge)
        );
        assert_eq!(
            PatchKind::from_content_type("application/apply-patch+yaml"),
            Some(PatchKind::Apply)
        );
        assert_eq!(PatchKind::from_content_type("text/plain"), None);
    }
}
