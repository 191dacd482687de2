//! The create-only review kinds: SelfSubjectAccessReview (allowed unless a deny fault
//! matches) and SelfSubjectRulesReview (everything), in JSON, YAML or protobuf.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::faults::Access;
use super::protobuf;
use super::request::ResourceRequest;
use super::resources::ResourceType;
use super::respond::value_response;
use super::server::ApiServer;
use super::status::ApiError;

/// Answers a review created with the body `raw` (protobuf when the client sends it, as
/// kubectl does for SelfSubjectAccessReview; JSON or YAML otherwise).
pub fn create(
    srv: &ApiServer,
    ty: &ResourceType,
    rr: &ResourceRequest,
    raw: &[u8],
) -> Result<Response, ApiError> {
    let body = match protobuf::decode_review(raw) {
        Some(v)
            if rr
                .content_type
                .starts_with("application/vnd.kubernetes.protobuf") =>
        {
            v
        }
        _ => rr.parse_body(raw)?,
    };
    Ok(review(srv, ty, body))
}

/// SelfSubjectAccessReview (allowed unless a deny fault matches) and
/// SelfSubjectRulesReview (everything, minus nothing: deny rules are not listed).
fn review(srv: &ApiServer, ty: &ResourceType, mut body: Value) -> Response {
    if !body.is_object() {
        return ApiError::bad_request(format!("a {} must be a JSON object", ty.kind))
            .into_response();
    }
    if ty.kind == "SelfSubjectRulesReview" {
        body["status"] = json!({
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        });
        return value_response(StatusCode::CREATED, &body);
    }
    let attrs = &body["spec"]["resourceAttributes"];
    let s = |k: &str| attrs[k].as_str().unwrap_or_default().to_string();
    let (verb, group, resource, sub, ns) = (
        s("verb"),
        s("group"),
        s("resource"),
        s("subresource"),
        s("namespace"),
    );
    let denied = srv.faults.denied(&Access {
        verb: &verb,
        group: &group,
        resource: &resource,
        subresource: Some(sub.as_str()).filter(|x| !x.is_empty()),
        namespace: Some(ns.as_str()).filter(|x| !x.is_empty()),
    });
    body["status"] = if denied {
        json!({"allowed": false, "denied": true, "reason": format!("sandbox fault: {verb} on {resource} is denied")})
    } else {
        json!({"allowed": true, "reason": "the sandbox allows everything its token asks for"})
    };
    if body["apiVersion"].is_null() {
        body["apiVersion"] = json!("authorization.k8s.io/v1");
        body["kind"] = json!("SelfSubjectAccessReview");
    }
    value_response(StatusCode::CREATED, &body)
}
