//! The hub: sits between the cluster worker and the UI. It forwards every `Update` from
//! the cluster to the UI and every `Command` from the UI to the cluster, and from the Flux
//! objects it sees drives the git worker (which repositories, which authors, what each
//! Kustomization applied) and the registry scanner (which ImageRepositories), turning their
//! events into `Update`s. The commands for those two (`RefreshGit`, `RefreshRegistry`,
//! `ShowDiff`, `LoadMoreCommits`, `TrackRepository`) stop here. It tracks a bounded set of
//! repositories (see `desired::AUTO_TRACK_LIMIT`), not every GitRepository of the cluster.
//!
//! It keeps its own `State` as a mirror of the Flux objects, so it reads typed models and
//! never raw JSON, and it sends a worker only what changed since the last time.

pub mod convert;
pub mod desired;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;
use crate::state::{Command, State, Update};
use crate::workers::ecr::{
    EcrClientConfig, EcrScanner, ImageRepoSpec, RegistryEvent, ScanRequest, ScannerConfig,
    spawn_scanner,
};
use crate::workers::git::{GitCommand, GitEvent, GitWorkerConfig, spawn_git_worker};

use desired::{Desired, Track, desired};

/// Updates read from the cluster before the workers are re-driven: a relist of thousands of
/// objects costs one recomputation per batch, not one per object.
const BATCH: usize = 512;

/// How the hub and the workers it starts are set up.
#[derive(Debug, Clone, Default)]
pub struct HubConfig {
    /// `--repo PATH|URL` arguments, tracked besides the cluster's GitRepositories.
    pub repos: Vec<String>,
    /// The git worker's settings (cache, credentials, page size).
    pub git: GitWorkerConfig,
    /// How ECR clients are built (`--ecr-endpoint`, `--ecr-region`).
    pub ecr: EcrClientConfig,
    /// The scanner's schedule.
    pub scanner: ScannerConfig,
}

/// The hub's four ends.
pub struct HubChannels {
    /// Updates from the cluster worker.
    pub from_cluster: mpsc::Receiver<Update>,
    /// Where the UI reads updates.
    pub to_ui: mpsc::Sender<Update>,
    /// Commands from the UI.
    pub from_ui: mpsc::Receiver<Command>,
    /// Where the cluster worker reads commands.
    pub to_cluster: mpsc::Sender<Command>,
}

/// Starts the hub, the git worker and the registry scanner on the current runtime. All
/// stop when the UI's channels close or on `Command::Shutdown`.
pub fn spawn_hub(config: HubConfig, channels: HubChannels) -> JoinHandle<()> {
    tokio::spawn(run(config, channels))
}

struct Hub {
    to_ui: mpsc::Sender<Update>,
    to_cluster: mpsc::Sender<Command>,
    git: mpsc::UnboundedSender<GitCommand>,
    scans: mpsc::Sender<ScanRequest>,
    images: watch::Sender<Vec<ImageRepoSpec>>,
    repos: Vec<String>,
    /// GitRepositories asked for with `:repo NS/NAME`, tracked besides the automatic ones.
    requested: Vec<String>,
    /// Kinds whose (re)list is under way: the workers are re-driven once it is done, not
    /// after every batch of a 20,000-object list.
    relisting: BTreeSet<Kind>,
    /// A change that needs a re-derivation arrived during a list: done when lists finish
    /// (whatever kind finishes last, pods and ImagePolicies included).
    deferred: bool,
    mirror: State,
    sent: Desired,
    /// Repository key → location for messages, of what is tracked now.
    locations: BTreeMap<String, String>,
}

