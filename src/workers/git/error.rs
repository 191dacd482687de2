//! What can go wrong in the git worker. Every message names the repository (where it came
//! from and where it lives), what failed and what to do next; none carries a credential.

use super::credentials::Attempts;
use crate::model::mask::mask_url_passwords;

/// A git worker failure, cheap to clone into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    /// A repository source that cannot be followed (a GitRepository without `spec.url`, ...).
    #[error("{origin}: {field} {problem}; {fix}")]
    BadSource {
        /// Where the source came from (`GitRepository ns/name`, `--repo ARG`).
        origin: String,
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        problem: String,
        /// What to do.
        fix: String,
    },
    /// Every credential kind that applies was tried and refused, or none was available.
    #[error(
        "authentication to {url} failed ({origin}); tried: {tried_list}; set FLUXDECK_GIT_TOKEN for HTTPS, load a key into ssh-agent for SSH, or configure a git credential helper (fluxdeck never reads cluster Secrets), then fetch again",
        tried_list = if tried.is_empty() { "no credential was available".to_string() } else { tried.join(", ") }
    )]
    AuthFailed {
        /// Where the source came from.
        origin: String,
        /// The repository URL, password removed.
        url: String,
        /// The credential kinds tried, in order (names only, never values).
        tried: Vec<String>,
    },
    /// The SSH server's host key is not the one known_hosts lists (unknown, changed or
    /// revoked); the message names the host and the command that fixes it.
    #[error("{message} ({origin})")]
    HostKey {
        /// Where the source came from.
        origin: String,
        /// What is wrong and what to run.
        message: String,
    },
    /// The server or the network did not answer as git expects.
    #[error(
        "cannot fetch {url} ({origin}): {message}; check the network, proxy and the URL; the next fetch retries"
    )]
    Network {
        /// Where the source came from.
        origin: String,
        /// The repository URL, password removed.
        url: String,
        /// libgit2's message.
        message: String,
    },
    /// No repository where the source says (never created, deleted, moved, or a 404).
    #[error(
        "repository {location} not found ({origin}): {message}; check the URL or path; the next fetch looks again"
    )]
    NotFound {
        /// Where the source came from.
        origin: String,
        /// The path or URL, password removed.
        location: String,
        /// libgit2's message.
        message: String,
    },
    /// The branch, tag or reference the source follows is not in the repository.
    #[error(
        "{field} `{name}` of {origin} is not in {location} (it has: {have}); fix {field} or push that ref",
        have = if available.is_empty() { "no refs".to_string() } else { available.join(", ") }
    )]
    RefMissing {
        /// Where the source came from.
        origin: String,
        /// The field naming the ref (`spec.ref.branch`, ...).
        field: String,
        /// The ref's name.
        name: String,
        /// The path or URL, password removed.
        location: String,
        /// Some refs of the same kind that do exist.
        available: Vec<String>,
    },
    /// A commit asked for (a pinned `spec.ref.commit`, a diff) is not in the repository.
    #[error("commit {sha} is not in {location} ({origin}); {fix}")]
    CommitMissing {
        /// Where the source came from.
        origin: String,
        /// The commit asked for.
        sha: String,
        /// The path or URL, password removed.
        location: String,
        /// What to do.
        fix: String,
    },
    /// The local cache of mirrors cannot be used.
    #[error(
        "cannot use the git cache {path}: {message}; check its permissions or delete it (fluxdeck clones again)"
    )]
    Cache {
        /// The cache directory.
        path: String,
        /// The cause.
        message: String,
    },
    /// Any other git failure.
    #[error("git {op} failed on {location} ({origin}): {message}")]
    Git {
        /// Where the source came from.
        origin: String,
        /// What was being done (`fetch`, `log`, `diff`).
        op: String,
        /// The path or URL, password removed.
        location: String,
        /// libgit2's message.
        message: String,
    },
    /// A command named a repository key the worker does not track.
    #[error("no repository is tracked as `{key}`; send GitCommand::Track for it first")]
    UnknownRepo {
        /// The key.
        key: String,
    },
}

