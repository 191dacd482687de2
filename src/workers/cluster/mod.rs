//! The cluster worker: connects like kubectl, discovers the Flux API versions the cluster
//! serves, and runs kube-runtime watchers with backoff for the Flux kinds and the app's pods;
//! it acts on Flux objects with the flux CLI's semantics (`act`) and streams the pod log the
//! log view asks for (`logs`).

pub mod act;
pub mod connect;
pub mod discovery;
pub mod logs;
pub mod raw;
pub mod sandbox_ci;
mod session;
pub mod watch;
mod watchers;
pub mod worker;
