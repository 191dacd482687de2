//! The registry's state: repositories and their images, injected faults and the call log,
//! behind the Rust API the controllers, the CI simulator and the wire operations use.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use jiff::Timestamp;

use super::error::RegistryError;
use super::repository::{PushRequest, Repository, StoredImage};

/// A tag with its image, as the CI simulator and controllers read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEntry {
    /// The tag.
    pub tag: String,
    /// The image digest.
    pub digest: String,
    /// When the image was pushed.
    pub pushed_at: Timestamp,
}

/// One answered call, for tests that count calls and check statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCall {
    /// The operation (`DescribeImages`), or the target as sent when unknown.
    pub operation: String,
    /// The HTTP status answered.
    pub status: u16,
}

/// Injected failures, consumed one per request.
#[derive(Debug, Default, Clone, Copy)]
struct FaultCounters {
    throttle: u32,
    fail: u32,
}

/// Which fault, if any, the next request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 400 `ThrottlingException`, as ECR throttles.
    Throttle,
    /// HTTP 500 `ServerException`.
    ServerError,
}

/// The registry's repositories, fault controls and call log.
#[derive(Debug)]
pub struct RegistryStore {
    account: String,
    region: String,
    repos: Mutex<(BTreeMap<String, Repository>, u64)>,
    faults: Mutex<FaultCounters>,
    calls: Mutex<Vec<RegistryCall>>,
}

