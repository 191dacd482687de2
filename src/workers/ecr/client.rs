//! Building ECR API clients: credentials by the default AWS chain, the region from the image
//! host, and an optional endpoint override for tests, the sandbox and private endpoints.
//!
//! Region precedence (decided here, documented in `--help` by the CLI): an explicit region in
//! [`EcrClientConfig::region`] wins; otherwise the region in the image host. `AWS_REGION` and
//! the profile's region are *not* used for repositories named by an ECR host, because a
//! repository exists in exactly one region: an operator whose shell says `eu-west-1` would
//! otherwise get "repository not found" for every `us-west-2` image.
//!
//! Every private ECR host names its region, so `AWS_REGION` and the profile's `region` never
//! decide where `DescribeImages` goes; the profile's `sso_region` still decides where an SSO
//! profile signs in.
//!
//! Credentials come from the default chain (environment, `AWS_PROFILE` with static keys,
//! `credential_process`, `sso_session` or legacy SSO, assume-role; web identity, ECS and
//! instance roles) unless a static provider is given (the embedded demo talks to the sandbox
//! registry, which needs no real credentials). When an SSO profile has no valid token the
//! error names the profile and `aws sso login --profile NAME`; the SDK fails such a profile
//! from its token cache, before any network call. Nothing here logs or formats a credential:
//! [`EcrClientConfig`]'s `Debug` only says where they come from.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_sdk_ecr::config::{Region, SharedCredentialsProvider};

use super::image_ref::EcrRepo;
use crate::workers::proxy::ProxyEnv;

/// How the worker's ECR clients are built.
#[derive(Clone)]
pub struct EcrClientConfig {
    /// `--ecr-endpoint URL`: send every ECR call there (moto, the sandbox, a VPC endpoint).
    /// `AWS_ENDPOINT_URL_ECR` is honoured by the SDK when this is unset.
    pub endpoint_url: Option<String>,
    /// A region that overrides the one in the image host.
    pub region: Option<String>,
    /// Static credentials instead of the default chain.
    pub credentials: Option<SharedCredentialsProvider>,
    /// The AWS profile of the default chain (unset: `$AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// The AWS config file to read profiles from, alone (unset: `$AWS_CONFIG_FILE` or
    /// `~/.aws/config`, with `$AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`).
    pub aws_config_file: Option<PathBuf>,
    /// Attempts per API call, including the SDK's own retries of throttling and 5xx (≥ 1).
    pub max_attempts: u32,
    /// Time limit for one API call, all attempts included.
    pub operation_timeout: Duration,
    /// The proxy variables (default: the process's), read as for the API server and git.
    pub proxy: ProxyEnv,
}

impl Default for EcrClientConfig {
    fn default() -> Self {
        EcrClientConfig {
            endpoint_url: None,
            region: None,
            credentials: None,
            profile: None,
            aws_config_file: None,
            // The SDK's standard retry mode; the scanner backs off on top of it.
            max_attempts: 3,
            operation_timeout: Duration::from_secs(60),
            proxy: ProxyEnv::from_process(),
        }
    }
}

impl std::fmt::Debug for EcrClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcrClientConfig")
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field(
                "credentials",
                &if self.credentials.is_some() {
                    "static provider"
                } else {
                    "default chain"
                },
            )
            .field("profile", &self.profile)
            .field("aws_config_file", &self.aws_config_file)
            .field("max_attempts", &self.max_attempts)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}

/// Why a client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The endpoint override is not an http(s) URL.
    #[error(
        "--ecr-endpoint {0:?} is not a URL: give http://HOST:PORT or https://HOST (or unset it to use AWS)"
    )]
    BadEndpoint(String),
    /// The region override is not a region name.
    #[error("the ECR region {0:?} is not an AWS region name such as us-west-2: fix or unset it")]
    BadRegion(String),
    /// `HTTPS_PROXY`/`HTTP_PROXY` is not a proxy URL.
    #[error(
        "the proxy {0} (HTTPS_PROXY or HTTP_PROXY) is not usable for ECR calls: give http://HOST:PORT"
    )]
    BadProxy(String),
}

