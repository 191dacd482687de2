//! `fluxdeck status`: the TUI's workers and `State` without the UI. It waits until every
//! watched kind's first list is done, prints Flux's objects like `flux get all` (a table, or
//! JSON / YAML for scripts) and exits 0 when all of them are Ready, 1 otherwise.
//!
//! The report is built from `&State` by the pure [`report`], so what scripts read is what
//! the TUI shows; `-o json` follows `schema/status.schema.json`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use jiff::Timestamp;
use serde::Serialize;

use super::GlobalArgs;
use super::tui::{SourceArgs, cluster_config_with, pods_watch_for, router_config};
use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::key::{Kind, ObjectKey};
use crate::state::{PodsWatch, State, WatchState};
use crate::workers::Channels;

/// Print Flux objects like `flux get all`; exit 0 when all are Ready, 1 otherwise
///
/// Starts the same workers as the TUI (cluster watchers, git worker, registry scanner),
/// waits until the first list of every Flux kind (and of the pods of --app-namespace) is
/// done, prints Kustomizations, sources, ImageRepositories, ImagePolicies and
/// ImageUpdateAutomations with Ready, suspended, message and revisions, and exits.
///
/// Exit status: 0 when every object is Ready and not suspended, and no release lane is
/// stuck; 1 otherwise (a failing, stalled, unknown or suspended object, a spec not
/// reconciled yet, a kind the API refused to list), or when the lists do not finish within
/// --timeout. An object in a periodic reconcile of its current generation (Ready=Unknown,
/// Progressing) counts as Ready. Kinds the cluster does not serve (e.g. no image
/// controllers) are reported and do not fail the status.
///
/// Namespaces: `-n NS` reports NS only; without it (or with `-A`) every namespace.
///
/// Examples:
///   fluxdeck status
///   fluxdeck status -n flux-system -o json | jq '.kustomizations[] | select(.ok | not)'
///   fluxdeck --kubeconfig ./kc status -A -o yaml
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment)]
pub struct StatusArgs {
    /// Output format: `table` (aligned columns like `flux get all`), `json` (see
    /// schema/status.schema.json) or `yaml` (the same document).
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table")]
    pub output: Format,
    /// How long to wait for the first lists (e.g. `30s`, `2m`).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Which pods the release lanes read: a namespace, `all`, or `auto` (the default: the
    /// namespaces of the Kustomizations' workloads, or all namespaces with -A).
    #[arg(long, value_name = "NS")]
    pub app_namespace: Option<String>,
    /// Where commits and image tags come from, as for the TUI.
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// The output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, a section per kind.
    Table,
    /// One JSON document (schema/status.schema.json).
    Json,
    /// The JSON document as YAML.
    Yaml,
}

/// A duration flag: Go's syntax (`90s`, `5m`, `1m30s`, `500ms`), as the flux CLI takes it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::model::duration::parse_go_duration(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{text}` is not a duration; write it like 30s, 5m or 1m30s"))
}

/// What `status` reports: the JSON document of `-o json` (schema/status.schema.json).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The kubeconfig context.
    pub context: Option<String>,
    /// The namespace reported; `None` for all namespaces.
    pub namespace: Option<String>,
    /// Whether every object is Ready and not suspended and no lane is stuck (exit 0).
    pub ok: bool,
    /// Kustomizations.
    pub kustomizations: Vec<ObjectStatus>,
    /// GitRepositories, OCIRepositories, Buckets and HelmRepositories.
    pub sources: Vec<ObjectStatus>,
    /// ImageRepositories.
    pub image_repositories: Vec<ObjectStatus>,
    /// ImagePolicies.
    pub image_policies: Vec<ObjectStatus>,
    /// ImageUpdateAutomations.
    pub image_update_automations: Vec<ObjectStatus>,
    /// Kinds that could not be listed: refused by RBAC, or not served by the cluster.
    pub unavailable: Vec<Unavailable>,
    /// The release lanes: one per ImagePolicy, from push to rolled-out pods.
    pub lanes: Vec<Lane>,
}

