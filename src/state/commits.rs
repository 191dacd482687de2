//! The commits pane's state: each tracked configuration repository's log with its
//! applied / pending marks per Kustomization, and the one diff the user opened.
//!
//! Several repositories can be tracked (every GitRepository a Kustomization or an
//! ImageUpdateAutomation uses, plus `--repo`); the pane shows one, preferring the repository
//! an ImageUpdateAutomation pushes to, because that is where releases appear.

use std::collections::BTreeMap;

use crate::model::commit::{BehindBy, Commit, CommitMark};

/// One tracked repository's commits, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitLog {
    /// The hub's key: `namespace/name` of a GitRepository, or the `--repo` argument.
    pub key: String,
    /// The repository (URL without password, or path).
    pub repository: String,
    /// The ref followed, e.g. `refs/heads/main`.
    pub branch: String,
    /// Newest first, as loaded so far.
    pub commits: Vec<Commit>,
    /// Whether the log reaches the first commit (no more to load).
    pub complete: bool,
    /// One column per Kustomization that applies this repository.
    pub applied: Vec<AppliedColumn>,
    /// What part of the source's spec is not followed (e.g. `spec.ref.semver`).
    pub note: Option<String>,
    /// Why the last fetch failed, if it did (the log stays as last read).
    pub error: Option<String>,
    /// The `$imagepolicy` setter markers at the head, by file and line.
    #[serde(default)]
    pub markers: Vec<SetterMarker>,
}

/// A setter marker comment in the repository (`# {"$imagepolicy": "ns:policy:tag"}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetterMarker {
    /// The file, relative to the repository root.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
    /// The setter (`ns:policy` with an optional `:tag` or `:name`).
    pub setter: String,
}

/// What one Kustomization applied, over the log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppliedColumn {
    /// `namespace/name` of the Kustomization.
    pub kustomization: String,
    /// Its `status.lastAppliedRevision` as given.
    pub revision: String,
    /// The marks, or why the revision names no commit.
    pub marks: Result<AppliedMarks, String>,
}

/// Marks of every loaded commit against one applied revision.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppliedMarks {
    /// One per commit, in the log's order.
    pub marks: Vec<CommitMark>,
    /// How far behind the branch the Kustomization is.
    pub behind: BehindBy,
}

impl CommitLog {
    /// The mark of commit `index` for column `column`, when known.
    pub fn mark(&self, column: usize, index: usize) -> Option<CommitMark> {
        let marks = self.applied.get(column)?.marks.as_ref().ok()?;
        marks.marks.get(index).copied()
    }

    /// The furthest any Kustomization is behind, for the header: the largest count, an
    /// "at least" beating an equal exact count, "not on branch" beating both.
    pub fn behind(&self) -> Option<BehindBy> {
        self.applied
            .iter()
            .filter_map(|c| c.marks.as_ref().ok().map(|m| m.behind))
            .max_by_key(|b| match *b {
                BehindBy::Commits(n) => (1, n, 0),
                BehindBy::AtLeast(n) => (1, n, 1),
                BehindBy::NotOnBranch => (2, 0, 0),
            })
    }

    /// The automation commits, newest first.
    pub fn automation_commits(&self) -> impl Iterator<Item = &Commit> {
        self.commits.iter().filter(|c| c.automation)
    }
}

/// A commit's diff, as the git worker read it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitDiff {
    /// The repository's key.
    pub key: String,
    /// The full SHA.
    pub sha: String,
    /// `commit`, `Author`, `Date` and the message, as `git show` starts.
    pub header: String,
    /// The files touched: status letter and path.
    pub files: Vec<(char, String)>,
    /// The unified diff.
    pub patch: String,
    /// Whether `patch` stopped at the size cap.
    pub truncated: bool,
}

impl CommitDiff {
    /// The text the diff view scrolls through.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.header.lines().chain(self.patch.lines())
    }
}

/// The commit logs by key, and which one the pane shows.
#[derive(Debug, Default)]
pub struct CommitLogs {
    logs: BTreeMap<String, CommitLog>,
    /// The `--repo` arguments, shown first.
    pinned: Vec<String>,
    revision: u64,
}

impl CommitLogs {
    /// Sets the keys shown before the others (the `--repo` arguments); whether they changed.
    pub fn pin(&mut self, keys: Vec<String>) -> bool {
        if self.pinned == keys {
            return false;
        }
        self.pinned = keys;
        self.revision += 1;
        true
    }

    /// The keys shown before the others, in order.
    pub fn pinned(&self) -> &[String] {
        &self.pinned
    }

    /// Every log in the pane's order: the pinned ones that are tracked, in their order, then
    /// the others by key.
    pub fn ordered(&self) -> impl Iterator<Item = &CommitLog> {
        let pinned = self.pinned.iter().filter_map(|k| self.logs.get(k));
        let rest = self.logs.values().filter(|l| !self.pinned.contains(&l.key));
        pinned.chain(rest)
    }

