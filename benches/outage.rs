//! Outage → live benchmark (not a test): how long after the API answers again the cluster
//! worker delivers a change made during the outage, i.e. when the panes are live again.
//!
//! Each round: the in-process sandbox (sock-shop, no controllers) answers 503 for
//! `FLUXDECK_BENCH_OUTAGE_SECONDS` (8, the outage of issue 15) and expires every resource
//! version (so the watchers must relist); meanwhile the sock-shop Kustomization's
//! `spec.suspend` flips behind the API's back. Measured: from the moment the sandbox answers
//! again to the moment the worker sends the flipped Kustomization. Median of
//! `FLUXDECK_BENCH_RUNS` (5) rounds; the machines are shared and noisy.
//!
//! `cargo bench --bench outage`.

use std::time::{Duration, Instant};

use fluxdeck::model::key::Kind;
use fluxdeck::model::object::Object;
use fluxdeck::sandbox::apiserver::faults::FaultRequest;
use fluxdeck::sandbox::apiserver::store::Target;
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions};
use fluxdeck::sandbox::{Sandbox, SandboxConfig};
use fluxdeck::state::{Command, PodsWatch, Update};
use fluxdeck::workers::cluster::connect::ConnectOptions;
use fluxdeck::workers::cluster::worker::{ClusterConfig, FluxNamespaces, run};
use tokio::sync::mpsc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let outage = env("FLUXDECK_BENCH_OUTAGE_SECONDS", 8);
    let runs = env("FLUXDECK_BENCH_RUNS", 5);
    let sb = Sandbox::start(SandboxConfig {
        scenario: Some((Scenario::SockShop, ScenarioOptions::default())),
        controllers: None,
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let kc = dir.path().join("kubeconfig");
    sb.write_kubeconfig(&kc).expect("a kubeconfig");
    let (tx, mut rx) = mpsc::channel(4096);
    let (commands, command_rx) = mpsc::channel(8);
    let worker = tokio::spawn(run(
        ClusterConfig {
            connect: ConnectOptions {
                kubeconfig: Some(kc),
                context: None,
            },
            namespace: FluxNamespaces::All,
            pods: PodsWatch::Namespace("sock-shop".into()),
            read_only: true,
            action_timeout: Duration::from_secs(5),
        },
        tx,
        command_rx,
    ));
    while rx.recv().await.expect("the worker runs") != Update::RelistDone(Kind::Kustomization) {}
    let ty = sb
        .store
        .resources()
        .by_kind("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
        .expect("Kustomizations are served");
    let mut times = Vec::new();
    for round in 0..runs {
        let suspend = round % 2 == 0;
        sb.faults.apply(&FaultRequest {
            close_watches: true,
            expire_resource_versions: true,
            unavailable_seconds: Some(outage as f64),
            ..FaultRequest::default()
        });
        let answers_at = Instant::now() + Duration::from_secs(outage);
        sb.store
            .modify(
                ty,
                "sock-shop",
                "sock-shop",
                Target::Main,
                false,
                &|old| {
                    let mut new = old.clone();
                    new["spec"]["suspend"] = suspend.into();
                    Ok(new)
                },
                None,
            )
            .expect("the Kustomization changes");
        let live_at = loop {
            match rx.recv().await.expect("the worker runs") {
                Update::Applied(Object::Kustomization(ks))
                | Update::Relisted(Object::Kustomization(ks))
                    if ks.key.name == "sock-shop" && ks.status.suspended == suspend =>
                {
                    break Instant::now();
                }
                _ => {}
            }
        };
        let after = live_at.saturating_duration_since(answers_at).as_secs_f64();
        println!("round {round}: live {after:.2} s after the API answered ({outage} s outage)");
        times.push(after);
        // Let the watchers settle (and the next outage start from a live client).
        tokio::time::sleep(Duration::from_secs(1)).await;
        while rx.try_recv().is_ok() {}
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "outage → live: median {median:.2} s over {} rounds (min {:.2}, max {:.2})",
        times.len(),
        times.first().copied().unwrap_or(f64::NAN),
        times.last().copied().unwrap_or(f64::NAN)
    );
    let _ = commands.send(Command::Shutdown).await;
    let _ = worker.await;
    sb.shutdown().await;
}
