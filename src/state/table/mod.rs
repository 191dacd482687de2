//! A sorted table of watched objects that stays sorted as updates arrive, so rendering can
//! index the visible window directly and never sorts per frame.
//!
//! Rows are behind an `Arc` so that inserting in the middle moves pointers, not whole rows,
//! and so that the hub's mirror of the state (`workers::hub`) shares each row with
//! the UI's state instead of holding a second copy (per-object memory). A relist
//! (kube-runtime's `Init`/`InitApply`/`InitDone`) is staged apart and swapped in at the end
//! with one sort, which keeps the old rows on screen while the list pages in and makes a
//! 20,000-object initial list cost one `O(n log n)` build instead of `n` inserts.
//!
//! A relist of a kind the table holds no row of (the first list at start-up, say) has no old
//! rows to keep on screen: its staged rows are shown as they come, merged in one pass per
//! drained batch of updates (`show_staged`), so the first page is on screen long before a
//! 20,000-object list is done.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::model::automation::ImageUpdateAutomation;
use crate::model::image::{ImagePolicy, ImageRepository};
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::pod::Pod;
use crate::model::source::Source;

/// Changes remembered for incremental views; a view further behind rebuilds.
const JOURNAL_MAX: usize = 1024;

/// Anything a table can hold: a value with a key.
pub trait Row: Clone + PartialEq {
    /// The row's key; rows are ordered by it.
    fn key(&self) -> &ObjectKey;
}

macro_rules! impl_row {
    ($($t:ty),*) => {$(
        impl Row for $t {
            fn key(&self) -> &ObjectKey {
                &self.key
            }
        }
    )*};
}
impl_row!(
    Kustomization,
    Source,
    ImageRepository,
    ImagePolicy,
    ImageUpdateAutomation,
    Pod
);

/// The rows a relist has staged so far.
#[derive(Debug, Clone)]
struct Staged<T> {
    rows: Vec<Arc<T>>,
    /// For a relist shown as it comes: how many of `rows` are already in the table. `None`
    /// for a relist that keeps the old rows on screen until it is done.
    shown: Option<usize>,
}

/// Rows sorted by key, with relist staging and a change journal.
#[derive(Debug, Clone)]
pub struct Table<T> {
    rows: Vec<Arc<T>>,
    staging: BTreeMap<Kind, Staged<T>>,
    revision: u64,
    journal: VecDeque<(u64, ObjectKey)>,
    rebuilt_at: u64,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            rows: Vec::new(),
            staging: BTreeMap::new(),
            revision: 0,
            journal: VecDeque::new(),
            rebuilt_at: 0,
        }
    }
}

