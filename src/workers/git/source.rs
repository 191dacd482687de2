//! Which repository to read and which ref of it to follow: from a GitRepository object
//! (`spec.url`, `spec.ref`) or from `--repo PATH|URL`.
//!
//! A local path (working tree or bare) is read in place and never modified. Anything with a
//! URL scheme (`https://`, `ssh://`, `file://`, ...) or in scp form (`git@host:path`) is
//! mirrored into the cache (`$XDG_CACHE_HOME/fluxdeck/git/<name>-<hash>`) and fetched.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::GitError;
use crate::model::source::GitRef;

/// Where a repository lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local working tree or bare repository, read in place.
    Local(PathBuf),
    /// A remote, mirrored into the cache.
    Remote(String),
}

impl Location {
    /// A remote when `s` is a URL (see [`is_url`]), else a local path.
    pub fn parse(s: &str) -> Location {
        if is_url(s) {
            Location::Remote(s.to_string())
        } else {
            Location::Local(PathBuf::from(s))
        }
    }
}

/// The ref whose history the log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackRef {
    /// The repository's HEAD (a remote's default branch).
    Head,
    /// `refs/heads/<name>` (for a local working tree, `refs/remotes/origin/<name>` too).
    Branch(String),
    /// `refs/tags/<name>`, peeled to its commit.
    Tag(String),
    /// A pinned commit (hex, at least 7 digits).
    Commit(String),
    /// A full ref name (`spec.ref.name`, e.g. `refs/pull/1/head`).
    Name(String),
}

impl TrackRef {
    /// The GitRepository field this ref comes from, for messages.
    pub fn field(&self) -> &'static str {
        match self {
            TrackRef::Head => "the default branch (HEAD)",
            TrackRef::Branch(_) => "spec.ref.branch",
            TrackRef::Tag(_) => "spec.ref.tag",
            TrackRef::Commit(_) => "spec.ref.commit",
            TrackRef::Name(_) => "spec.ref.name",
        }
    }

    /// The ref's own name (`main`, `v1.0`, a sha), empty for HEAD.
    pub fn name(&self) -> &str {
        match self {
            TrackRef::Head => "",
            TrackRef::Branch(n) | TrackRef::Tag(n) | TrackRef::Commit(n) | TrackRef::Name(n) => n,
        }
    }
}

/// Where a source was declared, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A GitRepository object in the cluster.
    GitRepository {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A `--repo` argument.
    Arg(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::GitRepository { namespace, name } => {
                write!(f, "GitRepository {namespace}/{name}")
            }
            Origin::Arg(arg) => write!(f, "--repo {}", redact_url(arg)),
        }
    }
}

/// One repository to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSource {
    /// Where it lives.
    pub location: Location,
    /// Which ref the log follows.
    pub reference: TrackRef,
    /// Where it was declared.
    pub origin: Origin,
    /// Set when part of the spec is not followed (`spec.ref.semver`), to show the user.
    pub note: Option<String>,
}

impl RepoSource {
    /// A `--repo PATH|URL` argument: a path is read in place, a URL mirrored; the log follows
    /// HEAD (a remote's default branch).
    pub fn from_arg(arg: &str) -> Result<RepoSource, GitError> {
        let trimmed = arg.trim();
        if trimmed.is_empty() {
            return Err(GitError::BadSource {
                origin: "--repo".into(),
                field: "--repo".into(),
                problem: "is empty".into(),
                fix: "give a repository path or URL, e.g. --repo ~/src/flux-repo".into(),
            });
        }
        Ok(RepoSource {
            location: Location::parse(trimmed),
            reference: TrackRef::Head,
            origin: Origin::Arg(trimmed.to_string()),
            note: None,
        })
    }

    /// A GitRepository object (any served version): `spec.url` and `spec.ref`, in Flux's
    /// precedence (commit > name > semver > tag > branch; no ref means branch `master`).
    /// `spec.ref.semver` is not resolved here: the log shows the default branch and `note`
    /// says so. A commit given with a branch shows the branch's log.
    pub fn from_git_repository(obj: &Value) -> Result<RepoSource, GitError> {
        let meta = &obj["metadata"];
        let origin = Origin::GitRepository {
            namespace: meta["namespace"].as_str().unwrap_or("default").to_string(),
            name: meta["name"].as_str().unwrap_or("<unnamed>").to_string(),
        };
        RepoSource::from_spec(origin, obj["spec"]["url"].as_str(), &GitRef::parse(obj))
    }

