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

use super::world::World;

mod links;
mod queue;
mod reconcile;

pub use queue::{INTERVAL_JITTER, Key};
pub use reconcile::RECONCILE_TIME;

use queue::Loop;

/// Starts the live controllers on the current runtime.
pub fn spawn(world: Arc<World>) -> tokio::task::JoinHandle<()> {
    let rx = world.store.subscribe();
    tokio::spawn(async move { Loop::new(world).run(rx).await })
}
