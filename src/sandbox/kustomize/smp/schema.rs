//! The part of the Kubernetes 1.21 OpenAPI schema (what kustomize v5 embeds) that decides how
//! strategic-merge patches merge lists: which lists are associative and by which keys.
//!
//! Objects of kinds this table does not know (custom resources above all) have no schema, so
//! every list in them is replaced by the patch's, exactly as kustomize does.

use super::super::resource::Gvk;

/// A typed place in an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum T {
    /// A built-in kind with only `metadata` modelled.
    Builtin,
    /// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController.
    Workload,
    WorkloadSpec,
    CronJob,
    CronJobSpec,
    JobTemplate,
    Pod,
    PodTemplate,
    PodTemplateSpec,
    PodSpec,
    Container,
    ObjectMeta,
    Service,
    ServiceSpec,
    ServiceAccount,
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    /// A map of a known type.
    Obj(T),
    /// An associative list merged by these keys (none: a list of scalars merged as a set),
    /// with its elements' type.
    Assoc(&'static [&'static str], Option<T>),
}

/// API groups whose kinds kustomize's built-in schema knows.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "certificates.k8s.io",
    "node.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "apiregistration.k8s.io",
];

/// The schema of an object, if kustomize has one.
pub(crate) fn root(gvk: &Gvk) -> Option<T> {
    let api = gvk.api_version();
    let t = match (api.as_str(), gvk.kind.as_str()) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => T::Workload,
        ("batch/v1", "Job") | ("v1", "ReplicationController") => T::Workload,
        ("batch/v1" | "batch/v1beta1", "CronJob") => T::CronJob,
        ("v1", "Pod") => T::Pod,
        ("v1", "PodTemplate") => T::PodTemplate,
        ("v1", "Service") => T::Service,
        ("v1", "ServiceAccount") => T::ServiceAccount,
        _ if BUILTIN_GROUPS.contains(&gvk.group.as_str()) && !gvk.version.is_empty() => T::Builtin,
        _ => return None,
    };
    Some(t)
}

const NAME: &[&str] = &["name"];

/// The schema of field `key` of a `t`.
pub(crate) fn field(t: T, key: &str) -> Option<Node> {
    use Node::{Assoc, Obj};
    let n = match (t, key) {
        (_, "metadata")
            if matches!(
                t,
                T::Builtin
                    | T::Workload
                    | T::CronJob
                    | T::JobTemplate
                    | T::Pod
                    | T::PodTemplate
                    | T::PodTemplateSpec
                    | T::Service
                    | T::ServiceAccount
            ) =>
        {
            Obj(T::ObjectMeta)
        }
        (T::Workload | T::JobTemplate, "spec") => Obj(T::WorkloadSpec),
        (T::WorkloadSpec, "template") | (T::PodTemplate, "template") => Obj(T::PodTemplateSpec),
        (T::CronJob, "spec") => Obj(T::CronJobSpec),
        (T::CronJobSpec, "jobTemplate") => Obj(T::JobTemplate),
        (T::Pod | T::PodTemplateSpec, "spec") => Obj(T::PodSpec),
        (T::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
            Assoc(NAME, Some(T::Container))
        }
        (T::PodSpec, "volumes" | "imagePullSecrets") => Assoc(NAME, None),
        (T::PodSpec, "hostAliases") => Assoc(&["ip"], None),
        (T::PodSpec, "topologySpreadConstraints") => {
            Assoc(&["topologyKey", "whenUnsatisfiable"], None)
        }
        (T::Container, "env") => Assoc(NAME, None),
        (T::Container, "ports") => Assoc(&["containerPort", "protocol"], None),
        (T::Container, "volumeMounts") => Assoc(&["mountPath"], None),
        (T::Container, "volumeDevices") => Assoc(&["devicePath"], None),
        (T::ObjectMeta, "finalizers") => Assoc(&[], None),
        (T::ObjectMeta, "ownerReferences") => Assoc(&["uid"], None),
        (T::Service, "spec") => Obj(T::ServiceSpec),
        (T::ServiceSpec, "ports") => Assoc(&["port", "protocol"], None),
        (T::ServiceAccount, "secrets") => Assoc(NAME, None),
        _ => return None,
    };
    Some(n)
}