impl<T: Row> Table<T> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row at sorted position `index`.
    pub fn at(&self, index: usize) -> Option<&T> {
        self.rows.get(index).map(|b| &**b)
    }

    /// The row with `key`.
    pub fn get(&self, key: &ObjectKey) -> Option<&T> {
        self.position(key).ok().and_then(|i| self.at(i))
    }

    /// Where `key` is (`Ok`) or would be inserted (`Err`), by binary search.
    pub fn position(&self, key: &ObjectKey) -> Result<usize, usize> {
        self.rows.binary_search_by(|row| row.key().cmp(key))
    }

    /// All rows in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.rows.iter().map(|b| &**b)
    }

    /// Rows whose keys lie in `namespace`, in name order (a contiguous run of the table).
    pub fn in_namespace<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        let start = self
            .rows
            .partition_point(|row| row.key().namespace.as_str() < namespace);
        self.rows
            .get(start..)
            .unwrap_or_default()
            .iter()
            .map(|b| &**b)
            .take_while(move |row| row.key().namespace == namespace)
    }

    /// Bumped by every change; views compare it to know whether to look again.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Keys changed after `revision`, oldest first, or `None` when the journal no longer
    /// reaches back that far (a relist swapped the table, or too much changed): then the
    /// caller rebuilds.
    pub fn changes_since(&self, revision: u64) -> Option<impl Iterator<Item = &ObjectKey>> {
        if revision < self.rebuilt_at {
            return None;
        }
        let first = self.journal.front().map_or(self.revision, |(r, _)| *r);
        if revision + 1 < first && revision < self.revision {
            return None;
        }
        Some(
            self.journal
                .iter()
                .filter(move |(r, _)| *r > revision)
                .map(|(_, k)| k),
        )
    }

    /// Whether a relist of `kind` is in progress.
    pub fn relisting(&self, kind: Kind) -> bool {
        self.staging.contains_key(&kind)
    }

    /// Whether a relist of `kind` is shown as it comes (a first list, see `show_staged`).
    pub fn loading(&self, kind: Kind) -> bool {
        self.staging.get(&kind).is_some_and(|s| s.shown.is_some())
    }

    /// Objects staged so far by the relist of `kind` (for a "syncing n" hint).
    pub fn staged(&self, kind: Kind) -> usize {
        self.staging.get(&kind).map_or(0, |s| s.rows.len())
    }

    /// Inserts or replaces a row; returns whether the table changed. During a relist of the
    /// row's kind the row is also staged, so the swap at the end keeps it.
    pub fn upsert(&mut self, row: impl Into<Arc<T>>) -> bool {
        let row: Arc<T> = row.into();
        if let Some(staged) = self.staging.get_mut(&row.key().kind) {
            staged.rows.push(Arc::clone(&row));
        }
        match self.position(row.key()) {
            Ok(i) => {
                // `i` came from the binary search on this same vector.
                if self.rows.get(i).is_some_and(|old| **old == *row) {
                    return false;
                }
                let key = row.key().clone();
                if let Some(slot) = self.rows.get_mut(i) {
                    *slot = row;
                }
                self.record(key);
            }
            Err(i) => {
                let key = row.key().clone();
                self.rows.insert(i, row);
                self.record(key);
            }
        }
        true
    }

    /// Removes the row with `key`; returns whether it was there.
    pub fn remove(&mut self, key: &ObjectKey) -> bool {
        if let Some(staged) = self.staging.get_mut(&key.kind) {
            if let Some(shown) = staged.shown.as_mut() {
                let gone = staged
                    .rows
                    .iter()
                    .take(*shown)
                    .filter(|row| row.key() == key)
                    .count();
                *shown -= gone;
            }
            staged.rows.retain(|row| row.key() != key);
        }
        match self.position(key) {
            Ok(i) => {
                self.rows.remove(i);
                self.record(key.clone());
                true
            }
            Err(_) => false,
        }
    }

    /// Starts a relist of `kind` (watcher `Init`). A second start drops the first's staging.
    /// When the table holds no row of `kind`, the relist is shown as it comes (`show_staged`).
    pub fn begin_relist(&mut self, kind: Kind) {
        // A relist restarted after part of it was shown keeps that part on screen until it
        // is done, like any relist of a kind with rows.
        let shown = (!self.rows.iter().any(|r| r.key().kind == kind)).then_some(0);
        self.staging.insert(
            kind,
            Staged {
                rows: Vec::new(),
                shown,
            },
        );
    }

    /// Merges the rows staged since the last call by relists shown as they come into the
    /// table, one pass per call; returns whether the table changed. Views rebuild after it,
    /// as after a relist.
    pub fn show_staged(&mut self) -> bool {
        let mut fresh: Vec<Arc<T>> = Vec::new();
        for staged in self.staging.values_mut() {
            if let Some(shown) = staged.shown.as_mut()
                && let Some(new) = staged.rows.get(*shown..)
            {
                fresh.extend(new.iter().cloned());
                *shown = staged.rows.len();
            }
        }
        if fresh.is_empty() {
            return false;
        }
        let old = std::mem::take(&mut self.rows);
        self.rows = merge(old.into_iter(), sorted_last_wins(fresh));
        self.rebuilt();
        true
    }

    /// Stages one object of the relist (watcher `InitApply`); without a relist in progress
    /// it is an ordinary upsert. Returns whether the visible table changed.
    pub fn relist_apply(&mut self, row: impl Into<Arc<T>>) -> bool {
        let row: Arc<T> = row.into();
        match self.staging.get_mut(&row.key().kind) {
            Some(staged) => {
                staged.rows.push(row);
                false
            }
            None => self.upsert(row),
        }
    }

    /// Ends the relist of `kind` (watcher `InitDone`): rows of that kind become exactly the
    /// staged ones; objects not re-seen are removed. Returns whether anything changed.
    pub fn end_relist(&mut self, kind: Kind) -> bool {
        let Some(staged) = self.staging.remove(&kind) else {
            return false;
        };
        let others = self.rows.iter().filter(|r| r.key().kind != kind).cloned();
        let rows = merge(others, sorted_last_wins(staged.rows));
        let changed = rows != self.rows;
        self.rows = rows;
        if changed {
            self.rebuilt();
        }
        changed
    }

    /// Marks the rows replaced as a whole: views further behind rebuild.
    fn rebuilt(&mut self) {
        self.revision += 1;
        self.rebuilt_at = self.revision;
        self.journal.clear();
    }

    fn record(&mut self, key: ObjectKey) {
        self.revision += 1;
        self.journal.push_back((self.revision, key));
        if self.journal.len() > JOURNAL_MAX {
            self.journal.pop_front();
        }
    }
}

