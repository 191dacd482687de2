//! Each kustomization feature through a whole build.

use serde_json::json;

use super::*;

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.0
        ports:
        - containerPort: 80
      - name: sidecar
        image: docker.io/library/busybox@sha256:0
      initContainers:
      - name: init
        image: nginx
";

const SVC: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
";

fn with_kustomization(k: &str, extra: &[(&str, &str)]) -> Vec<Value> {
    let mut entries = vec![
        ("app/kustomization.yaml", k),
        ("app/deploy.yaml", DEPLOY),
        ("app/svc.yaml", SVC),
    ];
    entries.extend_from_slice(extra);
    ok(&files(&entries), "app")
}

fn containers(objs: &[Value]) -> Vec<Value> {
    find(objs, "Deployment", "web")["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn images_name_tag_digest() {
    let cases = [
        ("- name: nginx\n  newTag: \"2.0\"", "nginx:2.0", "nginx:2.0"),
        (
            "- name: nginx\n  newName: reg.io/nginx",
            "reg.io/nginx:1.0",
            "reg.io/nginx",
        ),
        (
            "- name: nginx\n  digest: sha256:abc",
            "nginx@sha256:abc",
            "nginx@sha256:abc",
        ),
        (
            "- name: nginx\n  newTag: v3\n  digest: sha256:abc",
            "nginx:v3@sha256:abc",
            "nginx:v3@sha256:abc",
        ),
        (
            "- name: docker.io/nginx\n  newTag: v3",
            "nginx:1.0",
            "nginx",
        ),
        ("- name: ngin\n  newTag: v3", "nginx:1.0", "nginx"),
    ];
    for (images, web, init) in cases {
        let objs = with_kustomization(
            &format!("resources: [deploy.yaml]\nimages:\n{images}\n"),
            &[],
        );
        let d = find(&objs, "Deployment", "web");
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["image"], web,
            "{images}"
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["initContainers"][0]["image"], init,
            "{images}"
        );
    }
    let objs = with_kustomization(
        "resources: [deploy.yaml]\nimages:\n- name: docker.io/library/busybox\n  newTag: \"1.36\"\n",
        &[],
    );
    assert_eq!(
        containers(&objs)[1]["image"],
        "docker.io/library/busybox:1.36"
    );
}

#[test]
fn strategic_merge_patches_by_file_inline_and_legacy() {
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        ports:\n        - containerPort: 8080\n        env:\n        - name: MODE\n          value: \"1\"\n";
    for k in [
        "resources: [deploy.yaml]\npatches:\n- path: patch.yaml\n",
        "resources: [deploy.yaml]\npatchesStrategicMerge:\n- patch.yaml\n",
        "resources: [deploy.yaml]\npatches:\n- target: {kind: Deployment}\n  path: patch.yaml\n",
    ] {
        let objs = with_kustomization(k, &[("app/patch.yaml", patch)]);
        let cs = containers(&objs);
        assert_eq!(cs.len(), 2, "{k}");
        assert_eq!(cs[0]["name"], "web");
        assert_eq!(cs[0]["image"], "nginx:1.0");
        assert_eq!(
            cs[0]["ports"],
            json!([{"containerPort": 8080}, {"containerPort": 80}])
        );
        assert_eq!(cs[0]["env"], json!([{"name": "MODE", "value": "1"}]));
    }
}

#[test]
fn patch_delete_removes_objects_and_containers() {
    let k = "resources: [deploy.yaml, svc.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: web\n    $patch: delete\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: sidecar\n            $patch: delete\n";
    let objs = with_kustomization(k, &[]);
    assert_eq!(ids(&objs), ["Deployment//web"]);
    assert_eq!(containers(&objs).len(), 1);
}

