//! The ECR operations the sandbox serves, request JSON in, response JSON out, with ECR's
//! shapes: timestamps as epoch seconds, `imageTags` omitted on untagged images, paging by
//! `maxResults` (1..=1000, default 100) and an opaque `nextToken`. This module holds the
//! dispatch; what every operation shares is in `request` (parsing, registry checks) and
//! `shapes` (timestamps, paging tokens); the operations live in `images` and `repositories`.

mod images;
mod repositories;
mod request;
mod shapes;

use serde_json::Value;

use super::error::RegistryError;
use super::store::RegistryStore;

pub use request::Caller;

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

/// Calls an operation as a client signing for the registry's own region (`us-west-2`).
#[cfg(test)]
fn call(store: &RegistryStore, operation: &str, body: Value) -> Result<Value, RegistryError> {
    let caller = Caller {
        region: store.region().to_string(),
    };
    dispatch(store, &caller, operation, &body).expect("a served operation")
}
