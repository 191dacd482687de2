//! Arbitrary input never panics: it builds or fails with a message.

use proptest::prelude::*;

use super::*;

/// YAML-ish fragments that reach deep into the parsers and transformers.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("resources: [x.yaml, ../a, sub, '', /abs, .]\n".to_string()),
        Just("bases: [sub]\nnamespace: n\nnamePrefix: p-\n".to_string()),
        Just("patches:\n- patch: |-\n    - op: copy\n      from: /metadata\n      path: /spec/-\n  target: {kind: '.*'}\n".to_string()),
        Just("patches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    $patch: replace\n".to_string()),
        Just("images:\n- name: '('\n  newTag: x\n- name: a\n  digest: sha256:1\n".to_string()),
        Just("commonLabels: {a: b}\nlabels:\n- pairs: {c: d}\n  fields: [{path: spec/x/y, create: true}]\n".to_string()),
        Just("sortOptions: {order: legacy}\nreplicas: [{name: a, count: 3}]\n".to_string()),
        Just("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n---\n".to_string()),
        Just("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: c, image: a}]}}}\n".to_string()),
        Just("kind: List\nitems: [{kind: List, items: []}, 3]\n".to_string()),
        "[ -~\\n]{0,40}",
    ]
}

fn tree_of(kust: &str, res: &str, sub: &str) -> BTreeMap<String, Vec<u8>> {
    files(&[
        ("a/kustomization.yaml", kust),
        ("a/x.yaml", res),
        ("a/sub/kustomization.yaml", sub),
        ("a/sub/x.yaml", res),
        ("g/x.yaml", res),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(kust in proptest::collection::vec(any::<u8>(), 0..200),
                                   res in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut tree = BTreeMap::new();
        tree.insert("a/kustomization.yaml".to_string(), kust);
        tree.insert("a/x.yaml".to_string(), res.clone());
        tree.insert("g/x.yaml".to_string(), res);
        for path in ["a", "g", "", "nope"] {
            let _ = build(&tree, path, &Overrides::default());
        }
    }

    #[test]
    fn arbitrary_kustomizations_never_panic(k in proptest::collection::vec(fragment(), 0..4),
                                            r in proptest::collection::vec(fragment(), 0..3),
                                            s in proptest::collection::vec(fragment(), 0..3)) {
        let tree = tree_of(&k.concat(), &r.concat(), &s.concat());
        for path in ["a", "a/sub", "g", ""] {
            let _ = build(&tree, path, &Overrides::default());
        }
        let o = Overrides::from_spec(&serde_json::json!({
            "targetNamespace": "t", "namePrefix": "x-",
            "patches": [{"patch": k.concat(), "target": {"name": ".*"}}],
            "images": [{"name": "a", "newTag": "1"}],
        }));
        let _ = build(&tree, "a", &o);
    }
}
