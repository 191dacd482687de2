//! The verbs on resources: get, list, watch, create, update, patch, delete, the `status` and
//! `log` subresources, and SelfSubjectAccessReview / SelfSubjectRulesReview.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::ApiServer;
use super::patch::{self, PatchKind};
use super::resources::ResourceType;
use super::router::{ResourceRequest, json_response, parse_json, read_body, value_response};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{ApiError, success_status};
use super::store::{StoredObject, Target};
use super::table::{self, IncludeObject};

/// Whether the client asked for a `Table`.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// The object as served at `version`: the stored bytes when that is the storage version,
/// otherwise the same object relabelled with the requested apiVersion.
pub fn render(obj: &StoredObject, ty: &ResourceType, version: &str) -> Bytes {
    if version == ty.storage_version() {
        return obj.json.clone();
    }
    match serde_json::from_slice::<Value>(&obj.json) {
        Ok(mut v) => {
            v["apiVersion"] = json!(ty.api_version(version));
            serde_json::to_vec(&v)
                .map(Bytes::from)
                .unwrap_or_else(|_| obj.json.clone())
        }
        Err(_) => obj.json.clone(),
    }
}

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
        .registry()
        .get(rr.type_id)
        .cloned()
        .ok_or_else(|| ApiError::internal("unknown type"))?;
    let verb = verb_of(method, &rr)?;
    if srv.faults.denied(
        verb,
        &ty.group,
        &ty.plural,
        rr.subresource.as_deref(),
        rr.namespace.as_deref(),
    ) {
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
        let body = match super::protobuf::decode_review(&raw) {
            Some(v)
                if rr
                    .content_type
                    .starts_with("application/vnd.kubernetes.protobuf") =>
            {
                v
            }
            _ => parse_body(&rr, &raw)?,
        };
        return Ok(review(srv, &ty, body));
    }
    match rr.subresource.as_deref() {
        None | Some("status") => {}
        Some("log") if ty.group.is_empty() && ty.plural == "pods" && verb == "get" => {
            return super::podlog::pod_log(srv, &rr);
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
            single(&ty, &rr, &obj, StatusCode::OK)?
        }
        "list" => list(srv, &ty, &rr)?,
        "watch" => super::watch::start(srv, &ty, &rr)?,
        "create" => {
            let obj = parse_body(&rr, &read_body(body, srv.max_body).await?)?;
            check_kind(&ty, &obj)?;
            let stored = srv.store.create(rr.type_id, &ns, obj, rr.dry_run())?;
            single(&ty, &rr, &stored, StatusCode::CREATED)?
        }
        "update" => {
            let obj = parse_body(&rr, &read_body(body, srv.max_body).await?)?;
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
            single(&ty, &rr, &stored, StatusCode::OK)?
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
                single(&ty, &rr, &last, StatusCode::OK)?
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
            let labels = parse_labels(&rr)?;
            let fields = parse_fields(&rr)?;
            let page = srv.store.list(
                rr.type_id,
                rr.namespace.as_deref(),
                &labels,
                &fields,
                None,
                None,
            )?;
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

/// Parses a create/update body: JSON, or YAML when the client says so. Protobuf and CBOR
/// get 415, which makes Kubernetes clients fall back to JSON.
fn parse_body(rr: &ResourceRequest, raw: &[u8]) -> Result<Value, ApiError> {
    let ct = rr.content_type.split(';').next().unwrap_or_default().trim();
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
                .ok_or_else(|| ApiError::bad_request("the request body is empty: send an object"))
        }
        other => Err(ApiError::unsupported_media_type(
            other,
            "application/json, application/yaml",
        )),
    }
}

/// Makes sure `obj` is an object whose `metadata` is an object (created when absent), so
/// later field writes cannot fail; anything else is a 422 naming the field.
pub fn ensure_object(obj: &mut Value, kind: &str, name: &str) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::invalid(
            kind,
            name,
            vec![("".into(), "the object must be a JSON object".into())],
        ));
    };
    match map.get("metadata") {
        None | Some(Value::Null) => {
            map.insert("metadata".into(), json!({}));
            Ok(())
        }
        Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid(
            kind,
            name,
            vec![(
                "metadata".into(),
                "Invalid value: metadata must be an object".into(),
            )],
        )),
    }
}

