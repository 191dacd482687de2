//! The sandbox's Kubernetes API server: discovery, store, list/watch/write verbs, tables,
//! bearer-token auth, faults and a request log. One axum fallback handler routes every path
//! (the API's path space is too irregular for a route table).
//!
//! The modules depend on each other one way, from the bottom up:
//!
//! - data and values: `resources` (the kinds served; the built-ins come from
//!   `builtin_kinds.yaml`), `selectors`, `status` (errors as `Status` values), `patch`,
//!   `table`, `defaults`, `logbook`, `faults`, `protobuf`;
//! - `validation`: the checks a write passes, as `Status` errors;
//! - `store`: objects, resourceVersions and the watch history (no HTTP);
//! - `request` and `respond`: reading a resource request, writing HTTP responses;
//! - `server`: the state handlers share; `discovery`;
//! - the handlers: `verbs` (with `watch`, `logs`, `review`), `admin`, `bench`;
//! - `router`: authentication, faults, the request log and path resolution, on top;
//! - `tls` and `serve`: the listener.

pub mod admin;
pub mod bench;
pub mod defaults;
pub mod discovery;
pub mod faults;
pub mod logbook;
pub mod patch;
pub mod podlog;
pub mod protobuf;
pub mod request;
pub mod resources;
pub mod respond;
pub mod review;
pub mod router;
pub mod selectors;
pub mod serve;
pub mod server;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;
pub mod validation;
pub mod verbs;
pub mod watch;

pub use router::app;
pub use server::{ApiServer, DEFAULT_MAX_BODY};
pub use status::SANDBOX_USER;