#[test]
fn targets_select_by_regex_labels_annotations_and_kind() {
    let more = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-canary\n  labels: {app: web, tier: canary}\n  annotations: {flux: \"yes\"}\nspec:\n  template:\n    spec:\n      containers: []\n";
    let cases = [
        ("name: web.*", vec!["web", "web-canary"]),
        ("name: web", vec!["web"]),
        ("labelSelector: tier=canary", vec!["web-canary"]),
        ("labelSelector: tier in (front, back)", vec!["web"]),
        ("annotationSelector: flux=yes", vec!["web-canary"]),
        ("kind: Deploy", vec![]),
        (
            "kind: Deployment\n    version: v1\n    group: apps\n    namespace: default",
            vec!["web", "web-canary"],
        ),
        ("kind: Service", vec![]),
    ];
    for (target, want) in cases {
        let k = format!(
            "resources: [deploy.yaml, more.yaml]\npatches:\n- target:\n    {target}\n  patch: |-\n    - op: add\n      path: /metadata/labels/hit\n      value: \"true\"\n"
        );
        let objs = with_kustomization(&k, &[("app/more.yaml", more)]);
        let hit: Vec<&str> = objs
            .iter()
            .filter(|o| o["metadata"]["labels"]["hit"] == "true")
            .map(|o| o["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(hit, want, "{target}");
    }
}

#[test]
fn namespace_skips_cluster_scoped_kinds_and_sets_default_subjects() {
    let cluster = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: reader\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\nsubjects:\n- {kind: ServiceAccount, name: default, namespace: old}\n- {kind: ServiceAccount, name: bot, namespace: old}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.x.io\n---\napiVersion: x.io/v1\nkind: Thing\nmetadata:\n  name: t\n";
    let objs = with_kustomization(
        "namespace: prod\nresources: [deploy.yaml, cluster.yaml]\n",
        &[("app/cluster.yaml", cluster)],
    );
    assert_eq!(
        ids(&objs),
        [
            "Deployment/prod/web",
            "ClusterRole//reader",
            "ClusterRoleBinding//reader",
            "CustomResourceDefinition//things.x.io",
            "Thing/prod/t"
        ]
    );
    let crb = find(&objs, "ClusterRoleBinding", "reader");
    assert_eq!(
        crb["subjects"][0]["namespace"], "prod",
        "kustomize sets subjects named default"
    );
    assert_eq!(
        crb["subjects"][1]["namespace"], "old",
        "and leaves the others"
    );
}

#[test]
fn common_labels_reach_selectors_labels_only_metadata() {
    let objs = with_kustomization(
        "resources: [deploy.yaml, svc.yaml]\ncommonLabels: {team: a}\nlabels:\n- pairs: {env: dev}\n- pairs: {cost: x}\n  includeTemplates: true\n",
        &[],
    );
    let d = find(&objs, "Deployment", "web");
    assert_eq!(
        d["metadata"]["labels"],
        json!({"app": "web", "tier": "front", "env": "dev", "cost": "x", "team": "a"})
    );
    assert_eq!(
        d["spec"]["selector"]["matchLabels"],
        json!({"app": "web", "team": "a"})
    );
    assert_eq!(
        d["spec"]["template"]["metadata"]["labels"],
        json!({"app": "web", "cost": "x", "team": "a"})
    );
    assert_eq!(
        find(&objs, "Service", "web")["spec"]["selector"],
        json!({"app": "web", "team": "a"})
    );
    let objs = with_kustomization(
        "resources: [deploy.yaml]\nlabels:\n- pairs: {env: dev}\n  includeSelectors: true\ncommonAnnotations: {note: hi}\n",
        &[],
    );
    let d = find(&objs, "Deployment", "web");
    assert_eq!(d["spec"]["selector"]["matchLabels"]["env"], "dev");
    assert_eq!(d["metadata"]["annotations"]["note"], "hi");
    assert_eq!(
        d["spec"]["template"]["metadata"]["annotations"]["note"],
        "hi"
    );
}

#[test]
fn overlays_patch_by_the_base_name_and_namespace() {
    let tree = files(&[
        (
            "base/kustomization.yaml",
            "namespace: shop\nnamePrefix: base-\nresources: [deploy.yaml]\n",
        ),
        ("base/deploy.yaml", DEPLOY),
        (
            "overlay/kustomization.yaml",
            "resources: [../base]\nnameSuffix: -v2\nreplicas:\n- name: web\n  count: 4\npatches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      minReadySeconds: 5\n",
        ),
    ]);
    let objs = ok(&tree, "overlay");
    assert_eq!(ids(&objs), ["Deployment/shop/base-web-v2"]);
    assert_eq!(objs[0]["spec"]["minReadySeconds"], 5);
    assert_eq!(objs[0]["spec"]["replicas"], 4);
}

#[test]
fn sort_options_legacy_orders_by_kind() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: z\n";
    let objs = with_kustomization(
        "resources: [deploy.yaml, svc.yaml, ns.yaml]\nsortOptions:\n  order: legacy\n",
        &[("app/ns.yaml", ns)],
    );
    assert_eq!(
        ids(&objs),
        ["Namespace//z", "Service//web", "Deployment//web"]
    );
    let objs = with_kustomization(
        "resources: [deploy.yaml, svc.yaml, ns.yaml]\n",
        &[("app/ns.yaml", ns)],
    );
    assert_eq!(
        ids(&objs),
        ["Deployment//web", "Service//web", "Namespace//z"]
    );
}

#[test]
fn lists_are_inlined_and_local_config_dropped() {
    let list = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n    annotations:\n      config.kubernetes.io/local-config: \"true\"\n";
    let objs = with_kustomization(
        "resources: [list.yaml]\nbuildMetadata: [managedByLabel]\n",
        &[("app/list.yaml", list)],
    );
    assert_eq!(ids(&objs), ["ConfigMap//a"]);
    assert_eq!(
        objs[0]["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kustomize-v5.8.1"
    );
}

#[test]
fn json6902_legacy_and_json_text() {
    let k = "resources: [deploy.yaml]\npatchesJson6902:\n- target: {group: apps, version: v1, kind: Deployment, name: web}\n  patch: '[{\"op\": \"replace\", \"path\": \"/spec/template/spec/containers/0/image\", \"value\": \"x:1\"}]'\n- target: {kind: Deployment, name: web}\n  path: ops.yaml\n";
    let objs = with_kustomization(
        k,
        &[(
            "app/ops.yaml",
            "- op: remove\n  path: /spec/template/spec/initContainers\n",
        )],
    );
    let d = find(&objs, "Deployment", "web");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "x:1"
    );
    assert!(
        d["spec"]["template"]["spec"]
            .get("initContainers")
            .is_none()
    );
}
