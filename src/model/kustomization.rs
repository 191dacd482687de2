//! A Flux Kustomization (`kustomize.toolkit.fluxcd.io/v1`), reduced to what the panes show.

use compact_str::CompactString;
use jiff::Timestamp;
use serde_json::Value;

use super::conditions::FluxStatus;
use super::json::{array_at, compact, str_at, string_at};
use super::key::{Kind, ObjectKey};
use super::meta::{Meta, ModelError, object_ref};

/// A Kustomization as fluxdeck shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Kustomization {
    /// Namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Ready, suspension, generations, reconcile tokens.
    pub status: FluxStatus,
    /// `spec.sourceRef`, resolved to a key (namespace defaults to the Kustomization's).
    pub source: Option<ObjectKey>,
    /// `spec.path`.
    #[serde(with = "crate::model::compact::option")]
    pub path: Option<CompactString>,
    /// `spec.interval`.
    #[serde(with = "crate::model::compact::option")]
    pub interval: Option<CompactString>,
    /// `spec.dependsOn`, resolved to keys.
    pub depends_on: Vec<ObjectKey>,
    /// `status.lastAppliedRevision`: what the cluster runs.
    pub last_applied_revision: Option<String>,
    /// `status.lastAttemptedRevision` when it differs from `last_applied_revision` (what
    /// Flux last tried and failed to apply); `None` when the two are the same, so a healthy
    /// row holds its revision once (see [`attempted_if_different`]).
    pub last_attempted_revision: Option<String>,
    /// The workloads (Deployments, StatefulSets, DaemonSets) in `status.inventory`, whose
    /// pods the release lanes and the pods pane follow.
    pub workloads: Vec<Workload>,
}

/// A workload a Kustomization applied, read from an inventory entry id
/// (`<namespace>_<name>_<group>_<kind>`, as kustomize-controller's `ObjMetadata` writes it).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Workload {
    /// Its namespace (empty for a cluster-scoped object, which no workload is).
    #[serde(with = "crate::model::compact")]
    pub namespace: CompactString,
    /// Its name.
    #[serde(with = "crate::model::compact")]
    pub name: CompactString,
    /// `Deployment`, `StatefulSet` or `DaemonSet`.
    #[serde(with = "crate::model::compact")]
    pub kind: CompactString,
}

