//! Objects as kustomize tracks them: their identity (group, version, kind, name, namespace),
//! the identities they had before a transformer renamed them, and how a file's bytes become
//! objects (kustomize's resource factory).

use std::fmt;

use serde_json::{Map, Value};

/// The namespace kustomize gives cluster-scoped objects when comparing identities.
const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

/// The (apiVersion, kind) pairs kustomize's built-in OpenAPI data knows as cluster-scoped
/// (kyaml `precomputedIsNamespaceScoped`, Kubernetes 1.21.2). Anything else, custom resources
/// included, counts as namespaced, as in kustomize.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

/// A scalar's text as kustomize reads it (numbers and booleans as written by serde).
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A group, version and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    /// Splits an apiVersion (`apps/v1`, `v1`) as kustomize does.
    pub fn new(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        Gvk {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        }
    }

    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether kustomize knows the kind as cluster-scoped.
    pub fn is_cluster_scoped(&self) -> bool {
        let api = self.api_version();
        CLUSTER_SCOPED
            .iter()
            .any(|(a, k)| *a == api && *k == self.kind)
    }
}

impl fmt::Display for Gvk {
    /// kustomize's `Gvk.String()`: `Deployment.v1.apps`, `[noGrp]` for the core group.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |s: &str, d: &'static str| {
            if s.is_empty() {
                d.to_string()
            } else {
                s.to_string()
            }
        };
        write!(
            f,
            "{}.{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]")
        )
    }
}

/// An object's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Id {
    pub gvk: Gvk,
    pub name: String,
    pub namespace: String,
}

impl Id {
    /// The namespace identities are compared by: cluster-scoped kinds have none, and an empty
    /// namespace is `default`.
    pub fn effective_ns(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            NOT_A_NAMESPACE
        } else if self.namespace.is_empty() || self.namespace == "default" {
            "default"
        } else {
            &self.namespace
        }
    }

    /// kustomize's `ResId.Equals`.
    pub fn equals(&self, o: &Id) -> bool {
        self.gvk == o.gvk && self.name == o.name && self.effective_ns() == o.effective_ns()
    }

    /// A key that is equal exactly when [`Id::equals`] holds.
    pub fn key(&self) -> (Gvk, String, String) {
        (
            self.gvk.clone(),
            self.name.clone(),
            self.effective_ns().to_string(),
        )
    }
}

impl fmt::Display for Id {
    /// kustomize's `ResId.String()`: `Deployment.v1.apps/name.[noNs]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "[noName]"
        } else {
            &self.name
        };
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(f, "{}/{}.{}", self.gvk, name, ns)
    }
}

/// An object being built.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Res {
    /// The object (always a JSON object).
    pub obj: Value,
    /// The identities it had before renames, oldest first.
    pub prev: Vec<Id>,
    /// The file it came from, relative to the top kustomization (for origin annotations).
    pub origin: Option<String>,
}

impl Res {
    /// A fresh object.
    pub fn new(obj: Value) -> Res {
        Res {
            obj,
            prev: Vec::new(),
            origin: None,
        }
    }

    fn str_at(&self, path: &[&str]) -> String {
        let mut v = &self.obj;
        for p in path {
            match v.get(p) {
                Some(x) => v = x,
                None => return String::new(),
            }
        }
        scalar(v).unwrap_or_default()
    }

    /// The group, version and kind.
    pub fn gvk(&self) -> Gvk {
        Gvk::new(&self.str_at(&["apiVersion"]), &self.str_at(&["kind"]))
    }

    /// `metadata.name`.
    pub fn name(&self) -> String {
        self.str_at(&["metadata", "name"])
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> String {
        self.str_at(&["metadata", "namespace"])
    }

    /// The current identity.
    pub fn cur_id(&self) -> Id {
        Id {
            gvk: self.gvk(),
            name: self.name(),
            namespace: self.namespace(),
        }
    }

    /// The original identity (the oldest previous one, else the current one).
    pub fn org_id(&self) -> Id {
        self.prev.first().cloned().unwrap_or_else(|| self.cur_id())
    }

    /// Every identity: previous ones, then the current one.
    pub fn all_ids(&self) -> Vec<Id> {
        let mut ids = self.prev.clone();
        ids.push(self.cur_id());
        ids
    }

    /// Remembers the current identity before a rename (kustomize's `StorePreviousId`, which
    /// keeps the effective namespace).
    pub fn store_previous_id(&mut self) {
        let cur = self.cur_id();
        let ns = cur.effective_ns().to_string();
        self.prev.push(Id {
            namespace: ns,
            ..cur
        });
    }

    /// The `metadata` map, created when missing.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        meta_map(&mut self.obj)
    }

    /// Sets `metadata.name`.
    pub fn set_name(&mut self, name: &str) {
        self.metadata_mut()
            .insert("name".into(), Value::String(name.into()));
    }

    /// Sets `metadata.namespace` (removes it when empty, as kyaml's `SetNamespace("")` does).
    pub fn set_namespace(&mut self, ns: &str) {
        let md = self.metadata_mut();
        if ns.is_empty() {
            md.remove("namespace");
        } else {
            md.insert("namespace".into(), Value::String(ns.into()));
        }
    }

    /// A string map under `metadata` (labels or annotations).
    pub fn meta_strings(&self, field: &str) -> Vec<(String, String)> {
        match self.obj.get("metadata").and_then(|m| m.get(field)) {
            Some(Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| scalar(v).map(|v| (k.clone(), v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the object was emptied (a `$patch: delete`).
    pub fn is_empty(&self) -> bool {
        match &self.obj {
            Value::Object(m) => m.is_empty(),
            Value::Null => true,
            _ => false,
        }
    }
}

/// The object's `metadata` map, replacing a non-map value.
pub(crate) fn meta_map(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let Value::Object(top) = obj else {
        unreachable!("made an object just above")
    };
    let md = top
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    match md {
        Value::Object(m) => m,
        _ => unreachable!("made an object just above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_print_and_compare_as_kustomize() {
        let d = Res::new(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "vote"}}),
        );
        assert_eq!(d.cur_id().to_string(), "Deployment.v1.apps/vote.[noNs]");
        let mut e = d.clone();
        e.set_namespace("default");
        assert!(d.cur_id().equals(&e.cur_id()));
        let ns = Res::new(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "namespace": "y"}}),
        );
        assert_eq!(ns.cur_id().effective_ns(), NOT_A_NAMESPACE);
        assert_eq!(ns.cur_id().to_string(), "Namespace.v1.[noGrp]/x.y");
        assert!(!Gvk::new("source.toolkit.fluxcd.io/v1", "GitRepository").is_cluster_scoped());
        assert!(Gvk::new("rbac.authorization.k8s.io/v1", "ClusterRole").is_cluster_scoped());
    }
}
