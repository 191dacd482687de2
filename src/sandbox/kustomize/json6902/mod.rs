//! JSON patches (RFC 6902) as kustomize applies them, through evanphx/json-patch v4.
//!
//! Its quirks are kept, because they decide what builds: negative array indices count from
//! the end; `replace` of a missing object key adds it; a path without a leading `/` still
//! works (the first segment is dropped); every object on a patched path comes back with its
//! keys sorted (Go re-encodes it from a map). Messages are evanphx's, e.g.
//! `add operation does not apply: doc is missing path: "/spec/x": missing value`.

use serde_json::{Map, Value};

use super::yaml;

/// One operation of a patch.
pub(crate) type Op = Map<String, Value>;

/// The most bytes `copy` operations may add to one object (evanphx's
/// `AccumulatedCopySizeLimit`, unlimited in kustomize, bounded here).
pub(crate) const COPY_LIMIT: usize = 4 << 20;

/// The deepest an object may nest after a patch (parsed YAML stops at 64 levels; the cap
/// keeps every recursive walk of the object well inside a thread's stack).
pub(crate) const MAX_DEPTH: usize = 200;

/// How deeply a value nests, measured without recursion.
pub(crate) fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    max
}

/// Refuses to place `val` at `path` when the object would nest too deeply.
fn check_depth(path: &str, val: &Value) -> Result<(), String> {
    if path.matches('/').count() + depth(val) > MAX_DEPTH {
        return Err(format!(
            "the fluxdeck sandbox refuses objects nested deeper than {MAX_DEPTH} levels (patch path {path})"
        ));
    }
    Ok(())
}

/// Decodes a patch text: JSON when it starts with `[`, else YAML (its first document).
pub(crate) fn decode(text: &str) -> Result<Vec<Op>, String> {
    let value: Value = if text.starts_with('[') {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        yaml::documents(text.as_bytes())?
            .into_iter()
            .next()
            .unwrap_or(Value::Null)
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .filter(|i| !i.is_null())
            .map(|i| match i {
                Value::Object(m) => Ok(m),
                other => Err(format!(
                    "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                    json_type(&other)
                )),
            })
            .collect(),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            json_type(&other)
        )),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
    }
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Go's `strconv.Atoi`, with its error text.
fn atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing \"{s}\": invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing \"{s}\": value out of range"))
}

fn invalid_index(i: i64) -> String {
    format!("Unable to access invalid index: {i}: invalid index referenced")
}

/// Resolves a possibly negative index against `len` (evanphx's `SupportNegativeIndices`).
fn index(key: &str, len: usize) -> Result<usize, String> {
    let i = atoi(key)?;
    let n = len as i64;
    let j = if i < 0 { i + n } else { i };
    if j < 0 || j >= n {
        return Err(invalid_index(i));
    }
    Ok(j as usize)
}

fn sort_keys(v: &mut Value) {
    if let Value::Object(m) = v {
        m.sort_keys();
    }
}

/// evanphx's `findObject`: the container holding the last segment of `path`, and that
/// segment. Objects on the way get sorted keys.
fn find<'v>(doc: &'v mut Value, path: &str) -> Option<(&'v mut Value, String)> {
    let split: Vec<&str> = path.split('/').collect();
    if split.len() < 2 {
        return None;
    }
    let key = unescape(split[split.len() - 1]);
    sort_keys(doc);
    let mut cur = doc;
    for part in &split[1..split.len() - 1] {
        let part = unescape(part);
        let next = match cur {
            Value::Object(m) => m.get_mut(&part),
            Value::Array(a) => {
                let len = a.len();
                index(&part, len).ok().and_then(|i| a.get_mut(i))
            }
            _ => None,
        }?;
        if !(next.is_object() || next.is_array()) {
            return None;
        }
        sort_keys(next);
        cur = next;
    }
    Some((cur, key))
}

fn get(con: &Value, key: &str) -> Result<Value, String> {
    match con {
        Value::Object(m) => Ok(m.get(key).cloned().unwrap_or(Value::Null)),
        Value::Array(a) => index(key, a.len()).map(|i| a[i].clone()),
        _ => Err("invalid state detected".into()),
    }
}

fn add(con: &mut Value, key: &str, val: Value) -> Result<(), String> {
    match con {
        Value::Object(m) => {
            m.insert(key.to_string(), val);
            m.sort_keys();
            Ok(())
        }
        Value::Array(a) => {
            if key == "-" {
                a.push(val);
                return Ok(());
            }
            let i = atoi(key)
                .map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            let n = a.len() as i64 + 1;
            let j = if i < 0 { i + n } else { i };
            if i >= n || j < 0 {
                return Err(invalid_index(i));
            }
            a.insert(j as usize, val);
            Ok(())
        }
        _ => Err("invalid state detected".into()),
    }
}