/// One Flux object, as `flux get` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    /// The Kubernetes kind, e.g. `Kustomization`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The Ready condition's status (`True`, `False`, `Unknown`); `None` without one.
    pub ready: Option<String>,
    /// fluxdeck's one-word health: Ready, Failed, Stalled, Progressing, Terminating, Unknown.
    pub status: String,
    /// `spec.suspend`.
    pub suspended: bool,
    /// The Ready condition's reason.
    pub reason: Option<String>,
    /// The Ready condition's message.
    pub message: String,
    /// Whether this object counts as healthy ([`healthy`]): Ready (or in a periodic
    /// reconcile of its current generation) and not suspended.
    pub ok: bool,
    /// Kustomization: `status.lastAppliedRevision`; source: `status.artifact.revision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Kustomization: `status.lastAttemptedRevision`, when it differs from the applied one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// ImageRepository: when the last scan ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_scan: Option<Timestamp>,
    /// ImageRepository: how many tags the last scan found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<i64>,
    /// ImagePolicy: the image the policy selected (`name:tag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_image: Option<String>,
    /// ImageUpdateAutomation: when it last ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run: Option<Timestamp>,
    /// ImageUpdateAutomation: the last commit it pushed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_push_commit: Option<String>,
}

/// A kind fluxdeck could not list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unavailable {
    /// The Kubernetes kind.
    pub kind: String,
    /// `forbidden` (RBAC refused the list; fails the status) or `notServed` (the controller
    /// is not installed; reported only).
    pub state: String,
    /// The missing permission or what discovery found.
    pub reason: String,
}

/// One release lane: an image from registry push to rolled-out pods.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lane {
    /// The ImagePolicy, `namespace/name`.
    pub app: String,
    /// The image repository.
    pub image: String,
    /// The tag travelling the lane, when one is known.
    pub tag: Option<String>,
    /// The furthest stage reached.
    pub stage: LaneStage,
    /// Whether the tag runs in every pod of the workload.
    pub rolled_out: bool,
    /// Each stage reached, in order.
    pub stages: Vec<LaneStep>,
    /// Why the lane does not move on, when it is stuck.
    pub stuck: Option<Stuck>,
}

/// The stages of a release lane, in order (serialised kebab-case: `rolled-out`).
pub use crate::state::Stage as LaneStage;

/// When a lane reached one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaneStep {
    /// Which stage.
    pub stage: LaneStage,
    /// When it was reached, if known.
    pub at: Option<Timestamp>,
    /// Seconds since the previous stage, if both times are known.
    pub seconds: Option<f64>,
}

/// Why a lane is stuck.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stuck {
    /// The stage it cannot reach.
    pub stage: LaneStage,
    /// Why, in Flux's words.
    pub reason: String,
    /// The object holding it back, `Kind/namespace/name`.
    pub object: Option<String>,
}

/// The report of `state`: every Flux object of the watched namespaces, the kinds that could
/// not be listed, and the release lanes. Pure, so the exit status is unit-testable.
pub fn report(state: &State) -> StatusReport {
    let session = state.session();
    let kustomizations: Vec<ObjectStatus> = state
        .kustomizations()
        .iter()
        .map(|k| ObjectStatus {
            revision: k.last_applied_revision.clone(),
            last_attempted_revision: k
                .last_attempted_revision
                .clone()
                .filter(|a| Some(a) != k.last_applied_revision.as_ref()),
            ..object_status(&k.key, &k.status)
        })
        .collect();
    let sources: Vec<ObjectStatus> = state
        .sources()
        .iter()
        .map(|s| ObjectStatus {
            revision: s.artifact_revision.clone(),
            ..object_status(&s.key, &s.status)
        })
        .collect();
    let image_repositories: Vec<ObjectStatus> = state
        .image_repositories()
        .iter()
        .map(|r| ObjectStatus {
            last_scan: r.last_scan,
            tags: r.tag_count,
            ..object_status(&r.key, &r.status)
        })
        .collect();
    let image_policies: Vec<ObjectStatus> = state
        .image_policies()
        .iter()
        .map(|p| ObjectStatus {
            latest_image: p.latest.as_ref().map(|l| format!("{}:{}", l.name, l.tag)),
            ..object_status(&p.key, &p.status)
        })
        .collect();
    let image_update_automations: Vec<ObjectStatus> = state
        .image_automations()
        .iter()
        .map(|a| ObjectStatus {
            last_run: a.last_run,
            last_push_commit: a.last_push_commit.clone(),
            ..object_status(&a.key, &a.status)
        })
        .collect();
    let unavailable: Vec<Unavailable> = state
        .watchers()
        .iter()
        .filter(|(kind, _)| kind.is_flux())
        .filter_map(|(kind, watch)| {
            let (state, reason) = match watch {
                WatchState::Forbidden { permission } => {
                    ("forbidden", format!("missing permission: {permission}"))
                }
                WatchState::NotServed { reason } => ("notServed", reason.clone()),
                _ => return None,
            };
            Some(Unavailable {
                kind: kind.name().to_owned(),
                state: state.to_owned(),
                reason,
            })
        })
        .collect();
    let now = Timestamp::now();
    let lanes: Vec<Lane> = state
        .lanes()
        .iter()
        .map(|lane| lane_report(state, lane, now))
        .collect();
    let ok = [
        &kustomizations,
        &sources,
        &image_repositories,
        &image_policies,
        &image_update_automations,
    ]
    .iter()
    .all(|objects| objects.iter().all(|o| o.ok))
        && unavailable.iter().all(|u| u.state != "forbidden")
        && lanes.iter().all(|l| l.stuck.is_none());
    StatusReport {
        context: session.context.clone(),
        namespace: session.namespace.clone(),
        ok,
        kustomizations,
        sources,
        image_repositories,
        image_policies,
        image_update_automations,
        unavailable,
        lanes,
    }
}

