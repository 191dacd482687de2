//! Why a release waits in the cluster: the Kustomization has not applied the revision, or
//! the pods do not run the tag yet (a pull or crash failure, or a rollout past its deadline).

use jiff::Timestamp;

use crate::model::conditions::Readiness;

use super::reason::{DEFAULT_PROGRESS_DEADLINE, Stuck, failing, suspended};
use crate::state::lanes::index::{Inputs, normalize_image};
use crate::state::lanes::lane::{Lane, Release, Stage};

/// Pod states that do not heal by waiting.
const POD_FAILURES: [&str; 8] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "CrashLoopBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "OOMKilled",
];

pub(super) fn apply(lane: &Lane, inputs: Inputs<'_>) -> Stuck {
    let stage = Stage::Applied;
    if lane.kustomizations.is_empty() {
        return Stuck::unknown(
            stage,
            format!(
                "no Kustomization is known to apply the app (none holds its workloads{})",
                lane.source
                    .as_ref()
                    .map(|s| format!(" or reads GitRepository {}/{}", s.namespace, s.name))
                    .unwrap_or_default()
            ),
        );
    }
    for key in &lane.kustomizations {
        let Some(ks) = inputs.kustomizations.get(key) else {
            continue;
        };
        if ks.status.suspended {
            return suspended(stage, key, "kustomization");
        }
        for dep in &ks.depends_on {
            let ready = inputs
                .kustomizations
                .get(dep)
                .map(|d| (d.status.readiness(), d.status.message().to_owned()));
            match ready {
                Some((Readiness::Ready, _)) => {}
                Some((r, message)) => {
                    return Stuck::blocked(
                        stage,
                        Some(dep),
                        format!(
                            "Kustomization {}/{} waits on dependsOn {}/{}, which is {}: {message}",
                            key.namespace,
                            key.name,
                            dep.namespace,
                            dep.name,
                            r.as_str()
                        ),
                    );
                }
                None => {
                    return Stuck::blocked(
                        stage,
                        Some(dep),
                        format!(
                            "Kustomization {}/{} depends on {}/{}, which does not exist",
                            key.namespace, key.name, dep.namespace, dep.name
                        ),
                    );
                }
            }
        }
        if let Some(s) = failing(stage, key, &ks.status, "build/apply") {
            return s;
        }
    }
    let key = &lane.kustomizations[0];
    Stuck::waiting(
        stage,
        Some(key),
        format!(
            "Kustomization {}/{} applies the new revision on its next reconcile",
            key.namespace, key.name
        ),
    )
}

pub(super) fn roll_out(
    lane: &Lane,
    release: &Release,
    inputs: Inputs<'_>,
    now: Timestamp,
) -> Stuck {
    let stage = Stage::RolledOut;
    let image = lane.image.as_deref().map(normalize_image);
    let pods: Vec<_> = lane
        .pods
        .iter()
        .filter_map(|k| inputs.pods.get(k))
        .filter(|p| p.status != "Terminating")
        .collect();
    if pods.is_empty() {
        return Stuck::unknown(
            stage,
            "no pod running the image is watched (its namespace may not be watched)".to_owned(),
        );
    }
    if let Some(bad) = pods
        .iter()
        .find(|p| POD_FAILURES.contains(&p.status.as_str()))
    {
        return Stuck::blocked(
            stage,
            Some(&bad.key),
            format!(
                "pod {}/{} is in {} ({} restarts): see its events and logs",
                bad.key.namespace, bad.key.name, bad.status, bad.restarts
            ),
        );
    }
    let done = pods
        .iter()
        .filter(|p| {
            p.ready == p.total
                && image.as_deref().is_some_and(|i| {
                    p.images.iter().any(|x| {
                        normalize_image(x) == i
                            && crate::model::image::ImageRef::parse(x).tag == release.tag
                    })
                })
        })
        .count();
    if let Some(applied) = release.mark(Stage::Applied).at()
        && now.duration_since(applied).as_secs() as u64 > DEFAULT_PROGRESS_DEADLINE.as_secs()
    {
        return Stuck::blocked(
            stage,
            lane.pods.first(),
            format!(
                "the rollout is past its progress deadline ({} s by default): {done} of {} pods run {} and are Ready",
                DEFAULT_PROGRESS_DEADLINE.as_secs(),
                pods.len(),
                release.tag
            ),
        );
    }
    Stuck::waiting(
        stage,
        None,
        format!(
            "rolling out: {done} of {} pods run {} and are Ready",
            pods.len(),
            release.tag
        ),
    )
}