/// Calls kept in the log (oldest dropped first).
const CALL_LOG_LIMIT: usize = 100_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent before it can panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RegistryStore {
    /// An empty registry for `account` in `region`.
    pub fn new(account: &str, region: &str) -> Self {
        RegistryStore {
            account: account.to_string(),
            region: region.to_string(),
            repos: Mutex::new((BTreeMap::new(), 0)),
            faults: Mutex::new(FaultCounters::default()),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The account (registry id).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// `<account>.dkr.ecr.<region>.amazonaws.com`, the host images of this registry name.
    pub fn registry_host(&self) -> String {
        format!("{}.dkr.ecr.{}.amazonaws.com", self.account, self.region)
    }

    fn not_found(&self, repository: &str) -> RegistryError {
        RegistryError::RepositoryNotFound {
            repository: repository.to_string(),
            account: self.account.clone(),
        }
    }

    /// Creates a repository.
    pub fn create_repository(
        &self,
        name: &str,
        immutable: bool,
    ) -> Result<Repository, RegistryError> {
        if !crate::model::ecr::valid_repository_name(name) {
            return Err(RegistryError::InvalidParameter(format!(
                "repositoryName '{name}' is not valid: 2-256 lowercase letters, digits and . _ - separated by /"
            )));
        }
        let mut guard = lock(&self.repos);
        if guard.0.contains_key(name) {
            return Err(RegistryError::RepositoryAlreadyExists {
                repository: name.to_string(),
                account: self.account.clone(),
            });
        }
        let repo = Repository::new(name, immutable, Timestamp::now());
        guard.0.insert(name.to_string(), repo.clone());
        Ok(repo)
    }

    /// Runs `f` on a repository (without copying its images).
    pub fn with_repository<T>(
        &self,
        name: &str,
        f: impl FnOnce(&Repository) -> T,
    ) -> Result<T, RegistryError> {
        let guard = lock(&self.repos);
        guard.0.get(name).map(f).ok_or_else(|| self.not_found(name))
    }

    /// Runs `f` over every repository, in name order.
    pub fn with_repositories<T>(&self, f: impl FnOnce(&BTreeMap<String, Repository>) -> T) -> T {
        f(&lock(&self.repos).0)
    }

    /// Pushes a manifest with a tag now; returns its digest.
    pub fn push(
        &self,
        repository: &str,
        tag: &str,
        manifest: &str,
    ) -> Result<String, RegistryError> {
        self.push_image(
            repository,
            PushRequest {
                tag: Some(tag.to_string()),
                manifest: manifest.to_string(),
                ..PushRequest::default()
            },
        )
        .map(|image| image.digest)
    }

    /// Pushes with every PutImage option (and a chosen push time, for seeding history).
    pub fn push_image(
        &self,
        repository: &str,
        req: PushRequest,
    ) -> Result<StoredImage, RegistryError> {
        let mut guard = lock(&self.repos);
        let (repos, seq) = &mut *guard;
        let Some(repo) = repos.get_mut(repository) else {
            return Err(self.not_found(repository));
        };
        let next = seq.saturating_add(1);
        let image = repo.push(req, next, &self.account)?;
        if image.seq == next {
            *seq = next;
        }
        Ok(image)
    }

    /// Every tag of a repository, oldest push first (ties by tag).
    pub fn tags(&self, repository: &str) -> Result<Vec<TagEntry>, RegistryError> {
        self.with_repository(repository, |repo| {
            let mut tags: Vec<TagEntry> = repo
                .images
                .iter()
                .flat_map(|image| {
                    image.tags.iter().map(|tag| TagEntry {
                        tag: tag.clone(),
                        digest: image.digest.clone(),
                        pushed_at: image.pushed_at,
                    })
                })
                .collect();
            tags.sort_by(|a, b| a.pushed_at.cmp(&b.pushed_at).then(a.tag.cmp(&b.tag)));
            tags
        })
    }

    /// The next `n` requests get HTTP 400 `ThrottlingException`.
    pub fn throttle_next(&self, n: u32) {
        lock(&self.faults).throttle = n;
    }

    /// The next `n` requests get HTTP 500 `ServerException` (after any throttling).
    pub fn fail_next(&self, n: u32) {
        lock(&self.faults).fail = n;
    }

    /// Consumes the fault the next request gets, if any.
    pub fn take_fault(&self) -> Option<Fault> {
        let mut f = lock(&self.faults);
        if f.throttle > 0 {
            f.throttle -= 1;
            Some(Fault::Throttle)
        } else if f.fail > 0 {
            f.fail -= 1;
            Some(Fault::ServerError)
        } else {
            None
        }
    }

    /// Records an answered call.
    pub fn log_call(&self, operation: &str, status: u16) {
        let mut calls = lock(&self.calls);
        if calls.len() >= CALL_LOG_LIMIT {
            calls.remove(0);
        }
        calls.push(RegistryCall {
            operation: operation.to_string(),
            status,
        });
    }

    /// The answered calls, oldest first.
    pub fn calls(&self) -> Vec<RegistryCall> {
        lock(&self.calls).clone()
    }

    /// Clears the call log.
    pub fn clear_calls(&self) {
        lock(&self.calls).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = r#"{"schemaVersion":2,"layers":[{"size":5}]}"#;

    #[test]
    fn push_and_tags_through_the_rust_api() {
        let store = RegistryStore::new("123456789012", "us-west-2");
        assert_eq!(
            store.registry_host(),
            "123456789012.dkr.ecr.us-west-2.amazonaws.com"
        );
        assert!(matches!(
            store.push("app", "v1", M),
            Err(RegistryError::RepositoryNotFound { .. })
        ));
        store.create_repository("app", false).unwrap();
        assert!(matches!(
            store.create_repository("app", false),
            Err(RegistryError::RepositoryAlreadyExists { .. })
        ));
        assert!(matches!(
            store.create_repository("Bad", false),
            Err(RegistryError::InvalidParameter(_))
        ));
        let d1 = store.push("app", "v1", M).unwrap();
        let d2 = store.push("app", "v2", r#"{"schemaVersion":2}"#).unwrap();
        store
            .push("app", "latest", r#"{"schemaVersion":2}"#)
            .unwrap();
        let tags = store.tags("app").unwrap();
        let names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(names.len(), 3);
        assert_eq!(tags.iter().find(|t| t.tag == "v1").unwrap().digest, d1);
        assert_eq!(tags.iter().find(|t| t.tag == "latest").unwrap().digest, d2);
        assert!(tags.windows(2).all(|w| w[0].pushed_at <= w[1].pushed_at));
        // A failed push does not use up a sequence number.
        assert!(store.push("app", "v1", M).is_err());
        let seqs = store
            .with_repository("app", |r| {
                r.images.iter().map(|i| i.seq).collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(seqs, vec![1, 2]);
    }

    #[test]
    fn faults_are_consumed_in_order_and_cleared() {
        let store = RegistryStore::new("123456789012", "us-west-2");
        store.throttle_next(2);
        store.fail_next(1);
        assert_eq!(store.take_fault(), Some(Fault::Throttle));
        assert_eq!(store.take_fault(), Some(Fault::Throttle));
        assert_eq!(store.take_fault(), Some(Fault::ServerError));
        assert_eq!(store.take_fault(), None);
    }
}
