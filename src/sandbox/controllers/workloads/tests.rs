//! Tests of the controllers against a bare store (the HTTP-level ones are in
//! `tests/integration/sandbox_workloads.rs`).

use std::sync::Arc;

use serde_json::json;

use crate::sandbox::apiserver::resources::ResourceTable;
use crate::sandbox::apiserver::store::{Store, StoreOptions, Target};

fn store() -> Arc<Store> {
    let store = Store::new(
        Arc::new(ResourceTable::new(&[]).unwrap()),
        StoreOptions::default(),
    );
    store
        .seed([json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})])
        .unwrap();
    Arc::new(store)
}

#[test]
fn the_store_takes_a_deletion_timestamp_through_modify() {
    let store = store();
    let pods = store.resources().by_path("", "v1", "pods").unwrap();
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "spec": {"containers": [{"name": "c", "image": "x"}]}});
    store.create(pods, "ns", pod, false).unwrap();
    let (stored, _) = store
        .modify(
            pods,
            "ns",
            "p",
            Target::Main,
            false,
            &|old| {
                let mut new = old.clone();
                new["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:30Z");
                new["metadata"]["deletionGracePeriodSeconds"] = json!(30);
                Ok(new)
            },
            None,
        )
        .unwrap();
    let v = stored.value().unwrap();
    assert_eq!(v["metadata"]["deletionTimestamp"], "2026-01-01T00:00:30Z");
    assert_eq!(v["metadata"]["deletionGracePeriodSeconds"], 30);
}
