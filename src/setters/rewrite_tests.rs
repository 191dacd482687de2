//! Unit tests of `setters::rewrite`, one situation each (upstream fixture situations rebuilt
//! with our own files, plus the formatting and safety rules).

use super::*;
use crate::setters::test_support::{
    KUSTOMIZATION, fixture_policies as policies, kustomization_updated, policy,
};

fn new_text(text: &str) -> String {
    rewrite(text, &policies())
        .unwrap()
        .new_text
        .expect("a change")
}

fn unchanged(text: &str) {
    let out = rewrite(text, &policies()).unwrap();
    assert_eq!(out.new_text, None, "{text:?}");
    assert!(out.changes.is_empty());
}

fn problem(text: &str) -> ParseProblem {
    rewrite(text, &policies()).unwrap_err()
}

const MARK: &str = r#"# {"$imagepolicy": "automation-ns:policy"}"#;
const MARK_TAG: &str = r#"# {"$imagepolicy": "automation-ns:policy:tag"}"#;

#[test]
fn full_ref_marker_replaces_the_whole_value_in_a_cronjob() {
    let text = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: foo\n  namespace: bar\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: image:v1.0.0 {MARK}\n          - name: d\n            image: image:v1.0.0 # {{\"$imagepolicy\": \"automation-ns:unchanged\"}}\n"
    );
    let out = rewrite(&text, &policies()).unwrap();
    let expected = text.replacen(
        "image: image:v1.0.0 #",
        "image: index.repo.fake/updated:v1.0.1 #",
        1,
    );
    assert_eq!(out.new_text.as_deref(), Some(expected.as_str()));
    assert_eq!(
        out.changes,
        vec![Change {
            object: ObjectId {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                name: "foo".into(),
                namespace: "bar".into(),
            },
            setter: "automation-ns:policy".into(),
            old_value: "image:v1.0.0".into(),
            new_value: "index.repo.fake/updated:v1.0.1".into(),
            missing_metadata: false,
        }]
    );
}

#[test]
fn kustomization_images_keep_the_block_patch_and_are_attributed_without_a_name() {
    let text = KUSTOMIZATION.to_owned()
        + r#"    newDigest: sha256:1234 # {"$imagepolicy": "automation-ns:policy-with-digest:digest"}
patches:
  - patch: |
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: image # {"$imagepolicy": "automation-ns:policy"}
    target:
      kind: Deployment
      image: image # {"$imagepolicy": "automation-ns:policy-with-digest"}
"#;
    let out = rewrite(&text, &policies()).unwrap();
    let expected = kustomization_updated(&text)
        .replace(
            "newDigest: sha256:1234",
            "newDigest: sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be",
        )
        .replace(
            "      image: image #",
            "      image: image:v1.0.0@sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be #",
        );
    assert_eq!(out.new_text.as_deref(), Some(expected.as_str()));
    let setters: Vec<_> = out.changes.iter().map(|c| c.setter.as_str()).collect();
    assert_eq!(
        setters,
        [
            "automation-ns:policy:name",
            "automation-ns:policy:tag",
            "automation-ns:policy-with-digest:digest",
            "automation-ns:policy-with-digest"
        ]
    );
    for change in &out.changes {
        assert_eq!(change.object.kind, "Kustomization");
        assert_eq!(change.object.api_version, "kustomize.config.k8s.io/v1beta1");
        assert_eq!(change.object.name, "");
    }
}

#[test]
fn markers_of_other_namespaces_unknown_suffixes_and_unmarked_values_are_left_alone() {
    unchanged("image: user:v1.0.0 # {\"$imagepolicy\": \"other-namespace:policy\"}\n");
    unchanged("image: user:v1.0.0 # {\"$imagepolicy\": \"automation-ns:policy:other\"}\n");
    unchanged("image: image:v1.0.0 # uses the same image, but should be left alone\n");
    unchanged("image: image:v1.0.0 # {\"$imagepolicy\": \"automation-ns:unchanged\"}\n");
    unchanged("");
    unchanged("# {\"$imagepolicy\": \"automation-ns:policy\"}\n");
}

#[test]
fn bad_marker_json_is_not_a_marker() {
    for comment in [
        "# {\"$imagepolicy\": \"automation-ns:policy\"} and prose",
        "# {\"$imagepolicy\": automation-ns:policy}",
        "# {'$imagepolicy': 'automation-ns:policy'}",
        "# {\"$imagepolicy\": [\"automation-ns:policy\"]}",
        "# $imagepolicy automation-ns:policy",
    ] {
        unchanged(&format!("image: a:v1 {comment}\n"));
    }
}

#[test]
fn non_ascii_comments_and_text_survive() {
    let text = format!(
        "spec:\n  template:\n    # 컨테이너\n    spec: # 컨테이너\n      containers:\n      - name: c\n        image: used:v1.0.0 {MARK}\n        env: ünïcödé # é\n"
    );
    let expected = text.replace("used:v1.0.0", "index.repo.fake/updated:v1.0.1");
    assert_eq!(new_text(&text), expected);
}

