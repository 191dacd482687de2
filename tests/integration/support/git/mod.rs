//! Helpers shared by the git worker tests: bare repositories built with the sandbox's git
//! helpers, and a running worker whose events are awaited one by one.

pub mod http_server;

use fluxdeck::workers::proxy::ProxyEnv;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fluxdeck::sandbox::git::{self, Identity, NewCommit};
use fluxdeck::workers::git::{
    CredentialConfig, GitCommand, GitError, GitEvent, GitWorkerConfig, Helpers, RepoLog,
    spawn_git_worker,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The marker line of the development overlay.
pub fn overlay(tag: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n- name: weaveworksdemos/front-end\n  newTag: {tag} # {{\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}}\n"
    )
}

/// The path of the overlay in test repositories.
pub const OVERLAY: &str = "deploy/overlays/development/kustomization.yaml";

/// The automation's identity, the author `tenant_objects` gives its ImageUpdateAutomation.
pub fn release_bot() -> Identity {
    Identity::new("release-bot", "release-bot@corp.example")
}

/// A human.
pub fn maria() -> Identity {
    Identity::new("Maria Lopez", "maria.lopez@example.com")
}

/// A bare repository on branch `main` with commits a minute apart.
pub struct TestRepo {
    /// Its path.
    pub path: PathBuf,
    time: i64,
}

impl TestRepo {
    /// A repository at `dir/name` with one human commit holding the overlay at `latest`.
    pub fn new(dir: &Path, name: &str) -> TestRepo {
        let path = dir.join(name);
        let time = 1_750_000_000;
        let me = maria();
        let commit = NewCommit {
            branch: "main",
            author: &me,
            message: "Add development overlay",
            time: Some(time),
        };
        git::init_repo(&path, &commit, &[(OVERLAY, overlay("latest"))]).unwrap();
        TestRepo { path, time }
    }

    /// Commits `files` on `main` as `who`; returns the new SHA.
    pub fn commit(&mut self, who: &Identity, message: &str, files: &[(&str, &[u8])]) -> String {
        self.time += 60;
        let head = git::head(&self.path, "main").unwrap();
        let commit = NewCommit {
            branch: "main",
            author: who,
            message,
            time: Some(self.time),
        };
        let sha = git::commit_files_on(&self.path, &head, &commit, files).unwrap();
        assert_ne!(sha, head, "the test commit changes something");
        sha
    }

    /// An automation commit as `release_bot()` setting the overlay's tag to `tag` (the
    /// message is the tag); returns the new SHA.
    pub fn release(&mut self, tag: &str) -> String {
        let file = overlay(tag);
        self.commit(
            &release_bot(),
            &format!("{tag}\n"),
            &[(OVERLAY, file.as_bytes())],
        )
    }

    /// A human commit touching one numbered file.
    pub fn human(&mut self, n: usize) -> String {
        let content = format!("change {n}\n");
        self.commit(
            &maria(),
            &format!("Human change {n}"),
            &[(&format!("notes/{n}.txt"), content.as_bytes())],
        )
    }

    /// The current head of `main`.
    pub fn head(&self) -> String {
        git::head(&self.path, "main").unwrap()
    }
}

/// Credentials that never reach the user's agent, keys or helpers.
pub fn isolated_credentials() -> CredentialConfig {
    CredentialConfig {
        token_vars: Vec::new(),
        ssh_agent: false,
        ssh_keys: Vec::new(),
        ssh_home: None,
        ssh_system_known_hosts: Vec::new(),
        helpers: Helpers::Off,
        proxy: ProxyEnv::default(),
    }
}

/// A running worker.
pub struct Running {
    /// Commands.
    pub tx: mpsc::Sender<GitCommand>,
    rx: mpsc::Receiver<GitEvent>,
    handle: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts a worker with `page_size`, its cache under `cache_root`.
    pub fn start(cache_root: &Path, page_size: usize, credentials: CredentialConfig) -> Running {
        Self::start_with(GitWorkerConfig {
            cache_root: cache_root.to_path_buf(),
            credentials,
            page_size,
            ..GitWorkerConfig::default()
        })
    }

    /// Starts a worker with `config`.
    pub fn start_with(config: GitWorkerConfig) -> Running {
        let (tx, commands) = mpsc::channel(16);
        let (out, rx) = mpsc::channel(64);
        let handle = spawn_git_worker(config, commands, out);
        Running { tx, rx, handle }
    }

    /// Sends a command.
    pub async fn send(&self, cmd: GitCommand) {
        self.tx.send(cmd).await.unwrap();
    }

    /// The next event (a generous bound guards against a hung test, it asserts nothing).
    pub async fn next(&mut self) -> GitEvent {
        tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("an event from the git worker")
            .expect("the git worker is running")
    }

    /// The next `Log`, skipping `Fetched`; any error fails the test.
    pub async fn log(&mut self) -> RepoLog {
        loop {
            match self.next().await {
                GitEvent::Log { log, .. } => return log,
                GitEvent::Fetched { .. } => {}
                GitEvent::Error { error, .. } => panic!("unexpected error: {error}"),
                other => panic!("unexpected event: {other:?}"),
            }
        }
    }

    /// The next `Error`, skipping `Fetched` and `Log`.
    pub async fn error(&mut self) -> GitError {
        loop {
            match self.next().await {
                GitEvent::Error { error, .. } => return error,
                GitEvent::Fetched { .. } | GitEvent::Log { .. } => {}
                other => panic!("unexpected event: {other:?}"),
            }
        }
    }

    /// The next `Fetched`, as (head, changed); any error fails the test.
    pub async fn fetched(&mut self) -> (String, bool) {
        loop {
            match self.next().await {
                GitEvent::Fetched { head, changed, .. } => return (head, changed),
                GitEvent::Log { .. } => {}
                GitEvent::Error { error, .. } => panic!("unexpected error: {error}"),
                other => panic!("unexpected event: {other:?}"),
            }
        }
    }

    /// Closes the command channel and waits for the worker to stop.
    pub async fn stop(self) {
        drop(self.tx);
        tokio::time::timeout(Duration::from_secs(60), self.handle)
            .await
            .expect("the worker stops when its commands close")
            .unwrap();
    }
}

/// A tenant's Flux objects in namespace `ns`: a GitRepository `tenant` at `url` (branch
/// `main`), a Kustomization `apps` of it that applied `main@sha1:<applied>`, and an
/// ImageUpdateAutomation `bot` committing to it as `release-bot`.
pub fn tenant_objects(ns: &str, url: &str, applied: &str) -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "tenant", "namespace": ns},
            "spec": {"interval": "1h", "url": url, "ref": {"branch": "main"}}}),
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": ns},
            "spec": {"interval": "5m", "path": "./deploy", "prune": true,
                     "sourceRef": {"kind": "GitRepository", "name": "tenant"}},
            "status": {"lastAppliedRevision": format!("main@sha1:{applied}")}}),
        json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
            "metadata": {"name": "bot", "namespace": ns},
            "spec": {"interval": "1h",
                     "sourceRef": {"kind": "GitRepository", "name": "tenant"},
                     "git": {"checkout": {"ref": {"branch": "main"}},
                             "commit": {"author": {"name": "release-bot",
                                                   "email": "release-bot@corp.example"}},
                             "push": {"branch": "main"}},
                     "update": {"path": "./deploy", "strategy": "Setters"}}}),
    ]
}
