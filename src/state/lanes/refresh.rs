//! How updates reach the lanes: the indexes from an object to the lanes it concerns, the
//! commit history per repository, and [`Lanes::refresh`], which brings one lane's releases
//! up to date with its objects.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;

use crate::model::automation::ImageUpdateAutomation;
use crate::model::image::{ImagePolicy, ImageRef, ImageRepository};
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::pod::Pod;
use crate::model::revision::commit_sha;
use crate::model::source::Source;
use crate::policy::rejection;

use super::super::chain::ImageChain;
use super::super::commits::{CommitLog, CommitLogs};
use super::super::registry::{Registry, RegistryScan, ScanResult};
use super::super::table::Table;
use super::{CommitRef, Filtered, KEPT_FILTERED, KEPT_RELEASES, Lane, Lanes, Mark, Release, Stage};

/// What the lanes read: the state's tables, as they are after the update.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// Kustomizations.
    pub kustomizations: &'a Table<Kustomization>,
    /// Sources.
    pub sources: &'a Table<Source>,
    /// ImageRepositories.
    pub repositories: &'a Table<ImageRepository>,
    /// ImagePolicies.
    pub policies: &'a Table<ImagePolicy>,
    /// ImageUpdateAutomations.
    pub automations: &'a Table<ImageUpdateAutomation>,
    /// Watched pods.
    pub pods: &'a Table<Pod>,
    /// The image chains (policy → repository, automations).
    pub chains: &'a [ImageChain],
    /// fluxdeck's own registry scans.
    pub registry: &'a Registry,
    /// The tracked repositories' logs.
    pub commit_logs: &'a CommitLogs,
}

/// From an object to the lanes it concerns.
#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    by_repository: HashMap<ObjectKey, Vec<ObjectKey>>,
    by_image: HashMap<String, Vec<ObjectKey>>,
    by_automation: HashMap<ObjectKey, Vec<ObjectKey>>,
    by_source: HashMap<ObjectKey, Vec<ObjectKey>>,
    by_kustomization: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    by_workload: HashMap<String, BTreeSet<ObjectKey>>,
    pod_lanes: HashMap<ObjectKey, Vec<ObjectKey>>,
    /// Kustomizations by the workloads of their inventory, and by their source.
    ks_by_workload: HashMap<String, BTreeSet<ObjectKey>>,
    ks_by_source: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    /// What each Kustomization was indexed under, to undo it.
    ks_indexed: HashMap<ObjectKey, (Option<ObjectKey>, Vec<String>)>,
    /// Lanes that gained a workload and must be placed again.
    pending_place: Vec<ObjectKey>,
}

/// Where the first log of a repository starts numbering, so that older pages loaded later
/// number below it.
const FIRST_SEQ: u64 = 1 << 40;

/// The commits of one repository seen so far, each with its place in history.
#[derive(Clone, Debug, Default)]
pub(super) struct RepoHistory {
    seq: HashMap<String, u64>,
    /// The newest commit seen, and the oldest.
    head: Option<String>,
    tail: Option<String>,
    newest: u64,
    oldest: u64,
}

impl RepoHistory {
    /// The place of `sha` (full or abbreviated to at least 7) in history.
    fn seq_of(&self, sha: &str) -> Option<u64> {
        self.seq.get(sha).copied()
    }
}

/// `docker.io/library/x` and `x` are the same image; so are names differing only in case
/// of the registry host.
pub fn normalize_image(name: &str) -> String {
    let name = ImageRef::parse(name).name;
    let name = name
        .strip_prefix("docker.io/")
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .unwrap_or(&name);
    let name = name.strip_prefix("library/").unwrap_or(name);
    match name.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') => {
            format!("{}/{rest}", host.to_ascii_lowercase())
        }
        _ => name.to_owned(),
    }
}

fn add(map: &mut HashMap<ObjectKey, Vec<ObjectKey>>, key: &ObjectKey, lane: &ObjectKey) {
    let lanes = map.entry(key.clone()).or_default();
    if !lanes.contains(lane) {
        lanes.push(lane.clone());
    }
}

fn workload_id(pod: &Pod) -> Option<String> {
    pod.workload
        .as_ref()
        .map(|w| format!("{}/{w}", pod.key.namespace))
}

