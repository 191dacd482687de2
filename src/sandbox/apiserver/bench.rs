//! The benchmark paths under `/bench/`, served only when the sandbox starts with
//! `--bench-api`: the control surface a peer benchmark harness drives, so fluxdeck can be
//! measured against its own sandbox exactly as against the harness's fake API server.
//!
//! - `GET /bench/summary`: the Kustomizations (`[[namespace, name], ...]`) and the Flux
//!   objects per namespace;
//! - `GET /bench/stats`: requests so far, by verb and resource;
//! - `POST /bench/touch?name=&ns=&token=&mode=revision|message`: a status write on one
//!   Kustomization, as a new commit applied (`revision`: the token leads a new
//!   `main@sha1:` revision) or a message change (`message`: the token ends the Ready message).
//!
//! The harness sends no bearer token, so these paths skip authentication; that is why they
//! are off by default. The sandbox listens on loopback only.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::TypeId;
use super::respond::value_response;
use super::selectors::{FieldSelector, LabelSelector};
use super::server::ApiServer;
use super::status::ApiError;
use super::store::{Target, now_rfc3339};

/// The API group suffix shared by every Flux kind.
const FLUX_GROUP_SUFFIX: &str = ".toolkit.fluxcd.io";

/// Handles `/bench/...` (the router calls this only when the bench API is on).
pub async fn handle(srv: &Arc<ApiServer>, req: Request) -> Response {
    let query: BTreeMap<String, String> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let path = req.uri().path().trim_end_matches('/');
    let result = match (req.method(), path) {
        (&Method::GET, "/bench/summary") => summary(srv),
        (&Method::GET, "/bench/stats") => Ok(stats(srv)),
        (&Method::POST, "/bench/touch") => touch(srv, &query),
        (m, p) => Err(ApiError::no_route(&format!(
            "{m} {p} (bench paths: GET /bench/summary, GET /bench/stats, POST /bench/touch)"
        ))),
    };
    match result {
        Ok(v) => value_response(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

fn kustomization_type(srv: &ApiServer) -> Result<TypeId, ApiError> {
    srv.store
        .resources()
        .types()
        .iter()
        .position(|t| t.kind == "Kustomization" && t.custom)
        .ok_or_else(|| {
            ApiError::internal(
                "the sandbox serves no Kustomization kind: start it with the Flux CRDs",
            )
        })
}

fn summary(srv: &ApiServer) -> Result<Value, ApiError> {
    let ks = kustomization_type(srv)?;
    let all = |id: TypeId| {
        srv.store.list(
            id,
            None,
            &LabelSelector::default(),
            &FieldSelector::default(),
            None,
            None,
        )
    };
    let kustomizations: Vec<Value> = all(ks)?
        .items
        .iter()
        .map(|o| json!([o.namespace, o.name]))
        .collect();
    let mut by_namespace: BTreeMap<String, u64> = BTreeMap::new();
    let flux_types = srv
        .store
        .resources()
        .types()
        .iter()
        .enumerate()
        .filter(|(_, t)| t.group.ends_with(FLUX_GROUP_SUFFIX))
        .map(|(id, _)| id);
    for id in flux_types {
        for o in all(id)?.items {
            *by_namespace.entry(o.namespace.clone()).or_default() += 1;
        }
    }
    let total: u64 = by_namespace.values().sum();
    Ok(json!({
        "kustomizations": kustomizations,
        "flux_by_namespace": by_namespace,
        "flux_total": total,
    }))
}

/// `GET kustomizations` for `/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations`: the verb
/// (`watch` for watches) and the resource, as the harness groups requests.
fn request_kind(method: &str, path: &str, query: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.as_slice() {
        ["api", _, rest @ ..] => rest,
        ["apis", _, _, rest @ ..] => rest,
        _ => return format!("{method} {path}"),
    };
    let rest = match rest {
        ["namespaces", _, tail @ ..] if !tail.is_empty() => tail,
        other => other,
    };
    let resource = rest.first().copied().unwrap_or("discovery");
    let watch = form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "watch" && (v == "true" || v == "1"));
    let verb = if watch { "WATCH" } else { method };
    format!("{verb} {resource}")
}

fn stats(srv: &ApiServer) -> Value {
    let log = srv.faults.requests(0);
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_verb: BTreeMap<String, u64> = BTreeMap::new();
    for r in &log {
        *by_kind
            .entry(request_kind(&r.method, &r.path, &r.query))
            .or_default() += 1;
        *by_verb.entry(r.method.clone()).or_default() += 1;
    }
    json!({
        "requests_total": log.last().map_or(0, |r| r.seq),
        "by_verb": by_verb,
        "by_kind": by_kind,
        // Watches are not counted by the sandbox; null says so rather than a made-up zero.
        "open_watches": null,
        "resource_version": srv.store.current_rv(),
    })
}

fn touch(srv: &ApiServer, query: &BTreeMap<String, String>) -> Result<Value, ApiError> {
    let param = |k: &str| query.get(k).map(String::as_str).unwrap_or_default();
    let (name, namespace, token) = (param("name"), param("ns"), param("token"));
    if name.is_empty() || namespace.is_empty() {
        return Err(ApiError::bad_request(
            "POST /bench/touch needs the Kustomization's name and namespace: ?name=NAME&ns=NS&token=HEX",
        ));
    }
    let mode = match param("mode") {
        "" | "revision" => Mode::Revision,
        "message" => Mode::Message,
        other => {
            return Err(ApiError::bad_request(format!(
                "POST /bench/touch: unknown mode `{other}`: use mode=revision or mode=message"
            )));
        }
    };
    let id = kustomization_type(srv)?;
    let change = |old: &Value| Ok(touched(old, token, mode));
    let (stored, _) =
        srv.store
            .modify(id, namespace, name, Target::Status, false, &change, None)?;
    let message = stored
        .value()
        .ok()
        .and_then(|v| ready_message(&v).map(str::to_owned));
    Ok(json!({
        "name": name,
        "namespace": namespace,
        "token": token,
        "mode": mode.as_str(),
        "resourceVersion": stored.rv.to_string(),
        "monotonic_ns": monotonic_ns(),
        "time_ns": i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(0),
        "message": message,
    }))
}

/// What a touch changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A new applied revision whose sha starts with the token.
    Revision,
    /// The token appended to the Ready message.
    Message,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Revision => "revision",
            Mode::Message => "message",
        }
    }
}