impl EcrClientConfig {
    /// Checks the overrides before any client is built, so a typo is reported once, clearly.
    pub fn validate(&self) -> Result<(), ClientError> {
        if let Some(url) = &self.endpoint_url {
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                return Err(ClientError::BadEndpoint(url.clone()));
            }
        }
        if let Some(region) = &self.region {
            let ok = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(ClientError::BadRegion(region.clone()));
            }
        }
        Ok(())
    }

    /// The region calls for `repo` go to.
    pub fn region_for(&self, repo: &EcrRepo) -> String {
        self.region.clone().unwrap_or_else(|| repo.region.clone())
    }
}

/// The SDK's HTTPS client (rustls with aws-lc, as the SDK's default) with the proxy the
/// variables in `env` give. The SDK's default client uses no proxy at all, and the SDK's own
/// reading of the variables would send a loopback endpoint through the proxy, as Go does not.
fn http_client(env: &ProxyEnv) -> Result<aws_sdk_ecr::config::SharedHttpClient, ClientError> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let proxy = proxy_config(env)?;
    Ok(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                let mut builder = aws_smithy_http_client::Connector::builder();
                if let Some(settings) = settings {
                    builder = builder.connector_settings(settings.clone());
                }
                if let Some(sleep) = components.and_then(|c| c.sleep_impl()) {
                    builder = builder.sleep_impl(sleep);
                }
                builder
                    .proxy_config(proxy.clone())
                    .tls_provider(Provider::Rustls(CryptoMode::Ring))
                    .build()
            },
        ),
    )
}

/// The SDK's proxy settings from the proxy variables. AWS APIs are HTTPS, so `HTTPS_PROXY`
/// wins when both are set and differ (an `http://` endpoint then goes direct); `localhost`
/// and loopback addresses never go through the proxy, as Go's rules say.
fn proxy_config(env: &ProxyEnv) -> Result<aws_smithy_http_client::proxy::ProxyConfig, ClientError> {
    use aws_smithy_http_client::proxy::ProxyConfig;
    let bad = |url: &str, e: &dyn std::fmt::Display| ClientError::BadProxy(format!("{url}: {e}"));
    let config = match (env.var("HTTPS_PROXY"), env.var("HTTP_PROXY")) {
        (None, None) => return Ok(ProxyConfig::disabled()),
        (Some(https), Some(http)) if https == http => {
            ProxyConfig::all(&https).map_err(|e| bad(&https, &e))?
        }
        (Some(https), _) => ProxyConfig::https(&https).map_err(|e| bad(&https, &e))?,
        (None, Some(http)) => ProxyConfig::http(&http).map_err(|e| bad(&http, &e))?,
    };
    let loopback = "localhost,127.0.0.0/8,::1";
    Ok(config.no_proxy(match env.var("NO_PROXY") {
        Some(rules) => format!("{rules},{loopback}"),
        None => loopback.to_string(),
    }))
}

/// Builds an ECR client for `repo`'s region (see the module doc for precedence).
pub async fn build_client(
    config: &EcrClientConfig,
    repo: &EcrRepo,
) -> Result<aws_sdk_ecr::Client, ClientError> {
    config.validate()?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(config.region_for(repo)))
        .retry_config(RetryConfig::standard().with_max_attempts(config.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(config.operation_timeout)
                .build(),
        );
    if let Some(url) = &config.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    } else {
        // A FIPS or dual-stack registry host asks for the matching API endpoint.
        loader = loader
            .use_fips(repo.fips())
            .use_dual_stack(repo.dual_stack());
    }
    if let Some(name) = &config.profile {
        loader = loader.profile_name(name);
    }
    if let Some(files) = config.profile_files() {
        loader = loader.profile_files(files);
    }
    if let Some(credentials) = &config.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader = loader.http_client(http_client(&config.proxy)?);
    let sdk_config = loader.load().await;
    let mut ecr_config = aws_sdk_ecr::config::Builder::from(&sdk_config);
    if config.credentials.is_none()
        && let Some(chain) = sdk_config.credentials_provider()
    {
        ecr_config = ecr_config.credentials_provider(SsoHint {
            chain,
            profile: config.profile.clone(),
            files: config.profile_files(),
        });
    }
    Ok(aws_sdk_ecr::Client::from_conf(ecr_config.build()))
}

