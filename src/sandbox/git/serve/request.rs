//! One connection and its requests: each is bounded in time, authenticated, routed to a bare
//! repository and answered by the backend, or refused with a short text that says why.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::auth::GitCredentials;
use super::auth::Presented;
use super::cgi::Backend;
use super::cgi::{CgiFailure, CgiRequest};
use super::route;
use super::route::RouteError;
use super::stats::Counters;

/// What every request needs.
pub(super) struct Ctx {
    pub(super) root: PathBuf,
    pub(super) backend: Backend,
    pub(super) creds: GitCredentials,
    pub(super) timeout: Duration,
    pub(super) counters: Arc<Counters>,
}

/// The `WWW-Authenticate` value of every 401 (the realm is [`REALM`](super::REALM)).
const CHALLENGE: &str = "Basic realm=\"fluxdeck sandbox git\"";

/// Accepts until `stop` fires (or its sender is dropped); then ends every connection.
pub(super) async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, ctx.clone()));
                }
                Err(e) => {
                    tracing::warn!("sandbox git: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn connection(stream: TcpStream, peer: SocketAddr, ctx: Arc<Ctx>) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(handle(&ctx, peer, req).await) }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = served {
        tracing::debug!("sandbox git: connection from {peer} ended: {e}");
    }
}

/// One request, logged without its query or headers (never a credential).
async fn handle(ctx: &Ctx, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = answer(ctx, peer, req).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "sandbox git request");
    response
}

async fn answer(ctx: &Ctx, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let counters = &ctx.counters;
    let repo = match route::parse_path(req.uri().path()) {
        Ok(repo) => repo,
        Err(RouteError::Outside) => {
            Counters::bump(&counters.rejected);
            return text(
                StatusCode::NOT_FOUND,
                format!(
                    "not found: repositories are served at {}/<name>",
                    route::PREFIX
                ),
            );
        }
        // No repository can have this name: nothing to hide from a stranger.
        Err(RouteError::NoSuchName(name)) => {
            Counters::bump(&counters.rejected);
            return repository_not_found(&name);
        }
        Err(RouteError::Bad(why)) => {
            Counters::bump(&counters.rejected);
            return text(StatusCode::BAD_REQUEST, format!("bad path: {why}"));
        }
    };
    let presented = req.headers().get(header::AUTHORIZATION);
    let user = match ctx.creds.check(presented.map(HeaderValue::as_bytes)) {
        Presented::Nothing => {
            Counters::bump(&counters.challenged);
            return challenge("authentication required");
        }
        Presented::Wrong => {
            Counters::bump(&counters.refused);
            return challenge("wrong user name or password");
        }
        Presented::Right(user) => user,
    };
    // Only after authentication: a stranger learns nothing about which repositories exist.
    if !is_bare_repository(&ctx.root.join(&repo.name)) {
        Counters::bump(&counters.rejected);
        return repository_not_found(&repo.name);
    }
    let (parts, body) = req.into_parts();
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let cgi = CgiRequest {
        method: parts.method.to_string(),
        path_info: repo.path_info(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        content_type: header(header::CONTENT_TYPE),
        content_length: header(header::CONTENT_LENGTH),
        content_encoding: header(header::CONTENT_ENCODING),
        git_protocol: header(header::HeaderName::from_static("git-protocol")),
        remote_user: user,
        remote_addr: peer.ip().to_string(),
    };
    let deadline = tokio::time::Instant::now() + ctx.timeout;
    match ctx
        .backend
        .run(&ctx.root, cgi, body, deadline, counters.clone())
        .await
    {
        Ok((status, headers, body)) => {
            if status.is_server_error() {
                Counters::bump(&counters.failed);
            } else {
                Counters::bump(&counters.served);
            }
            response(status, headers, body)
        }
        Err(failure) => {
            Counters::bump(&counters.failed);
            tracing::debug!(path = %repo.path_info(), "sandbox git: {failure}");
            match failure {
                CgiFailure::TimedOut => text(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "git http-backend did not answer within {}s",
                        ctx.timeout.as_secs_f32()
                    ),
                ),
                other => text(StatusCode::BAD_GATEWAY, other.to_string()),
            }
        }
    }
}

/// A bare repository: `HEAD` and `objects/` at the top (a working tree has them in `.git`).
pub(super) fn is_bare_repository(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir()
}

fn response(status: StatusCode, headers: HeaderMap, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response(status, headers, Body::from(format!("{message}\n")))
}

/// CodeCommit's answer for a repository that is not there.
fn repository_not_found(name: &str) -> Response<Body> {
    text(
        StatusCode::NOT_FOUND,
        format!("repository '{name}' not found"),
    )
}

pub(super) fn challenge(message: &str) -> Response<Body> {
    let mut r = text(StatusCode::UNAUTHORIZED, message.to_string());
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE),
    );
    r
}
