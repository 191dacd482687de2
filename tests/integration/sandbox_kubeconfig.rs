//! `fluxdeck sandbox --kubeconfig PATH` pointed at a user's kubeconfig: the binary, as a user
//! runs it. The file keeps every other entry, its current context and its permissions while
//! the sandbox runs (and is usable by fluxdeck's own client then), and after SIGTERM or
//! Ctrl-C (SIGINT) it is exactly what it was before.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fluxdeck::workers::cluster::connect::{ConnectOptions, connect};
use serde_json::Value;

const USER_FILE: &str = "\
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: Q0E=
- name: staging
  cluster:
    server: https://staging.example.com
    insecure-skip-tls-verify: true
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
    namespace: payments
- name: staging
  context:
    cluster: staging
    user: admin
current-context: prod
preferences: {}
users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env: null
";

fn parse(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    fluxdeck::model::yaml::documents(&text).unwrap().remove(0)
}

fn names(config: &Value, list: &str) -> Vec<String> {
    config[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Starts the sandbox on `kubeconfig` and returns once it says it serves.
fn start(dir: &Path, kubeconfig: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
        .args(["sandbox", "--no-controllers", "--kubeconfig"])
        .arg(kubeconfig)
        .arg("--log-file")
        .arg(dir.join("log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("stop with Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn stop(mut child: Child, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child.
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the sandbox exits cleanly: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the sandbox did not stop after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_kubeconfig_keeps_every_other_entry_during_and_after() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, USER_FILE).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let before = parse(&path);
        let child = start(dir.path(), &path);

        let during = parse(&path);
        assert_eq!(
            names(&during, "clusters"),
            ["prod", "staging", "fluxdeck-sandbox"]
        );
        assert_eq!(
            names(&during, "contexts"),
            ["prod", "staging", "fluxdeck-sandbox"]
        );
        assert_eq!(names(&during, "users"), ["admin", "fluxdeck-sandbox"]);
        assert_eq!(during["current-context"], "prod", "not switched unasked");
        for list in ["clusters", "contexts", "users"] {
            let theirs = before[list].as_array().unwrap();
            assert_eq!(
                &during[list].as_array().unwrap()[..theirs.len()],
                &theirs[..]
            );
        }
        assert_eq!(mode(&path), 0o640);
        // The merged file is a kubeconfig a client reads: fluxdeck's own, on the sandbox.
        let conn = connect(&ConnectOptions {
            kubeconfig: Some(path.clone()),
            context: Some("fluxdeck-sandbox".into()),
        })
        .await
        .unwrap();
        assert!(conn.server.starts_with("https://127.0.0.1:"));
        assert!(
            fluxdeck::workers::cluster::discovery::discover(&conn.client)
                .await
                .is_ok()
        );

        stop(child, signal);
        assert_eq!(parse(&path), before, "after signal {signal}");
        assert_eq!(mode(&path), 0o640);
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            files.iter().all(|f| f == "config" || f == "log"),
            "no temporary file is left: {files:?}"
        );
    }
}

#[test]
fn a_kubeconfig_the_sandbox_created_is_gone_after_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("kubeconfig");
    let child = start(dir.path(), &path);
    let during = parse(&path);
    assert_eq!(during["current-context"], "fluxdeck-sandbox");
    assert_eq!(mode(&path), 0o600);
    stop(child, libc::SIGTERM);
    assert!(!path.exists());
}
