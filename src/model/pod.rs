//! Pods of the application namespace, with the columns `kubectl get pods` prints.
//!
//! The STATUS column follows kubectl's printer (`printPod` in kubernetes'
//! `pkg/printers/internalversion/printers.go`): the pod phase or reason, replaced by the
//! first failing init container, then by the last container that waits or terminated.

use jiff::Timestamp;
use serde_json::Value;

use super::json::{array_at, at, bool_at, i64_at, str_at, string_at};
use super::key::Kind;
use super::key::ObjectKey;
use super::meta::{Meta, ModelError};

/// A pod as `kubectl get pods` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pod {
    /// Namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Ready containers (the first number of READY).
    pub ready: u32,
    /// Containers, counting sidecars (restartable init containers).
    pub total: u32,
    /// The STATUS column: `Running`, `Pending`, `ContainerCreating`, `CrashLoopBackOff`,
    /// `Init:0/1`, `Completed`, `Terminating`...
    pub status: String,
    /// Restarts summed over the containers kubectl counts.
    pub restarts: i64,
    /// The images of `spec.containers`, in order.
    pub images: Vec<String>,
    /// The workload that owns it, `Kind/name` (`Deployment/front-end`): a ReplicaSet
    /// owner's name less its `pod-template-hash` suffix, or a StatefulSet or DaemonSet owner.
    pub workload: Option<String>,
    /// When its Ready condition last turned True (`None` while not Ready).
    pub ready_since: Option<Timestamp>,
    /// The names of `spec.containers`, in order (the log view's choice).
    #[serde(default)]
    pub containers: Vec<String>,
    /// The names of `spec.initContainers`, in order.
    #[serde(default)]
    pub init_containers: Vec<String>,
}

impl Pod {
    /// Reads a core `v1` Pod.
    pub fn parse(object: &Value) -> Result<Pod, ModelError> {
        let meta = Meta::parse(Kind::Pod, object)?;
        let containers = array_at(object, &["spec", "containers"]);
        let init_specs = array_at(object, &["spec", "initContainers"]);
        let sidecar = |name: Option<&str>| {
            init_specs.iter().any(|c| {
                str_at(c, &["name"]) == name && str_at(c, &["restartPolicy"]) == Some("Always")
            })
        };
        let sidecars = init_specs
            .iter()
            .filter(|c| str_at(c, &["restartPolicy"]) == Some("Always"))
            .count();
        let total = u32::try_from(containers.len() + sidecars).unwrap_or(u32::MAX);

        let mut reason = str_at(object, &["status", "reason"])
            .filter(|r| !r.is_empty())
            .or_else(|| str_at(object, &["status", "phase"]))
            .unwrap_or("")
            .to_owned();
        if array_at(object, &["status", "conditions"]).iter().any(|c| {
            str_at(c, &["type"]) == Some("PodScheduled")
                && str_at(c, &["reason"]) == Some("SchedulingGated")
        }) {
            reason = "SchedulingGated".to_owned();
        }

        let mut ready = 0u32;
        let mut restarts = 0i64;
        // Once the pod is initialized kubectl counts only sidecar restarts of init containers.
        let mut sidecar_restarts = 0i64;
        let mut initializing = false;
        let init_statuses = array_at(object, &["status", "initContainerStatuses"]);
        for (i, c) in init_statuses.iter().enumerate() {
            restarts += restart_count(c);
            if sidecar(str_at(c, &["name"])) {
                sidecar_restarts += restart_count(c);
            }
            let terminated = at(c, &["state", "terminated"]);
            let waiting_reason = str_at(c, &["state", "waiting", "reason"]).unwrap_or("");
            if terminated.is_some_and(|t| i64_at(t, &["exitCode"]) == Some(0)) {
                continue;
            }
            if sidecar(str_at(c, &["name"])) && bool_at(c, &["started"]) == Some(true) {
                if bool_at(c, &["ready"]) == Some(true) {
                    ready += 1;
                }
                continue;
            }
            reason = if let Some(t) = terminated {
                match string_at(t, &["reason"]) {
                    Some(r) => format!("Init:{r}"),
                    None => match i64_at(t, &["signal"]).filter(|s| *s != 0) {
                        Some(signal) => format!("Init:Signal:{signal}"),
                        None => format!("Init:ExitCode:{}", i64_at(t, &["exitCode"]).unwrap_or(0)),
                    },
                }
            } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
                format!("Init:{waiting_reason}")
            } else {
                format!("Init:{i}/{}", init_specs.len())
            };
            initializing = true;
            break;
        }

