//! Strategic-merge patches as kustomize (kyaml `merge2`) applies them.
//!
//! - Maps merge field by field; a `null` in the patch deletes the field; fields the object
//!   lacks are appended in name order.
//! - Lists the built-in schema marks associative (containers by `name`, ports by
//!   `containerPort`+`protocol`, volume mounts by `mountPath`, …, see [`schema`]) merge by
//!   key: elements named in the patch come first, in the patch's order, then the others
//!   (kustomize issue #5904, open in v5.8.1: patching one of two containers moves it first);
//!   other lists, and every list of a custom resource, are replaced.
//! - `$patch: delete` on a map removes it (on the whole patch: the object); `$patch: replace`
//!   replaces it; `- $patch: delete` / `- $patch: replace` as a lone list element delete or
//!   replace an associative list. `$retainKeys`, `$setElementOrder` and
//!   `$deleteFromPrimitiveList` are not interpreted (kyaml does not either).

pub(crate) mod schema;

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::fieldspec::kind_name;
use super::resource::scalar;
use super::yaml::to_yaml;
use schema::{Node, T};

const DIRECTIVE: &str = "$patch";

/// What a `$patch` directive asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
    Unknown,
}

fn directive_of(v: &Value) -> Result<Directive, String> {
    match v.get(DIRECTIVE) {
        None => Ok(Directive::Merge),
        Some(d) => match scalar(d).as_deref() {
            Some("delete") => Ok(Directive::Delete),
            Some("replace") => Ok(Directive::Replace),
            Some("merge") => Ok(Directive::Merge),
            other => Err(format!(
                "unknown patch strategy '{}'",
                other.unwrap_or_default()
            )),
        },
    }
}

/// Merges `patch` into the object `dest`. `None` means the patch deleted the object.
pub(crate) fn merge(dest: &Value, patch: &Value, root: Option<T>) -> Result<Option<Value>, String> {
    walk(Some(dest), Some(patch), root.map(Node::Obj))
}

fn child(node: Option<Node>, key: &str) -> Option<Node> {
    match node {
        Some(Node::Obj(t)) => schema::field(t, key),
        _ => None,
    }
}

fn elem(node: Option<Node>) -> Option<Node> {
    match node {
        Some(Node::Assoc(_, Some(t))) => Some(Node::Obj(t)),
        _ => None,
    }
}

fn walk(
    dest: Option<&Value>,
    patch: Option<&Value>,
    node: Option<Node>,
) -> Result<Option<Value>, String> {
    match (dest, patch) {
        (_, Some(Value::Null)) => Ok(None),
        (None, None) => Ok(None),
        (Some(d), None) => Ok(Some(d.clone())),
        (None | Some(Value::Null), Some(p)) => Ok(fresh(p, node)),
        (Some(d), Some(p)) => both(d, p, node),
    }
}

/// A patch value where the object has nothing: directives are applied, nulls dropped.
fn fresh(p: &Value, node: Option<Node>) -> Option<Value> {
    match p {
        Value::Null => None,
        Value::Object(m) => {
            let d = directive_of(p).unwrap_or(Directive::Unknown);
            if d == Directive::Delete {
                return None;
            }
            let mut out = Map::new();
            for (k, v) in m {
                if k == DIRECTIVE && d != Directive::Unknown {
                    continue;
                }
                if let Some(v) = fresh(v, child(node, k)) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => match node {
            Some(Node::Assoc(..)) => Some(Value::Array(
                items
                    .iter()
                    .filter_map(|i| match i {
                        Value::Object(_) => fresh(i, elem(node)).filter(|v| !is_empty_map(v)),
                        other => Some(other.clone()),
                    })
                    .collect(),
            )),
            _ => Some(p.clone()),
        },
        other => Some(other.clone()),
    }
}

fn is_empty_map(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.is_empty())
}

fn both(d: &Value, p: &Value, node: Option<Node>) -> Result<Option<Value>, String> {
    let same = matches!(
        (d, p),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    ) || !(d.is_object() || d.is_array() || p.is_object() || p.is_array());
    if !same {
        return Err(format!(
            "wrong node kind: expected {} but got {}: node contents:\n{}",
            kind_name(d),
            kind_name(p),
            to_yaml(p)
        ));
    }
    match (d, p) {
        (Value::Object(dm), Value::Object(pm)) => match directive_of(p)? {
            Directive::Delete => Ok(None),
            Directive::Replace => Ok(fresh(p, node)),
            _ => {
                let mut out = dm.clone();
                let names: BTreeSet<&String> = dm
                    .keys()
                    .chain(pm.keys())
                    .filter(|k| *k != DIRECTIVE)
                    .collect();
                for k in names {
                    match walk(dm.get(k), pm.get(k), child(node, k))? {
                        Some(v) => {
                            out.insert(k.clone(), v);
                        }
                        None => {
                            out.shift_remove(k);
                        }
                    }
                }
                Ok(Some(Value::Object(out)))
            }
        },
        (Value::Array(dl), Value::Array(pl)) => match node {
            Some(Node::Assoc(keys, _)) => assoc(dl, pl, keys, node),
            _ => Ok(Some(p.clone())),
        },
        _ => Ok(Some(p.clone())),
    }
}

/// The lone `$patch` element of an associative list patch, if any.
fn list_directive(pl: &[Value]) -> Result<Option<(usize, Directive)>, String> {
    let Some(i) = pl.iter().position(|e| e.get(DIRECTIVE).is_some()) else {
        return Ok(None);
    };
    if pl[i].as_object().is_some_and(|m| m.len() > 1) {
        return Ok(None);
    }
    Ok(Some((i, directive_of(&pl[i])?)))
}

fn key_values(e: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|k| e.get(*k).and_then(scalar).unwrap_or_default())
        .collect()
}

