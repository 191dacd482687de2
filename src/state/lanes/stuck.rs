//! Why a release waits: the first stage it has not reached, and the reason read from the
//! objects of that stage as they are now, in words that name the object and the fix.

use std::time::Duration;

use jiff::Timestamp;

use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::duration::parse_go_duration;
use crate::model::key::ObjectKey;
use crate::policy::rejection;

use super::Inputs;
use super::index::normalize_image;
use super::{Lane, Release, Stage};

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

fn scan(lane: &Lane, release: &Release, inputs: Inputs<'_>, now: Timestamp, stage: Stage) -> Stuck {
    let Some(key) = &lane.repository else {
        return Stuck::unknown(
            stage,
            format!("ImagePolicy {} reads no ImageRepository", lane.app()),
        );
    };
    let Some(repo) = inputs.repositories.get(key) else {
        return Stuck::blocked(
            stage,
            Some(key),
            format!(
                "ImageRepository {}/{} does not exist",
                key.namespace, key.name
            ),
        );
    };
    if repo.status.suspended {
        return suspended(stage, key, "image repository");
    }
    if let Some(s) = failing(stage, key, &repo.status, "scan") {
        return s;
    }
    let registry = inputs.registry.scan(key);
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

fn select(lane: &Lane, release: &Release, inputs: Inputs<'_>) -> Stuck {
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

fn commit(lane: &Lane, inputs: Inputs<'_>, now: Timestamp) -> Stuck {
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
        if a.status.suspended {
            return suspended(stage, k, "image update");
        }
        if let Some(s) = failing(stage, k, &a.status, "update") {
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

fn fetch(lane: &Lane, inputs: Inputs<'_>, now: Timestamp) -> Stuck {
    let stage = Stage::Fetched;
    let Some(key) = &lane.source else {
        return Stuck::unknown(stage, "the automation names no GitRepository".to_owned());
    };
    let Some(source) = inputs.sources.get(key) else {
        return Stuck::blocked(
            stage,
            Some(key),
            format!(
                "GitRepository {}/{} does not exist",
                key.namespace, key.name
            ),
        );
    };
    if source.status.suspended {
        return suspended(stage, key, "source git");
    }
    if let Some(s) = failing(stage, key, &source.status, "fetch") {
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

fn apply(lane: &Lane, inputs: Inputs<'_>) -> Stuck {
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

fn roll_out(lane: &Lane, release: &Release, inputs: Inputs<'_>, now: Timestamp) -> Stuck {
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
