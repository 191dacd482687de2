//! How updates reach the lanes: [`Lanes::rebuild`] and one entry per kind of update, each
//! refreshing only the lanes the update concerns (through the indexes in `index`).

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::model::image::ImageRef;
use crate::model::key::{Kind, ObjectKey};
use crate::policy::rejection;

use super::index::{Inputs, Lanes, add, learn, normalize_image, setter_policy};
use super::lane::{CommitRef, Filtered, KEPT_FILTERED, KEPT_RELEASES, Lane, Release, Stage};
use super::release::insert_by_push;
use crate::state::commits::CommitLog;
use crate::state::scans::{RegistryScan, ScanResult};

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
}
