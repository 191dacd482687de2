//! The sandbox's Kubernetes API server: discovery, store, list/watch/write verbs, tables,
//! bearer-token auth, faults and a request log. One axum fallback handler routes every path
//! (the API's path space is too irregular for a route table).

pub mod admin;
pub mod bench;
pub mod defaults;
pub mod discovery;
pub mod faults;
pub mod logbook;
pub mod patch;
pub mod podlog;
pub mod protobuf;
pub mod resources;
pub mod router;
pub mod selectors;
pub mod serve;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;
pub mod verbs;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use faults::Faults;
use store::Store;

/// The user name the sandbox's token authenticates as (in Forbidden messages).
pub const SANDBOX_USER: &str = "fluxdeck-sandbox";

/// Largest request body accepted (the API server's limit for one object is 3 MiB).
pub const DEFAULT_MAX_BODY: usize = 3 * 1024 * 1024;

/// Everything a request handler needs.
pub struct ApiServer {
    /// The objects.
    pub store: Arc<Store>,
    /// Fault controls and request log.
    pub faults: Arc<Faults>,
    /// The bearer token clients must send.
    pub token: String,
    /// `host:port` the server listens on (served in `/api`).
    pub address: String,
    /// Largest accepted request body.
    pub max_body: usize,
    /// How often watches that allow bookmarks get one.
    pub bookmark_interval: Duration,
    /// Serve the benchmark harness's unauthenticated `/bench/` paths (see `bench`).
    pub bench_api: bool,
    /// The live pipeline (CI and endpoints under `/sandbox/`), when the sandbox plays one.
    pub live: Option<Arc<crate::sandbox::live::Live>>,
}

/// The axum app serving every path.
pub fn app(server: Arc<ApiServer>) -> Router {
    Router::new().fallback(router::handle).with_state(server)
}