#[test]
fn crlf_line_endings_and_trailing_blanks_are_kept() {
    let text = format!("a: 1   \r\nimage: x:v0 {MARK}   \r\nb:  two\t\r\n");
    let expected = text.replace("x:v0", "index.repo.fake/updated:v1.0.1");
    assert_eq!(new_text(&text), expected);
}

#[test]
fn a_leading_document_separator_is_kept_unlike_flux() {
    let text = format!("---\nkind: A\nimage: x {MARK}\n---\nkind: B\ntag: v0 {MARK_TAG}\n...\n");
    let out = rewrite(&text, &policies()).unwrap();
    assert_eq!(
        out.new_text.unwrap(),
        text.replace("image: x ", "image: index.repo.fake/updated:v1.0.1 ")
            .replace("tag: v0 ", "tag: v1.0.1 ")
    );
    let kinds: Vec<_> = out.changes.iter().map(|c| c.object.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["A", "B"],
        "document order, each with its own object"
    );
}

#[test]
fn sequence_styles_and_indentation_are_kept() {
    let compact = format!("list:\n- a {MARK}\n- b\n");
    let indented = format!("list:\n    -   a {MARK}\n    - b\n");
    for text in [compact, indented] {
        assert_eq!(
            new_text(&text),
            text.replace(" a #", " index.repo.fake/updated:v1.0.1 #")
        );
    }
}

#[test]
fn head_comments_mark_items_values_on_their_own_line_and_roots_but_not_keys() {
    let item = format!("list:\n  {MARK_TAG}\n  - v0\n");
    assert_eq!(new_text(&item), item.replace("- v0", "- v1.0.1"));
    let value = format!("tag:\n  {MARK_TAG}\n  v0\n");
    assert_eq!(new_text(&value), value.replace("  v0", "  v1.0.1"));
    let root = format!("{MARK_TAG}\nv0\n");
    assert_eq!(new_text(&root), root.replace("\nv0", "\nv1.0.1"));
    // the comment above `key: value` belongs to the key
    unchanged(&format!("{MARK_TAG}\ntag: v0\n"));
    // a comment after `key:` belongs to the key
    unchanged(&format!("tag: {MARK_TAG}\n  v0\n"));
    // a blank line detaches it; two comment lines are no JSON
    unchanged(&format!("{MARK_TAG}\n\nv0\n"));
    unchanged(&format!("list:\n# note\n{MARK_TAG}\n- v0\n"));
    // the line comment wins over the head comment, even when it is not a marker
    unchanged(&format!("list:\n{MARK_TAG}\n- v0 # plain words\n"));
    // a nested sequence's first item belongs to the outer item
    unchanged(&format!("{MARK_TAG}\n- - v0\n"));
}

#[test]
fn keys_are_never_set() {
    unchanged(&format!("? v0 {MARK_TAG}\n: value\n"));
    unchanged(&format!("? [v0, {{k: v0}}]\n: value\n{MARK_TAG}\n"));
}

#[test]
fn quoting_style_is_kept_and_non_strings_get_double_quotes() {
    let p = vec![policy("ns", "p", "img:1.10")];
    let run = |text: &str| rewrite(text, &p).unwrap().new_text.unwrap();
    let m = r#"# {"$imagepolicy": "ns:p:tag"}"#;
    assert_eq!(run(&format!("t: v1 {m}\n")), format!("t: \"1.10\" {m}\n"));
    assert_eq!(run(&format!("t: 'v1' {m}\n")), format!("t: '1.10' {m}\n"));
    assert_eq!(
        run(&format!("t: \"v1\" {m}\n")),
        format!("t: \"1.10\" {m}\n")
    );
    // a float-looking plain value becomes a plain string, never `!!float 1.0.1`
    let p2 = vec![policy("ns", "p", "img:1.0.1")];
    assert_eq!(
        rewrite(&format!("t: 1.0 {m}\n"), &p2)
            .unwrap()
            .new_text
            .unwrap(),
        format!("t: 1.0.1 {m}\n")
    );
}

#[test]
fn anchored_values_are_rewritten_where_defined_and_aliases_follow() {
    let text = format!("a: &img x:v0 {MARK}\nb: *img\n");
    assert_eq!(
        new_text(&text),
        text.replace("&img x:v0", "&img index.repo.fake/updated:v1.0.1")
    );
    // a marker on an alias is ignored, as kyaml skips alias nodes
    unchanged(&format!("a: &img x:v0\nb: *img {MARK}\n"));
}