impl EcrClientConfig {
    /// The profile files to read when `aws_config_file` replaces the default ones.
    fn profile_files(&self) -> Option<ProfileFiles> {
        self.aws_config_file.as_ref().map(|file| {
            ProfileFiles::builder()
                .with_file(ProfileFileKind::Config, file)
                .build()
        })
    }
}

/// The default chain, with a hint added to its failures when the selected profile signs in
/// with AWS SSO: what to run, for which profile.
#[derive(Debug)]
struct SsoHint {
    chain: SharedCredentialsProvider,
    profile: Option<String>,
    files: Option<ProfileFiles>,
}

/// An SSO profile without a usable token.
#[derive(Debug, thiserror::Error)]
#[error(
    "AWS profile '{profile}' signs in with AWS SSO and has no valid SSO token: run `aws sso login --profile {profile}`"
)]
pub(crate) struct SsoLoginNeeded {
    profile: String,
    #[source]
    source: CredentialsError,
}

impl SsoHint {
    async fn provide(&self) -> aws_credential_types::provider::Result {
        let err = match self.chain.provide_credentials().await {
            Ok(credentials) => return Ok(credentials),
            Err(err) => err,
        };
        match sso_profile(self.profile.clone(), self.files.clone()).await {
            Some(profile) => Err(CredentialsError::provider_error(SsoLoginNeeded {
                profile,
                source: err,
            })),
            None => Err(err),
        }
    }
}

impl ProvideCredentials for SsoHint {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.provide())
    }
}

/// The selected profile's name when it signs in with SSO (`sso_session` or the legacy
/// `sso_start_url`), read from the same files and environment the SDK read.
async fn sso_profile(profile: Option<String>, files: Option<ProfileFiles>) -> Option<String> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = files.unwrap_or_default();
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &files, profile.map(Cow::Owned))
        .await
        .ok()?;
    let name = set.selected_profile();
    let selected = set.get_profile(name)?;
    (selected.get("sso_session").is_some() || selected.get("sso_start_url").is_some())
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> EcrRepo {
        crate::workers::ecr::parse_ecr_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/app")
            .unwrap()
    }

    #[test]
    fn explicit_region_beats_the_host() {
        let mut c = EcrClientConfig::default();
        assert_eq!(c.region_for(&repo()), "us-west-2");
        c.region = Some("eu-central-1".into());
        assert_eq!(c.region_for(&repo()), "eu-central-1");
    }

    #[test]
    fn bad_overrides_are_reported() {
        for bad in ["localhost:4566", "ftp://x", "http://", "http:///path", ""] {
            let c = EcrClientConfig {
                endpoint_url: Some(bad.into()),
                ..Default::default()
            };
            let e = c.validate().unwrap_err();
            assert!(e.to_string().contains("--ecr-endpoint"), "{bad}: {e}");
        }
        let c = EcrClientConfig {
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            region: Some("US West 2".into()),
            ..Default::default()
        };
        assert_eq!(
            c.validate(),
            Err(ClientError::BadRegion("US West 2".into()))
        );
    }

    #[test]
    fn debug_never_shows_credentials() {
        let c = EcrClientConfig {
            credentials: Some(SharedCredentialsProvider::new(
                aws_sdk_ecr::config::Credentials::new(
                    "AKIDSECRETID",
                    "sekrit-value",
                    None,
                    None,
                    "test",
                ),
            )),
            ..Default::default()
        };
        let text = format!("{c:?}");
        assert!(
            !text.contains("AKIDSECRETID") && !text.contains("sekrit-value"),
            "{text}"
        );
        assert!(text.contains("static provider"));
    }

    #[tokio::test]
    async fn builds_a_client_for_the_host_region() {
        let c = EcrClientConfig {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            credentials: Some(SharedCredentialsProvider::new(
                aws_sdk_ecr::config::Credentials::new("testing", "testing", None, None, "test"),
            )),
            ..Default::default()
        };
        let client = build_client(&c, &repo()).await.unwrap();
        assert_eq!(
            client.config().region().map(|r| r.as_ref()),
            Some("us-west-2")
        );
    }
}
