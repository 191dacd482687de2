//! Deployments as a cluster shows them once rolled out: the Deployment with its defaults and
//! status, its current ReplicaSet (owned by it) and its Running pods (owned by the
//! ReplicaSet), plus Services with their cluster IPs.

use rand::Rng;
use serde_json::{Map, Value, json};

use super::ids::{self, Ids};
use super::kube::{Event, Meta, controller_ref, event, object, set};
use super::pods::{
    Images, Nodes, PodFactory, PodPlan, default_pod_spec, default_port_protocols, parse_time,
    pod_events,
};

/// When a Deployment was created and when its current ReplicaSet rolled out.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rollout {
    pub created: i64,
    pub rolled: i64,
    /// `deployment.kubernetes.io/revision`: how many templates the Deployment has had.
    pub revision: u32,
}

/// A rolled-out Deployment with what it owns and the Events its pods left.
#[derive(Debug)]
pub(super) struct Workload {
    pub deployment: Value,
    pub replica_set: Value,
    pub pods: Vec<Value>,
    pub events: Vec<Value>,
}

/// Where pods go and what images resolve to, shared by every workload of a scenario.
pub(super) struct Placer<'a> {
    pub ids: Ids,
    pub nodes: &'a mut Nodes,
    pub images: &'a mut Images,
    /// Round-robin start for the next pod.
    pub next: usize,
}

impl<'a> Placer<'a> {
    /// Places pods on `nodes` round-robin from the first node.
    pub(super) fn new(ids: Ids, nodes: &'a mut Nodes, images: &'a mut Images) -> Self {
        Self {
            ids,
            nodes,
            images,
            next: 0,
        }
    }
}

