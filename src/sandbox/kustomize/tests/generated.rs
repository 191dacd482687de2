//! Flux's generated kustomization and the Flux Kustomization's overrides.

use serde_json::json;

use super::*;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n";

fn cm(name: &str) -> String {
    CM.replace("NAME", name)
}

#[test]
fn generated_kustomization_includes_yaml_files_and_kustomization_dirs() {
    let (a, b, c, d, e) = (cm("a"), cm("b"), cm("c"), cm("d"), cm("e"));
    let tree = files(&[
        ("app/b.yaml", &b),
        ("app/a.yml", &a),
        (
            "app/skip.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"json\"}}",
        ),
        ("app/notes.txt", "not yaml"),
        ("app/plain/c.yaml", &c),
        ("app/plain/deeper/d.yaml", &d),
        ("app/kust/kustomization.yaml", "resources: [e.yaml]\n"),
        ("app/kust/e.yaml", &e),
        ("app/kust/ignored.yaml", "this: is not a resource"),
        ("other/x.yaml", &cm("x")),
    ]);
    let objs = ok(&tree, "app");
    let names: Vec<&str> = objs
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a", "b", "e", "c", "d"],
        "walk order: a.yml, b.yaml, kust/, plain/"
    );
    assert!(ok(&files(&[("empty/readme.md", "x")]), "empty").is_empty());
}

#[test]
fn generated_kustomization_refuses_yaml_that_is_not_kubernetes() {
    let tree = files(&[
        ("app/values.yaml", "replicaCount: 2\n"),
        ("app/a.yaml", &cm("a")),
    ]);
    let e = build(&tree, "app", &Overrides::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed to decode Kubernetes YAML from /tmp/kustomization-sandbox/app/values.yaml: missing Resource metadata"
    );
    assert_eq!(e.reason(), "BuildFailed");
    assert!(e.hint().contains("values.yaml"));
}

#[test]
fn overrides_are_written_into_the_kustomization() {
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: runner\n      containers:\n      - name: web\n        image: nginx:1.0@sha256:old\n        envFrom:\n        - configMapRef: {name: settings}\n";
    let tree = files(&[
        (
            "app/kustomization.yaml",
            "namespace: from-file\nnamePrefix: file-\nresources: [deploy.yaml, cm.yaml, sa.yaml, ns.yaml]\nimages:\n- name: nginx\n  newName: registry/nginx\n  digest: sha256:stale\n",
        ),
        ("app/deploy.yaml", deploy),
        ("app/cm.yaml", &cm("settings")),
        (
            "app/sa.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n",
        ),
        (
            "app/ns.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: whatever\n",
        ),
    ]);
    let o = Overrides::from_spec(&json!({
        "targetNamespace": "team",
        "namePrefix": "flux-",
        "nameSuffix": "-1",
        "images": [{"name": "nginx", "newTag": "2.0"}],
        "patches": [{"patch": "- op: add\n  path: /spec/replicas\n  value: 3", "target": {"kind": "Deployment"}}],
        "commonMetadata": {"labels": {"team": "a"}, "annotations": {"owner": "b"}},
    }));
    let objs = build(&tree, "app", &o).unwrap();
    assert_eq!(
        ids(&objs),
        [
            "Deployment/team/flux-web-1",
            "ConfigMap/team/flux-settings-1",
            "ServiceAccount/team/flux-runner-1",
            "Namespace//team"
        ]
    );
    let d = find(&objs, "Deployment", "flux-web-1");
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(
        pod["containers"][0]["image"], "registry/nginx:2.0",
        "a new tag drops the stale digest"
    );
    assert_eq!(pod["serviceAccountName"], "flux-runner-1");
    assert_eq!(
        pod["containers"][0]["envFrom"][0]["configMapRef"]["name"],
        "flux-settings-1"
    );
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(d["metadata"]["labels"], json!({"app": "web", "team": "a"}));
    assert_eq!(d["metadata"]["annotations"], json!({"owner": "b"}));
    assert_eq!(
        d["spec"]["selector"]["matchLabels"],
        json!({"app": "web"}),
        "commonMetadata stays off selectors"
    );
    assert_eq!(
        d["spec"]["template"]["metadata"]["labels"],
        json!({"app": "web"})
    );
    let ns = find(&objs, "Namespace", "team");
    assert!(ns["metadata"].get("namespace").is_none());
    assert_eq!(ns["metadata"]["labels"]["team"], "a");
}

#[test]
fn overrides_read_from_a_spec() {
    let o = Overrides::from_spec(&json!({
        "targetNamespace": "x",
        "images": [{"name": "a", "newName": "b", "newTag": "c", "digest": "sha256:d", "tagSuffix": "no"}],
        "patches": [{"patch": "p", "target": {"kind": "K", "name": "n.*", "labelSelector": "a=b"}}],
        "patchesStrategicMerge": [{"kind": "K"}],
        "patchesJson6902": [{"target": {"name": "n"}, "patch": [{"op": "remove", "path": "/a"}]}],
        "commonMetadata": {"labels": {"l": "1"}},
        "path": "./ignored",
    }));
    assert_eq!(o.target_namespace.as_deref(), Some("x"));
    assert_eq!(o.images[0].digest, "sha256:d");
    assert!(o.images[0].tag_suffix.is_empty());
    assert_eq!(o.patches[0].target.as_ref().unwrap().label_selector, "a=b");
    assert_eq!(o.patches_strategic_merge, ["{\"kind\":\"K\"}"]);
    assert_eq!(
        o.patches_json6902[0].patch,
        "[{\"op\":\"remove\",\"path\":\"/a\"}]"
    );
    assert_eq!(o.common_labels["l"], "1");
    assert_eq!(Overrides::from_spec(&json!({})), Overrides::default());
}

#[test]
fn a_root_without_resources_gets_origin_annotations_as_in_flux() {
    let tree = files(&[
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("base/cm.yaml", &cm("a")),
        ("overlay/kustomization.yaml", "bases: [../base]\n"),
    ]);
    let objs = ok(&tree, "overlay");
    assert_eq!(
        objs[0]["metadata"]["annotations"]["config.kubernetes.io/origin"],
        "path: ../base/cm.yaml\n"
    );
    let objs = ok(&tree, "base");
    assert!(objs[0]["metadata"].get("annotations").is_none());
}

#[test]
fn the_root_is_read_leniently_and_nested_kustomizations_strictly() {
    let tree = files(&[
        (
            "root/kustomization.yaml",
            "resources: [cm.yaml]\nunknownField: 1\nimages:\n- name: a\n  newTag: 1.10\n",
        ),
        (
            "root/cm.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: a:1\n",
        ),
        ("outer/kustomization.yaml", "resources: [../root]\n"),
    ]);
    let objs = ok(&tree, "root");
    assert_eq!(objs[0]["spec"]["containers"][0]["image"], "a:1.10");
    let e = build(&tree, "outer", &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("couldn't make target for path '/tmp/kustomization-sandbox/root': invalid Kustomization: json: unknown field \"unknownField\""),
        "{e}"
    );
}
