//! `fluxdeck sandbox`: serve the embedded Kubernetes-API-compatible sandbox until SIGINT or
//! SIGTERM, with a kubeconfig any client (kubectl, fluxdeck, other Flux UIs) can use.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::GlobalArgs;
use crate::sandbox::crds::FluxVersion;
use crate::sandbox::scenario::{Scenario, ScenarioOptions};
use crate::sandbox::{Sandbox, SandboxConfig};

/// Arguments of `fluxdeck sandbox`.
///
/// The sandbox is a real HTTPS server on loopback (the same port also answers plain HTTP)
/// that speaks the Kubernetes API: discovery, list/watch/get/create/update/patch/delete,
/// tables for kubectl, the Flux CRDs and simulated Flux controllers. It writes a kubeconfig
/// (context `fluxdeck-sandbox`, a random bearer token, the sandbox's CA) to `--kubeconfig`
/// (default: `$XDG_STATE_HOME/fluxdeck/sandbox/kubeconfig`).
///
/// Fault controls for tests (same token): `POST /sandbox/faults` with a JSON object of
/// `closeWatches`, `expireResourceVersions`, `unavailableSeconds`, `latencyMs`, `deny`
/// (`[{"verb","resource","group","namespace"}]`), `allow`, `bookmarkNow`, `reset`;
/// `GET /sandbox/requests?since=N` is the request log.
///
/// Examples:
///   fluxdeck sandbox
///   fluxdeck sandbox --listen 127.0.0.1:6443 --kubeconfig /tmp/kc && kubectl --kubeconfig /tmp/kc get ks -A
///   fluxdeck sandbox --scenario scale:2000 --flux 2.6
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SandboxArgs {
    /// Address to listen on (loopback only; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// What the cluster holds: `sock-shop` (the reference pipeline) or `scale:N`
    /// (N Kustomizations and GitRepositories over N/50 namespaces, 5N pods).
    #[arg(long, value_name = "NAME", default_value = "sock-shop")]
    pub scenario: Scenario,
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
}

/// The default kubeconfig path of the sandbox.
pub fn default_kubeconfig() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("fluxdeck")
        .join("sandbox")
        .join("kubeconfig")
}

/// Runs `fluxdeck sandbox`.
pub fn run(global: &GlobalArgs, args: SandboxArgs) -> anyhow::Result<ExitCode> {
    super::init_logging(global);
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
        let sb = Sandbox::start(SandboxConfig {
            listen: args.listen,
            flux: args.flux,
            scenario: Some((args.scenario, opts)),
            bookmark_interval: Duration::from_secs(args.bookmark_interval.max(1)),
            controllers: (!args.no_controllers).then(Default::default),
            bench_api: args.bench_api,
            ..SandboxConfig::default()
        })
        .await?;
        sb.write_kubeconfig(&kubeconfig)?;
        println!("fluxdeck sandbox ({}) serving on {}", args.scenario, sb.url);
        println!("kubeconfig: {}", kubeconfig.display());
        println!(
            "try: kubectl --kubeconfig {} get kustomizations -A",
            kubeconfig.display()
        );
        println!("stop with Ctrl-C");
        wait_for_signal()
            .await
            .context("cannot listen for signals")?;
        sb.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Waits for SIGINT or SIGTERM.
pub async fn wait_for_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}
