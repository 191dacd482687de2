//! The sandbox's live workloads when images fail: an unpullable image ends in
//! `ErrImagePull`/`ImagePullBackOff` and `ProgressDeadlineExceeded`, a crashing one in
//! `CrashLoopBackOff` with its output in the log subresource, and the old ReplicaSet keeps
//! serving meanwhile. No timing assertions: every wait polls with a generous timeout.

use crate::support::workloads::*;
use regex::Regex;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpullable_image_backs_off_while_the_old_replica_set_serves() {
    let w = world().await;
    w.create_deployment(deployment("web", 2, "nginx:1.27"))
        .await;
    w.rolled_out("web", 2).await;
    let history = History::record(&w.sandbox.store);
    let mut patch = image_patch("web", "nginx:missing");
    patch["spec"]["progressDeadlineSeconds"] = json!(5);
    w.patch_deployment("web", patch).await;
    let d = w
        .until("the progress deadline to pass", || async {
            let d = w.deployment("web").await;
            (condition(&d, "Progressing")["reason"] == "ProgressDeadlineExceeded").then_some(d)
        })
        .await;
    let progressing = condition(&d, "Progressing");
    assert_eq!(progressing["status"], "False");
    let rss = w.items("replicasets").await;
    let new_rs = rss
        .iter()
        .find(|r| r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:missing")
        .unwrap();
    let new_name = s(&new_rs["metadata"]["name"]);
    assert_eq!(
        progressing["message"],
        format!("ReplicaSet \"{new_name}\" has timed out progressing.")
    );
    assert_eq!(condition(&d, "Available")["status"], "True");
    let pod = w
        .until("the pull to back off", || async {
            let pods = w.items("pods").await;
            pods.into_iter()
                .find(|p| waiting_reason(p) == "ImagePullBackOff")
        })
        .await;
    let name = s(&pod["metadata"]["name"]).to_string();
    let reference = "docker.io/library/nginx:missing";
    let error = format!(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": {reference}: not found"
    );
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        format!("Back-off pulling image \"nginx:missing\": ErrImagePull: {error}")
    );
    assert_eq!(pod["status"]["phase"], "Pending");
    assert!(!pod_ready(&pod));
    // ErrImagePull showed too, with containerd's error as its message.
    let saw_err = history.snapshots().iter().flatten().any(|p| {
        waiting_reason(p) == "ErrImagePull"
            && p["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == error.as_str()
    });
    assert!(saw_err, "ErrImagePull never showed");
    // The old ReplicaSet still serves both pods.
    let old = rss
        .iter()
        .find(|r| r["metadata"]["name"] != new_name)
        .unwrap();
    assert_eq!(old["spec"]["replicas"], 2);
    assert_eq!(old["status"]["availableReplicas"], 2);
    let serving = w
        .items("pods")
        .await
        .into_iter()
        .filter(|p| pod_ready(p) && !terminating(p))
        .count();
    assert_eq!(serving, 2);
    // Retried: Pulling again, aggregated on one Event.
    w.until("a second pull", || async {
        let events = w.events().await;
        events
            .iter()
            .find(|e| {
                e["involvedObject"]["name"] == name.as_str()
                    && e["reason"] == "Pulling"
                    && e["count"].as_u64().unwrap_or(0) >= 2
            })
            .cloned()
    })
    .await;
    let events = w.events().await;
    let of_pod: Vec<(&str, &str, &str)> = events
        .iter()
        .filter(|e| e["involvedObject"]["name"] == name.as_str())
        .map(|e| (s(&e["type"]), s(&e["reason"]), s(&e["message"])))
        .collect();
    let failed = format!("Failed to pull image \"nginx:missing\": {error}");
    for want in [
        ("Warning", "Failed", failed.as_str()),
        ("Warning", "Failed", "Error: ErrImagePull"),
        (
            "Normal",
            "BackOff",
            "Back-off pulling image \"nginx:missing\"",
        ),
        ("Warning", "Failed", "Error: ImagePullBackOff"),
    ] {
        assert!(of_pod.contains(&want), "{want:?} not in {of_pod:#?}");
    }
    let (code, text) = w.log(&name, "").await;
    assert_eq!(code, 400);
    assert!(
        text.ends_with("is waiting to start: trying and failing to pull image")
            || text.ends_with("is waiting to start: image can't be pulled"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_image_loops_with_back_off_and_its_output_is_in_the_log() {
    let w = world().await;
    w.create_deployment(deployment("web", 2, "nginx:1.27"))
        .await;
    w.rolled_out("web", 2).await;
    let history = History::record(&w.sandbox.store);
    w.patch_deployment("web", image_patch("web", "nginx:crash"))
        .await;
    let pod = w
        .until("a crash loop with two restarts", || async {
            w.items("pods").await.into_iter().find(|p| {
                waiting_reason(p) == "CrashLoopBackOff"
                    && p["status"]["containerStatuses"][0]["restartCount"]
                        .as_u64()
                        .unwrap_or(0)
                        >= 2
            })
        })
        .await;
    let name = s(&pod["metadata"]["name"]).to_string();
    let uid = s(&pod["metadata"]["uid"]);
    let c = &pod["status"]["containerStatuses"][0];
    let message = Regex::new(&format!(
        r"^back-off (10s|20s|40s|1m20s|2m40s|5m0s) restarting failed container=web pod={name}_{NS}\({uid}\)$"
    ))
    .unwrap();
    assert!(
        message.is_match(s(&c["state"]["waiting"]["message"])),
        "{c}"
    );
    let last = &c["lastState"]["terminated"];
    assert_eq!(last["exitCode"], 1);
    assert_eq!(last["reason"], "Error");
    assert!(last["startedAt"].is_string() && last["finishedAt"].is_string());
    assert_eq!(c["ready"], false);
    assert_eq!(pod["status"]["phase"], "Running");
    // The log shows what the crashed run printed, now and as the previous instance.
    for query in ["", "?previous=true", "?container=web"] {
        let (code, text) = w.log(&name, query).await;
        assert_eq!(code, 200, "{query}: {text}");
        assert!(
            text.contains("Error: SESSION_REDIS_URL is not set\n"),
            "{query}: {text}"
        );
    }
    // Never Ready; the old ReplicaSet keeps both pods serving.
    let crashing_hash = hash_of(&pod);
    for snap in history.snapshots() {
        assert!(
            snap.iter()
                .all(|p| hash_of(p) != crashing_hash || !pod_ready(p)),
            "a crashing pod turned Ready"
        );
    }
    let pods = w.items("pods").await;
    let serving = pods
        .iter()
        .filter(|p| hash_of(p) != crashing_hash && pod_ready(p) && !terminating(p))
        .count();
    assert_eq!(serving, 2);
    let d = w.deployment("web").await;
    assert_eq!(condition(&d, "Available")["status"], "True");
    assert_eq!(condition(&d, "Progressing")["status"], "True");
    let events = w.events().await;
    let back_off = events
        .iter()
        .find(|e| e["involvedObject"]["name"] == name.as_str() && e["reason"] == "BackOff")
        .expect("a BackOff event");
    assert_eq!(back_off["type"], "Warning");
    assert_eq!(
        back_off["message"],
        format!("Back-off restarting failed container web in pod {name}_{NS}({uid})")
    );
    let started = events
        .iter()
        .find(|e| e["involvedObject"]["name"] == name.as_str() && e["reason"] == "Started")
        .unwrap();
    assert!(started["count"].as_u64().unwrap() >= 2, "{started}");
}
