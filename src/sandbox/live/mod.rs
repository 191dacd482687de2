//! The live pipeline around the API server: the state directory, the git host (bare
//! repositories served over smart HTTP with Basic auth, as CodeCommit serves git), the
//! ECR-compatible registry endpoint and the CI that pushes to it. [`Sandbox::start`](super::Sandbox::start)
//! prepares these before it seeds the store (so the seeded objects point at them) and starts
//! the live controllers after.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::ci::{App, Ci};
use super::controllers::world::GitHost;
use super::crds::FluxVersion;
use super::error::SandboxError;
use super::git::serve::{GitCredentials, GitServer};
use super::git::{self, SeedOptions};
use super::pace::Pace;
use super::registry::{RegistryServer, RegistryStore};
use super::scenario::{
    AWS_ACCOUNT_ID, AWS_REGION, Scenario, ScenarioOptions, gotk_components, scale_live,
};

mod images;
mod settle;
mod state_dir;

pub use images::RegistryImages;
pub use settle::{settle, unsettled};
pub use state_dir::{MARKER, prepare_state_dir};

use state_dir::write_private;

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
    pub stats: Arc<super::controllers::stats::RuntimeStats>,
}

impl crate::sandbox::apiserver::server::LivePipeline for Live {
    fn stats(&self, window: bool) -> Value {
        self.stats.to_json(window)
    }

    fn endpoints(&self) -> Value {
        Live::endpoints(self)
    }

    fn request_build(&self, kind: &str, app: Option<&str>) -> Result<Value, String> {
        self.ci.request_named(kind, app).map(|build| json!(build))
    }

    fn builds(&self) -> Value {
        json!({"builds": self.ci.builds(), "pushed": self.ci.pushed()})
    }

    fn build_log(&self, app: Option<&str>, number: u32) -> Option<String> {
        self.ci.build_log(app, number)
    }
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
