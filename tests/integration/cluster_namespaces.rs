//! Which namespaces the cluster worker watches, as kubectl picks them: without `-n` the
//! kubeconfig context's namespace (or `default` when the context sets none), `-n NS`, or
//! all namespaces with `-A`; and `--help` says exactly this. The pod watchers follow the
//! namespaces of the Kustomizations' inventory workloads, each watched on its own (a tenant
//! may list pods only there), or all namespaces, or one. Kubeconfig fixtures against the
//! sandbox (sock-shop scenario: Kustomizations in flux-system and sock-shop).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::support::sandbox::Spec;
use fluxdeck::model::key::Kind;
use fluxdeck::model::object::Object;
use fluxdeck::sandbox::Sandbox;
use fluxdeck::state::{Command, PodsWatch, Session, State, Update};
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
            pods: PodsWatch::Workloads,
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
    let sb = Spec::sock_shop().no_controllers().start().await;
    // The sandbox's kubeconfig, rewritten with the contexts these tests switch between.
    let kc = sb.kubeconfig().to_path_buf();
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
        "-A, --all-namespaces All namespaces: the Flux panes and the pods pane watch every namespace (overrides -n; --app-namespace still picks the pods)",
    ] {
        assert!(help.contains(promise), "--help lacks {promise:?}:\n{help}");
    }
}

/// Applies the worker's updates to `state` until `done` holds (or a minute passes).
async fn until(
    rx: &mut mpsc::Receiver<Update>,
    state: &mut State,
    what: &str,
    done: impl Fn(&State) -> bool,
) {
    let wait = async {
        while !done(state) {
            match rx.recv().await {
                Some(u) => {
                    state.apply(u);
                }
                None => panic!("the worker stopped before {what}"),
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .is_err()
    {
        panic!(
            "not within a minute: {what}; session {:?}, pods {:?}",
            state.session(),
            state
                .pods()
                .iter()
                .map(|p| p.key.to_string())
                .collect::<Vec<_>>()
        );
    }
}

/// The namespaces of the workloads in the state's Kustomizations' inventories.
fn workload_namespaces(state: &State) -> BTreeSet<String> {
    state
        .kustomizations()
        .iter()
        .flat_map(|ks| ks.workloads.iter().map(|w| w.namespace.to_string()))
        .collect()
}

fn pod_namespaces(state: &State) -> BTreeSet<String> {
    state
        .pods()
        .iter()
        .map(|p| p.key.namespace.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_are_watched_where_the_kustomizations_workloads_run() {
    let sb = Spec::sock_shop().no_controllers().start().await;
    // The sandbox's kubeconfig, rewritten with the contexts these tests switch between.
    let kc = sb.kubeconfig().to_path_buf();
    write_kubeconfig(&sb, &kc);
    let (tx, mut rx) = mpsc::channel(4096);
    let (commands, command_rx) = mpsc::channel(8);
    let worker = tokio::spawn(run(
        ClusterConfig {
            connect: ConnectOptions {
                kubeconfig: Some(kc.clone()),
                context: Some("plain".into()),
            },
            namespace: FluxNamespaces::All,
            pods: PodsWatch::Workloads,
            read_only: true,
            action_timeout: Duration::from_secs(5),
        },
        tx,
        command_rx,
    ));
    let mut state = State::default();

    // The pods of the namespaces the inventories name, each namespace watched on its own.
    until(&mut rx, &mut state, "the sock-shop pods", |s| {
        s.session().pods_namespaces.iter().any(|n| n == "sock-shop")
            && s.pods().iter().any(|p| p.key.namespace == "sock-shop")
            && s.kustomizations().len() == 4
    })
    .await;
    let expected = workload_namespaces(&state);
    assert!(expected.contains("sock-shop"), "{expected:?}");
    assert_eq!(
        state
            .session()
            .pods_namespaces
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert!(pod_namespaces(&state).is_subset(&expected));
    assert_eq!(
        state.session().pods_scope(),
        Vec::from_iter(expected.iter().cloned()).join(", ")
    );
    let pod_paths: Vec<String> = sb
        .faults
        .requests(0)
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.ends_with("/pods"))
        .collect();
    assert!(!pod_paths.is_empty());
    assert!(
        pod_paths
            .iter()
            .all(|p| p.starts_with("/api/v1/namespaces/")),
        "pods are never listed across all namespaces unasked: {pod_paths:?}"
    );

    // The sock-shop Kustomization goes: so do the namespace's watcher and its pods.
    let conn = fluxdeck::workers::cluster::connect::connect(&ConnectOptions {
        kubeconfig: Some(kc.clone()),
        context: Some("plain".into()),
    })
    .await
    .unwrap();
    let ks: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        conn.client.clone(),
        "sock-shop",
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
            "kustomizations",
        ),
    );
    ks.delete("sock-shop", &Default::default()).await.unwrap();
    until(&mut rx, &mut state, "the sock-shop pods gone", |s| {
        s.kustomizations().len() == 3 && !pod_namespaces(s).contains("sock-shop")
    })
    .await;
    let expected = workload_namespaces(&state);
    assert!(!expected.contains("sock-shop"), "{expected:?}");
    until(&mut rx, &mut state, "the session without sock-shop", |s| {
        s.session()
            .pods_namespaces
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            == expected
    })
    .await;

    // :pods all watches every namespace; :pods sock-shop that one.
    commands
        .send(Command::SwitchPods {
            watch: PodsWatch::All,
        })
        .await
        .unwrap();
    until(&mut rx, &mut state, "all pods", |s| {
        s.session().pods == PodsWatch::All && pod_namespaces(s).contains("sock-shop")
    })
    .await;
    assert!(
        sb.faults
            .requests(0)
            .iter()
            .any(|r| r.path == "/api/v1/pods")
    );
    commands
        .send(Command::SwitchPods {
            watch: PodsWatch::Namespace("sock-shop".into()),
        })
        .await
        .unwrap();
    until(&mut rx, &mut state, "the sock-shop pods only", |s| {
        s.session().pods == PodsWatch::Namespace("sock-shop".into())
            && !s.pods().is_empty()
            && pod_namespaces(s) == BTreeSet::from(["sock-shop".to_string()])
    })
    .await;
    // Back to the workloads: none in sock-shop any more, so its pods go.
    commands
        .send(Command::SwitchPods {
            watch: PodsWatch::Workloads,
        })
        .await
        .unwrap();
    until(&mut rx, &mut state, "the workloads' pods again", |s| {
        s.session().pods == PodsWatch::Workloads && !pod_namespaces(s).contains("sock-shop")
    })
    .await;

    let _ = commands.send(Command::Shutdown).await;
    let _ = worker.await;
    sb.shutdown().await;
}
