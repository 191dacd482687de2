//! Which namespaces the cluster worker watches, as kubectl picks them: without `-n` the
//! kubeconfig context's namespace (or `default` when the context sets none), `-n NS`, or
//! all namespaces with `-A`. Kubeconfig fixtures against the sandbox (sock-shop scenario:
//! Kustomizations in flux-system and sock-shop); and `--help` says exactly this.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use fluxdeck::model::key::Kind;
use fluxdeck::model::object::Object;
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions};
use fluxdeck::sandbox::{Sandbox, SandboxConfig};
use fluxdeck::state::{Command, Session, Update};
use fluxdeck::workers::cluster::connect::ConnectOptions;
use fluxdeck::workers::cluster::worker::{ClusterConfig, FluxNamespaces, run};
use serde_json::json;
use tokio::sync::mpsc;

/// A kubeconfig with three contexts on the sandbox: `flux` (namespace flux-system),
/// `shop` (namespace sock-shop) and `plain` (no namespace), current `flux`.
fn write_kubeconfig(sb: &Sandbox, path: &Path) {
    let e = sb.kubeconfig_entry();
    let context = |name: &str, ns: Option<&str>| {
        let mut c = json!({"cluster": "sb", "user": "sb"});
        if let Some(ns) = ns {
            c["namespace"] = ns.into();
        }
        json!({"name": name, "context": c})
    };
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sb", "cluster": {
            "server": e.server, "certificate-authority-data": e.ca_data}}],
        "users": [{"name": "sb", "user": {"token": e.token}}],
        "contexts": [
            context("flux", Some("flux-system")),
            context("shop", Some("sock-shop")),
            context("plain", None),
        ],
        "current-context": "flux",
    });
    std::fs::write(path, config.to_string()).unwrap();
}

/// Runs the worker until the Kustomizations are listed; returns the session it reported
/// and the namespaces of the Kustomizations it sent.
async fn watched(
    kubeconfig: &Path,
    context: Option<&str>,
    namespace: FluxNamespaces,
) -> (Session, BTreeSet<String>) {
    let (tx, mut rx) = mpsc::channel(4096);
    let (commands, command_rx) = mpsc::channel(8);
    let worker = tokio::spawn(run(
        ClusterConfig {
            connect: ConnectOptions {
                kubeconfig: Some(kubeconfig.to_path_buf()),
                context: context.map(str::to_owned),
            },
            namespace,
            pods_namespace: "sock-shop".into(),
            read_only: true,
            action_timeout: Duration::from_secs(5),
        },
        tx,
        command_rx,
    ));
    let mut session = None;
    let mut namespaces = BTreeSet::new();
    let collect = async {
        while let Some(u) = rx.recv().await {
            match u {
                Update::Session(s) => session = Some(s),
                Update::Relisted(Object::Kustomization(ks))
                | Update::Applied(Object::Kustomization(ks)) => {
                    namespaces.insert(ks.key.namespace.to_string());
                }
                Update::RelistDone(Kind::Kustomization) => break,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), collect)
        .await
        .expect("the Kustomizations are listed within a minute");
    let _ = commands.send(Command::Shutdown).await;
    let _ = worker.await;
    (session.expect("a session is reported"), namespaces)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_n_is_the_contexts_namespace_n_overrides_it_and_a_all() {
    let sb = Sandbox::start(SandboxConfig {
        scenario: Some((Scenario::SockShop, ScenarioOptions::default())),
        controllers: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    write_kubeconfig(&sb, &kc);
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();

    // The current context's namespace.
    let (session, ns) = watched(&kc, None, FluxNamespaces::Context).await;
    assert_eq!(session.namespace.as_deref(), Some("flux-system"));
    assert_eq!(ns, set(&["flux-system"]));

    // --context shop: that context's namespace.
    let (session, ns) = watched(&kc, Some("shop"), FluxNamespaces::Context).await;
    assert_eq!(session.namespace.as_deref(), Some("sock-shop"));
    assert_eq!(ns, set(&["sock-shop"]));

    // A context without a namespace: `default`, as kubectl (nothing Flux lives there).
    let (session, ns) = watched(&kc, Some("plain"), FluxNamespaces::Context).await;
    assert_eq!(session.namespace.as_deref(), Some("default"));
    assert!(ns.is_empty(), "{ns:?}");

    // -n sock-shop overrides the context's namespace.
    let (session, ns) = watched(&kc, None, FluxNamespaces::Namespace("sock-shop".into())).await;
    assert_eq!(session.namespace.as_deref(), Some("sock-shop"));
    assert_eq!(ns, set(&["sock-shop"]));

    // -A: every namespace.
    let (session, ns) = watched(&kc, Some("plain"), FluxNamespaces::All).await;
    assert_eq!(session.namespace, None);
    assert_eq!(ns, set(&["flux-system", "sock-shop"]));

    sb.shutdown().await;
}

#[test]
fn help_says_how_the_namespace_is_chosen() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for promise in [
        "Without -n: the kubeconfig context's namespace, or `default` when the context sets none, as kubectl",
        "-A, --all-namespaces All namespaces: the Flux panes and the pods pane watch every namespace (overrides -n and --app-namespace)",
    ] {
        assert!(help.contains(promise), "--help lacks {promise:?}:\n{help}");
    }
}