async fn run(config: HubConfig, channels: HubChannels) {
    let HubChannels {
        mut from_cluster,
        to_ui,
        mut from_ui,
        to_cluster,
    } = channels;
    let (git_tx, mut git_events) = mpsc::channel::<GitEvent>(256);
    let (git_commands, git_rx) = mpsc::channel::<GitCommand>(64);
    // The hub never waits on the git worker: a worker blocked on sending its events to
    // the hub while the hub waits to send it a command would deadlock both.
    let (git, mut git_queue) = mpsc::unbounded_channel::<GitCommand>();
    let git_worker = spawn_git_worker(config.git, git_rx, git_tx);
    let git_pump = tokio::spawn(async move {
        while let Some(cmd) = git_queue.recv().await {
            if git_commands.send(cmd).await.is_err() {
                break;
            }
        }
    });
    let (images, images_rx) = watch::channel(Vec::new());
    let (scans, scans_rx) = mpsc::channel(8);
    let (registry_tx, mut registry_events) = mpsc::channel::<RegistryEvent>(256);
    let scanner = spawn_scanner(
        Arc::new(EcrScanner::new(config.ecr)),
        config.scanner,
        images_rx,
        scans_rx,
        registry_tx,
    );
    let mut hub = Hub::new(to_ui, to_cluster, git, scans, images, config.repos);
    // `--repo` arguments are tracked before the cluster answers (or when it never does),
    // and shown first in the commits pane.
    hub.pin_repos().await;
    hub.reconcile().await;
    // A gone cluster worker is not the end: git and registry are served until the UI quits.
    let mut cluster_open = true;
    loop {
        let open = tokio::select! {
            update = from_cluster.recv(), if cluster_open => match update {
                Some(update) => hub.cluster_batch(update, &mut from_cluster).await,
                None => {
                    cluster_open = false;
                    true
                }
            },
            command = from_ui.recv() => match command {
                Some(command) => hub.command(command).await,
                None => false,
            },
            Some(event) = git_events.recv() => hub.git_event(event).await,
            Some(event) = registry_events.recv() => hub.registry_event(event).await,
        };
        if !open {
            break;
        }
    }
    git_pump.abort();
    git_worker.abort();
    scanner.abort();
}

impl Hub {
    /// A hub that has seen nothing yet, tracking the `--repo` arguments `repos`; it
    /// sends to the UI, the cluster worker, the git worker and the scanner.
    fn new(
        to_ui: mpsc::Sender<Update>,
        to_cluster: mpsc::Sender<Command>,
        git: mpsc::UnboundedSender<GitCommand>,
        scans: mpsc::Sender<ScanRequest>,
        images: watch::Sender<Vec<ImageRepoSpec>>,
        repos: Vec<String>,
    ) -> Hub {
        Hub {
            to_ui,
            to_cluster,
            git,
            scans,
            images,
            repos,
            requested: Vec::new(),
            relisting: BTreeSet::new(),
            deferred: false,
            mirror: State::default(),
            sent: Desired::default(),
            locations: BTreeMap::new(),
        }
    }

