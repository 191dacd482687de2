//! Opening a source's repository (blocking; the worker runs this on tokio's blocking pool):
//! a local path is opened in place and only read; a remote is mirrored as a bare repository
//! in the cache and fetched. Then the followed ref is resolved to a commit.

use std::cell::RefCell;
use std::path::Path;

use git2::{AutotagOption, FetchOptions, FetchPrune, Oid, ProxyOptions, Repository};

use super::credentials::{Attempts, CredentialConfig};
use super::error::{Context, GitError};
use super::source::{Location, RepoSource, TrackRef};

/// Every branch and tag of the remote, as a mirror keeps them (pruned when deleted there).
const MIRROR_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// A repository opened for reading, with what the source's ref points at.
pub(crate) struct Opened {
    /// The repository (the mirror, for a remote).
    pub repo: Repository,
    /// The commit the followed ref points at.
    pub head: Oid,
    /// The ref resolved (`refs/heads/main`, a SHA for a pinned commit).
    pub reference: String,
}

/// Messages' view of a source.
pub(crate) struct Names {
    pub origin: String,
    pub location: String,
}

impl Names {
    pub(crate) fn of(source: &RepoSource) -> Names {
        Names {
            origin: source.origin.to_string(),
            location: source.display_location(),
        }
    }

    pub(crate) fn ctx<'a>(&'a self, op: &'a str) -> Context<'a> {
        Context {
            origin: &self.origin,
            location: &self.location,
            op,
        }
    }
}

/// Opens the source's repository; with `fetch`, a remote's mirror is cloned or fetched first
/// (a local path is re-read either way).
pub(crate) fn open(
    source: &RepoSource,
    cache_root: &Path,
    creds: &CredentialConfig,
    fetch: bool,
) -> Result<Opened, GitError> {
    let names = Names::of(source);
    let repo = open_repo(source, cache_root, Some((creds, fetch)))?;
    let (head, reference) = resolve(&repo, &source.reference, &names)?;
    Ok(Opened {
        repo,
        head,
        reference,
    })
}

/// Opens the repository without resolving the ref; `fetch` carries the credentials and
/// whether to fetch a remote first (an empty mirror is always fetched; without `fetch`, a
/// mirror is read as it is).
pub(crate) fn open_repo(
    source: &RepoSource,
    cache_root: &Path,
    fetch: Option<(&CredentialConfig, bool)>,
) -> Result<Repository, GitError> {
    let names = Names::of(source);
    let repo = match &source.location {
        Location::Local(path) => Repository::open(path).map_err(|e| GitError::NotFound {
            origin: names.origin.clone(),
            location: names.location.clone(),
            message: e.message().to_string(),
        })?,
        Location::Remote(url) => {
            let dir = source
                .cache_path(cache_root)
                .unwrap_or_else(|| cache_root.to_path_buf());
            let repo = open_mirror(&dir)?;
            if let Some((creds, force)) = fetch
                && (force || repo.is_empty().unwrap_or(true))
            {
                fetch_mirror(&repo, url, source, creds, &names)?;
            }
            repo
        }
    };
    Ok(repo)
}