/// The tag a pod runs for `image` (normalized), if it runs that image.
fn pod_tag(pod: &Pod, image: &str) -> Option<String> {
    pod.images
        .iter()
        .find(|i| normalize_image(i) == image)
        .map(|i| ImageRef::parse(i).tag)
}

/// The policy an automation commit's setter names (`ns:policy[:tag|:name]`), and whether
/// the value is a whole image (`ns:policy`) rather than a tag.
fn setter_policy(setter: &str) -> Option<(ObjectKey, Option<&str>)> {
    let mut parts = setter.splitn(3, ':');
    let ns = parts.next()?;
    let name = parts.next()?;
    Some((ObjectKey::new(Kind::ImagePolicy, ns, name), parts.next()))
}

impl Lanes {
    /// Rebuilds which lanes exist and what they read, after the image chains changed, then
    /// refreshes every lane.
    pub fn rebuild(&mut self, inputs: Inputs<'_>, now: Timestamp) {
        let mut lanes = std::mem::take(&mut self.lanes);
        let index = &mut self.index;
        index.by_repository.clear();
        index.by_image.clear();
        index.by_automation.clear();
        index.by_source.clear();
        for chain in inputs.chains {
            let Some(policy) = &chain.policy else {
                continue;
            };
            let mut lane = lanes
                .remove(policy)
                .unwrap_or_else(|| Lane::new(policy.clone()));
            lane.repository = chain.repository.clone();
            lane.image = chain
                .repository
                .as_ref()
                .and_then(|r| inputs.repositories.get(r))
                .and_then(|r| r.image.clone());
            lane.automations = chain.automations.clone();
            lane.source = chain
                .automations
                .iter()
                .filter_map(|a| inputs.automations.get(a))
                .find_map(|a| a.source.clone());
            if let Some(r) = &lane.repository {
                add(&mut index.by_repository, r, policy);
            }
            if let Some(image) = &lane.image {
                let image = normalize_image(image);
                let lanes = index.by_image.entry(image).or_default();
                if !lanes.contains(policy) {
                    lanes.push(policy.clone());
                }
            }
            for a in &lane.automations {
                add(&mut index.by_automation, a, policy);
            }
            if let Some(s) = &lane.source {
                add(&mut index.by_source, s, policy);
            }
            self.lanes.insert(policy.clone(), lane);
        }
        // Lanes of removed policies go, with their index entries.
        for gone in lanes.keys() {
            for set in self.index.by_kustomization.values_mut() {
                set.remove(gone);
            }
            for set in self.index.by_workload.values_mut() {
                set.remove(gone);
            }
        }
        let all: Vec<ObjectKey> = self.lanes.keys().cloned().collect();
        for pod in inputs.pods.iter() {
            self.index_pod(&pod.key, inputs);
        }
        for key in &all {
            self.place(key);
            self.refresh(key, inputs, None, now);
        }
        self.revision += 1;
    }

    /// Re-reads every Kustomization and pod and refreshes every lane: after a relist, when
    /// any object may have come or gone unseen (a first list's rows become visible in
    /// batches, not one by one).
    pub fn refresh_all(&mut self, inputs: Inputs<'_>, now: Timestamp) {
        let ks: Vec<ObjectKey> = inputs
            .kustomizations
            .iter()
            .map(|k| k.key.clone())
            .chain(self.index.ks_indexed.keys().cloned())
            .collect();
        for key in &ks {
            self.index_kustomization(key, inputs);
        }
        let pods: Vec<ObjectKey> = inputs
            .pods
            .iter()
            .map(|p| p.key.clone())
            .chain(self.index.pod_lanes.keys().cloned())
            .collect();
        for key in &pods {
            self.index_pod(key, inputs);
        }
        let all: Vec<ObjectKey> = self.lanes.keys().cloned().collect();
        for key in &all {
            self.place(key);
            self.refresh(key, inputs, None, now);
        }
    }

