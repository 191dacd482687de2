//! The object store: every object serialised once, a global monotonically increasing
//! `resourceVersion`, a bounded event history for watches that resume, and a broadcast of
//! every change to open watches.
//!
//! Objects are kept as JSON bytes (plus the few fields lists filter on) rather than parsed
//! values: a list or a watch event is then a copy of bytes, and 50,000 pods fit in a few
//! hundred megabytes. Writes parse, change and re-serialise one object under the write lock,
//! so each write is atomic and gets the next resourceVersion.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::logbook::LogBook;
use super::resources::{ResourceTable, ResourceType, TypeId};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;

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

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The list's resourceVersion (a watch from it sees every later change).
    pub rv: u64,
    /// The objects of the page, ordered by namespace and name.
    pub items: Vec<Arc<StoredObject>>,
    /// Token for the next page.
    pub continue_token: Option<String>,
    /// Objects after this page.
    pub remaining: Option<usize>,
}

/// Where a watch starts.
pub struct WatchStart {
    /// Events to send first (synthetic ADDEDs, or the history after the given version).
    pub initial: Vec<Change>,
    /// Later changes.
    pub receiver: broadcast::Receiver<Arc<Change>>,
    /// Changes at or below this version are covered by `initial`.
    pub from_rv: u64,
}

struct Inner {
    rv: u64,
    objects: Vec<BTreeMap<(String, String), Arc<StoredObject>>>,
    history: VecDeque<Arc<Change>>,
    /// Watches and continue tokens older than this get 410 Gone.
    oldest_valid_rv: u64,
}

/// Options of the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How many changes are kept for watches that resume from an older version.
    pub history_limit: usize,
    /// Capacity of the broadcast to open watches; a watch that falls further behind is
    /// closed and resumes from the history.
    pub broadcast_capacity: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            history_limit: 20_000,
            broadcast_capacity: 16_384,
        }
    }
}

/// A function that checks an object before it is stored; returns `(field, message)` causes.
pub type Validator = dyn Fn(&ResourceType, &Value) -> Vec<(String, String)> + Send + Sync;

/// The in-memory store of the sandbox.
pub struct Store {
    resources: Arc<ResourceTable>,
    inner: RwLock<Inner>,
    changes: broadcast::Sender<Arc<Change>>,
    history_limit: usize,
    validator: Option<Box<Validator>>,
    logs: LogBook,
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

/// Stores seed objects; see [`Store::seeder`].
pub struct Seeder<'a> {
    store: &'a Store,
    inner: RwLockWriteGuard<'a, Inner>,
}

impl Seeder<'_> {
    /// Stores one object.
    pub fn add(&mut self, obj: Value) -> Result<(), String> {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let type_id = self.store.resources.by_kind(&api_version, &kind).ok_or_else(|| {
            format!(
                "seed object {kind} {} has apiVersion {api_version}, which the sandbox does not serve",
                obj["metadata"]["name"]
            )
        })?;
        let ty = self.store.resources.get(type_id).ok_or("unknown type")?;
        self.inner.rv += 1;
        let rv = self.inner.rv;
        let stored = finish(ty, None, obj, rv)
            .and_then(Finished::created)
            .map_err(|e| e.message)?;
        let key = (stored.namespace.clone(), stored.name.clone());
        if let Some(map) = self.inner.objects.get_mut(type_id) {
            map.insert(key, Arc::new(stored));
        }
        self.inner.oldest_valid_rv = self.inner.rv;
        Ok(())
    }
}

/// One entry of a type's map: (namespace, name) → object.
type Entry<'a> = (&'a (String, String), &'a Arc<StoredObject>);

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    ns: String,
    name: String,
}

impl Store {
    /// An empty store for the given resource types.
    pub fn new(resources: Arc<ResourceTable>, options: StoreOptions) -> Self {
        let (changes, _) = broadcast::channel(options.broadcast_capacity.max(16));
        let objects = resources.types().iter().map(|_| BTreeMap::new()).collect();
        Store {
            resources,
            inner: RwLock::new(Inner {
                rv: 1,
                objects,
                history: VecDeque::new(),
                oldest_valid_rv: 1,
            }),
            changes,
            history_limit: options.history_limit.max(1),
            validator: None,
            logs: LogBook::default(),
        }
    }

    /// Installs the check run on every write (schema validation of custom resources).
    pub fn set_validator(&mut self, validator: Box<Validator>) {
        self.validator = Some(validator);
    }

