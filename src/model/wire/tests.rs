use super::*;
use crate::model::object::Object;
use crate::model::testdata;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Both paths on one object: the wire decode must give what the `Value` reader gives
/// whenever it decodes at all.
fn same(kind: Kind, value: &Value) -> bool {
    let text = value.to_string();
    let Ok(wire) = serde_json::from_str::<FluxWire>(&text) else {
        return false;
    };
    let by_value = Object::parse(kind, value);
    let by_wire = match kind {
        Kind::Kustomization => wire
            .kustomization()
            .map(|k| Object::Kustomization(k.into())),
        _ => wire.source(kind).map(|s| Object::Source(s.into())),
    };
    assert_eq!(by_wire, by_value, "{kind} {text}");
    true
}

#[test]
fn the_fixtures_read_the_same_both_ways() {
    for (name, kind) in [
        ("kustomization-apps.json", Kind::Kustomization),
        ("kustomization-flux-system.json", Kind::Kustomization),
        ("kustomization-infrastructure.json", Kind::Kustomization),
        ("kustomization-sock-shop.json", Kind::Kustomization),
        ("kustomization-sock-shop-failing.json", Kind::Kustomization),
        (
            "kustomization-sock-shop-suspended.json",
            Kind::Kustomization,
        ),
        ("gitrepository-flux-system.json", Kind::GitRepository),
        ("gitrepository-sock-shop-tenant.json", Kind::GitRepository),
    ] {
        assert!(same(kind, &testdata::json(name)), "{name} did not decode");
    }
}

#[test]
fn other_shapes_fail_the_decode_so_the_value_reader_takes_them() {
    for bad in [
        json!({"metadata": {"name": 5}}),
        json!({"metadata": {"name": "a"}, "status": {"conditions": ["Ready"]}}),
        json!({"metadata": {"name": "a"}, "spec": {"suspend": "true"}}),
        json!({"metadata": {"name": "a"}, "status": {"observedGeneration": 1.5}}),
        json!({"metadata": null}),
    ] {
        assert!(
            serde_json::from_str::<FluxWire>(&bad.to_string()).is_err(),
            "{bad}"
        );
    }
    let dup = r#"{"metadata": {"name": "a", "name": "b"}}"#;
    assert!(serde_json::from_str::<FluxWire>(dup).is_err());
}

#[test]
fn a_bucket_url_is_endpoint_and_bucket_name() {
    for spec in [
        json!({"endpoint": "minio:9000", "bucketName": "b"}),
        json!({"endpoint": "minio:9000"}),
        json!({"bucketName": "b", "endpoint": ""}),
    ] {
        let o = json!({"metadata": {"name": "b", "namespace": "x"}, "spec": spec});
        assert!(same(Kind::Bucket, &o));
    }
}

fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        Just(json!(" ")),
        Just(json!("main")),
        Just(json!(" v1.2 ")),
        Just(json!("2026-11-28T10:00:00Z")),
        Just(json!("not a time")),
        Just(json!("GitRepository")),
        Just(json!("OCIRepository")),
        Just(json!("True")),
        Just(json!("Ready")),
    ]
}

/// An object of optional fields: each present or not, with a text value.
fn fields(names: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::of(text()), names.len()).prop_map(move |values| {
        let mut map = serde_json::Map::new();
        for (name, value) in names.iter().zip(values) {
            if let Some(v) = value {
                map.insert((*name).to_owned(), v);
            }
        }
        Value::Object(map)
    })
}

fn condition() -> impl Strategy<Value = Value> {
    (
        fields(&["type", "status", "reason", "message", "lastTransitionTime"]),
        prop::option::of(0i64..3),
    )
        .prop_map(|(mut c, g)| {
            if let Some(g) = g {
                c["observedGeneration"] = json!(g);
            }
            c
        })
}

fn object() -> impl Strategy<Value = Value> {
    (
        fields(&[
            "name",
            "namespace",
            "creationTimestamp",
            "deletionTimestamp",
        ]),
        prop::option::of(0i64..3),
        prop::option::of(fields(&["reconcile.fluxcd.io/requestedAt", "other"])),
        fields(&["path", "interval", "url", "endpoint", "bucketName"]),
        prop::option::of(fields(&["kind", "name", "namespace"])),
        prop::option::of(prop::collection::vec(fields(&["name", "namespace"]), 0..3)),
        prop::option::of(fields(&[
            "commit", "name", "digest", "semver", "tag", "branch",
        ])),
        prop::option::of(any::<bool>()),
        fields(&[
            "lastAppliedRevision",
            "lastAttemptedRevision",
            "lastHandledReconcileAt",
        ]),
        prop::option::of(prop::collection::vec(condition(), 0..4)),
        prop::option::of(fields(&["revision", "lastUpdateTime"])),
        prop::option::of(0i64..3),
    )
        .prop_map(
            |(
                meta,
                generation,
                annotations,
                spec,
                source_ref,
                deps,
                git_ref,
                suspend,
                status,
                conditions,
                artifact,
                observed,
            )| {
                let mut o = json!({"metadata": meta, "spec": spec, "status": status});
                if let Some(g) = generation {
                    o["metadata"]["generation"] = json!(g);
                }
                if let Some(a) = annotations {
                    o["metadata"]["annotations"] = a;
                }
                if let Some(r) = source_ref {
                    o["spec"]["sourceRef"] = r;
                }
                if let Some(d) = deps {
                    o["spec"]["dependsOn"] = json!(d);
                }
                if let Some(r) = git_ref {
                    o["spec"]["ref"] = r;
                }
                if let Some(s) = suspend {
                    o["spec"]["suspend"] = json!(s);
                }
                if let Some(c) = conditions {
                    o["status"]["conditions"] = json!(c);
                }
                if let Some(a) = artifact {
                    o["status"]["artifact"] = a;
                }
                if let Some(g) = observed {
                    o["status"]["observedGeneration"] = json!(g);
                }
                o
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn generated_objects_read_the_same_both_ways(o in object()) {
        for kind in [Kind::Kustomization, Kind::GitRepository, Kind::Bucket, Kind::OciRepository] {
            // Every generated field has a type the wire accepts (or null), so each decodes.
            prop_assert!(same(kind, &o));
        }
    }
}
