//! The cluster worker's task: connects, discovers, starts the session's watchers
//! (`watchers`), checks permissions once, and serves the UI's `Command`s (actions and details
//! through `act`, the log view's stream, namespace/context switches). Everything it learns
//! goes out as `Update`s; it never touches the screen.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch as watch_channel};
use tokio::task::JoinHandle;

use super::act::dispatch;
use super::connect::{ConnectOptions, Connection, connect};
use super::discovery::discover;
use super::session::Running;
use super::watch;
use super::watchers::{spawn_flux_watchers, sync_pod_watchers};
use crate::model::key::Kind;
use crate::state::{
    ActionEvent, ActionKind, ActionPhase, Command, LogEvent, LogSession, LogStatus, PodsWatch,
    Update, WatchState,
};

/// Which namespaces the Flux panes watch, as kubectl picks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FluxNamespaces {
    /// No `-n`: the kubeconfig context's namespace, or `default` when it sets none (in a
    /// pod, the service account's namespace).
    #[default]
    Context,
    /// `-n NS` (or `:ns NS`).
    Namespace(String),
    /// `-A` (or `:ns all`).
    All,
}

impl FluxNamespaces {
    /// The namespace to watch (`None`: all) once connected with `conn`.
    pub fn resolve(&self, conn: &Connection) -> Option<String> {
        match self {
            FluxNamespaces::Context => Some(conn.default_namespace.clone()),
            FluxNamespaces::Namespace(ns) => Some(ns.clone()),
            FluxNamespaces::All => None,
        }
    }
}

/// How the cluster worker starts.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Kubeconfig and context.
    pub connect: ConnectOptions,
    /// Namespaces of the Flux panes.
    pub namespace: FluxNamespaces,
    /// Which pods are watched.
    pub pods: PodsWatch,
    /// Refuse every write.
    pub read_only: bool,
    /// How long an action follows its object before giving up.
    pub action_timeout: Duration,
}

/// Runs the worker until `Command::Shutdown` or until the UI's channels close.
pub async fn run(
    config: ClusterConfig,
    updates: mpsc::Sender<Update>,
    mut commands: mpsc::Receiver<Command>,
) {
    let mut read_only = config.read_only;
    let mut options = config.connect.clone();
    let mut namespace = config.namespace.clone();
    let mut pods = config.pods.clone();
    // The log view's stream: one at a time, stopped when the view closes.
    let mut log_stream: Option<(LogSession, JoinHandle<()>)> = None;
    'connect: loop {
        let mut running = match start(&options, &namespace, pods.clone(), &updates).await {
            Some(r) => r,
            None => {
                // Not connected: keep serving commands (a context switch may fix it), retry.
                tokio::select! {
                    _ = tokio::time::sleep(watch::MAX_RETRY) => continue 'connect,
                    cmd = commands.recv() => match cmd {
                        None | Some(Command::Shutdown) => {
                            stop_logs(&mut log_stream, None);
                            return;
                        }
                        Some(Command::CloseLogs { session }) => stop_logs(&mut log_stream, Some(session)),
                        Some(Command::SwitchContext { context }) => options.context = Some(context),
                        Some(Command::SwitchNamespace { namespace: ns }) => {
                            namespace = ns.map_or(FluxNamespaces::All, FluxNamespaces::Namespace);
                        }
                        Some(Command::SwitchPods { watch }) => pods = watch,
                        Some(Command::SetReadOnly { read_only: r }) => read_only = r,
                        Some(other) => refuse_unconnected(&updates, other).await,
                    },
                }
                continue 'connect;
            }
        };
        loop {
            let cmd = tokio::select! {
                cmd = commands.recv() => cmd,
                changed = running.workload_namespaces.1.changed() => {
                    if changed.is_ok() && running.pods == PodsWatch::Workloads {
                        sync_pod_watchers(&mut running, &updates).await;
                    }
                    continue;
                }
            };
            let Some(cmd) = cmd else {
                running.stop();
                stop_logs(&mut log_stream, None);
                return;
            };
            match cmd {
                Command::Shutdown => {
                    running.stop();
                    stop_logs(&mut log_stream, None);
                    return;
                }
                Command::OpenLogs { session, target } => {
                    stop_logs(&mut log_stream, None);
                    let client = running.conn.client.clone();
                    let handle =
                        tokio::spawn(super::logs::run(client, session, target, updates.clone()));
                    log_stream = Some((session, handle));
                }
                Command::CloseLogs { session } => stop_logs(&mut log_stream, Some(session)),
                Command::SetReadOnly { read_only: r } => read_only = r,
                Command::Suspend { id, keys } => dispatch::act(
                    &running,
                    &updates,
                    id,
                    ActionKind::Suspend,
                    keys,
                    read_only,
                    config.action_timeout,
                ),
                Command::Resume { id, keys } => dispatch::act(
                    &running,
                    &updates,
                    id,
                    ActionKind::Resume,
                    keys,
                    read_only,
                    config.action_timeout,
                ),
                Command::Reconcile {
                    id,
                    keys,
                    with_source,
                } => {
                    let kind = if with_source {
                        ActionKind::ReconcileWithSource
                    } else {
                        ActionKind::Reconcile
                    };
                    dispatch::act(
                        &running,
                        &updates,
                        id,
                        kind,
                        keys,
                        read_only,
                        config.action_timeout,
                    )
                }
                Command::FetchDetails { key } => {
                    let client = running.conn.client.clone();
                    let served = running.served(key.kind).cloned();
                    let out = updates.clone();
                    tokio::spawn(
                        async move { dispatch::fetch_details(client, served, key, out).await },
                    );
                }
                Command::SwitchNamespace { namespace: ns } => {
                    namespace = ns
                        .clone()
                        .map_or(FluxNamespaces::All, FluxNamespaces::Namespace);
                    running.namespace = ns;
                    for w in running.flux_watchers.drain(..) {
                        w.abort();
                    }
                    running.flux_watchers = spawn_flux_watchers(&running, &updates);
                    let _ = updates.send(Update::Session(running.session())).await;
                    dispatch::check_permissions(&running, &updates);
                }
                Command::SwitchPods { watch } => {
                    pods = watch.clone();
                    running.pods = watch;
                    sync_pod_watchers(&mut running, &updates).await;
                    let _ = updates.send(Update::Session(running.session())).await;
                }
                Command::SwitchContext { context } => {
                    running.stop();
                    stop_logs(&mut log_stream, None);
                    options.context = Some(context);
                    continue 'connect;
                }
                Command::SandboxBuild { kind } => {
                    if read_only {
                        let _ = updates
                            .send(Update::Notice {
                                error: true,
                                text: "read-only: :build refused; nothing was sent".into(),
                            })
                            .await;
                    } else {
                        let client = running.conn.client.clone();
                        tokio::spawn(super::sandbox_ci::request_build(
                            client,
                            kind,
                            updates.clone(),
                        ));
                    }
                }
                // Served by the hub (workers::hub), not the cluster.
                Command::RefreshGit
                | Command::RefreshRegistry
                | Command::ShowDiff { .. }
                | Command::LoadMoreCommits { .. }
                | Command::TrackRepository { .. } => {}
            }
        }
    }
}

