//! [`Lanes::refresh`]: one lane's releases brought up to date with its objects, each stage
//! marked from the object that records it.

use jiff::Timestamp;

use crate::model::key::ObjectKey;
use crate::model::revision::commit_sha;

use super::index::{Inputs, Lanes, RepoHistory, normalize_image, pod_tag};
use super::lane::{CommitRef, KEPT_RELEASES, Lane, Mark, Release, Stage};

impl Lanes {
    /// Brings lane `key` up to date with its objects. `trigger` is the stage whose object
    /// changed in a live update: that stage, if this update completes it, takes `now` as its
    /// time when its object records none.
    pub(super) fn refresh(
        &mut self,
        key: &ObjectKey,
        inputs: Inputs<'_>,
        trigger: Option<Stage>,
        now: Timestamp,
    ) {
        let Some(lane) = self.lanes.get_mut(key) else {
            return;
        };
        let before = (lane.releases.clone(), lane.pods.len());
        let history = lane
            .source
            .as_ref()
            .and_then(|s| self.repos.get(&format!("{}/{}", s.namespace, s.name)));
        let facts = Facts::read(lane, inputs, history);
        assign_commits(lane);
        ensure_releases(lane, &facts);
        assign_commits(lane);
        for release in lane.releases.iter_mut() {
            mark(
                release,
                lane.pushes.get(&release.tag).copied().flatten(),
                &facts,
                trigger,
                now,
            );
        }
        let current = lane.releases.back().map(|r| r.tag.clone());
        let count = lane.releases.len();
        for release in lane.releases.iter_mut().take(count.saturating_sub(1)) {
            release.superseded_by = (!release.rolled_out()).then(|| current.clone()).flatten();
        }
        if let Some(last) = lane.releases.back_mut() {
            last.superseded_by = None;
        }
        while lane.releases.len() > KEPT_RELEASES {
            lane.releases.pop_front();
        }
        if before != (lane.releases.clone(), lane.pods.len()) {
            lane.revision += 1;
            self.revision += 1;
        }
    }
}

/// What one lane's objects say now, read once per refresh.
struct Facts {
    selected: Option<String>,
    scan: Option<(Timestamp, Vec<String>)>,
    /// The GitRepository's artifact: its place in history, sha and time.
    fetched: Option<(u64, String, Option<Timestamp>)>,
    /// The furthest any of the lane's Kustomizations applied.
    applied: Option<u64>,
    /// The tag every live pod runs, Ready, with the latest Ready time (if all are known).
    running: Option<(String, Option<Timestamp>)>,
    /// The tag of the newest automation commit, with that commit.
    newest_commit: Option<(String, CommitRef)>,
}

impl Facts {
    fn read(lane: &Lane, inputs: Inputs<'_>, history: Option<&RepoHistory>) -> Facts {
        let seq = |revision: &str| history.and_then(|h| h.seq_of(commit_sha(revision)?));
        let repository = lane
            .repository
            .as_ref()
            .and_then(|r| inputs.repositories.get(r));
        let fetched = lane
            .source
            .as_ref()
            .and_then(|s| inputs.sources.get(s))
            .and_then(|s| {
                let revision = s.artifact_revision.as_deref()?;
                let sha = commit_sha(revision)?.to_owned();
                Some((seq(revision)?, sha, s.artifact_time))
            });
        let applied = lane
            .kustomizations
            .iter()
            .filter_map(|k| inputs.kustomizations.get(k))
            .filter_map(|k| seq(k.last_applied_revision.as_deref()?))
            .max();
        let image = lane.image.as_deref().map(normalize_image);
        let running = image.and_then(|image| {
            let mut tag: Option<String> = None;
            let mut latest: Option<Timestamp> = None;
            let mut all_times = true;
            let mut any = false;
            for pod in lane.pods.iter().filter_map(|k| inputs.pods.get(k)) {
                if pod.status == "Terminating" {
                    continue;
                }
                let t = pod_tag(pod, &image)?;
                if tag.as_ref().is_some_and(|x| *x != t) || pod.ready < pod.total || pod.total == 0
                {
                    return None;
                }
                tag = Some(t);
                any = true;
                match pod.ready_since {
                    Some(at) => latest = latest.max(Some(at)),
                    None => all_times = false,
                }
            }
            any.then_some(())?;
            Some((tag?, latest.filter(|_| all_times)))
        });
        Facts {
            selected: inputs
                .policies
                .get(&lane.policy)
                .and_then(|p| p.latest.as_ref())
                .map(|r| r.tag.clone())
                .filter(|t| !t.is_empty()),
            scan: repository.and_then(|r| Some((r.last_scan?, r.latest_tags.clone()))),
            fetched,
            applied,
            running,
            newest_commit: lane.commits.values().next_back().cloned(),
        }
    }
}

/// Gives each release (but rollbacks, which carry their own) the oldest commit that wrote
/// its tag.
fn assign_commits(lane: &mut Lane) {
    for release in lane.releases.iter_mut().filter(|r| !r.rollback) {
        release.commit = lane
            .commits
            .values()
            .find(|(t, _)| *t == release.tag)
            .map(|(_, c)| c.clone());
    }
}

