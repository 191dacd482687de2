//! The sandbox's Kubernetes API server: discovery, store, list/watch/write verbs, auth, faults.

pub mod resources;
pub mod selectors;
pub mod status;

/// The user name the sandbox's token authenticates as (in Forbidden messages).
pub const SANDBOX_USER: &str = "fluxdeck-sandbox";
