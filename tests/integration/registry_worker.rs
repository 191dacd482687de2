//! The registry worker against the sandbox's ECR endpoint over loopback: scans of the seeded
//! front-end history, typed errors (not found, throttled, 5xx, no credentials, network,
//! timeout), and the scanner backing off on injected faults and recovering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::support::registry::{client, config, repo};
use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError};
use aws_sdk_ecr::config::SharedCredentialsProvider;
use fluxdeck::sandbox::registry::seed::{
    FRONT_END, FRONT_END_BUILDS, front_end_registry, front_end_tag,
};
use fluxdeck::sandbox::registry::{RegistryServer, RegistryStore};
use fluxdeck::workers::ecr::{
    EcrScanner, ImageRepoSpec, RegistryEvent, ScanError, ScanRequest, ScannerConfig, build_client,
    scan, spawn_scanner,
};
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

const FRONT_END_IMAGE: &str =
    "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

async fn seeded() -> (Arc<RegistryStore>, RegistryServer) {
    let store = Arc::new(front_end_registry(FRONT_END_BUILDS, Timestamp::now()).expect("seed"));
    let server = store
        .start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("registry starts");
    (store, server)
}

#[tokio::test]
async fn the_seeded_front_end_scans_with_ci_tags_push_times_and_latest() {
    let (store, server) = seeded().await;
    let front_end = repo(FRONT_END_IMAGE);
    let result = scan(&client(&server.url, &front_end).await, &front_end)
        .await
        .unwrap();
    assert_eq!(result.repo, front_end);
    assert_eq!(result.tag_count(), FRONT_END_BUILDS as usize + 1);
    let newest = front_end_tag(FRONT_END_BUILDS);
    // Newest first; `latest` shares the newest build's image and push time.
    let tags = result.tags();
    let first_two: Vec<&str> = tags.iter().take(2).map(|t| t.tag).collect();
    assert_eq!(first_two, vec!["latest", newest.as_str()]);
    assert_eq!(tags[0].digest, tags[1].digest);
    let builds: Vec<_> = tags.iter().filter(|t| t.tag.starts_with("main-")).collect();
    assert_eq!(builds.len(), FRONT_END_BUILDS as usize);
    assert!(builds.windows(2).all(|w| w[0].pushed_at > w[1].pushed_at));
    // The scan agrees with the store's own view, tag by tag.
    for entry in store.tags(FRONT_END).unwrap() {
        let image = result.image_for_tag(&entry.tag).unwrap();
        assert_eq!(image.digest, entry.digest);
        assert_eq!(
            image.pushed_at.map(|t| t.as_millisecond()),
            Some(entry.pushed_at.as_millisecond())
        );
    }
}

#[tokio::test]
async fn missing_repository_and_wrong_region_name_account_region_and_fix() {
    let (_store, server) = seeded().await;
    let missing = repo("123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/carts");
    let e = scan(&client(&server.url, &missing).await, &missing)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ScanError::RepositoryNotFound {
            repository: "weaveworksdemos/carts".into(),
            account: "123456789012".into(),
            region: "us-west-2".into()
        }
    );
    assert!(
        e.to_string()
            .contains("create it (aws ecr create-repository"),
        "{e}"
    );
    assert!(!e.is_transient());
    let elsewhere = repo("123456789012.dkr.ecr.eu-west-1.amazonaws.com/weaveworksdemos/front-end");
    let e = scan(&client(&server.url, &elsewhere).await, &elsewhere)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ScanError::RepositoryNotFound { region, .. } if region == "eu-west-1"),
        "{e}"
    );
}

#[tokio::test]
async fn throttling_and_server_errors_are_typed_and_sdk_retries_absorb_them() {
    let (store, server) = seeded().await;
    let front_end = repo(FRONT_END_IMAGE);
    let no_retry = client(&server.url, &front_end).await;
    store.throttle_next(1);
    let e = scan(&no_retry, &front_end).await.unwrap_err();
    assert!(matches!(e, ScanError::Throttled { .. }), "{e}");
    assert!(e.is_transient());
    store.fail_next(1);
    let e = scan(&no_retry, &front_end).await.unwrap_err();
    assert!(matches!(e, ScanError::Server { status: 500, .. }), "{e}");
    assert!(e.to_string().contains("HTTP 500"), "{e}");

    // With the SDK's standard retries, two throttled answers are absorbed.
    store.clear_calls();
    store.throttle_next(2);
    let mut retrying = config(&server.url);
    retrying.max_attempts = 3;
    let ecr = build_client(&retrying, &front_end).await.unwrap();
    let result = scan(&ecr, &front_end).await.unwrap();
    assert_eq!(result.tag_count(), FRONT_END_BUILDS as usize + 1);
    let statuses: Vec<u16> = store.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![400, 400, 200]);
}

/// A credentials chain that finds nothing, as the default chain does on a machine without AWS
/// configuration.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

