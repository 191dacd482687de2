//! What the git worker and the registry scanner should be doing, read from the Flux objects
//! the hub has seen: which repositories to track (and with which ref and interval), which
//! authors are automations, what each Kustomization applied, and which ImageRepositories to
//! scan. Pure: the hub diffs two of these and sends only the changes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::model::duration::parse_go_duration;
use crate::model::key::{Kind, ObjectKey};
use crate::model::kustomization::Kustomization;
use crate::state::State;
use crate::workers::ecr::ImageRepoSpec;
use crate::workers::git::{AppliedRevision, Author, GitError, Origin, RepoSource};

/// The interval for a GitRepository without a readable `spec.interval`, and for `--repo`.
pub const DEFAULT_GIT_INTERVAL: Duration = Duration::from_secs(60);

/// One repository to track.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    /// Where and which ref.
    pub source: RepoSource,
    /// How often to fetch.
    pub interval: Duration,
}

/// Everything the workers should be doing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    /// Repositories by key (`namespace/name`, or the `--repo` argument).
    pub tracks: BTreeMap<String, Track>,
    /// GitRepositories that cannot be tracked, with the reason.
    pub broken: BTreeMap<String, (String, GitError)>,
    /// Automation authors, sorted and without duplicates.
    pub authors: Vec<Author>,
    /// Applied revisions by repository key.
    pub applied: BTreeMap<String, Vec<AppliedRevision>>,
    /// ImageRepositories to scan, by id.
    pub images: Vec<ImageRepoSpec>,
    /// The Kustomizations of each tracked GitRepository, by the repository's key: when one
    /// applies a new revision, its repository's marks are recomputed from these rows alone,
    /// not from a pass over every Kustomization of the cluster.
    pub kustomizations_of: BTreeMap<ObjectKey, BTreeSet<ObjectKey>>,
}

/// `namespace/name`, the key of a GitRepository and the id of an ImageRepository.
pub fn object_id(key: &ObjectKey) -> String {
    format!("{}/{}", key.namespace, key.name)
}

/// How many of the cluster's GitRepositories are tracked without being asked for: a
/// cluster with thousands of tenants must not make fluxdeck clone thousands of repositories
/// (disk, network and memory grow with each). The repositories ImageUpdateAutomations push
/// to come first, then the sources of Kustomizations in key order; `:repo NS/NAME` tracks
/// any other one on demand (`requested`), and `--repo` arguments are always tracked.
pub const AUTO_TRACK_LIMIT: usize = 16;

