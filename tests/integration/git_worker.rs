//! The git worker over real local repositories (bare, mirrored through `file://`, and a
//! working tree): log pages, automation commits, applied/pending marks, fetches, missing
//! branches, repositories that vanish and come back, diffs.

use std::path::Path;
use std::time::Duration;

use crate::support::git::{OVERLAY, Running, TestRepo, isolated_credentials, maria, overlay};
use fluxdeck::sandbox::git::Identity;
use fluxdeck::workers::git::{
    AppliedRevision, Author, Behind, GitCommand, GitError, GitEvent, GitWorkerConfig, Mark,
    RepoSource,
};
use serde_json::json;

const HOUR: Duration = Duration::from_secs(3600);

fn local(path: &Path) -> RepoSource {
    RepoSource::from_arg(path.to_str().unwrap()).unwrap()
}

fn git_repository(url: &str, reference: serde_json::Value) -> RepoSource {
    RepoSource::from_git_repository(&json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "sock-shop-tenant", "namespace": "sock-shop"},
        "spec": {"url": url, "interval": "1m", "ref": reference},
    }))
    .unwrap()
}

fn track(key: &str, source: RepoSource) -> GitCommand {
    GitCommand::Track {
        key: key.into(),
        source,
        interval: HOUR,
    }
}

fn bot() -> Identity {
    Identity::new("release-bot", "release-bot@corp.example")
}

#[tokio::test]
async fn log_pages_newest_first_and_loads_more_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "repo");
    for n in 1..=23 {
        repo.human(n);
    }
    let mut w = Running::start(&dir.path().join("cache"), 10, isolated_credentials());
    w.send(track("r", local(&repo.path))).await;
    let log = w.log().await;
    assert_eq!(log.reference, "refs/heads/main");
    assert_eq!(log.head, repo.head());
    assert_eq!(log.commits.len(), 10);
    assert!(!log.complete);
    let first = &log.commits[0];
    assert_eq!(first.sha, repo.head());
    assert_eq!(first.short, &repo.head()[..7]);
    assert_eq!(first.subject, "Human change 23");
    assert_eq!(first.author_name, "Maria Lopez");
    assert_eq!(first.author_email, "maria.lopez@example.com");
    assert_eq!(first.parents, vec![log.commits[1].sha.clone()]);
    assert!(log.commits.windows(2).all(|p| p[0].time > p[1].time));
    assert!(log.commits.iter().all(|c| c.automation.is_none()));

    w.send(GitCommand::LoadMore { key: "r".into() }).await;
    let more = w.log().await;
    assert_eq!(more.commits.len(), 20);
    assert_eq!(more.commits[..10], log.commits[..]);
    assert_eq!(more.commits[10].subject, "Human change 13");
    w.send(GitCommand::LoadMore { key: "r".into() }).await;
    let all = w.log().await;
    assert_eq!(all.commits.len(), 24);
    assert!(all.complete);
    assert_eq!(all.commits[23].subject, "Add development overlay");
    assert!(all.commits[23].parents.is_empty());
    w.stop().await;
}

