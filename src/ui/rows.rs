//! The rows each pane lists, behind one trait: tables of Flux objects and pods (sorted by
//! key, with a change journal), the image chains, and the commit log. Also what a filter
//! matches in each kind of row.

use crate::model::commit::Commit;
use crate::model::key::ObjectKey;
use crate::model::kustomization::Kustomization;
use crate::model::pod::Pod;
use crate::model::source::Source;
use crate::state::lanes::Lanes;
use crate::state::{ImageChain, Row, State, Table};

/// Rows a view can show, in display order.
pub trait Rows {
    /// What identifies a row across updates.
    type Key: Ord + Clone;
    /// Bumped on every change.
    fn revision(&self) -> u64;
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The key of row `index`.
    fn key_at(&self, index: usize) -> Option<&Self::Key>;
    /// Where `key` is (`Ok`) or would go (`Err`).
    fn position(&self, key: &Self::Key) -> Result<usize, usize>;
    /// Keys changed since `revision`, when display order is key order and the journal
    /// reaches back that far; `None` asks the view to rebuild.
    fn changes_since(&self, revision: u64) -> Option<Vec<Self::Key>>;
    /// Whether the row with `key` matches a lower-case filter.
    fn matches(&self, key: &Self::Key, needle: &str) -> bool;
}

/// What a filter looks at in a row.
pub trait Haystack {
    /// Whether the row matches a lower-case needle.
    fn matches(&self, needle: &str) -> bool;
}

/// Case-insensitive substring test over several fields.
pub fn any_contains<'a>(fields: impl IntoIterator<Item = &'a str>, needle: &str) -> bool {
    fields
        .into_iter()
        .any(|f| f.to_lowercase().contains(needle))
}

impl<T: Row + Haystack> Rows for Table<T> {
    type Key = ObjectKey;
    fn revision(&self) -> u64 {
        Table::revision(self)
    }
    fn len(&self) -> usize {
        Table::len(self)
    }
    fn key_at(&self, index: usize) -> Option<&ObjectKey> {
        self.at(index).map(Row::key)
    }
    fn position(&self, key: &ObjectKey) -> Result<usize, usize> {
        Table::position(self, key)
    }
    fn changes_since(&self, revision: u64) -> Option<Vec<ObjectKey>> {
        Table::changes_since(self, revision).map(|keys| keys.cloned().collect())
    }
    fn matches(&self, key: &ObjectKey, needle: &str) -> bool {
        self.get(key).is_some_and(|row| row.matches(needle))
    }
}

impl Haystack for Kustomization {
    fn matches(&self, needle: &str) -> bool {
        let source = self.source.as_ref().map_or("", |s| s.name.as_str());
        let revision = self.last_applied_revision.as_deref().unwrap_or("");
        any_contains(
            [
                self.key.name.as_str(),
                &self.key.namespace,
                source,
                revision,
            ],
            needle,
        )
    }
}

impl Haystack for Source {
    fn matches(&self, needle: &str) -> bool {
        // The filter matches what is shown: a URL's password is never on screen.
        let url = crate::model::mask::mask_url_password(self.url.as_deref().unwrap_or(""));
        let revision = self.artifact_revision.as_deref().unwrap_or("");
        any_contains(
            [
                self.key.name.as_str(),
                &self.key.namespace,
                self.key.kind.name(),
                &url,
                revision,
            ],
            needle,
        )
    }
}

impl Haystack for Pod {
    fn matches(&self, needle: &str) -> bool {
        any_contains([self.key.name.as_str(), &self.status], needle)
            || self.image_tags().any(|t| t.to_lowercase().contains(needle))
    }
}

/// The pods pane's rows: the pods of the workloads in the inventory of the Kustomization
/// under the Kustomizations pane's cursor, or every watched pod when that Kustomization
/// applied no workload (or there is none). The state's pods table keeps every watched pod.
pub struct PodRows<'a> {
    table: &'a Table<Pod>,
    /// The Kustomization whose workloads' pods are shown.
    pub following: Option<&'a Kustomization>,
    /// The keys shown when following, sorted.
    only: Vec<ObjectKey>,
    /// Even: the table's revision, doubled (all pods); odd: a digest of what is followed.
    revision: u64,
}

/// The pods pane's rows while the Kustomization `selected` is under the cursor.
pub fn pod_rows<'a>(state: &'a State, selected: Option<&ObjectKey>) -> PodRows<'a> {
    let table = state.pods();
    let following = selected
        .and_then(|key| state.kustomizations().get(key))
        .filter(|ks| !ks.workloads.is_empty());
    let Some(ks) = following else {
        return PodRows {
            table,
            following: None,
            only: Vec::new(),
            revision: table.revision().wrapping_mul(2),
        };
    };
    let mut only = Vec::new();
    let mut namespaces: Vec<&str> = ks.workloads.iter().map(|w| w.namespace.as_str()).collect();
    namespaces.dedup();
    for ns in namespaces {
        for pod in table.in_namespace(ns) {
            let owned = pod.workload.as_deref().and_then(|w| w.split_once('/'));
            if let Some((kind, name)) = owned
                && ks
                    .workloads
                    .iter()
                    .any(|w| w.namespace == ns && w.kind == kind && w.name == name)
            {
                only.push(pod.key.clone());
            }
        }
    }
    only.sort();
    let revision = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (table.revision(), &ks.key, &ks.workloads).hash(&mut h);
        h.finish() | 1
    };
    PodRows {
        table,
        following: Some(ks),
        only,
        revision,
    }
}

impl PodRows<'_> {
    /// The pod of row key `key`.
    pub fn get(&self, key: &ObjectKey) -> Option<&Pod> {
        self.table.get(key)
    }
}

