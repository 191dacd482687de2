//! What can go wrong when scanning an ECR repository, as typed errors whose messages name the
//! repository and say what to do, and the mapping from the SDK's errors onto them.
//!
//! The classification drives the scanner: transient errors (throttling, 5xx, network) back off
//! exponentially; the others wait for the next interval, since retrying sooner cannot help
//! until someone creates the repository or fixes the credentials.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ecr::config::http::HttpResponse;
use aws_sdk_ecr::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;

use super::client::{ClientError, SsoLoginNeeded};
use super::image_ref::EcrRepo;

/// Why a scan failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// `RepositoryNotFoundException`.
    #[error(
        "ECR repository '{repository}' does not exist in account {account}, region {region}: create it (aws ecr create-repository --repository-name {repository} --region {region}) or fix the ImageRepository's spec.image"
    )]
    RepositoryNotFound {
        /// The repository name.
        repository: String,
        /// The account (registry id).
        account: String,
        /// The region asked.
        region: String,
    },
    /// `AccessDeniedException` and friends: the identity may not describe this repository.
    #[error(
        "access denied to ECR repository '{repository}' (account {account}, region {region}): {message}; grant ecr:DescribeImages on it to the AWS identity fluxdeck runs as (see AWS_PROFILE)"
    )]
    AccessDenied {
        /// The repository name.
        repository: String,
        /// The account (registry id).
        account: String,
        /// The region asked.
        region: String,
        /// AWS's message.
        message: String,
    },
    /// AWS does not accept the credentials (expired session, unknown key, bad signature).
    #[error(
        "AWS rejected the credentials used for ECR ({code}): {message}; refresh them (aws sso login, or new keys) or pick another AWS_PROFILE"
    )]
    CredentialsRejected {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The credentials chain produced nothing usable.
    #[error(
        "no usable AWS credentials for ECR: {message}; set AWS_PROFILE (and run aws sso login for SSO profiles), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance or IRSA role"
    )]
    CredentialsMissing {
        /// What the chain said.
        message: String,
    },
    /// `ThrottlingException`, HTTP 429 or 503.
    #[error("ECR throttled the scan of '{repository}' ({message}); fluxdeck backs off and retries")]
    Throttled {
        /// The repository name.
        repository: String,
        /// AWS's message.
        message: String,
    },
    /// A 5xx answer (`ServerException`) or an unreadable response.
    #[error(
        "ECR failed to answer for '{repository}' (HTTP {status}): {message}; fluxdeck retries with backoff"
    )]
    Server {
        /// The repository name.
        repository: String,
        /// The HTTP status (0 when none was read).
        status: u16,
        /// What failed.
        message: String,
    },
    /// The API could not be reached or did not answer in time.
    #[error(
        "cannot reach the ECR API for region {region} to scan '{repository}': {message}; check the network, proxy settings or --ecr-endpoint"
    )]
    Network {
        /// The repository name.
        repository: String,
        /// The region asked.
        region: String,
        /// The connector's message.
        message: String,
    },
    /// The client configuration is unusable.
    #[error("{0}")]
    Config(#[from] ClientError),
    /// Anything else the SDK reported.
    #[error("scanning ECR repository '{repository}' failed: {message}")]
    Other {
        /// The repository name.
        repository: String,
        /// What the SDK said.
        message: String,
    },
}

impl ScanError {
    /// Whether retrying soon can help (throttling, server errors, network), so the scanner
    /// backs off instead of waiting a whole interval.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ScanError::Throttled { .. } | ScanError::Server { .. } | ScanError::Network { .. }
        )
    }

    /// A short label for a status bar (`throttled`, `not found`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            ScanError::RepositoryNotFound { .. } => "not found",
            ScanError::AccessDenied { .. } => "access denied",
            ScanError::CredentialsRejected { .. } => "credentials rejected",
            ScanError::CredentialsMissing { .. } => "no credentials",
            ScanError::Throttled { .. } => "throttled",
            ScanError::Server { .. } => "server error",
            ScanError::Network { .. } => "network",
            ScanError::Config(_) => "configuration",
            ScanError::Other { .. } => "error",
        }
    }
}

