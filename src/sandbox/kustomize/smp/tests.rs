use super::*;
use crate::sandbox::kustomize::resource::Gvk;
use serde_json::json;

fn deploy(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}})
}

fn run(dest: &Value, patch: &Value) -> Option<Value> {
    let gvk = Gvk::new(
        dest["apiVersion"].as_str().unwrap_or(""),
        dest["kind"].as_str().unwrap_or(""),
    );
    merge(dest, patch, schema::root(&gvk)).unwrap()
}

fn pod(v: &Option<Value>) -> &Value {
    &v.as_ref().unwrap()["spec"]["template"]["spec"]
}

#[test]
fn containers_merge_by_name_with_patched_ones_first() {
    let dest = deploy(json!({"containers": [
        {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
        {"name": "b", "image": "b:1", "args": ["--one"]}
    ]}));
    let patch = deploy(json!({"containers": [
        {"name": "b", "args": ["--two"]},
        {"name": "a", "env": [{"name": "Y", "value": "3"}, {"name": "Z", "value": "4"}]},
        {"name": "c", "image": "c:1"}
    ]}));
    let out = run(&dest, &patch);
    let cs = &pod(&out)["containers"];
    let names: Vec<&str> = cs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "a", "c"]);
    assert_eq!(
        cs[0]["args"],
        json!(["--two"]),
        "args is not associative: replaced"
    );
    assert_eq!(cs[0]["image"], "b:1");
    assert_eq!(
        cs[1]["env"],
        json!([{"name": "Y", "value": "3"}, {"name": "Z", "value": "4"}, {"name": "X", "value": "1"}])
    );
}

#[test]
fn new_elements_are_prepended_as_in_kustomizes_tests() {
    let dest = deploy(json!({"containers": [{"name": "foo1"}, {"name": "foo2"}]}));
    let out = run(&dest, &deploy(json!({"containers": [{"name": "foo0"}]})));
    assert_eq!(
        pod(&out)["containers"],
        json!([{"name": "foo0"}, {"name": "foo1"}, {"name": "foo2"}])
    );
}

#[test]
fn directives_delete_and_replace() {
    let dest = deploy(
        json!({"containers": [{"name": "test", "image": "test"}], "volumes": [{"name": "v"}]}),
    );
    let del_elem = deploy(json!({"containers": [{"name": "test", "$patch": "delete"}]}));
    assert_eq!(pod(&run(&dest, &del_elem))["containers"], json!([]));
    let del_list = deploy(json!({"containers": [{"$patch": "delete"}]}));
    assert!(pod(&run(&dest, &del_list)).get("containers").is_none());
    let replace_list = deploy(json!({"containers": [{"name": "new"}, {"$patch": "replace"}]}));
    assert_eq!(
        pod(&run(&dest, &replace_list))["containers"],
        json!([{"name": "new"}])
    );
    let replace_map = deploy(json!({"$patch": "replace", "containers": [{"name": "new"}]}));
    assert_eq!(
        *pod(&run(&dest, &replace_map)),
        json!({"containers": [{"name": "new"}]})
    );
    let del_obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "$patch": "delete"});
    assert_eq!(run(&dest, &del_obj), None);
    let bad = deploy(json!({"$patch": "frob"}));
    let gvk = Gvk::new("apps/v1", "Deployment");
    assert_eq!(
        merge(&dest, &bad, schema::root(&gvk)).unwrap_err(),
        "unknown patch strategy 'frob'"
    );
}

#[test]
fn nulls_delete_and_new_fields_append_sorted() {
    let dest = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"k": "v"}});
    let patch = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": null, "z": "3", "c": "4"}}, "data": null});
    let out = run(&dest, &patch).unwrap();
    assert_eq!(
        out["metadata"]["labels"],
        json!({"b": "2", "c": "4", "z": "3"})
    );
    let keys: Vec<&String> = out["metadata"]["labels"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["b", "c", "z"]);
    assert!(out.get("data").is_none());
}

#[test]
fn custom_resources_replace_lists() {
    let dest = json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}]}});
    let patch = json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"items": [{"name": "a", "v": 2}]}});
    assert_eq!(
        run(&dest, &patch).unwrap()["spec"]["items"],
        json!([{"name": "a", "v": 2}])
    );
}

#[test]
fn service_ports_merge_by_port_and_protocol() {
    let svc = |ports: Value| json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": ports}});
    // One valid key (no protocol anywhere): patched ports first, as for containers.
    let out = run(
        &svc(json!([{"port": 80}, {"port": 443}])),
        &svc(json!([{"port": 443, "name": "https"}])),
    );
    assert_eq!(
        out.unwrap()["spec"]["ports"],
        json!([{"port": 443, "name": "https"}, {"port": 80}])
    );
    // Two valid keys: kyaml re-appends the object's ports, so their order is kept.
    let out = run(
        &svc(json!([{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}])),
        &svc(json!([{"port": 443, "protocol": "TCP", "name": "https"}])),
    );
    assert_eq!(
        out.unwrap()["spec"]["ports"],
        json!([{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP", "name": "https"}])
    );
}

#[test]
fn finalizers_merge_as_a_set_and_kind_mismatch_is_an_error() {
    let dest = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "finalizers": ["a", "b"]}});
    let patch = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "finalizers": ["c", "a"]}});
    assert_eq!(
        run(&dest, &patch).unwrap()["metadata"]["finalizers"],
        json!(["c", "a", "b"])
    );
    let bad = json!({"apiVersion": "v1", "kind": "Secret", "metadata": "x"});
    let gvk = Gvk::new("v1", "Secret");
    let e = merge(&dest, &bad, schema::root(&gvk)).unwrap_err();
    assert!(
        e.starts_with("wrong node kind: expected MappingNode but got ScalarNode"),
        "{e}"
    );
}

/// Small JSON values with the keys and directives merges care about.
pub(crate) fn value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (0i64..3).prop_map(Value::from),
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("delete"),
            Just("replace"),
            Just("merge"),
            Just("TCP")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        let key = prop_oneof![
            Just("name"),
            Just("$patch"),
            Just("containers"),
            Just("ports"),
            Just("port"),
            Just("protocol"),
            Just("env"),
            Just("spec"),
            Just("template"),
            Just("metadata"),
            Just("finalizers"),
            Just("containerPort"),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec((key, inner), 0..4).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn merging_anything_never_panics(d in value(), p in value(), kind in 0usize..4) {
        let (api, k) = [("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "Pod"), ("x/v1", "X")][kind];
        let wrap = |v: Value| json!({"apiVersion": api, "kind": k, "metadata": {"name": "n"}, "spec": {"template": {"spec": v.clone()}, "ports": v.clone()}, "x": v});
        let root = schema::root(&Gvk::new(api, k));
        let _ = merge(&wrap(d), &wrap(p), root);
    }
}
