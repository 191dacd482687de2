//! [`State::apply_at`], the one writer of the state: each [`Update`] folded into its table,
//! then the views derived from the tables (image chains, next picks, release lanes) brought
//! up to date, only as far as the update concerns them.

use jiff::Timestamp;

use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;

use super::chain;
use super::details::Details;
use super::logs::LogBuffer;
use super::store::State;
use super::table::TableOps;
use super::update::{Update, WatchState};

impl State {
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