/// Stops the log stream (only if it is `session`, when given).
fn stop_logs(stream: &mut Option<(LogSession, JoinHandle<()>)>, session: Option<LogSession>) {
    if let Some((open, handle)) = stream.take() {
        if session.is_some_and(|s| s != open) {
            *stream = Some((open, handle));
        } else {
            handle.abort();
        }
    }
}

async fn refuse_unconnected(updates: &mpsc::Sender<Update>, cmd: Command) {
    let (id, kind, keys) = match cmd {
        Command::OpenLogs { session, .. } => {
            let event = LogEvent::Status(LogStatus::Failed(
                "not connected to the cluster; the log will not come".into(),
            ));
            let _ = updates.send(Update::Log { session, event }).await;
            return;
        }
        Command::Suspend { id, keys } => (id, ActionKind::Suspend, keys),
        Command::Resume { id, keys } => (id, ActionKind::Resume, keys),
        Command::Reconcile {
            id,
            keys,
            with_source,
        } => (
            id,
            if with_source {
                ActionKind::ReconcileWithSource
            } else {
                ActionKind::Reconcile
            },
            keys,
        ),
        Command::FetchDetails { key } => {
            let _ = updates
                .send(Update::FetchFailed {
                    key,
                    error: "not connected to the cluster".into(),
                })
                .await;
            return;
        }
        Command::SandboxBuild { .. } => {
            let _ = updates
                .send(Update::Notice {
                    error: true,
                    text: "not connected to the cluster; :build was not sent".into(),
                })
                .await;
            return;
        }
        _ => return,
    };
    for key in keys {
        let _ = updates
            .send(Update::Action(ActionEvent {
                id,
                action: kind,
                key,
                at: Timestamp::now(),
                phase: ActionPhase::Failed("not connected to the cluster; nothing was sent".into()),
            }))
            .await;
    }
}

async fn start(
    options: &ConnectOptions,
    namespace: &FluxNamespaces,
    pods: PodsWatch,
    updates: &mpsc::Sender<Update>,
) -> Option<Running> {
    let fail = |reason: String| async move {
        for kind in Kind::ALL {
            let _ = updates
                .send(Update::Watch {
                    kind,
                    state: WatchState::Retrying {
                        since: Timestamp::now(),
                        reason: reason.clone(),
                        retry_in: watch::MAX_RETRY,
                    },
                })
                .await;
        }
    };
    let conn = match connect(options).await {
        Ok(c) => c,
        Err(e) => {
            fail(e.to_string()).await;
            return None;
        }
    };
    let served = match discover(&conn.client).await {
        Ok(s) => s,
        Err(e) => {
            fail(format!("cannot reach {}: {e}", conn.server)).await;
            return None;
        }
    };
    let mut running = Running {
        namespace: namespace.resolve(&conn),
        conn,
        served,
        pods,
        flux_watchers: Vec::new(),
        pod_watchers: BTreeMap::new(),
        pods_partial: false,
        workload_namespaces: watch_channel::channel(BTreeSet::new()),
    };
    let _ = updates.send(Update::Session(running.session())).await;
    for kind in Kind::ALL.into_iter().filter(|k| k.is_flux()) {
        if running.served(kind).is_none() {
            let _ = updates
                .send(Update::Watch {
                    kind,
                    state: WatchState::NotServed {
                        reason: format!(
                            "the cluster does not serve {} (is the Flux controller installed?)",
                            kind.resource()
                        ),
                    },
                })
                .await;
        }
    }
    running.flux_watchers = spawn_flux_watchers(&running, updates);
    sync_pod_watchers(&mut running, updates).await;
    dispatch::check_permissions(&running, updates);
    Some(running)
}
