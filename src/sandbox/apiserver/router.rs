//! The HTTP front: bearer-token auth, faults, the request log, and the mapping of Kubernetes
//! API paths onto resource requests.
//!
//! Paths follow the API server's layout: `/api/v1/...` for the core group,
//! `/apis/<group>/<version>/...` for the rest, then `[namespaces/<ns>/]<resource>[/<name>[/<sub>]]`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::request::ResourceRequest;
use super::resources::TypeId;
use super::respond::value_response;
use super::server::ApiServer;
use super::status::ApiError;
use super::{admin, bench, discovery, verbs};

/// The axum app serving every path.
pub fn app(server: Arc<ApiServer>) -> Router {
    Router::new().fallback(handle).with_state(server)
}

fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    q.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn authorized(srv: &ApiServer, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.trim().as_bytes(), srv.token.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The one handler behind every path.
pub async fn handle(State(srv): State<Arc<ApiServer>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    // The harness's control paths: not API traffic, so neither authenticated nor logged.
    if srv.bench_api && path.starts_with("/bench/") {
        return bench::handle(&srv, req).await;
    }
    let response = if !authorized(&srv, req.headers()) {
        ApiError::unauthorized().into_response()
    } else if path == "/sandbox" || path.starts_with("/sandbox/") {
        admin::handle(&srv, req).await
    } else {
        api(&srv, req).await
    };
    srv.faults
        .log_request(method.as_str(), &path, &query, response.status().as_u16());
    response
}

async fn api(srv: &Arc<ApiServer>, req: Request) -> Response {
    if let Some(retry) = srv.faults.unavailable_for() {
        return ApiError::unavailable(retry).into_response();
    }
    let latency = srv.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = req.uri().path().trim_end_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let resources = srv.store.resources();
    let is_get = req.method() == Method::GET;
    let doc = match segs.as_slice() {
        ["version"] if is_get => Some(discovery::version()),
        ["healthz"] | ["livez"] | ["readyz"] if is_get => {
            return (StatusCode::OK, "ok").into_response();
        }
        ["api"] if is_get => Some(discovery::core_versions(&srv.address)),
        ["apis"] if is_get => Some(discovery::groups(resources)),
        ["apis", g] if is_get => discovery::group(resources, g),
        ["api", v] if is_get => discovery::resources(resources, "", v),
        ["apis", g, v] if is_get => discovery::resources(resources, g, v),
        ["api", ..] | ["apis", ..] => None,
        _ => return ApiError::no_route(&path).into_response(),
    };
    if let Some(doc) = doc {
        return value_response(StatusCode::OK, &doc);
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return ApiError::no_route(&path).into_response(),
    };
    let parsed = match resolve(srv, group, version, rest) {
        Some(p) => p,
        None => return ApiError::no_route(&path).into_response(),
    };
    let headers = req.headers();
    let header_str = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let rr = ResourceRequest {
        type_id: parsed.0,
        version: version.to_string(),
        namespace: parsed.1,
        name: parsed.2,
        subresource: parsed.3,
        query: parse_query(req.uri().query()),
        accept: header_str(header::ACCEPT),
        content_type: header_str(header::CONTENT_TYPE),
    };
    let method = req.method().clone();
    let body = req.into_body();
    match verbs::dispatch(srv, &method, rr, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

type Resolved = (TypeId, Option<String>, Option<String>, Option<String>);

/// Maps the segments after `/api/v1` or `/apis/<g>/<v>` onto a resource request.
fn resolve(srv: &ApiServer, group: &str, version: &str, rest: &[&str]) -> Option<Resolved> {
    let resources = srv.store.resources();
    let find = |plural: &str| resources.by_path(group, version, plural);
    let namespaced = |id: TypeId| resources.get(id).is_some_and(|t| t.namespaced);
    let s = |x: &&str| Some(x.to_string());
    match rest {
        // namespaces/<ns>/<resource>[/<name>[/<sub>]] for namespaced resources
        ["namespaces", ns, plural, tail @ ..] if find(plural).is_some_and(namespaced) => {
            let id = find(plural)?;
            match tail {
                [] => Some((id, s(ns), None, None)),
                [name] => Some((id, s(ns), s(name), None)),
                [name, sub] => Some((id, s(ns), s(name), s(sub))),
                _ => None,
            }
        }
        [plural, tail @ ..] => {
            let id = find(plural)?;
            match tail {
                [] => Some((id, None, None, None)),
                [name] if !namespaced(id) => Some((id, None, s(name), None)),
                [name, sub] if !namespaced(id) => Some((id, None, s(name), s(sub))),
                _ => None,
            }
        }
        [] => None,
    }
}