        let initialized = array_at(object, &["status", "conditions"]).iter().any(|c| {
            str_at(c, &["type"]) == Some("Initialized") && str_at(c, &["status"]) == Some("True")
        });
        if !initializing || initialized {
            restarts = sidecar_restarts;
            let mut has_running = false;
            for c in array_at(object, &["status", "containerStatuses"])
                .iter()
                .rev()
            {
                restarts += restart_count(c);
                let waiting = string_at(c, &["state", "waiting", "reason"]);
                let terminated = at(c, &["state", "terminated"]);
                if let Some(w) = waiting {
                    reason = w;
                } else if let Some(t) = terminated {
                    reason = match string_at(t, &["reason"]) {
                        Some(r) => r,
                        None => match i64_at(t, &["signal"]).filter(|s| *s != 0) {
                            Some(signal) => format!("Signal:{signal}"),
                            None => format!("ExitCode:{}", i64_at(t, &["exitCode"]).unwrap_or(0)),
                        },
                    };
                } else if bool_at(c, &["ready"]) == Some(true)
                    && at(c, &["state", "running"]).is_some()
                {
                    has_running = true;
                    ready += 1;
                }
            }
            if reason == "Completed" && has_running {
                let pod_ready = array_at(object, &["status", "conditions"]).iter().any(|c| {
                    str_at(c, &["type"]) == Some("Ready") && str_at(c, &["status"]) == Some("True")
                });
                reason = if pod_ready { "Running" } else { "NotReady" }.to_owned();
            }
        }

        let deleting = at(object, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
        if deleting && str_at(object, &["status", "reason"]) == Some("NodeLost") {
            reason = "Unknown".to_owned();
        } else if deleting && !matches!(reason.as_str(), "Succeeded" | "Failed") {
            reason = "Terminating".to_owned();
        }

        Ok(Pod {
            key: meta.key,
            created: meta.created,
            ready: ready.min(total),
            total,
            status: reason,
            restarts,
            images: containers
                .iter()
                .filter_map(|c| string_at(c, &["image"]))
                .collect(),
            workload: workload_of(object),
            containers: containers
                .iter()
                .filter_map(|c| string_at(c, &["name"]))
                .collect(),
            init_containers: init_specs
                .iter()
                .filter_map(|c| string_at(c, &["name"]))
                .collect(),
            ready_since: array_at(object, &["status", "conditions"])
                .iter()
                .find(|c| {
                    str_at(c, &["type"]) == Some("Ready") && str_at(c, &["status"]) == Some("True")
                })
                .and_then(|c| super::json::time_at(c, &["lastTransitionTime"])),
        })
    }

    /// The tags of the pod's images (digest refs shortened), for the IMAGE column.
    pub fn image_tags(&self) -> impl Iterator<Item = String> + '_ {
        self.images.iter().map(|image| image_tag(image))
    }
}

/// The owning workload, `Kind/name`, from the controller owner reference.
fn workload_of(object: &Value) -> Option<String> {
    let owner = array_at(object, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| bool_at(o, &["controller"]) != Some(false))?;
    let name = str_at(owner, &["name"])?;
    match str_at(owner, &["kind"])? {
        "ReplicaSet" => {
            let hash = str_at(object, &["metadata", "labels", "pod-template-hash"]);
            // A Deployment names its ReplicaSets `<deployment>-<pod-template-hash>`.
            let deployment = hash
                .and_then(|h| name.strip_suffix(h))
                .and_then(|n| n.strip_suffix('-'))
                .or_else(|| name.rsplit_once('-').map(|(d, _)| d))
                .unwrap_or(name);
            Some(format!("Deployment/{deployment}"))
        }
        kind @ ("StatefulSet" | "DaemonSet") => Some(format!("{kind}/{name}")),
        _ => None,
    }
}

fn restart_count(container: &Value) -> i64 {
    i64_at(container, &["restartCount"]).unwrap_or(0)
}

