//! What the hub does with the cluster's updates: it forwards them to the UI in batches,
//! keeps its mirror, and re-drives the workers only when an update can change what they do
//! (a new applied revision re-sends one repository's marks; new objects, sources, URLs,
//! images or authors re-derive everything).

use std::collections::BTreeSet;

use tokio::sync::mpsc;

use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;
use crate::state::Update;
use crate::workers::ecr::ScanRequest;
use crate::workers::git::GitCommand;

use super::desired;
use super::relay::Hub;

/// Updates read from the cluster before the workers are re-driven: a relist of thousands of
/// objects costs one recomputation per batch, not one per object.
const BATCH: usize = 512;
impl Hub {
    /// Forwards `first` and whatever else is already waiting, then re-drives the workers
    /// once if a kind they depend on changed. `false` when the UI is gone.
    pub(super) async fn cluster_batch(
        &mut self,
        first: Update,
        rx: &mut mpsc::Receiver<Update>,
    ) -> bool {
        let mut all = false;
        let mut marks: BTreeSet<ObjectKey> = BTreeSet::new();
        let mut next = Some(first);
        let mut n = 0;
        while let Some(update) = next.take() {
            // Asked before the mirror applies the update: it compares with the old row.
            self.follow(&update);
            match self.drives_workers(&update) {
                Drive::Nothing => {}
                Drive::Marks(repo) => {
                    marks.insert(repo);
                }
                Drive::Everything => all = true,
            }
            match &update {
                Update::RelistStarted(kind) if *kind != Kind::Pod => {
                    self.relisting.insert(*kind);
                }
                Update::RelistDone(kind) => {
                    self.relisting.remove(kind);
                }
                // A new session (namespace or context switch) aborted the old watchers,
                // maybe mid-list: their lists will never be done.
                Update::Session(_) => self.relisting.clear(),
                _ => {}
            }
            if relevant_to_mirror(&update) {
                self.index(&update);
                self.mirror.apply(update.clone());
            }
            if self.to_ui.send(update).await.is_err() {
                return false;
            }
            n += 1;
            if n < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !self.relisting.is_empty() {
            self.deferred |= all || !marks.is_empty();
        } else if all || self.deferred {
            self.deferred = false;
            self.reconcile().await;
        } else {
            for repo in &marks {
                self.refresh_marks(repo);
            }
        }
        true
    }

    /// Re-sends the applied marks of tracked GitRepository `repo` if they changed, read from
    /// its own Kustomizations (`Desired::kustomizations_of`): neither a re-derivation nor a
    /// pass over the cluster (see `drives_workers`).
    pub(super) fn refresh_marks(&mut self, repo: &ObjectKey) {
        let id = desired::object_id(repo);
        if !self.sent.tracks.contains_key(&id) {
            return;
        }
        let table = self.mirror.kustomizations();
        let rows = self.sent.kustomizations_of.get(repo).into_iter().flatten();
        let applied = desired::applied_of(rows.filter_map(|k| table.get(k)), repo);
        if self.sent.applied.get(&id) != Some(&applied) {
            let _ = self.git.send(GitCommand::SetApplied {
                key: id.clone(),
                applied: applied.clone(),
            });
            self.sent.applied.insert(id, applied);
        }
    }

    /// Keeps `Desired::kustomizations_of` a superset of the tracked repositories'
    /// Kustomizations between re-derivations (rows are looked up in the mirror when read, so
    /// a deleted or moved one is skipped there).
    pub(super) fn index(&mut self, update: &Update) {
        if let Update::Applied(Object::Kustomization(k))
        | Update::Relisted(Object::Kustomization(k)) = update
            && let Some(rows) = k
                .source
                .as_ref()
                .and_then(|s| self.sent.kustomizations_of.get_mut(s))
            && !rows.contains(&k.key)
        {
            rows.insert(k.key.clone());
        }
    }

    /// What `update` can change of what the workers do (see `desired`). Status changes are
    /// most of a cluster's updates and change nothing here; a new applied revision of a
    /// Kustomization whose repository is tracked changes that repository's marks only.
    /// Re-deriving everything is linear in the cluster's size (a fifth of a core at 10
    /// changes a second on 20,000 Kustomizations), so it runs only for changes of what is
    /// tracked: new or deleted objects, another source, URL, ref, image or author.
    pub(super) fn drives_workers(&self, update: &Update) -> Drive {
        let everything = |yes: bool| {
            if yes {
                Drive::Everything
            } else {
                Drive::Nothing
            }
        };
        let object = match update {
            Update::Applied(o) | Update::Relisted(o) => o,
            Update::Deleted(key) => return everything(feeds_workers(key.kind)),
            Update::RelistDone(kind) => return everything(feeds_workers(*kind)),
            _ => return Drive::Nothing,
        };
        let m = &self.mirror;
        match object {
            Object::Kustomization(k) => {
                let Some(old) = m.kustomizations().get(&k.key) else {
                    return Drive::Everything;
                };
                if old.source != k.source {
                    return Drive::Everything;
                }
                if old.last_applied_revision == k.last_applied_revision {
                    return Drive::Nothing;
                }
                match &k.source {
                    // `--repo` arguments borrow marks by URL: re-derive them all.
                    _ if !self.repos.is_empty() => Drive::Everything,
                    Some(s) if self.sent.tracks.contains_key(&desired::object_id(s)) => {
                        Drive::Marks(s.clone())
                    }
                    _ => Drive::Nothing,
                }
            }
            Object::Source(s) if s.key.kind == Kind::GitRepository => {
                everything(m.sources().get(&s.key).is_none_or(|old| {
                    old.url != s.url || old.git_ref != s.git_ref || old.interval != s.interval
                }))
            }
            Object::ImageRepository(r) => everything(
                m.image_repositories()
                    .get(&r.key)
                    .is_none_or(|old| old.image != r.image || old.interval != r.interval),
            ),
            Object::ImageUpdateAutomation(a) => everything(
                m.image_automations()
                    .get(&a.key)
                    .is_none_or(|old| old.source != a.source || old.author != a.author),
            ),
            Object::Source(_) | Object::ImagePolicy(_) | Object::Pod(_) => Drive::Nothing,
        }
    }

    /// Follows the cluster: when Flux fetched a new revision of a tracked repository, or an
    /// ImageUpdateAutomation pushed to one, the git worker fetches it now (not at its next
    /// interval), so the commits pane shows the commit the cluster has; when a cluster scan found a different set of tags, the
    /// registry scanner scans that repository now, so fluxdeck's own pick is never staler
    /// than Flux's.
    pub(super) fn follow(&self, update: &Update) {
        let (Update::Applied(object) | Update::Relisted(object)) = update else {
            return;
        };
        match object {
            Object::Source(s) if s.key.kind == Kind::GitRepository => {
                let id = desired::object_id(&s.key);
                let moved = self
                    .mirror
                    .sources()
                    .get(&s.key)
                    .is_some_and(|old| old.artifact_revision != s.artifact_revision);
                if moved && self.sent.tracks.contains_key(&id) {
                    let _ = self.git.send(GitCommand::FetchNow { key: Some(id) });
                }
            }
            // An automation pushed: its repository has a commit fluxdeck should read now (the
            // release lanes show it as committed from then on).
            Object::ImageUpdateAutomation(a) => {
                let pushed = self
                    .mirror
                    .image_automations()
                    .get(&a.key)
                    .is_some_and(|old| old.last_push_commit != a.last_push_commit);
                if let Some(source) = a.source.as_ref().filter(|_| pushed) {
                    let id = desired::object_id(source);
                    if self.sent.tracks.contains_key(&id) {
                        let _ = self.git.send(GitCommand::FetchNow { key: Some(id) });
                    }
                }
            }
            Object::ImageRepository(r) => {
                let id = desired::object_id(&r.key);
                let rescanned = self
                    .mirror
                    .image_repositories()
                    .get(&r.key)
                    .is_some_and(|old| {
                        old.tag_count != r.tag_count || old.latest_tags != r.latest_tags
                    });
                if rescanned && self.sent.images.iter().any(|s| s.id == id) {
                    // A full queue already holds a scan.
                    let _ = self.scans.try_send(ScanRequest::Repository(id));
                }
            }
            _ => {}
        }
    }
}

/// What an update from the cluster asks of the hub (see `Hub::drives_workers`).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Drive {
    /// Nothing the workers use changed.
    Nothing,
    /// Only the applied marks of this tracked GitRepository.
    Marks(ObjectKey),
    /// Re-derive everything.
    Everything,
}

/// Whether objects of `kind` feed what the workers do.
fn feeds_workers(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Kustomization
            | Kind::GitRepository
            | Kind::ImageRepository
            | Kind::ImageUpdateAutomation
    )
}

/// Whether the mirror needs the update (pods and UI-only updates do not feed the workers).
fn relevant_to_mirror(update: &Update) -> bool {
    match update {
        Update::Applied(o) | Update::Relisted(o) => o.key().kind != Kind::Pod,
        Update::Deleted(key) => key.kind != Kind::Pod,
        Update::RelistStarted(kind) | Update::RelistDone(kind) => *kind != Kind::Pod,
        _ => false,
    }
}
