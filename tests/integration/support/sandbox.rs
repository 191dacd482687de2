//! One way to start the embedded sandbox in a test. A `Spec` is the `SandboxConfig` with
//! what the test changes (by default: 127.0.0.1 on a free port, a random token, no objects,
//! the simulated controllers at their pace). `start` runs it on the test's runtime,
//! `start_blocking` on a runtime of its own for synchronous tests (kubectl, a pty). Either
//! way the kubeconfig that reaches it is written in a temp dir that lives as long as the
//! handle, and dropping the handle stops the server.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fluxdeck::sandbox::apiserver::store::Target;
use fluxdeck::sandbox::controllers::ControllerOptions;
use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::sandbox::live::LiveConfig;
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions};
use fluxdeck::sandbox::{Sandbox, SandboxConfig, SandboxThread};
use serde_json::Value;

/// The sock-shop Kustomization's API path.
pub const KS_PATH: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";

/// What a test's sandbox serves, and the temp dir its kubeconfig goes to.
pub struct Spec {
    config: SandboxConfig,
    dir: tempfile::TempDir,
}

impl Spec {
    /// No objects (the built-in namespaces and CRDs only).
    pub fn empty() -> Spec {
        Spec {
            config: SandboxConfig::default(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `objects` and nothing else.
    pub fn objects(objects: Vec<Value>) -> Spec {
        let mut spec = Spec::empty();
        spec.config.objects = objects;
        spec
    }

    /// A scenario's objects.
    pub fn scenario(scenario: Scenario, options: ScenarioOptions) -> Spec {
        let mut spec = Spec::empty();
        spec.config.scenario = Some((scenario, options));
        spec
    }

    /// The sock-shop scenario with its default options.
    pub fn sock_shop() -> Spec {
        Spec::scenario(Scenario::SockShop, ScenarioOptions::default())
    }

    /// The live pipeline instead of the frozen controllers.
    pub fn live(live: LiveConfig) -> Spec {
        let mut spec = Spec::empty();
        spec.config.live = Some(live);
        spec
    }

    /// Serves the CRDs of `flux`.
    pub fn flux(mut self, flux: FluxVersion) -> Spec {
        self.config.flux = flux;
        self
    }

    /// No simulated controllers: only the test's own writes change objects.
    pub fn no_controllers(mut self) -> Spec {
        self.config.controllers = None;
        self
    }

    /// Simulated controllers that take `reconcile_time` per reconciliation.
    pub fn reconcile_time(mut self, reconcile_time: Duration) -> Spec {
        self.config.controllers = Some(ControllerOptions { reconcile_time });
        self
    }

    /// How often watches that allow bookmarks get one.
    pub fn bookmark_interval(mut self, interval: Duration) -> Spec {
        self.config.bookmark_interval = interval;
        self
    }

    /// Serves the benchmark harness's `/bench/` paths or not.
    pub fn bench_api(mut self, on: bool) -> Spec {
        self.config.bench_api = on;
        self
    }

    /// Starts it on the current runtime.
    pub async fn start(self) -> TestSandbox {
        let sandbox = Sandbox::start(self.config)
            .await
            .expect("the sandbox starts");
        let kubeconfig = self.dir.path().join("kubeconfig");
        sandbox.write_kubeconfig(&kubeconfig).unwrap();
        TestSandbox {
            sandbox,
            dir: self.dir,
            kubeconfig,
        }
    }

    /// Starts it on a runtime of its own, for a synchronous test.
    pub fn start_blocking(self) -> BlockingSandbox {
        let thread = SandboxThread::start(self.config).expect("the sandbox starts");
        let kubeconfig = self.dir.path().join("kubeconfig");
        thread.get().write_kubeconfig(&kubeconfig).unwrap();
        BlockingSandbox {
            thread,
            dir: self.dir,
            kubeconfig,
        }
    }
}

/// A running sandbox on the test's runtime (it derefs to the `Sandbox`: store, token, URLs).
pub struct TestSandbox {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl TestSandbox {
    /// The kubeconfig file.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The temp dir of the kubeconfig, which lives as long as the sandbox.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops serving and waits for the server.
    pub async fn shutdown(self) {
        self.sandbox.shutdown().await;
    }
}

impl Deref for TestSandbox {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// A running sandbox on a runtime of its own, with blocking helpers for the admin API
/// (faults, request log) and objects.
pub struct BlockingSandbox {
    thread: SandboxThread,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl BlockingSandbox {
    /// The sock-shop scenario of `flux`, with fast simulated controllers.
    pub fn sock_shop(flux: FluxVersion) -> BlockingSandbox {
        Spec::scenario(
            Scenario::SockShop,
            ScenarioOptions {
                flux,
                ..ScenarioOptions::default()
            },
        )
        .flux(flux)
        .reconcile_time(Duration::from_millis(200))
        .start_blocking()
    }

    /// The kubeconfig file.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The temp dir of the kubeconfig, which lives as long as the sandbox.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a future on the sandbox's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.thread.block_on(f).expect("the runtime runs")
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
        self.block_on(async move {
            let mut req = reqwest::Client::new()
                .request(method, url)
                .bearer_auth(token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.unwrap();
            resp.json::<Value>().await.unwrap()
        })
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
