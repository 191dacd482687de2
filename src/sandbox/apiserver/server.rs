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
    pub live: Option<Arc<dyn LivePipeline>>,
}

/// What `/sandbox/` serves of a live pipeline. `sandbox::live::Live` implements it; the API
/// server sees only this, so it does not import the pipeline that starts it.
pub trait LivePipeline: Send + Sync {
    /// The controllers' loop, as JSON (`window`: the max lag since the last window).
    fn stats(&self, window: bool) -> serde_json::Value;
    /// Where the pipeline's git host, registry and CI answer.
    fn endpoints(&self) -> serde_json::Value;
    /// Queues a build (`kind`: `ok`, `broken` or `missing`) of `app` (the next in turn when
    /// `None`); the build as JSON.
    fn request_build(&self, kind: &str, app: Option<&str>) -> Result<serde_json::Value, String>;
    /// The builds so far and how many images were pushed, as JSON.
    fn builds(&self) -> serde_json::Value;
    /// Build `number`'s log (of `app`, else of any application).
    fn build_log(&self, app: Option<&str>, number: u32) -> Option<String>;
}
