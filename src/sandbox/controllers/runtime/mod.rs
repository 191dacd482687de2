//! The live controllers' loop: which object to reconcile when, and the status writes every
//! Flux controller makes around a reconcile.
//!
//! An object is reconciled when it is new or its generation moved, when
//! `reconcile.fluxcd.io/requestedAt` differs from `status.lastHandledReconcileAt`, when its
//! interval comes round (scaled by the [`Pace`](crate::sandbox::pace::Pace)), and when what
//! it depends on produced something new, as the real controllers' watches do:
//! - a GitRepository's new artifact → its Kustomizations and ImageUpdateAutomations;
//! - an ImageRepository's new scan → its ImagePolicies;
//! - an ImagePolicy's new pick → the ImageUpdateAutomations of its namespace;
//! - a Kustomization applied a new revision → the Kustomizations that depend on it (Flux
//!   requeues those every 30 s; the sandbox tells them at once, so a pipeline settles in one
//!   pass).
//!
//! One object is never reconciled twice at once; a trigger that arrives meanwhile runs it
//! again right after. Dependents are found through indexes kept from the store's changes, so
//! a change costs the same with 10 objects or 10,000.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::world::World;
use crate::sandbox::apiserver::resources::TypeId;

mod links;
mod outcome;
mod queue;
mod reconcile;

pub use outcome::{Cond, Failure, Progress, Reconciled};
pub use queue::{INTERVAL_JITTER, interval_of};

use queue::Loop;

/// An object: its type, namespace and name.
pub type Key = (TypeId, String, String);

/// How long a reconcile shows `Reconciling` before its result, at speed 1.
pub const RECONCILE_TIME: Duration = Duration::from_millis(300);

/// Reconciles doing their work at once.
const PARALLEL: usize = 8;

/// Flux's `--requeue-dependency` default.
pub const REQUEUE_DEPENDENCY: Duration = Duration::from_secs(30);

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

/// Starts the live controllers on the current runtime.
pub fn spawn(world: Arc<World>) -> tokio::task::JoinHandle<()> {
    let rx = world.store.subscribe();
    tokio::spawn(async move { Loop::new(world).run(rx).await })
}
