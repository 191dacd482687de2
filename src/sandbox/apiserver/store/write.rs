//! The writes: create, modify (update, patch, server-side apply) and delete, each checked,
//! defaulted and stamped before it lands under the write lock.

use std::sync::Arc;

use serde_json::{Value, json};

use super::object::{Change, EventKind, Finished, StoredObject, Target, deleted_copy, finish};
use super::{Inner, Store};
use crate::sandbox::apiserver::defaults;
use crate::sandbox::apiserver::resources::{ResourceType, TypeId};
use crate::sandbox::apiserver::status::ApiError;
use crate::sandbox::apiserver::validation;

impl Store {
    /// Checks an object before it is stored (see [`validation::check`]).
    fn check(&self, ty: &ResourceType, obj: &Value) -> Result<(), ApiError> {
        validation::check(ty, obj, self.validator.as_deref())
    }

    /// Stores a created or changed object under its resource version (which the caller took
    /// as `inner.rv + 1` and stamped on it) and records the change for watches.
    fn land(
        &self,
        inner: &mut Inner,
        kind: EventKind,
        type_id: TypeId,
        key: (String, String),
        stored: Arc<StoredObject>,
    ) {
        let rv = stored.rv;
        inner.rv = rv;
        if let Some(map) = inner.objects.get_mut(type_id) {
            map.insert(key, stored.clone());
        }
        self.record(
            inner,
            Change {
                rv,
                kind,
                type_id,
                object: stored,
            },
        );
    }

    /// Creates an object. Its name comes from `metadata.name` or `metadata.generateName`.
    pub fn create(
        &self,
        type_id: TypeId,
        namespace: &str,
        mut obj: Value,
        dry_run: bool,
    ) -> Result<Arc<StoredObject>, ApiError> {
        let ty = self.ty(type_id)?;
        validation::ensure_object(&mut obj, &ty.kind, "")?;
        if obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
        {
            match obj["metadata"]["generateName"].as_str() {
                Some(prefix) if !prefix.is_empty() => {
                    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
                    let suffix: String = (0..5)
                        .map(|_| {
                            let i = rand::random::<u32>() as usize % ALPHABET.len();
                            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
                        })
                        .collect();
                    obj["metadata"]["name"] = json!(format!("{prefix}{suffix}"));
                }
                _ => {
                    return Err(ApiError::invalid(
                        &ty.kind,
                        "",
                        vec![(
                            "metadata.name".into(),
                            "Required value: name or generateName is required".into(),
                        )],
                    ));
                }
            }
        }
        if ty.namespaced {
            match obj["metadata"]["namespace"].as_str() {
                Some(ns) if !ns.is_empty() && ns != namespace => {
                    return Err(ApiError::bad_request(format!(
                        "the namespace of the provided object ({ns}) does not match the namespace sent on the request ({namespace})"
                    )));
                }
                _ => obj["metadata"]["namespace"] = json!(namespace),
            }
            if !self.namespace_exists(namespace) {
                return Err(ApiError::not_found("namespaces", namespace));
            }
        }
        if ty.custom && ty.status_subresource {
            // A real API server drops status on create when the kind has the subresource.
            if let Some(m) = obj.as_object_mut() {
                m.remove("status");
            }
        }
        defaults::apply(ty, &mut obj);
        self.check(ty, &obj)?;
        let mut inner = self.write();
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ns = if ty.namespaced { namespace } else { "" };
        let key = (ns.to_string(), name.clone());
        if inner
            .objects
            .get(type_id)
            .is_some_and(|m| m.contains_key(&key))
        {
            return Err(ApiError::already_exists(&ty.qualified_name(), &name));
        }
        let rv = inner.rv + 1;
        let stored = Arc::new(finish(ty, None, obj, rv)?.created()?);
        if dry_run {
            return Ok(stored);
        }
        self.land(&mut inner, EventKind::Added, type_id, key, stored.clone());
        Ok(stored)
    }

