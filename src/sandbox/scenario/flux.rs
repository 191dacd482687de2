//! GitRepositories and Kustomizations as source-controller and kustomize-controller leave
//! them after successful reconciliations: artifact, revisions, conditions, inventory, history.

use rand::Rng;
use serde_json::{Value, json};

use super::ids::{self, Ids};
use super::kube::{Meta, condition, object, set};
use crate::sandbox::crds::FluxVersion;

/// The finalizer every Flux controller adds to the objects it reconciles.
pub(super) const FINALIZER: &str = "finalizers.fluxcd.io";

/// A commit a git source fetched.
#[derive(Debug, Clone)]
pub(super) struct Commit {
    pub branch: String,
    pub sha: String,
    /// When source-controller stored the artifact.
    pub fetched: i64,
}

impl Commit {
    /// The artifact revision (`main@sha1:<sha>`), as `Commit.String()` prints a branch commit.
    pub(super) fn revision(&self) -> String {
        format!("{}@sha1:{}", self.branch, self.sha)
    }
}

/// Metadata of a Flux object: generation 1, the Flux finalizer, and the reconcile request
/// annotation when one was handled.
pub(super) fn flux_meta(mut meta: Meta, requested_at: Option<&str>) -> Meta {
    meta.generation = Some(1);
    meta.finalizers.push(FINALIZER);
    if let Some(at) = requested_at {
        meta.annotations
            .insert("reconcile.fluxcd.io/requestedAt".into(), json!(at));
    }
    meta
}

/// A GitRepository (`spec` from `manifest`) whose latest fetch stored `commit`.
pub(super) fn git_repository(
    ids: &Ids,
    manifest: &Value,
    meta: Meta,
    commit: &Commit,
    ready_since: i64,
) -> Value {
    let ns = meta.namespace.clone().unwrap_or_default();
    let name = meta.name.clone();
    let handled = meta
        .annotations
        .get("reconcile.fluxcd.io/requestedAt")
        .cloned();
    let mut spec = manifest["spec"].clone();
    if let Some(s) = spec.as_object_mut() {
        s.entry("timeout").or_insert(json!("60s"));
    }
    let revision = commit.revision();
    let mut rng = ids.rng(&format!("artifact/{ns}/{name}/{revision}"));
    let path = format!("gitrepository/{ns}/{name}/{}.tar.gz", commit.sha);
    let stored = format!("stored artifact for revision '{revision}'");
    let mut status = json!({
        "observedGeneration": 1,
        "conditions": [
            condition("Ready", "True", "Succeeded", &stored, ready_since, 1),
            condition("ArtifactInStorage", "True", "Succeeded", &stored, ready_since, 1),
        ],
        "artifact": {
            "digest": ids::sha256_digest(&mut rng),
            "lastUpdateTime": ids::rfc3339(commit.fetched),
            "path": path,
            "revision": revision,
            "size": rng.random_range(20_000..400_000),
            "url": format!("http://source-controller.flux-system.svc.cluster.local./{path}"),
        },
    });
    if let Some(at) = handled {
        set(&mut status, &["lastHandledReconcileAt"], at);
    }
    object(
        manifest["apiVersion"]
            .as_str()
            .unwrap_or("source.toolkit.fluxcd.io/v1"),
        "GitRepository",
        meta,
        vec![("spec", spec), ("status", status)],
    )
}

/// Seconds of a Flux interval (`1m0s`, `5m`, `10m0s`, `1h30m`, `500ms` rounds down to 0);
/// 0 when it does not parse.
pub(super) fn interval_seconds(text: &str) -> i64 {
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return 0,
        };
        let Ok(n) = number.parse::<f64>() else {
            return 0;
        };
        total += n * unit;
        number.clear();
    }
    if number.is_empty() { total as i64 } else { 0 }
}

/// One revision a Kustomization applied, and over which period it kept re-applying it.
#[derive(Debug, Clone)]
pub(super) struct Applied {
    pub revision: String,
    pub first: i64,
    pub last: i64,
}

