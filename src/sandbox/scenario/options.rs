//! What a scenario may vary ([`ScenarioOptions`]), with its defaults: the account and region
//! the scenario plays, the write-up's repository URLs and obviously fake git credentials.

use crate::sandbox::crds::FluxVersion;
// The credentials the sandbox's git server accepts; the scenario's Secrets carry the same.
pub(super) use crate::sandbox::git::{FAKE_GIT_PASSWORD, FAKE_GIT_USER};

/// The AWS account the scenario's ECR repository and ARNs belong to: the one the seeded
/// repositories' `__ACCOUNT_ID__` becomes.
pub const AWS_ACCOUNT_ID: &str = crate::sandbox::git::ACCOUNT_ID;
/// The AWS region of the scenario's EKS cluster, CodeCommit and ECR.
pub const AWS_REGION: &str = "us-west-2";

/// What a scenario may vary: the Flux release, the clock, the seed and the repository URLs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioOptions {
    /// The Flux release whose API versions and status shapes the objects follow.
    pub flux: FluxVersion,
    /// "Now" of the cluster; every creation and status time is before it.
    pub now: jiff::Timestamp,
    /// Seed of every name suffix, uid, SHA and digest.
    pub seed: u64,
    /// URL of the flux repository (`flux-system` GitRepository).
    pub flux_repo_url: String,
    /// URL of the config repository (`sock-shop-tenant` GitRepository).
    pub tenant_repo_url: String,
    /// The git user the Secrets hold (obviously fake unless the sandbox serves git).
    pub git_username: String,
    /// The git password the Secrets hold (obviously fake unless the sandbox serves git).
    pub git_password: String,
}

impl Default for ScenarioOptions {
    /// The current Flux, the wall clock, seed 1, and the CodeCommit URLs of the write-up.
    fn default() -> Self {
        Self {
            flux: FluxVersion::default(),
            now: jiff::Timestamp::now(),
            seed: 1,
            flux_repo_url: "https://git-codecommit.us-west-2.amazonaws.com/v1/repos/gitops".into(),
            tenant_repo_url:
                "https://git-codecommit.us-west-2.amazonaws.com/v1/repos/microservices-repo".into(),
            git_username: FAKE_GIT_USER.into(),
            git_password: FAKE_GIT_PASSWORD.into(),
        }
    }
}
