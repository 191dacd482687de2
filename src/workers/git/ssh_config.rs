//! The OpenSSH client configuration (`~/.ssh/config`) as `ssh` applies it to one host, for
//! git over SSH: CodeCommit's SSH access, for one, needs `User APKA...` from it.
//!
//! Read: `Host` blocks (patterns with `*` and `?`, `!negated`, several per line, matched
//! case-insensitively against the host as written in the URL), `Match all`, `Include` (paths
//! relative to `~/.ssh`, `~`, and `*`/`?` in the file name), and the keywords `HostName`,
//! `User`, `Port`, `IdentityFile`, `IdentitiesOnly`, `UserKnownHostsFile`,
//! `GlobalKnownHostsFile`. As in ssh, the first value found for a keyword wins, except
//! `IdentityFile`, whose values add up; `keyword value` and `keyword=value` are both accepted,
//! and values may be double-quoted. `%h`, `%n`, `%p`, `%r`, `%u`, `%d`, `%%` and `~` are
//! expanded where ssh expands them.
//!
//! Other `Match` criteria (`host`, `exec`, ...) are not evaluated: their blocks are skipped,
//! and the log says so. Every other keyword is ignored (`ProxyJump` and `ProxyCommand` have
//! no equivalent in libgit2's SSH transport).

use std::path::{Path, PathBuf};

/// How deep `Include`s may nest (ssh's limit too).
const MAX_INCLUDE_DEPTH: usize = 16;

/// The settings ssh would use to reach one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshHost {
    /// The host as written in the URL (what `Host` patterns match).
    pub alias: String,
    /// The host to connect to (`HostName`, else the alias).
    pub hostname: String,
    /// The user: the URL's, else `User`; `None` when neither says.
    pub user: Option<String>,
    /// The port: the URL's, else `Port`, else 22.
    pub port: u16,
    /// `IdentityFile`s, in order (empty: the default key files).
    pub identity_files: Vec<PathBuf>,
    /// `IdentitiesOnly yes`: only the identity files, not the agent's other keys.
    pub identities_only: bool,
    /// The known-hosts files to check the host key against, user's first.
    pub known_hosts_files: Vec<PathBuf>,
}

/// When the options of a config line apply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// Before any `Host` or `Match`, or `Match all`.
    Always,
    /// `Host PATTERN...`.
    Host(Vec<String>),
    /// A `Match` fluxdeck does not evaluate.
    Never,
}

impl Condition {
    fn applies(&self, host: &str) -> bool {
        match self {
            Condition::Always => true,
            Condition::Never => false,
            Condition::Host(patterns) => host_matches(patterns, host),
        }
    }
}

/// One option line, with the condition of the block it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    condition: Condition,
    keyword: String,
    args: Vec<String>,
}

/// A parsed `~/.ssh/config` (with its includes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshConfig {
    entries: Vec<Entry>,
}

impl SshConfig {
    /// Reads `home/.ssh/config`; a missing file is an empty configuration, an unreadable
    /// included file is skipped with a log line (ssh ignores missing includes too).
    pub fn load(home: &Path) -> SshConfig {
        let path = home.join(".ssh").join("config");
        let mut config = SshConfig::default();
        if let Ok(text) = std::fs::read_to_string(&path) {
            config.read(&text, &path, home, Condition::Always, 0);
        }
        config
    }

    /// Parses configuration text (`path` names it in log lines; includes are relative to
    /// `home/.ssh`).
    pub fn parse(text: &str, path: &Path, home: &Path) -> SshConfig {
        let mut config = SshConfig::default();
        config.read(text, path, home, Condition::Always, 0);
        config
    }

