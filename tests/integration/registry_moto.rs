//! The registry worker against moto's ECR, a third-party implementation of the API.
//!
//! `moto_server` is looked for in `target/ci-venv/bin` (where `.ci/run` installs it) and then
//! on `PATH`. Without it the tests say so and pass, except under `CI=true`, where they fail.
//! The server listens on 127.0.0.1 only, is reset (`POST /moto-api/reset`) before each
//! scenario, and is killed by a guard when the test ends, also when it panics.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use crate::support::registry::moto::Moto;
use crate::support::registry::{client, config, manifest, repo};
use fluxdeck::workers::ecr::{
    EcrRepo, EcrScanner, ImageRepoSpec, RegistryEvent, ScanError, ScannerConfig, scan,
    spawn_scanner,
};
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

const FRONT_END: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

async fn create_repository(url: &str, repo: &EcrRepo) {
    client(url, repo)
        .await
        .create_repository()
        .repository_name(&repo.repository)
        .send()
        .await
        .unwrap();
}

async fn put(url: &str, repo: &EcrRepo, n: u32, tag: Option<&str>) -> String {
    let out = client(url, repo)
        .await
        .put_image()
        .repository_name(&repo.repository)
        .image_manifest(manifest(n))
        .set_image_tag(tag.map(str::to_string))
        .send()
        .await
        .unwrap();
    out.image
        .and_then(|i| i.image_id)
        .and_then(|i| i.image_digest)
        .unwrap()
}

async fn tags_with_push_times_multi_tag_and_untagged(url: &str) {
    let front_end = repo(FRONT_END);
    create_repository(url, &front_end).await;
    // moto keeps whole seconds; allow for the truncation at both ends.
    let before = Timestamp::now().as_second() - 1;
    let d1 = put(url, &front_end, 1, Some("main-1a2b3c4-1")).await;
    let d2 = put(url, &front_end, 2, Some("main-5d6e7f8-2")).await;
    assert_eq!(put(url, &front_end, 2, Some("latest")).await, d2);
    let d3 = put(url, &front_end, 3, None).await;
    let after = Timestamp::now().as_second() + 1;
    // moto derives digests from the layer digests, not the manifest bytes as ECR does, so only
    // compare with what it answered.
    assert_ne!(d1, d2);

    let result = scan(&client(url, &front_end).await, &front_end)
        .await
        .unwrap();
    assert_eq!(result.images.len(), 3);
    assert_eq!(result.tag_count(), 3);
    let latest = result.image_for_tag("latest").unwrap();
    assert_eq!(latest.digest, d2);
    let mut latest_tags = latest.tags.clone();
    latest_tags.sort();
    assert_eq!(latest_tags, vec!["latest", "main-5d6e7f8-2"]);
    let untagged: Vec<&str> = result.untagged().map(|i| i.digest.as_str()).collect();
    assert_eq!(untagged, vec![d3.as_str()]);
    for tag in result.tags() {
        let at = tag.pushed_at.expect("moto sends imagePushedAt").as_second();
        assert!(
            (before..=after).contains(&at),
            "{}: {at} not in {before}..={after}",
            tag.tag
        );
    }
    assert_eq!(
        result
            .image_for_tag("main-1a2b3c4-1")
            .map(|i| i.digest.as_str()),
        Some(d1.as_str())
    );
}

async fn scan_gives_policy_preview_and_drift_their_inputs(url: &str) {
    let front_end = repo(FRONT_END);
    create_repository(url, &front_end).await;
    for build in 1..=5 {
        put(
            url,
            &front_end,
            build,
            Some(&format!("main-{build:07x}-{build}")),
        )
        .await;
    }
    put(url, &front_end, 5, Some("latest")).await;
    let result = scan(&client(url, &front_end).await, &front_end)
        .await
        .unwrap();
    // The policy engine's input: every tag of the repository, each with its push time.
    let mut names: Vec<&str> = result.tag_names();
    names.sort();
    let mut expected: Vec<String> = (1..=5).map(|b| format!("main-{b:07x}-{b}")).collect();
    expected.push("latest".into());
    expected.sort();
    assert_eq!(names, expected);
    assert!(result.tags().iter().all(|t| t.pushed_at.is_some()));
    // Drift is judged by digest: the pods' `latest` is build 5, what a numerical policy picks.
    let running = result.image_for_tag("latest").unwrap();
    assert_eq!(Some(running), result.image_for_tag("main-0000005-5"));

    // Build 6 arrives without `latest` moving: the scan shows the two apart.
    put(url, &front_end, 6, Some("main-0000006-6")).await;
    let result = scan(&client(url, &front_end).await, &front_end)
        .await
        .unwrap();
    let running = result.image_for_tag("latest").unwrap();
    let newest = result.image_for_tag("main-0000006-6").unwrap();
    assert_ne!(running.digest, newest.digest);
    assert!(newest.pushed_at >= running.pushed_at);
}

async fn missing_repository_is_a_clear_error(url: &str) {
    let carts = repo("123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/carts");
    let e = scan(&client(url, &carts).await, &carts).await.unwrap_err();
    assert!(matches!(e, ScanError::RepositoryNotFound { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "ECR repository 'weaveworksdemos/carts' does not exist in account 123456789012, region us-west-2: \
         create it (aws ecr create-repository --repository-name weaveworksdemos/carts --region us-west-2) \
         or fix the ImageRepository's spec.image"
    );
}

async fn the_scanner_reports_moto_scans(url: &str) {
    let front_end = repo(FRONT_END);
    create_repository(url, &front_end).await;
    put(url, &front_end, 1, Some("main-0000001-1")).await;
    let (_specs_tx, specs_rx) = watch::channel(vec![ImageRepoSpec {
        id: "sock-shop/sock-shop-front-end".into(),
        image: FRONT_END.into(),
        interval: None,
    }]);
    let (_req_tx, req_rx) = mpsc::channel(1);
    let (ev_tx, mut ev_rx) = mpsc::channel(8);
    let task = spawn_scanner(
        Arc::new(EcrScanner::new(config(url))),
        ScannerConfig::default(),
        specs_rx,
        req_rx,
        ev_tx,
    );
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ev_rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            RegistryEvent::Scanning { id, .. } => assert_eq!(id, "sock-shop/sock-shop-front-end"),
            RegistryEvent::Scanned { scan, .. } => {
                assert_eq!(scan.tag_names(), vec!["main-0000001-1"]);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    task.abort();
}

#[tokio::test]
async fn worker_against_moto_ecr() {
    let Some(moto) = Moto::start() else { return };
    moto.reset().await;
    tags_with_push_times_multi_tag_and_untagged(&moto.url).await;
    moto.reset().await;
    // The reset really empties moto: the repository of the previous scenario is gone.
    missing_repository_is_a_clear_error(&moto.url).await;
    let front_end = repo(FRONT_END);
    let gone = scan(&client(&moto.url, &front_end).await, &front_end)
        .await
        .unwrap_err();
    assert!(
        matches!(gone, ScanError::RepositoryNotFound { .. }),
        "{gone:?}"
    );
    scan_gives_policy_preview_and_drift_their_inputs(&moto.url).await;
    moto.reset().await;
    the_scanner_reports_moto_scans(&moto.url).await;
}

#[test]
fn the_guard_kills_moto_even_when_the_test_panics() {
    let Some(moto) = Moto::start() else { return };
    let port = moto.port;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _guard = moto;
        panic!("a failing scenario");
    }));
    assert!(outcome.is_err());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "moto_server still listens on {port} after the panic"
    );
}
