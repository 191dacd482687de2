//! The machine's kubectl against the sandbox, with only the kubeconfig the sandbox wrote.
//! Skipped with a message when kubectl is absent (never under `CI=true`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::sandbox::{BlockingSandbox, Spec};

struct Kubectl {
    sb: BlockingSandbox,
}

fn kubectl_present() -> bool {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "kubectl is required under CI=true (install kubectl v1.32 or newer)"
        );
        eprintln!("SKIPPED: kubectl is not installed; these conformance tests need it");
    }
    ok
}

impl Kubectl {
    fn start() -> Option<Kubectl> {
        if !kubectl_present() {
            return None;
        }
        Some(Kubectl {
            sb: Spec::sock_shop().start_blocking(),
        })
    }

    fn kubeconfig(&self) -> PathBuf {
        self.sb.kubeconfig().to_path_buf()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("kubectl");
        c.args(args)
            .env("KUBECONFIG", self.kubeconfig())
            // A private HOME: kubectl's discovery cache and config stay in the temp dir.
            .env("HOME", self.sb.dir())
            .env_remove("KUBECTL_EXTERNAL_DIFF");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("kubectl runs");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{stdout}\n{stderr}"
        );
        stdout
    }

    fn object(&self, path: &str) -> serde_json::Value {
        let sb = self.sb.get();
        self.sb.block_on(async {
            reqwest::Client::new()
                .get(format!("{}{path}", sb.http_url()))
                .bearer_auth(&sb.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    fn fault(&self, body: serde_json::Value) {
        let sb = self.sb.get();
        self.sb.block_on(async {
            reqwest::Client::new()
                .post(format!("{}/sandbox/faults", sb.http_url()))
                .bearer_auth(&sb.token)
                .json(&body)
                .send()
                .await
                .unwrap();
        });
    }
}

const KS: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/sock-shop";

#[test]
fn kubectl_gets_look_like_a_real_cluster() {
    let Some(k) = Kubectl::start() else { return };
    let out = k.run(&["get", "kustomizations", "-A"]);
    let header = out.lines().next().unwrap();
    for col in ["NAMESPACE", "NAME", "AGE", "READY", "STATUS"] {
        assert!(header.contains(col), "{out}");
    }
    for name in ["flux-system", "infrastructure", "apps", "sock-shop"] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().nth(1) == Some(name)),
            "{name} in\n{out}"
        );
    }
    assert!(out.contains("Applied revision: main@sha1:"), "{out}");

    let out = k.run(&[
        "get",
        "gitrepositories,imagerepositories,imagepolicies,imageupdateautomations",
        "-A",
    ]);
    for row in [
        "gitrepository.source.toolkit.fluxcd.io/sock-shop-tenant",
        "imagerepository.image.toolkit.fluxcd.io/sock-shop-front-end",
        "imagepolicy.image.toolkit.fluxcd.io/sock-shop-front-end",
        "imageupdateautomation.image.toolkit.fluxcd.io/sock-shop-front-end",
    ] {
        assert!(out.contains(row), "{row} in\n{out}");
    }
    assert!(out.contains("repository up-to-date"), "{out}");

    let out = k.run(&["get", "pods", "-n", "sock-shop", "-o", "wide"]);
    let header = out.lines().next().unwrap();
    for col in [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ] {
        assert!(header.contains(col), "{out}");
    }
    let front = out
        .lines()
        .find(|l| l.starts_with("front-end-"))
        .unwrap_or_else(|| panic!("a front-end pod in\n{out}"));
    assert!(
        front.contains("1/1") && front.contains("Running") && front.contains("10."),
        "{front}"
    );
    assert_eq!(
        out.lines().count() - 1,
        14,
        "one pod per Sock Shop deployment:\n{out}"
    );

    let yaml = k.run(&[
        "get",
        "kustomization",
        "sock-shop",
        "-n",
        "sock-shop",
        "-o",
        "yaml",
    ]);
    assert!(
        yaml.starts_with("apiVersion: kustomize.toolkit.fluxcd.io/v1"),
        "{yaml}"
    );
    assert!(yaml.contains("lastAppliedRevision: main@sha1:"), "{yaml}");

    let pod = front.split_whitespace().next().unwrap();
    let described = k.run(&["describe", "pod", pod, "-n", "sock-shop"]);
    assert!(
        described.contains(
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-"
        ),
        "{described}"
    );
    assert!(
        described.contains("Status:") && described.contains("Running"),
        "{described}"
    );

    let resources = k.run(&["api-resources"]);
    assert!(
        resources.lines().any(|l| l.starts_with("kustomizations")
            && l.contains("ks")
            && l.contains("kustomize.toolkit.fluxcd.io/v1")),
        "{resources}"
    );
    assert!(
        resources.lines().any(|l| l.starts_with("imagepolicies")),
        "{resources}"
    );
}

