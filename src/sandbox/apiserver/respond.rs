//! HTTP responses: JSON bodies, errors as `Status` bodies (with `Retry-After` when the error
//! carries one), and stored objects and lists as JSON at the requested version or as a
//! `Table`; the streamed bodies of watches and followed logs.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::request::ResourceRequest;
use super::resources::ResourceType;
use super::status::ApiError;
use super::store::StoredObject;
use super::store::list::ListPage;
use super::table::{self, IncludeObject};

/// A JSON response.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A JSON value response.
pub fn value_response(status: StatusCode, v: &Value) -> Response {
    json_response(status, v.to_string().into_bytes())
}

/// A streamed 200 response of `content_type`: what is sent on `rx` until its senders go.
pub fn streamed(
    content_type: &'static str,
    rx: mpsc::Receiver<Result<Bytes, Infallible>>,
) -> Result<Response, ApiError> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .map_err(|e| ApiError::internal(e.to_string()))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.to_status().to_string();
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (code, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

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

/// One object, as JSON or as a one-row Table.
pub fn object(
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

/// A page of a list, as a `<Kind>List` or as a Table.
pub fn list(
    ty: &ResourceType,
    rr: &ResourceRequest,
    page: &ListPage,
) -> Result<Response, ApiError> {
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