/// Rolls out a Deployment manifest (`metadata.name`, `namespace`, `labels`, `spec`).
pub(super) fn roll_out(p: &mut Placer<'_>, manifest: &Value, r: Rollout) -> Workload {
    let ids = p.ids;
    let name = manifest["metadata"]["name"].as_str().unwrap_or_default();
    let ns = manifest["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let mut spec = manifest["spec"].clone();
    default_deployment_spec(&mut spec);
    let replicas = spec["replicas"].as_i64().unwrap_or(1);
    let template = spec["template"].clone();
    let hash = ids.template_hash(&template);
    let generation = i64::from(r.revision.max(1));

    let mut meta = Meta::new(&ids, "Deployment", Some(ns), name, r.created);
    meta.generation = Some(generation);
    meta.labels = object_map(&manifest["metadata"]["labels"]);
    meta.annotations = object_map(&manifest["metadata"]["annotations"]);
    meta.annotations.insert(
        "deployment.kubernetes.io/revision".into(),
        json!(r.revision.to_string()),
    );

    // The ReplicaSet and its pods carry the template's labels plus the hash.
    let rs_name = format!("{name}-{hash}");
    let mut pod_labels = object_map(&template["metadata"]["labels"]);
    pod_labels.insert("pod-template-hash".into(), json!(hash));
    let mut rs_meta = Meta::new(&ids, "ReplicaSet", Some(ns), &rs_name, r.rolled);
    rs_meta.generation = Some(1);
    rs_meta.labels = pod_labels.clone();
    for (key, value) in [
        (
            "deployment.kubernetes.io/desired-replicas",
            replicas.to_string(),
        ),
        (
            "deployment.kubernetes.io/max-replicas",
            replicas
                .saturating_add(replicas.saturating_add(3) / 4)
                .to_string(),
        ),
        ("deployment.kubernetes.io/revision", r.revision.to_string()),
    ] {
        rs_meta.annotations.insert(key.into(), json!(value));
    }
    rs_meta
        .owners
        .push(controller_ref("apps/v1", "Deployment", &meta));
    let pod_owner = controller_ref("apps/v1", "ReplicaSet", &rs_meta);
    let mut rs_template = template.clone();
    set(
        &mut rs_template,
        &["metadata", "labels"],
        Value::Object(pod_labels.clone()),
    );
    let mut selector = spec["selector"].clone();
    set(
        &mut selector,
        &["matchLabels", "pod-template-hash"],
        json!(hash),
    );
    let replica_set = object(
        "apps/v1",
        "ReplicaSet",
        rs_meta,
        vec![
            (
                "spec",
                json!({"replicas": replicas, "selector": selector, "template": rs_template}),
            ),
            (
                "status",
                json!({
                    "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
                    "availableReplicas": replicas, "observedGeneration": 1
                }),
            ),
        ],
    );

    let readiness_delay = template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["readinessProbe"]["initialDelaySeconds"].as_i64())
        .max()
        .unwrap_or(0);
    let factory = PodFactory::new(p.images, template["spec"].clone());
    let mut rng = ids.rng(&format!("pods/{ns}/{rs_name}"));
    let mut pods = Vec::new();
    let mut events = Vec::new();
    let mut all_ready = r.rolled;
    for _ in 0..replicas {
        let pod_name = format!("{rs_name}-{}", ids::pod_suffix(&mut rng));
        let created = r.rolled + rng.random_range(0..2);
        let started = created + rng.random_range(3..12);
        let mut meta = Meta::with_uid(ids::uid(&mut rng), Some(ns), &pod_name, created);
        meta.labels = pod_labels.clone();
        meta.annotations = object_map(&template["metadata"]["annotations"]);
        meta.owners.push(pod_owner.clone());
        let placement = p.nodes.place(p.next);
        p.next += 1;
        let ready = started + readiness_delay.max(1);
        all_ready = all_ready.max(ready);
        let plan = PodPlan {
            meta,
            placement,
            started,
            ready,
        };
        let running = factory.pod(&mut rng, plan);
        events.extend(pod_events(&ids, &running));
        pods.push(running);
    }

    // Available since the first rollout's pods were ready (after the same delay as this
    // one's); both conditions last changed when this rollout's pods became ready.
    let first_ready = ids::rfc3339(r.created + (all_ready - r.rolled));
    let ready = ids::rfc3339(all_ready);
    let status = json!({
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {
                "type": "Available", "status": "True",
                "lastUpdateTime": ready, "lastTransitionTime": first_ready,
                "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."
            },
            {
                "type": "Progressing", "status": "True",
                "lastUpdateTime": ready, "lastTransitionTime": ids::rfc3339(r.created),
                "reason": "NewReplicaSetAvailable",
                "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")
            }
        ]
    });
    let deployment = object(
        "apps/v1",
        "Deployment",
        meta,
        vec![("spec", spec), ("status", status)],
    );
    events.push(event(
        &ids,
        &deployment,
        Event::normal(
            "ScalingReplicaSet",
            format!("Scaled up replica set {rs_name} from 0 to {replicas}"),
            r.rolled,
            "deployment-controller",
        ),
    ));
    for pod in &pods {
        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
        let created = parse_time(&pod["metadata"]["creationTimestamp"]);
        let message = format!("Created pod: {name}");
        let e = Event::normal(
            "SuccessfulCreate",
            message,
            created,
            "replicaset-controller",
        );
        events.push(event(&ids, &replica_set, e));
    }
    Workload {
        deployment,
        replica_set,
        pods,
        events,
    }
}

/// Fills in what the API server defaults in a Deployment's spec: the pod template's spec
/// defaults, `replicas: 1`, `revisionHistoryLimit: 10`, `progressDeadlineSeconds: 600` and a
/// `RollingUpdate` strategy with 25% surge and 25% unavailable (the parts a partial
/// `RollingUpdate` strategy leaves out too). The sandbox's API server applies it to every
/// Deployment written through it, so live ones look like the scenario's.
pub(crate) fn default_deployment_spec(spec: &mut Value) {
    if let Some(pod_spec) = spec.pointer_mut("/template/spec") {
        default_pod_spec(pod_spec);
    }
    let replicas = spec["replicas"].as_i64().unwrap_or(1);
    let Some(s) = spec.as_object_mut() else {
        return;
    };
    s.insert("replicas".into(), json!(replicas));
    s.entry("revisionHistoryLimit").or_insert(json!(10));
    s.entry("progressDeadlineSeconds").or_insert(json!(600));
    let strategy = s.entry("strategy").or_insert(json!({
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}
    }));
    let Some(strategy) = strategy.as_object_mut() else {
        return;
    };
    let kind = strategy
        .entry("type")
        .or_insert(json!("RollingUpdate"))
        .clone();
    if kind == "RollingUpdate" {
        let rolling = strategy
            .entry("rollingUpdate")
            .or_insert(json!({"maxUnavailable": "25%", "maxSurge": "25%"}));
        if let Some(r) = rolling.as_object_mut() {
            r.entry("maxUnavailable").or_insert(json!("25%"));
            r.entry("maxSurge").or_insert(json!("25%"));
        }
    }
}