    /// What containers printed (written by the sandbox's kubelet, read by the `log`
    /// subresource).
    pub fn logs(&self) -> &LogBook {
        &self.logs
    }

    /// The kinds the store serves.
    pub fn resources(&self) -> &ResourceTable {
        &self.resources
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A poisoned lock means a writer panicked mid-write; writes validate before they
        // mutate, so the data is still consistent and serving it is better than failing.
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The current (latest) resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.read().rv
    }

    /// Subscribes to every later change (for the sandbox's controllers).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }

    /// Loads objects without recording history (the scenario's initial state). Objects of
    /// unknown kinds are an error naming the object.
    pub fn seed(&self, objects: impl IntoIterator<Item = Value>) -> Result<(), String> {
        let mut seeder = self.seeder();
        for obj in objects {
            seeder.add(obj)?;
        }
        Ok(())
    }

    /// A seeder that stores objects one by one (so a large scenario never exists twice in
    /// memory: as values and serialised). History starts after the last seeded object.
    pub fn seeder(&self) -> Seeder<'_> {
        Seeder {
            store: self,
            inner: self.write(),
        }
    }

    /// One object.
    pub fn get(&self, type_id: TypeId, namespace: &str, name: &str) -> Option<Arc<StoredObject>> {
        self.read()
            .objects
            .get(type_id)?
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Whether a namespace exists.
    pub fn namespace_exists(&self, namespace: &str) -> bool {
        match self.resources.by_path("", "v1", "namespaces") {
            Some(id) => self.get(id, "", namespace).is_some(),
            None => true,
        }
    }

    /// A page of objects of a type, in one namespace or all, filtered by selectors.
    pub fn list(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, ApiError> {
        let inner = self.read();
        let (list_rv, start) = match continue_token.filter(|t| !t.is_empty()) {
            Some(token) => {
                let t = decode_continue(token)?;
                if t.rv < inner.oldest_valid_rv {
                    return Err(ApiError::gone(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.",
                    ));
                }
                (t.rv, Some((t.ns, t.name)))
            }
            None => (inner.rv, None),
        };
        let Some(map) = inner.objects.get(type_id) else {
            return Err(ApiError::internal("unknown resource type"));
        };
        let range: Box<dyn Iterator<Item = Entry<'_>>> = match (&start, namespace) {
            (Some(k), _) => Box::new(map.range((
                std::ops::Bound::Excluded(k.clone()),
                std::ops::Bound::Unbounded,
            ))),
            (None, Some(ns)) => Box::new(map.range((ns.to_string(), String::new())..)),
            (None, None) => Box::new(map.iter()),
        };
        let needs_body = !fields.only_metadata();
        let mut matching = range
            .take_while(|((ns, _), _)| namespace.is_none_or(|want| ns == want))
            .map(|(_, o)| o)
            .filter(|o| labels.matches(&o.labels))
            .filter(|o| {
                if needs_body {
                    o.value().map(|v| fields.matches(&v)).unwrap_or(false)
                } else {
                    fields.matches_metadata(&o.namespace, &o.name)
                }
            });
        let mut items = Vec::new();
        let max = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        for o in matching.by_ref() {
            if items.len() == max {
                // One more exists: count the rest for remainingItemCount.
                let rest = 1 + matching.count();
                let last: &Arc<StoredObject> = items.last().ok_or_else(|| {
                    ApiError::internal("a page with a limit of at least one is never empty")
                })?;
                let token = ContinueToken {
                    rv: list_rv,
                    ns: last.namespace.clone(),
                    name: last.name.clone(),
                };
                let raw =
                    serde_json::to_vec(&token).map_err(|e| ApiError::internal(e.to_string()))?;
                return Ok(ListPage {
                    rv: list_rv,
                    items,
                    continue_token: Some(
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
                    ),
                    remaining: Some(rest),
                });
            }
            items.push(o.clone());
        }
        Ok(ListPage {
            rv: list_rv,
            items,
            continue_token: None,
            remaining: None,
        })
    }

    /// Starts a watch on a type (in one namespace or all) from `rv`: `None` (or 0) sends
    /// every current object as ADDED first; a version sends the changes after it, or fails
    /// with 410 Gone when it is older than the kept history.
    pub fn watch(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        rv: Option<u64>,
    ) -> Result<WatchStart, ApiError> {
        let inner = self.read();
        // Subscribing under the read lock: no write can land between the snapshot and the
        // subscription, so the watch sees every change exactly once.
        let receiver = self.changes.subscribe();
        let in_ns = |o: &StoredObject| namespace.is_none_or(|ns| o.namespace == ns);
        let initial = match rv.filter(|v| *v > 0) {
            None => inner
                .objects
                .get(type_id)
                .map(|m| {
                    m.values()
                        .filter(|o| in_ns(o))
                        .map(|o| Change {
                            rv: o.rv,
                            kind: EventKind::Added,
                            type_id,
                            object: o.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Some(from) if from < inner.oldest_valid_rv => {
                return Err(ApiError::gone(format!(
                    "too old resource version: {from} ({})",
                    inner.oldest_valid_rv
                )));
            }
            Some(from) => inner
                .history
                .iter()
                .filter(|c| c.rv > from && c.type_id == type_id && in_ns(&c.object))
                .map(|c| (**c).clone())
                .collect(),
        };
        Ok(WatchStart {
            initial,
            receiver,
            from_rv: inner.rv,
        })
    }

    fn record(&self, inner: &mut Inner, change: Change) {
        let change = Arc::new(change);
        inner.history.push_back(change.clone());
        while inner.history.len() > self.history_limit {
            if let Some(old) = inner.history.pop_front() {
                inner.oldest_valid_rv = old.rv;
            }
        }
        // No receivers is fine: nobody watches.
        let _ = self.changes.send(change);
    }

    fn check(&self, ty: &ResourceType, obj: &Value) -> Result<(), ApiError> {
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let mut causes = Vec::new();
        if !valid_name(name) {
            causes.push((
                "metadata.name".to_string(),
                format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
            ));
        }
        if let Some(v) = &self.validator {
            causes.extend(v(ty, obj));
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&ty.kind, name, causes))
        }
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
        super::verbs::ensure_object(&mut obj, &ty.kind, "")?;
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
        super::defaults::apply(ty, &mut obj);
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
        inner.rv = rv;
        if let Some(map) = inner.objects.get_mut(type_id) {
            map.insert(key, stored.clone());
        }
        self.record(
            &mut inner,
            Change {
                rv,
                kind: EventKind::Added,
                type_id,
                object: stored.clone(),
            },
        );
        Ok(stored)
    }

    fn ty(&self, type_id: TypeId) -> Result<&ResourceType, ApiError> {
        self.resources
            .get(type_id)
            .ok_or_else(|| ApiError::internal("unknown resource type"))
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
        super::verbs::ensure_object(&mut new, &ty.kind, name)?;
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
            super::defaults::apply(ty, &mut new);
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
        inner.rv = rv;
        if let Some(map) = inner.objects.get_mut(type_id) {
            map.insert(key, stored.clone());
        }
        self.record(
            &mut inner,
            Change {
                rv,
                kind: EventKind::Modified,
                type_id,
                object: stored.clone(),
            },
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

    /// Fault: every resourceVersion handed out so far expires; the next watch or continue
    /// token from before gets 410 Gone.
    pub fn expire_all(&self) {
        let mut inner = self.write();
        inner.rv += 1;
        inner.oldest_valid_rv = inner.rv;
        inner.history.clear();
    }

    /// Number of objects per type id (for stats).
    pub fn counts(&self) -> Vec<usize> {
        self.read().objects.iter().map(|m| m.len()).collect()
    }
}

/// The last state of a deleted object, stamped with the delete's resourceVersion.
fn deleted_copy(o: &StoredObject, rv: u64) -> Arc<StoredObject> {
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

fn decode_continue(token: &str) -> Result<ContinueToken, ApiError> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| {
            ApiError::bad_request("invalid continue token: start the list again without it")
        })?;
    serde_json::from_slice(&raw).map_err(|_| {
        ApiError::bad_request("invalid continue token: start the list again without it")
    })
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

/// Stamps the server-owned fields (apiVersion, kind, uid, creationTimestamp, generation,
/// resourceVersion) and serialises the object.
fn finish(
    ty: &ResourceType,
    old: Option<&Value>,
    mut obj: Value,
    rv: u64,
) -> Result<Finished, ApiError> {
    super::verbs::ensure_object(&mut obj, &ty.kind, "")?;
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
enum Finished {
    /// The write changes nothing.
    Unchanged,
    /// The object to store.
    New(StoredObject),
}

impl Finished {
    fn created(self) -> Result<StoredObject, ApiError> {
        match self {
            Finished::New(o) => Ok(o),
            Finished::Unchanged => Err(ApiError::internal("a new object cannot be unchanged")),
        }
    }
}
