//! One commit's diff against its first parent, as unified text for the diff view: binary
//! files are named, not dumped, and the text stops at a size cap.

use git2::{Commit, Delta, Diff, DiffDelta, DiffFormat, DiffOptions, Oid, Repository};

/// One file a commit touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffFile {
    /// The path after the change (before it, for a deletion).
    pub path: String,
    /// `A`dded, `M`odified, `D`eleted, `R`enamed, `T`ype change, ...
    pub status: char,
    /// Whether git treats it as binary.
    pub binary: bool,
}

/// A commit's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDiff {
    /// The full SHA.
    pub sha: String,
    /// `commit`, `Author`, `Date` and the message, as `git show` starts.
    pub header: String,
    /// Every file touched, even past the cap.
    pub files: Vec<DiffFile>,
    /// The unified diff (`diff --git` headers, hunks, `Binary files ... differ`).
    pub patch: String,
    /// Set when `patch` stopped at the cap.
    pub truncated: bool,
}

/// The default cap on `patch`.
pub const DEFAULT_DIFF_CAP: usize = 512 * 1024;

/// The diff of commit `oid` against its first parent (the empty tree for a root commit).
pub(crate) fn commit_diff(
    repo: &Repository,
    oid: Oid,
    cap: usize,
) -> Result<CommitDiff, git2::Error> {
    let commit = repo.find_commit(oid)?;
    let mut opts = DiffOptions::new();
    opts.show_binary(false);
    let mut diff = against_first_parent(repo, &commit, &mut opts)?;
    diff.find_similar(None)?;
    let mut files = Vec::new();
    for delta in diff.deltas() {
        let path = delta_path(&delta);
        // libgit2 only flags binaries once it loads content, so ask the blob itself.
        let side = if delta.status() == Delta::Deleted {
            delta.old_file()
        } else {
            delta.new_file()
        };
        let binary =
            delta.flags().is_binary() || repo.find_blob(side.id()).is_ok_and(|b| b.is_binary());
        files.push(DiffFile {
            path,
            status: status_char(delta.status()),
            binary,
        });
    }
    let mut patch = String::new();
    let mut truncated = false;
    let printed = diff.print(DiffFormat::Patch, |_delta, _hunk, line| {
        let content = String::from_utf8_lossy(line.content());
        let prefix = match line.origin() {
            c @ ('+' | '-' | ' ') => Some(c),
            _ => None,
        };
        let needed = content.len() + usize::from(prefix.is_some());
        if patch.len() + needed > cap {
            truncated = true;
            return false;
        }
        if let Some(c) = prefix {
            patch.push(c);
        }
        patch.push_str(&content);
        true
    });
    // Stopping at the cap makes libgit2 report a user abort; anything else is a real error.
    if let Err(e) = printed
        && !truncated
    {
        return Err(e);
    }
    let sig = commit.author();
    let when = jiff::Timestamp::from_second(sig.when().seconds())
        .map(|t| t.to_string())
        .unwrap_or_default();
    let message = String::from_utf8_lossy(commit.message_bytes());
    let mut header = format!(
        "commit {oid}\nAuthor: {} <{}>\nDate:   {when}\n\n",
        String::from_utf8_lossy(sig.name_bytes()),
        String::from_utf8_lossy(sig.email_bytes()),
    );
    for line in message.trim_end().lines() {
        header.push_str("    ");
        header.push_str(line);
        header.push('\n');
    }
    Ok(CommitDiff {
        sha: oid.to_string(),
        header,
        files,
        patch,
        truncated,
    })
}

/// A commit's changes against its first parent (the empty tree for a root commit), as
/// `git show` takes them.
pub(crate) fn against_first_parent<'r>(
    repo: &'r Repository,
    commit: &Commit<'_>,
    opts: &mut DiffOptions,
) -> Result<Diff<'r>, git2::Error> {
    let tree = commit.tree()?;
    let parent_tree = match commit.parents().next() {
        Some(p) => Some(p.tree()?),
        None => None,
    };
    repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(opts))
}

/// The path a delta is about: after the change, or before it for a deletion.
pub(crate) fn delta_path(delta: &DiffDelta<'_>) -> String {
    delta
        .new_file()
        .path()
        .or(delta.old_file().path())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn status_char(d: Delta) -> char {
    match d {
        Delta::Added => 'A',
        Delta::Deleted => 'D',
        Delta::Modified => 'M',
        Delta::Renamed => 'R',
        Delta::Copied => 'C',
        Delta::Typechange => 'T',
        Delta::Unmodified => ' ',
        Delta::Ignored | Delta::Untracked | Delta::Unreadable | Delta::Conflicted => '?',
    }
}