/// The cache's bare mirror, created when missing or unreadable (it holds nothing that a
/// fetch cannot bring back).
fn open_mirror(dir: &Path) -> Result<Repository, GitError> {
    let cache_err = |message: String| GitError::Cache {
        path: dir.display().to_string(),
        message,
    };
    if dir.exists() {
        if let Ok(repo) = Repository::open_bare(dir) {
            return Ok(repo);
        }
        std::fs::remove_dir_all(dir).map_err(|e| cache_err(e.to_string()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| cache_err(e.to_string()))?;
    Repository::init_bare(dir).map_err(|e| cache_err(e.message().to_string()))
}

/// Fetches every branch and tag (and a `spec.ref.name` ref) into the mirror, points the
/// mirror's HEAD at the remote's default branch, and never pushes.
fn fetch_mirror(
    repo: &Repository,
    url: &str,
    source: &RepoSource,
    creds: &CredentialConfig,
    names: &Names,
) -> Result<(), GitError> {
    let attempts = RefCell::new(Attempts::default());
    let ctx = names.ctx("fetch");
    // An SSH remote goes where ~/.ssh/config sends it (HostName, Port, User).
    let ssh = creds.ssh_target(url);
    let fetch_url = ssh
        .as_ref()
        .map_or_else(|| url.to_string(), |(parsed, host)| parsed.resolved(host));
    let mut remote = repo
        .remote_anonymous(&fetch_url)
        .map_err(|e| ctx.classify(&e, None))?;
    let mut refspecs: Vec<String> = MIRROR_REFSPECS.iter().map(|s| s.to_string()).collect();
    if let TrackRef::Name(name) = &source.reference
        && !name.starts_with("refs/heads/")
        && !name.starts_with("refs/tags/")
    {
        refspecs.push(format!("+{name}:{name}"));
    }
    let mut opts = FetchOptions::new();
    // libgit2's own proxy detection reads only git's `http.proxy`; the proxy variables are
    // read as for the API server and ECR (`NO_PROXY` included). libgit2 tunnels HTTPS
    // through a proxy (CONNECT) and reaches an `http://` remote directly, whatever it is told.
    if let Some(proxy) = creds.proxy.proxy_for(&fetch_url) {
        if fetch_url.starts_with("http://") {
            tracing::debug!(url = %crate::model::mask::mask_url_password(&fetch_url), "libgit2 fetches http:// remotes without the proxy");
        }
        let mut proxy_opts = ProxyOptions::new();
        proxy_opts.url(&proxy.to_string());
        opts.proxy_options(proxy_opts);
    }
    opts.remote_callbacks(creds.callbacks(&attempts, ssh.as_ref().map(|(_, host)| host)))
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    let fetched = remote.fetch(&refspecs, Some(&mut opts), Some("fluxdeck fetch"));
    drop(opts);
    if let Err(e) = fetched {
        if let Some(message) = attempts.borrow().host_key_refused.clone() {
            return Err(GitError::HostKey {
                origin: names.origin.clone(),
                message,
            });
        }
        return Err(ctx.classify(&e, Some(&attempts.borrow())));
    }
    // The advertised HEAD is known from this fetch; without it (an empty remote, an old
    // server) the mirror keeps the HEAD it had.
    if let Ok(default) = remote.default_branch()
        && let Ok(name) = default.as_str()
        && repo.find_reference(name).is_ok()
    {
        repo.set_head(name).map_err(|e| ctx.other(e.message()))?;
    }
    Ok(())
}

/// The commit the followed ref points at, and the ref's full name.
fn resolve(repo: &Repository, r: &TrackRef, names: &Names) -> Result<(Oid, String), GitError> {
    let ctx = names.ctx("resolve");
    let peel = |reference: git2::Reference<'_>| -> Result<(Oid, String), GitError> {
        let name = reference.name().unwrap_or("HEAD").to_string();
        let commit = reference.peel_to_commit().map_err(|e| {
            ctx.other(format!(
                "{name} does not point at a commit: {}",
                e.message()
            ))
        })?;
        Ok((commit.id(), name))
    };
    let missing = |prefix: &str| GitError::RefMissing {
        origin: names.origin.clone(),
        field: r.field().to_string(),
        name: r.name().to_string(),
        location: names.location.clone(),
        available: ref_names(repo, prefix),
    };
    match r {
        TrackRef::Head => match repo.head() {
            Ok(head) => peel(head),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => Err(GitError::RefMissing {
                origin: names.origin.clone(),
                field: r.field().to_string(),
                name: "HEAD".into(),
                location: names.location.clone(),
                available: ref_names(repo, "refs/heads/"),
            }),
            Err(e) => Err(ctx.classify(&e, None)),
        },
        TrackRef::Branch(b) => {
            let found = repo
                .find_reference(&format!("refs/heads/{b}"))
                .or_else(|_| repo.find_reference(&format!("refs/remotes/origin/{b}")));
            match found {
                Ok(reference) => peel(reference),
                Err(_) => Err(missing("refs/heads/")),
            }
        }
        TrackRef::Tag(t) => match repo.find_reference(&format!("refs/tags/{t}")) {
            Ok(reference) => peel(reference),
            Err(_) => Err(missing("refs/tags/")),
        },
        TrackRef::Name(n) => match repo.find_reference(n) {
            Ok(reference) => peel(reference),
            Err(_) => Err(missing("refs/")),
        },
        TrackRef::Commit(sha) => {
            let oid = find_commit(repo, sha).ok_or_else(|| GitError::CommitMissing {
                origin: names.origin.clone(),
                sha: sha.clone(),
                location: names.location.clone(),
                fix: "fix spec.ref.commit, or push that commit to a branch".into(),
            })?;
            Ok((oid, oid.to_string()))
        }
    }
}

/// A commit by full or abbreviated hex SHA (never a revspec: `HEAD~1` is not a SHA).
pub(crate) fn find_commit(repo: &Repository, sha: &str) -> Option<Oid> {
    if !super::source::is_hex_prefix(sha) {
        return None;
    }
    let object = repo
        .find_object_by_prefix(sha, Some(git2::ObjectType::Commit))
        .ok()?;
    Some(object.id())
}

/// Up to ten ref names under `prefix`, shortened, for "it has: ..." messages.
fn ref_names(repo: &Repository, prefix: &str) -> Vec<String> {
    let Ok(refs) = repo.references_glob(&format!("{prefix}*")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = refs
        .flatten()
        .filter_map(|r| {
            r.name()
                .ok()
                .map(|n| n.trim_start_matches(prefix).to_string())
        })
        .collect();
    names.sort();
    names.truncate(10);
    names
}