fn check_kind(ty: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    if let Some(kind) = obj["kind"].as_str()
        && kind != ty.kind
    {
        return Err(ApiError::bad_request(format!(
            "the object's kind is {kind}, but the request is for {}: send it to the {kind} resource",
            ty.kind
        )));
    }
    Ok(())
}

/// One object, as JSON or as a one-row Table.
fn single(
    ty: &ResourceType,
    rr: &ResourceRequest,
    obj: &StoredObject,
    status: StatusCode,
) -> Result<Response, ApiError> {
    if wants_table(&rr.accept) {
        let v = obj.value()?;
        let include = IncludeObject::parse(rr.param("includeObject"));
        let row = table::row(ty, &rr.version, &v, include, jiff::Timestamp::now());
        let t = table::table(
            ty,
            &rr.version,
            vec![row],
            json!({"resourceVersion": obj.rv.to_string()}),
            true,
        );
        return Ok(value_response(status, &t));
    }
    Ok(json_response(status, render(obj, ty, &rr.version).to_vec()))
}

fn parse_labels(rr: &ResourceRequest) -> Result<LabelSelector, ApiError> {
    LabelSelector::parse(rr.param("labelSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(format!("invalid labelSelector: {e}")))
}

fn parse_fields(rr: &ResourceRequest) -> Result<FieldSelector, ApiError> {
    FieldSelector::parse(rr.param("fieldSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(format!("invalid fieldSelector: {e}")))
}

fn list(srv: &ApiServer, ty: &ResourceType, rr: &ResourceRequest) -> Result<Response, ApiError> {
    let labels = parse_labels(rr)?;
    let fields = parse_fields(rr)?;
    let limit = match rr.param("limit") {
        None | Some("") => None,
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("invalid limit '{l}': use a non-negative integer"))
        })?),
    };
    let page = srv.store.list(
        rr.type_id,
        rr.namespace.as_deref(),
        &labels,
        &fields,
        limit,
        rr.param("continue"),
    )?;
    let mut meta = json!({"resourceVersion": page.rv.to_string()});
    if let Some(c) = &page.continue_token {
        meta["continue"] = json!(c);
    }
    if let Some(r) = page.remaining {
        meta["remainingItemCount"] = json!(r);
    }
    if wants_table(&rr.accept) {
        let include = IncludeObject::parse(rr.param("includeObject"));
        let now = jiff::Timestamp::now();
        let rows = page
            .items
            .iter()
            .map(|o| {
                o.value()
                    .map(|v| table::row(ty, &rr.version, &v, include, now))
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(value_response(
            StatusCode::OK,
            &table::table(ty, &rr.version, rows, meta, true),
        ));
    }
    // The list is assembled from the stored bytes: no object is parsed or re-serialised.
    let header = json!({
        "kind": format!("{}List", ty.kind),
        "apiVersion": ty.api_version(&rr.version),
        "metadata": meta,
    })
    .to_string();
    let size: usize =
        page.items.iter().map(|o| o.json.len() + 1).sum::<usize>() + header.len() + 16;
    let mut out = Vec::with_capacity(size);
    // `header` is a JSON object: reopen its closing brace to append the items.
    out.extend_from_slice(header.strip_suffix('}').unwrap_or(&header).as_bytes());
    out.extend_from_slice(b",\"items\":[");
    for (i, o) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&render(o, ty, &rr.version));
    }
    out.extend_from_slice(b"]}");
    Ok(json_response(StatusCode::OK, out))
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
    let now = super::store::now_rfc3339();
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
    single(
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
    let denied = srv.faults.denied(
        &verb,
        &group,
        &resource,
        Some(sub.as_str()).filter(|x| !x.is_empty()),
        Some(ns.as_str()).filter(|x| !x.is_empty()),
    );
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
