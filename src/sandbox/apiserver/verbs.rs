//! The verbs on resources: get, list, watch, create, update, patch, delete and
//! deletecollection, the `status` subresource, and the hand-off to the `log` subresource
//! (`logs`) and the create-only review kinds (`review`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::faults::Access;
use super::patch::{self, PatchKind};
use super::podlog::pod_log;
use super::request::{ResourceRequest, parse_json, read_body};
use super::resources::ResourceType;
use super::respond::{self, value_response};
use super::review;
use super::server::ApiServer;
use super::status::{ApiError, success_status};
use super::store::list::ListPage;
use super::store::{Target, now_rfc3339};
use super::validation::{check_kind, ensure_object};
use super::watch;

fn verb_of(method: &Method, rr: &ResourceRequest) -> Result<&'static str, ApiError> {
    let watch = matches!(rr.param("watch"), Some("true") | Some("1"));
    Ok(match (method.as_str(), rr.name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if watch => "watch",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        (m, _) => {
            return Err(ApiError::method_not_allowed(
                m,
                rr.name.as_deref().unwrap_or("collection"),
            ));
        }
    })
}

/// Runs one resource request.
pub async fn dispatch(
    srv: &Arc<ApiServer>,
    method: &Method,
    rr: ResourceRequest,
    body: Body,
) -> Result<Response, ApiError> {
    let ty = srv
        .store
        .resources()
        .get(rr.type_id)
        .cloned()
        .ok_or_else(|| ApiError::internal("unknown type"))?;
    let verb = verb_of(method, &rr)?;
    if srv.faults.denied(&Access {
        verb,
        group: &ty.group,
        resource: &ty.plural,
        subresource: rr.subresource.as_deref(),
        namespace: rr.namespace.as_deref(),
    }) {
        let mut e = ApiError::forbidden(
            verb,
            &ty.plural,
            &ty.group,
            rr.namespace.as_deref(),
            rr.name.as_deref(),
        );
        // The API server names a subresource in the resource it refuses (`pods/log`).
        if let Some(sub) = rr.subresource.as_deref() {
            let plural = &ty.plural;
            e.message = e.message.replace(
                &format!("resource \"{plural}\""),
                &format!("resource \"{plural}/{sub}\""),
            );
        }
        return Err(e);
    }
    if ty.create_only {
        if verb != "create" {
            return Err(ApiError::method_not_allowed(method.as_str(), &ty.plural));
        }
        let raw = read_body(body, srv.max_body).await?;
        return review::create(srv, &ty, &rr, &raw);
    }
    match rr.subresource.as_deref() {
        None | Some("status") => {}
        Some("log") if ty.group.is_empty() && ty.plural == "pods" && verb == "get" => {
            return pod_log(srv, &rr);
        }
        Some(other) => {
            return Err(ApiError::no_route(&format!(
                "{}/{}/{other}",
                ty.plural,
                rr.name.as_deref().unwrap_or_default()
            )));
        }
    }
    if rr.subresource.as_deref() == Some("status") && !ty.status_subresource {
        return Err(ApiError::no_route(&format!("{}/status", ty.plural)));
    }
    if ty.namespaced && rr.namespace.is_none() && !matches!(verb, "list" | "watch") {
        return Err(ApiError::no_route(&ty.plural));
    }
    let target = if rr.subresource.as_deref() == Some("status") {
        Target::Status
    } else {
        Target::Main
    };
    let ns = rr.namespace.clone().unwrap_or_default();
    let name = rr.name.clone().unwrap_or_default();
    let warn = ty
        .version(&rr.version)
        .and_then(|v| v.deprecation_warning.clone());
    let mut resp = match verb {
        "get" => {
            let obj = srv
                .store
                .get(rr.type_id, &ns, &name)
                .ok_or_else(|| ApiError::not_found(&ty.qualified_name(), &name))?;
            respond::object(&ty, &rr, &obj, StatusCode::OK)?
        }
        "list" => list(srv, &ty, &rr)?,
        "watch" => watch::start(srv, &ty, &rr)?,
        "create" => {
            let obj = rr.parse_body(&read_body(body, srv.max_body).await?)?;
            check_kind(&ty, &obj)?;
            let stored = srv.store.create(rr.type_id, &ns, obj, rr.dry_run())?;
            respond::object(&ty, &rr, &stored, StatusCode::CREATED)?
        }
        "update" => {
            let obj = rr.parse_body(&read_body(body, srv.max_body).await?)?;
            check_kind(&ty, &obj)?;
            let (stored, _) = srv.store.modify(
                rr.type_id,
                &ns,
                &name,
                target,
                rr.dry_run(),
                &|_old| Ok(obj.clone()),
                None,
            )?;
            respond::object(&ty, &rr, &stored, StatusCode::OK)?
        }
        "patch" => {
            let raw = read_body(body, srv.max_body).await?;
            patch_object(srv, &ty, &rr, target, &ns, &name, &raw)?
        }
        "delete" => {
            let last = srv.store.delete(rr.type_id, &ns, &name, rr.dry_run())?;
            if ty.custom {
                value_response(
                    StatusCode::OK,
                    &success_status(&ty.plural, &name, &last.uid),
                )
            } else {
                respond::object(&ty, &rr, &last, StatusCode::OK)?
            }
        }
        "deletecollection" if ty.group.is_empty() && ty.plural == "namespaces" => {
            // As on a real cluster: namespaces are deleted one by one.
            return Err(ApiError::method_not_allowed(
                "DELETE",
                "namespaces (delete them by name)",
            ));
        }
        "deletecollection" => {
            let page = selected(srv, &rr, false)?;
            for o in &page.items {
                srv.store
                    .delete(rr.type_id, &o.namespace, &o.name, rr.dry_run())?;
            }
            value_response(StatusCode::OK, &success_status(&ty.plural, "", ""))
        }
        other => return Err(ApiError::method_not_allowed(method.as_str(), other)),
    };
    if let Some(w) = warn
        && let Ok(v) = format!("299 - \"{w}\"").parse()
    {
        resp.headers_mut().insert(header::WARNING, v);
    }
    Ok(resp)
}

