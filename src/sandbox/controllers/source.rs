//! source-controller, for GitRepositories: resolves `spec.ref` on the sandbox's git host with
//! the credentials of `spec.secretRef`, stores the artifact of the commit it points at, and
//! reports as Flux does (`status.artifact.revision` is `<branch>@sha1:<hex>`, Ready
//! `stored artifact for revision '<rev>'`, `FetchFailed` with Flux's reasons and messages).
//!
//! The sandbox reads its own bare repositories in place rather than cloning them over HTTP:
//! what a fetch would return is exactly what the repository holds, and the credentials are
//! checked with the same rule the HTTP server applies.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::events::FluxEvent;
use super::outcome::{Cond, Failure, Progress, Reconciled, interval_of};
use super::world::World;

/// Flux's default branch when a GitRepository has no `spec.ref` (`git.DefaultBranch`).
pub const DEFAULT_BRANCH: &str = "master";

/// A resolved reference: which commit and how Flux names its revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The local bare repository.
    pub repo: PathBuf,
    /// The commit's full SHA.
    pub sha: String,
    /// `main@sha1:<sha>` (`Commit.String()`).
    pub revision: String,
    /// The commit message's first line.
    pub subject: String,
}

/// The local repository a GitRepository's URL names, checked the way a clone would fail:
/// unknown host or repository, missing Secret, wrong credentials. Failures carry Flux's
/// `unable to clone '<url>': ...` text without the operation prefix (see [`resolve`]).
pub fn authorize(world: &World, obj: &Value) -> Result<PathBuf, Failure> {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let spec = &obj["spec"];
    let url = spec["url"].as_str().unwrap_or_default();
    let clone_failed = |inner: String| {
        Failure::new(
            "GitOperationFailed",
            format!("unable to clone '{url}': {inner}"),
        )
    };
    let host = match &world.git {
        Some(h) => h,
        None => return Err(clone_failed(unreachable_host(url))),
    };
    let Some(repo) = host.repository(url) else {
        if let Some(name) = crate::sandbox::git::serve::repo_name_of(&host.base_url, url) {
            return Err(clone_failed(format!(
                "repository not found: repository '{name}' not found"
            )));
        }
        return Err(clone_failed(unreachable_host(url)));
    };
    let (user, password) = match spec["secretRef"]["name"].as_str() {
        Some(secret) => match world.secret(ns, secret) {
            Some(data) => (
                data.get("username").cloned().unwrap_or_default(),
                data.get("password").cloned().unwrap_or_default(),
            ),
            None => {
                return Err(Failure::new(
                    "AuthenticationFailed",
                    format!("failed to get secret '{ns}/{secret}': secrets \"{secret}\" not found"),
                ));
            }
        },
        None => (String::new(), String::new()),
    };
    if !host.credentials.matches(&user, &password) {
        return Err(clone_failed(
            "authentication required: Invalid username or password".into(),
        ));
    }
    Ok(repo)
}

/// Where a GitRepository points: [`authorize`], then `spec.ref` (branch, tag, name or
/// commit; the default branch when absent), failing as a checkout fails.
pub fn resolve(world: &World, obj: &Value) -> Result<Resolved, Failure> {
    let spec = &obj["spec"];
    let url = spec["url"].as_str().unwrap_or_default();
    let checkout_failed = |f: Failure| Failure {
        message: format!("failed to checkout and determine revision: {}", f.message),
        ..f
    };
    let repo = authorize(world, obj).map_err(|f| {
        if f.reason == "GitOperationFailed" {
            checkout_failed(f)
        } else {
            f
        }
    })?;
    let clone_failed = |inner: String| {
        Failure::new(
            "GitOperationFailed",
            format!("failed to checkout and determine revision: unable to clone '{url}': {inner}"),
        )
    };
    let reference = &spec["ref"];
    let lookup = |refname: &str, shown: &str| {
        commit_of(&repo, refname)
            .ok_or_else(|| clone_failed(format!("couldn't find remote ref \"{shown}\"")))
    };
    let (sha, subject, name) = if let Some(commit) = reference["commit"].as_str() {
        let found = commit_by_sha(&repo, commit).ok_or_else(|| {
            Failure::new(
                "GitOperationFailed",
                format!(
                    "failed to checkout and determine revision: unable to resolve commit object for '{commit}': object not found"
                ),
            )
        })?;
        let name = reference["branch"].as_str().map(str::to_string);
        (found.0, found.1, name)
    } else if let Some(tag) = reference["tag"].as_str() {
        let (sha, subject) = lookup(&format!("refs/tags/{tag}"), &format!("refs/tags/{tag}"))?;
        (sha, subject, Some(tag.to_string()))
    } else if let Some(full) = reference["name"].as_str() {
        let (sha, subject) = lookup(full, full)?;
        (sha, subject, Some(full.to_string()))
    } else {
        let branch = reference["branch"].as_str().unwrap_or(DEFAULT_BRANCH);
        let (sha, subject) = lookup(
            &format!("refs/heads/{branch}"),
            &format!("refs/heads/{branch}"),
        )?;
        (sha, subject, Some(branch.to_string()))
    };
    let revision = match name {
        Some(n) => format!("{n}@sha1:{sha}"),
        None => format!("sha1:{sha}"),
    };
    Ok(Resolved {
        repo,
        sha,
        revision,
        subject,
    })
}