/// Whether an element carries `values` under `keys` (an empty value matches a missing field).
fn matches(e: &Value, keys: &[&str], values: &[String]) -> bool {
    e.is_object()
        && keys.iter().zip(values).all(|(k, v)| {
            let got = e.get(*k).and_then(scalar).unwrap_or_default();
            got == *v
        })
}

/// kyaml's `mergeValues`: key tuples that agree where both are set become one.
fn merge_values(list: &mut [Vec<String>]) {
    for i in 0..list.len() {
        for j in 0..list.len() {
            let (a, b) = (&list[i], &list[j]);
            if a.len() != b.len() {
                continue;
            }
            let mut common = false;
            let mut res = Vec::with_capacity(a.len());
            let mut ok = true;
            for (x, y) in a.iter().zip(b) {
                if x == y {
                    common = true;
                    res.push(x.clone());
                } else if !x.is_empty() && !y.is_empty() {
                    ok = false;
                    break;
                } else {
                    res.push(if x.is_empty() { y.clone() } else { x.clone() });
                }
            }
            if ok && common {
                list[i] = res.clone();
                list[j] = res;
            }
        }
    }
}

fn assoc(
    dl: &[Value],
    pl: &[Value],
    keys: &'static [&'static str],
    node: Option<Node>,
) -> Result<Option<Value>, String> {
    let mut pl: Vec<Value> = pl.to_vec();
    if let Some((i, d)) = list_directive(&pl)? {
        match d {
            Directive::Delete => return Ok(None),
            Directive::Replace => {
                pl.remove(i);
                return Ok(fresh(&Value::Array(pl), node));
            }
            _ => {
                pl.remove(i);
            }
        }
    }
    if keys.is_empty() {
        let mut seen = HashSet::new();
        let out = pl
            .iter()
            .chain(dl)
            .filter(|v| seen.insert(scalar(v).unwrap_or_else(|| v.to_string())))
            .cloned()
            .collect();
        return Ok(Some(Value::Array(out)));
    }
    let mut values: Vec<Vec<String>> = Vec::new();
    let mut seen = HashSet::new();
    for e in pl.iter().chain(dl) {
        let v = key_values(e, keys);
        if seen.insert(v.clone()) {
            values.push(v);
        }
    }
    if keys.len() > 1 {
        merge_values(&mut values);
    }
    let valid: Vec<usize> = (0..keys.len())
        .filter(|i| values.iter().any(|v| !v[*i].is_empty()))
        .collect();
    let valid: Vec<usize> = if valid.is_empty() {
        (0..keys.len()).collect()
    } else {
        valid
    };
    let vkeys: Vec<&str> = valid.iter().map(|i| keys[*i]).collect();
    let mut dest: Vec<Value> = dl.to_vec();
    let mut items: Vec<Value> = Vec::new();
    for v in &values {
        let vv: Vec<String> = valid.iter().map(|i| v[*i].clone()).collect();
        let set: Vec<usize> = (0..vkeys.len()).filter(|i| !vv[*i].is_empty()).collect();
        let set = if set.is_empty() {
            (0..vkeys.len()).collect()
        } else {
            set
        };
        let mk: Vec<&str> = set.iter().map(|i| vkeys[*i]).collect();
        let mv: Vec<String> = set.iter().map(|i| vv[*i].clone()).collect();
        let di = dest.iter().position(|e| matches(e, &mk, &mv));
        let pe = pl.iter().find(|e| matches(e, &mk, &mv));
        let merged = walk(di.map(|i| &dest[i]), pe, elem(node))?;
        let Some(mut merged) = merged.filter(|m| !is_empty_map(m)) else {
            dest.retain(|e| !matches(e, &mk, &mv));
            continue;
        };
        if let Value::Object(m) = &mut merged {
            for (k, val) in vkeys.iter().zip(&vv) {
                if !m.contains_key(*k) && !val.is_empty() {
                    m.insert(k.to_string(), Value::String(val.clone()));
                }
            }
        }
        if let Some(i) = di {
            dest[i] = merged.clone();
        }
        match items.iter().position(|e| matches(e, &mk, &mv)) {
            Some(i) => items[i] = merged,
            None => items.push(merged),
        }
    }
    for e in dest {
        if vkeys.iter().any(|k| e.get(*k).is_none()) {
            items.push(e);
            continue;
        }
        let ev = key_values(&e, &vkeys);
        let at = items.iter().position(|x| matches(x, &vkeys, &ev));
        match at {
            Some(i) if vkeys.len() == 1 => items[i] = e,
            Some(i) => {
                items.remove(i);
                items.push(e);
            }
            None => items.push(e),
        }
    }
    Ok(Some(Value::Array(items)))
}

#[cfg(test)]
mod tests;
