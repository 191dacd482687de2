//! Running pods as a kubelet reports them: the API server's defaults in the spec, a node and
//! IPs, and a status with conditions and container statuses; plus the nodes they run on and
//! the image references the container runtime reports.

use std::collections::HashMap;

use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::ids::{self, Ids};
use super::kube::{Event, Meta, event};

/// Where a pod runs: a node of the cluster and the pod's own IP.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    /// The node's name.
    pub node: String,
    /// The node's address (`status.hostIP`).
    pub host_ip: String,
    /// The pod's address (`status.podIP`).
    pub pod_ip: String,
}

/// The cluster's worker nodes (EKS names: `ip-10-0-1-10.us-west-2.compute.internal`) and the
/// pod IPs handed out so far, so no two pods share an IP.
#[derive(Debug)]
pub(crate) struct Nodes {
    hosts: Vec<(u8, u8, u8)>,
    used: Vec<u16>,
}

impl Nodes {
    /// `count` nodes (at least one), each on its own /24 of the VPC: the node's address
    /// below .20, its pods' from .20 up (at most 230 pods per node keep IPs unique).
    pub(crate) fn new(count: usize) -> Self {
        let hosts = (0..count.max(1))
            .map(|i| {
                (
                    (i / 250) as u8,
                    (i % 250 + 1) as u8,
                    2 + (i % 18 * 7 % 18) as u8,
                )
            })
            .collect::<Vec<_>>();
        let used = vec![0; hosts.len()];
        Self { hosts, used }
    }

    /// Places a pod on node `index` (modulo the node count) and gives it the node's next IP.
    pub(crate) fn place(&mut self, index: usize) -> Placement {
        let i = index % self.hosts.len();
        // `i` is reduced modulo the length of both vectors (they have the same length).
        let (a, b, host) = self.hosts[i];
        let n = self.used[i];
        self.used[i] = n.wrapping_add(1);
        // VPC CNI hands pod IPs out of the node's subnet; skip the node's own address.
        let last = 20 + (n % 230) as u8;
        let pod_b = b.wrapping_add(((n / 230) as u8).wrapping_mul(16));
        Placement {
            node: format!("ip-10-{a}-{b}-{host}.us-west-2.compute.internal"),
            host_ip: format!("10.{a}.{b}.{host}"),
            pod_ip: format!("10.{a}.{pod_b}.{last}"),
        }
    }
}

/// Image references as containerd reports them (`docker.io/library/mongo:latest` and
/// `docker.io/library/mongo@sha256:…`), with one digest per image for the whole scenario.
#[derive(Debug)]
pub(super) struct Images {
    ids: Ids,
    cache: HashMap<String, (String, String)>,
}

impl Images {
    /// An empty cache drawing digests from `ids`.
    pub(super) fn new(ids: Ids) -> Self {
        Self {
            ids,
            cache: HashMap::new(),
        }
    }

    /// `(image, imageID)` of a container status for the image a spec names.
    pub(super) fn resolve(&mut self, image: &str) -> (String, String) {
        if let Some(hit) = self.cache.get(image) {
            return hit.clone();
        }
        let (repository, tag) = normalize(image);
        let digest = ids::sha256_digest(&mut self.ids.rng(&format!("image/{repository}:{tag}")));
        let resolved = (
            format!("{repository}:{tag}"),
            format!("{repository}@{digest}"),
        );
        self.cache.insert(image.to_string(), resolved.clone());
        resolved
    }
}

/// Splits an image reference into a fully qualified repository and a tag, as the container
/// runtime does (`mongo` → `docker.io/library/mongo`, `latest`).
pub(crate) fn normalize(image: &str) -> (String, String) {
    let image = image.split('@').next().unwrap_or(image);
    let (name, tag) = match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    };
    let first = name.split('/').next().unwrap_or(name);
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let repository = if has_registry {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    (repository, tag.to_string())
}

/// Fills in what the API server defaults in a pod template's spec.
pub(crate) fn default_pod_spec(spec: &mut Value) {
    let Some(s) = spec.as_object_mut() else {
        return;
    };
    for container in s
        .get_mut("containers")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(c) = container.as_object_mut() else {
            continue;
        };
        let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
        let latest = normalize(image).1 == "latest";
        let policy = if latest { "Always" } else { "IfNotPresent" };
        c.entry("imagePullPolicy").or_insert(json!(policy));
        c.entry("resources").or_insert(json!({}));
        c.entry("terminationMessagePath")
            .or_insert(json!("/dev/termination-log"));
        c.entry("terminationMessagePolicy").or_insert(json!("File"));
        default_port_protocols(c);
    }
    s.entry("restartPolicy").or_insert(json!("Always"));
    s.entry("terminationGracePeriodSeconds")
        .or_insert(json!(30));
    s.entry("dnsPolicy").or_insert(json!("ClusterFirst"));
    s.entry("securityContext").or_insert(json!({}));
    s.entry("schedulerName")
        .or_insert(json!("default-scheduler"));
}

