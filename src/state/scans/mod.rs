//! Registry scans and the policy preview: for each ImagePolicy, what the cluster's policy
//! says now, what Flux will pick at its next scan (the policy engine run locally over the
//! registry's tags, after the ImageRepository's exclusion list), the tag the pods run, and
//! drift when they differ.
//!
//! The next pick is cached per policy (recomputed when a scan, a policy or a repository
//! changes, since evaluating thousands of tags is not free); the running tags come from the
//! pods table on each read because pods change far more often than tags.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::model::image::{ImagePolicy, ImageRef, ImageRepository};
use crate::model::key::{Kind, ObjectKey};
use crate::model::pod::Pod;
use crate::policy::ScanSummary;

/// One message from the registry scanner about one ImageRepository.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegistryScan {
    /// The ImageRepository, `namespace/name`.
    pub repository: String,
    /// Its `spec.image`.
    pub image: String,
    /// What happened.
    pub result: ScanResult,
}

/// The outcome of one scan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ScanResult {
    /// The registry listed these tags.
    Tags {
        /// When the scan finished.
        scanned_at: Timestamp,
        /// Every tag with its push time, newest push first.
        tags: Vec<(String, Option<Timestamp>)>,
    },
    /// The scan failed; the scanner retries (the message says when and what to fix).
    Failed(String),
    /// The image's registry cannot be scanned (`registry scan not available for <host>`).
    Unavailable(String),
    /// The ImageRepository is gone.
    Removed,
}

/// What fluxdeck knows of one ImageRepository's registry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoScan {
    /// `spec.image`.
    pub image: String,
    /// When the last successful scan finished.
    pub scanned_at: Option<Timestamp>,
    /// The tags of the last successful scan, newest push first.
    pub tags: Vec<String>,
    /// Why the last scan failed (cleared by a success).
    pub error: Option<String>,
    /// Why the registry is not scanned at all.
    pub unavailable: Option<String>,
}

impl RepoScan {
    /// Folds a scan result in; `false` for [`ScanResult::Removed`], which the caller handles.
    fn apply(&mut self, image: String, result: ScanResult) -> bool {
        self.image = image;
        match result {
            ScanResult::Tags { scanned_at, tags } => {
                self.scanned_at = Some(scanned_at);
                self.tags = tags.into_iter().map(|(t, _)| t).collect();
                self.error = None;
                self.unavailable = None;
            }
            ScanResult::Failed(error) => self.error = Some(error),
            ScanResult::Unavailable(reason) => {
                self.unavailable = Some(reason);
                self.tags.clear();
                self.scanned_at = None;
            }
            ScanResult::Removed => return false,
        }
        true
    }
}

/// What Flux will pick at its next scan, as far as fluxdeck can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextPick {
    /// No scan of the repository yet.
    Waiting,
    /// This tag.
    Tag(String),
    /// The registry is not scanned (the reason names the host).
    Unavailable(String),
    /// The policy cannot be evaluated over the tags (the policy engine's message).
    Failed(String),
}

/// A difference between what should run and what runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// The registry has a tag the cluster's ImagePolicy has not picked yet.
    NextPick {
        /// `status.latestRef.tag`, if any.
        cluster: Option<String>,
        /// What Flux will pick.
        next: String,
    },
    /// Pods run a tag other than the one the ImagePolicy picked.
    Running {
        /// The tag a pod runs.
        running: String,
        /// The ImagePolicy's tag.
        cluster: String,
    },
}

impl Drift {
    /// The reason in words, for the pane and the status strip.
    pub fn reason(&self) -> String {
        match self {
            Drift::NextPick {
                cluster: Some(cluster),
                next,
            } => format!("next scan picks {next}; the ImagePolicy says {cluster}"),
            Drift::NextPick {
                cluster: None,
                next,
            } => {
                format!("next scan picks {next}; the ImagePolicy has picked nothing yet")
            }
            Drift::Running { running, cluster } => {
                format!("pods run {running}; the ImagePolicy says {cluster}")
            }
        }
    }
}

/// One ImagePolicy seen three ways.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImagePreview {
    /// The ImagePolicy.
    pub policy: ObjectKey,
    /// What the cluster's ImagePolicy says (`status.latestRef.tag`).
    pub cluster: Option<String>,
    /// What Flux will pick at its next scan.
    pub next: NextPick,
    /// The distinct tags pods of the image run, sorted.
    pub running: Vec<String>,
    /// Every difference found; empty when all agree.
    pub drift: Vec<Drift>,
}

/// The next pick of `policy` over `scan`, after `repository`'s exclusion list.
pub fn next_pick(
    policy: &ImagePolicy,
    repository: Option<&ImageRepository>,
    scan: Option<&RepoScan>,
) -> NextPick {
    let Some(scan) = scan else {
        return NextPick::Waiting;
    };
    if let Some(reason) = &scan.unavailable {
        return NextPick::Unavailable(reason.clone());
    }
    if scan.scanned_at.is_none() {
        return match &scan.error {
            Some(error) => NextPick::Failed(format!("registry scan failed: {error}")),
            None => NextPick::Waiting,
        };
    }
    let spec = match &policy.spec {
        Ok(spec) => spec,
        Err(e) => return NextPick::Failed(format!("ImagePolicy {}: {e}", policy.key.name)),
    };
    let exclusions = repository.map_or(&[][..], |r| r.exclusion_list.as_slice());
    let evaluated = ScanSummary::new(&scan.tags, exclusions).and_then(|summary| {
        spec.compile()
            .and_then(|compiled| compiled.latest(&summary.tags))
    });
    match evaluated {
        Ok(tag) => NextPick::Tag(tag),
        Err(e) => NextPick::Failed(e.to_string()),
    }
}