/// A Service from a manifest, with the cluster IP and the defaults the API server fills in.
pub(super) fn service(ids: &Ids, manifest: &Value, created: i64, cluster_ip: &str) -> Value {
    let name = manifest["metadata"]["name"].as_str().unwrap_or_default();
    let ns = manifest["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let mut meta = Meta::new(ids, "Service", Some(ns), name, created);
    meta.labels = object_map(&manifest["metadata"]["labels"]);
    meta.annotations = object_map(&manifest["metadata"]["annotations"]);
    let mut spec = manifest["spec"].clone();
    let node_port = spec["type"] == "NodePort";
    if let Some(s) = spec.as_object_mut() {
        default_port_protocols(s);
        s.insert("clusterIP".into(), json!(cluster_ip));
        s.insert("clusterIPs".into(), json!([cluster_ip]));
        s.entry("type").or_insert(json!("ClusterIP"));
        s.insert("sessionAffinity".into(), json!("None"));
        s.insert("ipFamilies".into(), json!(["IPv4"]));
        s.insert("ipFamilyPolicy".into(), json!("SingleStack"));
        s.insert("internalTrafficPolicy".into(), json!("Cluster"));
        if node_port {
            s.insert("externalTrafficPolicy".into(), json!("Cluster"));
        }
    }
    object(
        "v1",
        "Service",
        meta,
        vec![("spec", spec), ("status", json!({"loadBalancer": {}}))],
    )
}

/// A JSON object's fields (empty when the value is absent or not an object).
pub(super) fn object_map(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Value {
        json!({
            "metadata": {"name": "web", "namespace": "ns", "labels": {"name": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"name": "web"}},
                "template": {
                    "metadata": {"labels": {"name": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}
                }
            }
        })
    }

    #[test]
    fn a_rollout_links_deployment_replica_set_and_pods() {
        let ids = Ids::new(5);
        let mut nodes = Nodes::new(3);
        let mut images = Images::new(ids);
        let mut placer = Placer::new(ids, &mut nodes, &mut images);
        let w = roll_out(
            &mut placer,
            &manifest(),
            Rollout {
                created: 100,
                rolled: 200,
                revision: 3,
            },
        );
        let hash = w.replica_set["metadata"]["labels"]["pod-template-hash"]
            .as_str()
            .unwrap();
        assert_eq!(w.replica_set["metadata"]["name"], format!("web-{hash}"));
        assert_eq!(
            w.replica_set["metadata"]["ownerReferences"][0]["uid"],
            w.deployment["metadata"]["uid"]
        );
        assert_eq!(
            w.deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            "3"
        );
        assert_eq!(w.pods.len(), 2);
        for pod in &w.pods {
            assert_eq!(
                pod["metadata"]["ownerReferences"][0]["uid"],
                w.replica_set["metadata"]["uid"]
            );
            assert_eq!(pod["metadata"]["labels"]["name"], "web");
            assert_eq!(pod["metadata"]["labels"]["pod-template-hash"], hash);
            assert_eq!(
                pod["spec"]["containers"][0]["imagePullPolicy"],
                "IfNotPresent"
            );
            assert_eq!(
                pod["status"]["containerStatuses"][0]["image"],
                "docker.io/library/nginx:1.27"
            );
        }
        // Per pod: scheduled, pulling, pulled, created, started, and its ReplicaSet's
        // SuccessfulCreate; plus the Deployment's ScalingReplicaSet.
        assert_eq!(w.events.len(), 2 * 6 + 1);
    }

    #[test]
    fn services_get_cluster_ips_and_defaults() {
        let ids = Ids::new(5);
        let m = json!({"metadata": {"name": "web", "namespace": "ns"},
                       "spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": 8079, "nodePort": 30001}]}});
        let s = service(&ids, &m, 0, "10.100.3.4");
        assert_eq!(s["spec"]["clusterIP"], "10.100.3.4");
        assert_eq!(s["spec"]["ports"][0]["protocol"], "TCP");
        assert_eq!(s["spec"]["externalTrafficPolicy"], "Cluster");
    }
}
