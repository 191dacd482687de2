//! The headless commands (`status`, `suspend`, `resume`, `reconcile`) as a script runs them:
//! the `fluxdeck` binary against the sandbox's frozen `sock-shop` scenario, through the
//! kubeconfig the sandbox writes into a temp dir. Objects are checked through the API.

use std::time::{Duration, Instant};

use crate::support::cli::{self, Run, assert_valid};
use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::cli::status::{Lane, LaneStage, LaneStep, StatusReport, Stuck};
use serde_json::{Value, json};

const APPS: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps";
const TENANT: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";

struct Cluster {
    sb: Option<TestSandbox>,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// What one run of the binary gave.
impl Cluster {
    async fn start(reconcile_time: Duration) -> Cluster {
        let sb = Spec::sock_shop()
            .reconcile_time(reconcile_time)
            .start()
            .await;
        // A dir of its own: the kubeconfig outlives the sandbox (`shutdown_sandbox`).
        let dir = tempfile::tempdir().unwrap();
        sb.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();
        Cluster {
            sb: Some(sb),
            dir,
            http: reqwest::Client::new(),
        }
    }

    fn sb(&self) -> &TestSandbox {
        self.sb.as_ref().expect("running")
    }

    /// Runs `fluxdeck --kubeconfig KC ARGS…` (see [`cli::fluxdeck`]).
    async fn fluxdeck(&self, args: &[&str]) -> Run {
        cli::fluxdeck(
            &self.dir.path().join("kubeconfig"),
            self.dir.path(),
            args,
            &[],
            Duration::from_secs(60),
        )
        .await
    }

