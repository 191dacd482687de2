//! The cluster worker's task: connects, discovers, runs one watcher per served Flux kind plus
//! the app's pods, checks permissions once, and serves the UI's `Command`s (actions, details,
//! namespace/context switches). Everything it learns goes out as `Update`s; it never touches
//! the screen.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use tokio::sync::{mpsc, watch as watch_channel};
use tokio::task::JoinHandle;

use super::act::{self, Action, Outcome, Progress, Target};
use super::connect::{ConnectOptions, Connection, connect};
use super::discovery::{ServedKind, discover};
use super::watch::{self, WatchSpec};
use crate::model::event::KubeEvent;
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::object::Object;
use crate::state::{
    ActionEvent, ActionId, ActionKind, ActionPhase, Command, LogEvent, LogSession, LogStatus,
    Permission, PodsWatch, Session, Update, WatchState,
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

/// The kind enum for a discovered kind name.
fn kind_of(served: &ServedKind) -> Option<Kind> {
    Kind::from_name(&served.kind)
}

struct Running {
    conn: Connection,
    served: Vec<ServedKind>,
    namespace: Option<String>,
    pods: PodsWatch,
    flux_watchers: Vec<JoinHandle<()>>,
    /// One pod watcher per namespace (`None`: all namespaces).
    pod_watchers: BTreeMap<Option<String>, JoinHandle<()>>,
    /// Whether the pod watchers are partial (one per workload namespace).
    pods_partial: bool,
    /// The namespaces of the watched Kustomizations' inventory workloads, kept by the tap
    /// on the Kustomization watcher.
    workload_namespaces: (
        watch_channel::Sender<BTreeSet<String>>,
        watch_channel::Receiver<BTreeSet<String>>,
    ),
}

impl Running {
    fn stop(&mut self) {
        for w in self.flux_watchers.drain(..) {
            w.abort();
        }
        for (_, w) in std::mem::take(&mut self.pod_watchers) {
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
            pods: self.pods.clone(),
            pods_namespaces: self.pod_watchers.keys().filter_map(Clone::clone).collect(),
        }
    }

    /// The pod watchers `pods` asks for: one for all namespaces, one for a namespace, or
    /// one per namespace that holds a watched Kustomization's workload. Starts the missing
    /// ones, stops the others (their pods leave the state), and reports the session when
    /// anything changed.
    async fn sync_pod_watchers(&mut self, updates: &mpsc::Sender<Update>) {
        let partial = self.pods == PodsWatch::Workloads;
        let wanted: BTreeSet<Option<String>> = match &self.pods {
            PodsWatch::All => [None].into(),
            PodsWatch::Namespace(ns) => [Some(ns.clone())].into(),
            PodsWatch::Workloads => self
                .workload_namespaces
                .1
                .borrow()
                .iter()
                .map(|ns| Some(ns.clone()))
                .collect(),
        };
        let mut changed = false;
        if partial != self.pods_partial {
            for (_, w) in std::mem::take(&mut self.pod_watchers) {
                w.abort();
                let _ = w.await;
            }
            if partial {
                // A full watcher's rows are nobody's now; partial watchers add their own.
                let _ = updates
                    .send(Update::Forget {
                        kind: Kind::Pod,
                        namespace: None,
                    })
                    .await;
            }
            self.pods_partial = partial;
            changed = true;
        }
        let stale: Vec<Option<String>> = self
            .pod_watchers
            .keys()
            .filter(|ns| !wanted.contains(*ns))
            .cloned()
            .collect();
        for ns in stale {
            if let Some(w) = self.pod_watchers.remove(&ns) {
                w.abort();
                // Awaited, so none of its updates can come after the `Forget`.
                let _ = w.await;
            }
            if partial {
                let _ = updates
                    .send(Update::Forget {
                        kind: Kind::Pod,
                        namespace: ns,
                    })
                    .await;
            }
            changed = true;
        }
        for ns in wanted {
            if self.pod_watchers.contains_key(&ns) {
                continue;
            }
            let spec = WatchSpec {
                kind: Kind::Pod,
                version: "v1".into(),
                namespace: ns.clone(),
                partial,
            };
            let handle = tokio::spawn(watch::run(self.conn.client.clone(), spec, updates.clone()));
            self.pod_watchers.insert(ns, handle);
            changed = true;
        }
        if changed {
            let _ = updates.send(Update::Session(self.session())).await;
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
                        running.sync_pod_watchers(&updates).await;
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
                Command::SwitchPods { watch } => {
                    pods = watch.clone();
                    running.pods = watch;
                    running.sync_pod_watchers(&updates).await;
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
    running.sync_pod_watchers(updates).await;
    check_permissions(&running, updates);
    Some(running)
}

fn spawn_flux_watchers(running: &Running, updates: &mpsc::Sender<Update>) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::new();
    for s in &running.served {
        let Some(kind) = kind_of(s) else { continue };
        let spec = WatchSpec {
            kind,
            version: s.version.clone(),
            namespace: running.namespace.clone(),
            partial: false,
        };
        let client = running.conn.client.clone();
        if kind == Kind::Kustomization {
            // The Kustomizations say where their workloads run: the pod watchers follow.
            let (tx, rx) = mpsc::channel(1024);
            handles.push(tokio::spawn(watch::run(client, spec, tx)));
            handles.push(tokio::spawn(tap_workload_namespaces(
                rx,
                updates.clone(),
                running.workload_namespaces.0.clone(),
            )));
        } else {
            handles.push(tokio::spawn(watch::run(client, spec, updates.clone())));
        }
    }
    handles
}

/// Passes the Kustomization watcher's updates on, keeping the set of namespaces their
/// inventories' workloads are in (`namespaces`: it changes only when a namespace comes or
/// goes, and a relist counts once it is done).
async fn tap_workload_namespaces(
    mut rx: mpsc::Receiver<Update>,
    out: mpsc::Sender<Update>,
    namespaces: watch_channel::Sender<BTreeSet<String>>,
) {
    let mut by_ks: HashMap<ObjectKey, BTreeSet<String>> = HashMap::new();
    let mut relist: Option<HashMap<ObjectKey, BTreeSet<String>>> = None;
    let of = |ks: &Kustomization| -> BTreeSet<String> {
        ks.workloads
            .iter()
            .filter(|w| !w.namespace.is_empty())
            .map(|w| w.namespace.to_string())
            .collect()
    };
    while let Some(update) = rx.recv().await {
        let mut settled = true;
        match &update {
            Update::RelistStarted(_) => {
                relist = Some(HashMap::new());
                settled = false;
            }
            Update::Relisted(Object::Kustomization(ks)) => {
                relist
                    .get_or_insert_with(HashMap::new)
                    .insert(ks.key.clone(), of(ks));
                settled = false;
            }
            Update::RelistDone(_) => {
                if let Some(r) = relist.take() {
                    by_ks = r;
                }
            }
            Update::Applied(Object::Kustomization(ks)) => {
                by_ks.insert(ks.key.clone(), of(ks));
            }
            Update::Deleted(key) => {
                by_ks.remove(key);
            }
            _ => settled = false,
        }
        if settled {
            let now: BTreeSet<String> = by_ks.values().flatten().cloned().collect();
            namespaces.send_if_modified(|current| {
                let changed = *current != now;
                if changed {
                    *current = now;
                }
                changed
            });
        }
        if out.send(update).await.is_err() {
            return;
        }
    }
}

/// One SelfSubjectAccessReview per served Flux kind (patch, in the watched namespace).
fn check_permissions(running: &Running, updates: &mpsc::Sender<Update>) {
    for s in running.served.clone() {
        let Some(kind) = kind_of(&s) else { continue };
        let client = running.conn.client.clone();
        let ns = running.namespace.clone();
        let out = updates.clone();
        tokio::spawn(async move {
            let allowed = act::can_patch(&client, &s, ns.as_deref().unwrap_or_default())
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
                    Progress::Start(s)
                    | Progress::Sent(s)
                    | Progress::Waiting(s)
                    | Progress::Step(s) => s,
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
                act::source_target(&source_served, &ns, obj)
            };
            let outcome = act::run(&client, &target, action, timeout, &progress, &source_of).await;
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
        partial: false,
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
