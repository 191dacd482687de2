use super::*;

#[derive(Clone, Debug, PartialEq)]
struct R {
    key: ObjectKey,
    v: u32,
}
impl Row for R {
    fn key(&self) -> &ObjectKey {
        &self.key
    }
}
fn r(kind: Kind, ns: &str, name: &str, v: u32) -> R {
    R {
        key: ObjectKey::new(kind, ns, name),
        v,
    }
}
fn names(t: &Table<R>) -> Vec<String> {
    t.iter()
        .map(|r| format!("{}/{}={}", r.key.namespace, r.key.name, r.v))
        .collect()
}
const K: Kind = Kind::Kustomization;

#[test]
fn upserts_keep_key_order_and_report_changes() {
    let mut t = Table::default();
    assert!(t.upsert(r(K, "b", "x", 1)));
    assert!(t.upsert(r(K, "a", "z", 1)));
    assert!(t.upsert(r(K, "a", "y", 1)));
    assert!(
        !t.upsert(r(K, "a", "y", 1)),
        "an identical row is no change"
    );
    assert!(t.upsert(r(K, "a", "y", 2)));
    assert_eq!(names(&t), ["a/y=2", "a/z=1", "b/x=1"]);
    assert_eq!(t.in_namespace("a").count(), 2);
    assert_eq!(t.in_namespace("c").count(), 0);
    assert!(t.remove(&ObjectKey::new(K, "a", "z")));
    assert!(!t.remove(&ObjectKey::new(K, "a", "z")));
    assert_eq!(names(&t), ["a/y=2", "b/x=1"]);
}

#[test]
fn relist_removes_objects_not_re_seen_and_keeps_other_kinds() {
    let mut t = Table::default();
    t.upsert(r(K, "a", "gone", 1));
    t.upsert(r(K, "a", "kept", 1));
    t.upsert(r(Kind::GitRepository, "a", "gone", 1));
    t.begin_relist(K);
    assert!(t.relisting(K));
    assert!(!t.relist_apply(r(K, "a", "kept", 2)));
    assert!(!t.relist_apply(r(K, "a", "new", 1)));
    assert_eq!(t.staged(K), 2);
    // The old rows stay visible until the relist is done.
    assert_eq!(t.len(), 3);
    assert!(t.end_relist(K));
    assert!(!t.relisting(K));
    let rows: Vec<_> = t
        .iter()
        .map(|r| (r.key.kind, r.key.name.as_str(), r.v))
        .collect();
    assert_eq!(
        rows,
        [
            (Kind::GitRepository, "gone", 1),
            (K, "kept", 2),
            (K, "new", 1)
        ]
    );
}

#[test]
fn an_identical_relist_is_no_change() {
    let mut t = Table::default();
    t.upsert(r(K, "a", "x", 1));
    let rev = t.revision();
    t.begin_relist(K);
    t.relist_apply(r(K, "a", "x", 1));
    assert!(!t.end_relist(K));
    assert_eq!(t.revision(), rev);
    assert!(!t.end_relist(K), "no relist in progress");
}

#[test]
fn events_during_a_relist_survive_it() {
    let mut t = Table::default();
    t.upsert(r(K, "a", "deleted", 1));
    t.begin_relist(K);
    t.relist_apply(r(K, "a", "deleted", 1));
    t.upsert(r(K, "a", "applied", 1));
    t.remove(&ObjectKey::new(K, "a", "deleted"));
    t.end_relist(K);
    assert_eq!(names(&t), ["a/applied=1"]);
}

#[test]
fn duplicate_keys_in_a_relist_keep_the_last() {
    let mut t = Table::default();
    t.begin_relist(K);
    t.relist_apply(r(K, "a", "x", 1));
    t.relist_apply(r(K, "a", "x", 2));
    t.end_relist(K);
    assert_eq!(names(&t), ["a/x=2"]);
}

