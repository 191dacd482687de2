//! The `sock-shop` scenario: the reference pipeline on an EKS cluster as `kubectl` would show
//! it, with Flux (and its image controllers) in `flux-system` and the Sock Shop in `sock-shop`.

use std::collections::HashSet;

use rand::Rng;
use serde_json::{Value, json};

use super::assets::{self, Manifests};
use super::flux_install;
use super::ids::Ids;
use super::images::front_end_tags;
use super::kube::{self, Meta, object, set};
use super::options::ScenarioOptions;
use super::pipeline::{Timeline, pipeline};
use super::pods::{Images, Nodes};
use super::workloads::{Placer, Rollout, roll_out, service};

/// Every object of the scenario, namespaces first.
pub(super) fn objects(opts: &ScenarioOptions) -> Vec<Value> {
    let ids = Ids::new(opts.seed);
    let flux = opts.flux;
    let m = assets::manifests(opts, flux);
    let tags = front_end_tags();
    let t = Timeline::new(opts.now.as_second(), tags.picks.len());

    let mut namespaces = Vec::new();
    let mut rest = Vec::new();
    let version = flux_install::distribution(flux);
    for (name, created, labels) in [
        ("default", t.cluster, vec![]),
        ("kube-node-lease", t.cluster, vec![]),
        ("kube-public", t.cluster, vec![]),
        ("kube-system", t.cluster, vec![]),
        (
            "flux-system",
            t.bootstrap,
            vec![
                ("app.kubernetes.io/instance", "flux-system"),
                ("app.kubernetes.io/part-of", "flux"),
                ("app.kubernetes.io/version", version),
                ("kustomize.toolkit.fluxcd.io/name", "flux-system"),
                ("kustomize.toolkit.fluxcd.io/namespace", "flux-system"),
            ],
        ),
        (
            "sock-shop",
            t.tenant,
            vec![
                ("kustomize.toolkit.fluxcd.io/name", "apps"),
                ("kustomize.toolkit.fluxcd.io/namespace", "flux-system"),
            ],
        ),
    ] {
        namespaces.push(kube::namespace(&ids, name, created, &labels));
        rest.push(kube::service_account(&ids, name, "default", created));
        rest.push(kube::root_ca_config_map(&ids, name, created));
    }

    let mut cluster_ips = ClusterIps::new(&ids);
    let kubernetes = json!({
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"ports": [{"name": "https", "port": 443, "targetPort": 443}]}
    });
    rest.push(service(&ids, &kubernetes, t.cluster, "10.100.0.1"));

    // flux-system: the bootstrap secret, the controllers and their services.
    let secret_meta = Meta::new(
        &ids,
        "Secret",
        Some("flux-system"),
        "flux-system",
        t.bootstrap,
    );
    rest.push(kube::secret(
        secret_meta,
        &[
            ("username", opts.git_username.as_str()),
            ("password", opts.git_password.as_str()),
        ],
    ));
    let mut nodes = Nodes::new(3);
    let mut images = Images::new(ids);
    let mut placer = Placer::new(ids, &mut nodes, &mut images);
    for name in flux_install::names() {
        let mut meta = Meta::new(
            &ids,
            "ServiceAccount",
            Some("flux-system"),
            name,
            t.bootstrap,
        );
        meta = meta.applied_by("flux-system", "flux-system");
        rest.push(object("v1", "ServiceAccount", meta, vec![]));
    }
    let rollout = Rollout {
        created: t.bootstrap,
        rolled: t.bootstrap,
        revision: 1,
    };
    for manifest in flux_install::deployments(flux) {
        push_workload(&mut rest, roll_out(&mut placer, &manifest, rollout));
    }
    for manifest in flux_install::services(flux) {
        rest.push(service(&ids, &manifest, t.bootstrap, &cluster_ips.next()));
    }

    // sock-shop: what the `apps` Kustomization applied besides the Flux objects.
    let applied = |kind: &str, name: &str| {
        Meta::new(&ids, kind, Some("sock-shop"), name, t.tenant).applied_by("apps", "flux-system")
    };
    rest.push(object(
        "v1",
        "ServiceAccount",
        applied("ServiceAccount", "sock-shop"),
        vec![],
    ));
    if let Some(s) = Manifests::find(&m.apps, "Secret", "microservices-basic-access-auth") {
        rest.push(object(
            "v1",
            "Secret",
            applied("Secret", "microservices-basic-access-auth"),
            vec![("type", s["type"].clone()), ("data", s["data"].clone())],
        ));
    }

    let story = pipeline(&ids, flux, &m, &t, &tags);
    rest.extend(story.objects);
    rest.extend(story.events);

    // The Sock Shop itself, as the `sock-shop` Kustomization applied complete-demo.yaml
    // through the development overlay (which points front-end at ECR).
    // What the automation's commit and kustomize-controller's build give the Deployment.
    let front_end = assets::released_front_end_image(tags.latest())
        .unwrap_or_else(|| format!("{}:{}", m.front_end_image, tags.latest()));
    let deployed = t.tenant + 50;
    let last_release = t.releases.last().map(|r| r.applied + 1).unwrap_or(deployed);
    for doc in &m.demo {
        let mut doc = doc.clone();
        for key in [
            "kustomize.toolkit.fluxcd.io/name",
            "kustomize.toolkit.fluxcd.io/namespace",
        ] {
            set(&mut doc, &["metadata", "labels", key], json!("sock-shop"));
        }
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match doc["kind"].as_str() {
            Some("Deployment") if name == "front-end" => {
                let first = doc
                    .pointer_mut("/spec/template/spec/containers/0")
                    .and_then(Value::as_object_mut);
                if let Some(container) = first {
                    container.insert("image".into(), json!(front_end));
                }
                // The initial template (`latest`), then one per build the automation rolled out.
                let builds = tags.tags.iter().filter(|t| t.as_str() != "latest").count();
                let revision = 1 + builds as u32;
                let r = Rollout {
                    created: deployed,
                    rolled: last_release,
                    revision,
                };
                push_workload(&mut rest, roll_out(&mut placer, &doc, r));
            }
            Some("Deployment") => {
                let r = Rollout {
                    created: deployed,
                    rolled: deployed,
                    revision: 1,
                };
                push_workload(&mut rest, roll_out(&mut placer, &doc, r));
            }
            Some("Service") => rest.push(service(&ids, &doc, deployed, &cluster_ips.next())),
            // The Namespace is already there (the `apps` Kustomization created it first).
            _ => {}
        }
    }
    namespaces.extend(rest);
    namespaces
}

fn push_workload(out: &mut Vec<Value>, w: super::workloads::Workload) {
    out.push(w.deployment);
    out.push(w.replica_set);
    out.extend(w.pods);
    out.extend(w.events);
}

/// Service cluster IPs from EKS's default range (10.100.0.0/16), distinct and seeded.
struct ClusterIps {
    rng: rand::rngs::StdRng,
    used: HashSet<(u8, u8)>,
}

impl ClusterIps {
    fn new(ids: &Ids) -> Self {
        // 10.100.0.1 is the `kubernetes` Service.
        Self {
            rng: ids.rng("cluster-ips"),
            used: HashSet::from([(0, 1)]),
        }
    }

    fn next(&mut self) -> String {
        // A few dozen Services in 65k addresses: a free one turns up at once; the bound
        // only guarantees termination.
        for _ in 0..10_000 {
            let ip = (
                self.rng.random_range(0..=255u8),
                self.rng.random_range(2..=254u8),
            );
            if self.used.insert(ip) {
                return format!("10.100.{}.{}", ip.0, ip.1);
            }
        }
        "10.100.255.255".to_string()
    }
}