impl Workload {
    /// The workload an inventory entry id names, when it names one of group `apps`.
    pub fn from_inventory_id(id: &str) -> Option<Workload> {
        let mut parts = id.split('_');
        let (namespace, name, group, kind) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        (parts.next().is_none()
            && group == "apps"
            && !name.is_empty()
            && matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet"))
        .then(|| Workload {
            namespace: namespace.into(),
            name: name.into(),
            kind: kind.into(),
        })
    }
}

/// The workloads among inventory entry ids, sorted.
pub fn workloads<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<Workload> {
    let mut out: Vec<Workload> = ids.filter_map(Workload::from_inventory_id).collect();
    out.sort();
    out.dedup();
    out
}

impl Kustomization {
    /// Reads a Kustomization of any served version; only `metadata.name` is required.
    pub fn parse(object: &Value) -> Result<Kustomization, ModelError> {
        let meta = Meta::parse(Kind::Kustomization, object)?;
        let namespace = meta.key.namespace.to_string();
        let depends_on = array_at(object, &["spec", "dependsOn"])
            .iter()
            .filter_map(|dep| {
                let name = string_at(dep, &["name"])?;
                let ns = string_at(dep, &["namespace"]).unwrap_or_else(|| namespace.clone());
                Some(ObjectKey::new(Kind::Kustomization, ns, name))
            })
            .collect();
        let last_applied_revision = string_at(object, &["status", "lastAppliedRevision"]);
        let workloads = workloads(
            array_at(object, &["status", "inventory", "entries"])
                .iter()
                .filter_map(|e| str_at(e, &["id"])),
        );
        Ok(Kustomization {
            workloads,
            source: object_ref(object, &["spec", "sourceRef"], None, &namespace),
            path: str_at(object, &["spec", "path"]).and_then(compact),
            interval: str_at(object, &["spec", "interval"]).and_then(compact),
            depends_on,
            last_attempted_revision: attempted_if_different(
                string_at(object, &["status", "lastAttemptedRevision"]),
                &last_applied_revision,
            ),
            last_applied_revision,
            status: FluxStatus::parse(object),
            key: meta.key,
            created: meta.created,
        })
    }
}

/// `attempted` unless it equals `applied`: the model keeps lastAttemptedRevision only when
/// it says something lastAppliedRevision does not (a failed attempt).
pub fn attempted_if_different(
    attempted: Option<String>,
    applied: &Option<String>,
) -> Option<String> {
    attempted.filter(|a| Some(a) != applied.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conditions::Readiness;
    use crate::model::testdata;

    #[test]
    fn reads_a_healthy_v1_kustomization() {
        let ks = Kustomization::parse(&testdata::json("kustomization-sock-shop.json")).unwrap();
        assert_eq!(
            ks.key,
            ObjectKey::new(Kind::Kustomization, "sock-shop", "sock-shop")
        );
        assert_eq!(
            ks.source,
            Some(ObjectKey::new(
                Kind::GitRepository,
                "sock-shop",
                "sock-shop-tenant"
            ))
        );
        assert_eq!(
            ks.last_applied_revision.as_deref(),
            Some("main@sha1:9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f")
        );
        // lastAttemptedRevision equals it: held once.
        assert_eq!(ks.last_attempted_revision, None);
        assert_eq!(ks.status.readiness(), Readiness::Ready);
        assert!(!ks.status.suspended);
        assert_eq!(
            ks.path.as_deref(),
            Some("./deploy/kubernetes/overlays/development")
        );
    }

    #[test]
    fn reads_the_workloads_of_the_inventory() {
        let ks = Kustomization::parse(&serde_json::json!({
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "status": {"inventory": {"entries": [
                {"id": "sock-shop_front-end_apps_Deployment", "v": "v1"},
                {"id": "sock-shop_front-end__Service", "v": "v1"},
                {"id": "sock-shop_carts-db_apps_StatefulSet", "v": "v1"},
                {"id": "_sock-shop__Namespace", "v": "v1"},
                {"id": "broken", "v": "v1"}
            ]}}
        }))
        .unwrap();
        let names: Vec<_> = ks
            .workloads
            .iter()
            .map(|w| format!("{}/{}/{}", w.namespace, w.kind, w.name))
            .collect();
        assert_eq!(
            names,
            [
                "sock-shop/StatefulSet/carts-db",
                "sock-shop/Deployment/front-end"
            ]
        );
    }

    #[test]
    fn reads_depends_on_in_the_same_namespace() {
        let ks = Kustomization::parse(&testdata::json("kustomization-apps.json")).unwrap();
        assert_eq!(
            ks.depends_on,
            vec![ObjectKey::new(
                Kind::Kustomization,
                "flux-system",
                "infrastructure"
            )]
        );
    }

    #[test]
    fn reads_a_failing_kustomization() {
        let ks =
            Kustomization::parse(&testdata::json("kustomization-sock-shop-failing.json")).unwrap();
        assert_eq!(ks.status.readiness(), Readiness::Failed);
        assert!(ks.status.message().starts_with("kustomize build failed"));
        assert!(ks.last_attempted_revision.is_some());
        assert_ne!(ks.last_applied_revision, ks.last_attempted_revision);
    }

    #[test]
    fn reads_a_suspended_kustomization() {
        let ks = Kustomization::parse(&testdata::json("kustomization-sock-shop-suspended.json"))
            .unwrap();
        assert!(ks.status.suspended);
    }

    #[test]
    fn tolerates_missing_status_and_wrong_types() {
        let ks = Kustomization::parse(&serde_json::json!({
            "metadata": {"name": "x", "namespace": "n", "creationTimestamp": 5},
            "spec": {"sourceRef": "flux-system", "dependsOn": {"name": "a"}, "suspend": "yes",
                      "path": ["p"]},
            "status": {"lastAppliedRevision": 7}
        }))
        .unwrap();
        assert_eq!(ks.source, None);
        assert!(ks.depends_on.is_empty());
        assert!(!ks.status.suspended);
        assert_eq!(ks.path, None);
        assert_eq!(ks.last_applied_revision, None);
        assert_eq!(ks.created, None);
    }
}
