//! One build's run through CodeBuild's phases: the paced steps, the log in CodeBuild's shape
//! and the build's summary as it moves from queued to pushed or failed.

use std::sync::atomic::Ordering;
use std::time::Duration;

use jiff::Timestamp;

use crate::sandbox::git::{self};

use super::{App, Build, BuildKind, BuildState, Ci, lock, sha256_hex};

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

    pub(super) async fn run(&self, app: App, number: u32, kind: BuildKind) {
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
}