/// Computes what the workers should do from `state`, the `--repo` arguments and the
/// GitRepositories the user asked for (`namespace/name` keys, see [`AUTO_TRACK_LIMIT`]).
pub fn desired(state: &State, repo_args: &[String], requested: &[String]) -> Desired {
    let mut out = Desired::default();
    let git = |k: &&ObjectKey| k.kind == Kind::GitRepository;
    let pushed_to: BTreeSet<&ObjectKey> = state
        .image_automations()
        .iter()
        .filter_map(|a| a.source.as_ref())
        .filter(git)
        .collect();
    let applied_from: BTreeSet<&ObjectKey> = state
        .kustomizations()
        .iter()
        .filter_map(|k| k.source.as_ref())
        .filter(git)
        .filter(|k| !pushed_to.contains(k))
        .collect();
    let mut used: Vec<&ObjectKey> = pushed_to
        .into_iter()
        .chain(applied_from)
        .take(AUTO_TRACK_LIMIT)
        .collect();
    for id in requested {
        let wanted = state
            .sources()
            .iter()
            .map(|s| &s.key)
            .find(|k| k.kind == Kind::GitRepository && object_id(k) == *id);
        if let Some(key) = wanted
            && !used.contains(&key)
        {
            used.push(key);
        }
    }
    // The Kustomizations and marks of every tracked repository, in one pass.
    let mut applied: BTreeMap<&ObjectKey, Vec<AppliedRevision>> =
        used.iter().map(|k| (*k, Vec::new())).collect();
    for k in state.kustomizations().iter() {
        let Some(source) = k.source.as_ref() else {
            continue;
        };
        let Some(marks) = applied.get_mut(source) else {
            continue;
        };
        out.kustomizations_of
            .entry(source.clone())
            .or_default()
            .insert(k.key.clone());
        if let Some(revision) = &k.last_applied_revision {
            marks.push(AppliedRevision {
                kustomization: object_id(&k.key),
                revision: revision.clone(),
            });
        }
    }
    for key in used {
        let Some(source) = state.sources().get(key) else {
            continue;
        };
        let id = object_id(key);
        let origin = Origin::GitRepository {
            namespace: key.namespace.to_string(),
            name: key.name.to_string(),
        };
        let location = source.url.clone().unwrap_or_default();
        match RepoSource::from_spec(origin, source.url.as_deref(), &source.git_ref) {
            Ok(repo) => {
                let interval = source
                    .interval
                    .as_deref()
                    .and_then(parse_go_duration)
                    .filter(|d| !d.is_zero())
                    .unwrap_or(DEFAULT_GIT_INTERVAL);
                let marks = applied.remove(key).unwrap_or_default();
                out.applied.insert(id.clone(), marks);
                out.tracks.insert(
                    id,
                    Track {
                        source: repo,
                        interval,
                    },
                );
            }
            Err(e) => {
                out.broken.insert(id, (location, e));
            }
        }
    }
    for arg in repo_args {
        match RepoSource::from_arg(arg) {
            Ok(repo) => {
                // A `--repo` that is the URL of a GitRepository gets its Kustomizations' marks.
                let same = state
                    .sources()
                    .iter()
                    .filter(|s| s.key.kind == Kind::GitRepository)
                    .filter(|s| s.url.as_deref().map(str::trim) == Some(arg.trim()))
                    .flat_map(|s| applied_of(state.kustomizations().iter(), &s.key))
                    .collect();
                out.applied.insert(arg.clone(), same);
                out.tracks.insert(
                    arg.clone(),
                    Track {
                        source: repo,
                        interval: DEFAULT_GIT_INTERVAL,
                    },
                );
            }
            Err(e) => {
                out.broken.insert(arg.clone(), (arg.clone(), e));
            }
        }
    }
    let authors: BTreeSet<(String, String)> = state
        .image_automations()
        .iter()
        .filter_map(|a| a.author.as_ref())
        .map(|a| (a.email.to_ascii_lowercase(), a.name.clone()))
        .collect();
    out.authors = authors
        .into_iter()
        .map(|(email, name)| Author { name, email })
        .collect();
    out.images = state
        .image_repositories()
        .iter()
        .filter_map(|r| {
            Some(ImageRepoSpec {
                id: object_id(&r.key),
                image: r.image.clone()?,
                interval: r.interval.as_deref().and_then(parse_go_duration),
            })
        })
        .collect();
    out
}

