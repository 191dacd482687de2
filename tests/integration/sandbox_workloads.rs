//! The sandbox's live workloads: Deployments created through the API roll out pods the way
//! Kubernetes does (surge and unavailability respected at every step the store records,
//! `Recreate`, scaling, pausing), deletes cascade, and a seeded cluster is adopted untouched.
//! No timing assertions: every wait polls for a condition with a generous timeout.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::sandbox::Spec;
use crate::support::workloads::*;
use fluxdeck::sandbox::controllers::workloads::WorkloadOptions;
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions};
use regex::Regex;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_rolls_out_and_an_image_change_rolls_within_surge() {
    let w = world().await;
    w.create_deployment(deployment("web", 3, "nginx:1.27"))
        .await;
    let d = w.rolled_out("web", 3).await;
    // The API server's defaults, as on a cluster (and in the seeded scenario).
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    assert_eq!(
        condition(&d, "Available")["reason"],
        "MinimumReplicasAvailable"
    );
    let rss = w.items("replicasets").await;
    assert_eq!(rss.len(), 1);
    let rs = &rss[0];
    let first_rs = s(&rs["metadata"]["name"]).to_string();
    let hash = s(&rs["metadata"]["labels"]["pod-template-hash"]);
    assert!(
        Regex::new("^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}$")
            .unwrap()
            .is_match(&first_rs),
        "{first_rs}"
    );
    assert_eq!(first_rs, format!("web-{hash}"));
    assert_eq!(
        condition(&d, "Progressing")["message"],
        format!("ReplicaSet \"{first_rs}\" has successfully progressed.")
    );
    let annotations = &rs["metadata"]["annotations"];
    assert_eq!(
        annotations["deployment.kubernetes.io/desired-replicas"],
        "3"
    );
    assert_eq!(annotations["deployment.kubernetes.io/max-replicas"], "4");
    assert_eq!(annotations["deployment.kubernetes.io/revision"], "1");
    assert_eq!(
        rs["metadata"]["ownerReferences"][0]["uid"],
        d["metadata"]["uid"]
    );
    assert_eq!(rs["status"]["readyReplicas"], 3);

    let pods = w.items("pods").await;
    assert_eq!(pods.len(), 3);
    for p in &pods {
        assert_eq!(p["status"]["phase"], "Running");
        assert!(pod_ready(p));
        assert_eq!(p["metadata"]["generateName"], format!("{first_rs}-"));
        assert_eq!(
            p["metadata"]["ownerReferences"][0]["name"],
            first_rs.as_str()
        );
        assert!(s(&p["spec"]["nodeName"]).ends_with(".us-west-2.compute.internal"));
        let c = &p["status"]["containerStatuses"][0];
        assert_eq!(c["image"], "docker.io/library/nginx:1.27");
        assert!(s(&c["imageID"]).starts_with("docker.io/library/nginx@sha256:"));
        assert!(s(&c["containerID"]).starts_with("containerd://"));
        assert!(c["state"]["running"]["startedAt"].is_string());
    }
    let pod = s(&pods[0]["metadata"]["name"]).to_string();
    let (code, text) = w.log(&pod, "").await;
    assert_eq!(code, 200);
    assert!(text.contains("web: started"), "{text}");

    let events = w.events().await;
    let about = |kind: &str, name: &str, reason: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| {
                e["involvedObject"]["kind"] == kind
                    && e["involvedObject"]["name"] == name
                    && e["reason"] == reason
            })
            .cloned()
            .collect()
    };
    let scaled = about("Deployment", "web", "ScalingReplicaSet");
    assert_eq!(
        scaled[0]["message"],
        format!("Scaled up replica set {first_rs} from 0 to 3")
    );
    assert_eq!(scaled[0]["source"]["component"], "deployment-controller");
    assert_eq!(about("ReplicaSet", &first_rs, "SuccessfulCreate").len(), 3);
    let scheduled = &about("Pod", &pod, "Scheduled")[0];
    assert_eq!(scheduled["source"]["component"], "default-scheduler");
    assert!(
        s(&scheduled["message"]).starts_with(&format!("Successfully assigned {NS}/{pod} to ip-"))
    );
    for reason in ["Pulled", "Created", "Started"] {
        let e = &about("Pod", &pod, reason)[0];
        assert_eq!(e["source"]["component"], "kubelet");
        assert_eq!(e["involvedObject"]["fieldPath"], "spec.containers{web}");
        assert!(e["source"]["host"].is_string());
    }
    let pulled = Regex::new(
        r#"^(Successfully pulled image "nginx:1.27" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: \d+ bytes\.|Container image "nginx:1.27" already present on machine)$"#,
    )
    .unwrap();
    assert!(pulled.is_match(s(&about("Pod", &pod, "Pulled")[0]["message"])));
    assert_eq!(
        about("Pod", &pod, "Created")[0]["message"],
        "Created container: web"
    );

    // A new image: a second ReplicaSet, one surge pod at a time, never below 3 ready.
    let history = History::record(&w.sandbox.store);
    w.patch_deployment("web", image_patch("web", "nginx:1.28"))
        .await;
    let d = w.rolled_out("web", 3).await;
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    let new_rs = w
        .until("the old pods to go", || async {
            let pods = w.items("pods").await;
            let gone = pods.len() == 3 && pods.iter().all(|p| hash_of(p) != hash);
            gone.then(|| format!("web-{}", hash_of(&pods[0])))
        })
        .await;
    assert_ne!(new_rs, first_rs);
    assert_eq!(
        condition(&d, "Progressing")["message"],
        format!("ReplicaSet \"{new_rs}\" has successfully progressed.")
    );
    let snapshots = history.snapshots();
    assert!(!snapshots.is_empty());
    let mut saw_terminating = false;
    for snap in &snapshots {
        let alive: Vec<&Value> = snap.iter().filter(|p| !terminating(p)).collect();
        assert!(
            alive.len() <= 4,
            "more than replicas + maxSurge pods: {}",
            alive.len()
        );
        let available = alive.iter().filter(|p| pod_ready(p)).count();
        assert!(
            available >= 3,
            "fewer than replicas - maxUnavailable available: {available}"
        );
        saw_terminating |= snap.iter().any(|p| terminating(p) && hash_of(p) == hash);
    }
    assert!(saw_terminating, "old pods were never seen Terminating");
    let rss = w.items("replicasets").await;
    assert_eq!(rss.len(), 2, "the old ReplicaSet stays as history");
    let old = rss
        .iter()
        .find(|r| r["metadata"]["name"] == first_rs.as_str())
        .unwrap();
    assert_eq!(old["spec"]["replicas"], 0);
    let events = w.events().await;
    let messages: Vec<&str> = events.iter().map(|e| s(&e["message"])).collect();
    assert!(messages.contains(&format!("Scaled up replica set {new_rs} from 0 to 1").as_str()));
    assert!(messages.contains(&format!("Scaled down replica set {first_rs} from 3 to 2").as_str()));
    assert!(messages.contains(&"Stopping container web"));
    assert!(messages.iter().any(|m| m.starts_with("Deleted pod: ")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pod_is_replaced_and_a_deleted_deployment_takes_everything_along() {
    let w = world().await;
    w.create_deployment(deployment("web", 2, "nginx:1.27"))
        .await;
    w.rolled_out("web", 2).await;
    let before: Vec<String> = w
        .items("pods")
        .await
        .iter()
        .map(|p| s(&p["metadata"]["name"]).to_string())
        .collect();
    let path = format!("/api/v1/namespaces/{NS}/pods/{}", before[0]);
    let (code, body) = w.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(code, 200, "{body}");
    w.until("a replacement pod", || async {
        let pods = w.items("pods").await;
        let names: Vec<&str> = pods.iter().map(|p| s(&p["metadata"]["name"])).collect();
        let ok = pods.len() == 2
            && !names.contains(&before[0].as_str())
            && names.contains(&before[1].as_str())
            && pods.iter().all(pod_ready);
        ok.then_some(())
    })
    .await;

    let path = format!("/apis/apps/v1/namespaces/{NS}/deployments/web");
    let (code, body) = w.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(code, 200, "{body}");
    w.until("the ReplicaSet and pods to go", || async {
        let gone = w.items("replicasets").await.is_empty() && w.items("pods").await.is_empty();
        gone.then_some(())
    })
    .await;
    // The Events of what went are dropped after a while (5 s, paced).
    w.until("the Events of deleted objects to go", || async {
        w.events().await.is_empty().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreate_stops_every_old_pod_before_starting_new_ones() {
    let w = world().await;
    let mut d = deployment("db", 3, "mongo:7.0");
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    d["spec"]["minReadySeconds"] = json!(5);
    w.create_deployment(d).await;
    let d = w.rolled_out("db", 3).await;
    assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    let rs = &w.items("replicasets").await[0];
    assert_eq!(rs["spec"]["minReadySeconds"], 5);
    assert_eq!(rs["status"]["availableReplicas"], 3);
    let old_hash = hash_of(&w.items("pods").await[0]);
    let history = History::record(&w.sandbox.store);
    w.patch_deployment("db", image_patch("db", "mongo:7.1"))
        .await;
    w.rolled_out("db", 3).await;
    w.until("only new pods", || async {
        let pods = w.items("pods").await;
        (pods.len() == 3 && pods.iter().all(|p| hash_of(p) != old_hash)).then_some(())
    })
    .await;
    for snap in history.snapshots() {
        let old = snap.iter().any(|p| hash_of(p) == old_hash);
        let new = snap.iter().any(|p| hash_of(p) != old_hash);
        assert!(!(old && new), "old and new pods at once");
    }
    let rss = w.items("replicasets").await;
    let new_rs = rss.iter().find(|r| r["spec"]["replicas"] == 3).unwrap();
    let old_rs = rss.iter().find(|r| r["spec"]["replicas"] == 0).unwrap();
    let messages: Vec<String> = w
        .events()
        .await
        .iter()
        .map(|e| s(&e["message"]).to_string())
        .collect();
    let down = format!(
        "Scaled down replica set {} from 3 to 0",
        s(&old_rs["metadata"]["name"])
    );
    let up = format!(
        "Scaled up replica set {} from 0 to 3",
        s(&new_rs["metadata"]["name"])
    );
    assert!(messages.contains(&down), "{messages:#?}");
    assert!(messages.contains(&up), "{messages:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_and_pausing_are_honoured() {
    let w = world().await;
    w.create_deployment(deployment("web", 2, "nginx:1.27"))
        .await;
    w.rolled_out("web", 2).await;
    w.patch_deployment("web", json!({"spec": {"replicas": 4}}))
        .await;
    w.rolled_out("web", 4).await;
    assert_eq!(w.items("pods").await.len(), 4);
    w.patch_deployment("web", json!({"spec": {"paused": true}}))
        .await;
    let paused = w
        .until("the paused condition", || async {
            let d = w.deployment("web").await;
            (condition(&d, "Progressing")["reason"] == "DeploymentPaused").then_some(d)
        })
        .await;
    assert_eq!(condition(&paused, "Progressing")["status"], "Unknown");
    assert_eq!(
        condition(&paused, "Progressing")["message"],
        "Deployment is paused"
    );
    w.patch_deployment("web", image_patch("web", "nginx:1.28"))
        .await;
    w.patch_deployment("web", json!({"spec": {"replicas": 1}}))
        .await;
    w.until("a paused scale-down", || async {
        let pods = w.items("pods").await;
        let live = pods.iter().filter(|p| !terminating(p)).count();
        (live == 1).then_some(())
    })
    .await;
    assert_eq!(
        w.items("replicasets").await.len(),
        1,
        "no rollout while paused"
    );
    w.patch_deployment("web", json!({"spec": {"paused": false}}))
        .await;
    let d = w.rolled_out("web", 1).await;
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    assert_eq!(w.items("replicasets").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_sock_shop_is_adopted_untouched_and_hashes_agree() {
    let seed = 7;
    let spec = Spec::scenario(
        Scenario::SockShop,
        ScenarioOptions {
            seed,
            ..ScenarioOptions::default()
        },
    );
    let w = world_with(spec, WorkloadOptions { seed, ..options() }).await;
    let store = &w.sandbox.store;
    let versions = |kind: &str| -> BTreeMap<String, u64> {
        let (group, plural) = match kind {
            "pods" => ("", "pods"),
            other => ("apps", other),
        };
        let ty = store.resources().by_path(group, "v1", plural).unwrap();
        store
            .list(
                ty,
                Some("sock-shop"),
                &Default::default(),
                &Default::default(),
                None,
                None,
            )
            .unwrap()
            .items
            .iter()
            .map(|o| (o.name.clone(), o.rv))
            .collect()
    };
    let before: Vec<_> = ["deployments", "replicasets", "pods"]
        .iter()
        .map(|k| versions(k))
        .collect();
    assert_eq!(before[0].len(), 14);
    // The seeded front-end's template, applied live in another namespace, gets the same
    // ReplicaSet name (the same template hash).
    let front = w
        .get("/apis/apps/v1/namespaces/sock-shop/deployments/front-end")
        .await;
    let seeded_rs = w
        .get("/apis/apps/v1/namespaces/sock-shop/replicasets")
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metadata"]["ownerReferences"][0]["name"] == "front-end")
        .map(|r| s(&r["metadata"]["name"]).to_string())
        .unwrap();
    let live = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "front-end"},
        "spec": {
            "replicas": 1,
            "selector": front["spec"]["selector"],
            "template": front["spec"]["template"],
        }
    });
    w.create_deployment(live).await;
    w.until("the live front-end to roll out", || async {
        let d = w.deployment("front-end").await;
        (d["status"]["availableReplicas"] == 1).then_some(())
    })
    .await;
    let rss = w.items("replicasets").await;
    assert_eq!(s(&rss[0]["metadata"]["name"]), seeded_rs);
    // By now the first sync of everything seeded is long done: nothing seeded changed.
    let after: Vec<_> = ["deployments", "replicasets", "pods"]
        .iter()
        .map(|k| versions(k))
        .collect();
    assert_eq!(before, after);
}

/// A few thousand Deployments of two pods each, started while the pace warps (as the live
/// scenario starts), all roll out: the controllers scale with the cluster because each sync
/// reads only what its object owns. Slow in a debug build on two cores, hence ignored:
/// `cargo test --release --test integration sandbox_workloads -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn thousands_of_deployments_roll_out_while_the_pace_warps() {
    let count: usize = std::env::var("WORKLOADS_SCALE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let pace = fluxdeck::sandbox::pace::Pace::new(50.0, 1.0);
    pace.set_warp(true);
    let w = world_with(
        Spec::empty(),
        WorkloadOptions {
            pace: pace.clone(),
            ..options()
        },
    )
    .await;
    let store = w.sandbox.store.clone();
    let deployments = store
        .resources()
        .by_path("apps", "v1", "deployments")
        .unwrap();
    let started = std::time::Instant::now();
    for i in 0..count {
        let mut d = deployment(&format!("app-{i:05}"), 2, "nginx:1.27");
        d["metadata"]["namespace"] = json!(NS);
        store.create(deployments, NS, d, false).unwrap();
    }
    let available = |store: &std::sync::Arc<fluxdeck::sandbox::apiserver::store::Store>| {
        store
            .list(
                deployments,
                Some(NS),
                &Default::default(),
                &Default::default(),
                None,
                None,
            )
            .unwrap()
            .items
            .iter()
            .filter(|o| o.value().unwrap()["status"]["availableReplicas"] == 2)
            .count()
    };
    let mut last = 0;
    for _ in 0..600 {
        last = available(&store);
        if last == count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "{last} of {count} Deployments available after {:?}",
        started.elapsed()
    );
    assert_eq!(last, count);
    pace.set_warp(false);
}
