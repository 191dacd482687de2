//! Why a git server could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why a server could not start. Each names what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum GitServeError {
    /// The listen address is not a loopback address.
    #[error(
        "the sandbox git server only listens on loopback, not on {addr}; use 127.0.0.1:PORT (port 0 picks a free one)"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Binding the address failed.
    #[error(
        "the sandbox git server cannot listen on {addr}: {source}; pick another port, or 0 for a free one"
    )]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The repository root is not a directory.
    #[error(
        "the sandbox git root {} is not a directory; create it and seed the repositories first (sandbox::git::seed)",
        root.display()
    )]
    RootMissing {
        /// The root asked for.
        root: PathBuf,
    },
    /// `git --exec-path` could not be run.
    #[error(
        "cannot run `{} --exec-path` ({reason}): the sandbox serves its repositories with git's own http-backend; install git (Debian/Ubuntu: apt-get install git; Alpine: apk add git git-daemon)",
        program.display()
    )]
    GitNotFound {
        /// The git program.
        program: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The `git-http-backend` program is not there or cannot be started.
    #[error(
        "git http-backend is missing at {} ({reason}): the sandbox serves its repositories with git's own http-backend; install a complete git (Debian/Ubuntu: apt-get install git; Alpine: apk add git-daemon)",
        path.display()
    )]
    BackendMissing {
        /// Where it was looked for.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The backend runs but does not answer as a CGI program.
    #[error(
        "git http-backend at {} does not answer as a CGI program ({detail}); reinstall git, or name a working git-http-backend with BackendLookup::Program",
        path.display()
    )]
    BackendBroken {
        /// The program.
        path: PathBuf,
        /// What it did instead.
        detail: String,
    },
}
