//! What the live controllers' loop is doing, for `/sandbox/stats` and the benchmarks. The
//! loop (`runtime`) writes it; the world the controllers share (`world`) holds it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde_json::{Value, json};

/// What the loop is doing, for `/sandbox/stats` and the benchmarks: a backlog shows as a
/// growing queue of overdue objects and a growing lag.
#[derive(Debug, Default)]
pub struct RuntimeStats {
    /// Objects waiting for their next reconcile.
    pub queued: AtomicUsize,
    /// Reconciles in progress.
    pub running: AtomicUsize,
    /// Reconciles started so far.
    pub reconciles: AtomicU64,
    /// How late (ms) the last reconcile started after it was due.
    pub last_lag_ms: AtomicU64,
    /// The largest such lag since the last [`RuntimeStats::take_max_lag`].
    pub max_lag_ms: AtomicU64,
}

impl RuntimeStats {
    /// The largest lag since the last call, resetting it.
    pub fn take_max_lag(&self) -> u64 {
        self.max_lag_ms.swap(0, Ordering::Relaxed)
    }

    /// As JSON; with `window`, the max lag is the one since the last window, and restarts.
    pub fn to_json(&self, window: bool) -> Value {
        let max = if window {
            self.take_max_lag()
        } else {
            self.max_lag_ms.load(Ordering::Relaxed)
        };
        json!({
            "queued": self.queued.load(Ordering::Relaxed),
            "running": self.running.load(Ordering::Relaxed),
            "reconciles": self.reconciles.load(Ordering::Relaxed),
            "lastLagMs": self.last_lag_ms.load(Ordering::Relaxed),
            "maxLagMs": max,
        })
    }
}
