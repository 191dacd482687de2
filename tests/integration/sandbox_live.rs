//! The live pipeline (`sock-shop-live`), seen as a user sees it: through the Kubernetes API
//! of the sandbox, its git host (git CLI and git2 over smart HTTP with basic auth) and its
//! CI endpoint. A build goes from push to pods; a suspended Kustomization holds later builds
//! back and resuming applies the newest; a reconcile request is handled at once; a broken
//! build crash-loops while the old ReplicaSet serves; and every object the controllers wrote
//! validates against the real Flux CRDs of both API generations.
//!
//! Waits poll the API every 100 ms up to a limit: the limits are the acceptance
//! bounds (60 s from push to pods at speed 1, 2 s for a reconcile request), generous for
//! everything else.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::sandbox::live::LiveConfig;
use fluxdeck::sandbox::pace::Pace;
use serde_json::{Value, json};

const TENANT: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";
const SOURCE: &str =
    "/apis/source.toolkit.fluxcd.io/v1/namespaces/sock-shop/gitrepositories/sock-shop-tenant";
const FRONT_END_PODS: &str = "/api/v1/namespaces/sock-shop/pods?labelSelector=name%3Dfront-end";
const ECR: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

struct Live {
    sb: TestSandbox,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    image_api: &'static str,
}

