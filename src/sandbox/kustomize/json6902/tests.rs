use super::*;
use serde_json::json;

fn run(doc: Value, patch: &str) -> Result<Value, String> {
    let ops = decode(patch)?;
    let mut doc = doc;
    apply(&mut doc, &ops)?;
    Ok(doc)
}

fn deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["--x"]}]}}}})
}

#[test]
fn operations_succeed_as_rfc6902_with_evanphx_extensions() {
    let cases: &[(&str, &str, Value)] = &[
        (
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --y",
            "/spec/template/spec/containers/0/args",
            json!(["--x", "--y"]),
        ),
        (
            "[{\"op\": \"add\", \"path\": \"/spec/template/spec/containers/0/args/0\", \"value\": \"--w\"}]",
            "/spec/template/spec/containers/0/args",
            json!(["--w", "--x"]),
        ),
        (
            "- op: add\n  path: /spec/template/spec/containers/0/args/-1\n  value: --w",
            "/spec/template/spec/containers/0/args",
            json!(["--x", "--w"]),
        ),
        (
            "- op: add\n  path: /spec/template/spec/containers/0/args/-2\n  value: --w",
            "/spec/template/spec/containers/0/args",
            json!(["--w", "--x"]),
        ),
        (
            "- op: replace\n  path: /spec/replicas\n  value: 3",
            "/spec/replicas",
            json!(3),
        ),
        (
            "- op: remove\n  path: /spec/template/spec/containers/0/args/0",
            "/spec/template/spec/containers/0/args",
            json!([]),
        ),
        (
            "- op: copy\n  from: /metadata/name\n  path: /metadata/labels",
            "/metadata/labels",
            json!("d"),
        ),
        (
            "- op: move\n  from: /metadata/name\n  path: /spec/n",
            "/spec/n",
            json!("d"),
        ),
        (
            "- op: test\n  path: /metadata/name\n  value: d\n- op: add\n  path: /metadata/a~1b\n  value: 1",
            "/metadata/a~1b",
            json!(1),
        ),
        ("- op: add\n  path: spec/zz\n  value: 1", "/zz", json!(1)),
    ];
    for (patch, at, want) in cases {
        let got = run(deployment(), patch).unwrap_or_else(|e| panic!("{patch}: {e}"));
        assert_eq!(got.pointer(at), Some(want), "{patch}");
    }
}

#[test]
fn failures_read_like_evanphx() {
    let cases = [
        (
            "- op: add\n  path: /spec/nope/x\n  value: 1",
            "add operation does not apply: doc is missing path: \"/spec/nope/x\": missing value",
        ),
        (
            "- op: remove\n  path: /spec/nope",
            "error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: missing value",
        ),
        (
            "- op: replace\n  path: /spec/template/spec/containers/5\n  value: 1",
            "replace operation does not apply: doc is missing key: /spec/template/spec/containers/5: missing value",
        ),
        (
            "- op: add\n  path: /spec/template/spec/containers/9\n  value: {}",
            "error in add for path: '/spec/template/spec/containers/9': Unable to access invalid index: 9: invalid index referenced",
        ),
        (
            "- op: add\n  path: /spec/template/spec/containers/x\n  value: {}",
            "error in add for path: '/spec/template/spec/containers/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
        ),
        (
            "- op: test\n  path: /metadata/name\n  value: e",
            "testing value /metadata/name failed: test failed",
        ),
        ("- op: frob\n  path: /a", "Unexpected kind: frob"),
        (
            "- op: add\n  value: 1",
            "add operation failed to decode path: missing value",
        ),
        (
            "- op: move\n  path: /a",
            "move operation failed to decode from: operation, missing from field: missing value",
        ),
        (
            "a: 1",
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ),
        (
            "- 1",
            "json: cannot unmarshal number into Go value of type jsonpatch.Operation",
        ),
    ];
    for (patch, want) in cases {
        assert_eq!(run(deployment(), patch).unwrap_err(), want, "{patch}");
    }
}

#[test]
fn replace_of_a_missing_key_adds_it_and_objects_on_the_path_are_sorted() {
    let doc = run(
        deployment(),
        "- op: replace\n  path: /metadata/zlabel\n  value: x",
    )
    .unwrap();
    assert_eq!(doc["metadata"]["zlabel"], "x");
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
    let doc = run(
        json!({"kind": "K", "b": {"z": 1, "a": 2}, "a": 1}),
        "- op: add\n  path: /b/m\n  value: 0",
    )
    .unwrap();
    let keys: Vec<&String> = doc["b"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "m", "z"]);
}

#[test]
fn copies_are_bounded() {
    let mut ops = String::from("- op: add\n  path: /big\n  value: \"");
    ops.push_str(&"x".repeat(1 << 20));
    ops.push_str("\"\n");
    for i in 0..8 {
        ops.push_str(&format!("- op: copy\n  from: /big\n  path: /c{i}\n"));
    }
    let e = run(json!({"kind": "K"}), &ops).unwrap_err();
    assert!(e.starts_with("Unable to complete the copy"), "{e}");
}

#[test]
fn patches_cannot_nest_objects_without_bound() {
    let mut ops = String::from("- op: add\n  path: /a\n  value: {}\n");
    let mut path = String::from("/a");
    for _ in 0..MAX_DEPTH {
        path.push_str("/a");
        ops.push_str(&format!("- op: add\n  path: {path}\n  value: {{}}\n"));
    }
    let e = run(json!({"kind": "K"}), &ops).unwrap_err();
    assert!(e.contains("nested deeper than 200 levels"), "{e}");
    let mut copies = String::from("- op: add\n  path: /a\n  value: {b: {c: {}}}\n");
    for _ in 0..100 {
        copies.push_str("- op: copy\n  from: /a\n  path: /a/b/c/d\n");
    }
    let e = run(json!({"kind": "K"}), &copies).unwrap_err();
    assert!(
        e.contains("nested deeper") || e.starts_with("Unable to complete the copy"),
        "{e}"
    );
}

proptest::proptest! {
    #[test]
    fn any_operation_never_panics(
        op in proptest::sample::select(vec!["add", "remove", "replace", "move", "copy", "test", "x"]),
        path in proptest::sample::select(vec!["", "/", "/spec", "/spec/template/spec/containers/0", "/spec/template/spec/containers/-",
            "/spec/template/spec/containers/-1", "/spec/template/spec/containers/99", "/metadata/name/x", "a/b", "/~0~1", "/spec/template/spec/containers/0/args/+0"]),
        from in proptest::sample::select(vec!["", "/metadata", "/spec/template", "/nope", "/spec/template/spec/containers/0/args/0"]),
        value in proptest::sample::select(vec![json!(null), json!(1), json!({"a": [1]}), json!([1, 2])]),
    ) {
        let ops = vec![serde_json::from_value::<Op>(json!({"op": op, "path": path, "from": from, "value": value})).unwrap()];
        let mut doc = deployment();
        let _ = apply(&mut doc, &ops);
    }
}