#[test]
fn kubectl_patch_annotate_and_auth() {
    let Some(k) = Kubectl::start() else { return };
    let out = k.run(&[
        "patch",
        "kustomization",
        "sock-shop",
        "-n",
        "sock-shop",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ]);
    assert!(out.contains("patched"), "{out}");
    assert_eq!(k.object(KS)["spec"]["suspend"], true);

    let token = "2026-11-28T10:00:00.123456789Z";
    let arg = format!("reconcile.fluxcd.io/requestedAt={token}");
    let out = k.run(&[
        "annotate",
        "--overwrite",
        "kustomization/sock-shop",
        "-n",
        "sock-shop",
        &arg,
    ]);
    assert!(out.contains("annotated"), "{out}");
    assert_eq!(
        k.object(KS)["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        token
    );

    assert_eq!(
        k.run(&[
            "auth",
            "can-i",
            "patch",
            "kustomizations",
            "-n",
            "sock-shop"
        ])
        .trim(),
        "yes"
    );
    k.fault(serde_json::json!({"deny": [{"verb": "patch", "resource": "kustomizations"}]}));
    let out = k
        .command(&[
            "auth",
            "can-i",
            "patch",
            "kustomizations",
            "-n",
            "sock-shop",
        ])
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(answer.starts_with("no"), "{answer}");
    let out = k
        .command(&[
            "patch",
            "kustomization",
            "sock-shop",
            "-n",
            "sock-shop",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"suspend":false}}"#,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("forbidden"),
        "{out:?}"
    );
}

#[test]
fn kubectl_watch_prints_a_change_made_by_another_client() {
    let Some(k) = Kubectl::start() else { return };
    let mut child = k
        .command(&[
            "get",
            "kustomizations",
            "-A",
            "--watch",
            "--output-watch-events",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // The initial rows first (ADDED), then the second client's change (MODIFIED).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen_initial = false;
    while !seen_initial {
        let line = rx
            .recv_timeout(deadline - std::time::Instant::now())
            .expect("initial rows");
        seen_initial = line.contains("sock-shop") && line.contains("ADDED");
    }
    k.run(&[
        "patch",
        "kustomization",
        "sock-shop",
        "-n",
        "sock-shop",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ]);
    let mut modified = None;
    while modified.is_none() && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
            && line.contains("MODIFIED")
            && line.contains("sock-shop")
        {
            modified = Some(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(modified.is_some(), "kubectl --watch printed the change");
}

#[test]
fn kubectl_logs_reads_and_follows_a_deployments_pod() {
    let Some(k) = Kubectl::start() else { return };
    let out = k.run(&["logs", "-n", "sock-shop", "deploy/front-end", "--tail=3"]);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().all(|l| l.starts_with("GET /")), "{out}");
    // `-f`: the last line, then the next one the front-end writes.
    let mut child = k
        .command(&[
            "logs",
            "-f",
            "-n",
            "sock-shop",
            "deploy/front-end",
            "--tail=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the last line");
    let next = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let next = next.expect("a followed line within 20 s");
    assert!(
        first.starts_with("GET /") && next.starts_with("GET /"),
        "{first} / {next}"
    );
    assert_ne!(first, next);
    // An unknown container: kubectl passes the API's message on.
    let out = k
        .command(&["logs", "-n", "sock-shop", "deploy/front-end", "-c", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("container nope is not valid for pod front-end-"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
