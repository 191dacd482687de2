//! `fluxdeck sandbox`: serve the embedded Kubernetes-API-compatible sandbox until SIGINT or
//! SIGTERM, with a kubeconfig any client (kubectl, fluxdeck, other Flux UIs) can use.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::global::GlobalArgs;
use crate::sandbox::crds::FluxVersion;
use crate::sandbox::live::LiveConfig;
use crate::sandbox::pace::Pace;
use crate::sandbox::scenario::{Scenario, ScenarioOptions};
use crate::sandbox::{CONTEXT, Sandbox, SandboxConfig};

/// Arguments of `fluxdeck sandbox`.
///
/// The sandbox is a real HTTPS server on loopback (the same port also answers plain HTTP)
/// that speaks the Kubernetes API: discovery, list/watch/get/create/update/patch/delete,
/// tables for kubectl, the Flux CRDs and simulated Flux controllers. It adds its cluster,
/// user and context (all named `fluxdeck-sandbox`: a random bearer token, the sandbox's CA)
/// to the kubeconfig `--kubeconfig` names (default:
/// `$XDG_STATE_HOME/fluxdeck/sandbox/kubeconfig`), as kind and k3d do: the file's other
/// entries and its permissions are kept, its current context changes only when it has none
/// or with `--switch-context`, and on exit (Ctrl-C, SIGTERM) exactly those entries are taken
/// out again (a file the sandbox created is deleted). Every write is a temporary file and a
/// rename. Comments in the file are not kept.
///
/// Fault controls for tests (same token): `POST /sandbox/faults` with a JSON object of
/// `closeWatches`, `expireResourceVersions`, `unavailableSeconds`, `latencyMs`, `deny`
/// (`[{"verb","resource","group","namespace"}]`), `allow`, `bookmarkNow`, `reset`;
/// `GET /sandbox/requests?since=N` is the request log.
///
/// Examples:
///   fluxdeck sandbox
///   fluxdeck sandbox --listen 127.0.0.1:6443 --kubeconfig /tmp/kc && kubectl --kubeconfig /tmp/kc get ks -A
///   fluxdeck sandbox --kubeconfig ~/.kube/config   (then: kubectl --context fluxdeck-sandbox get ks -A)
///   fluxdeck sandbox --scenario scale:2000 --flux 2.6
///   fluxdeck sandbox --scenario sock-shop-live --speed 5
///
/// `sock-shop-live` plays the reference pipeline for real, as `fluxdeck demo` does without
/// the TUI: it also serves the git repositories over smart HTTP with basic auth and an
/// ECR-compatible registry, each on its own loopback port (printed at start and served at
/// `GET /sandbox/endpoints`), and runs a CI (`POST /sandbox/ci/build` with
/// `{"kind": "ok|broken|missing"}`, `GET /sandbox/ci/builds`, `GET /sandbox/ci/builds/N/log`).
/// Watch it with a second fluxdeck: `fluxdeck --kubeconfig KUBECONFIG -A --ecr-endpoint URL`
/// (git credentials: `git config --global credential.helper 'store --file STATE/git-credentials'`).
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SandboxArgs {
    /// Address to listen on (loopback only; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// What the cluster holds: `sock-shop` (the reference pipeline, frozen),
    /// `sock-shop-live` (the reference pipeline played live, with git host, registry and CI)
    /// or `scale:N` (N Kustomizations and GitRepositories over N/50 namespaces, 5N pods).
    #[arg(long, value_name = "NAME", default_value = "sock-shop")]
    pub scenario: Scenario,
    /// Play `scale:N` live: N tenants, each with the reference pipeline of its own (a branch
    /// of a shared repository, an ECR repository, policy, automation, two pods), and a CI
    /// spreading builds over them (see --build-every), for benchmarks.
    #[arg(long)]
    pub live: bool,
    /// Live scenarios: where the repositories, CI logs and git credentials go
    /// (default: $XDG_STATE_HOME/fluxdeck/sandbox/live); emptied at each start.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Live scenarios: how often CI builds on its own (`30s`, `2m`, `off`).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = super::demo::parse_every)]
    pub build_every: super::demo::Every,
    /// Live scenarios: how fast the pipeline plays (1 = demo pace, 10 = ten times faster;
    /// `scale:N --live` plays intervals as declared, divided by the speed).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = super::replay::parse_speed)]
    pub speed: f64,
    /// Which Flux release to play: `current` (2.7+, image kinds at v1) or `2.6` (v1beta2).
    #[arg(long, value_name = "VERSION", default_value = "current")]
    pub flux: FluxVersion,
    /// Seconds between BOOKMARK events on watches that allow them.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub bookmark_interval: u64,
    /// Serve objects only: no simulated Flux controllers.
    #[arg(long)]
    pub no_controllers: bool,
    /// Also serve the peer benchmark harness's control paths (`/bench/summary`,
    /// `/bench/stats`, `POST /bench/touch`) without authentication. For benchmarks only.
    #[arg(long)]
    pub bench_api: bool,
    /// Make `fluxdeck-sandbox` the kubeconfig's current context while the sandbox runs (it
    /// is by default only when the file has no current context); restored on exit.
    #[arg(long)]
    pub switch_context: bool,
}

