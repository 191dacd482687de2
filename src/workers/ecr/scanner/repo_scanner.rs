//! What scans a repository: the [`RepoScanner`] trait, and [`EcrScanner`], its aws-sdk-ecr
//! implementation.

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::Mutex;

use super::super::client::{EcrClientConfig, build_client};
use super::super::errors::ScanError;
use super::super::image_ref::EcrRepo;
use super::super::scan::{RegistryScan, scan};

/// Something that can scan a repository: the real ECR client, or a test double.
pub trait RepoScanner: Send + Sync + 'static {
    /// Lists every image of `repo`.
    fn scan(&self, repo: &EcrRepo) -> impl Future<Output = Result<RegistryScan, ScanError>> + Send;
}

/// Scans with aws-sdk-ecr, one client per region (built on first use, then reused).
pub struct EcrScanner {
    config: EcrClientConfig,
    clients: Mutex<HashMap<(String, bool, bool), aws_sdk_ecr::Client>>,
}

impl EcrScanner {
    /// A scanner whose clients follow `config`.
    pub fn new(config: EcrClientConfig) -> Self {
        EcrScanner {
            config,
            clients: Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self, repo: &EcrRepo) -> Result<aws_sdk_ecr::Client, ScanError> {
        let key = (self.config.region_for(repo), repo.fips(), repo.dual_stack());
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let client = build_client(&self.config, repo).await?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}

impl RepoScanner for EcrScanner {
    async fn scan(&self, repo: &EcrRepo) -> Result<RegistryScan, ScanError> {
        let client = self.client(repo).await?;
        scan(&client, repo).await
    }
}
