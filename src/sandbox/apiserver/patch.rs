//! The PATCH formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge
//! patch (maps merge, keyed lists of pods and deployments merge by key, `$patch`
//! directives), and server-side apply (treated as a merge that records its field manager).

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
    match patch {
        Value::Object(p) => {
            let mut out = match target {
                Value::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let merged = merge_patch(out.get(k).unwrap_or(&Value::Null), v);
                    out.insert(k.clone(), merged);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(path: &str) -> Result<Vec<String>, PatchError> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path.strip_prefix('/').ok_or_else(|| {
        PatchError(format!(
            "invalid JSON pointer '{path}': it must be empty or start with '/'"
        ))
    })?;
    Ok(rest.split('/').map(unescape).collect())
}

fn parent_mut<'a>(
    doc: &'a mut Value,
    parts: &[String],
    path: &str,
) -> Result<&'a mut Value, PatchError> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get_mut(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| PatchError(format!("path '{path}' does not exist: missing '{p}'")))?;
    }
    Ok(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parents, path)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let idx = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>().map_err(|_| {
                    PatchError(format!("path '{path}': '{last}' is not an array index"))
                })?
            };
            if idx > a.len() {
                return Err(PatchError(format!(
                    "path '{path}': index {idx} is out of bounds (length {})",
                    a.len()
                )));
            }
            a.insert(idx, value);
            Ok(())
        }
        _ => Err(PatchError(format!(
            "path '{path}': the parent is neither an object nor an array"
        ))),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, PatchError> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        return Err(PatchError("cannot remove the whole document".into()));
    };
    match parent_mut(doc, parents, path)? {
        Value::Object(m) => m
            .shift_remove(last)
            .ok_or_else(|| PatchError(format!("path '{path}' does not exist"))),
        Value::Array(a) => {
            let idx = last
                .parse::<usize>()
                .ok()
                .filter(|i| *i < a.len())
                .ok_or_else(|| PatchError(format!("path '{path}': no element '{last}'")))?;
            Ok(a.remove(idx))
        }
        _ => Err(PatchError(format!("path '{path}' does not exist"))),
    }
}

fn get<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, PatchError> {
    doc.pointer(path)
        .ok_or_else(|| PatchError(format!("path '{path}' does not exist")))
}

/// RFC 6902: a list of `add`, `remove`, `replace`, `move`, `copy`, `test` operations,
/// applied in order; the first failing one fails the whole patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| PatchError("a JSON patch must be an array of operations".into()))?;
    let mut doc = target.clone();
    for (i, op) in ops.iter().enumerate() {
        let name = op["op"]
            .as_str()
            .ok_or_else(|| PatchError(format!("operation {i} has no 'op'")))?;
        let path = op["path"]
            .as_str()
            .ok_or_else(|| PatchError(format!("operation {i} ({name}) has no 'path'")))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| PatchError(format!("operation {i} ({name} {path}) has no 'value'")))
        };
        let from = || {
            op["from"]
                .as_str()
                .ok_or_else(|| PatchError(format!("operation {i} ({name} {path}) has no 'from'")))
        };
        match name {
            "add" => add(&mut doc, path, value()?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                get(&doc, path)?;
                remove(&mut doc, path).ok();
                add(&mut doc, path, value()?)?;
            }
            "move" => {
                let from = from()?;
                let v = remove(&mut doc, from)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let v = get(&doc, from()?)?.clone();
                add(&mut doc, path, v)?;
            }
            "test" => {
                if *get(&doc, path)? != value()? {
                    return Err(PatchError(format!(
                        "test operation {i} failed: the value at '{path}' differs"
                    )));
                }
            }
            other => {
                return Err(PatchError(format!(
                    "operation {i}: unknown op '{other}' (use add, remove, replace, move, copy or test)"
                )));
            }
        }
    }
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