    /// An object was added, changed or deleted (`inputs` already hold its new state);
    /// `live` is false for the rows of a relist, whose changes were not seen as they
    /// happened.
    pub fn object(&mut self, key: &ObjectKey, inputs: Inputs<'_>, live: bool, now: Timestamp) {
        let stamp = |stage| live.then_some(stage);
        let (lanes, trigger): (Vec<ObjectKey>, Option<Stage>) = match key.kind {
            Kind::Kustomization => {
                let mut lanes = self.index_kustomization(key, inputs);
                for lane in &lanes {
                    self.place(lane);
                }
                lanes.extend(
                    self.in_flight(self.index.by_kustomization.get(key).into_iter().flatten()),
                );
                lanes.sort();
                lanes.dedup();
                (lanes, stamp(Stage::Applied))
            }
            // A source or Kustomization shared by every app concerns only the lanes with a
            // release on its way (a rolled-out release's marks cannot change).
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => (
                self.in_flight(self.index.by_source.get(key).into_iter().flatten()),
                stamp(Stage::Fetched),
            ),
            Kind::ImageRepository => (
                self.index
                    .by_repository
                    .get(key)
                    .cloned()
                    .unwrap_or_default(),
                stamp(Stage::Scanned),
            ),
            Kind::ImagePolicy => (vec![key.clone()], stamp(Stage::Selected)),
            Kind::ImageUpdateAutomation => (
                self.index
                    .by_automation
                    .get(key)
                    .cloned()
                    .unwrap_or_default(),
                None,
            ),
            Kind::Pod => (self.index_pod(key, inputs), stamp(Stage::RolledOut)),
        };
        for lane in &lanes {
            self.refresh(lane, inputs, trigger, now);
        }
    }

    /// A registry scan: new tags become releases (or filtered tags) of the lanes reading
    /// that repository.
    pub fn scan(&mut self, scan: &RegistryScan, inputs: Inputs<'_>, now: Timestamp) {
        let ScanResult::Tags { tags, .. } = &scan.result else {
            return;
        };
        let Some((ns, name)) = scan.repository.split_once('/') else {
            return;
        };
        let repository = ObjectKey::new(Kind::ImageRepository, ns, name);
        let lanes = self
            .index
            .by_repository
            .get(&repository)
            .cloned()
            .unwrap_or_default();
        for key in &lanes {
            let Some(lane) = self.lanes.get_mut(key) else {
                continue;
            };
            let policy = inputs.policies.get(key);
            let exclusions = lane
                .repository
                .as_ref()
                .and_then(|r| inputs.repositories.get(r))
                .map(|r| r.exclusion_list.clone())
                .unwrap_or_default();
            // Newest push first; only tags not seen before, and no more than a lane keeps.
            let mut admitted = Vec::new();
            let mut filtered = Vec::new();
            for (tag, pushed) in tags {
                if lane.pushes.get(tag).is_some_and(|p| p == pushed) {
                    continue;
                }
                let first_time = lane.pushes.insert(tag.clone(), *pushed).is_none();
                if !first_time || admitted.len() >= KEPT_RELEASES {
                    continue;
                }
                let why = policy
                    .and_then(|p| p.spec.as_ref().ok())
                    .and_then(|spec| rejection(spec, &exclusions, tag));
                match why {
                    None => admitted.push((tag.clone(), *pushed)),
                    Some(reason) if filtered.len() < KEPT_FILTERED => filtered.push(Filtered {
                        tag: tag.clone(),
                        pushed: *pushed,
                        reason,
                    }),
                    Some(_) => {}
                }
            }
            for f in filtered.into_iter().rev() {
                lane.filtered.push_back(f);
                if lane.filtered.len() > KEPT_FILTERED {
                    lane.filtered.pop_front();
                }
            }
            for (tag, pushed) in admitted.into_iter().rev() {
                if lane.release(&tag).is_none() {
                    insert_by_push(lane, Release::new(&tag), pushed);
                }
            }
            self.refresh(key, inputs, None, now);
        }
    }

