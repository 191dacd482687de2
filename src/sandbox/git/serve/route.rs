//! Which repository a request or a URL names: CodeCommit's layout, `/v1/repos/<name>`,
//! then git's own smart-HTTP paths (`info/refs`, `git-upload-pack`, `git-receive-pack`).
//!
//! Paths are checked segment by segment after percent-decoding, so `..` is refused whether
//! it is written plainly or as `%2e%2e`, and an encoded `/` cannot split a segment in two.

/// Where repositories live in the URL space.
pub(super) const PREFIX: &str = "/v1/repos";

/// The longest repository name (CodeCommit's limit).
const MAX_NAME: usize = 100;

/// A request for one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RepoPath {
    /// The repository, a directory directly under the root.
    pub name: String,
    /// The git path inside it, e.g. `info/refs` (never empty).
    pub rest: String,
}

impl RepoPath {
    /// The CGI `PATH_INFO`: `/<name>/<rest>`, relative to `GIT_PROJECT_ROOT`.
    pub fn path_info(&self) -> String {
        format!("/{}/{}", self.name, self.rest)
    }
}

/// Why a path is not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RouteError {
    /// Not under `/v1/repos/<name>/...`: 404.
    Outside,
    /// Under the prefix, but no repository can have this name: 404 naming it.
    NoSuchName(String),
    /// A traversal or an unreadable path: 400 with the reason.
    Bad(&'static str),
}

/// Reads a raw (still percent-encoded) request path.
pub(super) fn parse_path(raw: &str) -> Result<RepoPath, RouteError> {
    let Some(tail) = raw.strip_prefix('/') else {
        return Err(RouteError::Outside);
    };
    let mut segments = Vec::new();
    let parts: Vec<&str> = tail.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let segment = decode(part).ok_or(RouteError::Bad(
            "the path is not valid percent-encoded UTF-8",
        ))?;
        if segment == "." || segment == ".." {
            return Err(RouteError::Bad(
                "the path climbs out of the repository (`.` or `..`)",
            ));
        }
        if segment.contains(['/', '\\', '\0']) {
            return Err(RouteError::Bad(
                "a path segment holds an encoded `/`, `\\` or NUL",
            ));
        }
        // One trailing slash is harmless; an empty segment anywhere else is not a git path.
        if segment.is_empty() && i + 1 != parts.len() {
            return Err(RouteError::Outside);
        }
        if !segment.is_empty() {
            segments.push(segment);
        }
    }
    let mut it = segments.into_iter();
    let prefix: Vec<&str> = PREFIX.trim_start_matches('/').split('/').collect();
    for want in prefix {
        if it.next().as_deref() != Some(want) {
            return Err(RouteError::Outside);
        }
    }
    let name = it.next().ok_or(RouteError::Outside)?;
    if !valid_name(&name) {
        return Err(RouteError::NoSuchName(name));
    }
    let rest: Vec<String> = it.collect();
    // The repository URL itself is what a user clones, not a git endpoint; git always asks
    // for a path under it. Git's paths use a small alphabet; anything else is not one.
    if rest.is_empty() || !rest.iter().all(|s| valid_segment(s)) {
        return Err(RouteError::Outside);
    }
    Ok(RepoPath {
        name,
        rest: rest.join("/"),
    })
}

/// Whether `name` can be a repository served here: CodeCommit's alphabet (letters, digits,
/// `.`, `_`, `-`), at most 100 characters, and not hidden (no leading `.`).
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && !name.starts_with('.') && valid_segment(name)
}

