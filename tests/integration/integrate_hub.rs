//! The hub end to end over loopback: the sandbox API server feeds the real cluster worker,
//! whose Flux objects drive the real git worker (a bare repository served over HTTP) and the
//! real registry scanner (the sandbox ECR endpoint). The updates the UI would receive are
//! folded into a `State`, and the test reads the commits pane's and the image pane's data
//! from it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::support::git::http_server::GitHttpServer;
use crate::support::git::{OVERLAY, TestRepo, isolated_credentials, tenant_objects};
use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::model::commit::{BehindBy, CommitMark};
use fluxdeck::model::key::{Kind, ObjectKey};
use fluxdeck::sandbox::registry::{RegistryServer, RegistryStore};
use fluxdeck::state::{Command, Drift, NextPick, PodsWatch, State, Update};
use fluxdeck::workers::cluster::connect::ConnectOptions;
use fluxdeck::workers::cluster::worker::{ClusterConfig, FluxNamespaces, run as run_cluster};
use fluxdeck::workers::ecr::ScannerConfig;
use fluxdeck::workers::git::{CredentialConfig, GitWorkerConfig, Helpers};
use fluxdeck::workers::hub::{HubChannels, HubConfig, spawn_hub};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const NS: &str = "sock-shop";
const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app";
const PASSWORD: &str = "integrate-secret";
const REPO_KEY: &str = "sock-shop/tenant";

/// The Flux objects: one GitRepository used by a Kustomization (applied at `applied`) and an
/// automation committing as `release-bot`, and an ImagePolicy the cluster resolved to
/// `cluster_tag`.
fn objects(url: &str, applied: &str, cluster_tag: &str) -> Vec<Value> {
    let mut objects = tenant_objects(NS, url, applied);
    objects.extend([
        json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
            "metadata": {"name": "app", "namespace": NS},
            "spec": {"image": IMAGE, "interval": "1h"}}),
        json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
            "metadata": {"name": "app", "namespace": NS},
            "spec": {"imageRepositoryRef": {"name": "app"},
                     "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<ts>[0-9]+)$", "extract": "$ts"},
                     "policy": {"numerical": {"order": "asc"}}},
            "status": {"latestRef": {"name": IMAGE, "tag": cluster_tag}}}),
    ]);
    objects
}

/// A credential helper that answers with the test server's user and password, so nothing
/// reaches the user's agent, keys or helpers.
fn helper_credentials(dir: &Path) -> CredentialConfig {
    let gitconfig = dir.join("gitconfig");
    std::fs::write(
        &gitconfig,
        format!(
            "[credential]\n\thelper = \"!f() {{ test \\\"$1\\\" = get && printf 'username=bot\\\\npassword={PASSWORD}\\\\n'; }}; f\"\n"
        ),
    )
    .unwrap();
    CredentialConfig {
        helpers: Helpers::ConfigFile(gitconfig),
        ..isolated_credentials()
    }
}

struct Running {
    sandbox: TestSandbox,
    registry: RegistryServer,
    store: Arc<RegistryStore>,
    hub: JoinHandle<()>,
    cluster: JoinHandle<()>,
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Command>,
    state: State,
}

impl Running {
    async fn start(dir: &Path, objects: Vec<Value>, store: Arc<RegistryStore>) -> Running {
        Running::start_with_repos(dir, objects, store, Vec::new()).await
    }

