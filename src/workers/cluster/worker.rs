//! The cluster worker's task: connects, discovers, runs one watcher per served Flux kind plus
//! the app's pods, checks permissions once, and serves the UI's `Command`s (actions, details,
//! namespace/context switches). Everything it learns goes out as `Update`s; it never touches
//! the screen.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connect::{ConnectOptions, Connection, connect};
use super::discovery::{ServedKind, discover};
use super::watch::{self, WatchSpec};
use crate::model::event::KubeEvent;
use crate::model::key::{Kind, ObjectKey};
use crate::state::{
    ActionEvent, ActionId, ActionKind, ActionPhase, Command, Permission, Session, Update,
    WatchState,
};
use crate::workers::actions::{self, Action, Outcome, Progress, Target};

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
    /// Namespace of the pods pane.
    pub pods_namespace: String,
    /// Refuse every write.
    pub read_only: bool,
    /// How long an action follows its object before giving up.
    pub action_timeout: Duration,
}

/// The kind enum for a discovered kind name.
fn kind_of(served: &ServedKind) -> Option<Kind> {
    Kind::from_name(&served.kind)
}

struct Running {
    conn: Connection,
    served: Vec<ServedKind>,
    namespace: Option<String>,
    pods_namespace: String,
    flux_watchers: Vec<JoinHandle<()>>,
    pod_watcher: Option<JoinHandle<()>>,
}

impl Running {
    fn stop(&mut self) {
        for w in self.flux_watchers.drain(..) {
            w.abort();
        }
        if let Some(w) = self.pod_watcher.take() {
            w.abort();
        }
    }

    fn served(&self, kind: Kind) -> Option<&ServedKind> {
        self.served.iter().find(|s| kind_of(s) == Some(kind))
    }

    fn session(&self) -> Session {
        Session {
            context: Some(self.conn.context.clone()),
            server: Some(self.conn.server.clone()),
            namespace: self.namespace.clone(),
            pods_namespace: self.pods_namespace.clone(),
        }
    }
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
    let mut pods_namespace = config.pods_namespace.clone();
    'connect: loop {
        let mut running = match start(&options, &namespace, pods_namespace.clone(), &updates).await
        {
            Some(r) => r,
            None => {
                // Not connected: keep serving commands (a context switch may fix it), retry.
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => continue 'connect,
                    cmd = commands.recv() => match cmd {
                        None | Some(Command::Shutdown) => return,
                        Some(Command::SwitchContext { context }) => options.context = Some(context),
                        Some(Command::SwitchNamespace { namespace: ns }) => {
                            namespace = ns.map_or(FluxNamespaces::All, FluxNamespaces::Namespace);
                        }
                        Some(Command::SwitchPodsNamespace { namespace: ns }) => pods_namespace = ns,
                        Some(Command::SetReadOnly { read_only: r }) => read_only = r,
                        Some(other) => refuse_unconnected(&updates, other).await,
                    },
                }
                continue 'connect;
            }
        };
        loop {
            let Some(cmd) = commands.recv().await else {
                running.stop();
                return;
            };
            match cmd {
                Command::Shutdown => {
                    running.stop();
                    return;
                }
                Command::SetReadOnly { read_only: r } => read_only = r,
                Command::Suspend { id, keys } => act(
                    &running,
                    &updates,
                    id,
                    ActionKind::Suspend,
                    keys,
                    read_only,
                    config.action_timeout,
                ),
                Command::Resume { id, keys } => act(
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
                    act(
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
                    tokio::spawn(async move { fetch_details(client, served, key, out).await });
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
                    check_permissions(&running, &updates);
                }
                Command::SwitchPodsNamespace { namespace: ns } => {
                    pods_namespace = ns.clone();
                    running.pods_namespace = ns;
                    if let Some(w) = running.pod_watcher.take() {
                        w.abort();
                    }
                    running.pod_watcher = Some(spawn_pod_watcher(&running, &updates));
                    let _ = updates.send(Update::Session(running.session())).await;
                }
                Command::SwitchContext { context } => {
                    running.stop();
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
                // Served by the router (workers::router), not the cluster.
                Command::RefreshGit
                | Command::RefreshRegistry
                | Command::ShowDiff { .. }
                | Command::LoadMoreCommits { .. }
                | Command::TrackRepository { .. } => {}
            }
        }
    }
}

