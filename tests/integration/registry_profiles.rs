//! AWS sign-in as on a bastion: the registry worker with credentials from AWS profiles, read
//! by aws-config from a profile file written by the test (the user's `~/.aws` is not read).
//!
//! - a `credential_process` profile (a tiny script printing the JSON credentials) scans moto's
//!   ECR through the endpoint override, as `--ecr-endpoint` does;
//! - an SSO profile (`sso_session`, and the legacy `sso_start_url` form) with no cached token
//!   fails at once, naming the profile and `aws sso login --profile NAME`, without reaching
//!   SSO or moto.
//!
//! Environment credentials would win over any profile in the default chain, so these tests
//! need a shell without `AWS_ACCESS_KEY_ID`; with one set they say so and stop.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::registry::moto::Moto;
use crate::support::registry::{client, manifest, repo};
use fluxdeck::workers::ecr::{
    EcrClientConfig, EcrScanner, ImageRepoSpec, RegistryEvent, ScanError, ScannerConfig,
    build_client, scan, spawn_scanner,
};
use tokio::sync::{mpsc, watch};

const FRONT_END: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

fn environment_credentials_set() -> bool {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        eprintln!(
            "SKIPPED: AWS_ACCESS_KEY_ID is set, and environment credentials win over profiles"
        );
        return true;
    }
    false
}

/// Client settings reading only `config_file`, with profile `profile`, at `endpoint`.
fn profile_config(endpoint: &str, config_file: &Path, profile: &str) -> EcrClientConfig {
    EcrClientConfig {
        endpoint_url: Some(endpoint.to_string()),
        profile: Some(profile.to_string()),
        aws_config_file: Some(config_file.to_path_buf()),
        max_attempts: 1,
        operation_timeout: Duration::from_secs(20),
        ..EcrClientConfig::default()
    }
}

/// A `credential_process` script that records each run in `marker` and prints credentials.
fn credential_process_script(dir: &Path, marker: &Path) -> std::path::PathBuf {
    let script = dir.join("ecr-creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{}'\ncat <<'JSON'\n{{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESSTEST00001\", \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-session\"}}\nJSON\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[tokio::test]
async fn a_credential_process_profile_scans_moto_through_the_registry_worker() {
    if environment_credentials_set() {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    moto.reset().await;
    let front_end = repo(FRONT_END);
    // Seed moto with the static test client.
    let seed = client(&moto.url, &front_end).await;
    seed.create_repository()
        .repository_name(&front_end.repository)
        .send()
        .await
        .unwrap();
    seed.put_image()
        .repository_name(&front_end.repository)
        .image_manifest(manifest(1))
        .image_tag("main-0000001-1")
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("runs");
    let script = credential_process_script(dir.path(), &marker);
    let config_file = dir.path().join("config");
    std::fs::write(
        &config_file,
        format!(
            "[profile release-reader]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .unwrap();
    let config = profile_config(&moto.url, &config_file, "release-reader");

    // One scan with a client built the worker's way.
    let result = scan(
        &build_client(&config, &front_end).await.unwrap(),
        &front_end,
    )
    .await
    .unwrap_or_else(|e| panic!("scan with credential_process: {e}"));
    assert_eq!(result.tag_names(), vec!["main-0000001-1"]);
    assert!(
        std::fs::read_to_string(&marker).is_ok_and(|s| s.contains("run")),
        "the credential_process script never ran"
    );

    // And the registry worker's scheduler, as the TUI runs it.
    let (_specs_tx, specs_rx) = watch::channel(vec![ImageRepoSpec {
        id: "sock-shop/sock-shop-front-end".into(),
        image: FRONT_END.into(),
        interval: None,
    }]);
    let (_req_tx, req_rx) = mpsc::channel(1);
    let (ev_tx, mut ev_rx) = mpsc::channel(8);
    let task = spawn_scanner(
        Arc::new(EcrScanner::new(config)),
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
            RegistryEvent::Scanning { .. } => {}
            RegistryEvent::Scanned { scan, .. } => {
                assert_eq!(scan.tag_names(), vec!["main-0000001-1"]);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    task.abort();
}

/// Scans with `profile` from `config_file` against a loopback port nothing may reach, and
/// returns the error and how long it took.
async fn scan_without_network(config_file: &Path, profile: &str) -> (ScanError, Duration) {
    // A listener that counts connections: the scan must fail before calling ECR.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let config = profile_config(&endpoint, config_file, profile);
    let front_end = repo(FRONT_END);
    let started = Instant::now();
    let err = scan(
        &build_client(&config, &front_end).await.unwrap(),
        &front_end,
    )
    .await
    .expect_err("an SSO profile without a token cannot scan");
    let elapsed = started.elapsed();
    let accepted = tokio::time::timeout(Duration::from_millis(50), listener.accept()).await;
    assert!(accepted.is_err(), "the scan reached the ECR endpoint");
    (err, elapsed)
}

#[tokio::test]
async fn an_sso_profile_without_a_token_names_the_profile_and_aws_sso_login() {
    if environment_credentials_set() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("config");
    // The session and start URL are unique per run, so no token cached by a real
    // `aws sso login` on this machine can match them. Without a token the SDK has nothing
    // to send to SSO; the time bound below would catch it trying SSO or the instance
    // metadata service (1 s connect timeout, retried) instead.
    let unique = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(['.', '_'], "-");
    std::fs::write(
        &config_file,
        format!(
            "[profile team-sso]\n\
             sso_session = fluxdeck-test-{unique}\n\
             sso_account_id = 123456789012\n\
             sso_role_name = ReadOnly\n\
             \n\
             [sso-session fluxdeck-test-{unique}]\n\
             sso_start_url = https://fluxdeck-test-{unique}.awsapps.com/start\n\
             sso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n\
             \n\
             [profile legacy-sso]\n\
             sso_start_url = https://fluxdeck-legacy-{unique}.awsapps.com/start\n\
             sso_region = us-east-1\n\
             sso_account_id = 123456789012\n\
             sso_role_name = ReadOnly\n"
        ),
    )
    .unwrap();

    for profile in ["team-sso", "legacy-sso"] {
        let (err, elapsed) = scan_without_network(&config_file, profile).await;
        assert!(
            matches!(err, ScanError::CredentialsMissing { .. }),
            "{profile}: {err:?}"
        );
        let text = err.to_string();
        eprintln!("{profile}: {text} ({elapsed:?})");
        assert!(
            text.contains(&format!(
                "AWS profile '{profile}' signs in with AWS SSO and has no valid SSO token: run `aws sso login --profile {profile}`"
            )),
            "{profile}: {text}"
        );
        assert!(
            !text.contains("ProviderError"),
            "{profile}: the message carries the SDK's debug dump: {text}"
        );
        assert!(
            elapsed < Duration::from_secs(2),
            "{profile}: the error took {elapsed:?}; SSO or the instance metadata service was tried"
        );
    }
}