    async fn get(&self, path: &str) -> Value {
        let sb = self.sb();
        self.http
            .get(format!("{}{path}", sb.http_url()))
            .bearer_auth(&sb.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn merge_patch(&self, path: &str, body: Value) {
        let sb = self.sb();
        let resp = self
            .http
            .patch(format!("{}{path}", sb.http_url()))
            .bearer_auth(&sb.token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }

    /// Polls `path` every 100 ms until `done` holds, up to 10 s.
    async fn wait_for(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let obj = self.get(path).await;
            if done(&obj) {
                return obj;
            }
            assert!(Instant::now() < deadline, "{what}: {obj:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the sandbox; the kubeconfig stays and points at a closed port.
    async fn shutdown_sandbox(&mut self) {
        if let Some(sb) = self.sb.take() {
            sb.shutdown().await;
        }
    }

    async fn stop(mut self) {
        self.shutdown_sandbox().await;
    }
}

fn object<'a>(doc: &'a Value, list: &str, namespace: &str, name: &str) -> &'a Value {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["namespace"] == namespace && o["name"] == name)
        .unwrap_or_else(|| panic!("{list} has no {namespace}/{name}: {doc:#}"))
}

fn ready(obj: &Value) -> Option<&str> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")?["status"]
        .as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_follows_readiness_in_its_exit_code_and_its_json_meets_the_schema() {
    let c = Cluster::start(Duration::from_millis(100)).await;
    let validator = cli::status_schema();

    let run = c.fluxdeck(&["status", "-A", "-o", "json"]).await;
    assert_eq!(run.code, 0, "all Ready: {}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    assert_valid(&validator, &doc);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["namespace"], Value::Null);
    assert_eq!(doc["context"], "fluxdeck-sandbox");
    assert_eq!(doc["kustomizations"].as_array().unwrap().len(), 4);
    let apps = object(&doc, "kustomizations", "flux-system", "apps");
    assert!(
        apps["revision"].as_str().unwrap().starts_with("main@sha1:"),
        "{apps}"
    );
    let git = object(&doc, "sources", "flux-system", "flux-system");
    assert_eq!(git["kind"], "GitRepository");
    assert_eq!(
        object(
            &doc,
            "imageRepositories",
            "sock-shop",
            "sock-shop-front-end"
        )["tags"],
        25
    );
    assert!(
        object(&doc, "imagePolicies", "sock-shop", "sock-shop-front-end")["latestImage"]
            .as_str()
            .unwrap()
            .ends_with("/weaveworksdemos/front-end:main-1f49071-24")
    );
    // One release lane: the front-end's policy, its pick running in every pod.
    let lanes = doc["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 1, "{lanes:#?}");
    assert_eq!(lanes[0]["app"], "sock-shop/sock-shop-front-end");
    assert_eq!(lanes[0]["tag"], "main-1f49071-24");
    assert_eq!(lanes[0]["rolledOut"], true);
    assert_eq!(lanes[0]["stuck"], Value::Null);

    // The tenant's Kustomization loses its source: Ready=False, and status says so.
    c.merge_patch(TENANT, json!({"spec": {"sourceRef": {"name": "missing"}}}))
        .await;
    c.wait_for(TENANT, "the tenant fails", |o| ready(o) == Some("False"))
        .await;
    let run = c.fluxdeck(&["status", "-A", "-o", "json"]).await;
    assert_eq!(
        run.code, 1,
        "a failing object: {}\n{}",
        run.stdout, run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_valid(&validator, &doc);
    assert_eq!(doc["ok"], false);
    let tenant = object(&doc, "kustomizations", "sock-shop", "sock-shop");
    assert_eq!(
        (&tenant["ok"], &tenant["ready"], &tenant["status"]),
        (&json!(false), &json!("False"), &json!("Failed"))
    );
    assert!(
        tenant["message"]
            .as_str()
            .unwrap()
            .contains("GitRepository/sock-shop/missing"),
        "{tenant}"
    );
    assert_eq!(
        object(&doc, "kustomizations", "flux-system", "apps")["ok"],
        true
    );

    // -n limits the report: flux-system alone is all Ready.
    let run = c
        .fluxdeck(&["status", "-n", "flux-system", "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_valid(&validator, &doc);
    assert_eq!(doc["namespace"], "flux-system");
    assert!(
        doc["kustomizations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["namespace"] == "flux-system")
    );

    // The table: a section per kind, aligned columns, the failing row.
    let run = c.fluxdeck(&["status", "-n", "sock-shop"]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("kustomization/sock-shop "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let row = lines[at];
    let header = lines[..at]
        .iter()
        .rev()
        .find(|l| l.starts_with("NAME "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    );
    assert_eq!(
        header.find("READY"),
        row.find("False   Source"),
        "{}",
        run.stdout
    );

    // YAML: the same document.
    let run = c
        .fluxdeck(&["status", "-n", "sock-shop", "-o", "yaml"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let yaml: Value = serde_saphyr::from_str(&run.stdout).expect("stdout is YAML");
    assert_eq!(yaml["ok"], false);
    assert_valid(&validator, &yaml);

    // A reconcile of the failing object exits 1 with Flux's message and the object's name.
    let run = c
        .fluxdeck(&["reconcile", "ks/sock-shop", "-n", "sock-shop"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "✗ Kustomization/sock-shop/sock-shop: Kustomization reconciliation failed:"
        ) && last.contains("'Source 'GitRepository/sock-shop/missing' not found'"),
        "{}",
        run.stderr
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_then_resume_a_kustomization() {
    let c = Cluster::start(Duration::from_millis(100)).await;

    let run = c.fluxdeck(&["suspend", "ks/apps"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [
            "► suspending Kustomization apps in flux-system namespace",
            "✔ Kustomization apps suspended"
        ]
    );
    assert_eq!(c.get(APPS).await["spec"]["suspend"], true);
    // A suspended Kustomization fails the status, and refuses a reconcile before any write.
    let run = c.fluxdeck(&["status", "-n", "flux-system"]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let before = c.get(APPS).await["metadata"]["annotations"].clone();
    let run = c.fluxdeck(&["reconcile", "Kustomization/apps"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("resource is suspended"),
        "{}",
        run.stderr
    );
    assert_eq!(c.get(APPS).await["metadata"]["annotations"], before);

    let run = c
        .fluxdeck(&["resume", "KUSTOMIZATION", "apps", "-n", "flux-system"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "► resuming Kustomization apps in flux-system namespace",
            "✔ resumed Kustomization/flux-system/apps",
            "◎ waiting for Kustomization reconciliation",
        ],
        "{}",
        run.stderr
    );
    assert!(
        lines[3].starts_with(
            "✔ Kustomization apps reconciliation completed; applied revision main@sha1:"
        ),
        "{}",
        run.stderr
    );
    let obj = c.get(APPS).await;
    assert!(obj["spec"]["suspend"].is_null(), "{:#}", obj["spec"]);
    assert_eq!(ready(&obj), Some("True"));
    let run = c.fluxdeck(&["status", "-n", "flux-system"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_with_source_prints_the_applied_revision_within_seconds() {
    let c = Cluster::start(Duration::from_millis(100)).await;
    let run = c.fluxdeck(&["reconcile", "ks/apps", "--with-source"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.took < Duration::from_secs(5), "took {:?}", run.took);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 8, "{}", run.stderr);
    assert_eq!(
        lines[..3],
        [
            "► annotating GitRepository flux-system in flux-system namespace",
            "✔ annotated GitRepository/flux-system/flux-system",
            "◎ waiting for GitRepository reconciliation",
        ]
    );
    assert!(
        lines[3].starts_with("✔ fetched revision main@sha1:"),
        "{}",
        run.stderr
    );
    assert_eq!(
        lines[4],
        "► annotating Kustomization apps in flux-system namespace"
    );
    let revision = lines[7]
        .strip_prefix("✔ applied revision ")
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let sha = revision.strip_prefix("main@sha1:").unwrap();
    assert!(
        sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
        "{revision}"
    );
    let obj = c.get(APPS).await;
    assert_eq!(obj["status"]["lastAppliedRevision"], revision);
    assert_eq!(
        obj["status"]["lastHandledReconcileAt"],
        obj["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"]
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_objects_and_kinds_exit_1_saying_what_is_wrong() {
    let mut c = Cluster::start(Duration::from_millis(100)).await;
    for verb in ["suspend", "resume", "reconcile"] {
        let run = c.fluxdeck(&[verb, "ks/nope"]).await;
        assert_eq!(run.code, 1, "{verb}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("✗ Kustomization/flux-system/nope not found in namespace flux-system"),
            "{verb}: {}",
            run.stderr
        );
    }
    let run = c.fluxdeck(&["reconcile", "helmrelease/podinfo"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("unknown kind `helmrelease`; use one of kustomization (ks)"),
        "{}",
        run.stderr
    );
    let run = c
        .fluxdeck(&["reconcile", "source", "git", "flux-system", "--with-source"])
        .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("--with-source applies to Kustomizations only"),
        "{}",
        run.stderr
    );

    // No API server: status gives up at its timeout saying what it waited for, an action
    // says the server cannot be reached.
    c.shutdown_sandbox().await;
    let run = c.fluxdeck(&["status", "--timeout", "1s"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.took < Duration::from_secs(5), "took {:?}", run.took);
    assert!(
        run.stderr
            .contains("timed out after 1s waiting for the first list of Kustomization, ")
            && run.stderr.contains("raise --timeout"),
        "{}",
        run.stderr
    );
    let run = c.fluxdeck(&["reconcile", "ks/apps"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the API server"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconcile_that_cannot_finish_in_time_exits_1_at_the_timeout() {
    // The controllers take 10 s per reconcile: nothing becomes ready within one second.
    let c = Cluster::start(Duration::from_secs(10)).await;
    let run = c
        .fluxdeck(&["reconcile", "ks/apps", "--timeout", "1s"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.took < Duration::from_secs(5), "took {:?}", run.took);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("✗ ") && last.contains("timed out after 1s"),
        "{}",
        run.stderr
    );
    // The request was sent: the controller will handle it later.
    let obj = c.get(APPS).await;
    assert!(
        obj["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"].is_string(),
        "{obj:#}"
    );
    c.stop().await;
}

#[test]
fn every_headless_command_has_a_manual() {
    for (command, says) in [
        ("status", "exit 0 when all are Ready"),
        (
            "suspend",
            "Sets `spec.suspend: true` with a JSON merge patch",
        ),
        (
            "resume",
            "waits until the object is Ready for its current generation",
        ),
        ("reconcile", "--with-source"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
            .args([command, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success(), "{command}: {text}");
        assert!(text.contains(says), "{command}: {text}");
        assert!(text.contains("Examples:\n  fluxdeck "), "{command}: {text}");
    }
}

#[test]
fn lanes_serialise_as_the_schema_says() {
    let report = StatusReport {
        context: Some("ctx".into()),
        namespace: None,
        ok: false,
        kustomizations: vec![],
        sources: vec![],
        image_repositories: vec![],
        image_policies: vec![],
        image_update_automations: vec![],
        unavailable: vec![],
        lanes: vec![Lane {
            app: "sock-shop/front-end".into(),
            image: "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end".into(),
            tag: Some("main-1f49071-24".into()),
            stage: LaneStage::Selected,
            rolled_out: false,
            stages: vec![
                LaneStep {
                    stage: LaneStage::Pushed,
                    at: Some("2026-12-06T06:00:00Z".parse().unwrap()),
                    seconds: None,
                },
                LaneStep {
                    stage: LaneStage::Scanned,
                    at: Some("2026-12-06T06:00:30.5Z".parse().unwrap()),
                    seconds: Some(30.5),
                },
                LaneStep {
                    stage: LaneStage::Selected,
                    at: None,
                    seconds: None,
                },
            ],
            stuck: Some(Stuck {
                stage: LaneStage::Committed,
                reason: "failed to push".into(),
                object: Some("ImageUpdateAutomation/sock-shop/front-end".into()),
            }),
        }],
    };
    let doc = serde_json::to_value(&report).unwrap();
    assert_valid(&cli::status_schema(), &doc);
    assert_eq!(doc["lanes"][0]["rolledOut"], false);
    assert_eq!(doc["lanes"][0]["stages"][1]["at"], "2026-12-06T06:00:30.5Z");
    // Every stage name the schema lists is one the report can write, and back.
    for (stage, name) in [
        (LaneStage::RolledOut, "rolled-out"),
        (LaneStage::Fetched, "fetched"),
        (LaneStage::Applied, "applied"),
    ] {
        assert_eq!(serde_json::to_value(stage).unwrap(), name);
    }
    // The schema rejects what the lead must not write: a stage outside the list.
    let mut bad = doc.clone();
    bad["lanes"][0]["stage"] = json!("deployed");
    assert!(!cli::status_schema().is_valid(&bad));
}
