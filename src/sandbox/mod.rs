//! The embedded Flux-on-Kubernetes sandbox: a real HTTP server speaking the Kubernetes API
//! (`apiserver`), seeded by a scenario (`scenario`), with simulated controllers.
//!
//! `Sandbox::start` serves on loopback with a random bearer token and can write a kubeconfig
//! for it, so any Kubernetes client (kubectl, kube-rs, other Flux UIs) can use it.

pub mod apiserver;
pub mod ci;
pub mod controllers;
pub mod crds;
pub mod error;
pub mod git;
pub mod kubeconfig;
pub mod kustomize;
pub mod labels;
pub mod live;
pub mod pace;
pub mod registry;
pub mod scenario;
pub mod schema;
mod serving;

pub use error::SandboxError;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use apiserver::faults::{FaultRequest, Faults};
use apiserver::resources::ResourceTable;
use apiserver::store::{Store, StoreOptions};
use apiserver::{ApiServer, DEFAULT_MAX_BODY};
use crds::FluxVersion;

pub use kubeconfig::CONTEXT;

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen (loopback; port 0 picks a free port).
    pub listen: SocketAddr,
    /// The bearer token (random when `None`).
    pub token: Option<String>,
    /// Which Flux release's CRDs to serve.
    pub flux: FluxVersion,
    /// Objects to start with, before the scenario's.
    pub objects: Vec<Value>,
    /// The scenario whose objects the sandbox starts with (streamed into the store).
    pub scenario: Option<(scenario::Scenario, scenario::ScenarioOptions)>,
    /// How often watches that allow bookmarks get one.
    pub bookmark_interval: Duration,
    /// Changes kept for watches that resume from an older version.
    pub history_limit: usize,
    /// Largest accepted request body.
    pub max_body: usize,
    /// The simulated Flux controllers (`None`: objects never reconcile).
    pub controllers: Option<controllers::ControllerOptions>,
    /// Serve the benchmark harness's `/bench/` paths (unauthenticated; off by default).
    pub bench_api: bool,
    /// Play the pipeline live (git host, registry, CI, live controllers) instead of the
    /// frozen controllers; the scenario defaults to `sock-shop-live`.
    pub live: Option<live::LiveConfig>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            flux: FluxVersion::Current,
            objects: Vec::new(),
            scenario: None,
            bookmark_interval: Duration::from_secs(30),
            history_limit: StoreOptions::default().history_limit,
            max_body: DEFAULT_MAX_BODY,
            controllers: Some(controllers::ControllerOptions::default()),
            bench_api: false,
            live: None,
        }
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    /// `https://127.0.0.1:PORT` (the same port also answers plain `http://`).
    pub url: String,
    /// The bearer token.
    pub token: String,
    /// The object store (for in-process controllers and tests).
    pub store: Arc<Store>,
    /// Fault controls and the request log.
    pub faults: Arc<Faults>,
    /// The CA that signed the server's certificate (PEM), for HTTPS clients.
    pub ca_pem: String,
    /// The live pipeline's git host, registry and CI (`None` for a frozen sandbox).
    pub live: Option<Arc<live::Live>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    controllers: Vec<tokio::task::JoinHandle<()>>,
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 24]>())
}

fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

