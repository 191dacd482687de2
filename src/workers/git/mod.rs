//! The git worker: follows the configuration repositories (from GitRepository objects and
//! `--repo PATH|URL`) with git2 and reports their logs for the commits pane.
//!
//! - [`source`]: which repository and ref; local paths are read in place, URLs mirrored in
//!   the cache.
//! - [`credentials`]: SSH agent and keys, tokens from the environment, git credential
//!   helpers; each kind tried once per fetch. Never cluster Secrets; the worker never pushes.
//! - [`ssh_config`] and [`known_hosts`]: SSH remotes as `ssh` reaches them (`~/.ssh/config`)
//!   and their host keys checked against `known_hosts`.
//! - [`log`]: the branch log a page at a time, automation commits and their image changes
//!   ([`image_change`]).
//! - [`applied`]: applied / pending marks and "behind by N" from `lastAppliedRevision`
//!   (pure).
//! - [`diff`]: one commit's diff, size-capped.
//! - [`protocol`]: the worker's configuration, commands and events.
//! - [`worker`]: the task (its blocking git2 jobs are in `jobs`).

pub mod applied;
pub mod credentials;
pub mod diff;
pub mod error;
pub mod image_change;
mod jobs;
pub mod known_hosts;
pub mod log;
pub mod markers;
pub mod protocol;
pub mod source;
pub mod ssh_config;
mod sync;
pub mod worker;

pub use applied::{
    AppliedMarks, Behind, Mark, Revision, RevisionError, mark_applied, parse_revision,
};
pub use credentials::{CredentialConfig, Helpers};
pub use diff::{CommitDiff, DiffFile};
pub use error::GitError;
pub use image_change::ImageChange;
pub use log::{Author, AutomationCommit, CommitInfo, Page};
pub use protocol::{AppliedRevision, AppliedView, GitCommand, GitEvent, GitWorkerConfig, RepoLog};
pub use source::{Location, Origin, RepoSource, TrackRef};
pub use worker::spawn_git_worker;
