//! The object store: every object serialised once, a global monotonically increasing
//! `resourceVersion`, a bounded event history for watches that resume, and a broadcast of
//! every change to open watches. It speaks Kubernetes (its errors are `Status` values) but
//! knows nothing of HTTP.
//!
//! Objects are kept as JSON bytes (plus the few fields lists filter on) rather than parsed
//! values: a list or a watch event is then a copy of bytes. Writes parse, change and
//! re-serialise one object under the write lock, so each write is atomic and gets the next
//! resourceVersion.
//!
//! `object` holds what is stored and how a written object is stamped; `list`, `history` and
//! `write` add the reads with pages, the watch history and the writes to [`Store`].

pub mod history;
pub mod list;
pub mod object;
mod write;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::Value;
use tokio::sync::broadcast;

pub use object::{Change, EventKind, StoredObject, Target, now_rfc3339};

use super::logbook::LogBook;
use super::resources::{ResourceTable, ResourceType, TypeId};
use super::status::ApiError;
use super::validation::Validator;
use object::{Finished, finish};

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

/// The in-memory store of the sandbox.
pub struct Store {
    resources: Arc<ResourceTable>,
    inner: RwLock<Inner>,
    changes: broadcast::Sender<Arc<Change>>,
    history_limit: usize,
    validator: Option<Box<Validator>>,
    logs: LogBook,
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

impl Store {
    /// An empty store for the given resources.
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

    /// The resources the store serves.
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
    /// unknown resources are an error naming the object.
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

    fn ty(&self, type_id: TypeId) -> Result<&ResourceType, ApiError> {
        self.resources
            .get(type_id)
            .ok_or_else(|| ApiError::internal("unknown resource type"))
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
