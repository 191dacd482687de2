//! kube-runtime's watcher against the sandbox: list, watch, a bookmark, a forced 410 and the
//! relist. Every change is seen exactly once and the resulting store equals the server's.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::support::sandbox::Spec;
use fluxdeck::sandbox::Sandbox;
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::watcher;
use serde_json::{Value, json};
use tokio::sync::mpsc;

fn kustomization(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"interval": "5m", "path": "./", "prune": true,
                 "sourceRef": {"kind": "GitRepository", "name": "repo"}}
    })
}

async fn client(sb: &Sandbox) -> kube::Client {
    let kc = Kubeconfig::from_yaml(&sb.kubeconfig()).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig is usable");
    kube::Client::try_from(config).expect("client")
}

async fn admin(sb: &Sandbox, body: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", sb.http_url()))
        .bearer_auth(&sb.token)
        .json(&body)
        .send()
        .await
        .expect("fault request");
    assert_eq!(resp.status().as_u16(), 200);
}

async fn requests(sb: &Sandbox) -> Vec<Value> {
    let v: Value = reqwest::Client::new()
        .get(format!("{}/sandbox/requests", sb.http_url()))
        .bearer_auth(&sb.token)
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    v["requests"].as_array().cloned().unwrap_or_default()
}

#[derive(Debug, Clone)]
enum Seen {
    Apply(String, String),
    InitApply(String, String),
    Delete(String),
    Init,
    InitDone,
}