    /// A tracked repository's log changed: its new automation commits are matched to the
    /// lanes of the policies they set, and the lanes reading the repository refreshed.
    pub fn commits(&mut self, log: &CommitLog, inputs: Inputs<'_>, now: Timestamp) {
        let history = self.repos.entry(log.key.clone()).or_default();
        let fresh = learn(history, log);
        let mut touched: BTreeSet<ObjectKey> = BTreeSet::new();
        for commit in fresh {
            let Some(seq) = history.seq_of(&commit.sha) else {
                continue;
            };
            for change in &commit.changes {
                let Some((policy, field)) = change.setter.as_deref().and_then(setter_policy) else {
                    continue;
                };
                let tag = match field {
                    Some("tag") => change.new.clone(),
                    None => ImageRef::parse(&change.new).tag,
                    Some(_) => continue,
                };
                let Some(lane) = self.lanes.get_mut(&policy) else {
                    continue;
                };
                lane.commits.insert(
                    seq,
                    (
                        tag,
                        CommitRef {
                            sha: commit.sha.clone(),
                            time: commit.time,
                            seq,
                        },
                    ),
                );
                touched.insert(policy);
            }
        }
        if let Some((ns, name)) = log.key.split_once('/') {
            let source = ObjectKey::new(Kind::GitRepository, ns, name);
            touched.extend(self.in_flight(self.index.by_source.get(&source).into_iter().flatten()));
        }
        for key in &touched {
            self.refresh(key, inputs, None, now);
        }
    }