impl Sandbox {
    /// Starts serving. Must run inside a tokio runtime.
    pub async fn start(mut config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        if !config.listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(config.listen));
        }
        let live = match &config.live {
            Some(live_config) => {
                let scenario = config.scenario.get_or_insert_with(|| {
                    (
                        scenario::Scenario::SockShopLive,
                        scenario::ScenarioOptions {
                            flux: config.flux,
                            ..Default::default()
                        },
                    )
                });
                let (which, opts) = scenario;
                Some(Arc::new(
                    live::start(live_config, config.flux, which, opts).await?,
                ))
            }
            None => None,
        };
        let crds = crds::crds(config.flux).map_err(|e| SandboxError::Seed(e.to_string()))?;
        let resources = Arc::new(ResourceTable::new(&crds).map_err(SandboxError::Seed)?);
        let mut store = Store::new(
            resources,
            StoreOptions {
                history_limit: config.history_limit,
                ..StoreOptions::default()
            },
        );
        store.set_validator(Box::new(apiserver::validation::custom_resource_schema));
        {
            let mut seeder = store.seeder();
            for mut crd in crds {
                crd["status"] = json!({"conditions": [
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
                ], "acceptedNames": crd["spec"]["names"].clone(), "storedVersions": []});
                seeder.add(crd).map_err(SandboxError::Seed)?;
            }
            for o in config.objects {
                seeder.add(o).map_err(SandboxError::Seed)?;
            }
            let mut failed = None;
            if let Some((scenario, opts)) = &config.scenario {
                scenario::for_each_object(scenario, opts, |o| {
                    if failed.is_none()
                        && let Err(e) = seeder.add(o)
                    {
                        failed = Some(e);
                    }
                });
            }
            if let Some(e) = failed {
                return Err(SandboxError::Seed(e));
            }
        }
        // The namespaces every cluster has, unless the seed brought them.
        let ns_type = store.resources().by_path("", "v1", "namespaces");
        let missing: Vec<Value> = ["default", "kube-system", "kube-public", "kube-node-lease"]
            .into_iter()
            .filter(|ns| ns_type.is_some_and(|t| store.get(t, "", ns).is_none()))
            .map(namespace)
            .collect();
        store.seed(missing).map_err(SandboxError::Seed)?;
        let store = Arc::new(store);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SandboxError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::Listen {
                addr: config.listen,
                source,
            })?;
        let token = config.token.unwrap_or_else(random_token);
        let faults = Arc::new(Faults::new());
        let server = Arc::new(ApiServer {
            store: store.clone(),
            faults: faults.clone(),
            token: token.clone(),
            address: addr.to_string(),
            max_body: config.max_body,
            bookmark_interval: config.bookmark_interval,
            bench_api: config.bench_api,
            live: live
                .clone()
                .map(|l| l as Arc<dyn apiserver::server::LivePipeline>),
        });
        let tls = apiserver::tls::generate().map_err(SandboxError::Seed)?;
        let ca_pem = tls.ca_pem.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let app = apiserver::app(server);
        let task = tokio::spawn(apiserver::serve::run(listener, app, tls.config, rx));
        let mut controllers = Vec::new();
        match &live {
            Some(l) => {
                let (world, task) = live::spawn_controllers(l, store.clone(), config.flux);
                controllers.push(task);
                controllers.push(controllers::workloads::spawn(
                    store.clone(),
                    controllers::workloads::WorkloadOptions {
                        pace: l.config.pace.clone(),
                        images: Arc::new(live::RegistryImages::new(l.registry.clone())),
                        seed: config.scenario.as_ref().map_or(1, |(_, o)| o.seed),
                        ..Default::default()
                    },
                ));
                live::settle(&world, l.config.settle_timeout).await;
                if let Some(every) = l.config.build_every {
                    controllers.push(l.ci.schedule(every));
                }
            }
            None => controllers.extend(
                config
                    .controllers
                    .map(|opts| controllers::spawn(store.clone(), opts)),
            ),
        }
        tracing::info!("sandbox serving on http://{addr}");
        Ok(Sandbox {
            url: format!("https://{addr}"),
            token,
            ca_pem,
            store,
            faults,
            live,
            shutdown: Some(tx),
            task: Some(task),
            controllers,
        })
    }

    /// The plain-HTTP URL of the same server (`http://127.0.0.1:PORT`).
    pub fn http_url(&self) -> String {
        self.url.replacen("https://", "http://", 1)
    }

    /// A kubeconfig that points at this sandbox (context `fluxdeck-sandbox`), over HTTPS
    /// with the sandbox's CA, so kubectl sends the token (it never does over plain HTTP).
    pub fn kubeconfig(&self) -> String {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {CONTEXT}\n  cluster:\n    certificate-authority-data: {ca}\n    server: {url}\ncontexts:\n- name: {CONTEXT}\n  context:\n    cluster: {CONTEXT}\n    user: {CONTEXT}\ncurrent-context: {CONTEXT}\npreferences: {{}}\nusers:\n- name: {CONTEXT}\n  user:\n    token: {token}\n",
            url = self.url,
            token = self.token
        )
    }

    /// The cluster, user and context this sandbox puts into a kubeconfig.
    pub fn kubeconfig_entry(&self) -> kubeconfig::Entry {
        use base64::Engine;
        kubeconfig::Entry {
            server: self.url.clone(),
            ca_data: base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes()),
            token: self.token.clone(),
        }
    }

    /// Merges this sandbox's entries into the kubeconfig at `path` (see [`kubeconfig::merge`]);
    /// call [`kubeconfig::Merged::remove`] on the way out.
    pub fn merge_kubeconfig(
        &self,
        path: &Path,
        switch_context: bool,
    ) -> Result<kubeconfig::Merged, kubeconfig::KubeconfigError> {
        kubeconfig::merge(path, &self.kubeconfig_entry(), switch_context)
    }

    /// Writes a kubeconfig holding only this sandbox to `path` (a file of the caller's own,
    /// e.g. in a temporary or state directory: it is replaced), atomically, readable by the
    /// owner only. `fluxdeck sandbox --kubeconfig` merges instead (`merge_kubeconfig`).
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), SandboxError> {
        let err = |source| SandboxError::Kubeconfig {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(err)?;
            f.write_all(self.kubeconfig().as_bytes()).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        std::fs::rename(&tmp, path).map_err(err)
    }

    /// Stops serving: ends every watch, then the server, and waits for it.
    pub async fn shutdown(mut self) {
        self.stop_signals();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(live) = self.live.take().and_then(|l| Arc::try_unwrap(l).ok()) {
            live.shutdown().await;
        }
    }

    fn stop_signals(&mut self) {
        self.faults.apply(&FaultRequest {
            close_watches: true,
            ..FaultRequest::default()
        });
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for c in self.controllers.drain(..) {
            c.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_signals();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A sandbox on its own runtime thread, for synchronous callers (tests that run kubectl).
/// Dropping it stops the server and the runtime.
pub struct SandboxThread {
    /// The sandbox.
    pub sandbox: Option<Sandbox>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl SandboxThread {
    /// Starts a sandbox on a new two-thread runtime.
    pub fn start(config: SandboxConfig) -> Result<Self, SandboxError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| SandboxError::Seed(format!("cannot start a tokio runtime: {e}")))?;
        let sandbox = runtime.block_on(Sandbox::start(config))?;
        Ok(SandboxThread {
            sandbox: Some(sandbox),
            runtime: Some(runtime),
        })
    }

    /// The running sandbox.
    pub fn get(&self) -> &Sandbox {
        // `sandbox` is only taken in `drop`, so it is present while `self` is alive.
        match &self.sandbox {
            Some(s) => s,
            None => unreachable!("the sandbox is only taken on drop"),
        }
    }

    /// Runs a future on the sandbox's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> Option<F::Output> {
        self.runtime.as_ref().map(|r| r.block_on(f))
    }
}

impl Drop for SandboxThread {
    fn drop(&mut self) {
        if let (Some(s), Some(rt)) = (self.sandbox.take(), self.runtime.as_ref()) {
            rt.block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(5), s.shutdown()).await;
            });
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}
