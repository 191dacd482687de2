//! `State`, `Update` and `State::apply`, the one writer of application state; derived views (release lanes, drift).
//!
//! Workers send [`Update`]s; [`State::apply`] folds each into the state and says whether
//! anything visible changed, so the app redraws only then. The UI reads `&State` and sends
//! [`Command`]s back. Nothing here does I/O or knows about terminals.
//!
//! [`State`] and its read side are in `store`, its writer in `apply`; this module only
//! declares the parts and re-exports their public types.

pub mod access;
pub mod activity;
mod apply;
pub mod chain;
pub mod command;
pub mod commits;
pub mod details;
pub mod lanes;
pub mod logs;
pub mod scans;
mod store;
pub mod table;
pub mod update;

pub use access::{Access, Connection};
pub use activity::{ActionLog, ActionRecord};
pub use chain::ImageChain;
pub use command::{ActionId, ActionKind, Command, PodsWatch};
pub use commits::{AppliedColumn, AppliedMarks, CommitDiff, CommitLog, CommitLogs};
pub use details::Details;
pub use lanes::{Lane, Lanes, Release, Stage, Stuck};
pub use logs::{LogBuffer, LogEvent, LogSession, LogStatus, LogTarget};
pub use scans::{Drift, ImagePreview, NextPick, RegistryScan, RepoScan, ScanResult};
pub use store::State;
pub use table::{Row, Table};
pub use update::{ActionEvent, ActionPhase, Permission, Session, Update, WatchState};

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
