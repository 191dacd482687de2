//! The sandbox's CI: builds of an application that commit to its app repository and push the
//! image `main-<sha7>-<build number>` and `latest` to the sandbox's ECR registry, as the
//! reference pipeline's CodeBuild project does, with a log in CodeBuild's shape.
//!
//! A build runs through CodeBuild's phases (DOWNLOAD_SOURCE, PRE_BUILD, BUILD, POST_BUILD),
//! each a paced delay, so a watcher sees it queued, running and pushed. Kinds:
//! - `ok`: an image that runs;
//! - `broken`: an image whose containers crash at start (the kubelet plays `CrashLoopBackOff`);
//! - `missing`: a tag recorded in the registry whose layers were never uploaded, so pulls fail
//!   (`ErrImagePull`/`ImagePullBackOff`).
//!
//! The image's fate travels in its manifest's annotations ([`FATE_ANNOTATION`]), where the
//! sandbox's kubelet reads it; real registries carry such annotations too.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::pace::Pace;
use super::registry::RegistryStore;

mod repo;
mod run;

/// The manifest annotation that says what running the image does (`crash`, `unpullable`).
pub const FATE_ANNOTATION: &str = "io.fluxdeck.sandbox/fate";

/// Builds whose log and summary are kept.
const KEEP: usize = 200;

/// What a build produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildKind {
    /// An image that runs.
    Ok,
    /// An image whose containers crash.
    Broken,
    /// A tag whose image cannot be pulled.
    Missing,
}

impl FromStr for BuildKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "ok" => Ok(BuildKind::Ok),
            "broken" | "crash" => Ok(BuildKind::Broken),
            "missing" | "unpullable" => Ok(BuildKind::Missing),
            other => Err(format!(
                "unknown build kind '{other}': use ok, broken (containers crash) or missing (the image cannot be pulled)"
            )),
        }
    }
}

impl fmt::Display for BuildKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildKind::Ok => "ok",
            BuildKind::Broken => "broken",
            BuildKind::Missing => "missing",
        })
    }
}

/// Where a build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuildState {
    /// Waiting to start.
    Queued,
    /// In a phase.
    InProgress,
    /// Pushed.
    Succeeded,
    /// Failed (the log says why).
    Failed,
}

/// One build.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    /// The application (its ECR repository is `repository`).
    pub app: String,
    /// CodeBuild's build number (per application).
    pub number: u32,
    /// What it produces.
    pub kind: BuildKind,
    /// Where it is.
    pub state: BuildState,
    /// The current or last phase.
    pub phase: String,
    /// The app repository commit it built (full SHA), once known.
    pub commit: Option<String>,
    /// `main-<sha7>-<number>`, once known.
    pub tag: Option<String>,
    /// The pushed image's digest.
    pub digest: Option<String>,
    /// The ECR repository.
    pub repository: String,
    /// RFC 3339 times.
    pub queued_at: String,
    /// When it started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    #[serde(skip)]
    log: Vec<String>,
}

/// An application the CI builds.
#[derive(Debug, Clone)]
pub struct App {
    /// Its name (`front-end`).
    pub name: String,
    /// The branch of the app repository it builds.
    pub branch: String,
    /// Its ECR repository (`weaveworksdemos/front-end`).
    pub repository: String,
}

/// The CI.
pub struct Ci {
    repo: PathBuf,
    registry: Arc<RegistryStore>,
    apps: Vec<App>,
    pace: Pace,
    numbers: Vec<AtomicU32>,
    next_app: AtomicU32,
    builds: Mutex<VecDeque<Build>>,
    log_dir: Option<PathBuf>,
    pushed: std::sync::atomic::AtomicU64,
    /// When the last build was asked for (by the schedule or on demand): the schedule's next
    /// build is one period after it.
    last_request: Mutex<tokio::time::Instant>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The image manifest of a build: a config and three layers, annotated with its fate.
pub fn manifest(repository: &str, tag: &str, kind: BuildKind) -> String {
    let spread = u64::from_str_radix(sha256_hex(tag).get(..4).unwrap_or("0"), 16).unwrap_or(0);
    let mut m = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": 6_400,
            "digest": format!("sha256:{}", sha256_hex(&format!("{repository} config {tag}"))),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 2_811_478,
             "digest": format!("sha256:{}", sha256_hex("node:10-alpine base"))},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 21_934_612,
             "digest": format!("sha256:{}", sha256_hex(&format!("{repository} node_modules")))},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 180_000 + spread % 20_000,
             "digest": format!("sha256:{}", sha256_hex(&format!("{repository} app {tag}")))},
        ],
    });
    match kind {
        BuildKind::Ok => {}
        BuildKind::Broken => m["annotations"] = json!({FATE_ANNOTATION: "crash"}),
        BuildKind::Missing => m["annotations"] = json!({FATE_ANNOTATION: "unpullable"}),
    }
    m.to_string()
}

