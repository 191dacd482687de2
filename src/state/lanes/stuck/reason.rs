//! [`Stuck`], where a release waits and why, and the reasons every stage shares: an object
//! suspended, failing or missing, and when its next run is due.

use std::time::Duration;

use jiff::Timestamp;

use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::duration::parse_go_duration;
use crate::model::key::ObjectKey;
use crate::state::lanes::lane::Stage;

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
    pub(super) fn blocked(stage: Stage, object: Option<&ObjectKey>, reason: String) -> Stuck {
        Stuck {
            stage,
            reason,
            object: object.cloned(),
            blocked: true,
            unknown: false,
        }
    }

    pub(super) fn waiting(stage: Stage, object: Option<&ObjectKey>, reason: String) -> Stuck {
        Stuck {
            blocked: false,
            ..Stuck::blocked(stage, object, reason)
        }
    }

    pub(super) fn unknown(stage: Stage, reason: String) -> Stuck {
        Stuck {
            unknown: true,
            blocked: false,
            ..Stuck::blocked(stage, None, reason)
        }
    }
}

/// `flux resume <what> <name> -n <ns>` for a suspended object.
pub(super) fn suspended(stage: Stage, key: &ObjectKey, what: &str) -> Stuck {
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
pub(super) fn held(
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
pub(super) fn missing(stage: Stage, key: &ObjectKey, kind: &str) -> Stuck {
    Stuck::blocked(
        stage,
        Some(key),
        format!("{kind} {}/{} does not exist", key.namespace, key.name),
    )
}

pub(super) fn failing(
    stage: Stage,
    key: &ObjectKey,
    status: &FluxStatus,
    doing: &str,
) -> Option<Stuck> {
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
pub(super) fn next_run(interval: Option<&str>, last: Option<Timestamp>, now: Timestamp) -> String {
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