    /// A GitRepository already read by the model: its `spec.url` and `spec.ref`, with the
    /// precedence of [`RepoSource::from_git_repository`].
    pub fn from_spec(
        origin: Origin,
        url: Option<&str>,
        git_ref: &GitRef,
    ) -> Result<RepoSource, GitError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Err(GitError::BadSource {
                origin: origin.to_string(),
                field: "spec.url".into(),
                problem: "is missing".into(),
                fix: "set spec.url to the repository URL, or pass --repo PATH|URL".into(),
            });
        };
        let location = Location::parse(url);
        let mut note = None;
        let reference = if let Some(commit) = git_ref.commit.as_deref() {
            if !is_hex_prefix(commit) {
                return Err(GitError::BadSource {
                    origin: origin.to_string(),
                    field: "spec.ref.commit".into(),
                    problem: format!("`{commit}` is not a commit SHA"),
                    fix: "set it to a hex SHA of at least 7 digits".into(),
                });
            }
            match git_ref.branch.as_deref() {
                Some(b) => TrackRef::Branch(b.to_string()),
                None => TrackRef::Commit(commit.to_ascii_lowercase()),
            }
        } else if let Some(name) = git_ref.name.as_deref() {
            TrackRef::Name(name.to_string())
        } else if let Some(semver) = git_ref.semver.as_deref() {
            note = Some(format!(
                "spec.ref.semver `{semver}` is not resolved by the commits pane; it shows the default branch"
            ));
            TrackRef::Head
        } else if let Some(tag) = git_ref.tag.as_deref() {
            TrackRef::Tag(tag.to_string())
        } else {
            TrackRef::Branch(git_ref.branch.as_deref().unwrap_or("master").to_string())
        };
        Ok(RepoSource {
            location,
            reference,
            origin,
            note,
        })
    }

    /// The path or URL for messages, password removed.
    pub fn display_location(&self) -> String {
        match &self.location {
            Location::Local(p) => p.display().to_string(),
            Location::Remote(url) => redact_url(url),
        }
    }

    /// Where a remote's mirror lives under `cache_root`; `None` for a local path.
    pub fn cache_path(&self, cache_root: &Path) -> Option<PathBuf> {
        match &self.location {
            Location::Local(_) => None,
            Location::Remote(url) => Some(cache_root.join(cache_name(url))),
        }
    }
}

/// `$XDG_CACHE_HOME/fluxdeck/git` (or the platform's cache directory).
pub fn default_cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("fluxdeck").join("git"))
}

/// Whether `s` names a remote (`scheme://...` or scp-like `user@host:path`) rather than a path.
pub fn is_url(s: &str) -> bool {
    if let Some((scheme, _)) = s.split_once("://") {
        let mut chars = scheme.chars();
        return chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    }
    // scp form: a colon before any slash, and more than a drive letter before it.
    match s.split_once(':') {
        Some((before, _)) => before.len() > 1 && !before.contains('/') && !s.starts_with('.'),
        None => false,
    }
}

/// The URL with any password in it masked (see [`crate::model::mask::mask_url_password`]).
pub fn redact_url(url: &str) -> String {
    crate::model::mask::mask_url_password(url).into_owned()
}

/// A readable, collision-free directory name for a URL's mirror: host and path squashed to
/// `[a-z0-9-]`, then a hash of the (password-free) URL.
fn cache_name(url: &str) -> String {
    let clean = redact_url(url);
    let digest = Sha256::digest(clean.as_bytes());
    let readable_part = clean.split_once("://").map_or(clean.as_str(), |(_, r)| r);
    let readable_part = readable_part
        .rsplit_once('@')
        .map_or(readable_part, |(_, host)| host);
    let mut readable: String = readable_part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while readable.contains("--") {
        readable = readable.replace("--", "-");
    }
    let readable: String = readable.trim_matches('-').chars().take(60).collect();
    format!("{readable}-{}", hex::encode(digest.get(..8).unwrap_or(&[])))
}

