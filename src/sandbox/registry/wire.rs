//! The registry's HTTP endpoint: the AWS JSON 1.1 protocol as ECR speaks it.
//!
//! Every call is `POST /` with `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Op>` and a
//! JSON body; answers are JSON (`application/x-amz-json-1.1`), errors `{"__type", "message"}`
//! with HTTP 400 (500 for `ServerException`).
//!
//! Authentication: a request must carry a SigV4 `Authorization` header, but the signature is
//! not verified. This is a loopback sandbox with no secrets to protect; requiring the header
//! still catches a client that forgot to sign. The region in the credential scope selects the
//! registry's region, as it does on AWS.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::ops::{Caller, dispatch};
use super::store::{Fault, RegistryStore};
use crate::sandbox::error::SandboxError;
use crate::sandbox::serving::ServerTask;

/// The `X-Amz-Target` prefix of ECR's operations.
pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";

/// ECR accepts manifests up to 4 MiB; leave room for the JSON around one.
const MAX_BODY: usize = 6 * 1024 * 1024;

const JSON_1_1: &str = "application/x-amz-json-1.1";

/// An answer in ECR's error shape.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"__type": code, "message": message}).to_string();
    (
        status,
        [
            (header::CONTENT_TYPE, JSON_1_1),
            (header::HeaderName::from_static("x-amzn-errortype"), code),
        ],
        body,
    )
        .into_response()
}

fn ok(body: &Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, JSON_1_1)],
        body.to_string(),
    )
        .into_response()
}

/// The region of a SigV4 `Authorization` header's credential scope
/// (`AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`).
/// Errors are `(code, message)`, answered with HTTP 400.
fn signed_region(headers: &HeaderMap) -> Result<String, (&'static str, &'static str)> {
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return Err((
            "MissingAuthenticationTokenException",
            "Missing Authentication Token: sign the request with SigV4 (any credentials work against the sandbox)",
        ));
    };
    let incomplete = || {
        (
            "IncompleteSignatureException",
            "The Authorization header is not a SigV4 signature (AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/ecr/aws4_request, ...)",
        )
    };
    let text = auth.to_str().map_err(|_| incomplete())?;
    let scope = text
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .and_then(|rest| rest.split("Credential=").nth(1))
        .and_then(|rest| rest.split([',', ' ']).next())
        .ok_or_else(incomplete)?;
    match scope.split('/').collect::<Vec<_>>().as_slice() {
        [key, _date, region, _service, "aws4_request"] if !key.is_empty() && !region.is_empty() => {
            Ok((*region).to_string())
        }
        _ => Err(incomplete()),
    }
}

/// The one handler: auth, faults, then the operation.
async fn handle(State(store): State<Arc<RegistryStore>>, req: Request) -> Response {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .unwrap_or(&target)
        .to_string();
    let response = answer(&store, req, &operation).await;
    store.log_call(&operation, response.status().as_u16());
    response
}

async fn answer(store: &RegistryStore, req: Request, operation: &str) -> Response {
    if req.method() != Method::POST || req.uri().path() != "/" {
        return error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "the ECR API is served at POST / with an X-Amz-Target header",
        );
    }
    let region = match signed_region(req.headers()) {
        Ok(r) => r,
        Err((code, message)) => return error(StatusCode::BAD_REQUEST, code, message),
    };
    match store.take_fault() {
        Some(Fault::Throttle) => {
            return error(
                StatusCode::BAD_REQUEST,
                "ThrottlingException",
                "Rate exceeded",
            );
        }
        Some(Fault::ServerError) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServerException",
                "sandbox fault: internal server error (injected by fail_next)",
            );
        }
        None => {}
    }
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "the request body is unreadable or larger than 6 MiB",
            );
        }
    };
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    &format!("the request body is not JSON: {e}"),
                );
            }
        }
    };
    let caller = Caller { region };
    match dispatch(store, &caller, operation, &body) {
        Some(Ok(v)) => ok(&v),
        Some(Err(e)) => error(StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
        None => error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("the sandbox registry does not serve X-Amz-Target '{operation}'"),
        ),
    }
}

/// A running registry endpoint. Dropping it stops the server.
pub struct RegistryServer {
    server: ServerTask,
    /// `http://127.0.0.1:PORT`: give it to clients as the ECR endpoint URL.
    pub url: String,
}

impl RegistryServer {
    /// Stops serving and waits for the server to end.
    pub async fn shutdown(self) {
        self.server.stop().await;
    }
}

impl RegistryStore {
    /// Serves the registry on `listener` (must run inside a tokio runtime).
    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> Result<RegistryServer, SandboxError> {
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::Listen {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                source,
            })?;
        if !addr.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(addr));
        }
        let app = Router::new().fallback(handle).with_state(self.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("sandbox registry stopped: {e}");
            }
        });
        tracing::info!("sandbox registry serving on http://{addr}");
        Ok(RegistryServer {
            server: ServerTask::new(tx, task),
            url: format!("http://{addr}"),
        })
    }

    /// Binds `addr` (loopback only; port 0 picks one) and serves there.
    pub async fn start(self: &Arc<Self>, addr: SocketAddr) -> Result<RegistryServer, SandboxError> {
        if !addr.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(addr));
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Listen { addr, source })?;
        self.serve(listener)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    #[test]
    fn the_region_comes_from_the_credential_scope() {
        let h = headers(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-west-2/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        );
        assert_eq!(signed_region(&h).unwrap(), "us-west-2");
        for bad in [
            "Bearer abc",
            "AWS4-HMAC-SHA256 SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/ecr/aws4_request",
            "AWS4-HMAC-SHA256 Credential=/20260101/us-west-2/ecr/aws4_request",
        ] {
            assert_eq!(
                signed_region(&headers(bad)).unwrap_err().0,
                "IncompleteSignatureException",
                "{bad}"
            );
        }
        assert_eq!(
            signed_region(&HeaderMap::new()).unwrap_err().0,
            "MissingAuthenticationTokenException"
        );
    }
}