/// One release lane: its current release's stages and why it waits.
pub fn lane_report(state: &State, lane: &crate::state::Lane, now: Timestamp) -> Lane {
    release_report(state, lane, lane.current(), now)
}

/// One release of a lane (`None`: the lane has none yet), as `status` and `wait` report it.
pub fn release_report(
    state: &State,
    lane: &crate::state::Lane,
    current: Option<&crate::state::Release>,
    now: Timestamp,
) -> Lane {
    let stages = current
        .map(|r| {
            crate::state::Stage::ALL
                .iter()
                .filter(|s| r.mark(**s).reached())
                .map(|s| LaneStep {
                    stage: *s,
                    at: r.mark(*s).at(),
                    seconds: r.duration(*s).map(|d| d.as_secs_f64()),
                })
                .collect()
        })
        .unwrap_or_default();
    Lane {
        app: lane.app(),
        image: lane.image.clone().unwrap_or_default(),
        tag: current.map(|r| r.tag.clone()),
        stage: current
            .and_then(|r| r.last_reached())
            .unwrap_or(LaneStage::Pushed),
        rolled_out: current.is_some_and(|r| r.rolled_out()),
        stages,
        stuck: current
            .and_then(|r| state.stuck(lane, r, now))
            .map(|s| Stuck {
                stage: s.stage,
                reason: s.reason,
                object: s
                    .object
                    .map(|k| format!("{}/{}/{}", k.kind, k.namespace, k.name)),
            }),
    }
}

/// The fields every kind shares.
fn object_status(key: &ObjectKey, status: &FluxStatus) -> ObjectStatus {
    let readiness = status.readiness();
    ObjectStatus {
        kind: key.kind.name().to_owned(),
        namespace: key.namespace.to_string(),
        name: key.name.to_string(),
        ready: status.ready.as_ref().map(|c| c.status.as_str().to_owned()),
        status: readiness.as_str().to_owned(),
        suspended: status.suspended,
        reason: status
            .ready
            .as_ref()
            .map(|c| c.reason.to_string())
            .filter(|r| !r.is_empty()),
        message: status.message().to_owned(),
        ok: healthy(status),
        revision: None,
        last_attempted_revision: None,
        last_scan: None,
        tags: None,
        latest_image: None,
        last_run: None,
        last_push_commit: None,
    }
}

/// Whether an object counts as healthy: not suspended, and Ready, or in a periodic
/// reconcile of a spec it had already reconciled (Ready=Unknown `Progressing` at its
/// current generation: every controller passes through it on each run, so counting it as a
/// failure would make `status` flaky). A spec not reconciled yet, a failure, a stall, a
/// deletion or no Ready condition at all is not healthy.
pub fn healthy(status: &FluxStatus) -> bool {
    !status.suspended
        && match status.readiness() {
            Readiness::Ready => true,
            Readiness::Progressing => status.generation_observed() && status.ready.is_some(),
            _ => false,
        }
}

