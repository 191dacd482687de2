//! `State`, `Update` and `State::apply`, the one writer of application state; derived views (release lanes, drift).
//!
//! Workers send [`Update`]s; [`State::apply`] folds each into the state and says whether
//! anything visible changed, so the app redraws only then. The UI reads `&State` and sends
//! [`Command`]s back. Nothing here does I/O or knows about terminals.

pub mod access;
pub mod activity;
pub mod chain;
pub mod command;
pub mod commits;
pub mod details;
pub mod lanes;
pub mod logs;
pub mod scans;
pub mod table;
pub mod update;

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::model::automation::ImageUpdateAutomation;
use crate::model::image::{ImagePolicy, ImageRepository};
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::model::object::Object;
use crate::model::pod::Pod;
use crate::model::source::Source;

pub use access::{Access, Connection};
pub use activity::{ActionLog, ActionRecord};
pub use chain::ImageChain;
pub use command::{ActionId, ActionKind, Command, PodsWatch};
pub use commits::{AppliedColumn, AppliedMarks, CommitDiff, CommitLog, CommitLogs};
pub use details::Details;
pub use lanes::{Lane, Lanes, Release, Stage, Stuck};
pub use logs::{LogBuffer, LogEvent, LogSession, LogStatus, LogTarget};
pub use scans::{Drift, ImagePreview, NextPick, RegistryScan, RepoScan, ScanResult};
pub use table::{Row, Table};
pub use update::{ActionEvent, ActionPhase, Permission, Session, Update, WatchState};

/// The tables of a `State` the release lanes read, borrowed field by field (so that
/// `State::split` can lend the lanes mutably beside them).
macro_rules! lane_inputs {
    ($state:expr) => {
        lanes::Inputs {
            kustomizations: &$state.kustomizations,
            sources: &$state.sources,
            repositories: &$state.image_repositories,
            policies: &$state.image_policies,
            automations: &$state.image_automations,
            pods: &$state.pods,
            chains: &$state.image_chains,
            scans: &$state.scans,
            commit_logs: &$state.commit_logs,
        }
    };
}

/// Everything fluxdeck knows, as the workers reported it.
#[derive(Debug, Default)]
pub struct State {
    kustomizations: Table<Kustomization>,
    sources: Table<Source>,
    image_repositories: Table<ImageRepository>,
    image_policies: Table<ImagePolicy>,
    image_automations: Table<ImageUpdateAutomation>,
    pods: Table<Pod>,
    image_chains: Vec<ImageChain>,
    image_chains_revision: u64,
    watchers: BTreeMap<Kind, WatchState>,
    session: Session,
    access: BTreeMap<Permission, bool>,
    actions: ActionLog,
    details: Option<Details>,
    logs: Option<LogBuffer>,
    commit_logs: CommitLogs,
    diff: Option<CommitDiff>,
    scans: scans::Scans,
    lanes: Lanes,
}

impl State {
    /// An empty state whose pods are those of `pods` until a worker says otherwise.
    pub fn new(pods: PodsWatch) -> State {
        State {
            session: Session {
                pods,
                ..Session::default()
            },
            ..State::default()
        }
    }

    /// Folds one update into the state, as received now; returns whether anything the UI
    /// shows changed.
    pub fn apply(&mut self, update: Update) -> bool {
        self.apply_at(update, Timestamp::now())
    }