/// The distinct tags that pods run for `image` (same repository name), sorted.
pub fn running_tags<'a>(image: &str, pods: impl Iterator<Item = &'a Pod>) -> Vec<String> {
    let wanted = image.trim();
    let mut tags: Vec<String> = pods
        .flat_map(|p| p.images.iter())
        .map(|i| ImageRef::parse(i))
        .filter(|r| r.name == wanted && !r.tag.is_empty())
        .map(|r| r.tag)
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Compares the three views of one policy.
pub fn preview(policy: &ImagePolicy, next: NextPick, running: Vec<String>) -> ImagePreview {
    let cluster = policy.latest.as_ref().map(|r| r.tag.clone());
    let mut drift = Vec::new();
    if let NextPick::Tag(tag) = &next
        && cluster.as_ref() != Some(tag)
    {
        drift.push(Drift::NextPick {
            cluster: cluster.clone(),
            next: tag.clone(),
        });
    }
    if let Some(cluster) = &cluster {
        drift.extend(
            running
                .iter()
                .filter(|t| *t != cluster)
                .map(|t| Drift::Running {
                    running: t.clone(),
                    cluster: cluster.clone(),
                }),
        );
    }
    ImagePreview {
        policy: policy.key.clone(),
        cluster,
        next,
        running,
        drift,
    }
}

/// The scans by ImageRepository and the cached next picks by ImagePolicy.
#[derive(Debug, Default)]
pub struct Scans {
    scans: BTreeMap<String, RepoScan>,
    next: BTreeMap<ObjectKey, NextPick>,
}

impl Scans {
    /// Folds one scan message in; whether anything changed.
    pub fn apply(&mut self, scan: RegistryScan) -> bool {
        if scan.result == ScanResult::Removed {
            return self.scans.remove(&scan.repository).is_some();
        }
        let entry = self.scans.entry(scan.repository).or_default();
        let before = entry.clone();
        entry.apply(scan.image, scan.result);
        *entry != before
    }

    /// Recomputes every policy's next pick; whether any changed.
    pub fn refresh<'a>(
        &mut self,
        policies: impl Iterator<Item = &'a ImagePolicy>,
        repository: impl Fn(&ObjectKey) -> Option<&'a ImageRepository>,
    ) -> bool {
        let next: BTreeMap<ObjectKey, NextPick> = policies
            .map(|p| {
                let repo_key = p.repository.as_ref();
                let repo = repo_key.and_then(&repository);
                let scan = repo_key.and_then(|k| self.scans.get(&repo_id(k)));
                (p.key.clone(), next_pick(p, repo, scan))
            })
            .collect();
        let changed = next != self.next;
        self.next = next;
        changed
    }

    /// Recomputes the next pick of the policies `keys` only (the ones an update concerns);
    /// whether any changed.
    pub fn refresh_some<'a>(
        &mut self,
        keys: &[ObjectKey],
        policy: impl Fn(&ObjectKey) -> Option<&'a ImagePolicy>,
        repository: impl Fn(&ObjectKey) -> Option<&'a ImageRepository>,
    ) -> bool {
        let mut changed = false;
        for key in keys {
            let next = policy(key).map(|p| {
                let repo_key = p.repository.as_ref();
                let repo = repo_key.and_then(&repository);
                let scan = repo_key.and_then(|k| self.scans.get(&repo_id(k)));
                next_pick(p, repo, scan)
            });
            changed |= match next {
                Some(n) => self.next.insert(key.clone(), n.clone()) != Some(n),
                None => self.next.remove(key).is_some(),
            };
        }
        changed
    }

    /// The scan of the ImageRepository `key`.
    pub fn scan(&self, key: &ObjectKey) -> Option<&RepoScan> {
        self.scans.get(&repo_id(key))
    }

    /// Every scan, by `namespace/name`.
    pub fn all(&self) -> &BTreeMap<String, RepoScan> {
        &self.scans
    }

    /// The cached next pick of ImagePolicy `key`.
    pub fn next(&self, key: &ObjectKey) -> Option<&NextPick> {
        self.next.get(key)
    }

    /// The first scan error, for the status strip: `ImageRepository ns/name: error`.
    pub fn first_error(&self) -> Option<String> {
        self.scans.iter().find_map(|(id, s)| {
            s.error
                .as_ref()
                .map(|e| format!("ImageRepository {id}: {e}"))
        })
    }
}

/// The id the hub and the scanner use for an ImageRepository.
pub fn repo_id(key: &ObjectKey) -> String {
    debug_assert_eq!(key.kind, Kind::ImageRepository);
    format!("{}/{}", key.namespace, key.name)
}

#[cfg(test)]
mod tests;