/// Defaults `protocol: TCP` on each of the object's `ports` (containers and Services alike).
pub(super) fn default_port_protocols(object: &mut Map<String, Value>) {
    let ports = object.get_mut("ports").and_then(Value::as_array_mut);
    for port in ports.into_iter().flatten().filter_map(Value::as_object_mut) {
        port.entry("protocol").or_insert(json!("TCP"));
    }
}

/// One pod of a [`PodFactory`]: identity, placement and timing.
#[derive(Debug)]
pub(super) struct PodPlan {
    pub meta: Meta,
    pub placement: Placement,
    /// When the containers started and when the pod became Ready.
    pub started: i64,
    pub ready: i64,
}

/// Running, Ready pods of one template. The factory builds one complete pod with empty
/// placeholders; each pod is a copy with its own identity, node, IPs and times filled in.
/// A copy allocates exactly once per node and re-hashes no key, which is most of the cost of
/// `scale:10000`'s 50k pods.
#[derive(Debug)]
pub(super) struct PodFactory {
    proto: Value,
}

impl PodFactory {
    /// A factory for pods of the (defaulted) template `spec`, with everything admission adds
    /// (service account, tolerations, priority, ...), as `kubectl get pod -o yaml` shows.
    pub(super) fn new(images: &mut Images, spec: Value) -> Self {
        Self::build(images, spec, true)
    }

    /// A factory for pods of `spec` as given, plus only the node and service account: for
    /// `scale:N`, whose 50k pods cost in proportion to their fields.
    pub(super) fn lean(images: &mut Images, spec: Value) -> Self {
        Self::build(images, spec, false)
    }

    fn build(images: &mut Images, mut spec: Value, admitted: bool) -> Self {
        let qos = qos_class(&spec);
        let statuses: Vec<Value> = spec["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let (image, image_id) = images.resolve(c["image"].as_str().unwrap_or_default());
                json!({
                    "containerID": "",
                    "image": image,
                    "imageID": image_id,
                    "lastState": {},
                    "name": c["name"],
                    "ready": true,
                    "restartCount": 0,
                    "started": true,
                    "state": {"running": {"startedAt": ""}},
                })
            })
            .collect();
        admit_pod_spec(&mut spec, Some(""), admitted);
        let conditions: Vec<Value> = CONDITIONS
            .iter()
            .map(|kind| json!({"lastProbeTime": null, "lastTransitionTime": "", "status": "True", "type": kind}))
            .collect();
        let status = json!({
            "phase": "Running",
            "conditions": conditions,
            "hostIP": "",
            "hostIPs": [{"ip": ""}],
            "podIP": "",
            "podIPs": [{"ip": ""}],
            "startTime": "",
            "containerStatuses": statuses,
            "qosClass": qos,
        });
        let proto = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": null, "spec": spec, "status": status
        });
        Self { proto }
    }

    /// One pod: a copy of the prototype with `plan` filled in.
    pub(super) fn pod(&self, rng: &mut StdRng, plan: PodPlan) -> Value {
        let PodPlan {
            meta,
            placement,
            started,
            ready,
        } = plan;
        let created = ids::rfc3339(meta.created);
        let started = ids::rfc3339(started);
        let ready = ids::rfc3339(ready);
        let mut pod = self.proto.clone();
        put(&mut pod, &["metadata"], meta.into_value());
        put(
            &mut pod,
            &["spec", "nodeName"],
            Value::String(placement.node),
        );
        let Some(status) = pod.get_mut("status") else {
            return pod; // the prototype always has a status: see `new`
        };
        // In `CONDITIONS` order.
        let times = [&started, &created, &ready, &ready, &created];
        let conditions = status.get_mut("conditions").and_then(Value::as_array_mut);
        for (condition, at) in conditions.into_iter().flatten().zip(times) {
            put(condition, &["lastTransitionTime"], json!(at));
        }
        put(status, &["hostIP"], json!(placement.host_ip));
        put(
            status,
            &["hostIPs", "0", "ip"],
            Value::String(placement.host_ip),
        );
        put(status, &["podIP"], json!(placement.pod_ip));
        put(
            status,
            &["podIPs", "0", "ip"],
            Value::String(placement.pod_ip),
        );
        put(status, &["startTime"], Value::String(created));
        let statuses = status
            .get_mut("containerStatuses")
            .and_then(Value::as_array_mut);
        for c in statuses.into_iter().flatten() {
            put(
                c,
                &["containerID"],
                json!(format!("containerd://{}", ids::hex(rng, 64))),
            );
            put(c, &["state", "running", "startedAt"], json!(started));
        }
        pod
    }
}