/// The tag of an image reference (`latest` when it has none; `@sha256:1234567` when pinned
/// by digest), which is what changes from one release to the next.
pub fn image_tag(image: &str) -> String {
    let r = super::image::ImageRef::parse(image);
    match (r.tag.is_empty(), r.digest) {
        (false, _) => r.tag,
        (true, Some(digest)) => {
            let short: String = digest.chars().take("sha256:".len() + 7).collect();
            format!("@{short}")
        }
        (true, None) => "latest".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata;
    use serde_json::json;

    fn pod(spec: Value, status: Value) -> Pod {
        Pod::parse(
            &json!({"metadata": {"name": "p", "namespace": "n"}, "spec": spec, "status": status}),
        )
        .unwrap()
    }

    #[test]
    fn reads_the_sock_shop_pods() {
        let pods: Vec<Pod> = testdata::items("pods-sock-shop.json")
            .iter()
            .map(|p| Pod::parse(p).unwrap())
            .collect();
        assert_eq!(pods.len(), 14);
        assert!(
            pods.iter()
                .all(|p| p.status == "Running" && p.ready == 1 && p.total == 1)
        );
        let front = pods
            .iter()
            .find(|p| p.key.name.starts_with("front-end"))
            .unwrap();
        assert_eq!(
            front.image_tags().collect::<Vec<_>>(),
            vec!["main-1f49071-24"]
        );
        let orders = pods
            .iter()
            .find(|p| p.key.name.starts_with("orders-9"))
            .unwrap();
        assert_eq!(orders.restarts, 1);
        // The ReplicaSet owner less its pod-template-hash names the Deployment.
        assert_eq!(front.workload.as_deref(), Some("Deployment/front-end"));
        assert!(pods.iter().all(|p| p.workload.is_some()));
    }

    #[test]
    fn a_statefulset_pod_names_its_owner_and_a_bare_pod_none() {
        let p = Pod::parse(&json!({"metadata": {"name": "db-0", "namespace": "n",
            "ownerReferences": [{"kind": "StatefulSet", "name": "db", "controller": true}]},
            "status": {"conditions": [{"type": "Ready", "status": "True",
                "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}))
        .unwrap();
        assert_eq!(p.workload.as_deref(), Some("StatefulSet/db"));
        assert_eq!(p.ready_since, Some("2026-01-01T00:00:00Z".parse().unwrap()));
        assert_eq!(pod(json!({}), json!({})).workload, None);
    }

    #[test]
    fn crash_loop_shows_the_waiting_reason() {
        let pods = testdata::items("pods-front-end-crashloop.json");
        let p = Pod::parse(&pods[1]).unwrap();
        assert_eq!(p.status, "CrashLoopBackOff");
        assert_eq!((p.ready, p.total, p.restarts), (0, 1, 4));
    }

    #[test]
    fn pending_and_creating() {
        let p = pod(
            json!({"containers": [{"image": "a"}]}),
            json!({"phase": "Pending"}),
        );
        assert_eq!((p.status.as_str(), p.ready, p.total), ("Pending", 0, 1));
        let p = pod(
            json!({"containers": [{"image": "a"}]}),
            json!({"phase": "Pending", "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        assert_eq!(p.status, "ContainerCreating");
    }

    #[test]
    fn init_containers_report_progress_and_failures() {
        let spec = json!({"initContainers": [{"name": "a"}, {"name": "b"}], "containers": [{"name": "c"}]});
        let p = pod(
            spec.clone(),
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "a", "state": {"terminated": {"exitCode": 0}}},
                {"name": "b", "state": {"running": {}}}]}),
        );
        assert_eq!(p.status, "Init:1/2");
        let p = pod(
            spec.clone(),
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "a", "restartCount": 3, "state": {"terminated": {"exitCode": 2}}}]}),
        );
        assert_eq!((p.status.as_str(), p.restarts), ("Init:ExitCode:2", 3));
        let p = pod(
            spec,
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "a", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
        );
        assert_eq!(p.status, "Init:ImagePullBackOff");
    }

    #[test]
    fn sidecars_count_as_containers() {
        let p = pod(
            json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}], "containers": [{"name": "app"}]}),
            json!({"phase": "Running",
                   "initContainerStatuses": [{"name": "proxy", "started": true, "ready": true, "state": {"running": {}}}],
                   "containerStatuses": [{"name": "app", "ready": true, "state": {"running": {}}}]}),
        );
        assert_eq!((p.ready, p.total, p.status.as_str()), (2, 2, "Running"));
    }

    #[test]
    fn completed_and_terminating() {
        let p = pod(
            json!({"containers": [{"name": "job"}]}),
            json!({"phase": "Succeeded", "containerStatuses": [{"state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        );
        assert_eq!(p.status, "Completed");
        let p = Pod::parse(&json!({
            "metadata": {"name": "p", "deletionTimestamp": "2026-08-07T11:00:00Z"},
            "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Running", "containerStatuses": [{"ready": true, "state": {"running": {}}}]}
        }))
        .unwrap();
        assert_eq!(p.status, "Terminating");
        let p = pod(
            json!({"containers": [{"name": "a"}, {"name": "b"}]}),
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                   "containerStatuses": [
                       {"ready": true, "state": {"running": {}}},
                       {"ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        );
        assert_eq!(p.status, "NotReady");
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Running", "containerStatuses": [{"state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
        );
        assert_eq!(p.status, "Signal:9");
    }

    #[test]
    fn image_tags_read_like_a_release() {
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("localhost:5000/app:v2"), "v2");
        assert_eq!(
            image_tag("app@sha256:0123456789abcdef0123456789abcdef"),
            "@sha256:0123456"
        );
    }

    #[test]
    fn tolerates_a_pod_without_status() {
        let p =
            Pod::parse(&json!({"metadata": {"name": "p"}, "spec": {"containers": "x"}})).unwrap();
        assert_eq!((p.status.as_str(), p.ready, p.total), ("", 0, 0));
    }
}