/// `rows` in key order, one per key: of rows with the same key the last one staged wins.
fn sorted_last_wins<T: Row>(mut rows: Vec<Arc<T>>) -> Vec<Arc<T>> {
    // Stable, so rows with the same key stay in the order they were staged.
    rows.sort_by(|a, b| a.key().cmp(b.key()));
    let mut out: Vec<Arc<T>> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(last) if last.key() == row.key() => *last = row,
            _ => out.push(row),
        }
    }
    out
}

/// Merges `fresh` (key order, one row per key) into `old` (key order); a fresh row replaces
/// the old one with its key.
fn merge<T: Row>(old: impl Iterator<Item = Arc<T>>, fresh: Vec<Arc<T>>) -> Vec<Arc<T>> {
    let mut old = old.peekable();
    let mut rows = Vec::with_capacity(fresh.len() + old.size_hint().0);
    for row in fresh {
        while let Some(before) = old.next_if(|o| o.key() < row.key()) {
            rows.push(before);
        }
        let _ = old.next_if(|o| o.key() == row.key());
        rows.push(row);
    }
    rows.extend(old);
    rows
}

/// The table operations `State::with_table` needs, independent of the row type.
pub(super) trait TableOps {
    fn remove(&mut self, key: &ObjectKey) -> bool;
    /// Removes the rows of `kind` in `namespace` (all namespaces when `None`).
    fn forget(&mut self, kind: Kind, namespace: Option<&str>) -> bool;
    fn begin_relist(&mut self, kind: Kind);
    fn end_relist(&mut self, kind: Kind) -> bool;
    fn relisting(&self, kind: Kind) -> bool;
    fn loading(&self, kind: Kind) -> bool;
}

impl<T: Row> TableOps for Table<T> {
    fn remove(&mut self, key: &ObjectKey) -> bool {
        Table::remove(self, key)
    }
    fn forget(&mut self, kind: Kind, namespace: Option<&str>) -> bool {
        let gone: Vec<ObjectKey> = self
            .iter()
            .map(Row::key)
            .filter(|k| k.kind == kind && namespace.is_none_or(|ns| k.namespace.as_str() == ns))
            .cloned()
            .collect();
        gone.iter()
            .fold(false, |changed, k| Table::remove(self, k) | changed)
    }
    fn begin_relist(&mut self, kind: Kind) {
        Table::begin_relist(self, kind)
    }
    fn end_relist(&mut self, kind: Kind) -> bool {
        Table::end_relist(self, kind)
    }
    fn relisting(&self, kind: Kind) -> bool {
        Table::relisting(self, kind)
    }
    fn loading(&self, kind: Kind) -> bool {
        Table::loading(self, kind)
    }
}

#[cfg(test)]
mod tests;
