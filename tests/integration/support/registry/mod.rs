//! Helpers shared by the `registry_*` integration tests: static fake credentials (never real
//! ones), clients pointed at a loopback endpoint, and small manifests.
//!
//! The clients get an explicit region, endpoint and credentials, so the AWS default chain
//! (and with it the instance metadata service) is never consulted: nothing leaves loopback.

pub mod moto;

use fluxdeck::workers::proxy::ProxyEnv;
use std::time::Duration;

use aws_sdk_ecr::config::{Credentials, SharedCredentialsProvider};
use fluxdeck::workers::ecr::{EcrClientConfig, EcrRepo, build_client, parse_ecr_image};

/// Client settings for a loopback endpoint with fake credentials and no SDK retries.
pub fn config(endpoint: &str) -> EcrClientConfig {
    EcrClientConfig {
        endpoint_url: Some(endpoint.to_string()),
        region: None,
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "fluxdeck-tests",
        ))),
        max_attempts: 1,
        operation_timeout: Duration::from_secs(20),
        // Proxy variables on the machine running the tests play no part.
        proxy: ProxyEnv::default(),
        ..EcrClientConfig::default()
    }
}

/// The ECR repository `image` names (panics on a bad test constant).
pub fn repo(image: &str) -> EcrRepo {
    parse_ecr_image(image).unwrap_or_else(|e| panic!("{image}: {e}"))
}

/// An SDK client for `repo` at `endpoint`.
pub async fn client(endpoint: &str, repo: &EcrRepo) -> aws_sdk_ecr::Client {
    build_client(&config(endpoint), repo)
        .await
        .expect("client builds")
}

/// A small Docker v2 manifest, distinct per `n`.
pub fn manifest(n: u32) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"sha256:{:064x}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"sha256:{:064x}"}}]}}"#,
        100 + n,
        n,
        1000 * (n + 1),
        n + 1_000_000
    )
}
