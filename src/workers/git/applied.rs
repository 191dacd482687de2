//! Which commits of the log a Kustomization has applied, from its `lastAppliedRevision`:
//! the applied commit and its ancestors are applied, the commits after it are pending, and
//! their count is how far the cluster is behind the branch. Pure functions over the loaded
//! commits (no git2), so the state can call them too.

use super::log::CommitInfo;
use super::source::is_hex_prefix;

/// A Kustomization's `lastAppliedRevision`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The ref part (`main`, `refs/heads/main`), when the revision has one.
    pub reference: Option<String>,
    /// The commit SHA (lowercase hex, possibly abbreviated).
    pub sha: String,
}

/// A revision string that names no commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "status.lastAppliedRevision `{value}` {problem}; expected `<branch>@sha1:<sha>`, `sha1:<sha>` or a bare SHA (a Kustomization whose source is a GitRepository)"
)]
pub struct RevisionError {
    /// The revision as found.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Parses the forms Flux writes: `main@sha1:<sha>`, `refs/heads/main@sha1:<sha>`,
/// `sha1:<sha>`, `sha256:<sha>`, the pre-2.0 `main/<sha>`, or a bare SHA.
pub fn parse_revision(value: &str) -> Result<Revision, RevisionError> {
    let err = |problem: &str| RevisionError {
        value: value.to_string(),
        problem: problem.to_string(),
    };
    let v = value.trim();
    if v.is_empty() {
        return Err(err("is empty (nothing applied yet)"));
    }
    let (reference, digest) = match v.rsplit_once('@') {
        Some((r, d)) => (Some(r), d),
        None => match v.rsplit_once('/') {
            // The pre-2.0 form `<branch>/<sha>`.
            Some((r, d)) if is_hex_prefix(d) => (Some(r), d),
            _ => (None, v),
        },
    };
    let sha = digest
        .strip_prefix("sha1:")
        .or_else(|| digest.strip_prefix("sha256:"))
        .unwrap_or(digest);
    if !is_hex_prefix(sha) {
        return Err(err("does not end in a commit SHA"));
    }
    Ok(Revision {
        reference: reference.filter(|r| !r.is_empty()).map(str::to_string),
        sha: sha.to_ascii_lowercase(),
    })
}

/// Whether one commit is in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The applied commit or one of its ancestors.
    Applied,
    /// After the applied commit: not in the cluster yet.
    Pending,
    /// The applied commit is not on this branch, so nothing can be said.
    Unknown,
}

/// How far the cluster is behind the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behind {
    /// This many commits are on the branch after the applied one (0: up to date).
    By(usize),
    /// The applied commit is older than the loaded commits: at least this many are pending;
    /// load more of the log to know.
    AtLeast(usize),
    /// The whole history is loaded and the applied commit is not in it (another branch, a
    /// rewritten history, or another repository).
    NotOnBranch,
}

/// The marks of every loaded commit for one applied revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMarks {
    /// One mark per commit, in the log's order.
    pub marks: Vec<Mark>,
    /// The index of the applied commit in the log, when loaded.
    pub applied: Option<usize>,
    /// How far behind the cluster is.
    pub behind: Behind,
}

