//! Reading an operation's request: its JSON, who calls ([`Caller`]), whether it addresses
//! this registry, and whether it may write there.

use serde::Deserialize;
use serde_json::Value;

use super::super::error::RegistryError;
use super::super::store::RegistryStore;

/// Who is calling: the account and region the request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The region from the SigV4 credential scope.
    pub region: String,
}

/// Parses an `operation`'s request, or says which field is wrong.
pub(super) fn parse<'a, T: Deserialize<'a>>(
    body: &'a Value,
    operation: &str,
) -> Result<T, RegistryError> {
    T::deserialize(body).map_err(|e| {
        RegistryError::InvalidParameter(format!(
            "the {operation} request is not valid: {e}; see the ECR API reference for its fields"
        ))
    })
}

/// A request for one repository, in the registry its optional `registryId` names.
pub(super) trait Addressed {
    /// `(registryId, repositoryName)`.
    fn address(&self) -> (Option<&str>, &str);
}

/// Implements [`Addressed`] for requests with `registry_id` and `repository_name` fields.
macro_rules! addressed {
    ($($request:ty),+) => {$(
        impl $crate::sandbox::registry::ops::request::Addressed for $request {
            fn address(&self) -> (Option<&str>, &str) {
                (self.registry_id.as_deref(), &self.repository_name)
            }
        }
    )+};
}
pub(super) use addressed;

/// Parses an `operation`'s request for one repository and checks that it addresses this
/// registry (see [`check_registry`]).
pub(super) fn parse_addressed<'a, T: Deserialize<'a> + Addressed>(
    store: &RegistryStore,
    caller: &Caller,
    body: &'a Value,
    operation: &str,
) -> Result<T, RegistryError> {
    let req: T = parse(body, operation)?;
    let (registry_id, repository) = req.address();
    check_registry(store, caller, registry_id, repository)?;
    Ok(req)
}

/// Checks that the request addresses this registry: its account and its region.
pub(super) fn check_registry(
    store: &RegistryStore,
    caller: &Caller,
    registry_id: Option<&str>,
    repository: &str,
) -> Result<(), RegistryError> {
    let account = registry_id.unwrap_or(store.account());
    if account != store.account() || caller.region != store.region() {
        // Another account or region is another registry, where nothing exists.
        return Err(RegistryError::RepositoryNotFound {
            repository: repository.to_string(),
            account: account.to_string(),
        });
    }
    Ok(())
}

/// Writes only go to this registry: a sandbox cannot create another account's repositories.
pub(super) fn writable(
    store: &RegistryStore,
    caller: &Caller,
    registry_id: Option<&str>,
) -> Result<(), RegistryError> {
    if registry_id.is_some_and(|id| id != store.account()) || caller.region != store.region() {
        return Err(RegistryError::InvalidParameter(format!(
            "this sandbox registry is account {} in region {}: sign for {} and omit registryId or set it to {}",
            store.account(),
            store.region(),
            store.region(),
            store.account()
        )));
    }
    Ok(())
}
