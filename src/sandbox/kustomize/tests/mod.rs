//! Tests of the whole build: the reference repositories, each feature, each error, and
//! hostile input.

mod errors;
mod features;
mod fuzz;
mod generated;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::*;

/// A tree from (path, text) pairs.
pub(super) fn files(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    entries
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

/// Every file under an asset directory, with `__ACCOUNT_ID__` replaced.
fn asset_tree(dir: &str) -> BTreeMap<String, Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p)
                    .unwrap()
                    .replace("__ACCOUNT_ID__", "123456789012");
                out.insert(rel, text.into_bytes());
            }
        }
    }
    out
}

/// `Kind/namespace/name` of each object.
pub(super) fn ids(objs: &[Value]) -> Vec<String> {
    objs.iter()
        .map(|o| {
            let ns = o["metadata"]["namespace"].as_str().unwrap_or("");
            format!(
                "{}/{}/{}",
                o["kind"].as_str().unwrap_or(""),
                ns,
                o["metadata"]["name"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// The object of that kind and name.
pub(super) fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in {:?}", ids(objs)))
}

/// Builds with no overrides, panicking with the message on failure.
pub(super) fn ok(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> Vec<Value> {
    build(tree, path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

const FRONT_END: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

#[test]
fn microservices_development_overlay() {
    let tree = asset_tree("assets/seed-gitops/microservices-repo");
    let objs = ok(&tree, "./deploy/kubernetes/overlays/development");
    let count = |k: &str| objs.iter().filter(|o| o["kind"] == k).count();
    assert_eq!(
        (count("Deployment"), count("Service"), count("Namespace")),
        (14, 14, 1)
    );
    assert_eq!(objs.len(), 29);
    assert_eq!(
        ids(&objs)[0],
        "Namespace//sock-shop",
        "fifo: the file's order"
    );
    let image = |objs: &[Value]| {
        find(objs, "Deployment", "front-end")["spec"]["template"]["spec"]["containers"][0]["image"]
            .clone()
    };
    assert_eq!(image(&objs), format!("{FRONT_END}:latest"));
    assert_eq!(
        find(&objs, "Deployment", "carts")["spec"]["template"]["spec"]["containers"][0]["image"],
        "weaveworksdemos/carts:0.4.8"
    );
    // The automation rewrites newTag in the file …
    let mut bumped = tree.clone();
    let k = "deploy/kubernetes/overlays/development/kustomization.yaml";
    let text = String::from_utf8(bumped[k].clone())
        .unwrap()
        .replace("newTag: latest", "newTag: main-1f49071-24");
    bumped.insert(k.to_string(), text.into_bytes());
    assert_eq!(
        image(&ok(&bumped, "deploy/kubernetes/overlays/development")),
        format!("{FRONT_END}:main-1f49071-24")
    );
    // … or a Flux Kustomization overrides the tag (the file's newName stays).
    let o = Overrides::from_spec(
        &json!({"images": [{"name": "weaveworksdemos/front-end", "newTag": "main-1f49071-24"}]}),
    );
    let objs = build(&tree, "deploy/kubernetes/overlays/development", &o).unwrap();
    assert_eq!(image(&objs), format!("{FRONT_END}:main-1f49071-24"));
    // Strings stay strings, numbers numbers.
    let fe = find(&objs, "Deployment", "front-end");
    assert_eq!(
        fe["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
        "true"
    );
    assert_eq!(fe["spec"]["replicas"], 1);
}

#[test]
fn flux_repo_apps_overlay() {
    let tree = asset_tree("assets/seed-gitops/flux-repo");
    let objs = ok(&tree, "./apps/overlays/development");
    assert_eq!(
        ids(&objs),
        [
            "Namespace//sock-shop",
            "ServiceAccount/sock-shop/sock-shop",
            "RoleBinding/sock-shop/sock-shop-reconciler",
            "Secret/sock-shop/microservices-basic-access-auth",
            "GitRepository/sock-shop/sock-shop-tenant",
            "Kustomization/sock-shop/sock-shop",
            "ImageRepository/sock-shop/sock-shop-front-end",
            "ImagePolicy/sock-shop/sock-shop-front-end",
            "ImageUpdateAutomation/sock-shop/sock-shop-front-end",
        ]
    );
    assert_eq!(
        find(&objs, "ImageRepository", "sock-shop-front-end")["spec"]["image"],
        FRONT_END
    );
    assert!(ok(&tree, "infrastructure/overlays/development").is_empty());
}

#[test]
fn flux_repo_dev_cluster_generated_kustomization() {
    let mut tree = asset_tree("assets/seed-gitops/flux-repo");
    tree.insert(
        "clusters/dev-cluster/flux-system/gotk-components.yaml".into(),
        br#"---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: image-reflector-controller
  namespace: flux-system
spec:
  selector:
    matchLabels:
      app: image-reflector-controller
  template:
    metadata:
      labels:
        app: image-reflector-controller
    spec:
      containers:
      - name: manager
        image: ghcr.io/fluxcd/image-reflector-controller:v1.0.0
        args:
        - --events-addr=http://notification-controller.flux-system.svc.cluster.local./
        - --watch-all-namespaces=true
"#
        .to_vec(),
    );
    let objs = ok(&tree, "./clusters/dev-cluster");
    assert_eq!(
        ids(&objs),
        [
            "Kustomization/flux-system/apps",
            "Namespace//flux-system",
            "Deployment/flux-system/image-reflector-controller",
            "GitRepository/flux-system/flux-system",
            "Kustomization/flux-system/flux-system",
            "Kustomization/flux-system/infrastructure",
        ]
    );
    let args = &find(&objs, "Deployment", "image-reflector-controller")["spec"]["template"]["spec"]
        ["containers"][0]["args"];
    assert_eq!(
        args.as_array().unwrap().last().unwrap(),
        "--aws-autologin-for-ecr"
    );
    assert_eq!(args.as_array().unwrap().len(), 3);
    assert_eq!(
        find(&objs, "Kustomization", "apps")["spec"]["path"],
        "./apps/overlays/development"
    );
    // Without the generated gotk-components.yaml the build fails as Flux's would.
    let bare = asset_tree("assets/seed-gitops/flux-repo");
    let e = build(&bare, "clusters/dev-cluster", &Overrides::default()).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "kustomize build failed: accumulating resources: accumulation err='accumulating resources from './flux-system': read /tmp/kustomization-sandbox/clusters/dev-cluster/flux-system: is a directory': recursed accumulation of path '/tmp/kustomization-sandbox/clusters/dev-cluster/flux-system': accumulating resources: accumulation err='accumulating resources from 'gotk-components.yaml': open /tmp/kustomization-sandbox/clusters/dev-cluster/flux-system/gotk-components.yaml: no such file or directory'"
        ),
        "{e}"
    );
}

#[test]
fn apply_stages_put_definitions_first() {
    let stage = |kind: &str, api: &str| apply_stage(&json!({"kind": kind, "apiVersion": api}));
    assert_eq!(
        stage("CustomResourceDefinition", "apiextensions.k8s.io/v1"),
        ApplyStage::Definitions
    );
    assert_eq!(stage("Namespace", "v1"), ApplyStage::Definitions);
    assert_eq!(
        stage("ClusterRole", "rbac.authorization.k8s.io/v1"),
        ApplyStage::Definitions
    );
    assert_eq!(
        stage("StorageClass", "storage.k8s.io/v1"),
        ApplyStage::Classes
    );
    assert_eq!(stage("Deployment", "apps/v1"), ApplyStage::Resources);
}
