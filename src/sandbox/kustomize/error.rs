//! Why a build failed, worded as Flux words it.
//!
//! kustomize-controller puts the error text in the Kustomization's `Ready` condition:
//! `kustomization path not found: stat …` (reason `ArtifactFailed`) before building, the
//! generator's own error (reason `BuildFailed`) while it writes the kustomization file, and
//! `kustomize build failed: <kustomize error>` (reason `BuildFailed`) for the build. kustomize
//! wraps errors outward (`accumulating resources: accumulation err='…': …`); the internal
//! [`KError`] does the same so the final text reads like the real one. Each error also carries
//! a hint (the fix), kept apart from the message so the message stays Flux's.

use std::fmt;

use super::tree::ROOT;

/// Why a build failed. `Display` is the message Flux puts in the Kustomization's `Ready`
/// condition; [`BuildError::reason`] is the condition's reason; [`BuildError::hint`] says how
/// to fix it (fluxdeck's addition, not part of Flux's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// `spec.path` names no directory of the artifact (reason `ArtifactFailed`).
    PathNotFound {
        /// The path as joined to the root (repository-relative, cleaned).
        path: String,
    },
    /// Writing the generated kustomization failed (reason `BuildFailed`, no prefix).
    Generate {
        /// The generator's error text.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// kustomize failed (reason `BuildFailed`, prefixed `kustomize build failed: `).
    Kustomize {
        /// kustomize's error text.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// A built object lacks `apiVersion`, `kind` or `metadata.name` (reason `BuildFailed`).
    InvalidObject {
        /// The object as YAML.
        object: String,
    },
}

impl BuildError {
    /// Flux's condition reason: `ArtifactFailed` for a missing path, `BuildFailed` otherwise.
    pub fn reason(&self) -> &'static str {
        match self {
            BuildError::PathNotFound { .. } => "ArtifactFailed",
            _ => "BuildFailed",
        }
    }

    /// How to fix the error (not part of Flux's message).
    pub fn hint(&self) -> String {
        match self {
            BuildError::PathNotFound { path } => format!(
                "spec.path '{path}' is not a directory of the source's revision: fix spec.path \
                 in the Flux Kustomization, or commit the directory"
            ),
            BuildError::Generate { hint, .. } | BuildError::Kustomize { hint, .. } => hint.clone(),
            BuildError::InvalidObject { .. } => "every object needs apiVersion, kind and \
                 metadata.name: fix the manifest (or the patch that removed them)"
                .to_string(),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::PathNotFound { path } => {
                let sep = if path.is_empty() { "" } else { "/" };
                write!(
                    f,
                    "kustomization path not found: stat {ROOT}{sep}{path}: no such file or directory"
                )
            }
            BuildError::Generate { message, .. } => f.write_str(message),
            BuildError::Kustomize { message, .. } => {
                write!(f, "kustomize build failed: {message}")
            }
            BuildError::InvalidObject { object } => write!(
                f,
                "failed to decode Kubernetes apiVersion, kind and name from: {object}"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// An error inside the build, wrapped outward as kustomize wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KError {
    /// The message so far.
    pub msg: String,
    /// The innermost hint.
    pub hint: Option<String>,
}

/// A result inside the build.
pub(crate) type KResult<T> = Result<T, KError>;

impl KError {
    /// A new error with message `msg`.
    pub fn new(msg: impl Into<String>) -> KError {
        KError {
            msg: msg.into(),
            hint: None,
        }
    }

    /// Adds the fix, unless an inner error already named one.
    pub fn hint(mut self, hint: impl Into<String>) -> KError {
        if self.hint.is_none() {
            self.hint = Some(hint.into());
        }
        self
    }

    /// Prefixes the message as kustomize's `errors.WrapPrefixf` does (`prefix: msg`).
    pub fn wrap(mut self, prefix: impl fmt::Display) -> KError {
        self.msg = format!("{prefix}: {}", self.msg);
        self
    }

    /// Whether kustomize would take this for a YAML syntax error.
    pub fn is_malformed_yaml(&self) -> bool {
        self.msg.contains("MalformedYAMLError")
    }

    /// The public error for a kustomize failure.
    pub fn into_build_error(self) -> BuildError {
        BuildError::Kustomize {
            hint: self.hint.unwrap_or_else(|| {
                "see the kustomize message: it names the file and the field to fix".to_string()
            }),
            message: self.msg,
        }
    }

    /// The public error for a generator failure.
    pub fn into_generate_error(self) -> BuildError {
        BuildError::Generate {
            hint: self.hint.unwrap_or_else(|| {
                "fix the kustomization file or the manifests the generator reads".to_string()
            }),
            message: self.msg,
        }
    }
}

impl From<String> for KError {
    fn from(msg: String) -> KError {
        KError::new(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_reasons_are_fluxs() {
        let e = BuildError::PathNotFound {
            path: "apps/dev".into(),
        };
        assert_eq!(
            e.to_string(),
            "kustomization path not found: stat /tmp/kustomization-sandbox/apps/dev: no such file or directory"
        );
        assert_eq!(e.reason(), "ArtifactFailed");
        assert!(e.hint().contains("spec.path"));
        let k = KError::new("no matches")
            .hint("add the target")
            .wrap("accumulating resources")
            .hint("outer hint is ignored")
            .into_build_error();
        assert_eq!(
            k.to_string(),
            "kustomize build failed: accumulating resources: no matches"
        );
        assert_eq!(k.reason(), "BuildFailed");
        assert_eq!(k.hint(), "add the target");
    }
}
