//! The sandbox's git side over real bare repositories: seeding, reading, committing without
//! a working tree, and refusing non-fast-forward moves.

use base64::Engine as _;
use fluxdeck::sandbox::git::{
    self, ACCOUNT_ID, FAKE_GIT_PASSWORD, FAKE_GIT_USER, Identity, NewCommit, SandboxGitError,
};
use git2::Repository;

fn text(repo: &std::path::Path, sha: &str, path: &str) -> String {
    let bytes = git::read_file(repo, sha, path).unwrap().unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn seed_creates_both_bare_repositories_on_main_with_placeholders_filled() {
    let dir = tempfile::tempdir().unwrap();
    let repos = git::seed(dir.path()).unwrap();
    for path in [&repos.flux_repo, &repos.microservices_repo] {
        let r = Repository::open(path).unwrap();
        assert!(r.is_bare());
        assert_eq!(r.head().unwrap().name().unwrap(), "refs/heads/main");
        let mut walk = r.revwalk().unwrap();
        walk.push_head().unwrap();
        let commits: Vec<_> = walk.map(|o| r.find_commit(o.unwrap()).unwrap()).collect();
        assert!(commits.len() >= 2, "a short history");
        assert!(
            commits
                .iter()
                .all(|c| !c.author().name().unwrap().contains("flux")),
            "the seed history is human"
        );
    }
    let micro_head = git::head(&repos.microservices_repo, "main").unwrap();
    let overlay = text(
        &repos.microservices_repo,
        &micro_head,
        "deploy/kubernetes/overlays/development/kustomization.yaml",
    );
    assert!(overlay.contains(&format!(
        "newName: {ACCOUNT_ID}.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end"
    )));
    assert!(overlay.contains(r#"# {"$imagepolicy": "sock-shop:sock-shop-front-end:tag"}"#));

    let flux_head = git::head(&repos.flux_repo, "main").unwrap();
    let tenant = text(
        &repos.flux_repo,
        &flux_head,
        "apps/base/sock-shop/tenant.yaml",
    );
    assert!(tenant.contains(&format!("url: {}", repos.microservices_url())));
    assert!(repos.microservices_url().starts_with("file:///"));
    let auth = text(
        &repos.flux_repo,
        &flux_head,
        "apps/base/sock-shop/basic-access-auth.yaml",
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    assert!(auth.contains(&format!("username: {}", b64.encode(FAKE_GIT_USER))));
    assert!(auth.contains(&format!("password: {}", b64.encode(FAKE_GIT_PASSWORD))));
    let all = git::read_tree(&repos.flux_repo, &flux_head, "").unwrap();
    assert!(
        all.iter()
            .all(|f| !String::from_utf8_lossy(&f.bytes).contains("__")),
        "no placeholder left"
    );

    // The seed is a real repository: the git CLI clones it from its file:// URL.
    let clone = dir.path().join("clone");
    let status = std::process::Command::new("git")
        .args(["clone", "--quiet", &repos.microservices_url()])
        .arg(&clone)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        clone
            .join("deploy/kubernetes/base/complete-demo.yaml")
            .is_file()
    );
    assert!(git::seed(dir.path()).is_err(), "seeding twice is refused");
}

#[test]
fn read_tree_takes_flux_style_paths_and_names_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let repos = git::seed(dir.path()).unwrap();
    let head = git::head(&repos.microservices_repo, "main").unwrap();
    let files = git::read_tree(
        &repos.microservices_repo,
        &head,
        "./deploy/kubernetes/overlays/development",
    )
    .unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["deploy/kubernetes/overlays/development/kustomization.yaml"]
    );
    let base = git::read_tree(&repos.microservices_repo, &head, "deploy/kubernetes/base").unwrap();
    assert_eq!(base.len(), 2);
    let one = git::read_tree(
        &repos.microservices_repo,
        &head,
        "deploy/kubernetes/base/kustomization.yaml",
    )
    .unwrap();
    assert_eq!(one.len(), 1);
    let err = git::read_tree(&repos.microservices_repo, &head, "./deploy/nope").unwrap_err();
    assert!(matches!(err, SandboxGitError::NotFound { .. }));
    assert!(err.to_string().contains("./deploy/nope"), "{err}");
    assert_eq!(
        git::read_file(&repos.microservices_repo, &head, "deploy/nope.yaml").unwrap(),
        None
    );
    let bad_sha = "0".repeat(40);
    assert!(git::read_tree(&repos.microservices_repo, &bad_sha, "").is_err());
}

#[test]
fn commit_files_commits_on_the_head_without_a_working_tree() {
    let dir = tempfile::tempdir().unwrap();
    let repos = git::seed(dir.path()).unwrap();
    let repo = &repos.microservices_repo;
    let path = "deploy/kubernetes/overlays/development/kustomization.yaml";
    let before = git::head(repo, "main").unwrap();
    let old = text(repo, &before, path);
    let new = old.replace("newTag: latest", "newTag: main-1f49071-24");
    let bot = Identity::new("fluxcdbot", "fluxcdbot@users.noreply.github.com");
    let sha = git::commit_files(
        repo,
        "main",
        &bot,
        "main-1f49071-24\n",
        &[(path, new.as_bytes())],
    )
    .unwrap();
    assert_ne!(sha, before);
    assert_eq!(git::head(repo, "main").unwrap(), sha);
    assert_eq!(text(repo, &sha, path), new);
    // Other files are carried over unchanged.
    assert_eq!(
        text(repo, &sha, "deploy/kubernetes/base/kustomization.yaml"),
        text(repo, &before, "deploy/kubernetes/base/kustomization.yaml")
    );
    let r = Repository::open_bare(repo).unwrap();
    let commit = r.find_commit(git2::Oid::from_str(&sha).unwrap()).unwrap();
    assert_eq!(commit.author().name().unwrap(), "fluxcdbot");
    assert_eq!(commit.parent_id(0).unwrap().to_string(), before);
    assert!(r.workdir().is_none());

    // A new file in a new directory.
    let added = git::commit_files(repo, "main", &bot, "add", &[("notes/a/b.txt", "hi")]).unwrap();
    assert_eq!(text(repo, &added, "notes/a/b.txt"), "hi");

    // Nothing changed: no commit, the head comes back.
    let same = git::commit_files(repo, "main", &bot, "noop", &[("notes/a/b.txt", "hi")]).unwrap();
    assert_eq!(same, added);

    let bad = git::commit_files(repo, "main", &bot, "x", &[("../escape", "x")]);
    assert!(matches!(bad, Err(SandboxGitError::BadPath { .. })));
    let missing = git::commit_files(repo, "nope", &bot, "x", &[("a", "x")]);
    assert!(matches!(
        missing,
        Err(SandboxGitError::BranchMissing { .. })
    ));
}

#[test]
fn a_commit_built_on_a_stale_parent_is_refused_not_forced() {
    let dir = tempfile::tempdir().unwrap();
    let repos = git::seed(dir.path()).unwrap();
    let repo = &repos.microservices_repo;
    let stale = git::head(repo, "main").unwrap();
    let human = Identity::new("Maria Lopez", "maria.lopez@example.com");
    let moved =
        git::commit_files(repo, "main", &human, "docs", &[("README.md", "# demo\n")]).unwrap();

    let bot = Identity::new("fluxcdbot", "fluxcdbot@users.noreply.github.com");
    let commit = NewCommit {
        branch: "main",
        author: &bot,
        message: "main-2-2",
        time: None,
    };
    let err = git::commit_files_on(repo, &stale, &commit, &[("tag.txt", "main-2-2")]).unwrap_err();
    match &err {
        SandboxGitError::NotFastForward {
            expected, actual, ..
        } => {
            assert_eq!(expected, &stale);
            assert_eq!(actual, &moved);
        }
        other => panic!("expected a non-fast-forward refusal, got {other}"),
    }
    assert!(err.to_string().contains("never force"), "{err}");
    assert_eq!(
        git::head(repo, "main").unwrap(),
        moved,
        "the branch did not move"
    );
    // Rebuilt on the current head, it goes through.
    let ok = git::commit_files_on(repo, &moved, &commit, &[("tag.txt", "main-2-2")]).unwrap();
    assert_eq!(git::head(repo, "main").unwrap(), ok);
}

#[test]
fn init_repo_makes_a_bare_repository_on_the_named_branch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r");
    let me = Identity::new("A", "a@example.com");
    let commit = NewCommit {
        branch: "trunk",
        author: &me,
        message: "first",
        time: Some(1_700_000_000),
    };
    let sha = git::init_repo(&path, &commit, &[("a.txt", "a")]).unwrap();
    assert_eq!(git::head(&path, "trunk").unwrap(), sha);
    let r = Repository::open_bare(&path).unwrap();
    assert_eq!(r.head().unwrap().name().unwrap(), "refs/heads/trunk");
    let c = r.find_commit(git2::Oid::from_str(&sha).unwrap()).unwrap();
    assert_eq!(c.author().when().seconds(), 1_700_000_000);
    assert!(git::init_repo(&path, &commit, &[("a.txt", "a")]).is_err());
}
