//! What a sandbox git operation that failed says: each error names the repository and what
//! to do.

use std::path::Path;

/// A sandbox git operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxGitError {
    /// libgit2 failed.
    #[error("git {op} in {repo} failed: {message}")]
    Git {
        /// The repository path.
        repo: String,
        /// What was being done.
        op: String,
        /// libgit2's message.
        message: String,
    },
    /// The branch does not exist.
    #[error(
        "branch `{branch}` is not in {repo}; seed the repository or commit to an existing branch"
    )]
    BranchMissing {
        /// The repository path.
        repo: String,
        /// The branch.
        branch: String,
    },
    /// The commit or path does not exist.
    #[error("{what} is not in {repo} at {rev}; check the revision and the path (e.g. spec.path)")]
    NotFound {
        /// The repository path.
        repo: String,
        /// The revision looked in.
        rev: String,
        /// What was looked for.
        what: String,
    },
    /// The branch moved since the commit's parent was read.
    #[error(
        "non-fast-forward: branch `{branch}` of {repo} is at {actual}, not at the parent {expected} the commit was built on; read the branch again and rebuild the change (the sandbox never force-pushes)"
    )]
    NotFastForward {
        /// The repository path.
        repo: String,
        /// The branch.
        branch: String,
        /// The parent the commit was built on.
        expected: String,
        /// Where the branch is.
        actual: String,
    },
    /// A file path that cannot be written into a tree.
    #[error(
        "file path `{path}` {problem}; use a relative path inside the repository, like deploy/kustomization.yaml"
    )]
    BadPath {
        /// The path.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// Maps a libgit2 error of `op` in `repo` to [`SandboxGitError::Git`].
pub(super) fn git_err(repo: &Path, op: &str) -> impl Fn(git2::Error) -> SandboxGitError {
    let repo = repo.display().to_string();
    let op = op.to_string();
    move |e| SandboxGitError::Git {
        repo: repo.clone(),
        op: op.clone(),
        message: e.message().to_string(),
    }
}
