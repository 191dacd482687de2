//! The worker's interface: its configuration, the commands it takes and the events it
//! sends. Plain types, so the state can turn events into its own updates.

use std::path::PathBuf;
use std::time::Duration;

use super::applied::{AppliedMarks, RevisionError};
use super::credentials::CredentialConfig;
use super::diff::{CommitDiff, DEFAULT_DIFF_CAP};
use super::error::GitError;
use super::log::{Author, CommitInfo};
use super::source::{RepoSource, default_cache_root};

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct GitWorkerConfig {
    /// Where remote mirrors live (`$XDG_CACHE_HOME/fluxdeck/git`).
    pub cache_root: PathBuf,
    /// Which credentials fetches may use.
    pub credentials: CredentialConfig,
    /// Commits per page (the first page, and each `LoadMore`).
    pub page_size: usize,
    /// The cap on a diff's text.
    pub diff_cap: usize,
}

impl Default for GitWorkerConfig {
    fn default() -> Self {
        GitWorkerConfig {
            cache_root: default_cache_root()
                .unwrap_or_else(|| std::env::temp_dir().join("fluxdeck-git-cache")),
            credentials: CredentialConfig::default(),
            page_size: 200,
            diff_cap: DEFAULT_DIFF_CAP,
        }
    }
}

/// A Kustomization's applied revision, for the applied/pending marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRevision {
    /// `namespace/name` of the Kustomization.
    pub kustomization: String,
    /// Its `status.lastAppliedRevision`.
    pub revision: String,
}

/// What the worker is asked to do. `key` names a tracked repository (the caller's choice:
/// `namespace/name` of a GitRepository, or the `--repo` argument).
#[derive(Debug, Clone)]
pub enum GitCommand {
    /// Follow a repository (replacing what `key` followed): read it now, then every
    /// `interval`.
    Track {
        /// The repository's key.
        key: String,
        /// Where it is and which ref to follow.
        source: RepoSource,
        /// How often to fetch (the GitRepository's `spec.interval`; at least one second).
        interval: Duration,
    },
    /// Stop following a repository.
    Untrack {
        /// The repository's key.
        key: String,
    },
    /// Fetch now: one repository, or all with `None`. Also resumes after an auth failure.
    FetchNow {
        /// The repository's key, or every one.
        key: Option<String>,
    },
    /// Load the next page of the log.
    LoadMore {
        /// The repository's key.
        key: String,
    },
    /// Send one commit's diff.
    ShowDiff {
        /// The repository's key.
        key: String,
        /// The commit (full or abbreviated SHA).
        sha: String,
    },
    /// The automation authors (every ImageUpdateAutomation's `spec.git.commit.author`).
    SetAuthors {
        /// The authors, for every repository.
        authors: Vec<Author>,
    },
    /// The Kustomizations that apply this repository, with their applied revisions.
    SetApplied {
        /// The repository's key.
        key: String,
        /// One entry per Kustomization.
        applied: Vec<AppliedRevision>,
    },
}

/// A Kustomization's marks over the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedView {
    /// `namespace/name` of the Kustomization.
    pub kustomization: String,
    /// Its `status.lastAppliedRevision` as given.
    pub revision: String,
    /// The marks, or why the revision names no commit.
    pub marks: Result<AppliedMarks, RevisionError>,
}

/// A repository's log as loaded so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLog {
    /// The ref followed, resolved (`refs/heads/main`, or a SHA when pinned).
    pub reference: String,
    /// The commit it points at.
    pub head: String,
    /// The loaded commits, newest first.
    pub commits: Vec<CommitInfo>,
    /// Whether the log reaches the first commit.
    pub complete: bool,
    /// The marks of each Kustomization using the repository.
    pub applied: Vec<AppliedView>,
    /// What part of the source's spec is not followed, if any.
    pub note: Option<String>,
    /// The setter markers at the head.
    pub markers: Vec<super::markers::Marker>,
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum GitEvent {
    /// The log changed (first read, new commits, more loaded, new authors or applied marks).
    Log {
        /// The repository's key.
        key: String,
        /// The whole log as loaded.
        log: RepoLog,
    },
    /// A fetch (or a local re-read) succeeded.
    Fetched {
        /// The repository's key.
        key: String,
        /// The followed ref's commit.
        head: String,
        /// Whether it moved since the last read.
        changed: bool,
    },
    /// A diff asked for with `ShowDiff`.
    Diff {
        /// The repository's key.
        key: String,
        /// The diff.
        diff: CommitDiff,
    },
    /// Something failed; the repository stays tracked and the next fetch tries again
    /// (after an auth failure, only `FetchNow` does).
    Error {
        /// The repository's key.
        key: String,
        /// What failed.
        error: GitError,
    },
}
