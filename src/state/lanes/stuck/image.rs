//! Why a release waits on the image side: the ImageRepository has not scanned the tag, or
//! the ImagePolicy has not selected it (filtered out, another tag ranks higher, or it has not
//! reconciled since the scan).

use jiff::Timestamp;

use crate::policy::rejection;

use super::reason::{Stuck, failing, held, missing, next_run};
use crate::state::lanes::index::Inputs;
use crate::state::lanes::lane::{Lane, Release, Stage};

pub(super) fn scan(
    lane: &Lane,
    release: &Release,
    inputs: Inputs<'_>,
    now: Timestamp,
    stage: Stage,
) -> Stuck {
    let Some(key) = &lane.repository else {
        return Stuck::unknown(
            stage,
            format!("ImagePolicy {} reads no ImageRepository", lane.app()),
        );
    };
    let Some(repo) = inputs.repositories.get(key) else {
        return missing(stage, key, "ImageRepository");
    };
    if let Some(s) = held(stage, key, &repo.status, "image repository", "scan") {
        return s;
    }
    let registry = inputs.scans.scan(key);
    if stage == Stage::Pushed {
        let why = registry
            .and_then(|r| r.unavailable.clone().or_else(|| r.error.clone()))
            .unwrap_or_else(|| "the registry has not been scanned by fluxdeck yet".to_owned());
        return Stuck::unknown(
            stage,
            format!("push time of {} unknown: {why}", release.tag),
        );
    }
    let pushed = release.mark(Stage::Pushed).at();
    let when =
        |t: Option<Timestamp>| t.map_or("?".to_owned(), |t| t.strftime("%H:%M:%S").to_string());
    Stuck::waiting(
        stage,
        Some(key),
        format!(
            "pushed at {} after the last scan ({}); ImageRepository {}/{} scans {}",
            when(pushed),
            when(repo.last_scan),
            key.namespace,
            key.name,
            next_run(repo.interval.as_deref(), repo.last_scan, now)
        ),
    )
}

pub(super) fn select(lane: &Lane, release: &Release, inputs: Inputs<'_>) -> Stuck {
    let stage = Stage::Selected;
    let key = &lane.policy;
    let Some(policy) = inputs.policies.get(key) else {
        return Stuck::blocked(
            stage,
            Some(key),
            format!("ImagePolicy {} is gone", lane.app()),
        );
    };
    if let Some(s) = failing(stage, key, &policy.status, "policy") {
        return s;
    }
    let exclusions = lane
        .repository
        .as_ref()
        .and_then(|r| inputs.repositories.get(r))
        .map(|r| r.exclusion_list.as_slice())
        .unwrap_or(&[]);
    if let Ok(spec) = &policy.spec
        && let Some(rule) = rejection(spec, exclusions, &release.tag)
    {
        return Stuck::blocked(
            stage,
            Some(key),
            format!("tag {} is filtered out: {rule}", release.tag),
        );
    }
    // The policy holds another tag: blocked if that one ranks higher under the policy, else
    // it simply has not reconciled since the scan.
    let ranks_higher = |other: &str| {
        policy
            .spec
            .as_ref()
            .ok()
            .and_then(|spec| spec.compile().ok())
            .is_none_or(|c| {
                c.latest(&[release.tag.as_str(), other])
                    .is_ok_and(|pick| pick == other)
            })
    };
    match policy.latest.as_ref().map(|r| r.tag.as_str()) {
        Some(other) if other != release.tag && ranks_higher(other) => Stuck::blocked(
            stage,
            Some(key),
            format!(
                "ImagePolicy {} picked {other} instead (it ranks higher under {})",
                lane.app(),
                policy.rule.as_deref().unwrap_or("its policy")
            ),
        ),
        Some(other) if other != release.tag => Stuck::waiting(
            stage,
            Some(key),
            format!(
                "ImagePolicy {} still holds {other}: it picks the new tag at its next reconcile",
                lane.app()
            ),
        ),
        _ => Stuck::waiting(
            stage,
            Some(key),
            format!("ImagePolicy {} picks it at its next reconcile", lane.app()),
        ),
    }
}