#[tokio::test]
async fn missing_credentials_say_how_to_provide_them_and_nothing_is_sent() {
    let (store, server) = seeded().await;
    let front_end = repo(FRONT_END_IMAGE);
    let mut cfg = config(&server.url);
    cfg.credentials = Some(SharedCredentialsProvider::new(NoCredentials));
    let ecr = build_client(&cfg, &front_end).await.unwrap();
    let e = scan(&ecr, &front_end).await.unwrap_err();
    assert!(matches!(e, ScanError::CredentialsMissing { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("AWS_PROFILE") && text.contains("no providers in chain"),
        "{text}"
    );
    assert!(
        store.calls().is_empty(),
        "an unsigned request went out: {:?}",
        store.calls()
    );
}

#[tokio::test]
async fn unreachable_and_silent_endpoints_are_network_errors() {
    let front_end = repo(FRONT_END_IMAGE);
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = scan(&client(&url, &front_end).await, &front_end)
        .await
        .unwrap_err();
    assert!(matches!(e, ScanError::Network { .. }), "{e:?}");
    assert!(e.to_string().contains("--ecr-endpoint"), "{e}");
    assert!(e.is_transient());

    // A server that accepts and never answers: the operation timeout turns it into an error.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let mut cfg = config(&url);
    cfg.operation_timeout = Duration::from_millis(300);
    let e = scan(&build_client(&cfg, &front_end).await.unwrap(), &front_end)
        .await
        .unwrap_err();
    assert!(matches!(e, ScanError::Network { .. }), "{e:?}");
    assert!(e.to_string().contains("timed out"), "{e}");
    hold.abort();
}

/// Collects events until `done` says stop, failing the test if the scanner goes quiet.
async fn events_until(
    rx: &mut mpsc::Receiver<RegistryEvent>,
    done: impl Fn(&[RegistryEvent]) -> bool,
) -> Vec<RegistryEvent> {
    let mut events = Vec::new();
    while !done(&events) {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(e)) => events.push(e),
            other => panic!("no event ({other:?}) after {events:#?}"),
        }
    }
    events
}

fn outcomes(events: &[RegistryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            RegistryEvent::Scanned { scan, .. } => Some(format!("scanned {}", scan.tag_count())),
            RegistryEvent::Failed {
                error, failures, ..
            } => Some(format!("{} #{failures}", error.kind())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_scanner_backs_off_on_faults_and_recovers() {
    let (store, server) = seeded().await;
    store.throttle_next(3);
    let (specs_tx, specs_rx) = watch::channel(vec![
        ImageRepoSpec {
            id: "sock-shop/sock-shop-front-end".into(),
            image: FRONT_END_IMAGE.into(),
            interval: Some(Duration::from_secs(60)),
        },
        ImageRepoSpec {
            id: "sock-shop/hub".into(),
            image: "weaveworksdemos/front-end".into(),
            interval: None,
        },
    ]);
    let (req_tx, req_rx) = mpsc::channel(4);
    let (ev_tx, mut ev_rx) = mpsc::channel(64);
    let scanner_config = ScannerConfig {
        backoff_base: Duration::from_millis(40),
        backoff_cap: Duration::from_millis(100),
        min_interval: Duration::from_millis(10),
        ..ScannerConfig::default()
    };
    let task = spawn_scanner(
        Arc::new(EcrScanner::new(config(&server.url))),
        scanner_config,
        specs_rx,
        req_rx,
        ev_tx,
    );
    let scanned =
        |e: &[RegistryEvent]| e.iter().any(|e| matches!(e, RegistryEvent::Scanned { .. }));
    let events = events_until(&mut ev_rx, scanned).await;
    let total = FRONT_END_BUILDS + 1;
    assert_eq!(
        outcomes(&events),
        vec![
            "throttled #1",
            "throttled #2",
            "throttled #3",
            &format!("scanned {total}")
        ]
    );
    let retries: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            RegistryEvent::Failed { retry_in, .. } => Some(*retry_in),
            _ => None,
        })
        .collect();
    for (retry, step) in retries.iter().zip([40u64, 80, 100]) {
        let step = Duration::from_millis(step);
        assert!(
            *retry >= step / 2 && *retry <= step,
            "{retry:?} outside [{:?}, {step:?}]",
            step / 2
        );
    }
    assert!(events.iter().any(|e| matches!(e, RegistryEvent::Unavailable { id, reason }
        if id == "sock-shop/hub" && reason.to_string() == "registry scan not available for docker.io")));

    // Two server errors, asked for on demand: the backoff starts again from the base.
    store.fail_next(2);
    req_tx
        .send(ScanRequest::Repository(
            "sock-shop/sock-shop-front-end".into(),
        ))
        .await
        .unwrap();
    let events = events_until(&mut ev_rx, scanned).await;
    assert_eq!(
        outcomes(&events),
        vec![
            "server error #1",
            "server error #2",
            &format!("scanned {total}")
        ]
    );

    // Nobody listens any more: the scanner ends.
    drop(ev_rx);
    drop(specs_tx);
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}
