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

mod expand;
pub(crate) mod glob;
mod host;
mod url;

pub use host::SshHost;
pub use url::SshUrl;

use expand::{Tokens, expand_path, expand_tokens, include_files};
use glob::patterns_match;

/// How deep `Include`s may nest (ssh's limit too).
const MAX_INCLUDE_DEPTH: usize = 16;

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
            Condition::Host(patterns) => patterns_match(patterns.iter().map(String::as_str), host),
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

#[cfg(test)]
mod tests;
