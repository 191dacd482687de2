//! The admin paths under `/sandbox/` (same token as the API): fault controls, the request
//! log and stats. See `faults` for the request shapes.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::faults::FaultRequest;
use super::request::read_body;
use super::respond::value_response;
use super::server::{ApiServer, LivePipeline};
use super::status::ApiError;

/// Handles `/sandbox/...`. `GET /sandbox/stats` also reports the live controllers' loop
/// (`?window=true` restarts its max lag, for per-window figures).
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
                .resources()
                .types()
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| (t.qualified_name(), json!(n)))
                .collect();
            let mut stats =
                json!({"resourceVersion": srv.store.current_rv().to_string(), "objects": by_type});
            if let Some(live) = &srv.live {
                let window = query.get("window").is_some_and(|v| v == "true" || v == "1");
                stats["controllers"] = live.stats(window);
            }
            Ok(value_response(StatusCode::OK, &stats))
        }
        (m, p) if p == "/sandbox/endpoints" || p.starts_with("/sandbox/ci") => {
            let Some(live) = &srv.live else {
                return Err(ApiError::no_route(&format!(
                    "{m} {p}: this sandbox plays no live pipeline (no CI, git host or registry); start one with `fluxdeck demo` or `fluxdeck sandbox --scenario sock-shop-live`"
                )));
            };
            ci(live.as_ref(), m, p, req).await
        }
        (m, p) => Err(ApiError::no_route(&format!(
            "{m} {p} (admin paths: /sandbox/faults, /sandbox/requests, /sandbox/stats, /sandbox/endpoints, /sandbox/ci/builds)"
        ))),
    }
}

/// `/sandbox/endpoints` and the CI: `POST /sandbox/ci/build` (`{"kind": "ok|broken|missing",
/// "app": "front-end"}`, both optional) queues a build; `GET /sandbox/ci/builds` lists them;
/// `GET /sandbox/ci/builds/<number>/log` (or `/<app>/<number>/log`) is a build's log.
async fn ci(
    live: &dyn LivePipeline,
    method: Method,
    path: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let segs: Vec<&str> = path.trim_start_matches("/sandbox/").split('/').collect();
    match (method, segs.as_slice()) {
        (Method::GET, ["endpoints"]) => Ok(value_response(StatusCode::OK, &live.endpoints())),
        (Method::POST, ["ci", "build"] | ["ci", "builds"]) => {
            let body = read_body(req.into_body(), 64 * 1024).await?;
            let asked: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                serde_json::from_slice(&body).map_err(|e| {
                    ApiError::bad_request(format!(
                        "invalid build request: {e}; send {{\"kind\": \"ok|broken|missing\", \"app\": \"front-end\"}} (both optional)"
                    ))
                })?
            };
            let build = live
                .request_build(
                    asked["kind"].as_str().unwrap_or("ok"),
                    asked["app"].as_str(),
                )
                .map_err(ApiError::bad_request)?;
            Ok(value_response(StatusCode::CREATED, &build))
        }
        (Method::GET, ["ci", "builds"]) => Ok(value_response(StatusCode::OK, &live.builds())),
        (Method::GET, ["ci", "builds", number, "log"]) => log(live, None, number),
        (Method::GET, ["ci", "builds", app, number, "log"]) => log(live, Some(app), number),
        (m, _) => Err(ApiError::no_route(&format!(
            "{m} {path} (CI paths: POST /sandbox/ci/build, GET /sandbox/ci/builds, GET /sandbox/ci/builds/NUMBER/log)"
        ))),
    }
}

fn log(live: &dyn LivePipeline, app: Option<&str>, number: &str) -> Result<Response, ApiError> {
    let n: u32 = number.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "build number '{number}' is not a number; see GET /sandbox/ci/builds"
        ))
    })?;
    match live.build_log(app, n) {
        Some(text) => Ok((
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            text,
        )
            .into_response()),
        None => Err(ApiError::not_found("builds", number)),
    }
}