fn valid_segment(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Percent-decodes one segment; `None` for a broken escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The repository a URL names when it is under `base_url` (`http://HOST:PORT/v1/repos`,
/// as [`super::GitServer::base_url`] gives it): `http://HOST:PORT/v1/repos/<name>`, with or
/// without credentials, a trailing `/`, a query or a fragment. `localhost` and `127.0.0.1`
/// name the same host. Whether the repository exists on disk is not checked here.
pub fn repo_name_of(base_url: &str, url: &str) -> Option<String> {
    let (base_host, base_port, base_path) = split_url(base_url)?;
    let (host, port, path) = split_url(url)?;
    let same_host = host == base_host || (is_localhost(&host) && is_localhost(&base_host));
    if !same_host || port != base_port {
        return None;
    }
    let rest = path.strip_prefix(base_path.trim_end_matches('/'))?;
    let name = rest.strip_prefix('/')?;
    let name = name.strip_suffix('/').unwrap_or(name);
    valid_name(name).then(|| name.to_string())
}

fn is_localhost(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1"
}

/// `http://[user[:pass]@]host[:port]/path[?q][#f]` → (lowercased host, port, path).
fn split_url(url: &str) -> Option<(String, u16, String)> {
    let url = url.trim();
    let scheme_end = url.find("://")?;
    if !url[..scheme_end].eq_ignore_ascii_case("http") {
        return None;
    }
    let after = &url[scheme_end + 3..];
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = match host_port.rsplit_once(':') {
        // An IPv6 literal holds colons: the port follows the closing bracket.
        Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
        _ => (host_port, 80),
    };
    if host.is_empty() {
        return None;
    }
    let rest = &after[end..];
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..path_end];
    Some((host.to_ascii_lowercase(), port, path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (String, String) {
        let p = parse_path(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        (p.name, p.rest)
    }

    #[test]
    fn git_paths_under_the_prefix_name_a_repository() {
        assert_eq!(
            ok("/v1/repos/flux-repo/info/refs"),
            ("flux-repo".into(), "info/refs".into())
        );
        assert_eq!(
            ok("/v1/repos/microservices-repo/git-upload-pack"),
            ("microservices-repo".into(), "git-upload-pack".into())
        );
        assert_eq!(
            ok("/v1/repos/remote.git/objects/pack/pack-0a1b.pack"),
            ("remote.git".into(), "objects/pack/pack-0a1b.pack".into())
        );
        // Harmless encodings decode; a trailing slash is tolerated.
        assert_eq!(
            ok("/v1/repos/app%5Frepo/info/refs/"),
            ("app_repo".into(), "info/refs".into())
        );
        assert_eq!(
            parse_path("/v1/repos/a/info/refs").unwrap().path_info(),
            "/a/info/refs"
        );
    }

    #[test]
    fn traversal_is_refused_plain_or_encoded() {
        for raw in [
            "/v1/repos/../etc/passwd",
            "/v1/repos/flux-repo/../other/info/refs",
            "/v1/repos/%2e%2e/info/refs",
            "/v1/repos/%2E%2E/info/refs",
            "/v1/repos/.%2e/info/refs",
            "/v1/repos/flux-repo/%2e%2e/%2e%2e/info/refs",
            "/v1/repos/./flux-repo/info/refs",
            "/../v1/repos/flux-repo/info/refs",
            "/v1/repos/a%2f..%2fb/info/refs",
            "/v1/repos/a%2Fb/info/refs",
            "/v1/repos/a%5Cb/info/refs",
            "/v1/repos/a%00/info/refs",
            "/v1/repos/a/info/refs%",
            "/v1/repos/a/info/refs%zz",
            "/v1/repos/%ff/info/refs",
        ] {
            assert!(
                matches!(parse_path(raw), Err(RouteError::Bad(_))),
                "{raw}: {:?}",
                parse_path(raw)
            );
        }
    }

    #[test]
    fn paths_outside_the_layout_are_not_found() {
        for raw in [
            "",
            "/",
            "/v1",
            "/v1/repos",
            "/v1/repos/",
            "/v1/repos/flux-repo",
            "/v1/repos/flux-repo/",
            "/flux-repo/info/refs",
            "/v2/repos/flux-repo/info/refs",
            "/v1/repositories/flux-repo/info/refs",
            "/V1/repos/flux-repo/info/refs",
            "/v1//repos/flux-repo/info/refs",
            "/v1/repos//flux-repo/info/refs",
            "/v1/repos/flux-repo//info/refs",
            "/v1/repos/flux-repo/info/re fs",
            "/v1/repos/flux-repo/info/refs~",
            "v1/repos/flux-repo/info/refs",
        ] {
            assert_eq!(parse_path(raw), Err(RouteError::Outside), "{raw}");
        }
    }

    #[test]
    fn names_no_repository_can_have_are_not_found_by_name() {
        assert_eq!(
            parse_path("/v1/repos/.hidden/info/refs"),
            Err(RouteError::NoSuchName(".hidden".into()))
        );
        assert_eq!(
            parse_path("/v1/repos/a%20b/info/refs"),
            Err(RouteError::NoSuchName("a b".into()))
        );
        let long = "a".repeat(101);
        assert_eq!(
            parse_path(&format!("/v1/repos/{long}/info/refs")),
            Err(RouteError::NoSuchName(long))
        );
        assert!(valid_name(&"a".repeat(100)));
        assert!(!valid_name("") && !valid_name("a/b") && !valid_name("é"));
    }

    #[test]
    fn a_url_names_a_repository_of_this_server() {
        let base = "http://127.0.0.1:4321/v1/repos";
        let name = |url: &str| repo_name_of(base, url);
        assert_eq!(
            name("http://127.0.0.1:4321/v1/repos/flux-repo").as_deref(),
            Some("flux-repo")
        );
        assert_eq!(
            name("http://127.0.0.1:4321/v1/repos/flux-repo/").as_deref(),
            Some("flux-repo")
        );
        assert_eq!(
            name("HTTP://user:p%40ss@127.0.0.1:4321/v1/repos/flux-repo?x=1#top").as_deref(),
            Some("flux-repo")
        );
        assert_eq!(
            name("http://localhost:4321/v1/repos/microservices-repo").as_deref(),
            Some("microservices-repo")
        );
        assert_eq!(
            repo_name_of(
                "http://[::1]:4321/v1/repos/",
                "http://[::1]:4321/v1/repos/app"
            )
            .as_deref(),
            Some("app")
        );
        for other in [
            "http://127.0.0.1:4322/v1/repos/flux-repo",
            "http://10.0.0.1:4321/v1/repos/flux-repo",
            "https://127.0.0.1:4321/v1/repos/flux-repo",
            "ssh://127.0.0.1:4321/v1/repos/flux-repo",
            "http://127.0.0.1:4321/v1/repos",
            "http://127.0.0.1:4321/v1/repos/",
            "http://127.0.0.1:4321/v1/repos/flux-repo/info/refs",
            "http://127.0.0.1:4321/v1/repos/..",
            "http://127.0.0.1:4321/v1/reposx/flux-repo",
            "http://127.0.0.1/v1/repos/flux-repo",
            "file:///tmp/flux-repo",
            "not a url",
        ] {
            assert_eq!(name(other), None, "{other}");
        }
    }
}