#[tokio::test]
async fn automation_commits_are_found_by_the_configured_author_with_their_image_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "repo");
    let by_bot = repo.commit(
        &bot(),
        "main-1f49071-24\n",
        &[(OVERLAY, overlay("main-1f49071-24").as_bytes())],
    );
    // Same change, but by the name upstream Flux uses by default: not this cluster's author.
    let by_fluxcdbot = repo.commit(
        &Identity::new("fluxcdbot", "fluxcdbot@users.noreply.github.com"),
        "main-2a2a2a2-25\n",
        &[(OVERLAY, overlay("main-2a2a2a2-25").as_bytes())],
    );
    // A bot commit whose diff has no marker line: its message carries the value.
    let message_only = repo.commit(&bot(), "main-3b3b3b3-26\n", &[("VERSION", b"26\n")]);
    let human = repo.human(1);

    let mut w = Running::start(&dir.path().join("cache"), 50, isolated_credentials());
    w.send(track("r", local(&repo.path))).await;
    let log = w.log().await;
    assert!(
        log.commits.iter().all(|c| c.automation.is_none()),
        "no authors yet"
    );

    let author = Author::from_automation(&json!({"spec": {"git": {"commit": {"author": {
        "name": "release-bot", "email": "release-bot@corp.example"}}}}}))
    .unwrap();
    w.send(GitCommand::SetAuthors {
        authors: vec![author.clone()],
    })
    .await;
    let log = w.log().await;
    let find = |sha: &str| log.commits.iter().find(|c| c.sha == sha).unwrap();
    let auto = find(&by_bot).automation.as_ref().expect("a bot commit");
    assert_eq!(auto.author, author);
    assert_eq!(auto.changes.len(), 1);
    let change = &auto.changes[0];
    assert_eq!(change.file.as_deref(), Some(OVERLAY));
    assert_eq!(
        change.setter.as_deref(),
        Some("sock-shop:sock-shop-front-end:tag")
    );
    assert_eq!(change.old.as_deref(), Some("latest"));
    assert_eq!(change.new, "main-1f49071-24");
    assert!(find(&by_fluxcdbot).automation.is_none());
    let from_message = find(&message_only).automation.as_ref().unwrap();
    assert_eq!(from_message.changes[0].new, "main-3b3b3b3-26");
    assert_eq!(from_message.changes[0].old, None);
    assert!(find(&human).automation.is_none());
    w.stop().await;
}

#[tokio::test]
async fn applied_and_pending_marks_per_kustomization_with_behind_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "repo");
    let c1 = repo.human(1);
    let c2 = repo.human(2);
    let c3 = repo.human(3);
    let mut w = Running::start(&dir.path().join("cache"), 50, isolated_credentials());
    w.send(track("r", local(&repo.path))).await;
    let _ = w.log().await;
    w.send(GitCommand::SetApplied {
        key: "r".into(),
        applied: vec![
            AppliedRevision {
                kustomization: "sock-shop/sock-shop".into(),
                revision: format!("main@sha1:{c1}"),
            },
            AppliedRevision {
                kustomization: "flux-system/apps".into(),
                revision: format!("refs/heads/main@sha1:{c3}"),
            },
            AppliedRevision {
                kustomization: "flux-system/other".into(),
                revision: format!("sha1:{}", "ab".repeat(20)),
            },
            AppliedRevision {
                kustomization: "flux-system/new".into(),
                revision: String::new(),
            },
        ],
    })
    .await;
    let log = w.log().await;
    let shas: Vec<&str> = log.commits.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(shas[..3], [c3.as_str(), c2.as_str(), c1.as_str()]);
    let sock = log.applied[0].marks.as_ref().unwrap();
    assert_eq!(
        sock.marks,
        [Mark::Pending, Mark::Pending, Mark::Applied, Mark::Applied]
    );
    assert_eq!(sock.behind, Behind::By(2));
    assert_eq!(sock.applied, Some(2));
    let apps = log.applied[1].marks.as_ref().unwrap();
    assert_eq!(apps.behind, Behind::By(0));
    let other = log.applied[2].marks.as_ref().unwrap();
    assert_eq!(other.behind, Behind::NotOnBranch);
    let err = log.applied[3].marks.as_ref().unwrap_err().to_string();
    assert!(err.contains("lastAppliedRevision"), "{err}");

    // A new commit: the marks follow the new log.
    let c4 = repo.human(4);
    w.send(GitCommand::FetchNow {
        key: Some("r".into()),
    })
    .await;
    let log = w.log().await;
    assert_eq!(log.head, c4);
    assert_eq!(log.applied[0].marks.as_ref().unwrap().behind, Behind::By(3));
    w.stop().await;
}