async fn refuse_unconnected(updates: &mpsc::Sender<Update>, cmd: Command) {
    let (id, kind, keys) = match cmd {
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
    pods_namespace: String,
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
        pods_namespace,
        flux_watchers: Vec::new(),
        pod_watcher: None,
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
    running.pod_watcher = Some(spawn_pod_watcher(&running, updates));
    check_permissions(&running, updates);
    Some(running)
}

fn spawn_flux_watchers(running: &Running, updates: &mpsc::Sender<Update>) -> Vec<JoinHandle<()>> {
    running
        .served
        .iter()
        .filter_map(|s| {
            let kind = kind_of(s)?;
            let spec = WatchSpec {
                kind,
                version: s.version.clone(),
                namespace: running.namespace.clone(),
            };
            Some(tokio::spawn(watch::run(
                running.conn.client.clone(),
                spec,
                updates.clone(),
            )))
        })
        .collect()
}

fn spawn_pod_watcher(running: &Running, updates: &mpsc::Sender<Update>) -> JoinHandle<()> {
    let spec = WatchSpec {
        kind: Kind::Pod,
        version: "v1".into(),
        namespace: Some(running.pods_namespace.clone()),
    };
    tokio::spawn(watch::run(
        running.conn.client.clone(),
        spec,
        updates.clone(),
    ))
}

/// One SelfSubjectAccessReview per served Flux kind (patch, in the watched namespace).
fn check_permissions(running: &Running, updates: &mpsc::Sender<Update>) {
    for s in running.served.clone() {
        let Some(kind) = kind_of(&s) else { continue };
        let client = running.conn.client.clone();
        let ns = running.namespace.clone();
        let out = updates.clone();
        tokio::spawn(async move {
            let allowed = actions::can_patch(&client, &s, ns.as_deref().unwrap_or_default())
                .await
                .unwrap_or(true);
            let permission = Permission {
                verb: "patch".into(),
                kind,
                namespace: ns,
            };
            let _ = out
                .send(Update::Access {
                    permission,
                    allowed,
                })
                .await;
        });
    }
}

fn act(
    running: &Running,
    updates: &mpsc::Sender<Update>,
    id: ActionId,
    kind: ActionKind,
    keys: Vec<ObjectKey>,
    read_only: bool,
    timeout: Duration,
) {
    let served: Arc<HashMap<Kind, ServedKind>> = Arc::new(
        running
            .served
            .iter()
            .filter_map(|s| kind_of(s).map(|k| (k, s.clone())))
            .collect(),
    );
    for key in keys {
        let out = updates.clone();
        let client = running.conn.client.clone();
        let served = served.clone();
        tokio::spawn(async move {
            let event = |phase: ActionPhase| {
                Update::Action(ActionEvent {
                    id,
                    action: kind,
                    key: key.clone(),
                    at: Timestamp::now(),
                    phase,
                })
            };
            if read_only {
                let _ = out
                    .send(event(ActionPhase::Failed(
                        "read-only mode: no write was sent (toggle with :readonly)".into(),
                    )))
                    .await;
                return;
            }
            let Some(sk) = served.get(&key.kind).cloned() else {
                let _ = out
                    .send(event(ActionPhase::Failed(format!(
                        "{} is not served by this cluster",
                        key.kind.resource()
                    ))))
                    .await;
                return;
            };
            let target = Target {
                kind: sk,
                namespace: key.namespace.to_string(),
                name: key.name.to_string(),
            };
            let action = match kind {
                ActionKind::Suspend => Action::Suspend,
                ActionKind::Resume => Action::Resume,
                ActionKind::Reconcile => Action::Reconcile { with_source: false },
                ActionKind::ReconcileWithSource => Action::Reconcile { with_source: true },
            };
            let _ = out
                .send(event(ActionPhase::Running(format!(
                    "{} {}…",
                    action.verb(),
                    target.display()
                ))))
                .await;
            let progress_out = out.clone();
            let progress_key = key.clone();
            let progress = move |p: Progress| {
                let text = match p {
                    Progress::Sent(s) | Progress::Waiting(s) => s,
                };
                let _ = progress_out.try_send(Update::Action(ActionEvent {
                    id,
                    action: kind,
                    key: progress_key.clone(),
                    at: Timestamp::now(),
                    phase: ActionPhase::Running(text),
                }));
            };
            let source_served = served.clone();
            let ns = key.namespace.clone();
            let source_of = move |obj: &Value| -> Option<Target> {
                let r = &obj["spec"]["sourceRef"];
                let k = Kind::from_name(r["kind"].as_str().unwrap_or("GitRepository"))?;
                Some(Target {
                    kind: source_served.get(&k)?.clone(),
                    namespace: r["namespace"].as_str().unwrap_or(&ns).to_string(),
                    name: r["name"].as_str()?.to_string(),
                })
            };
            let outcome =
                actions::run(&client, &target, action, timeout, &progress, &source_of).await;
            let phase = match outcome {
                Outcome::Succeeded(m) => ActionPhase::Succeeded(m),
                Outcome::Failed(m) => ActionPhase::Failed(m),
            };
            let _ = out.send(event(phase)).await;
        });
    }
}

/// The whole object, the Secrets its source refers to (masked by the state), and its events.
async fn fetch_details(
    client: kube::Client,
    served: Option<ServedKind>,
    key: ObjectKey,
    out: mpsc::Sender<Update>,
) {
    let version = match (&served, key.kind) {
        (Some(s), _) => s.version.clone(),
        (None, Kind::Pod) => "v1".to_string(),
        (None, _) => {
            let _ = out
                .send(Update::FetchFailed {
                    key: key.clone(),
                    error: format!("{} is not served", key.kind.resource()),
                })
                .await;
            return;
        }
    };
    let spec = WatchSpec {
        kind: key.kind,
        version,
        namespace: Some(key.namespace.to_string()),
    };
    let api = spec.api::<DynamicObject>(&client);
    let object = match api.get(&key.name).await {
        Ok(o) => serde_json::to_value(o).unwrap_or(Value::Null),
        Err(e) => {
            let _ = out
                .send(Update::FetchFailed {
                    key: key.clone(),
                    error: format!(
                        "cannot get {} {}/{}: {e}",
                        key.kind, key.namespace, key.name
                    ),
                })
                .await;
            return;
        }
    };
    let mut related = Vec::new();
    if let Some(secret) = object["spec"]["secretRef"]["name"].as_str() {
        let secrets: Api<k8s_openapi::api::core::v1::Secret> =
            Api::namespaced(client.clone(), &key.namespace);
        if let Ok(s) = secrets.get(secret).await
            && let Ok(v) = serde_json::to_value(s)
        {
            related.push(v);
        }
    }
    let _ = out
        .send(Update::Details {
            key: key.clone(),
            object,
            related,
        })
        .await;
    let events: Api<DynamicObject> = Api::namespaced_with(
        client,
        &key.namespace,
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("", "v1", "Event"),
            "events",
        ),
    );
    let lp = ListParams::default().fields(&format!(
        "involvedObject.name={},involvedObject.namespace={}",
        key.name, key.namespace
    ));
    match events.list(&lp).await {
        Ok(list) => {
            let mut evs: Vec<KubeEvent> = list
                .items
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok())
                .filter(|e| e["involvedObject"]["kind"] == key.kind.name())
                .map(|e| KubeEvent::parse(&e))
                .collect();
            evs.sort_by_key(|e| e.last_seen);
            let _ = out.send(Update::Events { key, events: evs }).await;
        }
        Err(e) => {
            let _ = out
                .send(Update::FetchFailed {
                    key,
                    error: format!("cannot list events: {e}"),
                })
                .await;
        }
    }
}
