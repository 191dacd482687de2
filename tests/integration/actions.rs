//! Suspend, resume and force sync against the sandbox, with the flux CLI's semantics.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::Sandbox;
use fluxdeck::workers::cluster::act::{self, Action, Outcome, Progress, Target};
use fluxdeck::workers::cluster::connect::{ConnectOptions, connect};
use fluxdeck::workers::cluster::discovery::{ServedKind, discover};
use serde_json::{Value, json};

const REV: &str = "main@sha1:1111111111111111111111111111111111111111";

async fn setup() -> (TestSandbox, kube::Client, Vec<ServedKind>) {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sock-shop"}}),
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "sock-shop", "namespace": "sock-shop"},
            "spec": {"interval": "5m", "path": "./", "prune": true,
                     "sourceRef": {"kind": "GitRepository", "name": "tenant"}}}),
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "tenant", "namespace": "sock-shop"},
            "spec": {"interval": "1m", "url": "https://example.com/r.git"},
            "status": {"artifact": {"revision": REV, "digest": "sha256:0", "path": "p", "url": "u",
                       "lastUpdateTime": "2026-01-01T00:00:00Z"}}}),
    ];
    let sb = Spec::objects(objects)
        .reconcile_time(Duration::from_millis(100))
        .start()
        .await;
    let conn = connect(&ConnectOptions {
        kubeconfig: Some(sb.kubeconfig().to_path_buf()),
        context: None,
    })
    .await
    .unwrap();
    let kinds = discover(&conn.client).await.unwrap();
    (sb, conn.client, kinds)
}

fn target(kinds: &[ServedKind], kind: &str, name: &str) -> Target {
    Target {
        kind: kinds.iter().find(|k| k.kind == kind).unwrap().clone(),
        namespace: "sock-shop".into(),
        name: name.into(),
    }
}

async fn get(sb: &Sandbox, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", sb.http_url()))
        .bearer_auth(&sb.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn writes(sb: &Sandbox) -> Vec<Value> {
    let log = get(sb, "/sandbox/requests").await;
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !["GET"].contains(&r["method"].as_str().unwrap()))
        .filter(|r| {
            !r["path"]
                .as_str()
                .unwrap()
                .contains("selfsubjectaccessreviews")
        })
        .cloned()
        .collect()
}

const KS_PATH: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";

#[tokio::test]
async fn suspend_resume_and_reconcile_like_the_flux_cli() {
    let (sb, client, kinds) = setup().await;
    let ks = target(&kinds, "Kustomization", "sock-shop");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let progress = move |p: Progress| s2.lock().unwrap().push(p);
    let kinds2 = kinds.clone();
    let source_of = move |obj: &Value| {
        let name = obj["spec"]["sourceRef"]["name"].as_str()?;
        Some(target(&kinds2, "GitRepository", name))
    };
    let t = Duration::from_secs(10);

    // Reconcile: the strip ends with the applied revision.
    let out = act::run(
        &client,
        &ks,
        Action::Reconcile { with_source: false },
        t,
        &progress,
        &source_of,
    )
    .await;
    assert_eq!(out, Outcome::Succeeded(format!("applied revision {REV}")));
    let obj = get(&sb, KS_PATH).await;
    assert_eq!(
        obj["status"]["lastHandledReconcileAt"],
        obj["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"]
    );

    // Suspend: the sandbox holds spec.suspend: true.
    let out = act::run(&client, &ks, Action::Suspend, t, &progress, &source_of).await;
    assert_eq!(
        out,
        Outcome::Succeeded("Kustomization sock-shop suspended".into())
    );
    assert_eq!(get(&sb, KS_PATH).await["spec"]["suspend"], true);

    // Reconcile of a suspended object is refused with Flux's message and sends no write.
    let before = writes(&sb).await.len();
    let out = act::run(
        &client,
        &ks,
        Action::Reconcile { with_source: false },
        t,
        &progress,
        &source_of,
    )
    .await;
    assert!(
        matches!(&out, Outcome::Failed(m) if m.contains("resource is suspended")),
        "{out:?}"
    );
    assert_eq!(writes(&sb).await.len(), before);

    // Resume waits for the new generation to be ready.
    let out = act::run(&client, &ks, Action::Resume, t, &progress, &source_of).await;
    assert!(
        matches!(&out, Outcome::Succeeded(m) if m.contains("reconciliation completed")),
        "{out:?}"
    );
    assert!(get(&sb, KS_PATH).await["spec"]["suspend"].is_null());

    // With source: the GitRepository is reconciled first.
    let out = act::run(
        &client,
        &ks,
        Action::Reconcile { with_source: true },
        t,
        &progress,
        &source_of,
    )
    .await;
    assert!(matches!(&out, Outcome::Succeeded(_)), "{out:?}");
    let steps = seen.lock().unwrap().clone();
    let annotated: Vec<_> = steps
        .iter()
        .filter_map(|p| match p {
            Progress::Sent(s) if s.starts_with("annotated") => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        annotated[annotated.len() - 2..],
        [
            "annotated GitRepository/sock-shop/tenant",
            "annotated Kustomization/sock-shop/sock-shop"
        ]
    );
}

#[tokio::test]
async fn forbidden_actions_are_reported_with_the_missing_permission() {
    let (sb, client, kinds) = setup().await;
    let ks = target(&kinds, "Kustomization", "sock-shop");
    assert!(
        act::can_patch(&client, &ks.kind, "sock-shop")
            .await
            .unwrap()
    );
    reqwest::Client::new()
        .post(format!("{}/sandbox/faults", sb.http_url()))
        .bearer_auth(&sb.token)
        .json(&json!({"deny": [{"verb": "patch", "resource": "kustomizations"}]}))
        .send()
        .await
        .unwrap();
    assert!(
        !act::can_patch(&client, &ks.kind, "sock-shop")
            .await
            .unwrap()
    );
    let out = act::run(
        &client,
        &ks,
        Action::Suspend,
        Duration::from_secs(5),
        &|_| {},
        &|_| None,
    )
    .await;
    match out {
        Outcome::Failed(m) => {
            assert!(
                m.contains("missing permission to patch kustomizations in namespace sock-shop"),
                "{m}"
            )
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
