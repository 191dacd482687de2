//! The checks a write passes before it is stored: the body is an object with object
//! `metadata`, its kind matches the resource, its name is a DNS-1123 subdomain, and a custom
//! resource matches its CRD's schema. Failures are `Status` errors (400 or 422 `Invalid`
//! with one cause per field), worded as the API server words them.

use serde_json::{Value, json};

use super::resources::{ResourceType, split_api_version};
use super::status::ApiError;

/// A function that checks an object before it is stored; returns `(field, message)` causes.
pub type Validator = dyn Fn(&ResourceType, &Value) -> Vec<(String, String)> + Send + Sync;

/// Makes sure `obj` is an object whose `metadata` is an object (created when absent), so
/// later field writes cannot fail; anything else is a 422 naming the field.
pub fn ensure_object(obj: &mut Value, kind: &str, name: &str) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::invalid(
            kind,
            name,
            vec![("".into(), "the object must be a JSON object".into())],
        ));
    };
    match map.get("metadata") {
        None | Some(Value::Null) => {
            map.insert("metadata".into(), json!({}));
            Ok(())
        }
        Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid(
            kind,
            name,
            vec![(
                "metadata".into(),
                "Invalid value: metadata must be an object".into(),
            )],
        )),
    }
}

/// A body whose `kind` names another kind than the resource's is a 400.
pub fn check_kind(ty: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    if let Some(kind) = obj["kind"].as_str()
        && kind != ty.kind
    {
        return Err(ApiError::bad_request(format!(
            "the object's kind is {kind}, but the request is for {}: send it to the {kind} resource",
            ty.kind
        )));
    }
    Ok(())
}

/// Whether `name` is a valid DNS-1123 subdomain (what most kinds require of names).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Checks an object before it is stored: its name, then `validator` (when the store has
/// one). Every failure is one cause of a 422 `Invalid`.
pub fn check(
    ty: &ResourceType,
    obj: &Value,
    validator: Option<&Validator>,
) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let mut causes = Vec::new();
    if !valid_name(name) {
        causes.push((
            "metadata.name".to_string(),
            format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        ));
    }
    if let Some(v) = validator {
        causes.extend(v(ty, obj));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(&ty.kind, name, causes))
    }
}

/// A [`Validator`] that checks custom resources against their CRD's schema (at the version
/// the object names, else the storage version), as the API server does; other kinds pass.
pub fn custom_resource_schema(ty: &ResourceType, obj: &Value) -> Vec<(String, String)> {
    if !ty.custom {
        return Vec::new();
    }
    let version = obj["apiVersion"]
        .as_str()
        .map(|v| split_api_version(v).1)
        .unwrap_or_else(|| ty.storage_version());
    match ty.version(version).and_then(|v| v.schema.as_ref()) {
        Some(schema) => crate::sandbox::schema::validate(schema, obj)
            .into_iter()
            .map(|v| (v.path, v.message))
            .collect(),
        None => Vec::new(),
    }
}