#[test]
fn a_first_list_is_shown_as_it_comes_in_key_order() {
    let mut t = Table::default();
    t.upsert(r(Kind::GitRepository, "a", "src", 1));
    t.begin_relist(K);
    assert!(t.loading(K), "no Kustomization yet: shown as it comes");
    assert!(!t.loading(Kind::GitRepository));
    // Pages need not come in key order; each batch is merged in it.
    t.relist_apply(r(K, "b", "y", 1));
    t.relist_apply(r(K, "a", "z", 1));
    assert_eq!(t.len(), 1, "staged rows wait for show_staged");
    let before = t.revision();
    assert!(t.show_staged());
    assert!(t.changes_since(before).is_none(), "views rebuild");
    assert_eq!(names(&t), ["a/src=1", "a/z=1", "b/y=1"]);
    assert!(!t.show_staged(), "nothing new");
    t.relist_apply(r(K, "a", "x", 1));
    t.relist_apply(r(K, "a", "z", 2));
    t.relist_apply(r(K, "a", "z", 3));
    assert!(t.show_staged());
    assert_eq!(names(&t), ["a/src=1", "a/x=1", "a/z=3", "b/y=1"]);
    t.relist_apply(r(K, "c", "w", 1));
    // The rows not shown yet come with the end of the list; the shown ones stay.
    assert!(t.end_relist(K));
    assert!(!t.loading(K) && !t.relisting(K));
    assert_eq!(names(&t), ["a/src=1", "a/x=1", "a/z=3", "b/y=1", "c/w=1"]);
}

#[test]
fn a_first_list_keeps_events_that_come_during_it() {
    let mut t = Table::default();
    t.begin_relist(K);
    t.relist_apply(r(K, "a", "x", 1));
    t.relist_apply(r(K, "a", "y", 1));
    t.show_staged();
    t.relist_apply(r(K, "a", "z", 1));
    assert!(t.remove(&ObjectKey::new(K, "a", "x")));
    t.upsert(r(K, "a", "w", 1));
    t.show_staged();
    assert_eq!(names(&t), ["a/w=1", "a/y=1", "a/z=1"]);
    t.end_relist(K);
    assert_eq!(names(&t), ["a/w=1", "a/y=1", "a/z=1"]);
}

#[test]
fn a_relist_of_a_kind_with_rows_is_not_shown_until_done() {
    let mut t = Table::default();
    t.upsert(r(K, "a", "old", 1));
    t.begin_relist(K);
    assert!(t.relisting(K) && !t.loading(K));
    t.relist_apply(r(K, "a", "new", 1));
    assert!(!t.show_staged());
    assert_eq!(names(&t), ["a/old=1"]);
    t.end_relist(K);
    assert_eq!(names(&t), ["a/new=1"]);
    // A first list restarted after part of it was shown keeps that part until the
    // restarted one is done.
    let mut t = Table::default();
    t.begin_relist(K);
    t.relist_apply(r(K, "a", "x", 1));
    t.show_staged();
    t.begin_relist(K);
    assert!(!t.loading(K));
    t.relist_apply(r(K, "a", "y", 1));
    assert!(!t.show_staged());
    assert_eq!(names(&t), ["a/x=1"]);
    t.end_relist(K);
    assert_eq!(names(&t), ["a/y=1"]);
}

#[test]
fn journal_reports_changes_or_asks_for_a_rebuild() {
    let mut t = Table::default();
    t.upsert(r(K, "a", "x", 1));
    let seen = t.revision();
    t.upsert(r(K, "a", "y", 1));
    t.remove(&ObjectKey::new(K, "a", "x"));
    let changed: Vec<_> = t
        .changes_since(seen)
        .unwrap()
        .map(|k| k.name.clone())
        .collect();
    assert_eq!(changed, ["y", "x"]);
    assert_eq!(t.changes_since(t.revision()).unwrap().count(), 0);
    t.begin_relist(K);
    t.end_relist(K);
    assert!(t.changes_since(seen).is_none());
    let mut t = Table::default();
    for i in 0..(JOURNAL_MAX as u32 + 5) {
        t.upsert(r(K, "a", "x", i));
    }
    assert!(t.changes_since(1).is_none());
    assert!(t.changes_since(t.revision() - 3).is_some());
}