/// The default kubeconfig path of the sandbox.
pub fn default_kubeconfig() -> PathBuf {
    super::logging::state_base()
        .join("sandbox")
        .join("kubeconfig")
}

/// Runs `fluxdeck sandbox`.
pub fn run(global: &GlobalArgs, args: SandboxArgs) -> anyhow::Result<ExitCode> {
    super::logging::init_logging(global);
    let kubeconfig = global.kubeconfig.clone().unwrap_or_else(default_kubeconfig);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let opts = ScenarioOptions {
            flux: args.flux,
            ..ScenarioOptions::default()
        };
        let scenario = match (args.scenario, args.live) {
            (Scenario::Scale(n), true) => Scenario::ScaleLive(n),
            (Scenario::SockShop, true) => Scenario::SockShopLive,
            (s, _) => s,
        };
        let live = matches!(scenario, Scenario::SockShopLive | Scenario::ScaleLive(_)).then(|| {
            let scale = matches!(scenario, Scenario::ScaleLive(_));
            // `scale:N --live` is for benchmarks: intervals play as the manifests declare
            // them (a cluster of thousands of tenants, not a demo), `--speed` still divides.
            let pace = if scale {
                Pace::new(args.speed, 1.0)
            } else {
                Pace::demo(args.speed)
            };
            let mut config = LiveConfig::new(
                args.state_dir
                    .clone()
                    .unwrap_or_else(|| super::logging::state_base().join("sandbox").join("live")),
                pace,
            );
            config.build_every = args.build_every.0;
            if scale {
                // Thousands of tenants settle at their own pace, not in one warp.
                config.settle_timeout = Duration::ZERO;
            }
            config
        });
        let sb = Sandbox::start(SandboxConfig {
            listen: args.listen,
            flux: args.flux,
            scenario: Some((scenario, opts)),
            bookmark_interval: Duration::from_secs(args.bookmark_interval.max(1)),
            controllers: (!args.no_controllers).then(Default::default),
            bench_api: args.bench_api,
            live,
            ..SandboxConfig::default()
        })
        .await?;
        let signals = Signals::listen().context("cannot listen for signals")?;
        let merged = match sb.merge_kubeconfig(&kubeconfig, args.switch_context) {
            Ok(m) => m,
            Err(e) => {
                sb.shutdown().await;
                return Err(e.into());
            }
        };
        let mut lines = vec![
            format!("fluxdeck sandbox ({scenario}) serving on {}", sb.url),
            format!(
                "kubeconfig: {} (context {CONTEXT}{}; removed again on exit)",
                kubeconfig.display(),
                if merged.switched_context() {
                    ", now the current context"
                } else {
                    ", not the current context: pass --context"
                }
            ),
            format!(
                "try: kubectl --kubeconfig {} --context {CONTEXT} get kustomizations -A",
                kubeconfig.display()
            ),
        ];
        if let Some(live) = &sb.live {
            let e = live.endpoints();
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            lines.extend([
                format!(
                    "git repositories: {}/NAME (user {}, token in {})",
                    text("git"),
                    text("gitUser"),
                    text("gitTokenFile")
                ),
                format!(
                    "ECR endpoint: {} (registry {})",
                    text("ecrEndpoint"),
                    text("ecrRegistry")
                ),
                format!("CI build logs: {}", text("ciLogs")),
                format!(
                    "watch it: FLUXDECK_GIT_TOKEN=$(cat {}) AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox fluxdeck --kubeconfig {} --context {CONTEXT} -A --ecr-endpoint {}",
                    text("gitTokenFile"),
                    kubeconfig.display(),
                    text("ecrEndpoint")
                ),
            ]);
        }
        lines.push("stop with Ctrl-C".into());
        // A closed stdout (a script that read the URL and went) must not stop the sandbox.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
            let _ = out.flush();
        }
        signals.wait().await;
        sb.shutdown().await;
        merged.remove()?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// SIGINT and SIGTERM, caught from the moment this is made (so a signal that comes while
/// the kubeconfig is being merged still ends in the clean-up, not in a killed process).
pub struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts catching SIGINT and SIGTERM (inside a tokio runtime).
    pub fn listen() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for the first of them.
    pub async fn wait(mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}
