//! Benchmark of the git worker: from `Track` to the first `Log` event (opening the
//! repository and reading the first 200 commits, automation commits' diffs included) on a
//! 50,000-commit repository. Target: under 300 ms.
//!
//! The repository is generated once with git2 (objects built in memory, written as packs)
//! and kept in `target/bench-data/`; every tenth commit is an automation commit that moves
//! the development overlay's `$imagepolicy`-marked tag, the rest are human edits.

use fluxdeck::workers::proxy::ProxyEnv;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use fluxdeck::workers::git::{
    Author, CredentialConfig, GitCommand, GitEvent, GitWorkerConfig, Helpers, RepoSource,
    spawn_git_worker,
};
use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};
use tokio::sync::mpsc;

const COMMITS: usize = 50_000;
const PAGE: usize = 200;
const DEMO: &str = include_str!(
    "../assets/seed-gitops/microservices-repo/deploy/kubernetes/base/complete-demo.yaml"
);
const BASE: &str = include_str!(
    "../assets/seed-gitops/microservices-repo/deploy/kubernetes/base/kustomization.yaml"
);

fn overlay(tag: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\nimages:\n- name: weaveworksdemos/front-end\n  newName: 123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end # {{\"$imagepolicy\": \"sock-shop:sock-shop-front-end:name\"}}\n  newTag: {tag} # {{\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}}\n"
    )
}

fn bot() -> Author {
    Author {
        name: "fluxcdbot".into(),
        email: "fluxcdbot@users.noreply.github.com".into(),
    }
}

/// A tree holding `entries` (name, id, mode), built on `base`.
fn tree(repo: &Repository, base: Option<Oid>, entries: &[(&str, Oid, i32)]) -> Oid {
    let base = base.map(|b| repo.find_tree(b).unwrap());
    let mut tb = repo.treebuilder(base.as_ref()).unwrap();
    for (name, id, mode) in entries {
        tb.insert(name, *id, *mode).unwrap();
    }
    tb.write().unwrap()
}

/// Writes what the in-memory backend holds as a pack, then empties it.
fn flush(repo: &Repository, mempack: &git2::Mempack<'_>) {
    let mut buf = git2::Buf::new();
    mempack.dump(repo, &mut buf).unwrap();
    let odb = repo.odb().unwrap();
    let mut writer = odb.packwriter().unwrap();
    writer.write_all(&buf).unwrap();
    writer.commit().unwrap();
    mempack.reset().unwrap();
}

fn generate(path: &Path) {
    let mut opts = RepositoryInitOptions::new();
    opts.bare(true).initial_head("main");
    let repo = Repository::init_opts(path, &opts).unwrap();
    let odb = repo.odb().unwrap();
    let mempack = odb.add_new_mempack_backend(1000).unwrap();
    const FILE: i32 = 0o100644;
    const DIR: i32 = 0o040000;
    let base = tree(
        &repo,
        None,
        &[
            (
                "kustomization.yaml",
                repo.blob(BASE.as_bytes()).unwrap(),
                FILE,
            ),
            (
                "complete-demo.yaml",
                repo.blob(DEMO.as_bytes()).unwrap(),
                FILE,
            ),
        ],
    );
    let mut overlay_blob = repo.blob(overlay("latest").as_bytes()).unwrap();
    let mut notes = tree(&repo, None, &[("0.txt", repo.blob(b"0\n").unwrap(), FILE)]);
    let mut parent: Option<Oid> = None;
    let humans = [
        ("Maria Lopez", "maria.lopez@example.com"),
        ("Sam Chen", "sam.chen@example.com"),
    ];
    for i in 0..COMMITS {
        let (name, email, message) = if i % 10 == 9 {
            let tag = format!("main-{:07x}-{}", i * 7919 % 0xfffffff, i / 10);
            overlay_blob = repo.blob(overlay(&tag).as_bytes()).unwrap();
            (
                "fluxcdbot",
                "fluxcdbot@users.noreply.github.com",
                format!("{tag}\n"),
            )
        } else {
            let blob = repo.blob(format!("note {i}\n").as_bytes()).unwrap();
            notes = tree(
                &repo,
                Some(notes),
                &[(&format!("{}.txt", i % 200), blob, FILE)],
            );
            let (n, e) = humans[i % 2];
            (n, e, format!("Update notes {i}\n\nA human edit."))
        };
        let development = tree(&repo, None, &[("kustomization.yaml", overlay_blob, FILE)]);
        let overlays = tree(&repo, None, &[("development", development, DIR)]);
        let kubernetes = tree(
            &repo,
            None,
            &[("base", base, DIR), ("overlays", overlays, DIR)],
        );
        let deploy = tree(&repo, None, &[("kubernetes", kubernetes, DIR)]);
        let root = tree(
            &repo,
            None,
            &[("deploy", deploy, DIR), ("notes", notes, DIR)],
        );
        let sig =
            Signature::new(name, email, &Time::new(1_600_000_000 + i as i64 * 600, 0)).unwrap();
        let root = repo.find_tree(root).unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        parent = Some(
            repo.commit(None, &sig, &sig, &message, &root, &parent_refs)
                .unwrap(),
        );
        if (i + 1) % 10_000 == 0 {
            flush(&repo, &mempack);
        }
    }
    flush(&repo, &mempack);
    let head = parent.unwrap();
    repo.reference("refs/heads/main", head, true, "bench history")
        .unwrap();
}