impl Live {
    async fn start(speed: f64, flux: FluxVersion) -> Live {
        // `FLUXDECK_TEST_LOG=fluxdeck=trace` shows the sandbox's logs of a failing test.
        if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("FLUXDECK_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        // The state and the clones go to a dir of the test's own, which outlives `shutdown`.
        let sb = Spec::live(LiveConfig {
            build_every: None,
            ..LiveConfig::new(dir.path().join("state"), Pace::demo(speed))
        })
        .flux(flux)
        .start()
        .await;
        let image_api = match flux {
            FluxVersion::Current => "/apis/image.toolkit.fluxcd.io/v1",
            FluxVersion::V2_6 => "/apis/image.toolkit.fluxcd.io/v1beta2",
        };
        Live {
            sb,
            http: reqwest::Client::new(),
            dir,
            image_api,
        }
    }

    fn state(&self) -> std::path::PathBuf {
        self.dir.path().join("state")
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        ct: &str,
        body: Value,
    ) -> (u16, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.sb.http_url()))
            .bearer_auth(&self.sb.token)
            .header("content-type", ct)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}{path}", self.sb.http_url()))
            .bearer_auth(&self.sb.token)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn merge_patch(&self, path: &str, body: Value) {
        let (code, answer) = self
            .send(
                reqwest::Method::PATCH,
                path,
                "application/merge-patch+json",
                body,
            )
            .await;
        assert_eq!(code, 200, "PATCH {path}: {answer}");
    }

    /// Asks the CI for a build and waits until it pushed; returns its tag.
    async fn build(&self, kind: &str) -> String {
        let (code, build) = self
            .send(
                reqwest::Method::POST,
                "/sandbox/ci/build",
                "application/json",
                json!({"kind": kind}),
            )
            .await;
        assert_eq!(code, 201, "{build}");
        let number = build["number"].as_u64().unwrap();
        let builds = self
            .wait("the CI build to push", Duration::from_secs(30), || async {
                let all = self.get("/sandbox/ci/builds").await;
                all["builds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|b| b["number"] == number && b["state"] == "SUCCEEDED")
                    .cloned()
            })
            .await;
        builds["tag"].as_str().unwrap().to_string()
    }

    async fn wait<T, F, Fut>(&self, what: &str, limit: Duration, mut f: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let start = Instant::now();
        loop {
            if let Some(v) = f().await {
                return v;
            }
            if start.elapsed() >= limit {
                let stats = self.get("/sandbox/stats").await;
                panic!(
                    "waited {} s for {what}; sandbox: {stats:#}",
                    limit.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn front_end_pods(&self) -> Vec<Value> {
        self.get(FRONT_END_PODS).await["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// True when every front-end pod runs `tag`, is Ready and none is terminating.
    async fn pods_run(&self, tag: &str) -> bool {
        let pods = self.front_end_pods().await;
        !pods.is_empty()
            && pods.iter().all(|p| {
                p["metadata"]["deletionTimestamp"].is_null()
                    && p["spec"]["containers"][0]["image"] == format!("{ECR}:{tag}")
                    && ready(p)
            })
    }

    async fn applied(&self) -> String {
        self.get(TENANT).await["status"]["lastAppliedRevision"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Clones the config repository with the git CLI over HTTP, as a user would.
    fn clone_config_repo(&self) -> std::path::PathBuf {
        let creds = std::fs::read_to_string(self.state().join("git-credentials")).unwrap();
        let url_with_creds = creds.trim().to_string();
        let url = format!("{url_with_creds}/v1/repos/microservices-repo");
        let into = self.dir.path().join(format!(
            "clone-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        git(
            self.dir.path(),
            &["clone", "--quiet", &url, into.to_str().unwrap()],
        );
        into
    }
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// Runs git with no user or system configuration and no prompts.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "credential.helper=", "-c", "protocol.version=2"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_goes_from_push_to_pods_through_the_api_in_a_minute() {
    let live = Live::start(1.0, FluxVersion::Current).await;
    // The bootstrap settled: the tenant applied, the front-end runs the newest seeded build.
    let policy_path = format!(
        "{}/namespaces/sock-shop/imagepolicies/sock-shop-front-end",
        live.image_api
    );
    let before = live.get(&policy_path).await["status"]["latestRef"]["tag"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        live.pods_run(&before).await,
        "front-end runs {before} at start"
    );
    let repo_path = format!(
        "{}/namespaces/sock-shop/imagerepositories/sock-shop-front-end",
        live.image_api
    );
    let tags_before = live.get(&repo_path).await["status"]["lastScanResult"]["tagCount"]
        .as_u64()
        .unwrap();
    let start = Instant::now();
    let tag = live.build("ok").await;
    // `latestTags` holds the ten greatest tags byte-wise, which a new build need not be
    // among; the count shows the scan saw it (one new tag; `latest` moved).
    live.wait(
        "the scan to list the tag",
        Duration::from_secs(60),
        || async {
            let repo = live.get(&repo_path).await;
            let count = repo["status"]["lastScanResult"]["tagCount"].as_u64();
            assert!(count <= Some(tags_before + 1), "{:#}", repo["status"]);
            (count == Some(tags_before + 1)).then_some(())
        },
    )
    .await;
    live.wait("the policy to pick it", Duration::from_secs(60), || async {
        (live.get(&policy_path).await["status"]["latestRef"]["tag"] == tag.as_str()).then_some(())
    })
    .await;
    let automation = format!(
        "{}/namespaces/sock-shop/imageupdateautomations/sock-shop-front-end",
        live.image_api
    );
    let pushed = live
        .wait(
            "the automation to push",
            Duration::from_secs(60),
            || async {
                let a = live.get(&automation).await;
                let msg = condition(&a, "Ready")?["message"].as_str()?.to_string();
                assert_eq!(msg, "repository up-to-date");
                let sha = a["status"]["lastPushCommit"].as_str()?.to_string();
                let observed =
                    a["status"]["observedPolicies"]["sock-shop-front-end"]["tag"] == tag.as_str();
                observed.then_some(sha)
            },
        )
        .await;
    let revision = format!("main@sha1:{pushed}");
    live.wait(
        "the source to fetch it",
        Duration::from_secs(60),
        || async {
            (live.get(SOURCE).await["status"]["artifact"]["revision"] == revision.as_str())
                .then_some(())
        },
    )
    .await;
    live.wait(
        "the Kustomization to apply it",
        Duration::from_secs(60),
        || async { (live.applied().await == revision).then_some(()) },
    )
    .await;
    live.wait(
        "every front-end pod to run it",
        Duration::from_secs(60),
        || async { live.pods_run(&tag).await.then_some(()) },
    )
    .await;
    let took = start.elapsed();
    assert!(took < Duration::from_secs(60), "push to pods took {took:?}");

    // The commit: by the automation's author, changing only the marked newTag line.
    let clone = live.clone_config_repo();
    let log = git(&clone, &["log", "-1", "--format=%H%n%an <%ae>%n%s"]);
    let mut lines = log.lines();
    assert_eq!(lines.next(), Some(pushed.as_str()));
    assert_eq!(
        lines.next(),
        Some("fluxcdbot <fluxcdbot@users.noreply.github.com>")
    );
    assert_eq!(lines.next(), Some(tag.as_str()));
    let diff = git(&clone, &["show", "--format=", "--unified=0", "HEAD"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        [
            format!(
                "-  newTag: {before} # {{\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}}"
            ),
            format!(
                "+  newTag: {tag} # {{\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}}"
            ),
        ],
        "{diff}"
    );
    let files = git(&clone, &["show", "--format=", "--name-only", "HEAD"]);
    assert_eq!(
        files.trim(),
        "deploy/kubernetes/overlays/development/kustomization.yaml"
    );
    git(&clone, &["fsck", "--full", "--strict"]);

    // The same commit read with git2 from a fresh clone over HTTP.
    let repo = git2::Repository::open(&clone).unwrap();
    let commit = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(commit.id().to_string(), pushed);
    assert_eq!(commit.author().name().unwrap(), "fluxcdbot");
    let parent = commit.parent(0).unwrap();
    let d = repo
        .diff_tree_to_tree(
            Some(&parent.tree().unwrap()),
            Some(&commit.tree().unwrap()),
            None,
        )
        .unwrap();
    let stats = d.stats().unwrap();
    assert_eq!(
        (stats.files_changed(), stats.insertions(), stats.deletions()),
        (1, 1, 1)
    );
    live.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_kustomization_holds_builds_back_and_resuming_applies_the_newest() {
    let live = Live::start(5.0, FluxVersion::Current).await;
    let applied_before = live.applied().await;
    // A reconcile request is handled within 2 s.
    let token = "2026-12-06T10:00:00.123456789+01:00";
    live.merge_patch(
        TENANT,
        json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}}),
    )
    .await;
    live.wait(
        "the request to be handled",
        Duration::from_secs(2),
        || async {
            (live.get(TENANT).await["status"]["lastHandledReconcileAt"] == token).then_some(())
        },
    )
    .await;

    live.merge_patch(TENANT, json!({"spec": {"suspend": true}}))
        .await;
    let tag = live.build("ok").await;
    let automation = format!(
        "{}/namespaces/sock-shop/imageupdateautomations/sock-shop-front-end",
        live.image_api
    );
    let pushed = live
        .wait(
            "the automation to push the new tag",
            Duration::from_secs(60),
            || async {
                let a = live.get(&automation).await;
                (a["status"]["observedPolicies"]["sock-shop-front-end"]["tag"] == tag.as_str())
                    .then(|| a["status"]["lastPushCommit"].as_str().map(str::to_string))
                    .flatten()
            },
        )
        .await;
    let revision = format!("main@sha1:{pushed}");
    live.wait(
        "the source to fetch it",
        Duration::from_secs(60),
        || async {
            (live.get(SOURCE).await["status"]["artifact"]["revision"] == revision.as_str())
                .then_some(())
        },
    )
    .await;
    // Give the Kustomization a few of its (paced) intervals: it must not move.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        live.applied().await,
        applied_before,
        "a suspended Kustomization applies nothing"
    );
    assert!(!live.pods_run(&tag).await);

    live.merge_patch(TENANT, json!({"spec": {"suspend": null}}))
        .await;
    live.wait(
        "resuming to apply the newest revision",
        Duration::from_secs(30),
        || async { (live.applied().await == revision).then_some(()) },
    )
    .await;
    live.wait(
        "the pods to run the newest build",
        Duration::from_secs(60),
        || async { live.pods_run(&tag).await.then_some(()) },
    )
    .await;
    live.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_build_crash_loops_while_the_old_replica_set_keeps_serving() {
    let live = Live::start(5.0, FluxVersion::Current).await;
    let old_pods = live.front_end_pods().await;
    let old_image = old_pods[0]["spec"]["containers"][0]["image"].clone();
    let tag = live.build("broken").await;
    let crashing = live
        .wait(
            "a new pod to crash-loop",
            Duration::from_secs(60),
            || async {
                live.front_end_pods().await.into_iter().find(|p| {
                    let s = &p["status"]["containerStatuses"][0];
                    p["spec"]["containers"][0]["image"] == format!("{ECR}:{tag}")
                        && s["state"]["waiting"]["reason"] == "CrashLoopBackOff"
                        && s["restartCount"].as_u64().unwrap_or(0) >= 1
                })
            },
        )
        .await;
    assert!(!ready(&crashing));
    // The old ReplicaSet's pods still run the old image, Ready.
    let pods = live.front_end_pods().await;
    let serving: Vec<&Value> = pods
        .iter()
        .filter(|p| p["spec"]["containers"][0]["image"] == old_image && ready(p))
        .collect();
    assert_eq!(serving.len(), old_pods.len(), "{pods:#?}");
    let name = crashing["metadata"]["name"].as_str().unwrap();
    let resp = live
        .http
        .get(format!(
            "{}/api/v1/namespaces/sock-shop/pods/{name}/log",
            live.sb.http_url()
        ))
        .bearer_auth(&live.sb.token)
        .send()
        .await
        .unwrap();
    let log = resp.text().await.unwrap();
    assert!(log.contains("Error: "), "{log}");
    live.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_fails_to_pull_while_the_old_replica_set_keeps_serving() {
    let live = Live::start(5.0, FluxVersion::Current).await;
    let old_pods = live.front_end_pods().await;
    let tag = live.build("missing").await;
    let stuck = live
        .wait(
            "a new pod that cannot pull",
            Duration::from_secs(60),
            || async {
                live.front_end_pods().await.into_iter().find(|p| {
                    let reason = &p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"];
                    p["spec"]["containers"][0]["image"] == format!("{ECR}:{tag}")
                        && (reason == "ErrImagePull" || reason == "ImagePullBackOff")
                })
            },
        )
        .await;
    let message = stuck["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("not found"), "{message}");
    let serving = live
        .front_end_pods()
        .await
        .into_iter()
        .filter(|p| p["spec"]["containers"][0]["image"] != format!("{ECR}:{tag}") && ready(p))
        .count();
    assert_eq!(serving, old_pods.len());
    live.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_commit_and_a_missing_repository_fail_with_flux_reasons_and_recover() {
    let live = Live::start(5.0, FluxVersion::Current).await;
    let applied = live.applied().await;
    // Someone pushes an overlay that does not build.
    let repo = live.state().join("git").join("microservices-repo");
    let me = fluxdeck::sandbox::git::Identity::new("Sam Chen", "sam.chen@example.com");
    let overlay = "deploy/kubernetes/overlays/development/kustomization.yaml";
    let good = fluxdeck::sandbox::git::read_file(
        &repo,
        &fluxdeck::sandbox::git::head(&repo, "main").unwrap(),
        overlay,
    )
    .unwrap()
    .unwrap();
    let broken = String::from_utf8(good.clone())
        .unwrap()
        .replace("- ../../base", "- ../../missing-base");
    fluxdeck::sandbox::git::commit_files(
        &repo,
        "main",
        &me,
        "Point at a base that is not there",
        &[(overlay, broken)],
    )
    .unwrap();
    live.merge_patch(
        SOURCE,
        json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "1"}}}),
    )
    .await;
    let failed = live
        .wait(
            "the Kustomization to fail its build",
            Duration::from_secs(30),
            || async {
                let ks = live.get(TENANT).await;
                let ready = condition(&ks, "Ready")?.clone();
                (ready["status"] == "False" && ready["reason"] == "BuildFailed").then_some(ready)
            },
        )
        .await;
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .starts_with("kustomize build failed: "),
        "{failed}"
    );
    assert_eq!(live.applied().await, applied, "nothing applied");
    assert!(
        live.front_end_pods().await.iter().all(ready),
        "the pods keep running"
    );
    // The fix is applied.
    let fixed = fluxdeck::sandbox::git::commit_files(
        &repo,
        "main",
        &me,
        "Revert the base",
        &[(overlay, good)],
    )
    .unwrap();
    live.merge_patch(
        SOURCE,
        json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "2"}}}),
    )
    .await;
    live.wait("the fix to apply", Duration::from_secs(30), || async {
        (live.applied().await == format!("main@sha1:{fixed}")).then_some(())
    })
    .await;
    // A GitRepository pointed at a repository the host does not have.
    let url = live.get(SOURCE).await["spec"]["url"]
        .as_str()
        .unwrap()
        .replace("microservices-repo", "no-such-repo");
    live.merge_patch(SOURCE, json!({"spec": {"url": url}}))
        .await;
    let ready = live
        .wait(
            "the source to fail its fetch",
            Duration::from_secs(30),
            || async {
                let src = live.get(SOURCE).await;
                let ready = condition(&src, "Ready")?.clone();
                (ready["status"] == "False").then_some(ready)
            },
        )
        .await;
    assert_eq!(ready["reason"], "GitOperationFailed");
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .contains("repository not found"),
        "{ready}"
    );
    live.sb.shutdown().await;
}

/// Every Flux object in the store validates against its CRD's schema at the version stored,
/// and is Ready.
async fn every_object_validates(flux: FluxVersion) {
    let live = Live::start(5.0, flux).await;
    let tag = live.build("ok").await;
    live.wait(
        "the pods to run the build",
        Duration::from_secs(60),
        || async { live.pods_run(&tag).await.then_some(()) },
    )
    .await;
    let store = &live.sb.store;
    let mut checked = 0;
    for (id, ty) in store.resources().types().iter().enumerate() {
        if !ty.custom || !ty.group.ends_with("toolkit.fluxcd.io") {
            continue;
        }
        let page = store
            .list(
                id,
                None,
                &Default::default(),
                &Default::default(),
                None,
                None,
            )
            .unwrap();
        for o in page.items {
            let obj = o.value().unwrap();
            let version = obj["apiVersion"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            let schema = ty
                .version(version)
                .and_then(|v| v.schema.as_ref())
                .expect("served with a schema");
            let errors = fluxdeck::sandbox::schema::validate(schema, &obj);
            assert!(errors.is_empty(), "{} {}: {errors:?}", ty.kind, o.name);
            assert_eq!(
                condition(&obj, "Ready").map(|c| c["status"].clone()),
                Some(json!("True")),
                "{} {}/{}: {:#}",
                ty.kind,
                o.namespace,
                o.name,
                obj["status"]
            );
            checked += 1;
        }
    }
    // Four Kustomizations, two GitRepositories and the three image objects.
    assert_eq!(checked, 9);
    // Each of them waits for its next interval (none fell off the controllers' schedule).
    let stats = live.get("/sandbox/stats").await;
    let c = &stats["controllers"];
    assert_eq!(
        c["queued"].as_u64().unwrap() + c["running"].as_u64().unwrap(),
        9,
        "{stats:#}"
    );
    live.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_writes_validate_against_the_current_flux_crds() {
    every_object_validates(FluxVersion::Current).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_writes_validate_against_the_flux_2_6_crds() {
    every_object_validates(FluxVersion::V2_6).await;
}
