//! ECR's response shapes every operation shares: timestamps as epoch seconds, page sizes and
//! opaque `nextToken`s.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::super::error::RegistryError;

/// ECR's default page size when `maxResults` is absent.
const DEFAULT_PAGE: usize = 100;
/// ECR's largest page.
const MAX_PAGE: usize = 1000;

/// A time as ECR writes it: seconds since the epoch, with a fraction.
pub(super) fn epoch_seconds(t: Timestamp) -> Value {
    json!(t.as_millisecond() as f64 / 1000.0)
}

/// The page size `maxResults` asks for (ECR's default without one).
pub(super) fn page_size(max_results: Option<i64>) -> Result<usize, RegistryError> {
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
pub(super) fn decode_token(token: Option<&str>, scope: &str) -> Result<u64, RegistryError> {
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

/// The `nextToken` of position `position` in `scope`.
pub(super) fn encode_token(scope: &str, position: u64) -> String {
    STANDARD.encode(format!("{scope}|{position}"))
}