    /// [`Running::start`] with `--repo` arguments.
    async fn start_with_repos(
        dir: &Path,
        objects: Vec<Value>,
        store: Arc<RegistryStore>,
        repos: Vec<String>,
    ) -> Running {
        let sandbox = Spec::objects(objects).start().await;
        let registry = store
            .start(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let (cluster_tx, from_cluster) = mpsc::channel(1024);
        let (to_cluster, cluster_rx) = mpsc::channel(64);
        let cluster = tokio::spawn(run_cluster(
            ClusterConfig {
                connect: ConnectOptions {
                    kubeconfig: Some(sandbox.kubeconfig().to_path_buf()),
                    context: None,
                },
                namespace: FluxNamespaces::All,
                pods: PodsWatch::Namespace(NS.into()),
                read_only: true,
                action_timeout: Duration::from_secs(30),
            },
            cluster_tx,
            cluster_rx,
        ));
        let (to_ui, updates) = mpsc::channel(1024);
        let (commands, from_ui) = mpsc::channel(64);
        let hub = spawn_hub(
            HubConfig {
                repos,
                git: GitWorkerConfig {
                    cache_root: dir.join("cache"),
                    credentials: helper_credentials(dir),
                    page_size: 50,
                    ..GitWorkerConfig::default()
                },
                ecr: crate::support::registry::config(&registry.url),
                scanner: ScannerConfig::default(),
            },
            HubChannels {
                from_cluster,
                to_ui,
                from_ui,
                to_cluster,
            },
        );
        Running {
            sandbox,
            registry,
            store,
            hub,
            cluster,
            updates,
            commands,
            state: State::new(PodsWatch::Namespace(NS.into())),
        }
    }

    /// Folds updates into the state until `done` holds of an update and the state.
    async fn until(&mut self, what: &str, mut done: impl FnMut(&Update, &State) -> bool) {
        let wait = async {
            loop {
                let update = self.updates.recv().await.expect("the hub runs");
                self.state.apply(update.clone());
                if done(&update, &self.state) {
                    return;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
    }

    async fn stop(self) {
        self.hub.abort();
        self.cluster.abort();
        let _ = self.hub.await;
        let _ = self.cluster.await;
        self.registry.shutdown().await;
    }
}

/// A registry holding `tags` of `team/app`, pushed in order.
fn registry(tags: &[&str]) -> Arc<RegistryStore> {
    let store = Arc::new(RegistryStore::new("123456789012", "us-west-2"));
    store.create_repository("team/app", false).unwrap();
    for (n, tag) in tags.iter().enumerate() {
        let manifest = crate::support::registry::manifest(u32::try_from(n).unwrap());
        store.push("team/app", tag, &manifest).unwrap();
    }
    store
}

#[tokio::test]
async fn bot_commits_are_flagged_and_marked_applied_or_pending_with_behind_by() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let mut repo = TestRepo::new(&root, "config.git");
    let first = repo.release("main-aaa1111-1");
    let second = repo.release("main-bbb2222-2");
    let server = GitHttpServer::start(&root, "bot", PASSWORD);
    let url = server.url("config.git");
    let mut run = Running::start(
        dir.path(),
        objects(&url, &first, "main-aaa1111-1"),
        registry(&[]),
    )
    .await;

    // Objects arrive in watch batches, so early logs may predate the automation's author or
    // the Kustomization; the hub re-drives the worker until the log has both.
    run.until("a commit log with authors and marks", |u, _| {
        matches!(u, Update::Commits(log) if log.key == REPO_KEY && log.commits.len() == 3
            && !log.applied.is_empty() && log.automation_commits().count() > 0)
    })
    .await;
    let log = run.state.commits().expect("the pane has a log").clone();
    assert_eq!(log.branch, "main");
    assert_eq!(log.repository, url);
    let shas: Vec<&str> = log.commits.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(shas[..2], [second.as_str(), first.as_str()]);
    let (newest, older, human) = (&log.commits[0], &log.commits[1], &log.commits[2]);
    assert!(newest.automation && older.automation, "bot commits flagged");
    assert!(!human.automation, "the human commit is not");
    assert_eq!(
        newest.changes.first().map(|c| c.summary()).as_deref(),
        Some("main-aaa1111-1 → main-bbb2222-2")
    );
    let column = &log.applied[0];
    assert_eq!(column.kustomization, "sock-shop/apps");
    let marks = column.marks.as_ref().expect("the revision names a commit");
    assert_eq!(
        marks.marks,
        [
            CommitMark::Pending,
            CommitMark::Applied,
            CommitMark::Applied
        ]
    );
    assert_eq!(marks.behind, BehindBy::Commits(1));
    assert_eq!(log.behind(), Some(BehindBy::Commits(1)));

    // Enter on a commit: the hub asks the git worker for the diff.
    run.commands
        .send(Command::ShowDiff {
            repository: log.key.clone(),
            sha: second.clone(),
        })
        .await
        .unwrap();
    run.until("the diff", |u, _| matches!(u, Update::CommitDiff(_)))
        .await;
    let diff = run.state.diff().unwrap();
    assert_eq!(diff.sha, second);
    assert_eq!(diff.files, vec![('M', OVERLAY.to_owned())]);
    assert!(
        diff.patch.contains("+  newTag: main-bbb2222-2"),
        "{}",
        diff.patch
    );

    // `R`: a new bot commit shows at once, and the cluster is now behind by 2.
    let third = repo.release("main-ccc3333-3");
    run.commands.send(Command::RefreshGit).await.unwrap();
    run.until("the refreshed log", |u, _| {
        matches!(u, Update::Commits(log) if log.commits.first().map(|c| c.sha.as_str()) == Some(third.as_str()))
    })
    .await;
    assert_eq!(
        run.state.commits().unwrap().behind(),
        Some(BehindBy::Commits(2))
    );

    // The GitRepository is deleted: the hub stops tracking it and the pane forgets it.
    let deleted = reqwest::Client::new()
        .delete(format!(
            "{}/apis/source.toolkit.fluxcd.io/v1/namespaces/{NS}/gitrepositories/tenant",
            run.sandbox.http_url()
        ))
        .bearer_auth(&run.sandbox.token)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    run.until(
        "the repository untracked",
        |u, _| matches!(u, Update::CommitsUntracked { key } if key == REPO_KEY),
    )
    .await;
    assert!(run.state.commits().is_none());
    run.stop().await;
}

#[tokio::test]
async fn the_registry_scan_gives_the_next_pick_and_drift_from_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    // No git server: the GitRepository's fetch fails, which must not stop the registry side.
    let url = "http://127.0.0.1:9/nowhere.git";
    let store = registry(&[
        "main-aaa1111-1",
        "main-bbb2222-3",
        "main-ccc3333-10",
        "latest",
    ]);
    let mut run =
        Running::start(dir.path(), objects(url, "abc1234", "main-bbb2222-3"), store).await;
    let policy = ObjectKey::new(Kind::ImagePolicy, NS, "app");

    run.until("a scan evaluated against the policy", |_, state| {
        matches!(
            state.image_preview(&policy).map(|p| p.next),
            Some(NextPick::Tag(_))
        )
    })
    .await;
    let preview = run.state.image_preview(&policy).unwrap();
    // Numerical over the extracted numbers: 10 beats 3 although "3" sorts after "10".
    assert_eq!(preview.next, NextPick::Tag("main-ccc3333-10".into()));
    assert_eq!(preview.cluster.as_deref(), Some("main-bbb2222-3"));
    assert_eq!(
        preview.drift,
        vec![Drift::NextPick {
            cluster: Some("main-bbb2222-3".into()),
            next: "main-ccc3333-10".into()
        }]
    );

    // A newer tag pushed, then `R` on the images pane: the next pick follows.
    run.store
        .push(
            "team/app",
            "main-ddd4444-11",
            &crate::support::registry::manifest(99),
        )
        .unwrap();
    run.commands.send(Command::RefreshRegistry).await.unwrap();
    run.until("the rescan", |_, state| {
        state.image_preview(&policy).map(|p| p.next)
            == Some(NextPick::Tag("main-ddd4444-11".into()))
    })
    .await;
    run.stop().await;
}

#[tokio::test]
async fn the_repo_argument_is_the_commits_panes_first_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let mut served = TestRepo::new(&root, "config.git");
    let first = served.release("main-aaa1111-1");
    let server = GitHttpServer::start(&root, "bot", PASSWORD);
    let url = server.url("config.git");
    // A local repository named by `--repo`; without it the pane would show the cluster's
    // repository, which the automation pushes to.
    let local = TestRepo::new(&dir.path().join("local"), "config.git");
    let arg = local.path.display().to_string();
    let mut run = Running::start_with_repos(
        dir.path(),
        objects(&url, &first, "main-aaa1111-1"),
        registry(&[]),
        vec![arg.clone()],
    )
    .await;
    let mut seen = Vec::new();
    run.until("both logs", |u, state| {
        if let Update::Commits(log) = u
            && !seen.contains(&log.key)
        {
            seen.push(log.key.clone());
        }
        state.commit_logs().all().len() == 2
    })
    .await;
    let logs = run.state.commit_logs();
    assert_eq!(
        logs.ordered().map(|l| l.key.as_str()).collect::<Vec<_>>(),
        [arg.as_str(), REPO_KEY],
        "logs arrived as {seen:?}"
    );
    assert_eq!(run.state.commits().unwrap().key, arg);
    run.stop().await;
    drop(server);
}
