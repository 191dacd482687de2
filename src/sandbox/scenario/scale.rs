//! The `scale:N` scenario, for benchmarks: N Kustomizations, each with its own GitRepository,
//! 50 to a namespace (so N/50 namespaces, rounded up), and five Running pods per
//! Kustomization. Pods have no Deployments (nothing in a benchmark reads them) but full
//! metadata, spec and status. One Kustomization in a hundred is suspended and one in a hundred
//! fails its health checks, so filters and failure views have something to find.
//!
//! Built for speed: one generator per Kustomization, one lean pod prototype copied per pod
//! (the fields a client reads, without what admission adds), no Events.

use rand::Rng;
use serde_json::{Value, json};

use super::flux::{
    Applied, Commit, InventoryRef, KustomizationState, flux_meta, git_repository, kustomization,
};
use super::ids::{self, Ids};
use super::kube::{self, Meta, condition, set};
use super::options::ScenarioOptions;
use super::pods::{Images, Nodes, PodFactory, PodPlan};

/// Kustomizations per namespace.
pub(super) const PER_NAMESPACE: usize = 50;
/// Pods per Kustomization.
pub(super) const PODS_PER_KUSTOMIZATION: usize = 5;

const DAY: i64 = 86_400;
const INTERVAL: i64 = 600;
const IMAGE: &str = "ghcr.io/stefanprodan/podinfo:6.7.1";

/// Hands every object of `scale:n` to `emit`, namespaces first.
pub(super) fn for_each(n: usize, opts: &ScenarioOptions, mut emit: impl FnMut(Value)) {
    let ids = Ids::new(opts.seed);
    let now = opts.now.as_second();
    let created = now - 7 * DAY;
    let namespaces: Vec<String> = (0..n.div_ceil(PER_NAMESPACE))
        .map(|i| format!("team-{:04}", i + 1))
        .collect();
    for ns in &namespaces {
        emit(kube::namespace(&ids, ns, created, &[]));
    }
    for ns in &namespaces {
        emit(kube::service_account(&ids, ns, "default", created));
    }

    // Kubelets run at most 110 pods; 100 per node leaves room.
    let mut nodes = Nodes::new(n.saturating_mul(PODS_PER_KUSTOMIZATION).div_ceil(100));
    let mut images = Images::new(ids);
    let template = json!({
        "containers": [{
            "name": "podinfo",
            "image": IMAGE,
            "ports": [{"containerPort": 9898, "name": "http", "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
            "imagePullPolicy": "IfNotPresent"
        }],
        "restartPolicy": "Always"
    });
    let factory = PodFactory::lean(&mut images, template);

    let mut pod_index = 0;
    for j in 0..n {
        // `namespaces` has ceil(n / 50) entries, so `j / 50` indexes it.
        let ns = namespaces[j / PER_NAMESPACE].as_str();
        let name = format!("app-{:05}", j + 1);
        let mut rng = ids.rng(&format!("{ns}/{name}"));
        let born = created + (j % 3600) as i64;
        let applied = Commit {
            branch: "main".into(),
            sha: ids::commit_sha(&mut rng),
            fetched: now - rng.random_range(3600..3 * DAY),
        };
        // One in a hundred fails the health checks of its source's newest commit, and so
        // still runs the commit before it.
        let failing = j % 100 == 99;
        let commit = if failing {
            Commit {
                sha: ids::commit_sha(&mut rng),
                fetched: now - rng.random_range(600..3000),
                ..applied.clone()
            }
        } else {
            applied.clone()
        };
        let source = json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "spec": {"interval": "5m", "url": format!("https://github.com/fluxdeck-scale/{name}"), "ref": {"branch": "main"}}
        });
        let meta = flux_meta(
            Meta::with_uid(ids::uid(&mut rng), Some(ns), &name, born),
            None,
        );
        emit(git_repository(&ids, &source, meta, &commit, born + 10));

        let mut spec = json!({
            "interval": "10m", "path": "./deploy", "prune": true, "wait": true, "timeout": "5m",
            "sourceRef": {"kind": "GitRepository", "name": name}
        });
        if j % 100 == 98 {
            set(&mut spec, &["suspend"], json!(true));
        }
        let first = applied.fetched + 5;
        let inventory = ["Service", "Deployment"]
            .iter()
            .map(|kind| InventoryRef {
                namespace: ns.to_string(),
                name: name.clone(),
                group: if *kind == "Deployment" { "apps" } else { "" }.to_string(),
                kind: kind.to_string(),
                version: "v1".to_string(),
            })
            .collect();
        let state = KustomizationState {
            current: Applied {
                revision: applied.revision(),
                first,
                last: first + (now - first).max(0) / INTERVAL * INTERVAL,
            },
            previous: vec![],
            interval_seconds: INTERVAL,
            ready_since: born + 15,
            inventory,
        };
        let manifest = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": spec});
        let meta = flux_meta(
            Meta::with_uid(ids::uid(&mut rng), Some(ns), &name, born),
            None,
        );
        let mut ks = kustomization(&ids, &manifest, meta, &state);
        if failing {
            fail_health_check(&mut ks, &commit);
        }
        emit(ks);

        let hash = ids::template_hash(&mut rng);
        for _ in 0..PODS_PER_KUSTOMIZATION {
            let pod_name = format!("{name}-{hash}-{}", ids::pod_suffix(&mut rng));
            let started = first + rng.random_range(2..20);
            let meta = Meta::with_uid(ids::uid(&mut rng), Some(ns), &pod_name, first + 1)
                .label("app", name.as_str())
                .label("pod-template-hash", hash.as_str());
            let plan = PodPlan {
                meta,
                placement: nodes.place(pod_index),
                started,
                ready: started + 2,
            };
            emit(factory.pod(&mut rng, plan));
            pod_index += 1;
        }
    }
}

/// Turns a healthy Kustomization into one whose attempt at `attempted` fails its health
/// checks: kustomize-controller keeps the last applied revision, records the attempt, sets
/// Ready=False and keeps retrying (Reconciling, `ProgressingWithRetry`).
fn fail_health_check(ks: &mut Value, attempted: &Commit) {
    let ns = ks["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = ks["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let revision = attempted.revision();
    let since = attempted.fetched + 5 + 300;
    let failed = format!(
        "health check failed after 5m0s: timeout waiting for: [Deployment/{ns}/{name} status: 'InProgress']"
    );
    let retrying = format!("Detecting drift for revision {revision} with a timeout of 5m0s");
    set(ks, &["status", "lastAttemptedRevision"], json!(revision));
    let conditions = json!([
        condition("Ready", "False", "HealthCheckFailed", &failed, since, 1),
        condition("Healthy", "False", "HealthCheckFailed", &failed, since, 1),
        condition(
            "Reconciling",
            "True",
            "ProgressingWithRetry",
            &retrying,
            since,
            1
        ),
    ]);
    set(ks, &["status", "conditions"], conditions);
}
