//! `setters::apply_tree`: walk a repository as Flux's `ScreeningLocalReader` does, rewrite the
//! marked files and write only the changed ones.
//!
//! - The update path is joined to the root lexically (`..` cannot climb above the root) and
//!   must resolve inside it (a symlinked directory on the way that leaves the root is an
//!   error), as `securejoin` guarantees for Flux.
//! - Files are visited depth-first in byte order of their names (Go's `filepath.Walk`), so the
//!   change list is in a stable, Flux-like order. Only `.yaml`/`.yml` files and files named
//!   exactly `Kustomization` are read, and only those whose bytes hold `"$imagepolicy"`
//!   (with the quotes) are parsed.
//! - Symlinked directories are never entered. A symlinked file is read only when its target
//!   lies inside the root (Flux would follow it anywhere); a dangling one is skipped silently,
//!   as Flux skips it; one pointing out of the root is reported. A target reached twice is
//!   processed once. In place, a symlinked file is written through to its target, so the link
//!   stays a link.
//! - A file over the size limit, a non-UTF-8 file, a file that does not parse and a file with
//!   an unsafe marked value are problems: reported, left alone, and the walk goes on.
//! - Writes are atomic: a temporary file in the same directory, with the original's
//!   permissions, renamed over the target (no per-file fsync; `write::atomic_write` says
//!   why).

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::error::{SettersError, io};
use super::marker::TOKEN;
use super::policy_ref::PolicyRef;
use super::rewrite::{Change, Setters};
use super::write::{PendingWrite, write_all};

/// Where changed files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Rewrite the files where they are (what Flux does).
    InPlace,
    /// Write only the changed files under this directory, at their paths relative to the
    /// update path.
    Dir(PathBuf),
    /// Write nothing; [`TreeResult::diff`] holds a unified diff.
    DryRun,
}

/// Limits of a tree walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeOptions {
    /// Files larger than this many bytes are skipped with a problem.
    pub max_file_size: u64,
}

impl Default for TreeOptions {
    fn default() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// The default size limit: 10 MiB, far above any manifest.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// A change with the file it was made in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// The file, relative to the update path, with `/` separators.
    pub file: String,
    /// The change.
    #[serde(flatten)]
    pub change: Change,
}

/// A file left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, relative to the update path.
    pub file: String,
    /// What is wrong and how to fix it.
    pub cause: String,
}

/// The outcome of [`apply_tree`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeResult {
    /// Every change, file by file in walk order, each file's in document order.
    pub changes: Vec<FileChange>,
    /// Files that were left alone.
    pub problems: Vec<Problem>,
    /// Files with at least one change, relative to the update path.
    pub changed_files: Vec<String>,
    /// Paths written (none in a dry run).
    pub written: Vec<PathBuf>,
    /// The unified diff of all changes, in a dry run.
    pub diff: Option<String>,
}

/// Applies `policies` to the files under `update_path` inside `root`, with default limits.
pub fn apply_tree(
    root: &Path,
    update_path: &str,
    policies: &[PolicyRef],
    output: Output,
) -> Result<TreeResult, SettersError> {
    apply_tree_with(root, update_path, policies, output, &TreeOptions::default())
}

/// Applies `policies` to the files under `update_path` inside `root`; see the module doc.
pub fn apply_tree_with(
    root: &Path,
    update_path: &str,
    policies: &[PolicyRef],
    output: Output,
    options: &TreeOptions,
) -> Result<TreeResult, SettersError> {
    let root = fs::canonicalize(root).map_err(|e| SettersError::BadRoot {
        root: root.to_owned(),
        reason: e.to_string(),
    })?;
    if !root.is_dir() {
        return Err(SettersError::BadRoot {
            root,
            reason: "not a directory".into(),
        });
    }
    let start = secure_join(&root, update_path)?;
    let base = if start.is_dir() {
        start.clone()
    } else {
        start.parent().map_or_else(|| root.clone(), Path::to_owned)
    };
    let mut run = Run {
        root,
        base,
        setters: Setters::new(policies),
        output,
        options: options.clone(),
        seen: HashSet::new(),
        result: TreeResult::default(),
        pending: Vec::new(),
    };
    if start.is_dir() {
        run.walk(&start)?;
    } else {
        run.visit(&start)?;
    }
    write_all(&run.pending)?;
    if run.output == Output::DryRun {
        run.result.diff.get_or_insert_with(String::new);
    }
    Ok(run.result)
}

/// Joins `update_path` to `root` so that it cannot leave it: `.`/`..` are resolved lexically
/// (clamped at the root), a leading `/` means the root, and the result must exist and resolve
/// inside the root.
fn secure_join(root: &Path, update_path: &str) -> Result<PathBuf, SettersError> {
    let bad = |reason: String| SettersError::BadUpdatePath {
        root: root.to_owned(),
        update_path: update_path.to_owned(),
        reason,
    };
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(update_path).components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let joined: PathBuf = parts.iter().fold(root.to_owned(), |p, part| p.join(part));
    let resolved = fs::canonicalize(&joined).map_err(|e| bad(e.to_string()))?;
    if !resolved.starts_with(root) {
        return Err(bad(format!(
            "it resolves to {}, outside the repository (a symlink leaves it)",
            resolved.display()
        )));
    }
    Ok(resolved)
}

struct Run {
    root: PathBuf,
    base: PathBuf,
    setters: Setters,
    output: Output,
    options: TreeOptions,
    seen: HashSet<PathBuf>,
    result: TreeResult,
    /// Rewritten files, written after the walk ([`write_all`]).
    pending: Vec<PendingWrite>,
}