    /// Those of `lanes` whose current release has not rolled out (or that have none).
    fn in_flight<'a>(&self, lanes: impl Iterator<Item = &'a ObjectKey>) -> Vec<ObjectKey> {
        lanes
            .filter(|k| {
                self.lanes
                    .get(*k)
                    .is_some_and(|l| l.current().is_none_or(|r| !r.rolled_out()))
            })
            .cloned()
            .collect()
    }

    /// The lanes a Kustomization's (re)indexing concerns: those holding a workload it
    /// applies now or applied before, and those reading its source.
    fn index_kustomization(&mut self, key: &ObjectKey, inputs: Inputs<'_>) -> Vec<ObjectKey> {
        let index = &mut self.index;
        let all = &self.lanes;
        let mut lanes = Vec::new();
        // Lanes with workloads are placed by inventory; only those without any fall back to
        // the Kustomizations reading their source.
        let mut concerned = |source: &Option<ObjectKey>, workloads: &[String], index: &Index| {
            for w in workloads {
                lanes.extend(index.by_workload.get(w).into_iter().flatten().cloned());
            }
            if let Some(s) = source {
                lanes.extend(
                    index
                        .by_source
                        .get(s)
                        .into_iter()
                        .flatten()
                        .filter(|k| all.get(*k).is_some_and(|l| l.workloads.is_empty()))
                        .cloned(),
                );
            }
        };
        if let Some((source, workloads)) = index.ks_indexed.remove(key) {
            concerned(&source, &workloads, index);
            for w in &workloads {
                if let Some(set) = index.ks_by_workload.get_mut(w) {
                    set.remove(key);
                }
            }
            if let Some(set) = source.and_then(|s| index.ks_by_source.get_mut(&s)) {
                set.remove(key);
            }
        }
        if let Some(ks) = inputs.kustomizations.get(key) {
            let workloads: Vec<String> = ks
                .workloads
                .iter()
                .map(|w| format!("{}/{}/{}", w.namespace, w.kind, w.name))
                .collect();
            for w in &workloads {
                index
                    .ks_by_workload
                    .entry(w.clone())
                    .or_default()
                    .insert(key.clone());
            }
            if let Some(s) = &ks.source {
                index
                    .ks_by_source
                    .entry(s.clone())
                    .or_default()
                    .insert(key.clone());
            }
            concerned(&ks.source, &workloads, index);
            index
                .ks_indexed
                .insert(key.clone(), (ks.source.clone(), workloads));
        }
        lanes
    }

    /// Re-files pod `key` under the lanes whose image it runs; returns the lanes it was or
    /// is in.
    fn index_pod(&mut self, key: &ObjectKey, inputs: Inputs<'_>) -> Vec<ObjectKey> {
        let mut lanes = self.index.pod_lanes.remove(key).unwrap_or_default();
        for lane in &lanes {
            if let Some(l) = self.lanes.get_mut(lane) {
                l.pods.remove(key);
            }
        }
        let Some(pod) = inputs.pods.get(key) else {
            return lanes;
        };
        let mut now_in = Vec::new();
        for image in &pod.images {
            let Some(keys) = self.index.by_image.get(&normalize_image(image)) else {
                continue;
            };
            for lane_key in keys {
                let Some(lane) = self.lanes.get_mut(lane_key) else {
                    continue;
                };
                lane.pods.insert(key.clone());
                if let Some(w) = workload_id(pod)
                    && lane.workloads.insert(w.clone())
                {
                    self.index
                        .by_workload
                        .entry(w)
                        .or_default()
                        .insert(lane_key.clone());
                    // A new workload may bring the lane other Kustomizations.
                    self.index.pending_place.push(lane_key.clone());
                }
                now_in.push(lane_key.clone());
            }
        }
        now_in.sort();
        now_in.dedup();
        lanes.extend(now_in.iter().cloned());
        lanes.sort();
        lanes.dedup();
        let pending: Vec<ObjectKey> = std::mem::take(&mut self.index.pending_place);
        for lane in &pending {
            self.place(lane);
        }
        self.index.pod_lanes.insert(key.clone(), now_in);
        lanes
    }

    /// Works out which Kustomizations apply `lane`: those whose inventory holds one of its
    /// workloads, else those reading the source its automations push to.
    fn place(&mut self, lane_key: &ObjectKey) {
        let Some(lane) = self.lanes.get_mut(lane_key) else {
            return;
        };
        let mut ks: BTreeSet<ObjectKey> = BTreeSet::new();
        for w in &lane.workloads {
            ks.extend(
                self.index
                    .ks_by_workload
                    .get(w)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
        if ks.is_empty()
            && let Some(s) = &lane.source
        {
            ks.extend(
                self.index
                    .ks_by_source
                    .get(s)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
        let new: Vec<ObjectKey> = ks.into_iter().collect();
        if new == lane.kustomizations {
            return;
        }
        for old in &lane.kustomizations {
            if let Some(set) = self.index.by_kustomization.get_mut(old) {
                set.remove(lane_key);
            }
        }
        for k in &new {
            self.index
                .by_kustomization
                .entry(k.clone())
                .or_default()
                .insert(lane_key.clone());
        }
        lane.kustomizations = new;
    }

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
fn insert_by_push(lane: &mut Lane, release: Release, pushed: Option<Timestamp>) {
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

/// Files the commits of `log` not seen before; returns them, newest first.
fn learn<'a>(
    history: &mut RepoHistory,
    log: &'a CommitLog,
) -> Vec<&'a crate::model::commit::Commit> {
    let commits = &log.commits;
    let known_at = history
        .head
        .as_ref()
        .and_then(|h| commits.iter().position(|c| c.sha == *h));
    match known_at {
        None => {
            // First log, or history rewritten: number everything again.
            *history = RepoHistory::default();
            let n = commits.len() as u64;
            for (i, c) in commits.iter().enumerate() {
                history.seq.insert(c.sha.clone(), FIRST_SEQ + n - i as u64);
            }
            history.newest = FIRST_SEQ + n;
            history.oldest = FIRST_SEQ + 1;
            history.head = commits.first().map(|c| c.sha.clone());
            history.tail = commits.last().map(|c| c.sha.clone());
            commits.iter().collect()
        }
        Some(i) => {
            let mut fresh: Vec<&crate::model::commit::Commit> = Vec::new();
            for c in commits.get(..i).unwrap_or(&[]).iter().rev() {
                history.newest += 1;
                history.seq.insert(c.sha.clone(), history.newest);
                fresh.push(c);
            }
            fresh.reverse();
            history.head = commits.first().map(|c| c.sha.clone());
            // Older pages loaded since: number them below the oldest.
            if let Some(t) = history
                .tail
                .as_ref()
                .and_then(|t| commits.iter().position(|c| c.sha == *t))
            {
                for c in commits.get(t + 1..).unwrap_or(&[]) {
                    history.oldest = history.oldest.saturating_sub(1);
                    history.seq.insert(c.sha.clone(), history.oldest);
                    fresh.push(c);
                }
                history.tail = commits.last().map(|c| c.sha.clone());
            }
            fresh
        }
    }
}