/// One section of the table: its objects, the header of its kind's column, and the value.
type Section<'a> = (&'a [ObjectStatus], &'a str, fn(&ObjectStatus) -> String);

/// The report as aligned columns, a section per kind with objects, like `flux get all`:
/// names are `kind/name`, a NAMESPACE column leads when all namespaces are reported.
pub fn table(report: &StatusReport) -> String {
    let all_namespaces = report.namespace.is_none();
    let sections: [Section; 5] = [
        (&report.sources, "REVISION", |o| {
            o.revision.clone().unwrap_or_default()
        }),
        (&report.kustomizations, "REVISION", |o| {
            o.revision.clone().unwrap_or_default()
        }),
        (&report.image_repositories, "LAST SCAN", |o| {
            o.last_scan.map(|t| t.to_string()).unwrap_or_default()
        }),
        (&report.image_policies, "LATEST IMAGE", |o| {
            o.latest_image.clone().unwrap_or_default()
        }),
        (&report.image_update_automations, "LAST RUN", |o| {
            o.last_run.map(|t| t.to_string()).unwrap_or_default()
        }),
    ];
    let mut out = String::new();
    for (objects, column, value) in sections {
        if objects.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut header = Vec::new();
        if all_namespaces {
            header.push("NAMESPACE".to_owned());
        }
        header.extend(
            ["NAME", column, "SUSPENDED", "READY", "MESSAGE"]
                .iter()
                .map(|h| (*h).to_owned()),
        );
        rows.push(header);
        for o in objects {
            let mut row = Vec::new();
            if all_namespaces {
                row.push(o.namespace.clone());
            }
            row.extend([
                format!("{}/{}", o.kind.to_lowercase(), o.name),
                value(o),
                if o.suspended { "True" } else { "False" }.to_owned(),
                o.ready.clone().unwrap_or_else(|| "Unknown".to_owned()),
                o.message.replace('\n', " "),
            ]);
            rows.push(row);
        }
        write_aligned(&mut out, &rows);
    }
    if !report.lanes.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows = vec![
            ["APP", "TAG", "STAGE", "ROLLED OUT", "WAITING ON"]
                .iter()
                .map(|h| (*h).to_owned())
                .collect::<Vec<_>>(),
        ];
        for l in &report.lanes {
            let stage = l.stage.name().to_owned();
            rows.push(vec![
                l.app.clone(),
                l.tag.clone().unwrap_or_else(|| "-".to_owned()),
                stage,
                if l.rolled_out { "True" } else { "False" }.to_owned(),
                l.stuck
                    .as_ref()
                    .map(|s| s.reason.clone())
                    .unwrap_or_default(),
            ]);
        }
        write_aligned(&mut out, &rows);
    }
    for u in &report.unavailable {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}: {} ({})", u.kind, u.state, u.reason);
    }
    out
}

/// Writes rows with every column but the last padded to its widest cell, three spaces apart.
fn write_aligned(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let width = widths.get(c).copied().unwrap_or(0);
                let _ = write!(line, "{cell:<width$}   ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

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
    /// The router's.
    pub router: crate::workers::router::RouterConfig,
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
            router: router_config(sources)?,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
            pods,
        })
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
            .is_none_or(|r| state.registry().scan(r).is_some());
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

