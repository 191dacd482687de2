//! What the controllers have to do and when: a work queue of object keys (deduplicated, so a
//! burst of changes to one object is one sync) and per-key timers on one heap (a timer that
//! fires queues its key; a sync that finds nothing due does nothing).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::time::Instant;

/// A namespaced object's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct ObjKey {
    /// Namespace.
    pub ns: String,
    /// Name.
    pub name: String,
}

impl ObjKey {
    /// The key of `ns/name`.
    pub(super) fn new(ns: &str, name: &str) -> ObjKey {
        ObjKey {
            ns: ns.to_string(),
            name: name.to_string(),
        }
    }
}

impl std::fmt::Display for ObjKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ns, self.name)
    }
}

/// One unit of work. The order is the queue's: ReplicaSets act on what Deployments decided
/// before Deployments decide again, so pods follow every scale before the next one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Key {
    /// Sync a ReplicaSet (its pods and status).
    ReplicaSet(ObjKey),
    /// Sync a Deployment (its ReplicaSets and status).
    Deployment(ObjKey),
    /// Advance a pod (scheduler and kubelet).
    Pod(ObjKey),
    /// Drop the Events of the object with this uid (it was deleted a while ago).
    Events(String),
}

/// Keys waiting for a sync, each once.
#[derive(Debug, Default)]
pub(super) struct Queue {
    keys: BTreeSet<Key>,
}

impl Queue {
    /// Queues `key` (again: a no-op).
    pub(super) fn push(&mut self, key: Key) {
        self.keys.insert(key);
    }

    /// The next key to sync.
    pub(super) fn pop(&mut self) -> Option<Key> {
        self.keys.pop_first()
    }

    /// Whether nothing waits.
    pub(super) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Per-key timers: the earliest deadline of each key counts.
#[derive(Debug, Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, Key)>>,
    due: HashMap<Key, Instant>,
    seq: u64,
}

impl Timers {
    /// Fires `key` at `at`, unless it already fires earlier (but not in the past: a stale
    /// entry is replaced).
    pub(super) fn at(&mut self, key: Key, at: Instant) {
        if let Some(existing) = self.due.get(&key)
            && *existing <= at
        {
            return;
        }
        self.seq += 1;
        self.due.insert(key.clone(), at);
        self.heap.push(Reverse((at, self.seq, key)));
    }

    /// When the next timer fires.
    pub(super) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// The keys whose timers are due at `now`, each removed.
    pub(super) fn due(&mut self, now: Instant) -> Vec<Key> {
        let mut out = Vec::new();
        while let Some(Reverse((at, _, _))) = self.heap.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, _, key))) = self.heap.pop() else {
                break;
            };
            // Only the entry that is still the key's deadline counts; older ones were
            // replaced by an earlier deadline.
            if self.due.get(&key) == Some(&at) {
                self.due.remove(&key);
                out.push(key);
            }
        }
        out
    }

    /// How many timers are set.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn replica_sets_come_before_deployments_and_keys_queue_once() {
        let mut q = Queue::default();
        let k = ObjKey::new("ns", "a");
        q.push(Key::Pod(k.clone()));
        q.push(Key::Deployment(k.clone()));
        q.push(Key::ReplicaSet(k.clone()));
        q.push(Key::Deployment(k.clone()));
        assert_eq!(q.pop(), Some(Key::ReplicaSet(k.clone())));
        assert_eq!(q.pop(), Some(Key::Deployment(k.clone())));
        assert_eq!(q.pop(), Some(Key::Pod(k)));
        assert!(q.is_empty());
    }

    #[test]
    fn the_earliest_deadline_of_a_key_wins() {
        let mut t = Timers::default();
        let now = Instant::now();
        let k = Key::Events("u".into());
        t.at(k.clone(), now + Duration::from_secs(10));
        t.at(k.clone(), now + Duration::from_secs(1));
        t.at(k.clone(), now + Duration::from_secs(5));
        assert_eq!(t.len(), 1);
        assert_eq!(t.next(), Some(now + Duration::from_secs(1)));
        assert!(t.due(now).is_empty());
        assert_eq!(t.due(now + Duration::from_secs(2)), vec![k.clone()]);
        // The replaced 10 s entry is stale and fires nothing.
        assert!(t.due(now + Duration::from_secs(20)).is_empty());
        assert_eq!(t.len(), 0);
    }
}
