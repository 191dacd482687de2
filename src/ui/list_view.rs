//! What a list pane shows of its rows: the filter, the rows that match it, the selection,
//! the scroll offset and the marked rows. Views follow the state incrementally: a filtered
//! view applies the table's change journal instead of refiltering every row, and
//! rendering only ever touches the visible window.

use std::collections::BTreeSet;
use std::ops::Range;

use super::rows::Rows;

/// One pane's view of its rows.
#[derive(Clone, Debug)]
pub struct ListView<K> {
    filter: String,
    matches: Option<Vec<K>>,
    synced: Option<u64>,
    selected: Option<K>,
    index: usize,
    offset: usize,
    marked: BTreeSet<K>,
}

impl<K> Default for ListView<K> {
    fn default() -> Self {
        ListView {
            filter: String::new(),
            matches: None,
            synced: None,
            selected: None,
            index: 0,
            offset: 0,
            marked: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Clone> ListView<K> {
    /// The filter as typed ("" when none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Rows visible under the filter.
    pub fn len<R: Rows<Key = K>>(&self, rows: &R) -> usize {
        self.matches.as_ref().map_or_else(|| rows.len(), Vec::len)
    }

    /// The key of visible row `index`.
    pub fn key_at<'a, R: Rows<Key = K>>(&'a self, rows: &'a R, index: usize) -> Option<&'a K> {
        match &self.matches {
            Some(m) => m.get(index),
            None => rows.key_at(index),
        }
    }

    /// The selected row's index among the visible rows.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The selected row's key.
    pub fn selected(&self) -> Option<&K> {
        self.selected.as_ref()
    }

    /// The first visible row.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The visible rows for a window of `height` rows.
    pub fn window<R: Rows<Key = K>>(&self, rows: &R, height: usize) -> Range<usize> {
        let len = self.len(rows);
        let start = self.offset.min(len);
        start..(start + height).min(len)
    }

    /// Marked keys.
    pub fn marked(&self) -> &BTreeSet<K> {
        &self.marked
    }

    /// Whether `key` is marked.
    pub fn is_marked(&self, key: &K) -> bool {
        self.marked.contains(key)
    }

    /// Follows the rows after a change: refreshes the filtered keys (incrementally when the
    /// rows allow), keeps the selection on the same key (or the same place when its row
    /// went away), drops marks of rows that went away, and scrolls the selection into view.
    pub fn sync<R: Rows<Key = K>>(&mut self, rows: &R, height: usize) {
        if self.synced != Some(rows.revision()) {
            self.refresh_matches(rows);
            self.synced = Some(rows.revision());
            if !self.marked.is_empty() {
                self.marked.retain(|k| rows.position(k).is_ok());
            }
        }
        let len = self.len(rows);
        let found = self.selected.as_ref().and_then(|key| match &self.matches {
            Some(m) => m.binary_search(key).ok(),
            None => rows.position(key).ok(),
        });
        self.index = match found {
            Some(i) => i,
            None => self.index.min(len.saturating_sub(1)),
        };
        self.selected = self.key_at(rows, self.index).cloned();
        self.scroll_into_view(len, height);
    }

    fn refresh_matches<R: Rows<Key = K>>(&mut self, rows: &R) {
        if self.filter.is_empty() {
            self.matches = None;
            return;
        }
        let needle = self.filter.to_lowercase();
        let changes = self.synced.and_then(|rev| rows.changes_since(rev));
        match (self.matches.as_mut(), changes) {
            (Some(matches), Some(changed)) => {
                for key in changed {
                    let hit = rows.position(&key).is_ok() && rows.matches(&key, &needle);
                    match (matches.binary_search(&key), hit) {
                        (Err(at), true) => matches.insert(at, key),
                        (Ok(at), false) => {
                            matches.remove(at);
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                let all = (0..rows.len()).filter_map(|i| rows.key_at(i));
                self.matches = Some(all.filter(|k| rows.matches(k, &needle)).cloned().collect());
            }
        }
    }

    fn scroll_into_view(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        if self.index < self.offset {
            self.offset = self.index;
        } else if self.index >= self.offset + height {
            self.offset = self.index + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by<R: Rows<Key = K>>(&mut self, rows: &R, delta: isize, height: usize) {
        let len = self.len(rows);
        if len == 0 {
            return;
        }
        let target = self.index.saturating_add_signed(delta).min(len - 1);
        self.select_index(rows, target, height);
    }

    /// Selects the first row.
    pub fn top<R: Rows<Key = K>>(&mut self, rows: &R, height: usize) {
        self.select_index(rows, 0, height);
    }

    /// Selects the last row.
    pub fn bottom<R: Rows<Key = K>>(&mut self, rows: &R, height: usize) {
        let last = self.len(rows).saturating_sub(1);
        self.select_index(rows, last, height);
    }

    fn select_index<R: Rows<Key = K>>(&mut self, rows: &R, index: usize, height: usize) {
        self.index = index;
        self.selected = self.key_at(rows, index).cloned();
        self.scroll_into_view(self.len(rows), height);
    }

    /// Sets the filter and refilters (a new filter cannot reuse the old matches).
    pub fn set_filter<R: Rows<Key = K>>(&mut self, rows: &R, filter: &str, height: usize) {
        if self.filter == filter {
            return;
        }
        self.filter = filter.to_owned();
        self.matches = None;
        self.synced = None;
        self.index = 0;
        self.offset = 0;
        self.selected = None;
        self.sync(rows, height);
    }

    /// Marks the selected row, or unmarks it if marked.
    pub fn toggle_mark(&mut self) {
        if let Some(key) = self.selected.clone()
            && !self.marked.remove(&key)
        {
            self.marked.insert(key);
        }
    }

    /// Forgets every mark.
    pub fn clear_marks(&mut self) {
        self.marked.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::key::{Kind, ObjectKey};
    use crate::model::kustomization::Kustomization;
    use crate::model::testdata;
    use crate::state::Table;

    fn table(names: &[&str]) -> Table<Kustomization> {
        let template = Kustomization::parse(&testdata::json("kustomization-apps.json")).unwrap();
        let mut t = Table::default();
        for name in names {
            let mut k = template.clone();
            k.key = ObjectKey::new(Kind::Kustomization, "ns", *name);
            t.upsert(k);
        }
        t
    }

    fn visible(view: &ListView<ObjectKey>, t: &Table<Kustomization>) -> Vec<String> {
        (0..view.len(t))
            .filter_map(|i| view.key_at(t, i))
            .map(|k| k.name.to_string())
            .collect()
    }

    #[test]
    fn selection_follows_its_key_and_scrolls() {
        let mut t = table(&["a", "b", "c", "d", "e"]);
        let mut v = ListView::default();
        v.sync(&t, 2);
        assert_eq!(v.selected().map(|k| k.name.as_str()), Some("a"));
        v.move_by(&t, 3, 2);
        assert_eq!((v.index(), v.offset()), (3, 2));
        assert_eq!(v.window(&t, 2), 2..4);
        let mut k = t.at(0).unwrap().clone();
        k.key.name = "0".into();
        t.upsert(k);
        v.sync(&t, 2);
        assert_eq!(v.selected().map(|k| k.name.as_str()), Some("d"));
        assert_eq!(v.index(), 4);
        t.remove(&ObjectKey::new(Kind::Kustomization, "ns", "d"));
        v.sync(&t, 2);
        assert_eq!(
            v.selected().map(|k| k.name.as_str()),
            Some("e"),
            "same place"
        );
        v.bottom(&t, 2);
        v.top(&t, 2);
        assert_eq!((v.index(), v.offset()), (0, 0));
        v.move_by(&t, -5, 2);
        assert_eq!(v.index(), 0);
    }

    #[test]
    fn filters_follow_changes_incrementally() {
        let mut t = table(&["apps", "infra", "apps-2"]);
        let mut v = ListView::default();
        v.set_filter(&t, "APP", 10);
        assert_eq!(visible(&v, &t), ["apps", "apps-2"]);
        let mut k = t.at(0).unwrap().clone();
        k.key.name = "apps-0".into();
        t.upsert(k);
        t.remove(&ObjectKey::new(Kind::Kustomization, "ns", "apps"));
        v.sync(&t, 10);
        assert_eq!(visible(&v, &t), ["apps-0", "apps-2"]);
        v.set_filter(&t, "", 10);
        assert_eq!(visible(&v, &t).len(), 3);
    }

    #[test]
    fn marks_toggle_and_vanish_with_their_rows() {
        let mut t = table(&["a", "b"]);
        let mut v = ListView::default();
        v.sync(&t, 5);
        v.toggle_mark();
        v.move_by(&t, 1, 5);
        v.toggle_mark();
        assert_eq!(v.marked().len(), 2);
        v.toggle_mark();
        assert_eq!(v.marked().len(), 1);
        t.remove(&ObjectKey::new(Kind::Kustomization, "ns", "a"));
        v.sync(&t, 5);
        assert!(v.marked().is_empty());
    }
}
