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
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::git::{self, Identity, NewCommit};
use super::pace::Pace;
use super::registry::{PushRequest, RegistryStore};

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

/// Engineers whose commits the CI builds, with the subjects they write.
const ENGINEERS: [(&str, &str); 3] = [
    ("Maria Lopez", "maria.lopez@example.com"),
    ("Sam Chen", "sam.chen@example.com"),
    ("Priya Natarajan", "priya.natarajan@example.com"),
];
const SUBJECTS: [&str; 12] = [
    "Fix cart total rounding for multi-item orders",
    "Show stock level on the catalogue page",
    "Update footer links",
    "Cache catalogue images for a day",
    "Retry the orders call once on a 503",
    "Tidy the login form validation",
    "Add a health endpoint for the load balancer",
    "Bump express to 4.21",
    "Log request ids on every line",
    "Lazy-load the product carousel",
    "Fix currency symbol in the basket",
    "Trim the node_modules layer",
];

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

fn stamp(t: Timestamp) -> String {
    // CodeBuild's `[Container] 2026/12/06 03:10:01.123456` prefix.
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC);
    format!(
        "[Container] {:04}/{:02}/{:02} {:02}:{:02}:{:02}.{:06}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    )
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

    /// Creates the bare app repository with one branch per application and `history` earlier
    /// builds of each (commits and images), the newest `newest_ago` before now, builds about
    /// 40 minutes apart; creates the ECR repositories.
    pub fn seed(&self, history: u32, newest_ago: Duration) -> Result<(), String> {
        let now = Timestamp::now().as_second();
        let newest = now - newest_ago.as_secs() as i64;
        for (i, app) in self.apps.iter().enumerate() {
            match self.registry.create_repository(&app.repository, false) {
                Ok(_) | Err(super::registry::RegistryError::RepositoryAlreadyExists { .. }) => {}
                Err(e) => return Err(e.to_string()),
            }
            let first = app_files(&app.name, 0);
            let author = Identity::new(ENGINEERS[0].0, ENGINEERS[0].1);
            let start = newest - i64::from(history) * 40 * 60 - 3600;
            let init = NewCommit {
                branch: &app.branch,
                author: &author,
                message: &format!("Create {}", app.name),
                time: Some(start),
            };
            let mut head = if i == 0 && !self.repo.exists() {
                git::init_repo(&self.repo, &init, &first).map_err(|e| e.to_string())?
            } else {
                let base =
                    git::head(&self.repo, &self.apps[0].branch).map_err(|e| e.to_string())?;
                if app.branch != self.apps[0].branch {
                    git::create_branch(&self.repo, &app.branch, &base)
                        .map_err(|e| e.to_string())?;
                }
                base
            };
            for n in 1..=history {
                let at = newest - i64::from(history - n) * 40 * 60;
                let (sha, _) = self.commit(app, n, &head, Some(at))?;
                head = sha.clone();
                let tag = format!("main-{}-{n}", &sha[..7]);
                let pushed_at = Timestamp::from_second(at + 240).ok();
                self.push(app, &tag, BuildKind::Ok, pushed_at, n == history)?;
            }
            if let Some(counter) = self.numbers.get(i) {
                counter.store(history, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    fn commit(
        &self,
        app: &App,
        n: u32,
        parent: &str,
        time: Option<i64>,
    ) -> Result<(String, String), String> {
        let (name, email) = ENGINEERS[n as usize % ENGINEERS.len()];
        let subject = SUBJECTS[n as usize % SUBJECTS.len()];
        let author = Identity::new(name, email);
        let c = NewCommit {
            branch: &app.branch,
            author: &author,
            message: subject,
            time,
        };
        let files = app_files(&app.name, n);
        let sha =
            git::commit_files_on(&self.repo, parent, &c, &files).map_err(|e| e.to_string())?;
        Ok((sha, subject.to_string()))
    }

    fn push(
        &self,
        app: &App,
        tag: &str,
        kind: BuildKind,
        at: Option<Timestamp>,
        latest: bool,
    ) -> Result<String, String> {
        let manifest = manifest(&app.repository, tag, kind);
        let image = self
            .registry
            .push_image(
                &app.repository,
                PushRequest {
                    tag: Some(tag.to_string()),
                    manifest: manifest.clone(),
                    pushed_at: at,
                    ..PushRequest::default()
                },
            )
            .map_err(|e| e.to_string())?;
        if latest {
            // `latest` moves to the new image (already there for a repeated manifest: fine).
            let _ = self.registry.push_image(
                &app.repository,
                PushRequest {
                    tag: Some("latest".into()),
                    manifest,
                    pushed_at: at,
                    ..PushRequest::default()
                },
            );
        }
        Ok(image.digest)
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

    fn update(&self, app: &str, number: u32, f: impl FnOnce(&mut Build)) {
        let mut builds = lock(&self.builds);
        if let Some(b) = builds
            .iter_mut()
            .find(|b| b.app == app && b.number == number)
        {
            f(b);
        }
    }

    fn log(&self, app: &str, number: u32, lines: &[String]) {
        let now = Timestamp::now();
        let stamped: Vec<String> = lines
            .iter()
            .map(|l| {
                if l.starts_with("[Container]") {
                    format!("{} {}", stamp(now), l.trim_start_matches("[Container] "))
                } else {
                    l.clone()
                }
            })
            .collect();
        if let Some(dir) = &self.log_dir {
            use std::io::Write;
            let path = dir.join(format!("{app}-{number}.log"));
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
            {
                for l in &stamped {
                    let _ = writeln!(f, "{l}");
                }
            }
        }
        self.update(app, number, |b| b.log.extend(stamped));
    }

    async fn phase(&self, app: &str, number: u32, phase: &str, d: Duration, lines: Vec<String>) {
        self.update(app, number, |b| {
            b.phase = phase.to_string();
            b.state = BuildState::InProgress;
        });
        self.log(
            app,
            number,
            &[format!("[Container] Entering phase {phase}")],
        );
        self.pace.sleep(d).await;
        let mut lines = lines;
        lines.push(format!(
            "[Container] Phase complete: {phase} State: SUCCEEDED"
        ));
        self.log(app, number, &lines);
    }

    async fn run(&self, app: App, number: u32, kind: BuildKind) {
        let name = app.name.clone();
        self.update(&name, number, |b| {
            b.started_at = Some(crate::sandbox::apiserver::store::now_rfc3339());
        });
        let host = self.registry.registry_host();
        let uri = format!("{host}/{}", app.repository);
        self.log(
            &name,
            number,
            &[
                "[Container] Running on CodeBuild On-demand".into(),
                "[Container] Waiting for agent ping".into(),
                "[Container] Waiting for DOWNLOAD_SOURCE".into(),
            ],
        );
        let parent = match git::head(&self.repo, &app.branch) {
            Ok(h) => h,
            Err(e) => return self.fail(&name, number, &e.to_string()),
        };
        let (sha, subject) = match self.commit(&app, number, &parent, None) {
            Ok(c) => c,
            Err(e) => return self.fail(&name, number, &e),
        };
        let tag = format!("main-{}-{number}", &sha[..7]);
        self.update(&name, number, |b| {
            b.commit = Some(sha.clone());
            b.tag = Some(tag.clone());
        });
        self.phase(
            &name,
            number,
            "DOWNLOAD_SOURCE",
            Duration::from_millis(600),
            vec![format!(
                "[Container] CODEBUILD_SRC_DIR=/codebuild/output/src{number}/src/git-codecommit.{}.amazonaws.com/v1/repos/{name}",
                self.registry.region()
            ), format!("[Container] Resolved source version {sha} ({subject})")],
        )
        .await;
        self.phase(
            &name,
            number,
            "PRE_BUILD",
            Duration::from_millis(500),
            vec![
                format!("[Container] Running command aws ecr get-login-password --region {} | docker login --username AWS --password-stdin {host}", self.registry.region()),
                "Login Succeeded".into(),
                "[Container] Running command COMMIT_HASH=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)".into(),
                "[Container] Running command IMAGE_TAG=main-${COMMIT_HASH}-${CODEBUILD_BUILD_NUMBER}".into(),
            ],
        )
        .await;
        let mut build_lines = vec![
            format!("[Container] Running command docker build -t {uri}:latest ."),
            "Step 1/6 : FROM node:10-alpine".into(),
            "Step 2/6 : WORKDIR /usr/src/app".into(),
            "Step 3/6 : COPY package.json ./".into(),
            "Step 4/6 : RUN npm install --production".into(),
            "Step 5/6 : COPY . .".into(),
            "Step 6/6 : CMD [\"npm\", \"start\"]".into(),
            format!("Successfully built {}", &sha256_hex(&tag)[..12]),
            format!("[Container] Running command docker tag {uri}:latest {uri}:{tag}"),
        ];
        if kind == BuildKind::Broken {
            build_lines.insert(
                7,
                "npm WARN deprecated config-loader@0.3.1: missing peer dependency; the server may not start".into(),
            );
        }
        self.phase(&name, number, "BUILD", Duration::from_secs(2), build_lines)
            .await;
        let digest = match self.push(&app, &tag, kind, None, true) {
            Ok(d) => d,
            Err(e) => return self.fail(&name, number, &e),
        };
        let mut push_lines = vec![
            format!("[Container] Running command docker push {uri}:latest"),
            format!("[Container] Running command docker push {uri}:{tag}"),
        ];
        if kind == BuildKind::Missing {
            push_lines.push(format!(
                "{tag}: blob upload unknown: layer sha256:{} was not uploaded (connection reset); manifest pushed",
                &sha256_hex(&format!("{} app {tag}", app.repository))[..12]
            ));
        }
        push_lines.push(format!("{tag}: digest: {digest} size: 1573"));
        self.phase(
            &name,
            number,
            "POST_BUILD",
            Duration::from_millis(500),
            push_lines,
        )
        .await;
        self.log(
            &name,
            number,
            &["[Container] Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED".into()],
        );
        self.pushed.fetch_add(1, Ordering::Relaxed);
        self.update(&name, number, |b| {
            b.state = BuildState::Succeeded;
            b.phase = "COMPLETED".into();
            b.digest = Some(digest);
            b.finished_at = Some(crate::sandbox::apiserver::store::now_rfc3339());
        });
        tracing::info!("sandbox CI: {name} build {number} pushed {tag} ({kind})");
    }

    fn fail(&self, app: &str, number: u32, why: &str) {
        self.log(
            app,
            number,
            &[format!(
                "[Container] Command did not exit successfully: {why}"
            )],
        );
        self.update(app, number, |b| {
            b.state = BuildState::Failed;
            b.finished_at = Some(crate::sandbox::apiserver::store::now_rfc3339());
        });
        tracing::warn!("sandbox CI: {app} build {number} failed: {why}");
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
    pub fn repository_path(&self) -> &Path {
        &self.repo
    }
}

/// The files of the app at build `n`: a tiny Node service whose version file changes.
fn app_files(name: &str, n: u32) -> Vec<(String, String)> {
    let mut files = vec![("version.txt".to_string(), format!("{name} build {n}\n"))];
    if n == 0 {
        files.push((
            "package.json".into(),
            format!(
                "{{\n  \"name\": \"{name}\",\n  \"version\": \"0.0.1\",\n  \"scripts\": {{\"start\": \"node server.js\"}},\n  \"dependencies\": {{\"express\": \"^4.21.0\"}}\n}}\n"
            ),
        ));
        files.push((
            "server.js".into(),
            "const express = require('express');\nconst app = express();\napp.use(express.static('public'));\napp.listen(8079, () => console.log('App now running in production mode on port 8079'));\n".into(),
        ));
        files.push((
            "Dockerfile".into(),
            "FROM node:10-alpine\nWORKDIR /usr/src/app\nCOPY package.json ./\nRUN npm install --production\nCOPY . .\nCMD [\"npm\", \"start\"]\n".into(),
        ));
        files.push((
            "buildspec.yml".into(),
            "version: 0.2\nphases:\n  pre_build:\n    commands:\n      - aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $REPOSITORY_URI\n      - COMMIT_HASH=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)\n      - IMAGE_TAG=main-${COMMIT_HASH}-${CODEBUILD_BUILD_NUMBER}\n  build:\n    commands:\n      - docker build -t $REPOSITORY_URI:latest .\n      - docker tag $REPOSITORY_URI:latest $REPOSITORY_URI:$IMAGE_TAG\n  post_build:\n    commands:\n      - docker push $REPOSITORY_URI:latest\n      - docker push $REPOSITORY_URI:$IMAGE_TAG\n".into(),
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_with_a_clear_error_and_manifests_carry_the_fate() {
        assert_eq!("".parse::<BuildKind>(), Ok(BuildKind::Ok));
        assert_eq!("broken".parse::<BuildKind>(), Ok(BuildKind::Broken));
        assert_eq!("missing".parse::<BuildKind>(), Ok(BuildKind::Missing));
        assert!(
            "flaky"
                .parse::<BuildKind>()
                .unwrap_err()
                .contains("ok, broken")
        );
        assert_eq!(fate_of(&manifest("r", "t", BuildKind::Ok)), None);
        assert_eq!(
            fate_of(&manifest("r", "t", BuildKind::Broken)).as_deref(),
            Some("crash")
        );
        assert_eq!(
            fate_of(&manifest("r", "t", BuildKind::Missing)).as_deref(),
            Some("unpullable")
        );
        assert_ne!(
            manifest("r", "a", BuildKind::Ok),
            manifest("r", "b", BuildKind::Ok)
        );
    }

    #[tokio::test]
    async fn a_build_commits_to_the_app_repository_and_pushes_its_tag_and_latest() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(RegistryStore::new("123456789012", "us-west-2"));
        let app = App {
            name: "front-end".into(),
            branch: "main".into(),
            repository: "weaveworksdemos/front-end".into(),
        };
        let ci = Arc::new(Ci::new(
            dir.path().join("front-end"),
            registry.clone(),
            vec![app],
            Pace::new(1000.0, 1.0),
            None,
        ));
        ci.seed(3, Duration::from_secs(600)).unwrap();
        let tags = registry.tags("weaveworksdemos/front-end").unwrap();
        assert_eq!(tags.len(), 4, "{tags:?}");
        let head = git::head(ci.repository_path(), "main").unwrap();
        assert!(
            tags.iter()
                .any(|t| t.tag == format!("main-{}-3", &head[..7]))
        );
        let queued = ci.request(BuildKind::Broken, Some("front-end")).unwrap();
        assert_eq!(queued.number, 4);
        let mut done = None;
        for _ in 0..500 {
            let b = ci.builds().into_iter().find(|b| b.number == 4).unwrap();
            if b.state == BuildState::Succeeded {
                done = Some(b);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let b = done.expect("the build finishes");
        let tag = b.tag.clone().unwrap();
        let head = git::head(ci.repository_path(), "main").unwrap();
        assert_eq!(tag, format!("main-{}-4", &head[..7]));
        let latest = registry
            .with_repository("weaveworksdemos/front-end", |r| {
                r.by_tag("latest").map(|i| i.manifest.clone())
            })
            .unwrap()
            .unwrap();
        assert_eq!(fate_of(&latest).as_deref(), Some("crash"));
        let log = ci.build_log(None, 4).unwrap();
        assert!(
            log.contains("Phase complete: POST_BUILD State: SUCCEEDED"),
            "{log}"
        );
        assert!(log.contains(&tag));
        assert!(ci.request(BuildKind::Ok, Some("cart")).is_err());
    }
}