/// The 50,000-commit repository, generated on first use.
fn bench_repo() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("bench-data").join(format!("git-{COMMITS}.git"));
    let done = path.join("fluxdeck-bench-complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&path);
        let started = std::time::Instant::now();
        generate(&path);
        std::fs::write(&done, COMMITS.to_string()).unwrap();
        eprintln!(
            "generated {COMMITS} commits in {:?} at {}",
            started.elapsed(),
            path.display()
        );
    }
    path
}

fn first_screen(c: &mut Criterion) {
    let repo = bench_repo();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (tx, commands) = mpsc::channel(4);
    let (out, mut events) = mpsc::channel(4);
    let config = GitWorkerConfig {
        cache_root: cache.path().to_path_buf(),
        credentials: CredentialConfig {
            token_vars: Vec::new(),
            ssh_agent: false,
            ssh_keys: Vec::new(),
            ssh_home: None,
            ssh_system_known_hosts: Vec::new(),
            helpers: Helpers::Off,
            proxy: ProxyEnv::default(),
        },
        page_size: PAGE,
        ..GitWorkerConfig::default()
    };
    let _guard = rt.enter();
    let _worker = spawn_git_worker(config, commands, out);
    let source = RepoSource::from_arg(repo.to_str().unwrap()).unwrap();

    let mut group = c.benchmark_group("git");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10));
    for (name, authors) in [
        ("track_to_first_log_200_with_automation", vec![bot()]),
        ("track_to_first_log_200_plain", Vec::new()),
    ] {
        rt.block_on(tx.send(GitCommand::SetAuthors { authors }))
            .unwrap();
        let mut automation = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let track = GitCommand::Track {
                        key: "bench".into(),
                        source: source.clone(),
                        interval: Duration::from_secs(3600),
                    };
                    tx.send(track).await.unwrap();
                    let log = loop {
                        match events.recv().await.unwrap() {
                            GitEvent::Log { log, .. } => break log,
                            GitEvent::Error { error, .. } => panic!("{error}"),
                            _ => {}
                        }
                    };
                    assert_eq!(log.commits.len(), PAGE);
                    automation = log
                        .commits
                        .iter()
                        .filter(|c| c.automation.is_some())
                        .count();
                    tx.send(GitCommand::Untrack {
                        key: "bench".into(),
                    })
                    .await
                    .unwrap();
                })
            })
        });
        eprintln!("{name}: {automation} automation commits on the first page");
    }
    group.finish();
}

criterion_group!(benches, first_screen);
criterion_main!(benches);