/// go-git's error for a host that does not resolve (the sandbox serves nothing else).
fn unreachable_host(url: &str) -> String {
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let bare = host.split(':').next().unwrap_or(host);
    format!(
        "Get \"{url}/info/refs?service=git-upload-pack\": dial tcp: lookup {bare} on 10.100.0.10:53: no such host"
    )
}

/// The commit `refname` (`refs/heads/main`) points at, with its subject line.
pub fn commit_of(repo: &Path, refname: &str) -> Option<(String, String)> {
    commit_where(repo, |r| r.find_reference(refname)?.peel_to_commit())
}

/// The commit `sha` (full or abbreviated) names, with its subject line.
fn commit_by_sha(repo: &Path, sha: &str) -> Option<(String, String)> {
    commit_where(repo, |r| r.revparse_single(sha)?.peel_to_commit())
}

fn commit_where(
    repo: &Path,
    find: impl for<'r> FnOnce(&'r git2::Repository) -> Result<git2::Commit<'r>, git2::Error>,
) -> Option<(String, String)> {
    let r = git2::Repository::open_bare(repo).ok()?;
    let commit = find(&r).ok()?;
    let subject = commit
        .summary()
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_string();
    Some((commit.id().to_string(), subject))
}

/// The artifact source-controller stores for `r` (digest and size derived from the commit).
pub fn artifact(ns: &str, name: &str, r: &Resolved, now: &str) -> Value {
    let path = format!("gitrepository/{ns}/{name}/{}.tar.gz", r.sha);
    let digest = Sha256::digest(format!("artifact {ns}/{name} {}", r.sha).as_bytes());
    let size =
        20_000 + u64::from(u32::from_be_bytes([digest[0], digest[1], digest[2], 0])) % 380_000;
    json!({
        "digest": format!("sha256:{}", hex::encode(digest)),
        "lastUpdateTime": now,
        "path": path,
        "revision": r.revision,
        "size": size,
        "url": format!("http://source-controller.flux-system.svc.cluster.local./{path}"),
    })
}

/// What a fetch shows while it runs: a new upstream revision makes the artifact outdated.
pub fn progress(world: &World, obj: &Value) -> Progress {
    let current = obj["status"]["artifact"]["revision"].as_str();
    match resolve(world, obj) {
        Ok(_) if current.is_none() => Progress::new("building artifact"),
        Ok(r) if current != Some(r.revision.as_str()) => {
            let mut p = Progress::new(format!(
                "building artifact: new upstream revision '{}'",
                r.revision
            ));
            p.drift = true;
            p.conditions.push(Cond {
                kind: "ArtifactOutdated",
                status: "True",
                reason: "NewRevision".into(),
                message: format!("new upstream revision '{}'", r.revision),
            });
            p
        }
        _ => Progress::new("reconciliation in progress"),
    }
}

/// One fetch.
pub async fn reconcile(world: &World, obj: &Value) -> Reconciled {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let every = interval_of(obj);
    let resolved = resolve(world, obj);
    let r = match resolved {
        Ok(r) => r,
        Err(f) => {
            let event = FluxEvent::warning("source-controller", &f.reason, &f.message);
            let mut out = Reconciled::failed(f.clone()).requeue(every).event(event);
            out.conditions.push(Cond {
                kind: "FetchFailed",
                status: "True",
                reason: f.reason,
                message: f.message,
            });
            return out;
        }
    };
    let stored = format!("stored artifact for revision '{}'", r.revision);
    let current = obj["status"]["artifact"]["revision"].as_str();
    let mut out = Reconciled::ready("Succeeded", stored.clone()).requeue(every);
    out.removed_conditions = vec!["FetchFailed", "ArtifactOutdated"];
    out.conditions.push(Cond {
        kind: "ArtifactInStorage",
        status: "True",
        reason: "Succeeded".into(),
        message: stored,
    });
    if current != Some(r.revision.as_str()) {
        let now = crate::sandbox::apiserver::store::now_rfc3339();
        out = out.with("artifact", artifact(ns, name, &r, &now)).event(
            FluxEvent::normal(
                "source-controller",
                "NewArtifact",
                format!("stored artifact for commit '{}'", r.subject),
            )
            .with_revision("source.toolkit.fluxcd.io", &r.revision),
        );
        out.changed = true;
    }
    out
}