/// Makes sure the tags the objects name have releases, and appends a rollback when the
/// newest commit sets a tag older than the current release.
fn ensure_releases(lane: &mut Lane, facts: &Facts) {
    // Further along is older: what runs came before what is committed, before what is
    // selected. A tag first named by one of them goes before the releases that have not
    // reached that stage (when its push time does not place it).
    let named = [
        (
            facts.running.as_ref().map(|(t, _)| t.as_str()),
            Stage::RolledOut,
        ),
        (
            facts.newest_commit.as_ref().map(|(t, _)| t.as_str()),
            Stage::Committed,
        ),
        (facts.selected.as_deref(), Stage::Selected),
    ];
    for (tag, stage) in named {
        let Some(tag) = tag else { continue };
        if lane.release(tag).is_some() {
            continue;
        }
        match lane.pushes.get(tag).copied().flatten() {
            Some(pushed) => insert_by_push(lane, Release::new(tag), Some(pushed)),
            None => {
                let at = lane
                    .releases
                    .iter()
                    .position(|r| !r.rollback && !r.mark(stage).reached())
                    .unwrap_or(lane.releases.len());
                lane.releases.insert(at, Release::new(tag));
            }
        }
    }
    let Some((tag, commit)) = &facts.newest_commit else {
        return;
    };
    let Some(current) = lane.releases.back() else {
        return;
    };
    if current.tag == *tag {
        return;
    }
    // The current release was written by an older commit (or by none yet, and is older in
    // history than this one's release): a newer commit going back to `tag` is a rollback.
    let current_older = match &current.commit {
        Some(c) => c.seq < commit.seq,
        None => false,
    };
    if current_older {
        let mut rollback = lane
            .release(tag)
            .cloned()
            .unwrap_or_else(|| Release::new(tag));
        rollback.rollback = true;
        rollback.commit = Some(commit.clone());
        rollback.superseded_by = None;
        for stage in [
            Stage::Committed,
            Stage::Fetched,
            Stage::Applied,
            Stage::RolledOut,
        ] {
            rollback.marks[stage.index()] = Mark::Pending;
        }
        lane.releases.push_back(rollback);
    }
}

/// Inserts `release` before the first release pushed later than it (releases without a
/// push time keep their place); at the end when it is the newest or its push is unknown.
pub(super) fn insert_by_push(lane: &mut Lane, release: Release, pushed: Option<Timestamp>) {
    let position = pushed.and_then(|p| {
        lane.releases.iter().position(|r| {
            !r.rollback
                && lane
                    .pushes
                    .get(&r.tag)
                    .copied()
                    .flatten()
                    .is_some_and(|q| q > p)
        })
    });
    match position {
        Some(i) => lane.releases.insert(i, release),
        None => lane.releases.push_back(release),
    }
}

/// Advances the marks of `release` to what the facts say (marks never go back).
fn mark(
    release: &mut Release,
    pushed: Option<Timestamp>,
    facts: &Facts,
    trigger: Option<Stage>,
    now: Timestamp,
) {
    let tag = release.tag.as_str();
    let live = |stage: Stage, recorded: Option<Timestamp>| {
        recorded.or_else(|| (trigger == Some(stage)).then_some(now))
    };
    let commit_seq = release.commit.as_ref().map(|c| c.seq);
    let mut found: [Option<Option<Timestamp>>; 7] = [None; 7];
    if pushed.is_some() {
        found[Stage::Pushed.index()] = Some(pushed);
    }
    if let Some((scanned_at, latest)) = &facts.scan
        && (latest.iter().any(|t| t == tag) || pushed.is_some_and(|p| p <= *scanned_at))
    {
        found[Stage::Scanned.index()] =
            Some((trigger == Some(Stage::Scanned)).then_some(*scanned_at));
    }
    if facts.selected.as_deref() == Some(tag) && !release.rollback {
        found[Stage::Selected.index()] = Some(live(Stage::Selected, None));
    }
    if let Some(c) = &release.commit {
        found[Stage::Committed.index()] = Some(Some(c.time));
    }
    if let (Some(c), Some((seq, sha, at))) = (commit_seq, &facts.fetched)
        && *seq >= c
    {
        // The artifact's time is this commit's fetch only when the artifact is this very
        // commit, or when the fetch is seen as it happens.
        let exact = release.commit.as_ref().is_some_and(|x| x.sha == *sha);
        let at = if exact {
            *at
        } else if trigger == Some(Stage::Fetched) {
            at.or(Some(now))
        } else {
            None
        };
        found[Stage::Fetched.index()] = Some(at);
    }
    if let (Some(c), Some(seq)) = (commit_seq, facts.applied)
        && seq >= c
    {
        found[Stage::Applied.index()] = Some(live(Stage::Applied, None));
    }
    if let Some((running, ready)) = &facts.running
        && running == tag
        && (commit_seq.is_none() || release.mark(Stage::Applied).reached() || found[5].is_some())
    {
        found[Stage::RolledOut.index()] = Some(live(Stage::RolledOut, *ready));
    }
    // A stage reached means every stage before it was.
    let furthest = found
        .iter()
        .rposition(Option::is_some)
        .or(release.marks.iter().rposition(|m| m.reached()));
    for (i, slot) in release.marks.iter_mut().enumerate() {
        let new = found[i];
        match (*slot, new) {
            (Mark::Pending, Some(at)) => *slot = Mark::Reached(at),
            (Mark::Reached(None), Some(Some(at))) => *slot = Mark::Reached(Some(at)),
            (Mark::Pending, None) if furthest.is_some_and(|f| i < f) => *slot = Mark::Reached(None),
            _ => {}
        }
    }
}
