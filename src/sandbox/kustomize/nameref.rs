//! Name references: after `namePrefix`/`nameSuffix` renamed objects, fields that name them
//! follow (kustomize's name reference transformer, a subset of its table).
//!
//! Covered: ConfigMaps and Secrets in pod specs (volumes, projected volumes, `env`
//! `valueFrom`, `envFrom`, `imagePullSecrets`) of Pods, PodTemplates, Deployments,
//! ReplicaSets, DaemonSets, StatefulSets, Jobs and CronJobs; `serviceAccountName`; PVC
//! volumes; ServiceAccount subjects and `roleRef` of (Cluster)RoleBindings; Services in
//! Ingress backends and StatefulSet `serviceName`; HPA `scaleTargetRef`. A reference follows
//! only when exactly one renamed object of that kind, in a namespace the referrer can see,
//! had that name. Not covered: the rest of kustomize's table (webhooks, APIService,
//! `rules[].resourceNames`, volume snapshot classes, …), and custom resources' fields
//! (kustomize does not know them either).

use std::collections::HashMap;

use serde_json::Value;

use super::resource::{Gvk, Id, Res, scalar};

/// Pod spec locations by kind.
const POD_SPECS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("PodTemplate", &["template", "spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

/// (referent kind, path inside a pod spec).
const IN_POD: &[(&str, &str)] = &[
    ("ConfigMap", "volumes/configMap/name"),
    ("ConfigMap", "volumes/projected/sources/configMap/name"),
    ("ConfigMap", "containers/env/valueFrom/configMapKeyRef/name"),
    (
        "ConfigMap",
        "initContainers/env/valueFrom/configMapKeyRef/name",
    ),
    ("ConfigMap", "containers/envFrom/configMapRef/name"),
    ("ConfigMap", "initContainers/envFrom/configMapRef/name"),
    ("Secret", "volumes/secret/secretName"),
    ("Secret", "volumes/projected/sources/secret/name"),
    ("Secret", "containers/env/valueFrom/secretKeyRef/name"),
    ("Secret", "initContainers/env/valueFrom/secretKeyRef/name"),
    ("Secret", "containers/envFrom/secretRef/name"),
    ("Secret", "initContainers/envFrom/secretRef/name"),
    ("Secret", "imagePullSecrets/name"),
    ("ServiceAccount", "serviceAccountName"),
    ("ServiceAccount", "serviceAccount"),
    (
        "PersistentVolumeClaim",
        "volumes/persistentVolumeClaim/claimName",
    ),
];

/// (referrer kind, referent kind, path from the object, kind field beside the name).
const OTHER: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "Ingress",
        "Service",
        "spec/rules/http/paths/backend/service/name",
        None,
    ),
    (
        "Ingress",
        "Service",
        "spec/defaultBackend/service/name",
        None,
    ),
    ("StatefulSet", "Service", "spec/serviceName", None),
    ("RoleBinding", "Role", "roleRef/name", Some("roleRef/kind")),
    (
        "RoleBinding",
        "ClusterRole",
        "roleRef/name",
        Some("roleRef/kind"),
    ),
    (
        "ClusterRoleBinding",
        "ClusterRole",
        "roleRef/name",
        Some("roleRef/kind"),
    ),
    (
        "HorizontalPodAutoscaler",
        "Deployment",
        "spec/scaleTargetRef/name",
        Some("spec/scaleTargetRef/kind"),
    ),
    (
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "spec/scaleTargetRef/name",
        Some("spec/scaleTargetRef/kind"),
    ),
    (
        "HorizontalPodAutoscaler",
        "ReplicaSet",
        "spec/scaleTargetRef/name",
        Some("spec/scaleTargetRef/kind"),
    ),
];

/// Renamed objects by (kind, old name): their new name and current identity.
type Table = HashMap<(String, String), Vec<(String, Id)>>;

fn renamed(list: &[Res]) -> Table {
    let mut table: Table = HashMap::new();
    for r in list {
        let cur = r.cur_id();
        for p in r.prev.iter().filter(|p| p.name != cur.name) {
            table
                .entry((cur.gvk.kind.clone(), p.name.clone()))
                .or_default()
                .push((cur.name.clone(), cur.clone()));
        }
    }
    table
}