impl Run {
    /// Depth-first, names in byte order, without recursion (deep trees cannot overflow).
    fn walk(&mut self, start: &Path) -> Result<(), SettersError> {
        let mut stack = vec![sorted_entries(start)?.into_iter()];
        while let Some(entries) = stack.last_mut() {
            let Some(path) = entries.next() else {
                stack.pop();
                continue;
            };
            let meta = fs::symlink_metadata(&path).map_err(|e| io("reading", &path, e))?;
            if meta.is_dir() {
                stack.push(sorted_entries(&path)?.into_iter());
            } else {
                self.visit(&path)?;
            }
        }
        Ok(())
    }

    fn visit(&mut self, path: &Path) -> Result<(), SettersError> {
        if !screened_name(path) {
            return Ok(());
        }
        let rel = self.relative(path);
        let meta = fs::symlink_metadata(path).map_err(|e| io("reading", path, e))?;
        let target = if meta.file_type().is_symlink() {
            let Ok(target) = fs::canonicalize(path) else {
                // Dangling: Flux skips unreadable symlinks without a word.
                return Ok(());
            };
            if !target.starts_with(&self.root) {
                self.problem(
                    rel,
                    format!(
                        "symlink to {}, outside the repository; not followed (copy the file in instead)",
                        target.display()
                    ),
                );
                return Ok(());
            }
            if !target.is_file() {
                return Ok(());
            }
            target
        } else if meta.is_file() {
            path.to_owned()
        } else {
            return Ok(());
        };
        if !self.seen.insert(target.clone()) {
            return Ok(());
        }
        let size = fs::metadata(&target)
            .map_err(|e| io("reading", &target, e))?
            .len();
        if size > self.options.max_file_size {
            self.problem(
                rel,
                format!(
                    "file is {size} bytes, over the {}-byte limit; skipped (raise the limit to include it)",
                    self.options.max_file_size
                ),
            );
            return Ok(());
        }
        let bytes = fs::read(&target).map_err(|e| io("reading", &target, e))?;
        if !contains_token(&bytes) {
            return Ok(());
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            self.problem(
                rel,
                "not UTF-8 text; Flux reads YAML as UTF-8: re-encode the file".into(),
            );
            return Ok(());
        };
        let rewrite = match self.setters.rewrite(text) {
            Ok(rewrite) => rewrite,
            Err(problem) => {
                self.problem(rel, problem.to_string());
                return Ok(());
            }
        };
        let Some(new_text) = rewrite.new_text else {
            return Ok(());
        };
        match &self.output {
            Output::InPlace => {
                self.pending.push(PendingWrite {
                    dest: target.clone(),
                    text: new_text,
                    permissions_of: target.clone(),
                });
                self.result.written.push(target.clone());
            }
            Output::Dir(out) => {
                let dest = out.join(&rel);
                self.pending.push(PendingWrite {
                    dest: dest.clone(),
                    text: new_text,
                    permissions_of: target.clone(),
                });
                self.result.written.push(dest);
            }
            Output::DryRun => {
                let diff = similar::TextDiff::from_lines(text, new_text.as_str())
                    .unified_diff()
                    .header(&format!("a/{rel}"), &format!("b/{rel}"))
                    .to_string();
                self.result
                    .diff
                    .get_or_insert_with(String::new)
                    .push_str(&diff);
            }
        }
        self.result
            .changes
            .extend(rewrite.changes.into_iter().map(|change| FileChange {
                file: rel.clone(),
                change,
            }));
        self.result.changed_files.push(rel);
        Ok(())
    }

    fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.base).unwrap_or(path);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    fn problem(&mut self, file: String, cause: String) {
        self.result.problems.push(Problem { file, cause });
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, SettersError> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| io("listing", dir, e))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io("listing", dir, e))?;
    entries.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(entries)
}

/// Flux's screen on names: extension `.yaml` or `.yml`, or the name `Kustomization`.
fn screened_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(screened_file_name)
}

/// Flux's screen on a file's base name: `.yaml`, `.yml`, or exactly `Kustomization`.
pub fn screened_file_name(name: &str) -> bool {
    name == "Kustomization" || name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The files of an in-memory tree that a set of policies changes (e.g. a git tree read
/// without a working copy), screened and rewritten exactly as [`apply_tree`] does on
/// disk: `(path, new text)` of every changed file, the change list, and problem files.
/// Paths are as given, `/`-separated, in the order given.
pub fn apply_files(
    files: &[(String, Vec<u8>)],
    policies: &[PolicyRef],
) -> (Vec<(String, String)>, Vec<FileChange>, Vec<Problem>) {
    let setters = Setters::new(policies);
    let mut written = Vec::new();
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    for (path, bytes) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if !screened_file_name(base) || !contains_token(bytes) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            problems.push(Problem {
                file: path.clone(),
                cause: "not UTF-8".into(),
            });
            continue;
        };
        match setters.rewrite(text) {
            Ok(r) => {
                changes.extend(r.changes.into_iter().map(|change| FileChange {
                    file: path.clone(),
                    change,
                }));
                if let Some(new) = r.new_text {
                    written.push((path.clone(), new));
                }
            }
            Err(p) => problems.push(Problem {
                file: path.clone(),
                cause: p.to_string(),
            }),
        }
    }
    (written, changes, problems)
}

/// True when the bytes hold `"$imagepolicy"`, quotes included (Flux's screen on content).
pub fn contains_token(bytes: &[u8]) -> bool {
    let token = TOKEN.as_bytes();
    let mut at = 0;
    while let Some(i) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'"'))
    {
        if bytes
            .get(at + i..)
            .is_some_and(|rest| rest.starts_with(token))
        {
            return true;
        }
        at += i + 1;
    }
    false
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
