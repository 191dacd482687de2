//! Errors of the setters engine. Each message names the object, the field and the fix.

use std::path::{Path, PathBuf};

/// An error that stops a whole setters run (a bad argument or an I/O failure), as opposed to a
/// [`ParseProblem`], which only leaves one file alone.
#[derive(Debug, thiserror::Error)]
pub enum SettersError {
    /// An image reference that is not `NAME[:TAG][@DIGEST]`.
    #[error("image reference `{input}`: {reason}; write it as NAME:TAG or NAME:TAG@DIGEST")]
    BadImageRef {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The repository root is missing or not a directory.
    #[error("repository root {}: {reason}; pass an existing directory", root.display())]
    BadRoot {
        /// The root as given.
        root: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The update path leaves the repository root or does not exist.
    #[error(
        "update path `{update_path}` under {}: {reason}; use a path inside the repository",
        root.display()
    )]
    BadUpdatePath {
        /// The repository root.
        root: PathBuf,
        /// The update path as given.
        update_path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`reading`, `writing`...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Why one file was left alone: it does not parse as YAML, or a marked value cannot be rewritten
/// in place safely. Flux records such files as `ProblemFiles` and goes on with the others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{cause}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ParseProblem {
    /// The 1-based line the problem is on, when known.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub cause: String,
}

impl ParseProblem {
    /// A problem at a 1-based line.
    pub fn at(line: usize, cause: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            cause: cause.into(),
        }
    }

    /// A problem with the whole file.
    pub fn whole_file(cause: impl Into<String>) -> Self {
        Self {
            line: None,
            cause: cause.into(),
        }
    }
}

/// An I/O failure while `action` (`reading`, `writing`, ...) `path`.
pub(super) fn io(action: &'static str, path: &Path, source: std::io::Error) -> SettersError {
    SettersError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