fn list(srv: &ApiServer, ty: &ResourceType, rr: &ResourceRequest) -> Result<Response, ApiError> {
    let page = selected(srv, rr, true)?;
    respond::list(ty, rr, &page)
}

/// The objects of the request's type and namespace its selectors pick: the page its `limit`
/// and `continue` ask for when `paged`, else all of them.
fn selected(srv: &ApiServer, rr: &ResourceRequest, paged: bool) -> Result<ListPage, ApiError> {
    let labels = rr.labels()?;
    let fields = rr.fields()?;
    let (limit, continue_token) = if paged {
        let limit = match rr.param("limit") {
            None | Some("") => None,
            Some(l) => Some(l.parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!("invalid limit '{l}': use a non-negative integer"))
            })?),
        };
        (limit, rr.param("continue"))
    } else {
        (None, None)
    };
    srv.store.list(
        rr.type_id,
        rr.namespace.as_deref(),
        &labels,
        &fields,
        limit,
        continue_token,
    )
}

#[allow(clippy::too_many_arguments)]
fn patch_object(
    srv: &ApiServer,
    ty: &ResourceType,
    rr: &ResourceRequest,
    target: Target,
    ns: &str,
    name: &str,
    raw: &[u8],
) -> Result<Response, ApiError> {
    let kind = PatchKind::from_content_type(&rr.content_type).ok_or_else(|| {
        ApiError::unsupported_media_type(
            &rr.content_type,
            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
        )
    })?;
    if kind == PatchKind::Strategic && ty.custom {
        // As on a real cluster: custom resources have no patch strategies.
        return Err(ApiError::unsupported_media_type(
            &rr.content_type,
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        ));
    }
    let body: Value = if kind == PatchKind::Apply {
        match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(_) => {
                let text = std::str::from_utf8(raw).map_err(|_| {
                    ApiError::bad_request("the apply body is not UTF-8 YAML or JSON")
                })?;
                crate::model::yaml::documents(text)
                    .map_err(|e| {
                        ApiError::bad_request(format!("the apply body is not valid YAML: {e}"))
                    })?
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::bad_request("the apply body is empty"))?
            }
        }
    } else {
        parse_json(raw)?
    };
    if kind != PatchKind::Json && !body.is_object() {
        return Err(ApiError::bad_request(
            "a merge, strategic or apply patch must be a JSON object",
        ));
    }
    let manager = rr.param("fieldManager").unwrap_or("unknown").to_string();
    if kind == PatchKind::Apply && rr.param("fieldManager").is_none() {
        return Err(ApiError::bad_request(
            "PATCH with apply requires the fieldManager query parameter (e.g. ?fieldManager=fluxdeck)",
        ));
    }
    let api_version = ty.api_version(&rr.version);
    let now = now_rfc3339();
    let apply = |old: &Value| -> Result<Value, ApiError> {
        let mut new = match kind {
            PatchKind::Merge | PatchKind::Apply => patch::merge_patch(old, &body),
            PatchKind::Json => patch::json_patch(old, &body)
                .map_err(|e| ApiError::invalid(&ty.kind, name, vec![("patch".into(), e.0)]))?,
            PatchKind::Strategic => patch::strategic_merge_patch(old, &body)
                .map_err(|e| ApiError::invalid(&ty.kind, name, vec![("patch".into(), e.0)]))?,
        };
        ensure_object(&mut new, &ty.kind, name)?;
        if kind == PatchKind::Apply {
            patch::record_manager(&mut new, &manager, "Apply", &api_version, &now);
        }
        // A patch carries no precondition unless it names a resourceVersion itself.
        if body["metadata"]["resourceVersion"].is_null() {
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
        }
        Ok(new)
    };
    let create = || -> Result<Value, ApiError> {
        let mut obj = body.clone();
        ensure_object(&mut obj, &ty.kind, name)?;
        obj["metadata"]["name"] = json!(name);
        patch::record_manager(&mut obj, &manager, "Apply", &api_version, &now);
        Ok(obj)
    };
    let creator: Option<&dyn Fn() -> Result<Value, ApiError>> = if kind == PatchKind::Apply {
        Some(&create)
    } else {
        None
    };
    let (stored, created) =
        srv.store
            .modify(rr.type_id, ns, name, target, rr.dry_run(), &apply, creator)?;
    respond::object(
        ty,
        rr,
        &stored,
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
    )
}
