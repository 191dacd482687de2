//! What a build commits to the app repository and pushes to the registry: the seeded
//! history, one commit per build by one of a few engineers, and the image push.

use std::sync::atomic::Ordering;
use std::time::Duration;

use jiff::Timestamp;

use crate::sandbox::git::{self, Identity, NewCommit};
use crate::sandbox::registry::PushRequest;

use super::{App, BuildKind, Ci, manifest};

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

impl Ci {
    /// Creates the bare app repository with one branch per application and `history` earlier
    /// builds of each (commits and images), the newest `newest_ago` before now, builds about
    /// 40 minutes apart; creates the ECR repositories.
    pub fn seed(&self, history: u32, newest_ago: Duration) -> Result<(), String> {
        let now = Timestamp::now().as_second();
        let newest = now - newest_ago.as_secs() as i64;
        for (i, app) in self.apps.iter().enumerate() {
            match self.registry.create_repository(&app.repository, false) {
                Ok(_)
                | Err(crate::sandbox::registry::RegistryError::RepositoryAlreadyExists {
                    ..
                }) => {}
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

    pub(super) fn commit(
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

    pub(super) fn push(
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