/// Runs `fluxdeck status`.
pub fn run(global: &GlobalArgs, args: StatusArgs) -> anyhow::Result<ExitCode> {
    super::init_logging(global);
    let Headless {
        pods,
        cluster,
        router,
        runtime,
    } = Headless::new(global, args.app_namespace.as_deref(), &args.sources)?;
    let report = runtime.block_on(async {
        let (mut channels, tasks) = crate::workers::start(cluster, router);
        let state = collect(&mut channels, pods, args.timeout).await;
        drop(tasks);
        state.map(|s| report(&s))
    })?;
    // Workers may still hold blocking threads (git); do not wait for them.
    runtime.shutdown_background();
    let text = match args.output {
        Format::Table => table(&report),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        Format::Yaml => serde_saphyr::to_string(&report)?,
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error of the status.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object::Object;
    use crate::state::{Session, Update};
    use serde_json::json;

    fn ks(name: &str, ready: &str, suspend: bool) -> Update {
        let v = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
            "spec": {"suspend": suspend, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"observedGeneration": 1, "lastAppliedRevision": "main@sha1:abc",
                "conditions": [{"type": "Ready", "status": ready, "reason": "ReconciliationSucceeded",
                                "message": "Applied revision: main@sha1:abc"}]}
        });
        Update::Applied(Object::parse(Kind::Kustomization, &v).unwrap())
    }

    fn state(updates: Vec<Update>) -> State {
        let mut s = State::new(crate::state::PodsWatch::Namespace("sock-shop".into()));
        s.apply(Update::Session(Session {
            context: Some("ctx".into()),
            namespace: None,
            ..Session::default()
        }));
        for u in updates {
            s.apply(u);
        }
        s
    }

    #[test]
    fn all_ready_is_ok_and_a_failing_or_suspended_object_is_not() {
        let good = report(&state(vec![ks("apps", "True", false)]));
        assert!(good.ok);
        assert_eq!(
            good.kustomizations[0].revision.as_deref(),
            Some("main@sha1:abc")
        );
        assert_eq!(good.context.as_deref(), Some("ctx"));
        let failing = report(&state(vec![
            ks("apps", "True", false),
            ks("infra", "False", false),
        ]));
        assert!(!failing.ok);
        assert_eq!(failing.kustomizations[1].status, "Failed");
        let suspended = report(&state(vec![ks("apps", "True", true)]));
        assert!(!suspended.ok);
        assert!(suspended.kustomizations[0].suspended);
        assert!(suspended.lanes.is_empty());
    }

    #[test]
    fn a_periodic_reconcile_is_healthy_and_an_unreconciled_spec_is_not() {
        let status = |generation: i64, observed: i64| {
            FluxStatus::parse(&json!({
                "metadata": {"generation": generation},
                "status": {"observedGeneration": observed, "conditions": [
                    {"type": "Reconciling", "status": "True", "reason": "Progressing"},
                    {"type": "Ready", "status": "Unknown", "reason": "Progressing",
                     "message": "Reconciliation in progress"}]}
            }))
        };
        assert_eq!(status(3, 3).readiness(), Readiness::Progressing);
        assert!(healthy(&status(3, 3)));
        assert!(!healthy(&status(4, 3)));
        assert!(!healthy(&FluxStatus::parse(
            &json!({"metadata": {"generation": 1}})
        )));
    }

    #[test]
    fn forbidden_kinds_fail_and_kinds_not_served_are_only_reported() {
        let not_served = Update::Watch {
            kind: Kind::ImagePolicy,
            state: WatchState::NotServed {
                reason: "not installed".into(),
            },
        };
        let r = report(&state(vec![ks("apps", "True", false), not_served.clone()]));
        assert!(r.ok);
        assert_eq!(r.unavailable[0].state, "notServed");
        let forbidden = Update::Watch {
            kind: Kind::Bucket,
            state: WatchState::Forbidden {
                permission: "list buckets".into(),
            },
        };
        let r = report(&state(vec![ks("apps", "True", false), forbidden]));
        assert!(!r.ok);
        assert!(r.unavailable[0].reason.contains("list buckets"));
    }

    #[test]
    fn the_table_aligns_columns_per_kind() {
        let r = report(&state(vec![
            ks("apps", "True", false),
            ks("infrastructure", "False", true),
        ]));
        let text = table(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("NAMESPACE     NAME "), "{text}");
        let col = |l: &str| l.find("main@sha1").unwrap();
        assert_eq!(col(lines[1]), col(lines[2]), "{text}");
        assert_eq!(lines[0].find("REVISION"), Some(col(lines[1])), "{text}");
        assert!(lines[2].contains("kustomization/infrastructure"), "{text}");
        assert!(lines[2].contains("True        False"), "{text}");
    }

    #[test]
    fn durations_read_like_the_flux_cli() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("soon").unwrap_err().contains("30s"));
        assert!(parse_duration("0s").is_err());
    }
}
