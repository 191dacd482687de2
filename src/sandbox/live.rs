//! The live pipeline around the API server: the state directory, the git host (bare
//! repositories served over smart HTTP with Basic auth, as CodeCommit serves git), the
//! ECR-compatible registry endpoint and the CI that pushes to it. [`Sandbox::start`](super::Sandbox::start)
//! prepares these before it seeds the store (so the seeded objects point at them) and starts
//! the live controllers after.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::SandboxError;
use super::ci::{App, Ci};
use super::controllers::world::GitHost;
use super::crds::FluxVersion;
use super::git::serve::{GitCredentials, GitServer};
use super::git::{self, SeedOptions};
use super::pace::Pace;
use super::registry::{RegistryServer, RegistryStore};
use super::scenario::{
    AWS_ACCOUNT_ID, AWS_REGION, Scenario, ScenarioOptions, gotk_components, scale_live,
};

/// The file that marks a state directory as the sandbox's own (it may delete what it wrote
/// there, and nothing else).
pub const MARKER: &str = ".fluxdeck-sandbox";

/// Earlier CI builds the registry and the app repository start with.
pub const HISTORY_BUILDS: u32 = 24;

/// How the live pipeline runs.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Where the repositories, CI logs and the kubeconfig go.
    pub state_dir: PathBuf,
    /// How fast intervals and delays play.
    pub pace: Pace,
    /// A CI build every so often (`None`: only on demand).
    pub build_every: Option<Duration>,
    /// How long to wait for the bootstrap to settle before serving (the controllers run
    /// with no delays meanwhile).
    pub settle_timeout: Duration,
}

impl LiveConfig {
    /// A live pipeline in `state_dir` at `pace`, a build every 30 s.
    pub fn new(state_dir: PathBuf, pace: Pace) -> LiveConfig {
        LiveConfig {
            state_dir,
            pace,
            build_every: Some(Duration::from_secs(30)),
            settle_timeout: Duration::from_secs(10),
        }
    }
}

/// The running parts of the live pipeline.
pub struct Live {
    /// The git host's server.
    pub git_server: GitServer,
    /// The registry's server.
    pub registry_server: RegistryServer,
    /// The registry.
    pub registry: Arc<RegistryStore>,
    /// The CI.
    pub ci: Arc<Ci>,
    /// The git host as the controllers see it.
    pub git: GitHost,
    /// The state directory.
    pub state_dir: PathBuf,
    /// The config it was started with.
    pub config: LiveConfig,
    /// What the controllers' loop is doing.
    pub stats: Arc<super::controllers::runtime::RuntimeStats>,
}

impl Live {
    /// The endpoints a client needs (`GET /sandbox/endpoints`): no password.
    pub fn endpoints(&self) -> Value {
        json!({
            "git": self.git.base_url,
            "gitUser": self.git.credentials.username,
            "gitCredentialsFile": self.state_dir.join("git-credentials").display().to_string(),
            "gitTokenFile": self.state_dir.join("git-token").display().to_string(),
            "ecrEndpoint": self.registry_server.url,
            "ecrRegistry": self.registry.registry_host(),
            "ciLogs": self.state_dir.join("ci").display().to_string(),
        })
    }

    /// Stops the servers.
    pub async fn shutdown(self) {
        self.git_server.shutdown().await;
        self.registry_server.shutdown().await;
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SandboxError + '_ {
    move |e| {
        SandboxError::Seed(format!(
            "cannot prepare the state directory {}: {e}; choose another with --state-dir",
            path.display()
        ))
    }
}

/// Makes `dir` ready for a new run: creates it, or empties what an earlier sandbox wrote
/// there (it carries [`MARKER`]); a directory with other files is refused, never emptied.
pub fn prepare_state_dir(dir: &Path) -> Result<(), SandboxError> {
    let err = io_err(dir);
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(&err)?;
        let empty = entries.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(SandboxError::Seed(format!(
                "the state directory {} holds files fluxdeck did not write; point --state-dir at an empty or new directory",
                dir.display()
            )));
        }
        for sub in ["git", "ci"] {
            let p = dir.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(&err)?;
            }
        }
    }
    for sub in ["git", "ci"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(&err)?;
    }
    std::fs::write(
        dir.join(MARKER),
        "This directory belongs to a fluxdeck sandbox; it empties git/ and ci/ on each start.\n",
    )
    .map_err(&err)?;
    Ok(())
}

/// Writes `path` readable by the owner only.
fn write_private(path: &Path, text: &str) -> Result<(), SandboxError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io_err(path))?;
    f.write_all(text.as_bytes()).map_err(io_err(path))
}

