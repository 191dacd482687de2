//! After an outage the watchers come back on their own, with a backoff capped for an
//! interactive client: the sandbox's fault API answers 503 for a while and expires every
//! resource version; the worker says "retrying" with a wait of at most 2 s, and a change
//! made during the outage reaches the state once the API answers. (How fast: `cargo bench
//! --bench outage`; tests assert behaviour, not timing.)

use std::time::Duration;

use crate::support::sandbox::Spec;
use fluxdeck::model::key::Kind;
use fluxdeck::model::object::Object;
use fluxdeck::sandbox::apiserver::faults::FaultRequest;
use fluxdeck::sandbox::apiserver::store::Target;
use fluxdeck::state::{Command, PodsWatch, Update, WatchState};
use fluxdeck::workers::cluster::connect::ConnectOptions;
use fluxdeck::workers::cluster::watch::MAX_RETRY;
use fluxdeck::workers::cluster::worker::{ClusterConfig, FluxNamespaces, run};
use tokio::sync::mpsc;

async fn next(rx: &mut mpsc::Receiver<Update>) -> Update {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("an update within a minute")
        .expect("the worker runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_says_retrying_within_2_s_and_the_change_made_meanwhile_arrives() {
    let sb = Spec::sock_shop().no_controllers().start().await;
    let kc = sb.kubeconfig().to_path_buf();
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
    while next(&mut rx).await != Update::RelistDone(Kind::Kustomization) {}

    sb.faults.apply(&FaultRequest {
        close_watches: true,
        expire_resource_versions: true,
        unavailable_seconds: Some(4.0),
        ..FaultRequest::default()
    });
    // Changed behind the API's back while it answers 503.
    let store = &sb.store;
    let ty = store
        .resources()
        .by_kind("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
        .unwrap();
    store
        .modify(
            ty,
            "sock-shop",
            "sock-shop",
            Target::Main,
            false,
            &|old| {
                let mut new = old.clone();
                new["spec"]["suspend"] = true.into();
                Ok(new)
            },
            None,
        )
        .unwrap();

    let mut waits = Vec::new();
    loop {
        match next(&mut rx).await {
            Update::Watch {
                kind: Kind::Kustomization,
                state: WatchState::Retrying { retry_in, .. },
            } => waits.push(retry_in),
            Update::Applied(Object::Kustomization(ks))
            | Update::Relisted(Object::Kustomization(ks))
                if ks.key.name == "sock-shop" && ks.status.suspended =>
            {
                break;
            }
            _ => {}
        }
    }
    assert!(!waits.is_empty(), "the outage was reported as retrying");
    assert!(
        waits.iter().all(|w| *w > Duration::ZERO && *w <= MAX_RETRY),
        "every wait within the 2 s cap: {waits:?}"
    );

    let _ = commands.send(Command::Shutdown).await;
    let _ = worker.await;
    sb.shutdown().await;
}
