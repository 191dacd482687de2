//! The ECR operations the sandbox serves, request JSON in, response JSON out, with ECR's
//! shapes: timestamps as epoch seconds, `imageTags` omitted on untagged images, paging by
//! `maxResults` (1..=1000, default 100) and an opaque `nextToken`. This module holds the
//! dispatch and what every operation shares (registry checks, paging tokens); the operations
//! live in `images` and `repositories`.

mod images;
mod repositories;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{RegistryError, RegistryStore};

/// ECR's default page size when `maxResults` is absent.
const DEFAULT_PAGE: usize = 100;
/// ECR's largest page.
const MAX_PAGE: usize = 1000;

/// Who is calling: the account and region the request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The region from the SigV4 credential scope.
    pub region: String,
}

/// Runs one operation by its name (the part after the `X-Amz-Target` prefix).
pub fn dispatch(
    store: &RegistryStore,
    caller: &Caller,
    operation: &str,
    body: &Value,
) -> Option<Result<Value, RegistryError>> {
    let result = match operation {
        "DescribeImages" => images::describe_images(store, caller, body),
        "ListImages" => images::list_images(store, caller, body),
        "PutImage" => images::put_image(store, caller, body),
        "BatchGetImage" => images::batch_get_image(store, caller, body),
        "DescribeRepositories" => repositories::describe_repositories(store, caller, body),
        "CreateRepository" => repositories::create_repository(store, caller, body),
        "GetAuthorizationToken" => repositories::get_authorization_token(store, caller, body),
        _ => return None,
    };
    Some(result)
}

fn parse<'a, T: Deserialize<'a>>(body: &'a Value, operation: &str) -> Result<T, RegistryError> {
    T::deserialize(body).map_err(|e| {
        RegistryError::InvalidParameter(format!(
            "the {operation} request is not valid: {e}; see the ECR API reference for its fields"
        ))
    })
}

fn epoch_seconds(t: Timestamp) -> Value {
    json!(t.as_millisecond() as f64 / 1000.0)
}

/// A request for one repository, in the registry its optional `registryId` names.
trait Addressed {
    /// `(registryId, repositoryName)`.
    fn address(&self) -> (Option<&str>, &str);
}

/// Implements [`Addressed`] for requests with `registry_id` and `repository_name` fields.
macro_rules! addressed {
    ($($request:ty),+) => {$(
        impl $crate::sandbox::registry::ops::Addressed for $request {
            fn address(&self) -> (Option<&str>, &str) {
                (self.registry_id.as_deref(), &self.repository_name)
            }
        }
    )+};
}
use addressed;

/// Parses an `operation`'s request for one repository and checks that it addresses this
/// registry (see [`check_registry`]).
fn parse_addressed<'a, T: Deserialize<'a> + Addressed>(
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
fn check_registry(
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

fn page_size(max_results: Option<i64>) -> Result<usize, RegistryError> {
    match max_results {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE as i64).contains(&n) => Ok(n as usize),
        Some(n) => Err(RegistryError::InvalidParameter(format!(
            "maxResults {n} is out of range: use 1 to {MAX_PAGE}"
        ))),
    }
}

/// The position a `nextToken` stands for; tokens name their operation and repository so one
/// cannot be replayed elsewhere.
fn decode_token(token: Option<&str>, scope: &str) -> Result<u64, RegistryError> {
    let Some(token) = token else { return Ok(0) };
    let invalid = || {
        RegistryError::InvalidParameter(format!(
            "Invalid NextToken '{token}': pass back the nextToken of the previous page"
        ))
    };
    let bytes = STANDARD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (token_scope, position) = text.rsplit_once('|').ok_or_else(invalid)?;
    if token_scope != scope {
        return Err(invalid());
    }
    position.parse().map_err(|_| invalid())
}

fn encode_token(scope: &str, position: u64) -> String {
    STANDARD.encode(format!("{scope}|{position}"))
}

/// Writes only go to this registry: a sandbox cannot create another account's repositories.
fn writable(
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

/// Calls an operation as a client signing for the registry's own region (`us-west-2`).
#[cfg(test)]
fn call(store: &RegistryStore, operation: &str, body: Value) -> Result<Value, RegistryError> {
    let caller = Caller {
        region: store.region().to_string(),
    };
    dispatch(store, &caller, operation, &body).expect("a served operation")
}
