//! The hub's unit tests: what re-drives the workers, and what it sends them.

use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;
use crate::state::{State, Update};
use crate::workers::git::GitCommand;

use super::cluster::Drive;
use super::desired::{Desired, desired};
use super::relay::Hub;

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

/// A hub that has seen two repositories with one Kustomization each and tracks the first
/// only, and the queue where it sends the git worker's commands.
fn hub() -> (Hub, mpsc::UnboundedReceiver<GitCommand>) {
    let (to_ui, _) = mpsc::channel(1);
    let (to_cluster, _) = mpsc::channel(1);
    let (git, sent) = mpsc::unbounded_channel();
    let (scans, _) = mpsc::channel(1);
    let (images, _) = watch::channel(Vec::new());
    let mut r = Hub::new(to_ui, to_cluster, git, scans, images, Vec::new());
    let revision = "main@sha1:a";
    let message = format!("Applied revision: {revision}");
    for (repo, kustomization) in [("repo", "apps"), ("other", "infra")] {
        let url = format!("https://example.com/{repo}");
        r.mirror
            .apply(Update::Applied(git_repo(repo, &url, revision)));
        r.mirror
            .apply(Update::Applied(ks(kustomization, repo, revision, &message)));
    }
    r.sent = desired(&r.mirror, &[], &[]);
    // Only one repository is tracked, as if the limit had been reached.
    r.sent.tracks.remove("flux-system/other");
    r.sent
        .kustomizations_of
        .remove(&ObjectKey::new(Kind::GitRepository, "flux-system", "other"));
    (r, sent)
}

/// Checks that the next command sent to the git worker is a fetch of repository `key`.
fn assert_fetch_now(sent: &mut mpsc::UnboundedReceiver<GitCommand>, key: &str) {
    match sent.try_recv() {
        Ok(GitCommand::FetchNow { key: fetched }) => assert_eq!(fetched.as_deref(), Some(key)),
        other => panic!("expected FetchNow, got {other:?}"),
    }
}

#[test]
fn only_changes_that_can_move_the_workers_re_derive_them() {
    let (r, _) = hub();
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
    let (r, mut sent) = hub();
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
    assert_fetch_now(&mut sent, "flux-system/repo");
}

#[test]
fn an_automation_push_fetches_its_repository_at_once() {
    let (mut r, mut sent) = hub();
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
    assert_fetch_now(&mut sent, "flux-system/repo");
}

#[test]
fn a_new_applied_revision_re_sends_only_that_repositorys_marks() {
    let (mut r, mut sent) = hub();
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
    let (mut r, mut sent) = hub();
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
    let (mut r, mut sent) = hub();
    r.to_ui = to_ui;
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
