//! What a server did so far: the counters requests bump and the snapshot
//! [`GitServer::stats`](super::GitServer::stats) returns.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a server did so far. Each request counts once, in the first that applies:
/// `rejected` (bad path, unknown repository), `challenged`, `refused`, then `served` or
/// `failed`; a response that broke after its headers were sent also counts in `failed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GitServerStats {
    /// Requests the backend answered (any status below 500, e.g. a refused push's report).
    pub served: u64,
    /// 401s to requests without credentials (git clients first ask without any).
    pub challenged: u64,
    /// 401s to requests with wrong credentials.
    pub refused: u64,
    /// 404s and 400s before the backend: unknown repositories, paths outside
    /// `/v1/repos/<name>/...`, traversal attempts.
    pub rejected: u64,
    /// Backend errors: could not start, no answer in time, not CGI, a 5xx, a broken body.
    pub failed: u64,
}

/// The live counts behind [`GitServerStats`], bumped by every request.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) served: AtomicU64,
    pub(super) challenged: AtomicU64,
    pub(super) refused: AtomicU64,
    pub(super) rejected: AtomicU64,
    pub(super) failed: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts now.
    pub(super) fn snapshot(&self) -> GitServerStats {
        GitServerStats {
            served: self.served.load(Ordering::Relaxed),
            challenged: self.challenged.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}
