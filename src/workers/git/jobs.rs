//! The blocking half of the worker: one git2 job for one repository, run on tokio's
//! blocking pool with everything it needs owned.

use std::sync::Arc;

use super::diff::{CommitDiff, commit_diff};
use super::error::GitError;
use super::log::{Author, Page, read_page};
use super::markers::{Marker, scan};
use super::protocol::GitWorkerConfig;
use super::source::RepoSource;
use super::sync::{Names, find_commit, open, open_repo};

/// One git2 job for one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    /// Fetch (or only re-read) and reload the log when the head moved or `reload`.
    Sync { fetch: bool, reload: bool },
    /// The next page.
    More,
    /// One commit's diff.
    Diff(String),
}

/// What a finished job brings back.
pub(crate) enum Done {
    Synced {
        head: String,
        reference: String,
        page: Option<Page>,
        /// The setter markers at the head, read with a new page.
        markers: Option<Vec<Marker>>,
    },
    More(Page),
    Diff(CommitDiff),
}

/// What a blocking job needs, owned.
pub(crate) struct JobInput {
    pub source: Arc<RepoSource>,
    pub config: Arc<GitWorkerConfig>,
    pub authors: Arc<Vec<Author>>,
    pub head: Option<String>,
    pub loaded: usize,
}

impl JobInput {
    pub(crate) fn run(&self, job: &Job) -> Result<Done, GitError> {
        let cfg = &self.config;
        let names = Names::of(&self.source);
        match job {
            Job::Sync { fetch, reload } => {
                let opened = open(&self.source, &cfg.cache_root, &cfg.credentials, *fetch)?;
                let head = opened.head.to_string();
                let page = if *reload || self.head.as_deref() != Some(head.as_str()) {
                    let limit = self.loaded.max(cfg.page_size);
                    Some(
                        read_page(&opened.repo, opened.head, 0, limit, &self.authors)
                            .map_err(|e| names.ctx("log").classify(&e, None))?,
                    )
                } else {
                    None
                };
                // A repository whose tree cannot be walked still has its log; the lanes
                // then say nothing about markers.
                let markers = page
                    .as_ref()
                    .and_then(|_| scan(&opened.repo, opened.head).ok());
                Ok(Done::Synced {
                    head,
                    reference: opened.reference,
                    page,
                    markers,
                })
            }
            Job::More => {
                let repo = open_repo(&self.source, &cfg.cache_root, None)?;
                let head = self
                    .head
                    .as_deref()
                    .and_then(|h| git2::Oid::from_str(h).ok())
                    .ok_or_else(|| names.ctx("log").other("no log loaded yet"))?;
                read_page(&repo, head, self.loaded, cfg.page_size, &self.authors)
                    .map(Done::More)
                    .map_err(|e| names.ctx("log").classify(&e, None))
            }
            Job::Diff(sha) => {
                let repo = open_repo(&self.source, &cfg.cache_root, None)?;
                let oid = find_commit(&repo, sha).ok_or_else(|| GitError::CommitMissing {
                    origin: names.origin.clone(),
                    sha: sha.clone(),
                    location: names.location.clone(),
                    fix: "pick a commit of the loaded log".into(),
                })?;
                commit_diff(&repo, oid, cfg.diff_cap)
                    .map(Done::Diff)
                    .map_err(|e| names.ctx("diff").classify(&e, None))
            }
        }
    }
}