    fn read(&mut self, text: &str, path: &Path, home: &Path, start: Condition, depth: usize) {
        let mut condition = start;
        for (n, raw) in text.lines().enumerate() {
            let Some((keyword, args)) = split_line(raw) else {
                continue;
            };
            match keyword.as_str() {
                "host" => condition = Condition::Host(args),
                "match" => {
                    condition = if args.len() == 1 && args[0].eq_ignore_ascii_case("all") {
                        Condition::Always
                    } else {
                        tracing::info!(
                            file = %path.display(),
                            line = n + 1,
                            "ssh config: `Match {}` is not evaluated; its block is skipped",
                            args.join(" ")
                        );
                        Condition::Never
                    }
                }
                "include" => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        tracing::warn!(file = %path.display(), line = n + 1, "ssh config: Include nested too deep; skipped");
                        continue;
                    }
                    for pattern in &args {
                        for file in include_files(pattern, home) {
                            match std::fs::read_to_string(&file) {
                                Ok(inner) => {
                                    self.read(&inner, &file, home, condition.clone(), depth + 1)
                                }
                                Err(err) => tracing::info!(
                                    file = %file.display(),
                                    "ssh config: cannot read included file: {err}"
                                ),
                            }
                        }
                    }
                }
                _ => self.entries.push(Entry {
                    condition: condition.clone(),
                    keyword,
                    args,
                }),
            }
        }
    }

    /// The settings for `host` as written in a URL, with the URL's own user and port (which
    /// win, as on ssh's command line). `home` expands `~` and `%d`; `global_known_hosts` are
    /// the system-wide known-hosts files unless `GlobalKnownHostsFile` names others.
    pub fn resolve(
        &self,
        host: &str,
        url_user: Option<&str>,
        url_port: Option<u16>,
        home: &Path,
        global_known_hosts: &[PathBuf],
    ) -> SshHost {
        let alias = host.to_ascii_lowercase();
        let first = |keyword: &str| -> Option<&Vec<String>> {
            self.entries
                .iter()
                .find(|e| e.keyword == keyword && !e.args.is_empty() && e.condition.applies(&alias))
                .map(|e| &e.args)
        };
        let hostname = first("hostname")
            .map(|a| expand_tokens(&a[0], &Tokens::host_only(host)))
            .unwrap_or_else(|| host.to_string());
        let user = url_user
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| first("user").map(|a| a[0].clone()));
        let port = url_port
            .or_else(|| first("port").and_then(|a| a[0].parse().ok()))
            .unwrap_or(22);
        let identities_only =
            first("identitiesonly").is_some_and(|a| a[0].eq_ignore_ascii_case("yes"));
        let local_user = std::env::var("USER").unwrap_or_default();
        let tokens = Tokens {
            alias: host.to_string(),
            hostname: hostname.clone(),
            port,
            user: user.clone().unwrap_or_else(|| local_user.clone()),
            local_user,
            home: home.to_path_buf(),
        };
        let identity_files = self
            .entries
            .iter()
            .filter(|e| e.keyword == "identityfile" && e.condition.applies(&alias))
            .flat_map(|e| e.args.iter())
            .filter(|a| !a.eq_ignore_ascii_case("none"))
            .map(|a| expand_path(a, &tokens))
            .collect();
        let files = |keyword: &str, default: Vec<PathBuf>| -> Vec<PathBuf> {
            match first(keyword) {
                Some(args) if args.len() == 1 && args[0].eq_ignore_ascii_case("none") => Vec::new(),
                Some(args) => args.iter().map(|a| expand_path(a, &tokens)).collect(),
                None => default,
            }
        };
        let ssh_dir = home.join(".ssh");
        let mut known_hosts_files = files(
            "userknownhostsfile",
            vec![ssh_dir.join("known_hosts"), ssh_dir.join("known_hosts2")],
        );
        known_hosts_files.extend(files("globalknownhostsfile", global_known_hosts.to_vec()));
        SshHost {
            alias: host.to_string(),
            hostname,
            user,
            port,
            identity_files,
            identities_only,
            known_hosts_files,
        }
    }
}

/// Splits a config line into its lower-cased keyword and arguments; `None` for blank and
/// comment lines.
fn split_line(raw: &str) -> Option<(String, Vec<String>)> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    // `Keyword value`, `Keyword=value` or `Keyword = value`.
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let keyword = line[..end].to_ascii_lowercase();
    let mut rest = line[end..].trim_start();
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start();
    }
    Some((keyword, split_args(rest)))
}

/// Whitespace-separated arguments, double quotes grouping (ssh's `argv_split`, without
/// backslash escapes); a `#` starting an argument ends the line.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&c) = chars.peek() else { break };
        if c == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = !quoted;
            } else if c.is_whitespace() && !quoted {
                break;
            } else {
                arg.push(c);
            }
            chars.next();
        }
        args.push(arg);
    }
    args
}