/// The state a Kustomization reached: what it applies now, what it applied before (newest
/// first), its interval, and the inventory of the current revision.
#[derive(Debug, Clone)]
pub(super) struct KustomizationState {
    pub current: Applied,
    pub previous: Vec<Applied>,
    pub interval_seconds: i64,
    pub ready_since: i64,
    pub inventory: Vec<InventoryRef>,
}

/// A Kustomization (`spec` from `manifest`) that applied `state.current` successfully.
pub(super) fn kustomization(
    ids: &Ids,
    manifest: &Value,
    meta: Meta,
    state: &KustomizationState,
) -> Value {
    let handled = meta
        .annotations
        .get("reconcile.fluxcd.io/requestedAt")
        .cloned();
    let key = format!("{}/{}", meta.namespace.as_deref().unwrap_or(""), meta.name);
    let mut spec = manifest["spec"].clone();
    if let Some(s) = spec.as_object_mut() {
        s.entry("force").or_insert(json!(false));
    }
    let revision = &state.current.revision;
    let applied = format!("Applied revision: {revision}");
    let history: Vec<Value> = std::iter::once(&state.current)
        .chain(&state.previous)
        .take(5)
        .map(|a| {
            let mut rng = ids.rng(&format!("history/{key}/{}", a.revision));
            let runs = 1 + (a.last - a.first).max(0) / state.interval_seconds.max(1);
            json!({
                "digest": ids::sha256_digest(&mut rng),
                "firstReconciled": ids::rfc3339(a.first),
                "lastReconciled": ids::rfc3339(a.last),
                "lastReconciledDuration": ids::go_duration(rng.random_range(300..2500)),
                "lastReconciledStatus": "ReconciliationSucceeded",
                "metadata": {"revision": a.revision},
                "totalReconciliations": runs,
            })
        })
        .collect();
    let mut conditions = vec![condition(
        "Ready",
        "True",
        "ReconciliationSucceeded",
        &applied,
        state.ready_since,
        1,
    )];
    // With `wait` or health checks, kustomize-controller also reports health.
    let checks = spec["healthChecks"]
        .as_array()
        .is_some_and(|c| !c.is_empty());
    if spec["wait"] == true || checks {
        let took = ids::go_duration(ids.rng(&format!("healthy/{key}")).random_range(500..9000));
        let message = format!("Health check passed in {took}");
        conditions.push(condition(
            "Healthy",
            "True",
            "Succeeded",
            &message,
            state.ready_since,
            1,
        ));
    }
    let mut status = json!({
        "observedGeneration": 1,
        "conditions": conditions,
        "inventory": inventory(&state.inventory),
        "lastAppliedRevision": revision,
        "lastAttemptedRevision": revision,
        "history": history,
    });
    if let Some(at) = handled {
        set(&mut status, &["lastHandledReconcileAt"], at);
    }
    object(
        manifest["apiVersion"]
            .as_str()
            .unwrap_or("kustomize.toolkit.fluxcd.io/v1"),
        "Kustomization",
        meta,
        vec![("spec", spec), ("status", status)],
    )
}

/// An object a Kustomization applied: enough to name it in an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InventoryRef {
    pub namespace: String,
    pub name: String,
    pub group: String,
    pub kind: String,
    pub version: String,
}

