//! [`Lanes`]: every lane, with the indexes from an object to the lanes it concerns, the
//! commit history per repository, and where a lane's workloads are placed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::automation::ImageUpdateAutomation;
use crate::model::image::{ImagePolicy, ImageRef, ImageRepository};
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::pod::Pod;
use crate::model::source::Source;

use super::lane::Lane;
use crate::state::chain::ImageChain;
use crate::state::commits::{CommitLog, CommitLogs};
use crate::state::scans::Scans;
use crate::state::table::Table;

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
    pub scans: &'a Scans,
    /// The tracked repositories' logs.
    pub commit_logs: &'a CommitLogs,
}

/// Every lane, with the indexes that route an update to the lanes it concerns.
#[derive(Clone, Debug, Default)]
pub struct Lanes {
    pub(super) lanes: BTreeMap<ObjectKey, Lane>,
    pub(super) index: Index,
    pub(super) repos: HashMap<String, RepoHistory>,
    pub(super) revision: u64,
}

impl Lanes {
    /// The lanes, sorted by policy.
    pub fn iter(&self) -> impl Iterator<Item = &Lane> {
        self.lanes.values()
    }

    /// How many lanes there are.
    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lanes.is_empty()
    }

    /// The lane of ImagePolicy `policy`.
    pub fn get(&self, policy: &ObjectKey) -> Option<&Lane> {
        self.lanes.get(policy)
    }

    /// Bumped whenever any lane changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

/// From an object to the lanes it concerns.
#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    pub(super) by_repository: HashMap<ObjectKey, Vec<ObjectKey>>,
    pub(super) by_image: HashMap<String, Vec<ObjectKey>>,
    pub(super) by_automation: HashMap<ObjectKey, Vec<ObjectKey>>,
    pub(super) by_source: HashMap<ObjectKey, Vec<ObjectKey>>,
    pub(super) by_kustomization: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    pub(super) by_workload: HashMap<String, BTreeSet<ObjectKey>>,
    pub(super) pod_lanes: HashMap<ObjectKey, Vec<ObjectKey>>,
    /// Kustomizations by the workloads of their inventory, and by their source.
    pub(super) ks_by_workload: HashMap<String, BTreeSet<ObjectKey>>,
    pub(super) ks_by_source: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    /// What each Kustomization was indexed under, to undo it.
    pub(super) ks_indexed: HashMap<ObjectKey, (Option<ObjectKey>, Vec<String>)>,
    /// Lanes that gained a workload and must be placed again.
    pub(super) pending_place: Vec<ObjectKey>,
}

/// Where the first log of a repository starts numbering, so that older pages loaded later
/// number below it.
pub(super) const FIRST_SEQ: u64 = 1 << 40;

/// The commits of one repository seen so far, each with its place in history.
#[derive(Clone, Debug, Default)]
pub(super) struct RepoHistory {
    pub(super) seq: HashMap<String, u64>,
    /// The newest commit seen, and the oldest.
    pub(super) head: Option<String>,
    pub(super) tail: Option<String>,
    pub(super) newest: u64,
    pub(super) oldest: u64,
}

impl RepoHistory {
    /// The place of `sha` (full or abbreviated to at least 7) in history.
    pub(super) fn seq_of(&self, sha: &str) -> Option<u64> {
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

pub(super) fn add(map: &mut HashMap<ObjectKey, Vec<ObjectKey>>, key: &ObjectKey, lane: &ObjectKey) {
    let lanes = map.entry(key.clone()).or_default();
    if !lanes.contains(lane) {
        lanes.push(lane.clone());
    }
}

pub(super) fn workload_id(pod: &Pod) -> Option<String> {
    pod.workload
        .as_ref()
        .map(|w| format!("{}/{w}", pod.key.namespace))
}

/// The tag a pod runs for `image` (normalized), if it runs that image.
pub(super) fn pod_tag(pod: &Pod, image: &str) -> Option<String> {
    pod.images
        .iter()
        .find(|i| normalize_image(i) == image)
        .map(|i| ImageRef::parse(i).tag)
}

/// The policy an automation commit's setter names (`ns:policy[:tag|:name]`), and whether
/// the value is a whole image (`ns:policy`) rather than a tag.
pub(super) fn setter_policy(setter: &str) -> Option<(ObjectKey, Option<&str>)> {
    let mut parts = setter.splitn(3, ':');
    let ns = parts.next()?;
    let name = parts.next()?;
    Some((ObjectKey::new(Kind::ImagePolicy, ns, name), parts.next()))
}

impl Lanes {
    /// Those of `lanes` whose current release has not rolled out (or that have none).
    pub(super) fn in_flight<'a>(
        &self,
        lanes: impl Iterator<Item = &'a ObjectKey>,
    ) -> Vec<ObjectKey> {
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
    pub(super) fn index_kustomization(
        &mut self,
        key: &ObjectKey,
        inputs: Inputs<'_>,
    ) -> Vec<ObjectKey> {
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
    pub(super) fn index_pod(&mut self, key: &ObjectKey, inputs: Inputs<'_>) -> Vec<ObjectKey> {
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
    pub(super) fn place(&mut self, lane_key: &ObjectKey) {
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
}

/// Files the commits of `log` not seen before; returns them, newest first.
pub(super) fn learn<'a>(
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
