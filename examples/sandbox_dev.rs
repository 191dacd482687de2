//! Development helper: a sandbox with a handful of objects, for trying clients by hand.
use fluxdeck::sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

#[tokio::main]
async fn main() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sock-shop"}}),
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "sock-shop", "namespace": "sock-shop"},
            "spec": {"interval": "5m", "path": "./", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "repo"}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": "Applied revision: main@sha1:abc", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "front-end-5c89db9f57-cvbdl", "namespace": "sock-shop", "labels": {"name": "front-end"}, "creationTimestamp": "2026-11-28T00:00:00Z"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "front-end", "image": "weaveworksdemos/front-end:0.3.12"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": [{"name": "front-end", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-11-28T00:00:00Z"}}}]}}),
    ];
    let sb = Sandbox::start(SandboxConfig {
        objects,
        controllers: None,
        ..Default::default()
    })
    .await
    .unwrap();
    sb.write_kubeconfig(std::path::Path::new("/tmp/kt/kubeconfig"))
        .unwrap();
    println!("{}", sb.url);
    tokio::signal::ctrl_c().await.unwrap();
}
