//! Reading the bare repositories: a branch head ([`head`]), the files of a tree
//! ([`read_tree`], [`read_file`]) and a repository's `file://` URL ([`file_url`]).

use std::path::Path;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::error::{SandboxGitError, git_err};

/// One file of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// The path from the repository root, `/`-separated.
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
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
pub(super) fn normalize(path: &str) -> String {
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
