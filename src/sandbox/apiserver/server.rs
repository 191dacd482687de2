//! The state every request handler shares: the store, the fault controls, the token and the
//! server's limits.

use std::sync::Arc;
use std::time::Duration;

use super::faults::Faults;
use super::store::Store;

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
