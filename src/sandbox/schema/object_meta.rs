//! `metadata` as the Kubernetes API server checks it for every object: the CRD's schema only
//! says `type: object` there, the server knows ObjectMeta's fields and the name and label rules.

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::Walk;

impl Walk {
    /// `metadata` as the API server checks it: ObjectMeta's fields only, well-formed name,
    /// namespace and labels.
    pub(super) fn object_meta(&mut self, meta: &Value) {
        self.node(object_meta_schema(), meta);
        for key in ["name", "namespace"] {
            if let Some(text) = meta.get(key).and_then(Value::as_str)
                && let Err(why) = check_dns_subdomain(text)
            {
                self.field(key, |w| {
                    w.report(format!("{text:?} is not a valid name: {why}"))
                });
            }
        }
        let labels = meta.get("labels").and_then(Value::as_object);
        for (key, value) in labels.into_iter().flatten() {
            self.field("labels", |w| {
                w.entry(key, |w| {
                    if let Err(why) = check_label_key(key) {
                        w.report(format!("the label key {key:?} is invalid: {why}"));
                    }
                    if let Some(text) = value.as_str()
                        && let Err(why) = check_label_value(text)
                    {
                        w.report(format!("the label value {text:?} is invalid: {why}"));
                    }
                })
            });
        }
    }
}

/// The schema of `ObjectMeta` (the fields a client may send), built once.
fn object_meta_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let string = json!({"type": "string"});
        let time = json!({"type": "string", "format": "date-time", "nullable": true});
        let int64 = json!({"type": "integer", "format": "int64"});
        let string_map = json!({"type": "object", "additionalProperties": {"type": "string"}});
        json!({
            "type": "object",
            "properties": {
                "name": string, "generateName": string, "namespace": string, "uid": string,
                "resourceVersion": string, "selfLink": string,
                "generation": int64, "deletionGracePeriodSeconds": int64,
                "creationTimestamp": time, "deletionTimestamp": time,
                "labels": string_map, "annotations": string_map,
                "finalizers": {"type": "array", "items": string},
                "ownerReferences": {"type": "array", "items": {
                    "type": "object",
                    "required": ["apiVersion", "kind", "name", "uid"],
                    "properties": {
                        "apiVersion": string, "kind": string, "name": string, "uid": string,
                        "controller": {"type": "boolean"},
                        "blockOwnerDeletion": {"type": "boolean"}
                    }
                }},
                "managedFields": {"type": "array", "items": {
                    "type": "object", "x-kubernetes-preserve-unknown-fields": true
                }}
            }
        })
    })
}

/// Kubernetes' DNS-1123 subdomain rule for object names.
fn check_dns_subdomain(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("use 1 to 253 characters".to_string());
    }
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ok_chars || !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
        return Err(
            "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
                .to_string(),
        );
    }
    Ok(())
}

/// Kubernetes' qualified-name rule for label keys: an optional DNS prefix and `/`, then a name.
fn check_label_key(key: &str) -> Result<(), String> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            check_dns_subdomain(prefix)
                .map_err(|why| format!("its prefix is not a DNS name: {why}"))?;
            name
        }
        None => key,
    };
    if name.is_empty() {
        return Err("the name part is empty".to_string());
    }
    check_label_value(name)
}

/// Kubernetes' label value rule: at most 63 characters of `[A-Za-z0-9_.-]`, alphanumeric at
/// both ends (or empty).
fn check_label_value(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err(format!("use at most 63 characters, not {}", value.len()));
    }
    let ok_chars = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let alnum = |b: Option<u8>| b.is_none_or(|b| b.is_ascii_alphanumeric());
    if !ok_chars || !alnum(value.bytes().next()) || !alnum(value.bytes().last()) {
        return Err(
            "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
                .to_string(),
        );
    }
    Ok(())
}