/// Marks `commits` (newest first, as loaded; `complete` when they reach the first commit)
/// against the applied commit `sha` (full or abbreviated). Ancestry follows the parents
/// within the loaded commits, which holds every path from the applied commit to an older
/// loaded one as long as commit times do not go backwards.
pub fn mark_applied(commits: &[CommitInfo], complete: bool, sha: &str) -> AppliedMarks {
    let sha = sha.to_ascii_lowercase();
    let Some(applied) = commits.iter().position(|c| c.sha.starts_with(&sha)) else {
        let (mark, behind) = if complete {
            (Mark::Unknown, Behind::NotOnBranch)
        } else {
            (Mark::Pending, Behind::AtLeast(commits.len()))
        };
        return AppliedMarks {
            marks: vec![mark; commits.len()],
            applied: None,
            behind,
        };
    };
    let index: std::collections::HashMap<&str, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.sha.as_str(), i))
        .collect();
    let mut marks = vec![Mark::Pending; commits.len()];
    let mut stack = vec![applied];
    while let Some(i) = stack.pop() {
        let Some(mark) = marks.get_mut(i) else {
            continue;
        };
        if *mark == Mark::Applied {
            continue;
        }
        *mark = Mark::Applied;
        if let Some(c) = commits.get(i) {
            stack.extend(
                c.parents
                    .iter()
                    .filter_map(|p| index.get(p.as_str()).copied()),
            );
        }
    }
    let behind = marks.iter().filter(|m| **m == Mark::Pending).count();
    AppliedMarks {
        marks,
        applied: Some(applied),
        behind: Behind::By(behind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "5394cb7f48332b2de7c17dd8b8384bbc84b7e738";

    #[test]
    fn parses_every_revision_form() {
        let rev = |s: &str| parse_revision(s).unwrap();
        assert_eq!(
            rev(&format!("main@sha1:{A}")),
            Revision {
                reference: Some("main".into()),
                sha: A.into()
            }
        );
        assert_eq!(
            rev(&format!("refs/heads/main@sha1:{A}"))
                .reference
                .as_deref(),
            Some("refs/heads/main")
        );
        assert_eq!(
            rev(&format!("feature/branch@sha1:{A}"))
                .reference
                .as_deref(),
            Some("feature/branch")
        );
        assert_eq!(rev(&format!("sha1:{A}")).reference, None);
        assert_eq!(rev(&format!("sha1:{A}")).sha, A);
        assert_eq!(rev(&format!("main/{A}")).reference.as_deref(), Some("main"));
        assert_eq!(rev(&A.to_uppercase()).sha, A);
        assert_eq!(rev("5394cb7").sha, "5394cb7");
        for bad in [
            "",
            "main",
            "main@sha1:",
            "main@sha1:xyz1234",
            "latest@sha256:12",
        ] {
            let e = parse_revision(bad).unwrap_err().to_string();
            assert!(e.contains("status.lastAppliedRevision"), "{e}");
        }
    }

    /// A log from lines `sha parent...`, newest first.
    fn log(spec: &[&str]) -> Vec<CommitInfo> {
        spec.iter()
            .map(|line| {
                let mut parts = line.split_whitespace().map(str::to_string);
                let sha = parts.next().unwrap();
                CommitInfo {
                    short: sha.clone(),
                    sha,
                    author_name: "a".into(),
                    author_email: "a@x".into(),
                    time: jiff::Timestamp::UNIX_EPOCH,
                    subject: String::new(),
                    parents: parts.collect(),
                    automation: None,
                }
            })
            .collect()
    }

    #[test]
    fn linear_history_marks_and_counts_behind() {
        let commits = log(&["e d", "d c", "c b", "b a", "a"]);
        let m = mark_applied(&commits, true, "c");
        use Mark::*;
        assert_eq!(m.marks, vec![Pending, Pending, Applied, Applied, Applied]);
        assert_eq!(m.applied, Some(2));
        assert_eq!(m.behind, Behind::By(2));
        let head = mark_applied(&commits, true, "e");
        assert_eq!(head.behind, Behind::By(0));
        assert!(head.marks.iter().all(|m| *m == Applied));
    }

    #[test]
    fn merged_side_commits_follow_ancestry_not_position() {
        // m merges side commit s (older than b) after b was applied.
        let commits = log(&["m b s", "b a", "s a", "a"]);
        let m = mark_applied(&commits, true, "b");
        use Mark::*;
        assert_eq!(m.marks, vec![Pending, Applied, Pending, Applied]);
        assert_eq!(m.behind, Behind::By(2));
    }

    #[test]
    fn applied_commit_beyond_the_page_or_off_the_branch() {
        let commits = log(&["e d", "d c"]);
        let beyond = mark_applied(&commits, false, "a");
        assert_eq!(beyond.behind, Behind::AtLeast(2));
        assert!(beyond.marks.iter().all(|m| *m == Mark::Pending));
        let off = mark_applied(&commits, true, "f");
        assert_eq!(off.behind, Behind::NotOnBranch);
        assert!(off.marks.iter().all(|m| *m == Mark::Unknown));
    }
}
