//! Committing into a bare repository without a working tree: the tree is built in an
//! in-memory index, the commit written, and the branch moved only from the parent the change
//! was built on (compare-and-swap), so a concurrent move is a non-fast-forward refusal.

use std::path::{Component, Path};

use git2::{Index, IndexEntry, IndexTime, Oid, Repository, RepositoryInitOptions, Signature, Time};

use super::error::{SandboxGitError, git_err};
use super::read::{head, normalize};

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

/// A commit to make: where, by whom, saying what.
#[derive(Debug, Clone, Copy)]
pub struct NewCommit<'a> {
    /// The branch to move.
    pub branch: &'a str,
    /// The author and committer.
    pub author: &'a Identity,
    /// The message.
    pub message: &'a str,
    /// The author time in Unix seconds (now when `None`).
    pub time: Option<i64>,
}

/// Commits `changes` (path, new content) on top of `branch`'s head, as `author` now, and
/// moves the branch. An unchanged tree makes no commit: the head is returned.
pub fn commit_files<P: AsRef<str>, B: AsRef<[u8]>>(
    repo: &Path,
    branch: &str,
    author: &Identity,
    message: &str,
    changes: &[(P, B)],
) -> Result<String, SandboxGitError> {
    let parent = head(repo, branch)?;
    let commit = NewCommit {
        branch,
        author,
        message,
        time: None,
    };
    commit_files_on(repo, &parent, &commit, changes)
}

/// Commits `changes` on top of `parent` (the commit the change was built from) and moves
/// the branch to it only if the branch is still at `parent`: otherwise the commit is refused
/// as a non-fast-forward. An unchanged tree makes no commit: `parent` is returned.
pub fn commit_files_on<P: AsRef<str>, B: AsRef<[u8]>>(
    repo: &Path,
    parent: &str,
    commit: &NewCommit<'_>,
    changes: &[(P, B)],
) -> Result<String, SandboxGitError> {
    let r = Repository::open_bare(repo).map_err(git_err(repo, "open"))?;
    let missing = || SandboxGitError::NotFound {
        repo: repo.display().to_string(),
        rev: parent.to_string(),
        what: format!("commit {parent}"),
    };
    let parent_oid = Oid::from_str(parent).map_err(|_| missing())?;
    let parent_commit = r.find_commit(parent_oid).map_err(|_| missing())?;
    let base = parent_commit.tree().map_err(git_err(repo, "read tree"))?;
    let tree = build_tree(&r, repo, Some(&base), changes)?;
    if tree == base.id() {
        return Ok(parent.to_string());
    }
    commit_tree(&r, repo, Some(parent_oid), tree, commit)
}

/// Creates a bare repository at `path` (which must not exist) whose branch `commit.branch`,
/// also its HEAD, holds one commit of `files`.
pub fn init_repo<P: AsRef<str>, B: AsRef<[u8]>>(
    path: &Path,
    commit: &NewCommit<'_>,
    files: &[(P, B)],
) -> Result<String, SandboxGitError> {
    if path.exists() {
        return Err(SandboxGitError::Git {
            repo: path.display().to_string(),
            op: "init".into(),
            message: "the directory already exists; create repositories in a new directory".into(),
        });
    }
    let mut opts = RepositoryInitOptions::new();
    opts.bare(true).initial_head(commit.branch).mkpath(true);
    let r = Repository::init_opts(path, &opts).map_err(git_err(path, "init"))?;
    let tree = build_tree(&r, path, None, files)?;
    commit_tree(&r, path, None, tree, commit)
}

/// Writes a tree: `base` with `changes` applied (modes of existing files kept).
fn build_tree<P: AsRef<str>, B: AsRef<[u8]>>(
    r: &Repository,
    repo: &Path,
    base: Option<&git2::Tree<'_>>,
    changes: &[(P, B)],
) -> Result<Oid, SandboxGitError> {
    let err = git_err(repo, "build tree");
    let mut index = Index::new().map_err(&err)?;
    if let Some(base) = base {
        index.read_tree(base).map_err(&err)?;
    }
    for (path, bytes) in changes {
        let path = checked_path(path.as_ref())?;
        let blob = r.blob(bytes.as_ref()).map_err(&err)?;
        let mode = index
            .get_path(Path::new(&path), 0)
            .map_or(0o100644, |e| e.mode);
        let size = u32::try_from(bytes.as_ref().len()).unwrap_or(u32::MAX);
        index
            .add(&IndexEntry {
                ctime: IndexTime::new(0, 0),
                mtime: IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode,
                uid: 0,
                gid: 0,
                file_size: size,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.into_bytes(),
            })
            .map_err(&err)?;
    }
    index.write_tree_to(r).map_err(&err)
}