    /// [`State::apply`] for an update received at `now` (a replay gives the recorded time):
    /// the release lanes stamp the stages it completes with it.
    pub fn apply_at(&mut self, update: Update, now: Timestamp) -> bool {
        match update {
            Update::Applied(object) => {
                let key = object.key().clone();
                // Only a change to an object already known is a transition seen as it
                // happened; a first sight says nothing of when its state began.
                let known = self.flux_status(&key).is_some() || self.pods.get(&key).is_some();
                self.upsert(object, false) && {
                    let (lanes, inputs) = self.split();
                    lanes.object(&key, inputs, known, now);
                    true
                }
            }
            Update::Relisted(object) => {
                let key = object.key().clone();
                self.upsert(object, true) && {
                    let (lanes, inputs) = self.split();
                    lanes.object(&key, inputs, false, now);
                    true
                }
            }
            Update::Deleted(key) => {
                self.with_table(key.kind, |t| t.remove(&key)) && {
                    let (lanes, inputs) = self.split();
                    lanes.object(&key, inputs, true, now);
                    true
                }
            }
            Update::Forget { kind, namespace } => {
                self.with_table(kind, |t| t.forget(kind, namespace.as_deref())) && {
                    let (lanes, inputs) = self.split();
                    lanes.refresh_all(inputs, now);
                    true
                }
            }
            Update::RelistStarted(kind) => {
                self.watchers.entry(kind).or_insert(WatchState::Connecting);
                self.with_table(kind, |t| {
                    t.begin_relist(kind);
                    true
                })
            }
            Update::RelistDone(kind) => {
                if self.with_table(kind, |t| t.end_relist(kind)) {
                    let (lanes, inputs) = self.split();
                    lanes.refresh_all(inputs, now);
                }
                self.watchers.insert(kind, WatchState::Connected);
                true
            }
            Update::Watch { kind, state } => {
                self.watchers.insert(kind, state.clone()) != Some(state)
            }
            Update::Session(session) => replace(&mut self.session, session),
            Update::Access {
                permission,
                allowed,
            } => self.access.insert(permission, allowed) != Some(allowed),
            Update::Action(event) => self.actions.apply(event),
            Update::Details {
                key,
                object,
                related,
            } => {
                self.details_for(key).set_object(object, related);
                true
            }
            Update::Events { key, events } => {
                self.details_for(key).events = Some(events);
                true
            }
            Update::FetchFailed { key, error } => {
                self.details_for(key).error = Some(error);
                true
            }
            Update::Log { session, event } => {
                let buffer = match &mut self.logs {
                    Some(b) if b.session == session => b,
                    // A newer stream replaces the buffer; an older one's leftovers are dropped.
                    Some(b) if b.session > session => return false,
                    _ => self.logs.insert(LogBuffer::new(session)),
                };
                buffer.apply(event)
            }
            Update::Commits(log) => {
                let key = log.key.clone();
                self.commit_logs.put(log) && {
                    let (lanes, inputs) = self.split();
                    if let Some(log) = inputs.commit_logs.all().get(&key) {
                        lanes.commits(log, inputs, now);
                    }
                    true
                }
            }
            Update::CommitsFailed {
                key,
                repository,
                error,
            } => self.commit_logs.fail(&key, &repository, error),
            Update::PinnedRepos(keys) => self.commit_logs.pin(keys),
            Update::CommitsUntracked { key } => self.commit_logs.remove(&key),
            Update::CommitDiff(diff) => {
                let changed = self.diff.as_ref() != Some(&diff);
                self.diff = Some(diff);
                changed
            }
            Update::RegistryScan(scan) => {
                let policies = self.policies_reading_id(&scan.repository);
                let lanes_scan = scan.clone();
                self.scans.apply(scan) && {
                    self.refresh_picks_of(&policies);
                    let (lanes, inputs) = self.split();
                    lanes.scan(&lanes_scan, inputs, now);
                    true
                }
            }
            // Messages belong to the UI (`App::apply_all` shows them).
            Update::Notice { .. } => false,
        }
    }

    fn upsert(&mut self, object: Object, relist: bool) -> bool {
        macro_rules! put {
            ($table:expr, $row:expr) => {
                if relist {
                    $table.relist_apply($row)
                } else {
                    $table.upsert($row)
                }
            };
        }
        let image = is_image(object.key().kind);
        // A status change of an image object leaves the chains as they are and moves only
        // the picks of the policies it concerns: with thousands of image objects a full
        // rebuild per update would cost a core.
        let shape = image && self.image_shape_changes(&object);
        // A pick reads the policy's spec, the repository's exclusion list and fluxdeck's own
        // scan: status writes (every reconcile makes some) move no pick.
        let picks = match &object {
            Object::ImagePolicy(p)
                if self
                    .image_policies
                    .get(&p.key)
                    .is_none_or(|old| old.spec != p.spec) =>
            {
                vec![p.key.clone()]
            }
            Object::ImageRepository(r)
                if self
                    .image_repositories
                    .get(&r.key)
                    .is_none_or(|old| old.exclusion_list != r.exclusion_list) =>
            {
                self.policies_reading(&r.key)
            }
            _ => Vec::new(),
        };
        let changed = match object {
            Object::Kustomization(o) => put!(self.kustomizations, o),
            Object::Source(o) => put!(self.sources, o),
            Object::ImageRepository(o) => put!(self.image_repositories, o),
            Object::ImagePolicy(o) => put!(self.image_policies, o),
            Object::ImageUpdateAutomation(o) => put!(self.image_automations, o),
            Object::Pod(o) => put!(self.pods, o),
        };
        if !changed {
            return false;
        }
        if shape {
            self.after_change(true)
        } else {
            self.refresh_picks_of(&picks);
            true
        }
    }

