//! What a resource request carries once the router has resolved its path: the type, version,
//! namespace, name, subresource, query and the two headers the verbs read; and how its body
//! and selectors are read (a 400 or 413 naming what is wrong otherwise).

use std::collections::HashMap;

use axum::body::Body;
use serde_json::Value;

use super::resources::TypeId;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;

/// A request for a resource path.
#[derive(Debug, Clone)]
pub struct ResourceRequest {
    /// The resource type.
    pub type_id: TypeId,
    /// The requested version.
    pub version: String,
    /// Namespace from the path (`None`: all namespaces, or a cluster-scoped kind).
    pub namespace: Option<String>,
    /// Object name from the path.
    pub name: Option<String>,
    /// Subresource (`status`, `log`).
    pub subresource: Option<String>,
    /// Query parameters.
    pub query: HashMap<String, String>,
    /// The `Accept` header.
    pub accept: String,
    /// The `Content-Type` header.
    pub content_type: String,
}

impl ResourceRequest {
    /// A query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// Whether `dryRun=All` was given.
    pub fn dry_run(&self) -> bool {
        self.param("dryRun") == Some("All")
    }

    /// The `labelSelector` parameter, parsed.
    pub fn labels(&self) -> Result<LabelSelector, ApiError> {
        LabelSelector::parse(self.param("labelSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("invalid labelSelector: {e}")))
    }

    /// The `fieldSelector` parameter, parsed.
    pub fn fields(&self) -> Result<FieldSelector, ApiError> {
        FieldSelector::parse(self.param("fieldSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("invalid fieldSelector: {e}")))
    }

    /// Parses a create/update body: JSON, or YAML when the client says so. Protobuf and CBOR
    /// get 415, which makes Kubernetes clients fall back to JSON.
    pub fn parse_body(&self, raw: &[u8]) -> Result<Value, ApiError> {
        let ct = self
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        match ct {
            "" | "application/json" | "*/*" => parse_json(raw),
            "application/yaml" => {
                let text = std::str::from_utf8(raw)
                    .map_err(|_| ApiError::bad_request("the YAML body is not UTF-8"))?;
                crate::model::yaml::documents(text)
                    .map_err(|e| {
                        ApiError::bad_request(format!("the request body is not valid YAML: {e}"))
                    })?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        ApiError::bad_request("the request body is empty: send an object")
                    })
            }
            other => Err(ApiError::unsupported_media_type(
                other,
                "application/json, application/yaml",
            )),
        }
    }
}

/// Reads a request body up to the server's limit (413 beyond it).
pub async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// Parses a JSON body (400 with the parser's message otherwise).
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the request body is empty: send a JSON object",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
}
