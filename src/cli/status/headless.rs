//! The headless run shared by `status` and `wait`: the TUI's workers without the UI, and
//! the wait for every watched kind's first list (and the lanes' git and registry data).

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::bail;

use crate::cli::global::GlobalArgs;
use crate::cli::tui::{SourceArgs, cluster_config_with, hub_config, pods_watch_for};
use crate::model::key::Kind;
use crate::state::{PodsWatch, State, WatchState};
use crate::workers::Channels;

/// The kinds `status` waits for: every Flux kind, and the pods of the app namespace.
fn waited_kinds(state: &State) -> impl Iterator<Item = Kind> + '_ {
    Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::Pod || pods_watched(state))
}

/// Whether pods are watched: always for a namespace or all of them; for the workloads'
/// namespaces (the default) only once the Kustomizations, listed, name some (none: there is
/// no pod list to wait for).
fn pods_watched(state: &State) -> bool {
    let session = state.session();
    session.pods != PodsWatch::Workloads
        || !session.pods_namespaces.is_empty()
        || !state
            .watchers()
            .get(&Kind::Kustomization)
            .is_some_and(first_list_over)
}

/// Whether the first list of `kind` is over: listed, or refused, or not served.
fn first_list_over(state: &WatchState) -> bool {
    matches!(
        state,
        WatchState::Connected | WatchState::Forbidden { .. } | WatchState::NotServed { .. }
    )
}

/// What a headless command (`status`, `wait`) runs: the TUI's workers, read-only (the
/// cluster worker refuses every write), on their own runtime.
pub struct Headless {
    /// The pods watched for the release lanes.
    pub pods: PodsWatch,
    /// The cluster worker's configuration.
    pub cluster: crate::workers::cluster::worker::ClusterConfig,
    /// The hub's.
    pub hub: crate::workers::hub::HubConfig,
    /// The runtime to run them on.
    pub runtime: tokio::runtime::Runtime,
}

impl Headless {
    /// From the global flags, `--app-namespace` and the source flags.
    pub fn new(
        global: &GlobalArgs,
        app_namespace: Option<&str>,
        sources: &SourceArgs,
    ) -> anyhow::Result<Headless> {
        let pods = pods_watch_for(global, app_namespace);
        Ok(Headless {
            cluster: cluster_config_with(global, pods.clone(), true),
            hub: hub_config(sources)?,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
            pods,
        })
    }

    /// Starts the workers on the runtime, runs `work` with their channels and the pods
    /// watched, stops the workers, and leaves the runtime without waiting for threads the
    /// workers may still hold (git). An error of `work` returns at once.
    pub fn run<T>(
        self,
        work: impl AsyncFnOnce(&mut Channels, PodsWatch) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let Headless {
            pods,
            cluster,
            hub,
            runtime,
        } = self;
        let out = runtime.block_on(async {
            let (mut channels, tasks) = crate::workers::start(cluster, hub);
            let out = work(&mut channels, pods).await;
            drop(tasks);
            out
        })?;
        // Workers may still hold blocking threads (git); do not wait for them.
        runtime.shutdown_background();
        Ok(out)
    }
}

/// Reads updates into a fresh `State` until every watched kind's first list is over, or
/// `timeout` passes (an error naming the kinds still waiting and why).
pub async fn collect(
    channels: &mut Channels,
    pods: PodsWatch,
    timeout: Duration,
) -> anyhow::Result<State> {
    let mut state = State::new(pods);
    let mut listed: BTreeSet<Kind> = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        for (kind, watch) in state.watchers() {
            if first_list_over(watch) {
                listed.insert(*kind);
            }
        }
        if waited_kinds(&state).all(|k| listed.contains(&k)) {
            // The lanes also read the config repositories and the registry: give the git
            // worker and the scanner a few seconds for their first answer.
            let settle = (tokio::time::Instant::now() + LANES_SETTLE).min(deadline);
            while !lanes_settled(&state) {
                match tokio::time::timeout_at(settle, channels.updates.recv()).await {
                    Ok(Some(update)) => {
                        state.apply(update);
                        state.show_staged();
                    }
                    _ => break,
                }
            }
            return Ok(state);
        }
        let update = match tokio::time::timeout_at(deadline, channels.updates.recv()).await {
            Ok(Some(update)) => update,
            Ok(None) => bail!("the cluster worker stopped before the first lists were done"),
            Err(_) => bail!(
                "timed out after {} waiting for the first list of {}; check --kubeconfig and \
                 --context and that the API server answers, or raise --timeout",
                humanize(timeout),
                waiting(&state, &listed)
            ),
        };
        state.apply(update);
        // Drain what is already queued before re-checking, as the app does per frame.
        while let Ok(update) = channels.updates.try_recv() {
            state.apply(update);
        }
        state.show_staged();
    }
}

/// How long `status` waits, after the first lists, for the lanes' git and registry data.
const LANES_SETTLE: Duration = Duration::from_secs(5);

/// Whether every lane has what fluxdeck can read of its repository and registry: a commit
/// log (or its error) and a registry scan (or why there is none).
pub fn lanes_settled(state: &State) -> bool {
    state.lanes().iter().all(|lane| {
        let git = lane.source.as_ref().is_none_or(|s| {
            state
                .commit_logs()
                .all()
                .contains_key(&format!("{}/{}", s.namespace, s.name))
        });
        let registry = lane
            .repository
            .as_ref()
            .is_none_or(|r| state.scans().scan(r).is_some());
        git && registry
    })
}

/// The kinds still waiting for their first list, grouped by the watcher's last error.
fn waiting(state: &State, listed: &BTreeSet<Kind>) -> String {
    let mut by_reason: Vec<(String, Vec<&str>)> = Vec::new();
    for kind in waited_kinds(state).filter(|k| !listed.contains(k)) {
        let reason = match state.watchers().get(&kind) {
            Some(WatchState::Retrying { reason, .. }) => reason.clone(),
            Some(_) => "listing".to_owned(),
            None => "not started".to_owned(),
        };
        match by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, kinds)) => kinds.push(kind.name()),
            None => by_reason.push((reason, vec![kind.name()])),
        }
    }
    by_reason
        .into_iter()
        .map(|(reason, kinds)| format!("{} ({reason})", kinds.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A duration as the flags take it: `5s`, or `1500ms`.
pub fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