/// Whether `host` matches a `Host` line: some pattern matches, and no negated one does.
fn host_matches(patterns: &[String], host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        let pattern = pattern.to_ascii_lowercase();
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob(negated.as_bytes(), host.as_bytes()) {
                return false;
            }
        } else if glob(pattern.as_bytes(), host.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// ssh's wildcard match: `*` any run, `?` one character.
pub(crate) fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The values `%` tokens expand to.
struct Tokens {
    alias: String,
    hostname: String,
    port: u16,
    user: String,
    local_user: String,
    home: PathBuf,
}

impl Tokens {
    /// For `HostName`, where only `%h` (the alias) and `%%` mean something.
    fn host_only(alias: &str) -> Tokens {
        Tokens {
            alias: alias.to_string(),
            hostname: alias.to_string(),
            port: 22,
            user: String::new(),
            local_user: String::new(),
            home: PathBuf::new(),
        }
    }
}

fn expand_tokens(text: &str, t: &Tokens) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('h') => out.push_str(&t.hostname),
            Some('n') => out.push_str(&t.alias),
            Some('p') => out.push_str(&t.port.to_string()),
            Some('r') => out.push_str(&t.user),
            Some('u') => out.push_str(&t.local_user),
            Some('d') => out.push_str(&t.home.to_string_lossy()),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// A path argument: tokens, then `~` as the home; a relative path is taken relative to the
/// home, as ssh resolves `IdentityFile id_x`.
fn expand_path(arg: &str, t: &Tokens) -> PathBuf {
    let text = expand_tokens(arg, t);
    if text == "~" {
        return t.home.clone();
    }
    if let Some(rest) = text.strip_prefix("~/") {
        return t.home.join(rest);
    }
    let path = PathBuf::from(&text);
    if path.is_absolute() {
        path
    } else {
        t.home.join(path)
    }
}

/// The files an `Include` argument names: relative to `~/.ssh`, with `*`/`?` in the last
/// component, sorted as ssh's glob sorts them.
fn include_files(arg: &str, home: &Path) -> Vec<PathBuf> {
    let expanded = if arg == "~" {
        home.to_path_buf()
    } else if let Some(rest) = arg.strip_prefix("~/") {
        home.join(rest)
    } else if Path::new(arg).is_absolute() {
        PathBuf::from(arg)
    } else {
        home.join(".ssh").join(arg)
    };
    let Some(name) = expanded
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Vec::new();
    };
    if !name.contains(['*', '?']) {
        return vec![expanded];
    }
    let Some(dir) = expanded.parent() else {
        return Vec::new();
    };
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .flatten()
        .filter(|e| glob(name.as_bytes(), e.file_name().to_string_lossy().as_bytes()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const CODECOMMIT: &str = "git-codecommit.us-east-1.amazonaws.com";

    fn home_with(config: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/config"), config).unwrap();
        home
    }

    #[test]
    fn codecommit_user_comes_from_the_config() {
        let home = home_with(
            "# CodeCommit over SSH\n\
             Host git-codecommit.*.amazonaws.com\n\
             \x20 User APKAEIBAERJR2EXAMPLE\n\
             \x20 IdentityFile ~/.ssh/codecommit_rsa\n",
        );
        let config = SshConfig::load(home.path());
        let h = config.resolve(CODECOMMIT, None, None, home.path(), &[]);
        assert_eq!(h.user.as_deref(), Some("APKAEIBAERJR2EXAMPLE"));
        assert_eq!(h.hostname, CODECOMMIT);
        assert_eq!(h.port, 22);
        assert_eq!(
            h.identity_files,
            vec![home.path().join(".ssh/codecommit_rsa")]
        );
        assert_eq!(
            h.known_hosts_files,
            vec![
                home.path().join(".ssh/known_hosts"),
                home.path().join(".ssh/known_hosts2")
            ]
        );
        // The URL's own user wins, as `ssh user@host` beats `User`.
        let h = config.resolve(CODECOMMIT, Some("APKAOTHER"), None, home.path(), &[]);
        assert_eq!(h.user.as_deref(), Some("APKAOTHER"));
        // Another host gets nothing from that block.
        let h = config.resolve("github.com", None, None, home.path(), &[]);
        assert_eq!(h.user, None);
        assert!(h.identity_files.is_empty());
    }

    #[test]
    fn first_value_wins_identity_files_add_up_and_tokens_expand() {
        let home = home_with(
            "Host gitbox\n\
             \tHostName=%h.internal.example\n\
             \tPort 2222\n\
             \tIdentityFile \"~/.ssh/id gitbox\"\n\
             \tIdentitiesOnly yes\n\
             Host git*\n\
             \tPort 2200\n\
             \tUser deploy\n\
             \tIdentityFile %d/.ssh/%r@%h_%p\n\
             Host *\n\
             \tUser nobody\n\
             \tUserKnownHostsFile ~/.ssh/kh_%n /etc/fluxdeck_kh\n",
        );
        let config = SshConfig::load(home.path());
        let h = config.resolve("gitbox", None, None, home.path(), &[]);
        assert_eq!(h.hostname, "gitbox.internal.example");
        assert_eq!(h.port, 2222, "the first Port found wins");
        assert_eq!(
            h.user.as_deref(),
            Some("deploy"),
            "the first User found wins"
        );
        assert!(h.identities_only);
        assert_eq!(
            h.identity_files,
            vec![
                home.path().join(".ssh/id gitbox"),
                home.path().join(".ssh/deploy@gitbox.internal.example_2222"),
            ]
        );
        assert_eq!(
            h.known_hosts_files,
            vec![
                home.path().join(".ssh/kh_gitbox"),
                PathBuf::from("/etc/fluxdeck_kh")
            ]
        );
        // The URL's port beats the config, as `ssh -p`.
        assert_eq!(
            config
                .resolve("gitbox", None, Some(29418), home.path(), &[])
                .port,
            29418
        );
        let other = config.resolve("example.org", None, None, home.path(), &[]);
        assert_eq!(other.user.as_deref(), Some("nobody"));
        assert_eq!(other.port, 22);
        assert!(!other.identities_only);
    }

    #[test]
    fn patterns_negation_case_and_several_per_line() {
        let home = home_with(
            "Host *.corp.example !bastion.corp.example other?\n  User corp\n\
             Host BASTION.corp.example\n  User jump\n",
        );
        let config = SshConfig::load(home.path());
        let user = |host: &str| config.resolve(host, None, None, home.path(), &[]).user;
        assert_eq!(user("git.corp.example").as_deref(), Some("corp"));
        assert_eq!(user("Git.Corp.Example").as_deref(), Some("corp"));
        assert_eq!(user("bastion.corp.example").as_deref(), Some("jump"));
        assert_eq!(user("other1").as_deref(), Some("corp"));
        assert_eq!(user("other12"), None);
        assert_eq!(user("corp.example"), None);
    }

    #[test]
    fn includes_match_all_and_unsupported_match() {
        let home = home_with(
            "Include config.d/*.conf\n\
             Match exec \"true\"\n  User from-match-exec\n\
             Match all\n  Port 2022\n",
        );
        let dir = home.path().join(".ssh/config.d");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("10-git.conf"),
            "Host gitbox\n  User from-include\n",
        )
        .unwrap();
        std::fs::write(dir.join("20-all.conf"), "Host *\n  HostName 127.0.0.1\n").unwrap();
        std::fs::write(dir.join("ignored.txt"), "Host *\n  User wrong\n").unwrap();
        let config = SshConfig::load(home.path());
        let h = config.resolve("gitbox", None, None, home.path(), &[]);
        assert_eq!(h.user.as_deref(), Some("from-include"));
        assert_eq!(h.hostname, "127.0.0.1");
        assert_eq!(h.port, 2022);
        let other = config.resolve("elsewhere", None, None, home.path(), &[]);
        assert_eq!(other.user, None, "a Match exec block is skipped");
    }

    #[test]
    fn a_missing_config_is_empty() {
        let home = tempfile::tempdir().unwrap();
        let h = SshConfig::load(home.path()).resolve("h", None, None, home.path(), &[]);
        assert_eq!(h.hostname, "h");
        assert_eq!(h.port, 22);
        assert_eq!(h.user, None);
    }

    #[test]
    fn ssh_urls_split_and_resolve() {
        let u =
            SshUrl::parse("ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/config").unwrap();
        assert_eq!(u.user, None);
        assert_eq!(u.host, CODECOMMIT);
        assert_eq!(u.path, "/v1/repos/config");
        let u2 = SshUrl::parse("git@github.com:org/repo.git").unwrap();
        assert_eq!(u2.user.as_deref(), Some("git"));
        assert_eq!(u2.host, "github.com");
        assert_eq!(u2.path, "org/repo.git");
        let u3 = SshUrl::parse("ssh://me@[::1]:2222/srv/r.git").unwrap();
        assert_eq!((u3.host.as_str(), u3.port), ("::1", Some(2222)));
        assert!(SshUrl::parse("https://example.org/r.git").is_none());
        assert!(SshUrl::parse("/srv/repo.git").is_none());
        assert!(SshUrl::parse("./a:b").is_none());

        let target = SshHost {
            alias: "gitbox".into(),
            hostname: "127.0.0.1".into(),
            user: Some("APKA EXAMPLE".into()),
            port: 2222,
            identity_files: Vec::new(),
            identities_only: false,
            known_hosts_files: Vec::new(),
        };
        assert_eq!(
            u.resolved(&target),
            "ssh://APKA%20EXAMPLE@127.0.0.1:2222/v1/repos/config"
        );
        assert_eq!(
            u2.resolved(&target),
            "ssh://APKA%20EXAMPLE@127.0.0.1:2222/~/org/repo.git"
        );
    }

    #[test]
    fn glob_matches_like_ssh() {
        assert!(glob(b"*", b""));
        assert!(glob(
            b"git-codecommit.*.amazonaws.com",
            b"git-codecommit.eu-west-1.amazonaws.com"
        ));
        assert!(!glob(
            b"git-codecommit.*.amazonaws.com",
            b"git-codecommit.amazonaws.com.evil"
        ));
        assert!(glob(b"a?c*", b"abcdef"));
        assert!(!glob(b"a?c", b"ac"));
    }
}