fn marker(o: &DynamicObject) -> String {
    o.data["spec"]["path"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the watcher reports within 10 s")
        .expect("the watcher task is alive")
}

/// Waits for an event matching `want`, returning the events seen before it.
async fn until(rx: &mut mpsc::UnboundedReceiver<Seen>, want: impl Fn(&Seen) -> bool) -> Vec<Seen> {
    let mut before = Vec::new();
    loop {
        let e = next(rx).await;
        if want(&e) {
            before.push(e);
            return before;
        }
        before.push(e);
    }
}

#[tokio::test]
async fn watcher_lists_watches_bookmarks_survives_410_and_relists() {
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sock-shop"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}),
    ];
    for n in ["a", "b", "c"] {
        objects.push(kustomization("sock-shop", n));
    }
    let sb = Spec::objects(objects)
        // Bookmarks only on demand, so the test controls when they happen.
        .bookmark_interval(Duration::from_secs(3600))
        // No simulated controllers: only the test's own writes change versions.
        .no_controllers()
        .start()
        .await;
    let client = client(&sb).await;
    let gvk = GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "kustomizations");
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "sock-shop", &ar);
    let other: Api<DynamicObject> = Api::namespaced_with(client.clone(), "other", &ar);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let stream_api = api.clone();
    let task = tokio::spawn(async move {
        let mut stream = watcher::watcher(stream_api, watcher::Config::default()).boxed();
        while let Some(ev) = stream.next().await {
            let seen = match ev {
                Ok(watcher::Event::Apply(o)) => {
                    Seen::Apply(o.metadata.name.clone().unwrap_or_default(), marker(&o))
                }
                Ok(watcher::Event::InitApply(o)) => {
                    Seen::InitApply(o.metadata.name.clone().unwrap_or_default(), marker(&o))
                }
                Ok(watcher::Event::Delete(o)) => {
                    Seen::Delete(o.metadata.name.clone().unwrap_or_default())
                }
                Ok(watcher::Event::Init) => Seen::Init,
                Ok(watcher::Event::InitDone) => Seen::InitDone,
                // Errors (the 410) are part of the run; the watcher recovers by relisting.
                Err(_) => continue,
            };
            if tx.send(seen).is_err() {
                return;
            }
        }
    });

    // 1. The initial list.
    let init = until(&mut rx, |e| matches!(e, Seen::InitDone)).await;
    let listed: Vec<_> = init
        .iter()
        .filter(|e| matches!(e, Seen::InitApply(..)))
        .collect();
    assert_eq!(listed.len(), 3, "{init:?}");

    // 2. A change is seen once, through the watch.
    let pp = PatchParams::default();
    api.patch("a", &pp, &Patch::Merge(json!({"spec": {"path": "./one"}})))
        .await
        .unwrap();
    let e = next(&mut rx).await;
    assert!(
        matches!(&e, Seen::Apply(n, m) if n == "a" && m == "./one"),
        "{e:?}"
    );

    // 3. A bookmark: changes elsewhere move the version on; after the bookmark the watcher
    // resumes from the bookmark's version, not from its last event's.
    let mut rv_elsewhere = String::new();
    for i in 0..3 {
        let o: DynamicObject =
            serde_json::from_value(kustomization("other", &format!("x{i}"))).unwrap();
        let created = other.create(&Default::default(), &o).await.unwrap();
        rv_elsewhere = created.metadata.resource_version.unwrap();
    }
    admin(&sb, json!({"bookmarkNow": true})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before_close = requests(&sb).await.len();
    admin(&sb, json!({"closeWatches": true})).await;
    let mut resumed_from = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let log = requests(&sb).await;
        if let Some(r) = log[before_close..].iter().find(|r| {
            r["path"] == "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations"
                && r["query"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("watch=true")
        }) {
            resumed_from = r["query"].as_str().map(str::to_string);
            break;
        }
    }
    let resumed_from = resumed_from.expect("the watcher re-watches after the close");
    assert!(
        resumed_from.contains(&format!("resourceVersion={rv_elsewhere}")),
        "re-watch {resumed_from} should resume from the bookmark version {rv_elsewhere}"
    );

    // 4. Forced 410: every version expires and watches close. Changes made meanwhile come
    // back through the relist.
    admin(
        &sb,
        json!({"expireResourceVersions": true, "latencyMs": 300}),
    )
    .await;
    admin(&sb, json!({"closeWatches": true})).await;
    api.patch("b", &pp, &Patch::Merge(json!({"spec": {"path": "./two"}})))
        .await
        .unwrap();
    api.delete("c", &Default::default()).await.unwrap();
    admin(&sb, json!({"latencyMs": 0})).await;
    let relist = until(&mut rx, |e| matches!(e, Seen::InitDone)).await;
    assert!(relist.iter().any(|e| matches!(e, Seen::Init)), "{relist:?}");
    let log = requests(&sb).await;
    assert!(
        log.iter().any(|r| r["status"] == 200
            && r["query"]
                .as_str()
                .unwrap_or_default()
                .contains("watch=true")),
        "watches were made"
    );

    // 5. After the relist the watch goes on: one more change, seen once.
    api.patch(
        "a",
        &pp,
        &Patch::Merge(json!({"spec": {"path": "./three"}})),
    )
    .await
    .unwrap();
    let after = until(
        &mut rx,
        |e| matches!(e, Seen::Apply(n, m) if n == "a" && m == "./three"),
    )
    .await;

    // Every change exactly once: "./one" once (an Apply), "./two" once (in the relist),
    // "./three" once; and the store built from the events equals the server's state.
    let all: Vec<Seen> = init
        .into_iter()
        .chain([e])
        .chain(relist)
        .chain(after)
        .collect();
    let count = |m: &str| {
        all.iter()
            .filter(|e| matches!(e, Seen::Apply(_, x) | Seen::InitApply(_, x) if x == m))
            .count()
    };
    // "./one" is seen as its Apply, and again as current state in the relist listing.
    assert_eq!(
        all.iter()
            .filter(|e| matches!(e, Seen::Apply(_, x) if x == "./one"))
            .count(),
        1
    );
    assert_eq!(count("./two"), 1, "{all:?}");
    assert_eq!(count("./three"), 1, "{all:?}");
    let mut store: BTreeMap<String, String> = BTreeMap::new();
    let mut buffer: Option<BTreeMap<String, String>> = None;
    for e in &all {
        match e {
            Seen::Init => buffer = Some(BTreeMap::new()),
            Seen::InitApply(n, m) => {
                if let Some(b) = buffer.as_mut() {
                    b.insert(n.clone(), m.clone());
                }
            }
            Seen::InitDone => {
                if let Some(b) = buffer.take() {
                    store = b;
                }
            }
            Seen::Apply(n, m) => {
                store.insert(n.clone(), m.clone());
            }
            Seen::Delete(n) => {
                store.remove(n);
            }
        }
    }
    let server: HashMap<String, String> = api
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|o| (o.metadata.name.clone().unwrap_or_default(), marker(o)))
        .collect();
    assert_eq!(store.len(), server.len());
    for (k, v) in &server {
        assert_eq!(store.get(k), Some(v), "{k}");
    }
    assert!(!store.contains_key("c"));
    task.abort();
}
