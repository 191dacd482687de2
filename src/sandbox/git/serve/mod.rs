//! The sandbox's bare repositories over git smart HTTP, as AWS CodeCommit serves git over
//! HTTPS: `http://127.0.0.1:PORT/v1/repos/<name>`, one user with Basic authentication, on
//! loopback only. Real git clients use it unchanged: the `git` CLI, libgit2 (fluxdeck's own
//! git worker), any GitOps UI; and the GitRepository CRD accepts the URL (it refuses
//! `file://`).
//!
//! The git protocol itself is git's: each authenticated request runs `git http-backend` as
//! a CGI program (`cgi`), so fetches, protocol v2, gzip request bodies and pushes behave
//! exactly as with any git server. This module holds the server and its options; its start
//! errors are in `error`, its counts in `stats`; `request` holds what every request needs and
//! answers each request: routes it (`route`), authenticates it (`auth`) and bounds it in time. Pushes are allowed, but only fast-forwards: the backend runs with
//! `receive.denyNonFastForwards`, and the server never moves a branch itself.

mod auth;
mod cgi;
mod error;
mod request;
mod route;
mod stats;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use auth::GitCredentials;
pub use cgi::BackendLookup;
pub use error::GitServeError;
pub use route::repo_name_of;
pub use stats::GitServerStats;

use cgi::Backend;

use crate::sandbox::serving::ServerTask;

use request::{Ctx, accept_loop};
use stats::Counters;

/// The realm of the Basic challenge.
pub const REALM: &str = "fluxdeck sandbox git";

/// How long one request may run before its backend is killed.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How a server runs, beyond where and for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitServerOptions {
    /// Where `git http-backend` comes from (`git --exec-path` of `git` on `PATH` by default).
    pub backend: BackendLookup,
    /// The bound on one request, body included: a backend still running then is killed
    /// with everything it started, and the client sees `504` or a cut transfer.
    pub request_timeout: Duration,
}

impl Default for GitServerOptions {
    fn default() -> Self {
        GitServerOptions {
            backend: BackendLookup::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// A running server; stopping it (or dropping it) ends every request in flight and kills
/// their backends.
pub struct GitServer {
    server: ServerTask,
    addr: SocketAddr,
    root: PathBuf,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for GitServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitServer")
            .field("addr", &self.addr)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl GitServer {
    /// Serves every bare repository directly under `root` (`<root>/<name>`, no `.git`
    /// suffix needed) at `http://<addr>/v1/repos/<name>` to `creds`. Loopback only (any
    /// other address is an error); port 0 picks a free port. Fails at once, with one line
    /// saying what to install, when `git http-backend` cannot be found or run.
    pub async fn start(
        root: PathBuf,
        listen: SocketAddr,
        creds: GitCredentials,
    ) -> Result<GitServer, GitServeError> {
        Self::start_with(root, listen, creds, GitServerOptions::default()).await
    }

    /// [`GitServer::start`] with a chosen backend and request timeout.
    pub async fn start_with(
        root: PathBuf,
        listen: SocketAddr,
        creds: GitCredentials,
        options: GitServerOptions,
    ) -> Result<GitServer, GitServeError> {
        if !listen.ip().is_loopback() {
            return Err(GitServeError::NotLoopback { addr: listen });
        }
        if !root.is_dir() {
            return Err(GitServeError::RootMissing { root });
        }
        // The backend runs with the server's working directory; an absolute root keeps
        // GIT_PROJECT_ROOT right whatever that is.
        let root = std::path::absolute(&root).unwrap_or(root);
        let backend = Backend::find(&options.backend, &root).await?;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| GitServeError::Listen {
                addr: listen,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| GitServeError::Listen {
                addr: listen,
                source,
            })?;
        let counters = Arc::new(Counters::default());
        let ctx = Arc::new(Ctx {
            root: root.clone(),
            backend,
            creds,
            timeout: options.request_timeout,
            counters: counters.clone(),
        });
        tracing::info!(
            root = %root.display(),
            backend = %ctx.backend.program().display(),
            "sandbox git serving on http://{addr}{}",
            route::PREFIX
        );
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, ctx, stopped));
        Ok(GitServer {
            server: ServerTask::new(stop, task),
            addr,
            root,
            counters,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The directory whose repositories it serves (absolute).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `http://127.0.0.1:PORT/v1/repos`: every repository URL starts so.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, route::PREFIX)
    }

    /// `http://127.0.0.1:PORT/v1/repos/<name>`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base_url())
    }

    /// The repository `url` names when it is one of this server's URLs (see
    /// [`repo_name_of`]); whether it exists on disk is not checked.
    pub fn repo_name_of(&self, url: &str) -> Option<String> {
        repo_name_of(&self.base_url(), url)
    }

    /// The counters so far.
    pub fn stats(&self) -> GitServerStats {
        self.counters.snapshot()
    }

    /// Stops accepting, ends the requests in flight and kills their backends; returns once
    /// all of that is done.
    pub async fn shutdown(self) {
        self.server.stop().await;
    }
}

#[cfg(test)]
mod tests;