    /// Whether upserting `object` changes what the image chains are built from: a new image
    /// object, a policy reading another repository, an automation applying other policies.
    fn image_shape_changes(&self, object: &Object) -> bool {
        match object {
            Object::ImageRepository(r) => self.image_repositories.get(&r.key).is_none(),
            Object::ImagePolicy(p) => self
                .image_policies
                .get(&p.key)
                .is_none_or(|old| old.repository != p.repository),
            Object::ImageUpdateAutomation(a) => self
                .image_automations
                .get(&a.key)
                .is_none_or(|old| old.observed_policies != a.observed_policies),
            _ => false,
        }
    }

    /// The policies whose chain reads ImageRepository `key`.
    fn policies_reading(&self, key: &ObjectKey) -> Vec<ObjectKey> {
        self.image_chains
            .iter()
            .filter(|c| c.repository.as_ref() == Some(key))
            .filter_map(|c| c.policy.clone())
            .collect()
    }

    /// [`State::policies_reading`] by the repository's `namespace/name`.
    fn policies_reading_id(&self, id: &str) -> Vec<ObjectKey> {
        self.image_chains
            .iter()
            .filter(|c| {
                c.repository
                    .as_ref()
                    .is_some_and(|r| id.split_once('/') == Some((&r.namespace, &r.name)))
            })
            .filter_map(|c| c.policy.clone())
            .collect()
    }

    /// Re-evaluates the next picks of `policies` only.
    fn refresh_picks_of(&mut self, policies: &[ObjectKey]) {
        let repositories = &self.image_repositories;
        let all = &self.image_policies;
        self.scans
            .refresh_some(policies, |k| all.get(k), |k| repositories.get(k));
    }

    /// Shows the rows staged so far by first lists (see `Table::show_staged`); the app calls
    /// it once per drained batch of updates. Returns whether anything visible changed.
    pub fn show_staged(&mut self) -> bool {
        let images = [
            self.image_repositories.show_staged(),
            self.image_policies.show_staged(),
            self.image_automations.show_staged(),
        ]
        .contains(&true);
        let others = [
            self.kustomizations.show_staged(),
            self.sources.show_staged(),
            self.pods.show_staged(),
        ]
        .contains(&true);
        (images || others) && self.after_change(images) && {
            let (lanes, inputs) = self.split();
            lanes.refresh_all(inputs, Timestamp::now());
            true
        }
    }

    /// The lanes and, apart, the tables they read (borrowed field by field).
    fn split(&mut self) -> (&mut Lanes, lanes::Inputs<'_>) {
        (&mut self.lanes, lane_inputs!(self))
    }

