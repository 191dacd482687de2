//! Why a release waits on git: the ImageUpdateAutomation has not committed the tag (no
//! setter marker refers to the policy, the marker is outside its update path, it is
//! suspended or failing), or the source has not fetched the commit.

use jiff::Timestamp;

use crate::model::key::ObjectKey;

use super::reason::{Stuck, held, missing, next_run};
use crate::state::lanes::index::Inputs;
use crate::state::lanes::lane::{Lane, Stage};

pub(super) fn commit(lane: &Lane, inputs: Inputs<'_>, now: Timestamp) -> Stuck {
    let stage = Stage::Committed;
    let Some(key) = lane.automations.first() else {
        return Stuck::blocked(
            stage,
            Some(&lane.policy),
            format!(
                "no ImageUpdateAutomation in namespace {} applies ImagePolicy {}: create one, \
                 or add a marker `# {{\"$imagepolicy\": \"{}:{}\"}}` where the image is set",
                lane.policy.namespace, lane.policy.name, lane.policy.namespace, lane.policy.name
            ),
        );
    };
    for k in &lane.automations {
        let Some(a) = inputs.automations.get(k) else {
            continue;
        };
        if let Some(s) = held(stage, k, &a.status, "image update", "update") {
            return s;
        }
    }
    if let Some(s) = git_unknown(lane, inputs, stage) {
        return s;
    }
    if let Some(s) = markers(lane, inputs) {
        return s;
    }
    let a = inputs.automations.get(key);
    Stuck::waiting(
        stage,
        Some(key),
        format!(
            "ImageUpdateAutomation {}/{} runs when its policies change, and {}",
            key.namespace,
            key.name,
            next_run(
                a.and_then(|a| a.interval.as_deref()),
                a.and_then(|a| a.last_run),
                now
            )
        ),
    )
}

/// Unknown when fluxdeck cannot read the repository the automations push to.
fn git_unknown(lane: &Lane, inputs: Inputs<'_>, stage: Stage) -> Option<Stuck> {
    let Some(source) = &lane.source else {
        return Some(Stuck::unknown(
            stage,
            "the automation names no GitRepository".to_owned(),
        ));
    };
    let id = format!("{}/{}", source.namespace, source.name);
    match inputs.commit_logs.all().get(&id) {
        None => Some(Stuck::unknown(
            stage,
            format!("the commits of GitRepository {id} are not read (no git access)"),
        )),
        Some(log) if log.commits.is_empty() => Some(Stuck::unknown(
            stage,
            format!(
                "the commits of GitRepository {id} cannot be read: {}",
                log.error.as_deref().unwrap_or("not loaded yet")
            ),
        )),
        Some(_) => None,
    }
}

/// Whether the setter marker names `policy` (`ns:name`, optionally `:tag` or `:name`).
fn refers_to(setter: &str, policy: &ObjectKey) -> bool {
    let mut parts = setter.split(':');
    parts.next() == Some(policy.namespace.as_str()) && parts.next() == Some(policy.name.as_str())
}

/// A path of `update.path` as a prefix of repository paths (`./deploy/` → `deploy/`, the
/// root → ``).
fn path_prefix(path: Option<&str>) -> String {
    let p = path.unwrap_or("").trim();
    let p = p.trim_start_matches("./").trim_start_matches('/');
    let p = p.trim_end_matches('/');
    if p.is_empty() || p == "." {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// Blocked when no marker in the repository refers to the policy, or every one lies outside
/// the automations' `update.path`.
fn markers(lane: &Lane, inputs: Inputs<'_>) -> Option<Stuck> {
    let stage = Stage::Committed;
    let source = lane.source.as_ref()?;
    let id = format!("{}/{}", source.namespace, source.name);
    let log = inputs.commit_logs.all().get(&id)?;
    let mine: Vec<_> = log
        .markers
        .iter()
        .filter(|m| refers_to(&m.setter, &lane.policy))
        .collect();
    if mine.is_empty() {
        return Some(Stuck::blocked(
            stage,
            Some(&lane.policy),
            format!(
                "no setter marker in GitRepository {id} refers to ImagePolicy {}: add \
                 `# {{\"$imagepolicy\": \"{}:{}:tag\"}}` after the image's tag",
                lane.app(),
                lane.policy.namespace,
                lane.policy.name
            ),
        ));
    }
    let automations: Vec<_> = lane
        .automations
        .iter()
        .filter_map(|k| inputs.automations.get(k))
        .collect();
    let covered = mine.iter().any(|m| {
        automations
            .iter()
            .any(|a| m.file.starts_with(&path_prefix(a.update_path.as_deref())))
    });
    if covered || automations.is_empty() {
        return None;
    }
    let m = mine[0];
    let a = automations[0];
    Some(Stuck::blocked(
        stage,
        Some(&a.key),
        format!(
            "the marker for ImagePolicy {} is in {}:{}, outside ImageUpdateAutomation {}/{}'s \
             update.path `{}`: widen update.path or move the manifest",
            lane.app(),
            m.file,
            m.line,
            a.key.namespace,
            a.key.name,
            a.update_path.as_deref().unwrap_or("./")
        ),
    ))
}

pub(super) fn fetch(lane: &Lane, inputs: Inputs<'_>, now: Timestamp) -> Stuck {
    let stage = Stage::Fetched;
    let Some(key) = &lane.source else {
        return Stuck::unknown(stage, "the automation names no GitRepository".to_owned());
    };
    let Some(source) = inputs.sources.get(key) else {
        return missing(stage, key, "GitRepository");
    };
    if let Some(s) = held(stage, key, &source.status, "source git", "fetch") {
        return s;
    }
    if let Some(s) = git_unknown(lane, inputs, stage) {
        return s;
    }
    Stuck::waiting(
        stage,
        Some(key),
        format!(
            "GitRepository {}/{} fetches {}",
            key.namespace,
            key.name,
            next_run(source.interval.as_deref(), source.artifact_time, now)
        ),
    )
}