#[tokio::test]
async fn a_mirrored_remote_is_fetched_on_demand_and_on_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "remote.git");
    repo.human(1);
    let url = format!("file://{}", repo.path.display());
    let cache = dir.path().join("cache");
    let mut w = Running::start(&cache, 50, isolated_credentials());
    let source = git_repository(&url, json!({"branch": "main"}));
    let mirror = source.cache_path(&cache).unwrap();
    w.send(GitCommand::Track {
        key: "sock-shop/sock-shop-tenant".into(),
        source,
        interval: Duration::from_secs(1),
    })
    .await;
    let log = w.log().await;
    assert_eq!(log.head, repo.head());
    assert!(
        git2::Repository::open_bare(&mirror).is_ok(),
        "a bare mirror in the cache"
    );

    let c2 = repo.human(2);
    w.send(GitCommand::FetchNow { key: None }).await;
    let (head, changed) = w.fetched().await;
    assert_eq!((head.as_str(), changed), (c2.as_str(), true));
    let log = w.log().await;
    assert_eq!(log.commits[0].sha, c2);

    // Without asking: the interval brings the next commit.
    let c3 = repo.human(3);
    loop {
        let (head, changed) = w.fetched().await;
        if changed {
            assert_eq!(head, c3);
            break;
        }
    }
    assert_eq!(w.log().await.commits[0].sha, c3);

    // The cache deleted under the worker: the next fetch clones again.
    std::fs::remove_dir_all(&mirror).unwrap();
    w.send(GitCommand::FetchNow { key: None }).await;
    let (head, _) = w.fetched().await;
    assert_eq!(head, c3);
    w.stop().await;
}

#[tokio::test]
async fn missing_branch_names_the_field_and_the_branches_there() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "remote.git");
    let url = format!("file://{}", repo.path.display());
    let mut w = Running::start(&dir.path().join("cache"), 50, isolated_credentials());
    w.send(track("t", git_repository(&url, json!({"branch": "mian"}))))
        .await;
    let err = w.error().await;
    match &err {
        GitError::RefMissing {
            field,
            name,
            available,
            ..
        } => {
            assert_eq!(field, "spec.ref.branch");
            assert_eq!(name, "mian");
            assert_eq!(available, &vec!["main".to_string()]);
        }
        other => panic!("expected a missing branch, got {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("GitRepository sock-shop/sock-shop-tenant"),
        "{text}"
    );
    w.send(track("tag", git_repository(&url, json!({"tag": "v9"}))))
        .await;
    assert!(
        matches!(w.error().await, GitError::RefMissing { field, .. } if field == "spec.ref.tag")
    );
    w.send(track(
        "pin",
        git_repository(&url, json!({"commit": "abcdef1"})),
    ))
    .await;
    assert!(matches!(w.error().await, GitError::CommitMissing { .. }));
    w.send(GitCommand::LoadMore { key: "nope".into() }).await;
    assert!(matches!(w.error().await, GitError::UnknownRepo { .. }));
    w.stop().await;
}

#[tokio::test]
async fn a_pinned_commit_and_a_tag_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "remote.git");
    let c1 = repo.human(1);
    repo.human(2);
    let r = git2::Repository::open_bare(&repo.path).unwrap();
    let obj = r.revparse_single(&c1).unwrap();
    r.tag_lightweight("v1.0.0", &obj, false).unwrap();
    let url = format!("file://{}", repo.path.display());
    let mut w = Running::start(&dir.path().join("cache"), 50, isolated_credentials());
    w.send(track("tag", git_repository(&url, json!({"tag": "v1.0.0"}))))
        .await;
    let log = w.log().await;
    assert_eq!(log.head, c1);
    assert_eq!(log.reference, "refs/tags/v1.0.0");
    w.send(track(
        "pin",
        git_repository(&url, json!({"commit": &c1[..10]})),
    ))
    .await;
    let log = w.log().await;
    assert_eq!(log.head, c1);
    assert_eq!(log.commits.len(), 2);
    w.send(track(
        "semver",
        git_repository(&url, json!({"semver": "1.x"})),
    ))
    .await;
    let log = w.log().await;
    assert_eq!(
        log.head,
        repo.head(),
        "semver falls back to the default branch"
    );
    assert!(log.note.unwrap().contains("semver"));
    w.stop().await;
}

