//! Actions on Flux objects with the flux CLI's semantics: suspend/resume are JSON merge
//! patches of `spec.suspend` (`true`, and `null` to resume); force sync sets
//! `reconcile.fluxcd.io/requestedAt` to an RFC3339Nano local time and follows the object
//! until `status.lastHandledReconcileAt` equals it and Ready settles; "with source"
//! reconciles the referenced source first and waits for it. Reconciling a suspended object is
//! refused with Flux's message, before any write.
//!
//! Following uses a watch on the one object (not the CLI's 2 s polling), so the result
//! shows the moment the controller writes it. One divergence, on purpose: when the
//! controller has handled the request and reports Ready=False with `ProgressingWithRetry`,
//! the action ends as failed at once (the CLI keeps polling until its timeout).
//!
//! `patch` sends the writes and asks whether they are allowed, `follow` watches the object
//! until it settles, and `dispatch` serves the worker's commands with them (actions, the
//! details view, the permission checks).

pub(super) mod dispatch;
mod follow;
mod patch;

pub use follow::{Outcome, success_message};
pub use patch::{
    Action, Progress, REQUESTED_AT, Target, can_patch, describe_error, request_token, run,
    source_target,
};
