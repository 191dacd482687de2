//! The Flux installation in `flux-system`, as `flux bootstrap` with the image controllers
//! leaves it: the controllers' Deployments and Services, and the list of everything
//! `gotk-components.yaml` holds (for the `flux-system` Kustomization's inventory).

use serde_json::{Value, json};

use super::flux::InventoryRef;
use super::kube::set;
use crate::sandbox::crds::FluxVersion;

/// The Flux distribution version the sandbox plays (`app.kubernetes.io/version`).
pub(super) fn distribution(flux: FluxVersion) -> &'static str {
    match flux {
        FluxVersion::Current => "v2.9.0",
        FluxVersion::V2_6 => "v2.6.4",
    }
}

/// Controller name, image tag under the current Flux and under Flux 2.6.
const CONTROLLERS: [(&str, &str, &str); 6] = [
    ("source-controller", "v1.9.0", "v1.6.2"),
    ("kustomize-controller", "v1.9.0", "v1.6.1"),
    ("helm-controller", "v1.6.0", "v1.3.0"),
    ("notification-controller", "v1.9.0", "v1.6.0"),
    ("image-reflector-controller", "v1.2.0", "v0.35.2"),
    ("image-automation-controller", "v1.2.0", "v0.41.2"),
];

/// The controllers' names.
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    CONTROLLERS.iter().map(|(name, _, _)| *name)
}

/// Labels `flux install` puts on its objects (plus kustomize-controller's ownership labels,
/// as the `flux-system` Kustomization applies them).
fn labels(flux: FluxVersion, component: Option<&str>) -> Value {
    let mut labels = json!({
        "app.kubernetes.io/instance": "flux-system",
        "app.kubernetes.io/part-of": "flux",
        "app.kubernetes.io/version": distribution(flux),
        "kustomize.toolkit.fluxcd.io/name": "flux-system",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    });
    if let Some(component) = component {
        set(
            &mut labels,
            &["app.kubernetes.io/component"],
            json!(component),
        );
        set(&mut labels, &["control-plane"], json!("controller"));
    }
    labels
}

/// The controllers' Deployment manifests.
pub(super) fn deployments(flux: FluxVersion) -> Vec<Value> {
    CONTROLLERS
        .iter()
        .map(|(name, current, old)| {
            let tag = match flux {
                FluxVersion::Current => current,
                FluxVersion::V2_6 => old,
            };
            let mut args = vec![
                "--events-addr=http://notification-controller.flux-system.svc.cluster.local./".to_string(),
                "--watch-all-namespaces=true".into(),
                "--log-level=info".into(),
                "--log-encoding=json".into(),
                "--enable-leader-election".into(),
            ];
            let mut ports = vec![
                json!({"containerPort": 8080, "name": "http-prom"}),
                json!({"containerPort": 9440, "name": "healthz"}),
            ];
            match *name {
                "source-controller" => {
                    args.push("--storage-path=/data".into());
                    args.push(
                        "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.".into(),
                    );
                    ports.insert(0, json!({"containerPort": 9090, "name": "http"}));
                }
                "notification-controller" => {
                    // It is where events go, so it does not send events to itself.
                    args.retain(|a| !a.starts_with("--events-addr="));
                    ports.insert(0, json!({"containerPort": 9292, "name": "http-webhook"}));
                    ports.insert(0, json!({"containerPort": 9090, "name": "http"}));
                }
                // The reference repository patches this flag in (flux-system/kustomization.yaml);
                // Flux 2.7 removed it, so only the 2.6 controller still runs with it.
                "image-reflector-controller" if flux == FluxVersion::V2_6 => {
                    args.push("--aws-autologin-for-ecr".into());
                }
                _ => {}
            }
            json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": "flux-system", "labels": labels(flux, Some(name))},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {
                            "labels": {"app": name, "app.kubernetes.io/part-of": "flux", "app.kubernetes.io/component": name},
                            "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"}
                        },
                        "spec": {
                            "serviceAccountName": name,
                            "terminationGracePeriodSeconds": 10,
                            "securityContext": {"fsGroup": 1337},
                            "containers": [{
                                "name": "manager",
                                "image": format!("ghcr.io/fluxcd/{name}:{tag}"),
                                "imagePullPolicy": "IfNotPresent",
                                "args": args,
                                "env": [{"name": "RUNTIME_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}],
                                "ports": ports,
                                "livenessProbe": {"httpGet": {"path": "/healthz", "port": "healthz", "scheme": "HTTP"}},
                                "readinessProbe": {"httpGet": {"path": "/readyz", "port": "healthz", "scheme": "HTTP"}},
                                "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
                                "securityContext": {
                                    "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                                    "readOnlyRootFilesystem": true, "runAsNonRoot": true,
                                    "seccompProfile": {"type": "RuntimeDefault"}
                                }
                            }]
                        }
                    }
                }
            })
        })
        .collect()
}