/// Prepares the state directory, seeds the repositories, starts the git host, the registry
/// and the CI (not its schedule), and fills `opts` with the URLs and credentials the seeded
/// objects carry.
pub async fn start(
    config: &LiveConfig,
    flux: FluxVersion,
    scenario: &Scenario,
    opts: &mut ScenarioOptions,
) -> Result<Live, SandboxError> {
    let dir = &config.state_dir;
    prepare_state_dir(dir)?;
    let git_root = dir.join("git");
    let credentials = GitCredentials::new(
        &format!("fluxdeck-at-{AWS_ACCOUNT_ID}"),
        &hex::encode(rand::random::<[u8; 18]>()),
    );
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let git_server = GitServer::start(git_root.clone(), loopback, credentials.clone())
        .await
        .map_err(|e| SandboxError::Seed(e.to_string()))?;
    let host = GitHost {
        root: git_root.clone(),
        base_url: git_server.base_url(),
        credentials: credentials.clone(),
    };
    // The password alone, for `FLUXDECK_GIT_TOKEN` (the repositories' URLs carry the user).
    write_private(
        &dir.join("git-token"),
        &format!("{}\n", credentials.password),
    )?;
    let registry = Arc::new(RegistryStore::new(AWS_ACCOUNT_ID, AWS_REGION));
    let tenants = match scenario {
        Scenario::ScaleLive(n) => *n,
        _ => 0,
    };
    let apps: Vec<App> = if tenants > 0 {
        let host_name = registry.registry_host();
        let seed_dir = git_root.clone();
        tokio::task::spawn_blocking(move || seed_tenants(&seed_dir, tenants, &host_name))
            .await
            .map_err(|e| SandboxError::Seed(format!("seeding the repositories stopped: {e}")))??;
        (0..tenants)
            .map(|i| App {
                name: scale_live::tenant_name(i),
                branch: scale_live::tenant_name(i),
                repository: scale_live::tenant_repository(i),
            })
            .collect()
    } else {
        let seed = SeedOptions {
            microservices_url: host.user_url("microservices-repo"),
            flux_url: Some(host.user_url("flux-repo")),
            image_api_version: (flux == FluxVersion::V2_6)
                .then(|| "image.toolkit.fluxcd.io/v1beta2".to_string()),
            username: credentials.username.clone(),
            password: credentials.password.clone(),
            flux_files: vec![(
                "clusters/dev-cluster/flux-system/gotk-components.yaml".into(),
                gotk_components(flux),
            )],
        };
        let seed_dir = git_root.clone();
        tokio::task::spawn_blocking(move || git::seed_with(&seed_dir, &seed))
            .await
            .map_err(|e| SandboxError::Seed(format!("seeding the repositories stopped: {e}")))?
            .map_err(|e| SandboxError::Seed(e.to_string()))?;
        vec![App {
            name: "front-end".into(),
            branch: "main".into(),
            repository: crate::sandbox::registry::seed::FRONT_END.into(),
        }]
    };
    // A git credential helper file, as `git config credential.helper store` keeps one, so
    // `git clone` and a second fluxdeck can read the repositories.
    let url_host = host.base_url.trim_start_matches("http://");
    let url_host = url_host.split('/').next().unwrap_or_default();
    write_private(
        &dir.join("git-credentials"),
        &format!(
            "http://{}:{}@{url_host}\n",
            credentials.username, credentials.password
        ),
    )?;
    let history = if tenants > 0 { 2 } else { HISTORY_BUILDS };
    let ci = Arc::new(Ci::new(
        git_root.join(if tenants > 0 { "apps" } else { "front-end" }),
        registry.clone(),
        apps,
        config.pace.clone(),
        Some(dir.join("ci")),
    ));
    {
        let ci = ci.clone();
        tokio::task::spawn_blocking(move || ci.seed(history, Duration::from_secs(25 * 60)))
            .await
            .map_err(|e| SandboxError::Seed(format!("seeding the CI stopped: {e}")))?
            .map_err(SandboxError::Seed)?;
    }
    let registry_server = registry.start(loopback).await?;
    opts.flux_repo_url = host.user_url("flux-repo");
    opts.tenant_repo_url = if tenants > 0 {
        host.user_url("tenants-repo")
    } else {
        host.user_url("microservices-repo")
    };
    opts.git_username = credentials.username.clone();
    opts.git_password = credentials.password.clone();
    Ok(Live {
        git_server,
        registry_server,
        registry,
        ci,
        git: host,
        state_dir: dir.clone(),
        config: config.clone(),
        stats: Arc::default(),
    })
}

