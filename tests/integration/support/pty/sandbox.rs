//! A sock-shop sandbox on its own runtime for a pty test: a kubeconfig for the program
//! under test, and blocking helpers for the admin API (faults, request log) and objects.

use std::path::PathBuf;
use std::time::Duration;

use fluxdeck::sandbox::apiserver::store::Target;
use fluxdeck::sandbox::controllers::ControllerOptions;
use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions};
use fluxdeck::sandbox::{Sandbox, SandboxConfig, SandboxThread};
use serde_json::Value;

/// The sock-shop Kustomization's API path.
pub const KS_PATH: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";

/// A running sandbox and the kubeconfig that reaches it. Dropping it stops the server.
pub struct TestSandbox {
    thread: SandboxThread,
    /// Holds the kubeconfig.
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl TestSandbox {
    /// The sock-shop scenario of `flux`, with fast simulated controllers.
    pub fn sock_shop(flux: FluxVersion) -> TestSandbox {
        TestSandbox::start(SandboxConfig {
            flux,
            scenario: Some((
                Scenario::SockShop,
                ScenarioOptions {
                    flux,
                    ..ScenarioOptions::default()
                },
            )),
            controllers: Some(ControllerOptions {
                reconcile_time: Duration::from_millis(200),
            }),
            ..SandboxConfig::default()
        })
    }

    /// Any sandbox, on 127.0.0.1 with a free port.
    pub fn start(config: SandboxConfig) -> TestSandbox {
        let thread = SandboxThread::start(config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        thread.get().write_kubeconfig(&kubeconfig).unwrap();
        TestSandbox {
            thread,
            _dir: dir,
            kubeconfig,
        }
    }

    /// The sandbox itself (its store, faults and URLs).
    pub fn get(&self) -> &Sandbox {
        self.thread.get()
    }

    /// `--kubeconfig PATH -A` for the program under test (the sandbox's Flux objects live
    /// in several namespaces; its context sets none, which would mean `default`).
    pub fn kubeconfig_args(&self) -> [String; 3] {
        [
            "--kubeconfig".to_owned(),
            self.kubeconfig.display().to_string(),
            "-A".to_owned(),
        ]
    }

    fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let sb = self.get();
        let url = format!("{}{path}", sb.http_url());
        let token = sb.token.clone();
        self.thread
            .block_on(async move {
                let mut req = reqwest::Client::new()
                    .request(method, url)
                    .bearer_auth(token);
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let resp = req.send().await.unwrap();
                resp.json::<Value>().await.unwrap()
            })
            .unwrap()
    }

    /// `GET path` on the sandbox's API (as JSON).
    pub fn get_json(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None)
    }

    /// `POST /sandbox/faults` with `body` (see the sandbox's `faults` module).
    pub fn faults(&self, body: Value) -> Value {
        self.send(reqwest::Method::POST, "/sandbox/faults", Some(body))
    }

    /// The request log.
    pub fn requests(&self) -> Vec<Value> {
        self.get_json("/sandbox/requests")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Logged requests that change something in the cluster (access reviews and the admin
    /// paths are questions, not writes).
    pub fn writes(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["method"] != "GET")
            .filter(|r| {
                let path = r["path"].as_str().unwrap_or_default();
                !path.contains("selfsubjectaccessreviews") && !path.starts_with("/sandbox/")
            })
            .collect()
    }

    /// Changes an object in the store directly (works while the API answers 503).
    pub fn modify(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        change: impl Fn(&mut Value),
    ) {
        let store = &self.get().store;
        let ty = store.resources().by_kind(api_version, kind).unwrap();
        store
            .modify(
                ty,
                namespace,
                name,
                Target::Main,
                false,
                &|old| {
                    let mut new = old.clone();
                    change(&mut new);
                    Ok(new)
                },
                None,
            )
            .unwrap();
    }
}