/// The fate a manifest's annotations give (`None`: it runs).
pub fn fate_of(manifest: &str) -> Option<String> {
    let v: Value = serde_json::from_str(manifest).ok()?;
    v["annotations"][FATE_ANNOTATION]
        .as_str()
        .map(str::to_string)
}

impl Ci {
    /// A CI over the bare app repository `repo` (created by [`Ci::seed`]) that pushes to
    /// `registry`; build logs are also written under `log_dir` when given.
    pub fn new(
        repo: PathBuf,
        registry: Arc<RegistryStore>,
        apps: Vec<App>,
        pace: Pace,
        log_dir: Option<PathBuf>,
    ) -> Ci {
        let numbers = apps.iter().map(|_| AtomicU32::new(0)).collect();
        Ci {
            repo,
            registry,
            apps,
            pace,
            numbers,
            next_app: AtomicU32::new(0),
            builds: Mutex::new(VecDeque::new()),
            log_dir,
            pushed: std::sync::atomic::AtomicU64::new(0),
            last_request: Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// The applications.
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    /// [`Ci::request`] with the kind as the admin API and `:build` name it (`ok`, `broken`,
    /// `missing`); an unknown word is the error.
    pub fn request_named(self: &Arc<Self>, kind: &str, app: Option<&str>) -> Result<Build, String> {
        self.request(kind.parse()?, app)
    }

    /// Queues a build of `app` (the next application in turn when `None`); returns it.
    pub fn request(self: &Arc<Self>, kind: BuildKind, app: Option<&str>) -> Result<Build, String> {
        *lock(&self.last_request) = tokio::time::Instant::now();
        let index = match app {
            Some(name) => self
                .apps
                .iter()
                .position(|a| a.name == name)
                .ok_or_else(|| {
                    format!(
                        "no application '{name}' in the sandbox CI; applications: {}",
                        self.apps
                            .iter()
                            .take(5)
                            .map(|a| a.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?,
            None => {
                if self.apps.is_empty() {
                    return Err("the sandbox CI has no application to build".into());
                }
                self.next_app.fetch_add(1, Ordering::SeqCst) as usize % self.apps.len()
            }
        };
        let app = self.apps[index].clone();
        let number = self.numbers[index].fetch_add(1, Ordering::SeqCst) + 1;
        let build = Build {
            app: app.name.clone(),
            number,
            kind,
            state: BuildState::Queued,
            phase: "SUBMITTED".into(),
            commit: None,
            tag: None,
            digest: None,
            repository: app.repository.clone(),
            queued_at: crate::sandbox::apiserver::store::now_rfc3339(),
            started_at: None,
            finished_at: None,
            log: Vec::new(),
        };
        {
            let mut builds = lock(&self.builds);
            builds.push_back(build.clone());
            while builds.len() > KEEP {
                builds.pop_front();
            }
        }
        let ci = self.clone();
        tokio::spawn(async move { ci.run(app, number, kind).await });
        Ok(build)
    }

    /// Builds pushed since the CI started (the seeded history not counted).
    pub fn pushed(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    /// Every kept build, oldest first.
    pub fn builds(&self) -> Vec<Build> {
        lock(&self.builds).iter().cloned().collect()
    }

    /// The log of build `number` of `app` (the first application when `None`).
    pub fn build_log(&self, app: Option<&str>, number: u32) -> Option<String> {
        let app = app.or_else(|| self.apps.first().map(|a| a.name.as_str()))?;
        lock(&self.builds)
            .iter()
            .find(|b| b.app == app && b.number == number)
            .map(|b| {
                let mut s = b.log.join("\n");
                s.push('\n');
                s
            })
    }

    /// Starts a build every `every` (paced) after the last one asked for, until the handle
    /// is aborted: a build asked for on demand (`:build broken`) restarts the wait, as a
    /// push to a watched branch would, so it is not superseded by a scheduled one at once.
    pub fn schedule(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let ci = self.clone();
        tokio::spawn(async move {
            let every = ci.pace.delay(every).max(Duration::from_millis(10));
            *lock(&ci.last_request) = tokio::time::Instant::now();
            loop {
                let due = *lock(&ci.last_request) + every;
                if tokio::time::Instant::now() < due {
                    tokio::time::sleep_until(due).await;
                    continue;
                }
                if let Err(e) = ci.request(BuildKind::Ok, None) {
                    tracing::warn!("sandbox CI: {e}");
                }
            }
        })
    }

    /// The app repository.
    #[cfg(test)]
    fn repository_path(&self) -> &std::path::Path {
        &self.repo
    }
}

#[cfg(test)]
mod tests;