    /// Forwards `first` and whatever else is already waiting, then re-drives the workers
    /// once if a kind they depend on changed. `false` when the UI is gone.
    async fn cluster_batch(&mut self, first: Update, rx: &mut mpsc::Receiver<Update>) -> bool {
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
    fn refresh_marks(&mut self, repo: &ObjectKey) {
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
    fn index(&mut self, update: &Update) {
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

    /// Serves a UI command or forwards it to the cluster. `false` on shutdown.
    async fn command(&mut self, command: Command) -> bool {
        // A closed git queue means the hub is stopping; nothing to report to anyone.
        match command {
            Command::RefreshGit => {
                let _ = self.git.send(GitCommand::FetchNow { key: None });
            }
            Command::ShowDiff { repository, sha } => {
                let _ = self.git.send(GitCommand::ShowDiff {
                    key: repository,
                    sha,
                });
            }
            Command::LoadMoreCommits { repository } => {
                let _ = self.git.send(GitCommand::LoadMore { key: repository });
            }
            Command::TrackRepository { key } => {
                if !self.requested.contains(&key) {
                    self.requested.push(key);
                    self.reconcile().await;
                }
            }
            Command::RefreshRegistry => {
                // A full queue already holds a scan of everything.
                let _ = self.scans.try_send(ScanRequest::All);
            }
            Command::Shutdown => {
                let _ = self.to_cluster.send(Command::Shutdown).await;
                return false;
            }
            other => {
                // A gone cluster worker is not the hub's end: git and registry still work.
                let _ = self.to_cluster.send(other).await;
            }
        }
        true
    }

    /// Tells the UI the `--repo` arguments, so their logs come first in the commits pane.
    async fn pin_repos(&mut self) {
        if !self.repos.is_empty() {
            let _ = self
                .to_ui
                .send(Update::PinnedRepos(self.repos.clone()))
                .await;
        }
    }

    /// Sends the workers what changed since the last reconcile.
    async fn reconcile(&mut self) {
        let next = desired(&self.mirror, &self.repos, &self.requested);
        // Authors before tracks, so a repository's first log already flags the bot commits.
        if next.authors != self.sent.authors {
            let _ = self.git.send(GitCommand::SetAuthors {
                authors: next.authors.clone(),
            });
        }
        for (key, track) in &next.tracks {
            if self.sent.tracks.get(key) != Some(track) {
                let Track { source, interval } = track.clone();
                self.locations
                    .insert(key.clone(), source.display_location());
                let _ = self.git.send(GitCommand::Track {
                    key: key.clone(),
                    source,
                    interval,
                });
            }
        }
        let gone: Vec<String> = self
            .sent
            .tracks
            .keys()
            .filter(|k| !next.tracks.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            self.locations.remove(&key);
            let _ = self.git.send(GitCommand::Untrack { key: key.clone() });
            let _ = self.to_ui.send(Update::CommitsUntracked { key }).await;
        }
        // A broken source that is gone (or fixed and tracked) must not leave its error behind.
        let healed: Vec<String> = self
            .sent
            .broken
            .keys()
            .filter(|k| !next.broken.contains_key(*k) && !next.tracks.contains_key(*k))
            .cloned()
            .collect();
        for key in healed {
            let _ = self.to_ui.send(Update::CommitsUntracked { key }).await;
        }
        for (key, (location, error)) in &next.broken {
            if self.sent.broken.get(key) != Some(&(location.clone(), error.clone())) {
                let _ = self
                    .to_ui
                    .send(Update::CommitsFailed {
                        key: key.clone(),
                        repository: location.clone(),
                        error: error.to_string(),
                    })
                    .await;
            }
        }
        for (key, applied) in &next.applied {
            let resend = self.sent.applied.get(key) != Some(applied)
                || self.sent.tracks.get(key) != next.tracks.get(key);
            if resend {
                let _ = self.git.send(GitCommand::SetApplied {
                    key: key.clone(),
                    applied: applied.clone(),
                });
            }
        }
        if next.images != self.sent.images {
            self.images.send_replace(next.images.clone());
        }
        self.sent = next;
    }

    /// What `update` can change of what the workers do (see `desired`). Status changes are
    /// most of a cluster's updates and change nothing here; a new applied revision of a
    /// Kustomization whose repository is tracked changes that repository's marks only.
    /// Re-deriving everything is linear in the cluster's size (a fifth of a core at 10
    /// changes a second on 20,000 Kustomizations), so it runs only for changes of what is
    /// tracked: new or deleted objects, another source, URL, ref, image or author.
    fn drives_workers(&self, update: &Update) -> Drive {
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
    fn follow(&self, update: &Update) {
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

    async fn git_event(&mut self, event: GitEvent) -> bool {
        let key = match &event {
            GitEvent::Log { key, .. }
            | GitEvent::Fetched { key, .. }
            | GitEvent::Diff { key, .. }
            | GitEvent::Error { key, .. } => key.clone(),
        };
        // Events of a repository untracked meanwhile would bring its log back.
        let Some(location) = self.locations.get(&key) else {
            return true;
        };
        match convert::git_update(event, location) {
            Some(update) => self.to_ui.send(update).await.is_ok(),
            None => true,
        }
    }

    async fn registry_event(&mut self, event: RegistryEvent) -> bool {
        let sent = &self.sent.images;
        let image = |id: &str| {
            sent.iter()
                .find(|s| s.id == id)
                .map(|s| s.image.clone())
                .unwrap_or_default()
        };
        match convert::registry_update(event, image) {
            Some(update) => self.to_ui.send(update).await.is_ok(),
            None => true,
        }
    }
}

/// What an update from the cluster asks of the hub (see `Hub::drives_workers`).
#[derive(Debug, PartialEq, Eq)]
enum Drive {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn object(value: Value) -> Object {
        Object::from_value(&value).unwrap()
    }

    fn ks(name: &str, repo: &str, revision: &str, message: &str) -> Object {
        object(
            json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"sourceRef": {"kind": "GitRepository", "name": repo}},
            "status": {"lastAppliedRevision": revision, "conditions": [{"type": "Ready",
                "status": "True", "reason": "ReconciliationSucceeded", "message": message}]}}),
        )
    }

    fn git_repo(name: &str, url: &str, artifact: &str) -> Object {
        object(
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"url": url, "ref": {"branch": "main"}},
            "status": {"artifact": {"revision": artifact}}}),
        )
    }

    fn hub() -> Hub {
        let (to_ui, _) = mpsc::channel(1);
        let (to_cluster, _) = mpsc::channel(1);
        let (git, _) = mpsc::unbounded_channel();
        let (scans, _) = mpsc::channel(1);
        let (images, _) = watch::channel(Vec::new());
        let mut r = Hub::new(to_ui, to_cluster, git, scans, images, Vec::new());
        for o in [
            git_repo("repo", "https://example.com/repo", "main@sha1:a"),
            git_repo("other", "https://example.com/other", "main@sha1:a"),
            ks(
                "apps",
                "repo",
                "main@sha1:a",
                "Applied revision: main@sha1:a",
            ),
            ks(
                "infra",
                "other",
                "main@sha1:a",
                "Applied revision: main@sha1:a",
            ),
        ] {
            r.mirror.apply(Update::Applied(o));
        }
        r.sent = desired(&r.mirror, &[], &[]);
        // Only one repository is tracked, as if the limit had been reached.
        r.sent.tracks.remove("flux-system/other");
        r.sent.kustomizations_of.remove(&ObjectKey::new(
            Kind::GitRepository,
            "flux-system",
            "other",
        ));
        r
    }

    #[test]
    fn only_changes_that_can_move_the_workers_re_derive_them() {
        let r = hub();
        let applied = |o| r.drives_workers(&Update::Applied(o));
        let repo = ObjectKey::new(Kind::GitRepository, "flux-system", "repo");
        // Status noise: a new message, a new artifact of a source.
        assert_eq!(
            applied(ks(
                "apps",
                "repo",
                "main@sha1:a",
                "Reconciliation in progress"
            )),
            Drive::Nothing
        );
        assert_eq!(
            applied(git_repo("repo", "https://example.com/repo", "main@sha1:b")),
            Drive::Nothing
        );
        // A new applied revision: the marks of a tracked repository, nothing otherwise.
        assert_eq!(
            applied(ks("apps", "repo", "main@sha1:b", "Applied")),
            Drive::Marks(repo)
        );
        assert_eq!(
            applied(ks("infra", "other", "main@sha1:b", "Applied")),
            Drive::Nothing
        );
        // New objects, another source, another URL.
        let everything = Drive::Everything;
        assert_eq!(applied(ks("new", "repo", "main@sha1:a", "")), everything);
        assert_eq!(applied(ks("infra", "repo", "main@sha1:a", "")), everything);
        assert_eq!(
            applied(git_repo("repo", "https://example.com/moved", "main@sha1:a")),
            everything
        );
        // Deletions and finished lists of the kinds that feed the workers; pods never.
        let key = ObjectKey::new(Kind::Kustomization, "flux-system", "apps");
        assert_eq!(r.drives_workers(&Update::Deleted(key)), everything);
        let pod = ObjectKey::new(Kind::Pod, "flux-system", "p");
        assert_eq!(r.drives_workers(&Update::Deleted(pod)), Drive::Nothing);
        assert_eq!(
            r.drives_workers(&Update::RelistDone(Kind::GitRepository)),
            everything
        );
        assert_eq!(
            r.drives_workers(&Update::RelistDone(Kind::ImagePolicy)),
            Drive::Nothing
        );
    }

    #[test]
    fn a_revision_the_cluster_fetched_is_fetched_at_once_for_tracked_repositories_only() {
        let mut r = hub();
        let (git, mut sent) = mpsc::unbounded_channel();
        r.git = git;
        // Same revision, or a repository fluxdeck does not track: nothing.
        r.follow(&Update::Applied(git_repo(
            "repo",
            "https://example.com/repo",
            "main@sha1:a",
        )));
        r.follow(&Update::Applied(git_repo(
            "other",
            "https://example.com/other",
            "main@sha1:b",
        )));
        assert!(sent.try_recv().is_err());
        r.follow(&Update::Applied(git_repo(
            "repo",
            "https://example.com/repo",
            "main@sha1:b",
        )));
        match sent.try_recv() {
            Ok(GitCommand::FetchNow { key }) => {
                assert_eq!(key.as_deref(), Some("flux-system/repo"))
            }
            other => panic!("expected FetchNow, got {other:?}"),
        }
    }

    #[test]
    fn an_automation_push_fetches_its_repository_at_once() {
        let mut r = hub();
        let (git, mut sent) = mpsc::unbounded_channel();
        r.git = git;
        let automation = |commit: &str| {
            object(json!({"apiVersion": "image.toolkit.fluxcd.io/v1",
                "kind": "ImageUpdateAutomation",
                "metadata": {"name": "auto", "namespace": "flux-system"},
                "spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"}},
                "status": {"lastPushCommit": commit}}))
        };
        r.mirror.apply(Update::Applied(automation("a")));
        // The same push seen again: nothing.
        r.follow(&Update::Applied(automation("a")));
        assert!(sent.try_recv().is_err());
        r.follow(&Update::Applied(automation("b")));
        match sent.try_recv() {
            Ok(GitCommand::FetchNow { key }) => {
                assert_eq!(key.as_deref(), Some("flux-system/repo"))
            }
            other => panic!("expected FetchNow, got {other:?}"),
        }
    }

    #[test]
    fn a_new_applied_revision_re_sends_only_that_repositorys_marks() {
        let mut r = hub();
        let (git, mut sent) = mpsc::unbounded_channel();
        r.git = git;
        r.mirror
            .apply(Update::Applied(ks("apps", "repo", "main@sha1:b", "")));
        let repo = ObjectKey::new(Kind::GitRepository, "flux-system", "repo");
        r.refresh_marks(&repo);
        match sent.try_recv() {
            Ok(GitCommand::SetApplied { key, applied }) => {
                assert_eq!(key, "flux-system/repo");
                assert_eq!(applied.len(), 1);
                assert_eq!(applied[0].revision, "main@sha1:b");
            }
            other => panic!("expected SetApplied, got {other:?}"),
        }
        // Unchanged marks, or an untracked repository: nothing is sent.
        r.refresh_marks(&repo);
        r.refresh_marks(&ObjectKey::new(Kind::GitRepository, "flux-system", "other"));
        assert!(sent.try_recv().is_err());
    }

    #[test]
    fn marks_come_from_the_repositorys_own_kustomizations_as_they_come_and_go() {
        let mut r = hub();
        let (git, mut sent) = mpsc::unbounded_channel();
        r.git = git;
        let repo = ObjectKey::new(Kind::GitRepository, "flux-system", "repo");
        let keys = |r: &Hub| -> Vec<String> {
            let rows = r.sent.kustomizations_of.iter();
            rows.flat_map(|(s, ks)| ks.iter().map(move |k| format!("{}<-{}", k.name, s.name)))
                .collect()
        };
        assert_eq!(keys(&r), ["apps<-repo"]);
        let mut marks = |r: &mut Hub| match sent.try_recv() {
            Ok(GitCommand::SetApplied { applied, .. }) => applied
                .iter()
                .map(|a| format!("{}={}", a.kustomization, a.revision))
                .collect::<Vec<_>>(),
            other => panic!("expected SetApplied, got {other:?} ({:?})", keys(r)),
        };
        // Arrives between re-derivations, as the hub's batch applies it.
        let update = Update::Applied(ks("web", "repo", "main@sha1:c", ""));
        r.index(&update);
        r.mirror.apply(update);
        // Another repository's Kustomization is not indexed.
        let update = Update::Applied(ks("db", "other", "main@sha1:c", ""));
        r.index(&update);
        r.mirror.apply(update);
        assert_eq!(keys(&r), ["apps<-repo", "web<-repo"]);
        r.refresh_marks(&repo);
        assert_eq!(
            marks(&mut r),
            [
                "flux-system/apps=main@sha1:a",
                "flux-system/web=main@sha1:c"
            ]
        );
        // Deleted, or moved to another source: read from the mirror, it no longer counts.
        r.mirror.apply(Update::Deleted(ObjectKey::new(
            Kind::Kustomization,
            "flux-system",
            "web",
        )));
        r.refresh_marks(&repo);
        assert_eq!(marks(&mut r), ["flux-system/apps=main@sha1:a"]);
        r.mirror
            .apply(Update::Applied(ks("apps", "other", "main@sha1:a", "")));
        r.refresh_marks(&repo);
        assert_eq!(marks(&mut r), Vec::<String>::new());
    }

    #[tokio::test]
    async fn workers_are_driven_when_the_last_list_finishes_whatever_its_kind() {
        let (to_ui, mut ui) = mpsc::channel(64);
        let (git, mut sent) = mpsc::unbounded_channel();
        let mut r = hub();
        r.to_ui = to_ui;
        r.git = git;
        r.mirror = State::default();
        r.sent = Desired::default();
        let (_tx, mut rx) = mpsc::channel(1);
        let batches = [
            vec![
                Update::RelistStarted(Kind::GitRepository),
                Update::RelistStarted(Kind::Kustomization),
                Update::RelistStarted(Kind::ImagePolicy),
            ],
            vec![
                Update::Relisted(git_repo("repo", "https://example.com/repo", "main@sha1:a")),
                Update::RelistDone(Kind::GitRepository),
            ],
            vec![
                Update::Relisted(ks("apps", "repo", "main@sha1:a", "")),
                Update::RelistDone(Kind::Kustomization),
            ],
        ];
        for batch in batches {
            for u in batch {
                assert!(r.cluster_batch(u, &mut rx).await);
            }
            // Lists are still under way: nothing is tracked yet.
            assert!(sent.try_recv().is_err());
        }
        // The last list to finish is of a kind that feeds nothing.
        assert!(
            r.cluster_batch(Update::RelistDone(Kind::ImagePolicy), &mut rx)
                .await
        );
        let mut tracked = Vec::new();
        while let Ok(cmd) = sent.try_recv() {
            if let GitCommand::Track { key, .. } = cmd {
                tracked.push(key);
            }
        }
        assert_eq!(tracked, ["flux-system/repo"]);
        while ui.try_recv().is_ok() {}
    }
}