/// The applied revisions of those of `kustomizations` whose source is GitRepository `key`.
pub fn applied_of<'a>(
    kustomizations: impl IntoIterator<Item = &'a Kustomization>,
    key: &ObjectKey,
) -> Vec<AppliedRevision> {
    kustomizations
        .into_iter()
        .filter(|k| k.source.as_ref() == Some(key))
        .filter_map(|k| {
            Some(AppliedRevision {
                kustomization: object_id(&k.key),
                revision: k.last_applied_revision.clone()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object::Object;
    use crate::state::Update;
    use crate::workers::git::{Location, TrackRef};
    use serde_json::json;

    fn apply(state: &mut State, value: serde_json::Value) {
        let object = Object::from_value(&value).unwrap();
        state.apply(Update::Applied(object));
    }

    fn sample() -> State {
        let mut state = State::default();
        apply(
            &mut state,
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "repo", "namespace": "flux-system"},
                "spec": {"url": "https://example.com/repo.git", "interval": "5m",
                         "ref": {"branch": "main"}}}),
        );
        apply(
            &mut state,
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "unused", "namespace": "flux-system"},
                "spec": {"url": "https://example.com/unused.git"}}),
        );
        apply(
            &mut state,
            json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "apps", "namespace": "flux-system"},
                "spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"}},
                "status": {"lastAppliedRevision": "main@sha1:abc1234"}}),
        );
        apply(
            &mut state,
            json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                "metadata": {"name": "bot", "namespace": "flux-system"},
                "spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"},
                         "git": {"commit": {"author": {"name": "Bot", "email": "Bot@Example.com"}}}}}),
        );
        apply(
            &mut state,
            json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
                "metadata": {"name": "app", "namespace": "apps"},
                "spec": {"image": "ghcr.io/team/app", "interval": "2m"}}),
        );
        state
    }

    #[test]
    fn tracks_the_used_git_repositories_with_their_ref_interval_and_marks() {
        let d = desired(&sample(), &[], &[]);
        assert_eq!(d.tracks.keys().collect::<Vec<_>>(), ["flux-system/repo"]);
        let t = &d.tracks["flux-system/repo"];
        assert_eq!(t.interval, Duration::from_secs(300));
        assert_eq!(t.source.reference, TrackRef::Branch("main".into()));
        assert_eq!(
            t.source.location,
            Location::Remote("https://example.com/repo.git".into())
        );
        assert_eq!(
            d.applied["flux-system/repo"],
            vec![AppliedRevision {
                kustomization: "flux-system/apps".into(),
                revision: "main@sha1:abc1234".into()
            }]
        );
        assert_eq!(
            d.authors,
            vec![Author {
                name: "Bot".into(),
                email: "bot@example.com".into()
            }]
        );
        assert_eq!(
            d.images,
            vec![ImageRepoSpec {
                id: "apps/app".into(),
                image: "ghcr.io/team/app".into(),
                interval: Some(Duration::from_secs(120)),
            }]
        );
    }

    #[test]
    fn repo_arguments_are_tracked_and_borrow_the_marks_of_a_matching_url() {
        let d = desired(
            &sample(),
            &["https://example.com/repo.git".into(), "/tmp/local".into()],
            &[],
        );
        assert_eq!(d.tracks.len(), 3);
        assert_eq!(d.applied["https://example.com/repo.git"].len(), 1);
        assert!(d.applied["/tmp/local"].is_empty());
        assert_eq!(d.tracks["/tmp/local"].interval, DEFAULT_GIT_INTERVAL);
        let bad = desired(&State::default(), &["  ".into()], &[]);
        assert!(bad.tracks.is_empty());
        assert!(bad.broken["  "].1.to_string().contains("--repo"));
    }

    #[test]
    fn a_git_repository_without_url_is_reported_not_tracked() {
        let mut state = sample();
        apply(
            &mut state,
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "repo", "namespace": "flux-system"}, "spec": {}}),
        );
        let d = desired(&state, &[], &[]);
        assert!(d.tracks.is_empty());
        let (_, error) = &d.broken["flux-system/repo"];
        assert!(error.to_string().contains("spec.url"), "{error}");
    }

    #[test]
    fn tracks_at_most_the_limit_unasked_automation_repositories_first_and_requested_ones_too() {
        let mut state = sample();
        for i in 0..40 {
            apply(
                &mut state,
                json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                    "metadata": {"name": format!("a{i:02}"), "namespace": "team"},
                    "spec": {"url": format!("https://example.com/a{i:02}.git")}}),
            );
            apply(
                &mut state,
                json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                    "metadata": {"name": format!("a{i:02}"), "namespace": "team"},
                    "spec": {"sourceRef": {"kind": "GitRepository", "name": format!("a{i:02}")}}}),
            );
        }
        // An automation's repository is tracked first, whatever its place in key order.
        apply(
            &mut state,
            json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                "metadata": {"name": "bot", "namespace": "team"},
                "spec": {"sourceRef": {"kind": "GitRepository", "name": "a39"}}}),
        );
        let d = desired(&state, &[], &[]);
        assert_eq!(d.tracks.len(), AUTO_TRACK_LIMIT);
        assert!(d.tracks.contains_key("flux-system/repo"));
        assert!(d.tracks.contains_key("team/a39"));
        assert!(d.tracks.contains_key("team/a00"));
        assert!(!d.tracks.contains_key("team/a38"));
        let asked = desired(&state, &[], &["team/a38".into(), "team/nope".into()]);
        assert_eq!(asked.tracks.len(), AUTO_TRACK_LIMIT + 1);
        assert!(asked.tracks.contains_key("team/a38"));
        assert_eq!(asked.applied["team/a38"].len(), 0);
        // An unused GitRepository is tracked when asked for.
        let unused = desired(&sample(), &[], &["flux-system/unused".into()]);
        assert!(unused.tracks.contains_key("flux-system/unused"));
    }
}