/// The new name for a reference `value` to a `kind` from an object in namespace `from`.
fn resolve(table: &Table, kind: &str, value: &str, from: &Id) -> Option<String> {
    let found = table.get(&(kind.to_string(), value.to_string()))?;
    let mut names: Vec<&str> = found
        .iter()
        .filter(|(_, id)| {
            id.gvk.is_cluster_scoped()
                || from.gvk.is_cluster_scoped()
                || id.effective_ns() == from.effective_ns()
        })
        .map(|(new, _)| new.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

fn dig<'v>(v: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, p| v.get_mut(*p))
}

/// Calls `f` on every value at `path` (lists are walked element by element).
fn each(v: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut Value)) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| each(i, path, f)),
        Value::Object(m) => match path.split_first() {
            None => {}
            Some((first, rest)) => {
                if let Some(next) = m.get_mut(*first) {
                    if rest.is_empty() {
                        f(next);
                    } else {
                        each(next, rest, f);
                    }
                }
            }
        },
        _ => {}
    }
}

fn follow(v: &mut Value, table: &Table, kind: &str, from: &Id) {
    if let Some(new) = v.as_str().and_then(|s| resolve(table, kind, s, from)) {
        *v = Value::String(new);
    }
}

/// Updates references to renamed objects across `list`.
pub(crate) fn fix(list: &mut [Res]) {
    let table = renamed(list);
    if table.is_empty() {
        return;
    }
    for r in list.iter_mut() {
        let from = r.cur_id();
        let kind = from.gvk.kind.clone();
        let pod_at = POD_SPECS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, at)| *at);
        if let Some(pod) = pod_at.and_then(|at| dig(&mut r.obj, at)) {
            for (referent, path) in IN_POD {
                let path: Vec<&str> = path.split('/').collect();
                each(pod, &path, &mut |v| follow(v, &table, referent, &from));
            }
        }
        for (referrer, referent, path, kind_at) in OTHER {
            if *referrer != kind {
                continue;
            }
            if let Some(kind_at) = kind_at {
                let kp: Vec<&str> = kind_at.split('/').collect();
                let named = dig(&mut r.obj, &kp).and_then(|v| scalar(v));
                if named.as_deref() != Some(*referent) {
                    continue;
                }
            }
            let path: Vec<&str> = path.split('/').collect();
            each(&mut r.obj, &path, &mut |v| {
                follow(v, &table, referent, &from)
            });
        }
        let binding = kind == "RoleBinding" || kind == "ClusterRoleBinding";
        if let (true, Some(Value::Array(subjects))) = (binding, r.obj.get_mut("subjects")) {
            for s in subjects.iter_mut() {
                if s.get("kind").and_then(Value::as_str) != Some("ServiceAccount") {
                    continue;
                }
                // A subject names its ServiceAccount's namespace (or means the binding's).
                let ns = s.get("namespace").and_then(scalar).unwrap_or_default();
                let seen_from = Id {
                    namespace: if ns.is_empty() {
                        from.namespace.clone()
                    } else {
                        ns
                    },
                    gvk: Gvk::new("v1", "ServiceAccount"),
                    name: String::new(),
                };
                if let Some(name) = s.get_mut("name") {
                    follow(name, &table, "ServiceAccount", &seen_from);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn renamed_res(obj: Value, new: &str) -> Res {
        let mut r = Res::new(obj);
        r.store_previous_id();
        r.set_name(new);
        r
    }

    #[test]
    fn references_follow_renames_in_the_same_namespace_only() {
        let cm = renamed_res(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "a"}}),
            "p-cfg",
        );
        let sa = renamed_res(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "a"}}),
            "p-sa",
        );
        let dep = Res::new(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "a"},
            "spec": {"template": {"spec": {"serviceAccountName": "sa", "containers": [
                {"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}, {"configMapRef": {"name": "other"}}]}],
                "volumes": [{"name": "v", "configMap": {"name": "cfg"}}]}}}}),
        );
        let far = Res::new(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "b"},
            "spec": {"volumes": [{"name": "v", "configMap": {"name": "cfg"}}]}}),
        );
        let rb = Res::new(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "a"},
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "a"}]}),
        );
        let mut list = vec![cm, sa, dep, far, rb];
        fix(&mut list);
        let pod = &list[2].obj["spec"]["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], "p-sa");
        assert_eq!(
            pod["containers"][0]["envFrom"][0]["configMapRef"]["name"],
            "p-cfg"
        );
        assert_eq!(
            pod["containers"][0]["envFrom"][1]["configMapRef"]["name"],
            "other"
        );
        assert_eq!(pod["volumes"][0]["configMap"]["name"], "p-cfg");
        assert_eq!(
            list[3].obj["spec"]["volumes"][0]["configMap"]["name"],
            "cfg"
        );
        assert_eq!(list[4].obj["subjects"][0]["name"], "p-sa");
        assert_eq!(list[4].obj["roleRef"]["name"], "cluster-admin");
    }
}