/// Fills in what admission adds to a pod's (defaulted) spec: the service account, and with
/// `full` the service links, priority and the default tolerations, as `kubectl get pod -o
/// yaml` shows them. `node` puts `nodeName` right after the service account (the scheduler
/// binds it later; the scenario fills in the placeholder).
pub(crate) fn admit_pod_spec(spec: &mut Value, node: Option<&str>, full: bool) {
    let Some(s) = spec.as_object_mut() else {
        return;
    };
    let sa = s
        .get("serviceAccountName")
        .cloned()
        .unwrap_or_else(|| json!("default"));
    s.insert("serviceAccountName".into(), sa.clone());
    if let Some(node) = node {
        s.insert("nodeName".into(), json!(node));
    }
    if full {
        s.insert("serviceAccount".into(), sa);
        s.insert("enableServiceLinks".into(), json!(true));
        s.insert("preemptionPolicy".into(), json!("PreemptLowerPriority"));
        s.insert("priority".into(), json!(0));
        s.insert("tolerations".into(), default_tolerations());
    }
}

/// The pod conditions a Running, Ready pod reports, in the kubelet's order.
const CONDITIONS: [&str; 5] = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
];

/// Replaces the value at `path` (object keys, or array indices as digits); a path to
/// nothing changes nothing. Unlike `Value::pointer_mut` it allocates nothing to find the slot.
fn put(v: &mut Value, path: &[&str], value: Value) {
    let mut at = v;
    for key in path {
        let next = match at {
            Value::Object(m) => m.get_mut(*key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        let Some(next) = next else {
            return;
        };
        at = next;
    }
    *at = value;
}

/// The Events a pod's start leaves: scheduled, then per container pulled, created, started.
pub(super) fn pod_events(ids: &Ids, pod: &Value) -> Vec<Value> {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
    let created = parse_time(&pod["metadata"]["creationTimestamp"]);
    let started = parse_time(&pod["status"]["startTime"]).max(created);
    let mut out = vec![event(
        ids,
        pod,
        Event::normal(
            "Scheduled",
            format!("Successfully assigned {ns}/{name} to {node}"),
            created,
            "default-scheduler",
        ),
    )];
    for (i, c) in pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let cname = c["name"].as_str().unwrap_or_default();
        let image = c["image"].as_str().unwrap_or_default();
        let pulled = started + 2 + i as i64;
        let millis = 1200 + (pulled.rem_euclid(97) * 53) as u64;
        let took = ids::go_duration(millis);
        let size = 40_000_000 + pulled.rem_euclid(7919) * 13_337;
        let steps = [
            ("Pulling", format!("Pulling image \"{image}\""), started + 1),
            (
                "Pulled",
                format!(
                    "Successfully pulled image \"{image}\" in {took} ({took} including waiting). Image size: {size} bytes."
                ),
                pulled,
            ),
            ("Created", format!("Created container: {cname}"), pulled),
            ("Started", format!("Started container {cname}"), pulled + 1),
        ];
        for (reason, message, at) in steps {
            let mut e = Event::normal(reason, message, at, "kubelet");
            e.host = Some(node);
            e.field_path = Some(format!("spec.containers{{{cname}}}"));
            out.push(event(ids, pod, e));
        }
    }
    out
}

/// Kubernetes' QoS class: no requests or limits is BestEffort, requests equal to limits for
/// every container is Guaranteed, anything else Burstable.
pub(crate) fn qos_class(spec: &Value) -> &'static str {
    let containers = spec["containers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let empty = |v: &Value| v.as_object().is_none_or(Map::is_empty);
    let none = containers
        .iter()
        .all(|c| empty(&c["resources"]["requests"]) && empty(&c["resources"]["limits"]));
    let guaranteed = containers.iter().all(|c| {
        let (requests, limits) = (&c["resources"]["requests"], &c["resources"]["limits"]);
        limits.get("cpu").is_some()
            && limits.get("memory").is_some()
            && (requests.is_null() || requests == limits)
    });
    if none {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn default_tolerations() -> Value {
    json!([
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
    ])
}

/// Seconds since the epoch of an RFC 3339 field (0 when absent or malformed).
pub(crate) fn parse_time(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(jiff::Timestamp::as_second)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
