//! SSH remote URLs, split into user, host, port and path: the host is what the
//! configuration's `Host` blocks are matched against.

use super::host::SshHost;

/// An SSH remote URL, split: `ssh://[user@]host[:port]/path` (also `ssh+git://`,
/// `git+ssh://`) or scp-like `[user@]host:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshUrl {
    /// The user in the URL.
    pub user: Option<String>,
    /// The host (an IPv6 address without its brackets).
    pub host: String,
    /// The port in the URL.
    pub port: Option<u16>,
    /// The path as the URL has it (`/abs`, `~/x`, or relative for scp-like URLs).
    pub path: String,
}

impl SshUrl {
    /// Splits `url`, or `None` when it is not an SSH URL.
    pub fn parse(url: &str) -> Option<SshUrl> {
        for scheme in ["ssh://", "ssh+git://", "git+ssh://"] {
            if let Some(rest) = url.strip_prefix(scheme) {
                let (authority, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, "/"),
                };
                let (user, hostport) = split_user(authority);
                let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
                    let (h, after) = v6.split_once(']')?;
                    (h, after.strip_prefix(':'))
                } else {
                    match hostport.rsplit_once(':') {
                        Some((h, p)) => (h, Some(p)),
                        None => (hostport, None),
                    }
                };
                let port = match port {
                    Some("") | None => None,
                    Some(p) => Some(p.parse().ok()?),
                };
                return (!host.is_empty()).then(|| SshUrl {
                    user,
                    host: host.to_string(),
                    port,
                    path: path.to_string(),
                });
            }
        }
        if url.contains("://") {
            return None;
        }
        // scp-like: a colon before any slash.
        let colon = url.find(':')?;
        if url[..colon].contains('/') {
            return None;
        }
        let (user, host) = split_user(&url[..colon]);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        (!host.is_empty() && host.len() > 1).then(|| SshUrl {
            user,
            host: host.to_string(),
            port: None,
            path: url[colon + 1..].to_string(),
        })
    }

    /// The URL libgit2 connects to once `target` resolved the host: `ssh://user@host:port/path`
    /// (a relative scp path becomes `/~/path`, which libgit2 sends as `~/path`).
    pub fn resolved(&self, target: &SshHost) -> String {
        let user = target
            .user
            .as_deref()
            .map(|u| format!("{}@", percent_user(u)))
            .unwrap_or_default();
        let host = if target.hostname.contains(':') {
            format!("[{}]", target.hostname)
        } else {
            target.hostname.clone()
        };
        let path = if self.path.starts_with('/') {
            self.path.clone()
        } else if let Some(rest) = self.path.strip_prefix("~") {
            format!("/~{rest}")
        } else {
            format!("/~/{}", self.path)
        };
        format!("ssh://{user}{host}:{}{path}", target.port)
    }
}

fn split_user(authority: &str) -> (Option<String>, &str) {
    match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_string()), host),
        None => (None, authority),
    }
}

/// A user name fit for a URL's userinfo.
fn percent_user(user: &str) -> String {
    let mut out = String::new();
    for b in user.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