impl InventoryRef {
    /// The reference for a manifest (`apiVersion`, `kind`, `metadata.name`/`namespace`);
    /// `namespace` applies when the manifest has none and the kind is namespaced.
    pub(super) fn of(manifest: &Value, namespace: &str) -> Self {
        let api_version = manifest["apiVersion"].as_str().unwrap_or_default();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind = manifest["kind"].as_str().unwrap_or_default().to_string();
        let cluster_scoped = matches!(
            kind.as_str(),
            "Namespace" | "CustomResourceDefinition" | "ClusterRole" | "ClusterRoleBinding"
        );
        let ns = match manifest["metadata"]["namespace"].as_str() {
            _ if cluster_scoped => "",
            Some(ns) => ns,
            None => namespace,
        };
        Self {
            namespace: ns.to_string(),
            name: manifest["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            group: group.to_string(),
            kind,
            version: version.to_string(),
        }
    }

    /// The inventory id: `<namespace>_<name>_<group>_<kind>`.
    pub(super) fn id(&self) -> String {
        format!(
            "{}_{}_{}_{}",
            self.namespace, self.name, self.group, self.kind
        )
    }
}

/// `status.inventory` in the order kustomize-controller applies objects: cluster-wide and
/// foundational kinds first (CRDs, Namespaces, RBAC, config), workloads next, custom
/// resources last; by kind, then id, within a rank.
pub(super) fn inventory(refs: &[InventoryRef]) -> Value {
    const ORDER: &[&str] = &[
        "CustomResourceDefinition",
        "Namespace",
        "ResourceQuota",
        "ServiceAccount",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Service",
        "Deployment",
        "NetworkPolicy",
    ];
    let rank = |r: &InventoryRef| {
        ORDER
            .iter()
            .position(|k| *k == r.kind)
            .unwrap_or(ORDER.len())
    };
    let mut sorted: Vec<&InventoryRef> = refs.iter().collect();
    sorted.sort_by_key(|r| (rank(r), r.kind.clone(), r.id()));
    sorted.dedup();
    let entries: Vec<Value> = sorted
        .into_iter()
        .map(|r| json!({"id": r.id(), "v": r.version}))
        .collect();
    json!({"entries": entries})
}

/// `apiVersion` of the image kinds the Flux release serves as storage version.
pub(super) fn image_api_version(flux: FluxVersion) -> &'static str {
    match flux {
        FluxVersion::Current => "image.toolkit.fluxcd.io/v1",
        FluxVersion::V2_6 => "image.toolkit.fluxcd.io/v1beta2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_ids_leave_core_group_and_cluster_scope_empty() {
        let ns =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sock-shop"}});
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "carts"}});
        let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                        "metadata": {"name": "apps", "namespace": "flux-system"}});
        assert_eq!(InventoryRef::of(&ns, "x").id(), "_sock-shop__Namespace");
        assert_eq!(
            InventoryRef::of(&svc, "sock-shop").id(),
            "sock-shop_carts__Service"
        );
        assert_eq!(
            InventoryRef::of(&ks, "x").id(),
            "flux-system_apps_kustomize.toolkit.fluxcd.io_Kustomization"
        );
        let inv = inventory(&[
            InventoryRef::of(&ks, "x"),
            InventoryRef::of(&svc, "sock-shop"),
            InventoryRef::of(&ns, "x"),
        ]);
        let ids: Vec<&str> = inv["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "_sock-shop__Namespace",
                "sock-shop_carts__Service",
                "flux-system_apps_kustomize.toolkit.fluxcd.io_Kustomization"
            ]
        );
        assert_eq!(inv["entries"][0]["v"], "v1");
    }

    #[test]
    fn intervals_parse_as_go_durations() {
        assert_eq!(interval_seconds("1m0s"), 60);
        assert_eq!(interval_seconds("5m"), 300);
        assert_eq!(interval_seconds("1h30m"), 5400);
        assert_eq!(interval_seconds("1.5s"), 1);
        assert_eq!(interval_seconds("soon"), 0);
        assert_eq!(interval_seconds("10"), 0);
    }

    #[test]
    fn history_counts_runs_per_interval_newest_first() {
        let ids = Ids::new(1);
        let manifest =
            json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "spec": {"interval": "5m"}});
        let state = KustomizationState {
            current: Applied {
                revision: "main@sha1:b".into(),
                first: 1000,
                last: 1000 + 3 * 300,
            },
            previous: vec![Applied {
                revision: "main@sha1:a".into(),
                first: 0,
                last: 900,
            }],
            interval_seconds: 300,
            ready_since: 0,
            inventory: vec![],
        };
        let ks = kustomization(
            &ids,
            &manifest,
            flux_meta(Meta::new(&ids, "Kustomization", Some("ns"), "k", 0), None),
            &state,
        );
        assert_eq!(ks["status"]["history"][0]["totalReconciliations"], 4);
        assert_eq!(
            ks["status"]["history"][1]["metadata"]["revision"],
            "main@sha1:a"
        );
        assert_eq!(
            ks["status"]["conditions"][0]["message"],
            "Applied revision: main@sha1:b"
        );
        assert_eq!(ks["status"]["inventory"], json!({"entries": []}));
    }
}
