//! Release lanes against the live pipeline (`sock-shop-live`), through the binary as a
//! script runs it: `fluxdeck wait --image` exits 0 once the pods run a new build, exits 1
//! naming the suspended Kustomization while it is suspended, and exits 1 naming the pod in
//! CrashLoopBackOff for a broken build; `status -o json` reports the lanes and meets its
//! schema.

use std::time::{Duration, Instant};

use crate::support::cli::{self, Run};
use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::live::LiveConfig;
use fluxdeck::sandbox::pace::Pace;
use serde_json::{Value, json};

const TENANT: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";

struct Live {
    sb: TestSandbox,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    ecr: String,
    git_token: String,
}

impl Live {
    async fn start() -> Live {
        let dir = tempfile::tempdir().unwrap();
        let sb = Spec::live(LiveConfig {
            build_every: None,
            ..LiveConfig::new(dir.path().join("state"), Pace::demo(4.0))
        })
        .start()
        .await;
        let http = reqwest::Client::new();
        let endpoints: Value = http
            .get(format!("{}/sandbox/endpoints", sb.http_url()))
            .bearer_auth(&sb.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let git_token =
            std::fs::read_to_string(endpoints["gitTokenFile"].as_str().unwrap()).unwrap();
        Live {
            ecr: endpoints["ecrEndpoint"].as_str().unwrap().to_owned(),
            git_token: git_token.trim().to_owned(),
            sb,
            dir,
            http,
        }
    }

    /// `fluxdeck --kubeconfig KC ARGS… --ecr-endpoint E` with a private HOME, the sandbox's
    /// git token and registry credentials, as the sandbox's "watch it" line says.
    async fn fluxdeck(&self, args: &[&str]) -> Run {
        let mut all = vec!["-A"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--ecr-endpoint", &self.ecr]);
        self.fluxdeck_plain(&all).await
    }

    async fn fluxdeck_plain(&self, args: &[&str]) -> Run {
        cli::fluxdeck(
            self.sb.kubeconfig(),
            self.dir.path(),
            args,
            &[
                ("AWS_ACCESS_KEY_ID", "sandbox"),
                ("AWS_SECRET_ACCESS_KEY", "sandbox"),
                ("FLUXDECK_GIT_TOKEN", &self.git_token),
            ],
            Duration::from_secs(120),
        )
        .await
    }

    async fn send(&self, method: reqwest::Method, path: &str, ct: &str, body: Value) -> Value {
        self.http
            .request(method, format!("{}{path}", self.sb.http_url()))
            .bearer_auth(&self.sb.token)
            .header("Content-Type", ct)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Starts a CI build of `kind` and returns its tag once pushed.
    async fn build(&self, kind: &str) -> String {
        let build = self
            .send(
                reqwest::Method::POST,
                "/sandbox/ci/build",
                "application/json",
                json!({"kind": kind}),
            )
            .await;
        let number = build["number"].as_u64().expect("a build number");
        let started = Instant::now();
        loop {
            let all = self
                .send(
                    reqwest::Method::GET,
                    "/sandbox/ci/builds",
                    "application/json",
                    json!({}),
                )
                .await;
            let tag = all["builds"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["number"].as_u64() == Some(number))
                .and_then(|b| b["tag"].as_str().map(str::to_owned));
            if let Some(tag) = tag {
                return tag;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "build {number} never tagged"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `fluxdeck suspend|resume kustomization/sock-shop -n sock-shop`.
    /// `fluxdeck wait` on the front-end's `tag` fails within `timeout`, saying `why`.
    async fn wait_fails(&self, tag: &str, timeout: &str, why: &str) -> Run {
        let image = format!("front-end:{tag}");
        let run = self
            .fluxdeck(&["wait", "--image", &image, "--timeout", timeout])
            .await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains(why), "{}", run.stderr);
        run
    }

    async fn suspend(&self, suspend: bool) {
        let verb = if suspend { "suspend" } else { "resume" };
        let run = self
            .fluxdeck_plain(&[verb, "kustomization/sock-shop", "-n", "sock-shop"])
            .await;
        assert_eq!(run.code, 0, "{verb}: {}", run.stderr);
        let ks = self
            .send(reqwest::Method::GET, TENANT, "application/json", json!({}))
            .await;
        assert_eq!(
            ks["spec"]["suspend"].as_bool().unwrap_or(false),
            suspend,
            "{ks:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_follows_a_build_to_the_pods_and_names_what_holds_one_back() {
    let live = Live::start().await;

    // A good build: stages on stderr in order, exit 0 once the pods run it.
    let tag = live.build("ok").await;
    let image = format!("front-end:{tag}");
    let run = live
        .fluxdeck(&["wait", "--image", &image, "--timeout", "90s", "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let order: Vec<usize> = [
        "✔ pushed",
        "✔ selected",
        "✔ committed",
        "✔ fetched",
        "✔ applied",
        "✔ rolled-out",
    ]
    .iter()
    .map(|s| {
        run.stderr
            .find(s)
            .unwrap_or_else(|| panic!("{s} in {}", run.stderr))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["rolledOut"], true);
    assert_eq!(doc["lane"]["tag"], tag.as_str());
    assert_eq!(doc["lane"]["stages"].as_array().unwrap().len(), 7);

    // status reports the lane rolled out, in a document that meets the schema.
    let run = live.fluxdeck(&["status", "-o", "json"]).await;
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    cli::assert_valid(&cli::status_schema(), &doc);
    let lane = doc["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["app"] == "sock-shop/sock-shop-front-end")
        .expect("the front-end lane");
    assert_eq!(lane["rolledOut"], true, "{lane:#}");

    // The Kustomization suspended: the next build stops at `applied`, and wait says why.
    live.suspend(true).await;
    let tag = live.build("ok").await;
    live.wait_fails(
        &tag,
        "20s",
        "waits at applied: Kustomization sock-shop/sock-shop is suspended",
    )
    .await;
    live.suspend(false).await;

    // A broken build: its pods crash-loop, and wait names them.
    let tag = live.build("broken").await;
    let run = live
        .wait_fails(&tag, "40s", "waits at rolled-out: pod sock-shop/front-end-")
        .await;
    assert!(run.stderr.contains("CrashLoopBackOff"), "{}", run.stderr);
}