/// Creates `tenants-repo` with one branch per tenant holding its `app/` files.
fn seed_tenants(root: &Path, tenants: usize, registry_host: &str) -> Result<(), SandboxError> {
    let repo = root.join("tenants-repo");
    let author = git::Identity::new("Platform Team", "platform@example.com");
    let err = |e: git::SandboxGitError| SandboxError::Seed(e.to_string());
    let init = git::NewCommit {
        branch: "main",
        author: &author,
        message: "Create the tenants repository",
        time: None,
    };
    let readme = [("README.md", "One branch per tenant; each holds app/.\n")];
    let base = git::init_repo(&repo, &init, &readme).map_err(err)?;
    for i in 0..tenants {
        let name = scale_live::tenant_name(i);
        git::create_branch(&repo, &name, &base).map_err(err)?;
        let commit = git::NewCommit {
            branch: &name,
            author: &author,
            message: &format!("Onboard {name}"),
            time: None,
        };
        git::commit_files_on(
            &repo,
            &base,
            &commit,
            &scale_live::tenant_files(i, registry_host),
        )
        .map_err(err)?;
    }
    Ok(())
}

/// Starts the live controllers over `store` (the Flux ones; the workloads controller is
/// started beside them by the caller).
pub fn spawn_controllers(
    live: &Live,
    store: Arc<super::apiserver::store::Store>,
    flux: FluxVersion,
) -> (
    Arc<super::controllers::world::World>,
    tokio::task::JoinHandle<()>,
) {
    let mut world = super::controllers::world::World::new(
        store,
        live.config.pace.clone(),
        flux,
        Some(live.registry.clone()),
        Some(live.git.clone()),
    );
    world.stats = live.stats.clone();
    let world = Arc::new(world);
    let task = super::controllers::runtime::spawn(world.clone());
    (world, task)
}

/// Whether the pipeline has settled: every Flux object Ready at its generation, every
/// source at its branch's head, every Kustomization at its source's revision, every
/// Deployment rolled out. Returns what still moves (empty when settled).
pub fn unsettled(world: &super::controllers::world::World) -> Vec<String> {
    let mut moving = Vec::new();
    let ready = |o: &Value| {
        o["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
            && o["status"]["observedGeneration"] == o["metadata"]["generation"]
    };
    let name = |kind: &str, o: &Value| {
        format!(
            "{kind}/{}/{}",
            o["metadata"]["namespace"].as_str().unwrap_or_default(),
            o["metadata"]["name"].as_str().unwrap_or_default()
        )
    };
    for kind in super::controllers::world::FLUX_KINDS {
        for o in world.list(kind, None) {
            if o["spec"]["suspend"] == true {
                continue;
            }
            if !ready(&o) {
                moving.push(format!("{} not ready", name(kind, &o)));
                continue;
            }
            match kind {
                "GitRepository" => {
                    let head = super::controllers::source::resolve(world, &o).map(|r| r.revision);
                    if head.ok().as_deref() != o["status"]["artifact"]["revision"].as_str() {
                        moving.push(format!("{} behind its branch", name(kind, &o)));
                    }
                }
                "Kustomization" => {
                    let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
                    let src = &o["spec"]["sourceRef"];
                    let source = world.get(
                        "GitRepository",
                        src["namespace"].as_str().unwrap_or(ns),
                        src["name"].as_str().unwrap_or_default(),
                    );
                    let want = source
                        .as_ref()
                        .and_then(|s| s["status"]["artifact"]["revision"].as_str());
                    if want != o["status"]["lastAppliedRevision"].as_str() {
                        moving.push(format!("{} not at its source's revision", name(kind, &o)));
                    }
                }
                _ => {}
            }
        }
    }
    let store = &world.store;
    if let Some(id) = store.resources().by_path("apps", "v1", "deployments")
        && let Ok(page) = store.list(
            id,
            None,
            &Default::default(),
            &Default::default(),
            None,
            None,
        )
    {
        for d in page.items.iter().filter_map(|o| o.value().ok()) {
            let want = d["spec"]["replicas"].as_i64().unwrap_or(1);
            let s = &d["status"];
            let done = s["observedGeneration"] == d["metadata"]["generation"]
                && s["replicas"].as_i64().unwrap_or(0) == want
                && s["updatedReplicas"].as_i64().unwrap_or(0) == want
                && s["readyReplicas"].as_i64().unwrap_or(0) == want;
            if !done {
                moving.push(format!("{} rolling out", name("Deployment", &d)));
            }
        }
    }
    moving
}

/// Runs the pipeline without delays until it settles (or `timeout` passes), then at its pace.
pub async fn settle(world: &super::controllers::world::World, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    let pace = &world.pace;
    pace.set_warp(true);
    let started = tokio::time::Instant::now();
    let mut quiet = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let moving = unsettled(world);
        quiet = if moving.is_empty() { quiet + 1 } else { 0 };
        if quiet >= 3 {
            tracing::info!(
                "sandbox: the live pipeline settled in {} ms",
                started.elapsed().as_millis()
            );
            break;
        }
        if started.elapsed() > timeout {
            tracing::warn!(
                "sandbox: the live pipeline did not settle in {} s; still moving: {}",
                timeout.as_secs(),
                moving.join(", ")
            );
            break;
        }
    }
    pace.set_warp(false);
}

