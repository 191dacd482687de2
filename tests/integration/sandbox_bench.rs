//! The sandbox's `--bench-api` paths over real HTTP on loopback, as the peer benchmark
//! harness calls them (no bearer token): a touch is a real status write that watches and
//! reads see, the summary lists the Kustomizations, and without the flag the paths are
//! neither served nor open.

use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions};
use serde_json::Value;

async fn start(bench_api: bool) -> TestSandbox {
    Spec::scenario(Scenario::Scale(100), ScenarioOptions::default())
        .no_controllers()
        .bench_api(bench_api)
        .start()
        .await
}

async fn call(method: reqwest::Method, url: String, token: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request answered");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_touch_is_a_status_write_the_api_serves() {
    let sb = start(true).await;
    let base = sb.http_url();
    let (status, summary) = call(reqwest::Method::GET, format!("{base}/bench/summary"), None).await;
    assert_eq!(status, 200, "{summary}");
    let ks = summary["kustomizations"].as_array().unwrap();
    assert_eq!(ks.len(), 100);
    assert_eq!(ks[0], serde_json::json!(["team-0001", "app-00001"]));
    assert_eq!(
        summary["flux_total"], 200,
        "Kustomizations and GitRepositories"
    );

    let (status, touched) = call(
        reqwest::Method::POST,
        format!("{base}/bench/touch?name=app-00002&ns=team-0001&token=abcdef123456"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{touched}");
    assert!(touched["monotonic_ns"].as_u64().unwrap() > 0);
    let path = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/team-0001/kustomizations/app-00002";
    let (status, obj) = call(
        reqwest::Method::GET,
        format!("{base}{path}"),
        Some(&sb.token),
    )
    .await;
    assert_eq!(status, 200, "{obj}");
    let revision = obj["status"]["lastAppliedRevision"].as_str().unwrap();
    assert!(revision.starts_with("main@sha1:abcdef123456"), "{revision}");
    assert_eq!(
        obj["metadata"]["resourceVersion"].as_str(),
        touched["resourceVersion"].as_str()
    );

    let (status, _) = call(
        reqwest::Method::POST,
        format!("{base}/bench/touch?name=nope&ns=team-0001&token=aa"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, stats) = call(reqwest::Method::GET, format!("{base}/bench/stats"), None).await;
    assert_eq!(status, 200);
    assert_eq!(stats["by_kind"]["GET kustomizations"], 1, "{stats}");
    sb.shutdown().await;
}

#[tokio::test]
async fn without_the_flag_bench_paths_need_the_token_and_do_not_exist() {
    let sb = start(false).await;
    let base = sb.http_url();
    let (status, _) = call(reqwest::Method::GET, format!("{base}/bench/summary"), None).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        reqwest::Method::GET,
        format!("{base}/bench/summary"),
        Some(&sb.token),
    )
    .await;
    assert_eq!(status, 404);
    sb.shutdown().await;
}