/// A path safe to put in a tree: relative, no `..`, no `.git`.
fn checked_path(path: &str) -> Result<String, SandboxGitError> {
    let bad = |problem: &str| SandboxGitError::BadPath {
        path: path.to_string(),
        problem: problem.to_string(),
    };
    let clean = normalize(path);
    if clean.is_empty() {
        return Err(bad("is empty"));
    }
    if path.starts_with('/') {
        return Err(bad("is absolute"));
    }
    for c in Path::new(&clean).components() {
        match c {
            Component::Normal(s) if s.eq_ignore_ascii_case(".git") => {
                return Err(bad("reaches into .git"));
            }
            Component::Normal(_) => {}
            _ => return Err(bad("leaves the repository")),
        }
    }
    Ok(clean)
}

/// Creates the commit and moves `branch` from `parent` to it (creates it when `parent` is
/// `None`), refusing when the branch is elsewhere.
fn commit_tree(
    r: &Repository,
    repo: &Path,
    parent: Option<Oid>,
    tree: Oid,
    commit: &NewCommit<'_>,
) -> Result<String, SandboxGitError> {
    let NewCommit {
        branch,
        author,
        message,
        time,
    } = *commit;
    let err = git_err(repo, "commit");
    let sig = match time {
        Some(t) => Signature::new(&author.name, &author.email, &Time::new(t, 0)),
        None => Signature::now(&author.name, &author.email),
    }
    .map_err(&err)?;
    let tree = r.find_tree(tree).map_err(&err)?;
    let parents = match parent {
        Some(p) => vec![r.find_commit(p).map_err(&err)?],
        None => Vec::new(),
    };
    let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let oid = r
        .commit(None, &sig, &sig, message, &tree, &parent_refs)
        .map_err(&err)?;
    let name = format!("refs/heads/{branch}");
    let log = format!("commit: {}", message.lines().next().unwrap_or(""));
    let moved = match parent {
        Some(p) => r.reference_matching(&name, oid, true, p, &log),
        None => r.reference(&name, oid, false, &log),
    };
    if let Err(e) = moved {
        let actual = r
            .refname_to_id(&name)
            .map(|o| o.to_string())
            .unwrap_or_else(|_| "nothing".into());
        let expected = parent.map_or_else(|| "nothing (a new branch)".into(), |p| p.to_string());
        if actual != expected {
            return Err(SandboxGitError::NotFastForward {
                repo: repo.display().to_string(),
                branch: branch.to_string(),
                expected,
                actual,
            });
        }
        return Err(err(e));
    }
    Ok(oid.to_string())
}

/// Creates branch `branch` at commit `sha` (which must exist); an existing branch is left
/// alone and reported as an error, never moved.
pub fn create_branch(repo: &Path, branch: &str, sha: &str) -> Result<(), SandboxGitError> {
    let r = Repository::open_bare(repo).map_err(git_err(repo, "open"))?;
    let oid = Oid::from_str(sha).map_err(|_| SandboxGitError::NotFound {
        repo: repo.display().to_string(),
        rev: sha.to_string(),
        what: format!("commit {sha}"),
    })?;
    let commit = r.find_commit(oid).map_err(|_| SandboxGitError::NotFound {
        repo: repo.display().to_string(),
        rev: sha.to_string(),
        what: format!("commit {sha}"),
    })?;
    r.branch(branch, &commit, false)
        .map(|_| ())
        .map_err(git_err(repo, "create branch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_and_normalized() {
        assert_eq!(checked_path("./deploy//k.yaml").unwrap(), "deploy/k.yaml");
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            ".git/config",
            "a/.GIT/x",
        ] {
            assert!(checked_path(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize("."), "");
        assert_eq!(normalize("./deploy/kubernetes/"), "deploy/kubernetes");
    }
}