    /// Replaces the log of `log.key`; whether it changed.
    pub fn put(&mut self, log: CommitLog) -> bool {
        if self.logs.get(&log.key) == Some(&log) {
            return false;
        }
        self.logs.insert(log.key.clone(), log);
        self.revision += 1;
        true
    }

    /// Records a failure for `key`, keeping what was loaded; whether it changed.
    pub fn fail(&mut self, key: &str, repository: &str, error: String) -> bool {
        let log = self
            .logs
            .entry(key.to_owned())
            .or_insert_with(|| CommitLog {
                key: key.to_owned(),
                repository: repository.to_owned(),
                ..CommitLog::default()
            });
        if log.error.as_ref() == Some(&error) {
            return false;
        }
        log.error = Some(error);
        self.revision += 1;
        true
    }

    /// Forgets `key` (no longer tracked); whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let removed = self.logs.remove(key).is_some();
        if removed {
            self.revision += 1;
        }
        removed
    }

    /// Every log by key.
    pub fn all(&self) -> &BTreeMap<String, CommitLog> {
        &self.logs
    }

    /// The log the pane shows: the first in `preferred` that is tracked, else the first in
    /// [`CommitLogs::ordered`].
    pub fn shown<'a>(&self, preferred: impl Iterator<Item = &'a str>) -> Option<&CommitLog> {
        self.shown_by(preferred.map(str::to_string))
    }

    /// [`CommitLogs::shown`] over owned keys, taken lazily: the first tracked one ends the
    /// search, so a caller may offer thousands without building them all.
    pub fn shown_by(&self, mut preferred: impl Iterator<Item = String>) -> Option<&CommitLog> {
        if self.logs.is_empty() {
            return None;
        }
        preferred
            .find_map(|k| self.logs.get(&k))
            .or_else(|| self.ordered().next())
    }

    /// Bumped on every change.
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn commit(sha: &str, automation: bool) -> Commit {
        Commit {
            sha: sha.into(),
            author: "a".into(),
            email: "a@example.com".into(),
            time: Timestamp::UNIX_EPOCH,
            subject: "s".into(),
            automation,
            changes: Vec::new(),
        }
    }

    fn column(name: &str, marks: Vec<CommitMark>, behind: BehindBy) -> AppliedColumn {
        AppliedColumn {
            kustomization: name.into(),
            revision: "main@sha1:x".into(),
            marks: Ok(AppliedMarks { marks, behind }),
        }
    }

    #[test]
    fn behind_is_the_worst_column_and_marks_index_by_column_and_row() {
        use CommitMark::*;
        let log = CommitLog {
            key: "flux-system/repo".into(),
            commits: vec![commit("b", true), commit("a", false)],
            applied: vec![
                column("ns/one", vec![Applied, Applied], BehindBy::Commits(0)),
                column("ns/two", vec![Pending, Applied], BehindBy::Commits(1)),
                AppliedColumn {
                    kustomization: "ns/three".into(),
                    revision: "junk".into(),
                    marks: Err("not a revision".into()),
                },
            ],
            ..CommitLog::default()
        };
        assert_eq!(log.behind(), Some(BehindBy::Commits(1)));
        assert_eq!(log.mark(1, 0), Some(Pending));
        assert_eq!(log.mark(0, 0), Some(Applied));
        assert_eq!(log.mark(2, 0), None);
        assert_eq!(log.mark(1, 5), None);
        assert_eq!(log.automation_commits().count(), 1);

        let mut worse = log.clone();
        worse
            .applied
            .push(column("ns/four", vec![Pending; 2], BehindBy::AtLeast(1)));
        assert_eq!(worse.behind(), Some(BehindBy::AtLeast(1)));
        worse
            .applied
            .push(column("ns/five", vec![Unknown; 2], BehindBy::NotOnBranch));
        assert_eq!(worse.behind(), Some(BehindBy::NotOnBranch));
        assert_eq!(CommitLog::default().behind(), None);
    }

    #[test]
    fn logs_change_only_when_different_and_failures_keep_the_log() {
        let mut logs = CommitLogs::default();
        let log = CommitLog {
            key: "k".into(),
            repository: "r".into(),
            commits: vec![commit("a", false)],
            ..CommitLog::default()
        };
        assert!(logs.put(log.clone()));
        assert!(!logs.put(log.clone()));
        assert!(logs.fail("k", "r", "network down".into()));
        assert!(!logs.fail("k", "r", "network down".into()));
        let kept = logs.all().get("k").unwrap();
        assert_eq!(kept.commits.len(), 1);
        assert_eq!(kept.error.as_deref(), Some("network down"));
        // A failure before any log still shows in the pane.
        assert!(logs.fail("other", "https://example.com/x.git", "auth".into()));
        assert_eq!(logs.shown(["other"].into_iter()).unwrap().key, "other");
        assert_eq!(logs.shown(["missing"].into_iter()).unwrap().key, "k");
        let before = logs.revision();
        assert!(logs.remove("other"));
        assert!(!logs.remove("other"));
        assert!(logs.revision() > before);
    }
}
