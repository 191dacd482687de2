//! The admin paths under `/sandbox/` (same token as the API): fault controls, the request
//! log and stats. See `faults` for the request shapes.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ApiServer;
use super::faults::FaultRequest;
use super::router::{read_body, value_response};
use super::status::ApiError;

/// Handles `/sandbox/...`.
pub async fn handle(srv: &Arc<ApiServer>, req: Request) -> Response {
    match run(srv, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run(srv: &Arc<ApiServer>, req: Request) -> Result<Response, ApiError> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let query: std::collections::HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/sandbox/faults") => {
            Ok(value_response(StatusCode::OK, &srv.faults.describe()))
        }
        (Method::POST, "/sandbox/faults") => {
            let body = read_body(req.into_body(), srv.max_body).await?;
            let fr: FaultRequest = serde_json::from_slice(&body).map_err(|e| {
                ApiError::bad_request(format!(
                    "invalid fault request: {e}; fields: closeWatches, expireResourceVersions, unavailableSeconds, latencyMs, deny, allow, bookmarkNow, reset"
                ))
            })?;
            if fr.expire_resource_versions {
                srv.store.expire_all();
            }
            srv.faults.apply(&fr);
            Ok(value_response(StatusCode::OK, &srv.faults.describe()))
        }
        (Method::GET, "/sandbox/requests") => {
            let since = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            Ok(value_response(
                StatusCode::OK,
                &json!({"requests": srv.faults.requests(since)}),
            ))
        }
        (Method::DELETE, "/sandbox/requests") => {
            srv.faults.clear_requests();
            Ok(value_response(StatusCode::OK, &json!({"requests": []})))
        }
        (Method::GET, "/sandbox/stats") => {
            let counts = srv.store.counts();
            let by_type: serde_json::Map<String, serde_json::Value> = srv
                .store
                .registry()
                .types()
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| (t.qualified_name(), json!(n)))
                .collect();
            Ok(value_response(
                StatusCode::OK,
                &json!({"resourceVersion": srv.store.current_rv().to_string(), "objects": by_type}),
            ))
        }
        (m, p) => Err(ApiError::no_route(&format!(
            "{m} {p} (admin paths: /sandbox/faults, /sandbox/requests, /sandbox/stats)"
        ))),
    }
}
