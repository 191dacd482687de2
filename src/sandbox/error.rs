//! Why a sandbox could not start.

use std::net::SocketAddr;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The listen address is not usable.
    #[error("cannot listen on {addr}: {source}; pick another port with --listen 127.0.0.1:PORT")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The sandbox only listens on loopback.
    #[error("the sandbox only listens on loopback addresses, not {0}; use 127.0.0.1:PORT")]
    NotLoopback(SocketAddr),
    /// Embedded CRDs or seed objects are broken.
    #[error("{0}")]
    Seed(String),
    /// Writing the kubeconfig failed.
    #[error("cannot write the kubeconfig {path}: {source}")]
    Kubeconfig {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}
