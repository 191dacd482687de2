//! The report `status` prints: the document of `-o json` (schema/status.schema.json), built
//! by the pure [`report`] from `&State` so that what scripts read is what the TUI shows, and
//! the health rule that decides the exit status.

use jiff::Timestamp;
use serde::Serialize;

use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::key::ObjectKey;
use crate::state::{State, WatchState};

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
