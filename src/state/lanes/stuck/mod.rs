//! Why a release waits: the first stage it has not reached, and the reason read from the
//! objects of that stage as they are now, in words that name the object and the fix.

use std::time::Duration;

use jiff::Timestamp;

use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::duration::parse_go_duration;
use crate::model::key::ObjectKey;

use super::Inputs;
use super::{Lane, Release, Stage};

mod cluster;
mod git;
mod image;

use cluster::{apply, roll_out};
use git::{commit, fetch};
use image::{scan, select};

/// A Deployment's `progressDeadlineSeconds` when it sets none.
pub const DEFAULT_PROGRESS_DEADLINE: Duration = Duration::from_secs(600);

/// Where a release waits and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The first stage not reached.
    pub stage: Stage,
    /// Why, naming the object and what to do.
    pub reason: String,
    /// The object the reason is about.
    pub object: Option<ObjectKey>,
    /// What blocks it, against a normal wait (an interval, a rollout in progress).
    pub blocked: bool,
    /// fluxdeck cannot read what this stage depends on (no registry or git access, pods
    /// not watched): the stage is unknown, not late.
    pub unknown: bool,
}

impl Stuck {
    fn blocked(stage: Stage, object: Option<&ObjectKey>, reason: String) -> Stuck {
        Stuck {
            stage,
            reason,
            object: object.cloned(),
            blocked: true,
            unknown: false,
        }
    }

    fn waiting(stage: Stage, object: Option<&ObjectKey>, reason: String) -> Stuck {
        Stuck {
            blocked: false,
            ..Stuck::blocked(stage, object, reason)
        }
    }

    fn unknown(stage: Stage, reason: String) -> Stuck {
        Stuck {
            unknown: true,
            blocked: false,
            ..Stuck::blocked(stage, None, reason)
        }
    }
}

/// Why `release` of `lane` has not rolled out; `None` once it has.
pub fn why(lane: &Lane, release: &Release, inputs: Inputs<'_>, now: Timestamp) -> Option<Stuck> {
    let stage = release.waiting_at()?;
    if let Some(newer) = &release.superseded_by {
        return Some(Stuck::blocked(
            stage,
            Some(&lane.policy),
            format!("superseded by {newer} before it rolled out"),
        ));
    }
    Some(match stage {
        Stage::Pushed | Stage::Scanned => scan(lane, release, inputs, now, stage),
        Stage::Selected => select(lane, release, inputs),
        Stage::Committed => commit(lane, inputs, now),
        Stage::Fetched => fetch(lane, inputs, now),
        Stage::Applied => apply(lane, inputs),
        Stage::RolledOut => roll_out(lane, release, inputs, now),
    })
}

/// `flux resume <what> <name> -n <ns>` for a suspended object.
fn suspended(stage: Stage, key: &ObjectKey, what: &str) -> Stuck {
    Stuck::blocked(
        stage,
        Some(key),
        format!(
            "{} {}/{} is suspended: resume it (`flux resume {what} {} -n {}`, or `r` in fluxdeck)",
            key.kind, key.namespace, key.name, key.name, key.namespace
        ),
    )
}

/// Why an object a stage reads holds the lane back: it is suspended (`resume` is its noun in
/// `flux resume`), or its `doing` is failing.
fn held(
    stage: Stage,
    key: &ObjectKey,
    status: &FluxStatus,
    resume: &str,
    doing: &str,
) -> Option<Stuck> {
    if status.suspended {
        return Some(suspended(stage, key, resume));
    }
    failing(stage, key, status, doing)
}

/// The object a stage reads, a `kind`, does not exist.
fn missing(stage: Stage, key: &ObjectKey, kind: &str) -> Stuck {
    Stuck::blocked(
        stage,
        Some(key),
        format!("{kind} {}/{} does not exist", key.namespace, key.name),
    )
}

fn failing(stage: Stage, key: &ObjectKey, status: &FluxStatus, doing: &str) -> Option<Stuck> {
    matches!(status.readiness(), Readiness::Failed | Readiness::Stalled).then(|| {
        let reason = status.ready.as_ref().map_or("", |c| c.reason.as_str());
        Stuck::blocked(
            stage,
            Some(key),
            format!(
                "{} {}/{} {doing} failing ({reason}): {}",
                key.kind,
                key.namespace,
                key.name,
                status.message()
            ),
        )
    })
}

/// "every 1m, next in 40 s" from an interval and the last run.
fn next_run(interval: Option<&str>, last: Option<Timestamp>, now: Timestamp) -> String {
    let Some(every) = interval
        .and_then(parse_go_duration)
        .filter(|d| !d.is_zero())
    else {
        return "on its next reconcile".to_owned();
    };
    let shown = interval.unwrap_or("");
    let Some(last) = last else {
        return format!("every {shown}");
    };
    let elapsed = now.duration_since(last).as_secs().max(0) as u64;
    let period = every.as_secs().max(1);
    // Flux requeues after each run, so the next one is the first period boundary ahead.
    let left = period - (elapsed % period);
    format!("every {shown}, next in about {left} s")
}