#[tokio::test]
async fn a_repository_deleted_under_the_worker_is_an_error_until_it_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut local_repo = TestRepo::new(dir.path(), "local.git");
    let remote_repo = TestRepo::new(dir.path(), "remote.git");
    let url = format!("file://{}", remote_repo.path.display());
    let mut w = Running::start(&dir.path().join("cache"), 50, isolated_credentials());
    w.send(track("local", local(&local_repo.path))).await;
    let _ = w.log().await;
    w.send(track(
        "remote",
        git_repository(&url, json!({"branch": "main"})),
    ))
    .await;
    let _ = w.log().await;

    let away = |p: &Path| p.with_extension("moved");
    std::fs::rename(&local_repo.path, away(&local_repo.path)).unwrap();
    std::fs::rename(&remote_repo.path, away(&remote_repo.path)).unwrap();
    w.send(GitCommand::FetchNow {
        key: Some("local".into()),
    })
    .await;
    let err = w.error().await;
    assert!(matches!(err, GitError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("local.git"), "{err}");
    w.send(GitCommand::FetchNow {
        key: Some("remote".into()),
    })
    .await;
    let err = w.error().await;
    assert!(matches!(err, GitError::NotFound { .. }), "{err}");

    std::fs::rename(away(&local_repo.path), &local_repo.path).unwrap();
    std::fs::rename(away(&remote_repo.path), &remote_repo.path).unwrap();
    let c = local_repo.human(1);
    w.send(GitCommand::FetchNow {
        key: Some("local".into()),
    })
    .await;
    assert_eq!(w.fetched().await, (c, true));
    w.send(GitCommand::FetchNow {
        key: Some("remote".into()),
    })
    .await;
    assert_eq!(w.fetched().await, (remote_repo.head(), false));
    w.stop().await;
}

#[tokio::test]
async fn a_diff_is_unified_text_names_binary_files_and_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "repo");
    let sha = repo.commit(
        &bot(),
        "main-1f49071-24\n\nbody line\n",
        &[
            (OVERLAY, overlay("main-1f49071-24").as_bytes()),
            ("logo.png", &[0x89, b'P', b'N', b'G', 0, 0, 1, 2]),
        ],
    );
    let big: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    let big_sha = repo.commit(&maria(), "big", &[("big.txt", big.as_bytes())]);
    let mut w = Running::start_with(GitWorkerConfig {
        cache_root: dir.path().join("cache"),
        credentials: isolated_credentials(),
        page_size: 50,
        diff_cap: 4096,
    });
    w.send(track("r", local(&repo.path))).await;
    let _ = w.log().await;
    w.send(GitCommand::ShowDiff {
        key: "r".into(),
        sha: sha[..8].to_string(),
    })
    .await;
    let diff = match w.next().await {
        GitEvent::Diff { diff, .. } => diff,
        other => panic!("expected a diff, got {other:?}"),
    };
    assert_eq!(diff.sha, sha);
    assert!(diff.header.starts_with(&format!(
        "commit {sha}\nAuthor: release-bot <release-bot@corp.example>\n"
    )));
    assert!(
        diff.header
            .contains("    main-1f49071-24\n    \n    body line\n"),
        "{}",
        diff.header
    );
    assert!(
        diff.patch
            .contains(&format!("diff --git a/{OVERLAY} b/{OVERLAY}"))
    );
    assert!(diff.patch.contains("-  newTag: latest #"), "{}", diff.patch);
    assert!(
        diff.patch.contains("+  newTag: main-1f49071-24 #"),
        "{}",
        diff.patch
    );
    assert!(
        diff.patch
            .contains("Binary files /dev/null and b/logo.png differ"),
        "{}",
        diff.patch
    );
    assert!(!diff.truncated);
    let png = diff.files.iter().find(|f| f.path == "logo.png").unwrap();
    assert!(png.binary);
    assert_eq!(png.status, 'A');
    let overlay_file = diff.files.iter().find(|f| f.path == OVERLAY).unwrap();
    assert_eq!((overlay_file.status, overlay_file.binary), ('M', false));

    w.send(GitCommand::ShowDiff {
        key: "r".into(),
        sha: big_sha.clone(),
    })
    .await;
    let GitEvent::Diff { diff, .. } = w.next().await else {
        panic!("expected a diff");
    };
    assert!(diff.truncated);
    assert!(diff.patch.len() <= 4096);
    assert!(diff.patch.contains("+line 0\n"));
    assert_eq!(diff.files.len(), 1);

    w.send(GitCommand::ShowDiff {
        key: "r".into(),
        sha: "HEAD~1".into(),
    })
    .await;
    assert!(matches!(w.error().await, GitError::CommitMissing { .. }));
    w.stop().await;
}