fn ready_message(obj: &Value) -> Option<&str> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")?["message"]
        .as_str()
}

/// The Kustomization `old` after a touch with `token`.
fn touched(old: &Value, token: &str, mode: Mode) -> Value {
    let mut new = old.clone();
    let status = &mut new["status"];
    if !status.is_object() {
        *status = json!({});
    }
    let revision = match mode {
        Mode::Revision => {
            let hex: String = token
                .chars()
                .filter(char::is_ascii_hexdigit)
                .map(|c| c.to_ascii_lowercase())
                .collect();
            // Pad with the old sha so the revision stays a 40-hex sha1.
            let old_sha = status["lastAppliedRevision"]
                .as_str()
                .and_then(|r| r.rsplit(':').next())
                .unwrap_or_default();
            let sha: String = hex
                .chars()
                .chain(old_sha.chars())
                .chain(std::iter::repeat('0'))
                .take(40)
                .collect();
            let revision = format!("main@sha1:{sha}");
            status["lastAppliedRevision"] = json!(revision);
            status["lastAttemptedRevision"] = json!(revision);
            revision
        }
        Mode::Message => status["lastAppliedRevision"]
            .as_str()
            .unwrap_or("main@sha1:unknown")
            .to_owned(),
    };
    let message = match mode {
        Mode::Revision => format!("Applied revision: {revision}"),
        Mode::Message => format!("Applied revision: {revision} {token}"),
    };
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    if let Some(conditions) = status["conditions"].as_array_mut() {
        match conditions.iter_mut().find(|c| c["type"] == "Ready") {
            Some(ready) => ready["message"] = json!(message),
            None => conditions.push(json!({
                "type": "Ready",
                "status": "True",
                "reason": "ReconciliationSucceeded",
                "message": message,
                "lastTransitionTime": now_rfc3339(),
            })),
        }
    }
    new
}

/// `CLOCK_MONOTONIC` in nanoseconds: the harness compares it with its own
/// `time.monotonic()` to split the latency at the server's emit.
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call, and
    // CLOCK_MONOTONIC is always available on Linux; on failure `ts` stays zero.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 0;
    }
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks() -> Value {
        json!({"status": {
            "lastAppliedRevision": "main@sha1:1111111111111111111111111111111111111111",
            "conditions": [{"type": "Ready", "status": "True", "message": "Applied revision: x"}]
        }})
    }

    #[test]
    fn a_revision_touch_starts_the_new_sha_with_the_token() {
        let new = touched(&ks(), "ABCdef123456", Mode::Revision);
        let rev = new["status"]["lastAppliedRevision"].as_str().unwrap();
        assert_eq!(rev, "main@sha1:abcdef1234561111111111111111111111111111");
        assert_eq!(new["status"]["lastAttemptedRevision"], rev);
        assert_eq!(
            ready_message(&new),
            Some(format!("Applied revision: {rev}").as_str())
        );
    }

    #[test]
    fn a_message_touch_keeps_the_revision_and_appends_the_token() {
        let new = touched(&ks(), "feedbeef0001", Mode::Message);
        assert_eq!(
            new["status"]["lastAppliedRevision"],
            ks()["status"]["lastAppliedRevision"]
        );
        assert!(ready_message(&new).unwrap().ends_with(" feedbeef0001"));
        let bare = touched(&json!({}), "aa", Mode::Message);
        assert_eq!(bare["status"]["conditions"][0]["type"], "Ready");
    }

    #[test]
    fn requests_group_by_verb_and_resource() {
        let kind = |m, p, q| request_kind(m, p, q);
        assert_eq!(
            kind(
                "GET",
                "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
                "watch=true&resourceVersion=5"
            ),
            "WATCH kustomizations"
        );
        assert_eq!(
            kind("GET", "/api/v1/namespaces/sock-shop/pods", "limit=500"),
            "GET pods"
        );
        assert_eq!(kind("GET", "/api/v1/namespaces", ""), "GET namespaces");
        assert_eq!(kind("GET", "/version", ""), "GET /version");
    }

    #[test]
    fn the_monotonic_clock_moves_forward() {
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(a > 0 && b >= a);
    }
}