impl Rows for PodRows<'_> {
    type Key = ObjectKey;
    fn revision(&self) -> u64 {
        self.revision
    }
    fn len(&self) -> usize {
        match self.following {
            Some(_) => self.only.len(),
            None => self.table.len(),
        }
    }
    fn key_at(&self, index: usize) -> Option<&ObjectKey> {
        match self.following {
            Some(_) => self.only.get(index),
            None => self.table.at(index).map(Row::key),
        }
    }
    fn position(&self, key: &ObjectKey) -> Result<usize, usize> {
        match self.following {
            Some(_) => self.only.binary_search(key),
            None => self.table.position(key),
        }
    }
    fn changes_since(&self, revision: u64) -> Option<Vec<ObjectKey>> {
        // Incremental only between two revisions of all pods; a followed subset is small.
        match self.following {
            None if revision.is_multiple_of(2) => self
                .table
                .changes_since(revision / 2)
                .map(|keys| keys.cloned().collect()),
            _ => None,
        }
    }
    fn matches(&self, key: &ObjectKey, needle: &str) -> bool {
        self.table.get(key).is_some_and(|pod| pod.matches(needle))
    }
}

/// The image pane's rows: one chain per policy.
pub struct ChainRows<'a> {
    /// The state the chains come from.
    pub state: &'a State,
}

impl ChainRows<'_> {
    fn chains(&self) -> &[ImageChain] {
        self.state.image_chains()
    }
}

impl Rows for ChainRows<'_> {
    type Key = ObjectKey;
    fn revision(&self) -> u64 {
        self.state.image_chains_revision()
    }
    fn len(&self) -> usize {
        self.chains().len()
    }
    fn key_at(&self, index: usize) -> Option<&ObjectKey> {
        self.chains().get(index).map(|c| &c.anchor)
    }
    fn position(&self, key: &ObjectKey) -> Result<usize, usize> {
        self.chains().binary_search_by(|c| c.anchor.cmp(key))
    }
    fn changes_since(&self, _: u64) -> Option<Vec<ObjectKey>> {
        None // few rows: rebuild
    }
    fn matches(&self, key: &ObjectKey, needle: &str) -> bool {
        let Ok(i) = self.position(key) else {
            return false;
        };
        let Some(chain) = self.chains().get(i) else {
            return false;
        };
        let policy = chain
            .policy
            .as_ref()
            .and_then(|k| self.state.image_policies().get(k));
        let latest = policy
            .and_then(|p| p.latest.as_ref())
            .map_or("", |r| r.tag.as_str());
        let names = [&chain.anchor.name, &chain.anchor.namespace];
        any_contains(
            names.into_iter().map(|s| s.as_str()).chain([latest]),
            needle,
        )
    }
}

/// The commits pane's rows, newest first.
pub struct CommitRows<'a> {
    /// The commits.
    pub commits: &'a [Commit],
    /// Bumped when the log changes.
    pub revision: u64,
}

impl Rows for CommitRows<'_> {
    type Key = String;
    fn revision(&self) -> u64 {
        self.revision
    }
    fn len(&self) -> usize {
        self.commits.len()
    }
    fn key_at(&self, index: usize) -> Option<&String> {
        self.commits.get(index).map(|c| &c.sha)
    }
    fn position(&self, key: &String) -> Result<usize, usize> {
        self.commits.iter().position(|c| &c.sha == key).ok_or(0)
    }
    fn changes_since(&self, _: u64) -> Option<Vec<String>> {
        None // not in key order: rebuild
    }
    fn matches(&self, key: &String, needle: &str) -> bool {
        self.commits
            .iter()
            .any(|c| &c.sha == key && any_contains([c.sha.as_str(), &c.author, &c.subject], needle))
    }
}

/// The releases pane's rows: one lane per ImagePolicy, in policy order.
pub struct LaneRows<'a> {
    lanes: &'a Lanes,
    keys: Vec<&'a ObjectKey>,
}

impl<'a> LaneRows<'a> {
    /// The lanes of `state` (collects their keys: a few hundred at most, once per sync).
    pub fn new(state: &'a State) -> LaneRows<'a> {
        let lanes = state.lanes();
        LaneRows {
            lanes,
            keys: lanes.iter().map(|l| &l.policy).collect(),
        }
    }
}

impl Rows for LaneRows<'_> {
    type Key = ObjectKey;
    fn revision(&self) -> u64 {
        self.lanes.revision()
    }
    fn len(&self) -> usize {
        self.keys.len()
    }
    fn key_at(&self, index: usize) -> Option<&ObjectKey> {
        self.keys.get(index).copied()
    }
    fn position(&self, key: &ObjectKey) -> Result<usize, usize> {
        self.keys.binary_search(&key)
    }
    fn changes_since(&self, _: u64) -> Option<Vec<ObjectKey>> {
        None // few rows: rebuild
    }
    /// `:releases APP` and `/` match the policy's name, `namespace/name` or the current tag.
    fn matches(&self, key: &ObjectKey, needle: &str) -> bool {
        let tag = self
            .lanes
            .get(key)
            .and_then(|l| l.current())
            .map_or("", |r| r.tag.as_str());
        let app = format!("{}/{}", key.namespace, key.name);
        any_contains([app.as_str(), tag], needle)
    }
}

/// The commits pane's rows: those of the repository `chosen` with `:repo`, or the default.
pub fn commit_rows<'a>(state: &'a State, chosen: Option<&str>) -> CommitRows<'a> {
    CommitRows {
        commits: state
            .commits_for(chosen)
            .map_or(&[], |log| log.commits.as_slice()),
        revision: state.commits_revision(),
    }
}
