//! Helpers shared by the live workload tests: a sandbox with the workload controllers on a
//! fast pace, the HTTP calls the tests make, polling waits, and a recorder of every state
//! the store's pods go through.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::apiserver::store::{EventKind, Store};
use fluxdeck::sandbox::controllers::workloads::{self, ImageFate, WorkloadOptions};
use fluxdeck::sandbox::pace::Pace;
use serde_json::{Value, json};

pub const NS: &str = "shop";

/// Images ending in `:missing` do not pull; `:crash` exits 1 after two seconds printing a
/// Node.js stack trace; everything else runs.
pub fn fate(image: &str) -> ImageFate {
    if image.ends_with(":missing") {
        return ImageFate::not_found(image);
    }
    if image.ends_with(":crash") {
        return ImageFate::Crashes {
            digest: format!("sha256:{}", "ab".repeat(32)),
            size: 51_234_567,
            exit_code: 1,
            after: Duration::from_secs(2),
            log: vec![
                "/usr/src/app/server.js:42".into(),
                "    throw new Error(\"SESSION_REDIS_URL is not set\");".into(),
                "    ^".into(),
                "Error: SESSION_REDIS_URL is not set".into(),
                "    at Object.<anonymous> (/usr/src/app/server.js:42:11)".into(),
            ],
        };
    }
    ImageFate::runs(image)
}

pub struct World {
    pub sandbox: TestSandbox,
    pub http: reqwest::Client,
    pub controllers: tokio::task::JoinHandle<()>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.controllers.abort();
    }
}

pub async fn world_with(spec: Spec, options: WorkloadOptions) -> World {
    let sandbox = spec.no_controllers().start().await;
    let controllers = workloads::spawn(sandbox.store.clone(), options);
    let w = World {
        sandbox,
        http: reqwest::Client::new(),
        controllers,
    };
    let (code, body) = w
        .send(
            reqwest::Method::POST,
            "/api/v1/namespaces",
            Some(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    w
}

pub fn options() -> WorkloadOptions {
    WorkloadOptions {
        pace: Pace::new(50.0, 1.0),
        images: Arc::new(fate),
        event_linger: Duration::from_secs(5),
        ..WorkloadOptions::default()
    }
}

pub async fn world() -> World {
    world_with(Spec::empty(), options()).await
}

impl World {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let patch = method == reqwest::Method::PATCH;
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.http_url()))
            .bearer_auth(&self.sandbox.token);
        if let Some(body) = body {
            let kind = if patch {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            req = req
                .header("content-type", kind)
                .body(serde_json::to_vec(&body).unwrap());
        }
        let resp = req.send().await.unwrap();
        let code = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            code,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> Value {
        let (code, body) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(code, 200, "GET {path}: {body}");
        body
    }

    pub async fn items(&self, resource: &str) -> Vec<Value> {
        let path = match resource {
            "deployments" | "replicasets" => format!("/apis/apps/v1/namespaces/{NS}/{resource}"),
            _ => format!("/api/v1/namespaces/{NS}/{resource}"),
        };
        self.get(&path).await["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn deployment(&self, name: &str) -> Value {
        self.get(&format!("/apis/apps/v1/namespaces/{NS}/deployments/{name}"))
            .await
    }

    pub async fn create_deployment(&self, d: Value) {
        let path = format!("/apis/apps/v1/namespaces/{NS}/deployments");
        let (code, body) = self.send(reqwest::Method::POST, &path, Some(d)).await;
        assert_eq!(code, 201, "{body}");
    }

    pub async fn patch_deployment(&self, name: &str, patch: Value) {
        let path = format!("/apis/apps/v1/namespaces/{NS}/deployments/{name}");
        let (code, body) = self.send(reqwest::Method::PATCH, &path, Some(patch)).await;
        assert_eq!(code, 200, "{body}");
    }

    pub async fn log(&self, pod: &str, query: &str) -> (u16, String) {
        let path = format!("/api/v1/namespaces/{NS}/pods/{pod}/log{query}");
        let (code, body) = self.send(reqwest::Method::GET, &path, None).await;
        let text = match body {
            Value::String(s) => s,
            other => other["message"].as_str().unwrap_or_default().to_string(),
        };
        (code, text)
    }

    pub async fn events(&self) -> Vec<Value> {
        self.items("events").await
    }

    /// Polls `check` every 20 ms for up to 20 s until it gives a value.
    pub async fn until<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        for _ in 0..1000 {
            if let Some(v) = check().await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for {what}");
    }

    /// Waits until Deployment `name` has rolled out `replicas` ready pods of its template.
    pub async fn rolled_out(&self, name: &str, replicas: i64) -> Value {
        self.until(&format!("{name} to roll out"), || async {
            let d = self.deployment(name).await;
            let s = &d["status"];
            let progressing = condition(&d, "Progressing");
            let done = s["observedGeneration"] == d["metadata"]["generation"]
                && s["updatedReplicas"] == replicas
                && s["availableReplicas"] == replicas
                && s["replicas"] == replicas
                && progressing["reason"] == "NewReplicaSetAvailable";
            done.then_some(d)
        })
        .await
    }
}

pub fn deployment(name: &str, replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"name": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"name": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"name": name}},
                "spec": {"containers": [{"name": name, "image": image, "ports": [{"containerPort": 80}]}]}
            }
        }
    })
}

pub fn image_patch(name: &str, image: &str) -> Value {
    json!({"spec": {"template": {"spec": {"containers": [
        {"name": name, "image": image, "ports": [{"containerPort": 80}]}
    ]}}}})
}

pub fn condition(obj: &Value, kind: &str) -> Value {
    obj["status"]["conditions"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["type"] == kind).cloned())
        .unwrap_or(Value::Null)
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

pub fn hash_of(pod: &Value) -> String {
    s(&pod["metadata"]["labels"]["pod-template-hash"]).to_string()
}

pub fn pod_ready(pod: &Value) -> bool {
    condition(pod, "Ready")["status"] == "True"
}

pub fn terminating(pod: &Value) -> bool {
    !pod["metadata"]["deletionTimestamp"].is_null()
}

pub fn waiting_reason(pod: &Value) -> String {
    s(&pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]).to_string()
}

/// Every state of the namespace's pods the store went through, one snapshot per change.
#[derive(Clone)]
pub struct History(Arc<Mutex<Vec<Vec<Value>>>>);

impl History {
    pub fn record(store: &Arc<Store>) -> History {
        let pods = store.resources().by_path("", "v1", "pods").unwrap();
        let mut rx = store.subscribe();
        // Subscribed first: a change after this list is in the broadcast.
        let mut now: BTreeMap<String, Value> = store
            .list(
                pods,
                Some(NS),
                &Default::default(),
                &Default::default(),
                None,
                None,
            )
            .unwrap()
            .items
            .iter()
            .map(|o| (o.name.clone(), o.value().unwrap()))
            .collect();
        let history = History(Arc::new(Mutex::new(Vec::new())));
        let out = history.clone();
        tokio::spawn(async move {
            loop {
                let change = match rx.recv().await {
                    Ok(c) => c,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    Err(e) => panic!("the history fell behind: {e}"),
                };
                if change.type_id != pods || change.object.namespace != NS {
                    continue;
                }
                let name = change.object.name.clone();
                if change.kind == EventKind::Deleted {
                    now.remove(&name);
                } else {
                    now.insert(name, change.object.value().unwrap());
                }
                out.0.lock().unwrap().push(now.values().cloned().collect());
            }
        });
        history
    }

    pub fn snapshots(&self) -> Vec<Vec<Value>> {
        self.0.lock().unwrap().clone()
    }
}
