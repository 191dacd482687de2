//! The sandbox's pod `log` subresource with kubectl's parameters: `follow` streams what the
//! running instance writes next and ends when that instance stops, `tailLines` keeps the
//! last lines, `previous` without a terminated instance is a 400 in the kubelet's words.
//! No timing assertions: every wait is bounded and generous.

use std::time::Duration;

use crate::support::workloads::*;
use futures::StreamExt;

/// Reads a followed log until `done` says so (or the stream ends); returns the text and
/// whether the server ended the stream.
async fn follow(w: &World, pod: &str, query: &str, done: impl Fn(&str) -> bool) -> (String, bool) {
    let url = format!(
        "{}/api/v1/namespaces/{NS}/pods/{pod}/log?follow=true{query}",
        w.sandbox.http_url()
    );
    let resp = w
        .http
        .get(url)
        .bearer_auth(&w.sandbox.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if done(&text) {
                return false;
            }
        }
        true
    };
    let ended = tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the followed log neither grew as expected nor ended within 30 s");
    (text, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_log_grows_while_its_container_runs() {
    let w = world().await;
    w.create_deployment(deployment(
        "front-end",
        1,
        "weaveworksdemos/front-end:0.3.12",
    ))
    .await;
    w.rolled_out("front-end", 1).await;
    let pod = w.items("pods").await[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, text) = w.log(&pod, "").await;
    assert_eq!(code, 200);
    assert!(
        text.contains("App now running in production mode"),
        "{text}"
    );
    // The front-end logs a request every few seconds: following sees one arrive.
    let before = text.lines().count();
    let (text, ended) = follow(&w, &pod, "", |t| t.lines().count() > before).await;
    assert!(!ended, "a running container's log does not end: {text}");
    assert!(text.contains("> node server.js"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("GET /") && last.contains(" 200 ") && last.contains(" ms - "),
        "{text}"
    );
    // tailLines keeps the last lines only.
    let (code, text) = w.log(&pod, "?tailLines=2").await;
    assert_eq!(code, 200);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.ends_with('\n'));
    let (code, text) = w.log(&pod, "?tailLines=-1").await;
    assert_eq!(code, 400, "{text}");
    // sinceSeconds: the start-up lines are older than a second once a tick came.
    let (code, text) = w.log(&pod, "?sinceSeconds=1").await;
    assert_eq!(code, 200);
    assert!(!text.contains("> node server.js"), "{text}");
    let (code, text) = w.log(&pod, "?sinceSeconds=3600").await;
    assert_eq!(code, 200);
    assert!(text.contains("> node server.js"), "{text}");
    let (code, text) = w.log(&pod, "?sinceSeconds=0").await;
    assert_eq!(code, 400, "{text}");
    // No instance ended yet: no previous log.
    let (code, text) = w.log(&pod, "?previous=true").await;
    assert_eq!(code, 400);
    assert_eq!(
        text,
        format!("previous terminated container \"front-end\" in pod \"{pod}\" not found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_log_ends_when_its_instance_stops() {
    let w = world().await;
    w.create_deployment(deployment("web", 1, "nginx:crash"))
        .await;
    let pod = w
        .until("a running instance of the crashing image", || async {
            w.items("pods")
                .await
                .into_iter()
                .find(|p| p["status"]["containerStatuses"][0]["state"]["running"].is_object())
        })
        .await;
    let name = s(&pod["metadata"]["name"]).to_string();
    let (text, ended) = follow(&w, &name, "", |_| false).await;
    assert!(ended, "the stream ends with its instance");
    assert!(
        text.contains("Error: SESSION_REDIS_URL is not set\n"),
        "{text}"
    );
    // Once restarted, the stopped instance is the previous one.
    w.until("a restart", || async {
        let pods = w.items("pods").await;
        pods.into_iter().find(|p| {
            p["metadata"]["name"] == name.as_str()
                && p["status"]["containerStatuses"][0]["restartCount"].as_u64() >= Some(1)
        })
    })
    .await;
    let (code, text) = w.log(&name, "?previous=true").await;
    assert_eq!(code, 200, "{text}");
    assert!(
        text.contains("Error: SESSION_REDIS_URL is not set\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_containers_need_a_name_and_init_containers_are_named_too() {
    let w = world().await;
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "two", "namespace": NS},
        "spec": {"containers": [{"name": "a", "image": "nginx:1.27"}, {"name": "b", "image": "nginx:1.27"}],
                 "initContainers": [{"name": "setup", "image": "busybox:1.36"}]}
    });
    let (code, body) = w
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/namespaces/{NS}/pods"),
            Some(pod),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let (code, text) = w.log("two", "").await;
    assert_eq!(code, 400);
    assert_eq!(
        text,
        "a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [setup]"
    );
    let (code, text) = w.log("two", "?container=setup").await;
    assert_eq!(code, 200, "{text}");
    let (code, text) = w.log("two", "?container=c").await;
    assert_eq!(code, 400);
    assert_eq!(text, "container c is not valid for pod two");
}