/// The repository a git2 failure happened on, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// Where the source came from.
    pub origin: &'a str,
    /// The path or URL, password removed.
    pub location: &'a str,
    /// What was being done.
    pub op: &'a str,
}

impl Context<'_> {
    /// Sorts a libgit2 error into the kinds the UI tells apart. `attempts` is what the
    /// credential callback saw during the operation, if it was a network one.
    pub(crate) fn classify(&self, err: &git2::Error, attempts: Option<&Attempts>) -> GitError {
        use git2::{ErrorClass, ErrorCode};
        let message = mask_url_passwords(err.message()).into_owned();
        let auth = err.code() == ErrorCode::Auth
            || attempts.is_some_and(|a| a.exhausted)
            || message.contains("authentication required")
            || message.contains("unexpected authentication failure");
        if auth {
            return GitError::AuthFailed {
                origin: self.origin.to_string(),
                url: self.location.to_string(),
                tried: attempts.map(|a| a.tried.clone()).unwrap_or_default(),
            };
        }
        let lower = message.to_ascii_lowercase();
        // NotFound also means a missing object or ref; only a missing repository counts.
        let not_found = (err.code() == ErrorCode::NotFound
            && matches!(err.class(), ErrorClass::Repository | ErrorClass::Os))
            || lower.contains("status code: 404")
            || lower.contains("could not find repository")
            || lower.contains("failed to resolve path")
            || lower.contains("does not appear to be a git repository")
            || lower.contains("repository not found");
        if not_found {
            return GitError::NotFound {
                origin: self.origin.to_string(),
                location: self.location.to_string(),
                message,
            };
        }
        match err.class() {
            ErrorClass::Net
            | ErrorClass::Http
            | ErrorClass::Ssh
            | ErrorClass::Ssl
            | ErrorClass::Os
            | ErrorClass::Callback => GitError::Network {
                origin: self.origin.to_string(),
                url: self.location.to_string(),
                message,
            },
            _ => self.other(message),
        }
    }

    /// A failure of no particular kind.
    pub(crate) fn other(&self, message: impl Into<String>) -> GitError {
        GitError::Git {
            origin: self.origin.to_string(),
            op: self.op.to_string(),
            location: self.location.to_string(),
            message: mask_url_passwords(&message.into()).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            origin: "GitRepository sock-shop/tenant",
            location: "https://git.example/repo",
            op: "fetch",
        }
    }

    #[test]
    fn auth_failure_lists_what_was_tried_and_the_fix() {
        let mut attempts = Attempts::default();
        attempts.tried.push("token from $FLUXDECK_GIT_TOKEN".into());
        attempts.exhausted = true;
        let err = git2::Error::from_str("no more credentials");
        let e = ctx().classify(&err, Some(&attempts));
        let text = e.to_string();
        assert!(matches!(e, GitError::AuthFailed { .. }));
        assert!(text.contains("token from $FLUXDECK_GIT_TOKEN"), "{text}");
        assert!(text.contains("GitRepository sock-shop/tenant"), "{text}");
        assert!(text.contains("credential helper"), "{text}");
    }

    #[test]
    fn a_404_is_not_found_and_a_socket_error_is_network() {
        let e = git2::Error::new(
            git2::ErrorCode::GenericError,
            git2::ErrorClass::Http,
            "unexpected http status code: 404",
        );
        assert!(matches!(
            ctx().classify(&e, None),
            GitError::NotFound { .. }
        ));
        let e = git2::Error::new(
            git2::ErrorCode::GenericError,
            git2::ErrorClass::Net,
            "failed to connect to 127.0.0.1: Connection refused",
        );
        assert!(matches!(ctx().classify(&e, None), GitError::Network { .. }));
    }

    #[test]
    fn missing_ref_names_the_field_and_what_exists() {
        let e = GitError::RefMissing {
            origin: "GitRepository a/b".into(),
            field: "spec.ref.branch".into(),
            name: "mian".into(),
            location: "/repos/x".into(),
            available: vec!["main".into(), "dev".into()],
        };
        let text = e.to_string();
        assert!(text.contains("spec.ref.branch `mian`"), "{text}");
        assert!(text.contains("main, dev"), "{text}");
    }
}