#[test]
fn unsafe_scalars_are_problems_that_leave_the_file_alone() {
    let block = problem(&format!("a: ok\nimg: | {MARK}\n  x:v0\n"));
    assert!(block.cause.contains("block scalar"), "{block}");
    assert_eq!(block.line, Some(3));
    let folded = problem(&format!("img: >- {MARK}\n  x:v0\n"));
    assert!(folded.cause.contains("block scalar"), "{folded}");
    let multi = problem(&format!("img: x\n  v0 {MARK}\n"));
    assert!(multi.cause.contains("several lines"), "{multi}");
    let quoted = problem(&format!("img: \"x\n  v0\" {MARK}\n"));
    assert!(quoted.cause.contains("several lines"), "{quoted}");
    let tagged = problem(&format!("img: !!str x:v0 {MARK}\n"));
    assert!(tagged.cause.contains("explicit tag"), "{tagged}");
    let flow = problem(&format!("imgs: [\n  x:v0, {MARK}\n]\n"));
    assert!(flow.cause.contains("flow collection"), "{flow}");
    assert!(flow.to_string().starts_with("line 2: "), "{flow}");
}

#[test]
fn block_scalar_markers_are_found_on_the_header_above_and_when_empty() {
    for text in [
        format!("k2:\n{MARK_TAG}\n- >-\n  fold\n"),
        format!("k: | {MARK_TAG}\n"),
        format!(">- {MARK_TAG}\n"),
        format!("k: |  {MARK_TAG}\nz: 1\n"),
        format!("k: |\n\n  text\n  {MARK_TAG}\n"),
    ] {
        let found = rewrite(&text, &policies());
        if text.contains("text\n  #") {
            // a comment inside the content is content, not a marker
            assert_eq!(found.unwrap().new_text, None, "{text:?}");
        } else {
            assert!(
                found.unwrap_err().cause.contains("block scalar"),
                "{text:?}"
            );
        }
    }
    // a comment above `key: |` belongs to the key
    unchanged(&format!("{MARK_TAG}\nk: |\n  text\n"));
}

#[test]
fn unsafe_scalars_already_up_to_date_are_fine() {
    let up_to_date = "img: |- # {\"$imagepolicy\": \"automation-ns:unchanged\"}\n  image:v1.0.0\n";
    unchanged(up_to_date);
}

#[test]
fn a_one_line_flow_collection_comment_belongs_to_the_collection() {
    unchanged(&format!("imgs: [x:v0, y:v0] {MARK}\n"));
    unchanged(&format!("- {{image: x:v0}} {MARK}\n"));
}

#[test]
fn documents_without_metadata_are_recorded_with_an_empty_object() {
    let out = rewrite(&format!("image:\n  tag: v0 {MARK_TAG}\n"), &policies()).unwrap();
    assert_eq!(out.changes.len(), 1);
    assert!(out.changes[0].missing_metadata);
    assert_eq!(out.changes[0].object, ObjectId::default());
    // labels alone are enough metadata for kyaml, even with an all-empty identifier
    let labelled = rewrite(
        &format!("metadata:\n  labels: {{a: b}}\ntag: v0 {MARK_TAG}\n"),
        &policies(),
    )
    .unwrap();
    assert!(!labelled.changes[0].missing_metadata);
    assert_eq!(labelled.changes[0].object, ObjectId::default());
    let empty_labels = rewrite(
        &format!("metadata:\n  labels: {{}}\ntag: v0 {MARK_TAG}\n"),
        &policies(),
    )
    .unwrap();
    assert!(empty_labels.changes[0].missing_metadata);
}

#[test]
fn object_fields_come_from_top_level_and_metadata_only() {
    let text = format!(
        "spec:\n  kind: Inner\n  metadata:\n    name: inner\nkind: Deployment\napiVersion: apps/v1\nmetadata:\n  namespace: ns\n  name: app\n  labels:\n    kind: x\nimage: a {MARK}\n"
    );
    let out = rewrite(&text, &policies()).unwrap();
    assert_eq!(
        out.changes[0].object,
        ObjectId {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: "app".into(),
            namespace: "ns".into(),
        }
    );
}

#[test]
fn invalid_yaml_is_a_problem_with_a_line() {
    let p = problem(&format!("a: [1, 2\nimage: x {MARK}\n"));
    assert!(p.cause.contains("not valid YAML"), "{p}");
    assert!(p.line.is_some());
    assert!(
        problem("{{ .Values.image }}: {\"$imagepolicy\": x\n  - : :\n")
            .cause
            .contains("YAML")
    );
}

#[test]
fn rewriting_twice_equals_rewriting_once() {
    let text = format!("a: x {MARK}\nb: 'y' {MARK_TAG}\nc: \"z\" {MARK}\n");
    let once = new_text(&text);
    unchanged(&once);
}

#[test]
fn bom_and_deep_nesting_do_not_break_the_rewriter() {
    let text = format!("\u{feff}image: x {MARK}\n");
    assert_eq!(
        new_text(&text),
        text.replace(" x ", " index.repo.fake/updated:v1.0.1 ")
    );
    let deep = format!("{}x{}\n", "[".repeat(5000), "]".repeat(5000));
    let _ = rewrite(&deep, &policies());
    let deep_block: String = (0..2000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let _ = rewrite(&deep_block, &policies());
}
