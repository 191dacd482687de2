//! The kubelet's node side: the nodes pods run on (the scenario's EKS nodes, round robin),
//! the images each has pulled, the pods it runs, and its first look at a pod (a running,
//! seeded one is adopted as it is).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::images::ImageFate;
use super::podstatus::{Ctr, PodRun, Step};
use super::sched::ObjKey;
use super::times;
use crate::sandbox::scenario::pods::{Nodes, Placement, normalize};

/// The nodes, what they have pulled, and the pods they run.
pub(super) struct Kubelet {
    nodes: Nodes,
    names: Vec<String>,
    next: usize,
    pub(super) present: HashSet<(String, String)>,
    pub(super) pods: HashMap<ObjKey, PodRun>,
    pub(super) rng: StdRng,
}

impl Kubelet {
    /// `count` nodes, named as the scenario names them.
    pub(super) fn new(count: usize) -> Kubelet {
        let mut scratch = Nodes::new(count);
        let names = (0..count.max(1)).map(|i| scratch.place(i).node).collect();
        Kubelet {
            nodes: Nodes::new(count),
            names,
            next: 0,
            present: HashSet::new(),
            pods: HashMap::new(),
            rng: StdRng::seed_from_u64(rand::random()),
        }
    }

    /// A node for a new pod (round robin) and the pod's IP on it.
    pub(super) fn place(&mut self) -> Placement {
        self.next += 1;
        self.nodes.place(self.next - 1)
    }

    /// The pod's IP on node `node` (a name the scheduler did not pick, kept as it is).
    pub(super) fn place_on(&mut self, node: &str) -> Placement {
        match self.names.iter().position(|n| n == node) {
            Some(i) => self.nodes.place(i),
            None => Placement {
                node: node.to_string(),
                ..self.place()
            },
        }
    }

    /// When pod `key` became Ready (all its containers), if it is.
    pub(super) fn ready_since(&self, key: &ObjKey) -> Option<Instant> {
        let run = self.pods.get(key)?;
        run.containers
            .iter()
            .map(|c| c.ready_since.filter(|_| c.is_ready()))
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
    }

    pub(super) fn container_id(&mut self) -> String {
        let bytes: [u8; 32] = self.rng.random();
        format!("containerd://{}", hex::encode(bytes))
    }
}

/// The kubelet's view of a pod it has not seen before: running pods (seeded ones) are
/// adopted as they are; others start from the beginning.
pub(super) fn first_look(pod: &Value, ready_default: Duration, kubelet: &mut Kubelet) -> PodRun {
    let uid = pod["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let node = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty());
    let statuses = pod["status"]["containerStatuses"].as_array();
    let containers: Vec<Ctr> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let image = c["image"].as_str().unwrap_or_default().to_string();
            let always = match c["imagePullPolicy"].as_str() {
                Some(p) => p == "Always",
                None => normalize(&image).1 == "latest",
            };
            let probe_delay = c["readinessProbe"]["initialDelaySeconds"]
                .as_u64()
                .map(Duration::from_secs)
                .unwrap_or(Duration::ZERO);
            Ctr::waiting(
                c["name"].as_str().unwrap_or_default().to_string(),
                image,
                always,
                ready_default,
                probe_delay,
            )
        })
        .collect();
    let mut run = PodRun {
        uid,
        adopted: false,
        schedule_at: None,
        placement: None,
        start_time: None,
        sandbox_at: None,
        sandbox_ready: false,
        containers,
        kill_at: None,
    };
    let status_of = |name: &str| statuses.and_then(|l| l.iter().find(|s| s["name"] == name));
    let all_running = !run.containers.is_empty()
        && run
            .containers
            .iter()
            .all(|c| status_of(&c.name).is_some_and(|s| s["state"]["running"].is_object()));
    if let (Some(node), true) = (node, all_running) {
        run.adopted = true;
        run.sandbox_ready = true;
        run.start_time = pod["status"]["startTime"].as_str().map(str::to_string);
        run.placement = Some(Placement {
            node: node.to_string(),
            host_ip: pod["status"]["hostIP"].as_str().unwrap_or_default().into(),
            pod_ip: pod["status"]["podIP"].as_str().unwrap_or_default().into(),
        });
        let now = Instant::now();
        for c in &mut run.containers {
            let Some(s) = status_of(&c.name) else {
                continue;
            };
            let ready = s["ready"] == true;
            let ready_since = times::ready_time(pod).unwrap_or(now);
            c.step = Step::Running {
                since: s["state"]["running"]["startedAt"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                ready_at: None,
                ready,
                exit: None,
            };
            c.ready_since = ready.then_some(ready_since);
            c.id = s["containerID"].as_str().map(str::to_string);
            c.restarts = s["restartCount"].as_u64().unwrap_or(0) as u32;
            kubelet.present.insert((node.to_string(), c.image.clone()));
        }
    }
    run
}

/// `(image, imageID)` as containerd reports a pulled image.
pub(super) fn resolved(image: &str, fate: &ImageFate) -> (String, String) {
    let (repository, tag) = normalize(image);
    let digest = match fate {
        ImageFate::Runs { digest, .. } | ImageFate::Crashes { digest, .. } => digest.clone(),
        ImageFate::Unpullable { .. } => super::images::derived(image).0,
    };
    (
        format!("{repository}:{tag}"),
        format!("{repository}@{digest}"),
    )
}