/// What the kubelet finds when it pulls an image: images of the sandbox's registry as CI
/// pushed them (a `broken` build crashes, a `missing` one cannot be pulled, a tag that was
/// never pushed is not found); images of any other registry pull and run.
pub struct RegistryImages {
    registry: Arc<RegistryStore>,
}

impl RegistryImages {
    /// Over `registry`.
    pub fn new(registry: Arc<RegistryStore>) -> RegistryImages {
        RegistryImages { registry }
    }
}

/// The output of the sandbox's crashing front-end (a Node.js start-up failure).
fn crash_log() -> Vec<String> {
    [
        "",
        "> microservices-demo-front-end@0.0.1 start /usr/src/app",
        "> node server.js",
        "",
        "/usr/src/app/config.js:14",
        "    throw new Error('config-loader: missing peer dependency \"express-session\"');",
        "    ^",
        "",
        "Error: config-loader: missing peer dependency \"express-session\"",
        "    at Object.<anonymous> (/usr/src/app/config.js:14:11)",
        "    at Module._compile (internal/modules/cjs/loader.js:778:30)",
        "    at Object.Module._extensions..js (internal/modules/cjs/loader.js:789:10)",
        "    at Module.load (internal/modules/cjs/loader.js:653:32)",
        "    at Function.Module._load (internal/modules/cjs/loader.js:593:12)",
        "    at Module.require (internal/modules/cjs/loader.js:692:17)",
        "    at require (internal/modules/cjs/helpers.js:25:18)",
        "    at Object.<anonymous> (/usr/src/app/server.js:3:16)",
        "npm ERR! code ELIFECYCLE",
        "npm ERR! errno 1",
        "npm ERR! microservices-demo-front-end@0.0.1 start: `node server.js`",
        "npm ERR! Exit status 1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

impl super::controllers::workloads::ImageSource for RegistryImages {
    fn fate(&self, image: &str) -> super::controllers::workloads::ImageFate {
        use super::controllers::workloads::ImageFate;
        use sha2::{Digest, Sha256};
        let elsewhere = || ImageFate::Runs {
            digest: format!("sha256:{}", hex::encode(Sha256::digest(image.as_bytes()))),
            size: 48_213_004,
        };
        let (host, rest) = image.split_once('/').unwrap_or(("", image));
        if host != self.registry.registry_host() {
            return elsewhere();
        }
        let (path, reference) = match rest.split_once('@') {
            Some((p, d)) => (p, d),
            None => rest.rsplit_once(':').unwrap_or((rest, "latest")),
        };
        let not_found = ImageFate::Unpullable {
            message: format!(
                "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
            ),
        };
        let found = self.registry.with_repository(path, |r| {
            r.by_tag(reference)
                .or_else(|| r.by_digest(reference))
                .map(|i| (i.digest.clone(), i.size_bytes, i.manifest.clone()))
        });
        let Ok(Some((digest, size, manifest))) = found else {
            return not_found;
        };
        match super::ci::fate_of(&manifest).as_deref() {
            Some("crash") => ImageFate::Crashes {
                digest,
                size,
                exit_code: 1,
                after: Duration::from_secs(2),
                log: crash_log(),
            },
            Some("unpullable") => {
                let layer = serde_json::from_str::<Value>(&manifest)
                    .ok()
                    .and_then(|m| m["layers"][2]["digest"].as_str().map(str::to_string))
                    .unwrap_or_default();
                ImageFate::Unpullable {
                    message: format!(
                        "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to copy: httpReadSeeker: failed open: content at https://{host}/v2/{path}/blobs/{layer} not found: not found"
                    ),
                }
            }
            _ => ImageFate::Runs { digest, size },
        }
    }
}