    /// Changes an existing object atomically: `change` gets the current object and returns
    /// the new one (a replacement for PUT, the patched object for PATCH). When `create`
    /// gives a function, a missing object is created from it (server-side apply).
    #[allow(clippy::too_many_arguments)]
    pub fn modify(
        &self,
        type_id: TypeId,
        namespace: &str,
        name: &str,
        target: Target,
        dry_run: bool,
        change: &dyn Fn(&Value) -> Result<Value, ApiError>,
        create: Option<&dyn Fn() -> Result<Value, ApiError>>,
    ) -> Result<(Arc<StoredObject>, bool), ApiError> {
        let ty = self.ty(type_id)?;
        let ns = if ty.namespaced { namespace } else { "" };
        let key = (ns.to_string(), name.to_string());
        let current = self
            .read()
            .objects
            .get(type_id)
            .and_then(|m| m.get(&key).cloned());
        let Some(current) = current else {
            return match create {
                Some(make) if target == Target::Main => {
                    let obj = make()?;
                    self.create(type_id, namespace, obj, dry_run)
                        .map(|o| (o, true))
                }
                _ => Err(ApiError::not_found(&ty.qualified_name(), name)),
            };
        };
        let old = current.value()?;
        let mut new = change(&old)?;
        validation::ensure_object(&mut new, &ty.kind, name)?;
        // Identity fields cannot change through a write.
        let new_name = new["metadata"]["name"].as_str().unwrap_or(name).to_string();
        if new_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({new_name}) does not match the name on the URL ({name})"
            )));
        }
        if let Some(want) = new["metadata"]["resourceVersion"].as_str()
            && !want.is_empty()
            && want != current.rv.to_string()
        {
            return Err(ApiError::conflict(&ty.qualified_name(), name));
        }
        match target {
            Target::Status => {
                let mut merged = old.clone();
                merged["status"] = new["status"].take();
                new = merged;
            }
            Target::Main if ty.status_subresource => {
                new["status"] = old["status"].clone();
                if new["status"].is_null()
                    && let Some(m) = new.as_object_mut()
                {
                    m.remove("status");
                }
            }
            Target::Main => {}
        }
        if target == Target::Main {
            defaults::apply(ty, &mut new);
        }
        self.check(ty, &new)?;
        let mut inner = self.write();
        // Another write may have landed since the read above: retry-free optimistic check.
        let latest = inner
            .objects
            .get(type_id)
            .and_then(|m| m.get(&key).cloned());
        match latest {
            Some(l) if l.rv == current.rv => {}
            Some(_) => {
                drop(inner);
                return self.modify(type_id, namespace, name, target, dry_run, change, create);
            }
            None => return Err(ApiError::not_found(&ty.qualified_name(), name)),
        }
        let rv = inner.rv + 1;
        let stored = match finish(ty, Some(&old), new, rv)? {
            // Nothing changed: a real server answers with the object and bumps nothing.
            Finished::Unchanged => return Ok((current, false)),
            Finished::New(o) => Arc::new(o),
        };
        if dry_run {
            return Ok((stored, false));
        }
        self.land(
            &mut inner,
            EventKind::Modified,
            type_id,
            key,
            stored.clone(),
        );
        Ok((stored, false))
    }

    /// Deletes an object; deleting a namespace deletes everything in it.
    pub fn delete(
        &self,
        type_id: TypeId,
        namespace: &str,
        name: &str,
        dry_run: bool,
    ) -> Result<Arc<StoredObject>, ApiError> {
        let ty = self.ty(type_id)?;
        let ns = if ty.namespaced { namespace } else { "" };
        let key = (ns.to_string(), name.to_string());
        let mut inner = self.write();
        let Some(existing) = inner
            .objects
            .get(type_id)
            .and_then(|m| m.get(&key).cloned())
        else {
            return Err(ApiError::not_found(&ty.qualified_name(), name));
        };
        if dry_run {
            return Ok(existing);
        }
        if !ty.namespaced && ty.plural == "namespaces" && ty.group.is_empty() {
            let mut doomed = Vec::new();
            for (other, map) in inner.objects.iter_mut().enumerate() {
                let keys: Vec<_> = map.keys().filter(|(n, _)| n == name).cloned().collect();
                for k in keys {
                    if let Some(o) = map.remove(&k) {
                        doomed.push((other, o));
                    }
                }
            }
            for (other, o) in doomed {
                inner.rv += 1;
                let rv = inner.rv;
                let obj = deleted_copy(&o, rv);
                self.record(
                    &mut inner,
                    Change {
                        rv,
                        kind: EventKind::Deleted,
                        type_id: other,
                        object: obj,
                    },
                );
            }
        }
        if let Some(map) = inner.objects.get_mut(type_id) {
            map.remove(&key);
        }
        inner.rv += 1;
        let rv = inner.rv;
        let last = deleted_copy(&existing, rv);
        self.record(
            &mut inner,
            Change {
                rv,
                kind: EventKind::Deleted,
                type_id,
                object: last.clone(),
            },
        );
        Ok(last)
    }
}