    /// The tables the lanes read.
    pub fn lane_inputs(&self) -> lanes::Inputs<'_> {
        lane_inputs!(self)
    }

    /// The release lanes, one per ImagePolicy.
    pub fn lanes(&self) -> &Lanes {
        &self.lanes
    }

    /// Why `release` of `lane` has not rolled out at `now`; `None` once it has.
    pub fn stuck(&self, lane: &Lane, release: &Release, now: Timestamp) -> Option<Stuck> {
        lanes::stuck::why(lane, release, self.lane_inputs(), now)
    }

    /// Runs `f` on the table holding `kind`, then refreshes derived views if it changed.
    fn with_table(&mut self, kind: Kind, f: impl FnOnce(&mut dyn TableOps) -> bool) -> bool {
        let changed = match kind {
            Kind::Kustomization => f(&mut self.kustomizations),
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                f(&mut self.sources)
            }
            Kind::ImageRepository => f(&mut self.image_repositories),
            Kind::ImagePolicy => f(&mut self.image_policies),
            Kind::ImageUpdateAutomation => f(&mut self.image_automations),
            Kind::Pod => f(&mut self.pods),
        };
        changed && self.after_change(is_image(kind))
    }

    /// Rebuilds the image chains when the image tables may have changed. Always `true`:
    /// the caller only calls it after a change.
    fn after_change(&mut self, images_may_have_changed: bool) -> bool {
        if images_may_have_changed {
            let chains = chain::build(
                &self.image_repositories,
                &self.image_policies,
                &self.image_automations,
            );
            if chains != self.image_chains {
                self.image_chains = chains;
                self.image_chains_revision += 1;
                let (lanes, inputs) = self.split();
                lanes.rebuild(inputs, Timestamp::now());
            }
            self.refresh_next_picks();
        }
        true
    }

    /// Re-evaluates every ImagePolicy over its repository's last scan.
    fn refresh_next_picks(&mut self) {
        let repositories = &self.image_repositories;
        self.scans
            .refresh(self.image_policies.iter(), |k| repositories.get(k));
    }

    fn details_for(&mut self, key: ObjectKey) -> &mut Details {
        let details = self
            .details
            .get_or_insert_with(|| Details::pending(key.clone()));
        if details.key != key {
            *details = Details::pending(key);
        }
        details
    }

    /// Kustomizations, sorted by namespace and name.
    pub fn kustomizations(&self) -> &Table<Kustomization> {
        &self.kustomizations
    }

    /// Sources of every kind, sorted by namespace, name and kind.
    pub fn sources(&self) -> &Table<Source> {
        &self.sources
    }

    /// ImageRepositories.
    pub fn image_repositories(&self) -> &Table<ImageRepository> {
        &self.image_repositories
    }

    /// ImagePolicies.
    pub fn image_policies(&self) -> &Table<ImagePolicy> {
        &self.image_policies
    }

    /// ImageUpdateAutomations.
    pub fn image_automations(&self) -> &Table<ImageUpdateAutomation> {
        &self.image_automations
    }

    /// Pods of the pods namespace.
    pub fn pods(&self) -> &Table<Pod> {
        &self.pods
    }

    /// The image automation chains, sorted by anchor.
    pub fn image_chains(&self) -> &[ImageChain] {
        &self.image_chains
    }

    /// Bumped whenever the chains change.
    pub fn image_chains_revision(&self) -> u64 {
        self.image_chains_revision
    }

    /// The Flux object with `key`, whatever its kind, as its shared status.
    pub fn flux_status(&self, key: &ObjectKey) -> Option<&crate::model::conditions::FluxStatus> {
        match key.kind {
            Kind::Kustomization => self.kustomizations.get(key).map(|o| &o.status),
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                self.sources.get(key).map(|o| &o.status)
            }
            Kind::ImageRepository => self.image_repositories.get(key).map(|o| &o.status),
            Kind::ImagePolicy => self.image_policies.get(key).map(|o| &o.status),
            Kind::ImageUpdateAutomation => self.image_automations.get(key).map(|o| &o.status),
            Kind::Pod => None,
        }
    }

    /// Each watcher's state.
    pub fn watchers(&self) -> &BTreeMap<Kind, WatchState> {
        &self.watchers
    }

    /// Whether a relist of `kind` is in progress.
    pub fn syncing(&self, kind: Kind) -> bool {
        self.table(kind).relisting(kind)
    }

    /// Whether the first list of `kind` is in progress, its rows shown as they come.
    pub fn loading(&self, kind: Kind) -> bool {
        self.table(kind).loading(kind)
    }

    /// The table holding `kind`.
    fn table(&self, kind: Kind) -> &dyn TableOps {
        match kind {
            Kind::Kustomization => &self.kustomizations,
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                &self.sources
            }
            Kind::ImageRepository => &self.image_repositories,
            Kind::ImagePolicy => &self.image_policies,
            Kind::ImageUpdateAutomation => &self.image_automations,
            Kind::Pod => &self.pods,
        }
    }

    /// The context and namespaces being watched.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Actions, running and finished.
    pub fn actions(&self) -> &ActionLog {
        &self.actions
    }

    /// The lines of the last log stream opened (check its session).
    pub fn logs(&self) -> Option<&LogBuffer> {
        self.logs.as_ref()
    }

    /// The details last fetched.
    pub fn details(&self) -> Option<&Details> {
        self.details.as_ref()
    }

    /// The commit log the commits pane shows by default: the first `--repo` argument's
    /// once it is tracked (whatever order the logs arrive in), else the repository an
    /// ImageUpdateAutomation pushes to when it is tracked, else the first tracked one.
    pub fn commits(&self) -> Option<&CommitLog> {
        self.commits_for(None)
    }

    /// The log of `chosen` (a key the user picked with `:repo`) while it is tracked, else
    /// the default of [`State::commits`].
    pub fn commits_for(&self, chosen: Option<&str>) -> Option<&CommitLog> {
        // Lazily: with thousands of automations the first tracked repository ends the search.
        let pushed_to = self
            .image_automations
            .iter()
            .filter_map(|a| a.source.as_ref())
            .map(|k| format!("{}/{}", k.namespace, k.name));
        let pinned = self.commit_logs.pinned().iter().cloned();
        self.commit_logs.shown_by(
            chosen
                .map(str::to_string)
                .into_iter()
                .chain(pinned)
                .chain(pushed_to),
        )
    }

    /// Every tracked repository's log, by key.
    pub fn commit_logs(&self) -> &CommitLogs {
        &self.commit_logs
    }

    /// Bumped whenever a commit log changes.
    pub fn commits_revision(&self) -> u64 {
        self.commit_logs.revision()
    }

    /// The diff last received.
    pub fn diff(&self) -> Option<&CommitDiff> {
        self.diff.as_ref()
    }

    /// Registry scans per ImageRepository and the next picks per ImagePolicy.
    pub fn scans(&self) -> &scans::Scans {
        &self.scans
    }

    /// ImagePolicy `key` seen three ways (cluster, next pick, running) with its drift.
    pub fn image_preview(&self, key: &ObjectKey) -> Option<ImagePreview> {
        let policy = self.image_policies.get(key)?;
        let next = self.scans.next(key).cloned().unwrap_or(NextPick::Waiting);
        let image = policy
            .repository
            .as_ref()
            .and_then(|k| self.image_repositories.get(k))
            .and_then(|r| r.image.as_deref());
        let running = image.map_or_else(Vec::new, |image| {
            scans::running_tags(image, self.pods.iter())
        });
        Some(scans::preview(policy, next, running))
    }

    /// Errors of background work for the status strip (first registry scan error, first
    /// repository error), when any.
    pub fn background_error(&self) -> Option<String> {
        self.scans.first_error().or_else(|| {
            self.commit_logs.all().values().find_map(|l| {
                l.error
                    .as_ref()
                    .map(|e| format!("git {}: {e}", l.repository))
            })
        })
    }
}

fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        false
    } else {
        *slot = value;
        true
    }
}

/// Whether objects of `kind` feed the image chains.
fn is_image(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::ImageRepository | Kind::ImagePolicy | Kind::ImageUpdateAutomation
    )
}

/// The table operations `State::with_table` needs, independent of the row type.
trait TableOps {
    fn remove(&mut self, key: &ObjectKey) -> bool;
    /// Removes the rows of `kind` in `namespace` (all namespaces when `None`).
    fn forget(&mut self, kind: Kind, namespace: Option<&str>) -> bool;
    fn begin_relist(&mut self, kind: Kind);
    fn end_relist(&mut self, kind: Kind) -> bool;
    fn relisting(&self, kind: Kind) -> bool;
    fn loading(&self, kind: Kind) -> bool;
}

impl<T: Row> TableOps for Table<T> {
    fn remove(&mut self, key: &ObjectKey) -> bool {
        Table::remove(self, key)
    }
    fn forget(&mut self, kind: Kind, namespace: Option<&str>) -> bool {
        let gone: Vec<ObjectKey> = self
            .iter()
            .map(Row::key)
            .filter(|k| k.kind == kind && namespace.is_none_or(|ns| k.namespace.as_str() == ns))
            .cloned()
            .collect();
        gone.iter()
            .fold(false, |changed, k| Table::remove(self, k) | changed)
    }
    fn begin_relist(&mut self, kind: Kind) {
        Table::begin_relist(self, kind)
    }
    fn end_relist(&mut self, kind: Kind) -> bool {
        Table::end_relist(self, kind)
    }
    fn relisting(&self, kind: Kind) -> bool {
        Table::relisting(self, kind)
    }
    fn loading(&self, kind: Kind) -> bool {
        Table::loading(self, kind)
    }
}

#[cfg(test)]
mod tests;