/// Every file under `dir` with its content, to prove nothing was written.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_local_working_tree_is_read_in_place_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut upstream = TestRepo::new(dir.path(), "upstream.git");
    upstream.human(1);
    let checkout = dir.path().join("checkout");
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&[
        "clone",
        "--quiet",
        upstream.path.to_str().unwrap(),
        checkout.to_str().unwrap(),
    ]);
    let before = snapshot(&checkout);
    let cache = dir.path().join("cache");
    let mut w = Running::start(&cache, 50, isolated_credentials());
    w.send(track("co", local(&checkout))).await;
    let log = w.log().await;
    assert_eq!(log.head, upstream.head());
    assert_eq!(log.reference, "refs/heads/main");
    w.send(GitCommand::ShowDiff {
        key: "co".into(),
        sha: upstream.head(),
    })
    .await;
    assert!(matches!(w.next().await, GitEvent::Diff { .. }));
    w.send(GitCommand::FetchNow { key: None }).await;
    let _ = w.fetched().await;
    w.stop().await;
    assert_eq!(snapshot(&checkout), before, "the checkout is untouched");
    assert!(!cache.exists(), "a local path is never mirrored");

    // A GitRepository-style branch of a checkout can be its remote-tracking branch.
    git(&[
        "-C",
        checkout.to_str().unwrap(),
        "checkout",
        "--quiet",
        "--detach",
    ]);
    git(&[
        "-C",
        checkout.to_str().unwrap(),
        "branch",
        "--quiet",
        "-D",
        "main",
    ]);
    let mut w = Running::start(&cache, 50, isolated_credentials());
    w.send(track(
        "co",
        git_repository(checkout.to_str().unwrap(), json!({"branch": "main"})),
    ))
    .await;
    let log = w.log().await;
    assert_eq!(log.reference, "refs/remotes/origin/main");
    assert_eq!(log.head, upstream.head());
    w.stop().await;
}

#[tokio::test]
async fn the_first_page_never_reads_the_old_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "repo");
    let root = repo.head();
    for n in 1..=23 {
        repo.human(n);
    }
    // Remove the first commit's object: only a walk of the whole history would notice.
    let object = repo.path.join("objects").join(&root[..2]).join(&root[2..]);
    std::fs::remove_file(&object).unwrap();
    let mut w = Running::start(&dir.path().join("cache"), 10, isolated_credentials());
    w.send(track("r", local(&repo.path))).await;
    let log = w.log().await;
    assert_eq!(log.commits.len(), 10);
    assert!(!log.complete);
    w.send(GitCommand::LoadMore { key: "r".into() }).await;
    assert_eq!(w.log().await.commits.len(), 20);
    w.send(GitCommand::LoadMore { key: "r".into() }).await;
    let err = w.error().await;
    assert!(matches!(err, GitError::Git { .. }), "{err}");
    assert!(err.to_string().contains(&root), "{err}");
    // The worker is still there.
    w.send(GitCommand::FetchNow { key: None }).await;
    assert_eq!(w.fetched().await, (repo.head(), false));
    w.stop().await;
}