/// AWS error codes that mean "slow down" (the SDK's own throttling list, trimmed to JSON APIs).
const THROTTLING_CODES: [&str; 8] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "SlowDown",
];

/// AWS error codes that mean the request's identity is not valid.
const CREDENTIAL_CODES: [&str; 7] = [
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
];

/// Maps one failed `DescribeImages` call onto a [`ScanError`].
pub fn classify(
    err: SdkError<DescribeImagesError, HttpResponse>,
    repo: &EcrRepo,
    region: &str,
) -> ScanError {
    let repository = repo.repository.clone();
    if let Some(message) = credentials_missing(&err) {
        return ScanError::CredentialsMissing { message };
    }
    match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            classify_service(ctx.err(), status, repo, region)
        }
        SdkError::TimeoutError(_) => ScanError::Network {
            repository,
            region: region.to_string(),
            message: "the call timed out".into(),
        },
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            ScanError::Network {
                repository,
                region: region.to_string(),
                message: DisplayErrorContext(&err).to_string(),
            }
        }
        SdkError::ResponseError(ctx) => ScanError::Server {
            repository,
            status: ctx.raw().status().as_u16(),
            message: format!("unreadable response: {}", DisplayErrorContext(&err)),
        },
        _ => ScanError::Other {
            repository,
            message: DisplayErrorContext(&err).to_string(),
        },
    }
}

fn classify_service(
    err: &DescribeImagesError,
    status: u16,
    repo: &EcrRepo,
    region: &str,
) -> ScanError {
    let repository = repo.repository.clone();
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or("no message").to_string();
    if err.is_repository_not_found_exception() {
        return ScanError::RepositoryNotFound {
            repository,
            account: repo.account.clone(),
            region: region.to_string(),
        };
    }
    if THROTTLING_CODES.contains(&code.as_str()) || status == 429 || status == 503 {
        return ScanError::Throttled {
            repository,
            message,
        };
    }
    if CREDENTIAL_CODES.contains(&code.as_str()) {
        return ScanError::CredentialsRejected { code, message };
    }
    if code == "AccessDeniedException" || code == "AccessDenied" || status == 403 {
        return ScanError::AccessDenied {
            repository,
            account: repo.account.clone(),
            region: region.to_string(),
            message,
        };
    }
    if code.is_empty() && status < 400 {
        // A success status that did not parse: something other than ECR answered.
        return ScanError::Server {
            repository,
            status,
            message: "the answer is not ECR's JSON (a proxy or the wrong --ecr-endpoint?)".into(),
        };
    }
    if err.is_server_exception() || status >= 500 {
        return ScanError::Server {
            repository,
            status,
            message,
        };
    }
    let code = if code.is_empty() {
        format!("HTTP {status}")
    } else {
        code
    };
    ScanError::Other {
        repository,
        message: format!("{code}: {message}"),
    }
}

/// The chain's message when the failure was "no credentials".
fn credentials_missing<E: StdError + 'static>(err: &E) -> Option<String> {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(sso) = e.downcast_ref::<SsoLoginNeeded>() {
            // What to run, then the SDK's root cause (the token cache file it read), without
            // the chain's debug dump.
            // A bare I/O error says less than its parent, which names the file.
            let mut root: &(dyn StdError + 'static) = sso;
            while let Some(next) = root.source() {
                if next.is::<std::io::Error>() {
                    break;
                }
                root = next;
            }
            if std::ptr::addr_eq(root, sso) {
                return Some(sso.to_string());
            }
            return Some(format!("{sso} ({root})"));
        }
        source = e.source();
    }
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            // Every variant (nothing found, a provider that timed out or is misconfigured,
            // an expired SSO token) leaves the call unsigned; the chain's text says which.
            return Some(DisplayErrorContext(c).to_string());
        }
        source = e.source();
    }
    None
}
