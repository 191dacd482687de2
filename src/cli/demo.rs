//! `fluxdeck demo`: the sandbox playing the reference pipeline live (git host, ECR registry,
//! CI, Flux controllers, rollouts), and the TUI on it, in one process. Quitting the TUI stops
//! everything.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use clap::Args;

use super::global::GlobalArgs;
use super::replay::parse_speed;
use super::tui::{TuiConfig, run_with_cluster};
use crate::sandbox::crds::FluxVersion;
use crate::sandbox::live::LiveConfig;
use crate::sandbox::pace::Pace;
use crate::sandbox::scenario::AWS_REGION;
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::state::PodsWatch;
use crate::workers::cluster::connect::ConnectOptions;
use crate::workers::cluster::worker::{ClusterConfig, FluxNamespaces};
use crate::workers::ecr::EcrClientConfig;
use crate::workers::git::{CredentialConfig, GitWorkerConfig, Helpers};
use crate::workers::hub::HubConfig;
use crate::workers::proxy::ProxyEnv;

/// The namespace the demo's application runs in (the reference pipeline's tenant).
const APP_NAMESPACE: &str = "sock-shop";

/// Arguments of `fluxdeck demo`.
///
/// Starts an embedded cluster that plays the reference GitOps pipeline for real, with no
/// cluster and nothing outside this machine: a CI builds the Sock Shop `front-end` and
/// pushes `main-<sha7>-<build>` to an ECR-compatible registry; Flux's image controllers scan
/// it, pick the highest build and commit the new tag to the config repository (served over
/// git smart HTTP with basic auth, as CodeCommit serves it); source-controller fetches it,
/// kustomize-controller applies it and the front-end Deployment rolls its pods. Then it opens
/// the TUI on all of that.
///
/// In the TUI: `:build` starts a build now, `:build broken` one whose containers crash,
/// `:build missing` one whose image cannot be pulled; `s`/`r` suspend and resume, `f`
/// reconciles; `q` quits and stops everything.
///
/// Time: at --speed 1 every interval a manifest declares plays 6 times faster (the 1m
/// registry scan runs every 10 s) and every other delay (pulls, starts, reconciles) takes
/// as long as on a real cluster; --speed divides both.
///
/// The state directory holds the repositories (git/), the CI's build logs (ci/), the
/// kubeconfig of the embedded cluster and the git credentials; it is emptied at each start.
///
/// Examples:
///   fluxdeck demo
///   fluxdeck demo --speed 5 --build-every 1m
///   fluxdeck demo --flux 2.6 --state-dir /tmp/fluxdeck-demo
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DemoArgs {
    /// Where the demo keeps its repositories, CI logs and kubeconfig
    /// (default: $XDG_STATE_HOME/fluxdeck/demo).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// How often CI builds the front-end on its own (`30s`, `2m`; `off`: only on `:build`).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_every)]
    pub build_every: Every,
    /// How fast the pipeline plays (1 = demo pace, 10 = ten times faster).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Which Flux release to play: 2.7 (current, image kinds at v1) or 2.6 (v1beta2).
    #[arg(long, value_name = "VERSION", default_value = "current")]
    pub flux: FluxVersion,
    /// Colour theme (see `fluxdeck --help`).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Refuse every action (suspend, resume, reconcile, :build).
    #[arg(long)]
    pub readonly: bool,
    /// Bell and desktop notification (OSC 9) when a release rolls out or stays blocked
    /// (see `fluxdeck --help`).
    #[arg(long)]
    pub notify: bool,
    /// Record every update and every request the keys send to FILE (JSON lines), for
    /// `fluxdeck replay FILE`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// `--build-every`: a period, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Option<Duration>);

/// Reads `30s`, `1m30s`, `off`.
pub fn parse_every(s: &str) -> Result<Every, String> {
    match s {
        "off" | "never" | "0" | "0s" => Ok(Every(None)),
        _ => match crate::model::duration::parse_go_duration(s) {
            Some(d) if d >= Duration::from_millis(10) => Ok(Every(Some(d))),
            Some(_) => Err(format!(
                "'{s}' is too short: builds can be at most 100 a second (use 10ms or more, or off)"
            )),
            None => Err(format!(
                "'{s}' is not a duration: write it as Go does (30s, 2m, 1m30s) or off"
            )),
        },
    }
}

/// The default state directory of the demo.
pub fn default_state_dir() -> PathBuf {
    super::logging::state_base().join("demo")
}

/// The git configuration the demo's git worker reads: a credential helper that answers with
/// the sandbox's credentials, as `git config credential.helper store` does.
fn write_gitconfig(state_dir: &Path) -> anyhow::Result<PathBuf> {
    let path = state_dir.join("gitconfig");
    let store = state_dir.join("git-credentials");
    std::fs::write(
        &path,
        format!(
            "[credential]\n\thelper = store --file={}\n",
            store.display()
        ),
    )
    .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Runs `fluxdeck demo`.
pub fn run(global: &GlobalArgs, args: DemoArgs) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "fluxdeck demo opens a terminal UI and needs a terminal; for the pipeline without the UI run `fluxdeck sandbox --scenario sock-shop-live`"
        );
    }
    crate::heap::use_one_arena();
    super::logging::init_logging(global);
    let tui = TuiConfig::new(
        args.theme.clone(),
        args.readonly,
        PodsWatch::Namespace(APP_NAMESPACE.into()),
        args.notify,
        args.record.clone(),
    );
    // Read the config before anything starts, so its errors print plainly.
    tui.app_config()?;
    let state_dir = args.state_dir.clone().unwrap_or_else(default_state_dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        eprintln!(
            "fluxdeck demo: starting the sandbox in {}…",
            state_dir.display()
        );
        let sandbox = Sandbox::start(SandboxConfig {
            flux: args.flux,
            live: Some(LiveConfig {
                build_every: args.build_every.0,
                ..LiveConfig::new(state_dir.clone(), Pace::demo(args.speed))
            }),
            ..SandboxConfig::default()
        })
        .await?;
        let result = run_on(&sandbox, &state_dir, tui, args.readonly).await;
        sandbox.shutdown().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn run_on(
    sandbox: &Sandbox,
    state_dir: &Path,
    tui: TuiConfig,
    read_only: bool,
) -> anyhow::Result<()> {
    let kubeconfig = state_dir.join("kubeconfig");
    sandbox.write_kubeconfig(&kubeconfig)?;
    let gitconfig = write_gitconfig(state_dir)?;
    let Some(live) = &sandbox.live else {
        anyhow::bail!("the sandbox started without its live pipeline");
    };
    let cluster = ClusterConfig {
        connect: ConnectOptions {
            kubeconfig: Some(kubeconfig),
            context: None,
        },
        // The demo's cluster spreads the pipeline over flux-system and sock-shop.
        namespace: FluxNamespaces::All,
        pods: PodsWatch::Namespace(APP_NAMESPACE.into()),
        read_only,
        action_timeout: Duration::from_secs(300),
    };
    // The sandbox's registry checks that calls are signed, not by whom.
    let credentials = Credentials::new("AKIAFLUXDECKDEMO", "fluxdeck-demo", None, None, "demo");
    let hub = HubConfig {
        ecr: EcrClientConfig {
            endpoint_url: Some(live.registry_server.url.clone()),
            region: Some(AWS_REGION.into()),
            credentials: Some(SharedCredentialsProvider::new(credentials)),
            ..EcrClientConfig::default()
        },
        git: GitWorkerConfig {
            cache_root: state_dir.join("git-cache"),
            credentials: CredentialConfig {
                token_vars: Vec::new(),
                ssh_agent: false,
                ssh_keys: Vec::new(),
                ssh_home: None,
                ssh_system_known_hosts: Vec::new(),
                helpers: Helpers::ConfigFile(gitconfig),
                // The sandbox is on loopback, which no proxy serves.
                proxy: ProxyEnv::default(),
            },
            ..GitWorkerConfig::default()
        },
        ..HubConfig::default()
    };
    run_with_cluster(tui, cluster, hub).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_speeds_parse_with_errors_that_say_what_to_write() {
        assert_eq!(parse_every("30s"), Ok(Every(Some(Duration::from_secs(30)))));
        assert_eq!(parse_every("off"), Ok(Every(None)));
        assert!(parse_every("soon").unwrap_err().contains("30s, 2m"));
        assert!(parse_every("1ms").unwrap_err().contains("10ms"));
        assert_eq!(parse_speed("10"), Ok(10.0));
        assert!(parse_speed("0").is_err());
        assert!(parse_speed("fast").unwrap_err().contains("0.1 to 100"));
    }
}
