//! The embedded Flux-on-Kubernetes sandbox: a real HTTP server speaking the Kubernetes API
//! (`apiserver`), seeded by a scenario (`scenario`), with simulated controllers.

pub mod apiserver;
pub mod crds;
pub mod scenario;
pub mod schema;