/// The controllers' Service manifests (name, selected controller, target port name).
pub(super) fn services(flux: FluxVersion) -> Vec<Value> {
    [
        ("notification-controller", "notification-controller", "http"),
        ("source-controller", "source-controller", "http"),
        ("webhook-receiver", "notification-controller", "http-webhook"),
    ]
    .iter()
    .map(|(name, app, port)| {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "flux-system", "labels": labels(flux, Some(app))},
            "spec": {
                "type": "ClusterIP",
                "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": port}],
                "selector": {"app": app}
            }
        })
    })
    .collect()
}

/// Everything `gotk-components.yaml` holds, as inventory references.
pub(super) fn components(flux: FluxVersion) -> Vec<InventoryRef> {
    let r = |group: &str, version: &str, kind: &str, namespace: &str, name: &str| InventoryRef {
        namespace: namespace.to_string(),
        name: name.to_string(),
        group: group.to_string(),
        kind: kind.to_string(),
        version: version.to_string(),
    };
    let mut crds = vec![
        "alerts.notification.toolkit.fluxcd.io",
        "buckets.source.toolkit.fluxcd.io",
        "gitrepositories.source.toolkit.fluxcd.io",
        "helmcharts.source.toolkit.fluxcd.io",
        "helmreleases.helm.toolkit.fluxcd.io",
        "helmrepositories.source.toolkit.fluxcd.io",
        "imagepolicies.image.toolkit.fluxcd.io",
        "imagerepositories.image.toolkit.fluxcd.io",
        "imageupdateautomations.image.toolkit.fluxcd.io",
        "kustomizations.kustomize.toolkit.fluxcd.io",
        "ocirepositories.source.toolkit.fluxcd.io",
        "providers.notification.toolkit.fluxcd.io",
        "receivers.notification.toolkit.fluxcd.io",
    ];
    if flux == FluxVersion::Current {
        // ExternalArtifact arrived with Flux 2.7.
        crds.push("externalartifacts.source.toolkit.fluxcd.io");
    }
    let mut out: Vec<InventoryRef> = crds
        .into_iter()
        .map(|name| {
            r(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
                "",
                name,
            )
        })
        .collect();
    let ns = "flux-system";
    out.push(r("", "v1", "Namespace", "", ns));
    out.push(r(
        "",
        "v1",
        "ResourceQuota",
        ns,
        "critical-pods-flux-system",
    ));
    for name in [
        "crd-controller-flux-system",
        "flux-edit-flux-system",
        "flux-view-flux-system",
    ] {
        out.push(r(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "",
            name,
        ));
    }
    for name in [
        "cluster-reconciler-flux-system",
        "crd-controller-flux-system",
    ] {
        out.push(r(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "",
            name,
        ));
    }
    for name in names() {
        out.push(r("", "v1", "ServiceAccount", ns, name));
        out.push(r("apps", "v1", "Deployment", ns, name));
    }
    for name in [
        "notification-controller",
        "source-controller",
        "webhook-receiver",
    ] {
        out.push(r("", "v1", "Service", ns, name));
    }
    for name in ["allow-egress", "allow-scraping", "allow-webhooks"] {
        out.push(r("networking.k8s.io", "v1", "NetworkPolicy", ns, name));
    }
    out
}