fn remove(con: &mut Value, key: &str) -> Result<(), String> {
    match con {
        Value::Object(m) => match m.shift_remove(key) {
            Some(_) => Ok(()),
            None => Err(format!(
                "Unable to remove nonexistent key: {key}: missing value"
            )),
        },
        Value::Array(a) => {
            let i = index(key, a.len())?;
            a.remove(i);
            Ok(())
        }
        _ => Err("invalid state detected".into()),
    }
}

fn field(op: &Op, name: &str, missing: &str) -> Result<String, String> {
    match op.get(name) {
        None | Some(Value::Null) => Err(format!("{missing}: missing value")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go value of type string",
            json_type(other)
        )),
    }
}

/// Structural equality as evanphx's `lazyNode.equal`: scalars compare by their JSON text.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| equal(v, w))
        }
        _ => serde_json::to_string(a).ok() == serde_json::to_string(b).ok(),
    }
}

/// Applies the operations to an object, in order; the first failure stops.
pub(crate) fn apply(doc: &mut Value, ops: &[Op]) -> Result<(), String> {
    let mut copied = 0usize;
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("unknown");
        let value = || op.get("value").cloned().unwrap_or(Value::Null);
        match kind {
            "add" => {
                let path = field(op, "path", "operation missing path field").map_err(|_| {
                    "add operation failed to decode path: missing value".to_string()
                })?;
                check_depth(&path, &value())?;
                let (con, key) = find(doc, &path).ok_or_else(|| {
                    format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
                })?;
                add(con, &key, value())
                    .map_err(|e| format!("error in add for path: '{path}': {e}"))?;
            }
            "remove" => {
                let path = field(op, "path", "operation missing path field").map_err(|_| {
                    "remove operation failed to decode path: missing value".to_string()
                })?;
                let (con, key) = find(doc, &path).ok_or_else(|| {
                    format!("remove operation does not apply: doc is missing path: \"{path}\": missing value")
                })?;
                remove(con, &key)
                    .map_err(|e| format!("error in remove for path: '{path}': {e}"))?;
            }
            "replace" => {
                let path = field(op, "path", "operation missing path field")
                    .map_err(|e| format!("replace operation failed to decode path: {e}"))?;
                check_depth(&path, &value())?;
                if path.is_empty() {
                    let v = value();
                    if !(v.is_object() || v.is_array()) {
                        return Err(
                            "replace operation value must be object or array: %!w(<nil>)".into(),
                        );
                    }
                    *doc = v;
                    continue;
                }
                let (con, key) = find(doc, &path).ok_or_else(|| {
                    format!("replace operation does not apply: doc is missing path: {path}: missing value")
                })?;
                match con {
                    Value::Object(m) => {
                        m.insert(key, value());
                        m.sort_keys();
                    }
                    Value::Array(a) => {
                        let i = index(&key, a.len()).map_err(|_| {
                            format!("replace operation does not apply: doc is missing key: {path}: missing value")
                        })?;
                        a[i] = value();
                    }
                    _ => {
                        return Err(format!(
                            "error in remove for path: '{path}': invalid state detected"
                        ));
                    }
                }
            }
            "move" | "copy" => {
                let is_move = kind == "move";
                let from = field(op, "from", "operation, missing from field")
                    .map_err(|e| format!("{kind} operation failed to decode from: {e}"))?;
                let (con, key) = find(doc, &from).ok_or_else(|| {
                    format!("{kind} operation does not apply: doc is missing from path: {from}: missing value")
                })?;
                let val = get(con, &key).map_err(|e| {
                    if is_move {
                        format!("error in move for path: '{key}': {e}")
                    } else {
                        format!("error in copy for from: '{from}': {e}")
                    }
                })?;
                if is_move {
                    remove(con, &key)
                        .map_err(|e| format!("error in move for path: '{key}': {e}"))?;
                } else {
                    copied += val.to_string().len();
                    if copied > COPY_LIMIT {
                        return Err(format!(
                            "Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {COPY_LIMIT}"
                        ));
                    }
                }
                let path = field(op, "path", "operation missing path field")
                    .map_err(|e| format!("{kind} operation failed to decode path: {e}"))?;
                check_depth(&path, &val)?;
                let (con, key) = find(doc, &path).ok_or_else(|| {
                    format!("{kind} operation does not apply: doc is missing destination path: {path}: missing value")
                })?;
                add(con, &key, val).map_err(|e| {
                    if is_move {
                        format!("error in move for path: '{path}': {e}")
                    } else {
                        format!("error while adding value during copy: {e}")
                    }
                })?;
            }
            "test" => {
                let path = field(op, "path", "operation missing path field")
                    .map_err(|e| format!("test operation failed to decode path: {e}"))?;
                let failed = || format!("testing value {path} failed: test failed");
                if path.is_empty() {
                    if !equal(doc, &value()) {
                        return Err(failed());
                    }
                    continue;
                }
                let (con, key) = find(doc, &path).ok_or_else(|| {
                    format!("test operation does not apply: is missing path: {path}: missing value")
                })?;
                let got =
                    get(con, &key).map_err(|e| format!("error in test for path: '{path}': {e}"))?;
                if !equal(&got, &value()) {
                    return Err(failed());
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
