//! The sandbox's git side: bare repositories on disk that play the configuration
//! repositories, and what the simulated controllers do with them. Sources read a branch head
//! ([`head`]), Kustomizations read a tree ([`read_tree`]), and automations commit straight into
//! the bare repository, without a working tree ([`commit_files`]). A commit only moves a
//! branch forward from the parent it was built on; a branch that moved meanwhile refuses it
//! as a non-fast-forward, never forced. Clients (the git worker, `git clone`, GitOps UIs)
//! reach the repositories over git smart HTTP with Basic auth, as CodeCommit serves them:
//! [`serve`] runs git's own `git http-backend` behind `http://127.0.0.1:PORT/v1/repos/<name>`
//! (the GitRepository CRD accepts only http, https and ssh URLs). [`file_url`] remains for
//! local tools and tests that read a repository path directly.
//!
//! [`seed`] creates the two reference repositories with a short human history.

mod commit;
mod seed;
pub mod serve;

use std::path::Path;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

pub use commit::{NewCommit, commit_files, commit_files_on, create_branch, init_repo};
pub use seed::{
    ACCOUNT_ID, FAKE_GIT_PASSWORD, FAKE_GIT_USER, SeedOptions, SeedRepos, seed, seed_with,
};
pub use serve::{GitCredentials, GitServeError, GitServer, GitServerOptions, GitServerStats};

/// A commit author or committer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The name.
    pub name: String,
    /// The email.
    pub email: String,
}

impl Identity {
    /// An identity from a name and an email.
    pub fn new(name: &str, email: &str) -> Self {
        Identity {
            name: name.to_string(),
            email: email.to_string(),
        }
    }
}

/// One file of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// The path from the repository root, `/`-separated.
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
}

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

fn git_err(repo: &Path, op: &str) -> impl Fn(git2::Error) -> SandboxGitError {
    let repo = repo.display().to_string();
    let op = op.to_string();
    move |e| SandboxGitError::Git {
        repo: repo.clone(),
        op: op.clone(),
        message: e.message().to_string(),
    }
}

/// The `file://` URL of a repository path (what a GitRepository's `spec.url` holds).
pub fn file_url(repo: &Path) -> String {
    let abs = std::path::absolute(repo).unwrap_or_else(|_| repo.to_path_buf());
    format!("file://{}", abs.display())
}

/// The commit `branch` points at.
pub fn head(repo: &Path, branch: &str) -> Result<String, SandboxGitError> {
    let r = Repository::open_bare(repo).map_err(git_err(repo, "open"))?;
    branch_tip(&r, repo, branch).map(|oid| oid.to_string())
}

fn branch_tip(r: &Repository, repo: &Path, branch: &str) -> Result<Oid, SandboxGitError> {
    let reference = r
        .find_reference(&format!("refs/heads/{branch}"))
        .map_err(|_| SandboxGitError::BranchMissing {
            repo: repo.display().to_string(),
            branch: branch.to_string(),
        })?;
    reference
        .peel_to_commit()
        .map(|c| c.id())
        .map_err(git_err(repo, "read branch"))
}

/// Every file under `path` (a directory or one file; `""`, `"."` and a leading `./` mean the
/// root, as Flux paths are written) of commit `sha` (full hex, as [`head`] gives it).
pub fn read_tree(repo: &Path, sha: &str, path: &str) -> Result<Vec<TreeFile>, SandboxGitError> {
    let r = Repository::open_bare(repo).map_err(git_err(repo, "open"))?;
    let not_found = |what: String| SandboxGitError::NotFound {
        repo: repo.display().to_string(),
        rev: sha.to_string(),
        what,
    };
    let oid = Oid::from_str(sha).map_err(|_| not_found(format!("commit {sha}")))?;
    let commit = r
        .find_commit(oid)
        .map_err(|_| not_found(format!("commit {sha}")))?;
    let root = commit.tree().map_err(git_err(repo, "read tree"))?;
    let clean = normalize(path);
    if clean.is_empty() {
        return walk(&r, repo, &root, "");
    }
    let entry = root
        .get_path(Path::new(&clean))
        .map_err(|_| not_found(format!("path {path}")))?;
    match entry.kind() {
        Some(ObjectType::Tree) => {
            let tree = r
                .find_tree(entry.id())
                .map_err(git_err(repo, "read tree"))?;
            walk(&r, repo, &tree, &format!("{clean}/"))
        }
        Some(ObjectType::Blob) => {
            let blob = r
                .find_blob(entry.id())
                .map_err(git_err(repo, "read file"))?;
            Ok(vec![TreeFile {
                path: clean,
                bytes: blob.content().to_vec(),
            }])
        }
        _ => Err(not_found(format!("path {path}"))),
    }
}

/// One file of commit `sha` (full hex), `None` when absent.
pub fn read_file(repo: &Path, sha: &str, path: &str) -> Result<Option<Vec<u8>>, SandboxGitError> {
    match read_tree(repo, sha, path) {
        Ok(files) => Ok(files
            .into_iter()
            .find(|f| f.path == normalize(path))
            .map(|f| f.bytes)),
        Err(SandboxGitError::NotFound { what, .. }) if what.starts_with("path ") => Ok(None),
        Err(e) => Err(e),
    }
}

/// `./a//b/` → `a/b`; `.` → ``.
fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn walk(
    r: &Repository,
    repo: &Path,
    tree: &git2::Tree<'_>,
    prefix: &str,
) -> Result<Vec<TreeFile>, SandboxGitError> {
    let mut files = Vec::new();
    let mut failure = None;
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(ObjectType::Blob) {
            return TreeWalkResult::Ok;
        }
        match r.find_blob(entry.id()) {
            Ok(blob) => files.push(TreeFile {
                path: format!(
                    "{prefix}{dir}{}",
                    String::from_utf8_lossy(entry.name_bytes())
                ),
                bytes: blob.content().to_vec(),
            }),
            Err(e) => {
                failure = Some(e);
                return TreeWalkResult::Abort;
            }
        }
        TreeWalkResult::Ok
    })
    .map_err(git_err(repo, "walk tree"))?;
    match failure {
        Some(e) => Err(git_err(repo, "read file")(e)),
        None => Ok(files),
    }
}
