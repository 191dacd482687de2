//! What the store keeps and hands out (stored objects, changes, write targets) and how a
//! written object is stamped: uid, creationTimestamp, generation and resourceVersion.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::sandbox::apiserver::resources::{ResourceType, TypeId};
use crate::sandbox::apiserver::status::ApiError;
use crate::sandbox::apiserver::validation::ensure_object;

/// One stored object.
#[derive(Debug)]
pub struct StoredObject {
    /// Its `metadata.resourceVersion`.
    pub rv: u64,
    /// Namespace (`""` for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.labels`, for label selectors.
    pub labels: Vec<(String, String)>,
    /// The object at the storage version, serialised.
    pub json: Bytes,
}

impl StoredObject {
    /// The object parsed back into a value.
    pub fn value(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.json)
            .map_err(|e| ApiError::internal(format!("stored object does not parse: {e}")))
    }
}

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Deleted (the object is its last state).
    Deleted,
}

impl EventKind {
    /// The watch event `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Added => "ADDED",
            EventKind::Modified => "MODIFIED",
            EventKind::Deleted => "DELETED",
        }
    }
}

/// One change, as watches see it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The resourceVersion of the change.
    pub rv: u64,
    /// What happened.
    pub kind: EventKind,
    /// The resource type.
    pub type_id: TypeId,
    /// The object after the change (its last state for a delete).
    pub object: Arc<StoredObject>,
}

/// Where a write goes: the main resource or its `status` subresource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The object (status changes are ignored when the kind has a status subresource).
    Main,
    /// The `status` subresource (only status changes are kept).
    Status,
}

/// Current time as the API server writes it (RFC 3339, seconds).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| jiff::Timestamp::now().to_string())
}

fn new_uid() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn labels_of(obj: &Value) -> Vec<(String, String)> {
    obj["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn without(obj: &Value, keys: &[&str]) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        for k in keys {
            m.remove(*k);
        }
    }
    v
}

/// The last state of a deleted object, stamped with the delete's resourceVersion.
pub(super) fn deleted_copy(o: &StoredObject, rv: u64) -> Arc<StoredObject> {
    let json = serde_json::from_slice::<Value>(&o.json)
        .ok()
        .and_then(|mut v| {
            v["metadata"]["resourceVersion"] = json!(rv.to_string());
            serde_json::to_vec(&v).ok()
        })
        .map(Bytes::from)
        .unwrap_or_else(|| o.json.clone());
    Arc::new(StoredObject {
        rv,
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        uid: o.uid.clone(),
        labels: o.labels.clone(),
        json,
    })
}

/// Stamps the server-owned fields (apiVersion, kind, uid, creationTimestamp, generation,
/// resourceVersion) and serialises the object.
pub(super) fn finish(
    ty: &ResourceType,
    old: Option<&Value>,
    mut obj: Value,
    rv: u64,
) -> Result<Finished, ApiError> {
    ensure_object(&mut obj, &ty.kind, "")?;
    obj["apiVersion"] = json!(ty.api_version(ty.storage_version()));
    obj["kind"] = json!(ty.kind);
    let meta_old = old.map(|o| &o["metadata"]);
    let uid = meta_old
        .and_then(|m| m["uid"].as_str())
        .map(str::to_string)
        .or_else(|| obj["metadata"]["uid"].as_str().map(str::to_string))
        .unwrap_or_else(new_uid);
    obj["metadata"]["uid"] = json!(uid);
    let created = meta_old
        .and_then(|m| m["creationTimestamp"].as_str())
        .map(str::to_string)
        .or_else(|| {
            obj["metadata"]["creationTimestamp"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(now_rfc3339);
    obj["metadata"]["creationTimestamp"] = json!(created);
    if ty.custom || ty.group == "apps" {
        let spec_changed = match old {
            None => false,
            Some(o) => {
                without(o, &["metadata", "status"]) != without(&obj, &["metadata", "status"])
            }
        };
        let previous = meta_old
            .and_then(|m| m["generation"].as_i64())
            .or_else(|| obj["metadata"]["generation"].as_i64())
            .unwrap_or(1);
        let generation = if old.is_none() {
            obj["metadata"]["generation"].as_i64().unwrap_or(1).max(1)
        } else if spec_changed {
            previous + 1
        } else {
            previous
        };
        obj["metadata"]["generation"] = json!(generation);
    }
    if let Some(old) = old {
        // An unchanged object keeps its version, so a no-op write bumps nothing.
        obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
        if obj == *old {
            return Ok(Finished::Unchanged);
        }
    }
    obj["metadata"]["resourceVersion"] = json!(rv.to_string());
    let namespace = if ty.namespaced {
        obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    } else {
        if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("namespace");
        }
        String::new()
    };
    let json = serde_json::to_vec(&obj).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Finished::New(StoredObject {
        rv,
        namespace,
        name: obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        uid,
        labels: labels_of(&obj),
        json: Bytes::from(json),
    }))
}

/// The outcome of stamping a written object.
pub(super) enum Finished {
    /// The write changes nothing.
    Unchanged,
    /// The object to store.
    New(StoredObject),
}

impl Finished {
    pub(super) fn created(self) -> Result<StoredObject, ApiError> {
        match self {
            Finished::New(o) => Ok(o),
            Finished::Unchanged => Err(ApiError::internal("a new object cannot be unchanged")),
        }
    }
}