/// Whether `s` is hex of a length a commit SHA prefix can have.
pub fn is_hex_prefix(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_and_paths_are_told_apart() {
        for url in [
            "https://github.com/x/y",
            "ssh://git@github.com/x/y.git",
            "file:///tmp/repo",
            "git@github.com:x/y.git",
            "git-codecommit.us-west-2.amazonaws.com:v1/repos/gitops",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in [
            "/tmp/repo",
            "./repo",
            "repo",
            "../a:b",
            "C:\\repos\\x",
            "a/b:c",
        ] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn passwords_never_survive_redaction_or_reach_the_cache_name() {
        let url = "https://bob:s3cret@git.example.com/team/repo.git";
        assert_eq!(
            redact_url(url),
            "https://bob:********@git.example.com/team/repo.git"
        );
        let name = cache_name(url);
        assert!(!name.contains("s3cret"), "{name}");
        assert!(name.starts_with("git-example-com-team-repo-git-"), "{name}");
        // The same repository with another password shares the mirror.
        assert_eq!(
            name,
            cache_name("https://bob:other@git.example.com/team/repo.git")
        );
        assert_ne!(name, cache_name("https://git.example.com/team/other.git"));
        assert_eq!(redact_url("git@github.com:x/y"), "git@github.com:x/y");
    }

    #[test]
    fn git_repository_refs_follow_flux_precedence() {
        let obj = |r: Value| {
            json!({"metadata": {"name": "t", "namespace": "ns"},
                   "spec": {"url": "https://h/r", "ref": r}})
        };
        let src = |r| RepoSource::from_git_repository(&obj(r)).unwrap();
        assert_eq!(
            src(json!({"branch": "main"})).reference,
            TrackRef::Branch("main".into())
        );
        assert_eq!(
            src(json!({"branch": "main", "tag": "v1"})).reference,
            TrackRef::Tag("v1".into())
        );
        assert_eq!(
            src(json!({"tag": "v1", "name": "refs/pull/1/head"})).reference,
            TrackRef::Name("refs/pull/1/head".into())
        );
        assert_eq!(
            src(json!({"commit": "ABCDEF1", "name": "refs/x"})).reference,
            TrackRef::Commit("abcdef1".into())
        );
        assert_eq!(
            src(json!({"commit": "abcdef1", "branch": "main"})).reference,
            TrackRef::Branch("main".into())
        );
        let semver = src(json!({"semver": ">=1.0.0", "branch": "main"}));
        assert_eq!(semver.reference, TrackRef::Head);
        assert!(semver.note.unwrap().contains("semver"));
        assert_eq!(
            src(json!(null)).reference,
            TrackRef::Branch("master".into())
        );
        assert_eq!(src(json!(null)).origin.to_string(), "GitRepository ns/t");
    }

    #[test]
    fn bad_git_repositories_are_messages() {
        let e = RepoSource::from_git_repository(
            &json!({"metadata": {"name": "t", "namespace": "ns"}, "spec": {}}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("GitRepository ns/t") && e.contains("spec.url"),
            "{e}"
        );
        let e = RepoSource::from_git_repository(
            &json!({"metadata": {"name": "t"}, "spec": {"url": "https://h/r", "ref": {"commit": "HEAD~1"}}}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("spec.ref.commit"), "{e}");
        assert!(RepoSource::from_arg("  ").is_err());
    }

    #[test]
    fn arguments_pick_local_or_remote() {
        let local = RepoSource::from_arg("/srv/flux-repo").unwrap();
        assert_eq!(local.location, Location::Local("/srv/flux-repo".into()));
        assert!(local.cache_path(Path::new("/c")).is_none());
        let remote = RepoSource::from_arg("https://u:pw@h/r.git").unwrap();
        assert!(matches!(remote.location, Location::Remote(_)));
        assert!(
            remote
                .cache_path(Path::new("/c"))
                .unwrap()
                .starts_with("/c")
        );
        assert_eq!(
            remote.origin.to_string(),
            "--repo https://u:********@h/r.git"
        );
        assert_eq!(remote.display_location(), "https://u:********@h/r.git");
    }
}
