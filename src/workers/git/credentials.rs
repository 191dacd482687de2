//! Git credentials the way git users already have them, never from cluster Secrets.
//!
//! Order, for one fetch (libgit2 asks again after every refusal; each ask gets the next kind,
//! and when none is left the fetch fails with the list of kinds tried, so a wrong credential
//! costs exactly one refused request and never a retry loop):
//!
//! 1. SSH remotes, resolved through `~/.ssh/config` first ([`super::ssh_config`]: `HostName`,
//!    `Port`, `User`, `IdentityFile`, `IdentitiesOnly`): every key the SSH agent holds
//!    (`SSH_AUTH_SOCK`; not with `IdentitiesOnly yes`), then the host's `IdentityFile`s, or
//!    without any the default key files (`~/.ssh/id_ed25519`, `~/.ssh/id_ecdsa`,
//!    `~/.ssh/id_rsa`; unencrypted ones: encrypted keys belong in the agent). The user is the
//!    URL's, else the config's `User` (CodeCommit's `APKA...` key id), else `git`. The host
//!    key is checked against `known_hosts` ([`super::known_hosts`]) before any credential is
//!    offered; an unknown or changed host is refused with the command that fixes it.
//! 2. HTTPS remotes: a token from the first set environment variable of
//!    `FLUXDECK_GIT_TOKEN`, `GIT_TOKEN` (each tried once), sent as the Basic password with the
//!    URL's user or `git`; then git's credential helpers (`credential.helper` in gitconfig, so
//!    `!aws codecommit credential-helper $@` with `credential.UseHttpPath=true` works for
//!    CodeCommit).
//!
//! A password written in the URL is used by libgit2 before any of these.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::{CertificateCheckStatus, Cred, CredentialType, RemoteCallbacks};

use super::known_hosts;
use super::ssh_config::{SshConfig, SshHost, SshUrl};
use crate::workers::proxy::ProxyEnv;

/// Where git credential helpers are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Helpers {
    /// The user's git configuration (system, global, XDG), as `git` reads it.
    UserConfig,
    /// One gitconfig file (tests, or a dedicated file).
    ConfigFile(PathBuf),
    /// No credential helpers.
    Off,
}

/// Which credentials the worker may use, and where it finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialConfig {
    /// Environment variables holding an HTTPS token, tried in order.
    pub token_vars: Vec<String>,
    /// Whether to ask the SSH agent.
    pub ssh_agent: bool,
    /// Private key files to try for SSH when `~/.ssh/config` names no `IdentityFile` for the
    /// host, in order (missing files are skipped).
    pub ssh_keys: Vec<PathBuf>,
    /// The home whose `.ssh/config` and `.ssh/known_hosts` SSH remotes use (default: the
    /// user's home). `None`: no config, and only `ssh_system_known_hosts`.
    pub ssh_home: Option<PathBuf>,
    /// The system-wide known-hosts files (`/etc/ssh/ssh_known_hosts`,
    /// `/etc/ssh/ssh_known_hosts2`), unless the config's `GlobalKnownHostsFile` says others.
    pub ssh_system_known_hosts: Vec<PathBuf>,
    /// Git credential helpers for HTTPS.
    pub helpers: Helpers,
    /// The proxy variables HTTP(S) remotes go through (default: the process's).
    pub proxy: ProxyEnv,
}

impl Default for CredentialConfig {
    fn default() -> Self {
        let home = dirs::home_dir();
        let ssh = home.as_ref().map(|h| h.join(".ssh"));
        CredentialConfig {
            token_vars: vec!["FLUXDECK_GIT_TOKEN".into(), "GIT_TOKEN".into()],
            ssh_agent: true,
            ssh_keys: ssh
                .map(|d| vec![d.join("id_ed25519"), d.join("id_ecdsa"), d.join("id_rsa")])
                .unwrap_or_default(),
            ssh_home: home,
            ssh_system_known_hosts: vec![
                PathBuf::from("/etc/ssh/ssh_known_hosts"),
                PathBuf::from("/etc/ssh/ssh_known_hosts2"),
            ],
            helpers: Helpers::UserConfig,
            proxy: ProxyEnv::from_process(),
        }
    }
}

/// What the credential callback did during one network operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts {
    /// The kinds handed to libgit2, in order (names, never values).
    pub tried: Vec<String>,
    /// Set when libgit2 asked again after the last kind: every kind was refused.
    pub exhausted: bool,
    /// The next candidate to consider.
    next: usize,
    /// Times libgit2 asked for a user name (SSH without a user in the URL).
    username_asks: u32,
    /// Why the SSH host key was refused, when it was.
    pub host_key_refused: Option<String>,
}

/// One kind of credential, before it is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Candidate {
    Agent,
    KeyFile(PathBuf),
    Token(String),
    Helper,
}

impl Candidate {
    fn describe(&self) -> String {
        match self {
            Candidate::Agent => "ssh-agent".into(),
            Candidate::KeyFile(p) => format!("key {}", p.display()),
            Candidate::Token(var) => format!("token from ${var}"),
            Candidate::Helper => "git credential helper".into(),
        }
    }

    fn allowed(&self, allowed: CredentialType) -> bool {
        match self {
            Candidate::Agent | Candidate::KeyFile(_) => allowed.contains(CredentialType::SSH_KEY),
            Candidate::Token(_) | Candidate::Helper => {
                allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            }
        }
    }
}

impl CredentialConfig {
    /// For an SSH remote: the URL split, and what `~/.ssh/config` says about its host.
    /// `None` for other URLs.
    pub fn ssh_target(&self, url: &str) -> Option<(SshUrl, SshHost)> {
        let parsed = SshUrl::parse(url)?;
        let mut host = match &self.ssh_home {
            Some(home) => SshConfig::load(home).resolve(
                &parsed.host,
                parsed.user.as_deref(),
                parsed.port,
                home,
                &self.ssh_system_known_hosts,
            ),
            None => {
                let mut host = SshConfig::default().resolve(
                    &parsed.host,
                    parsed.user.as_deref(),
                    parsed.port,
                    Path::new("/"),
                    &[],
                );
                host.known_hosts_files = self.ssh_system_known_hosts.clone();
                host
            }
        };
        // libgit2 needs a user in the URL or asks for one; ssh's default would be the local
        // user, git hosts expect `git`.
        host.user.get_or_insert_with(|| "git".to_string());
        Some((parsed, host))
    }

    /// Every candidate in the documented order; availability is checked when asked.
    fn candidates(&self, ssh: Option<&SshHost>) -> Vec<Candidate> {
        let mut out = Vec::new();
        if self.ssh_agent && !ssh.is_some_and(|h| h.identities_only) {
            out.push(Candidate::Agent);
        }
        match ssh {
            Some(h) if !h.identity_files.is_empty() => {
                out.extend(h.identity_files.iter().cloned().map(Candidate::KeyFile));
            }
            _ => out.extend(self.ssh_keys.iter().cloned().map(Candidate::KeyFile)),
        }
        out.extend(self.token_vars.iter().cloned().map(Candidate::Token));
        if self.helpers != Helpers::Off {
            out.push(Candidate::Helper);
        }
        out
    }

    /// Builds one credential, or `None` when that kind has nothing to offer here.
    fn make(&self, c: &Candidate, url: &str, user: Option<&str>) -> Option<Cred> {
        let user_or_git = user.filter(|u| !u.is_empty()).unwrap_or("git");
        match c {
            Candidate::Agent => {
                std::env::var_os("SSH_AUTH_SOCK")?;
                Cred::ssh_key_from_agent(user_or_git).ok()
            }
            Candidate::KeyFile(path) => {
                if !path.is_file() {
                    return None;
                }
                Cred::ssh_key(user_or_git, None, path, None).ok()
            }
            Candidate::Token(var) => {
                let token = std::env::var(var).ok().filter(|t| !t.is_empty())?;
                Cred::userpass_plaintext(user_or_git, &token).ok()
            }
            Candidate::Helper => {
                let config = match &self.helpers {
                    Helpers::UserConfig => git2::Config::open_default().ok()?,
                    Helpers::ConfigFile(path) => git2::Config::open(path).ok()?,
                    Helpers::Off => return None,
                };
                Cred::credential_helper(&config, url, user).ok()
            }
        }
    }

    /// Answers one credential request: the next kind that applies and has something, or an
    /// error once every kind was handed out (libgit2 only asks again after a refusal).
    pub(crate) fn answer(
        &self,
        attempts: &mut Attempts,
        url: &str,
        user: Option<&str>,
        allowed: CredentialType,
        ssh: Option<&SshHost>,
    ) -> Result<Cred, git2::Error> {
        if allowed.contains(CredentialType::USERNAME) {
            attempts.username_asks += 1;
            if attempts.username_asks > 1 {
                attempts.exhausted = true;
                return Err(git2::Error::from_str("the server refused the user name"));
            }
            return Cred::username(user.filter(|u| !u.is_empty()).unwrap_or("git"));
        }
        let candidates = self.candidates(ssh);
        while let Some(c) = candidates.get(attempts.next) {
            attempts.next += 1;
            if !c.allowed(allowed) {
                continue;
            }
            if let Some(cred) = self.make(c, url, user) {
                tracing::debug!(kind = %c.describe(), "offering a git credential");
                attempts.tried.push(c.describe());
                return Ok(cred);
            }
        }
        attempts.exhausted = true;
        Err(git2::Error::new(
            git2::ErrorCode::Auth,
            git2::ErrorClass::Callback,
            "no more credentials to try",
        ))
    }

    /// Remote callbacks whose credential answers are recorded in `attempts`; for an SSH
    /// remote (`ssh`), the host key is checked against its known-hosts files.
    pub(crate) fn callbacks<'a>(
        &'a self,
        attempts: &'a RefCell<Attempts>,
        ssh: Option<&'a SshHost>,
    ) -> RemoteCallbacks<'a> {
        let mut cb = RemoteCallbacks::new();
        cb.credentials(move |url, user, allowed| {
            self.answer(&mut attempts.borrow_mut(), url, user, allowed, ssh)
        });
        if let Some(target) = ssh {
            cb.certificate_check(move |cert, _host| {
                // TLS certificates are libgit2's to verify, as without this callback.
                let Some(hostkey) = cert.as_hostkey() else {
                    return Ok(CertificateCheckStatus::CertificatePassthrough);
                };
                let message = match hostkey.hostkey() {
                    Some(key) => {
                        let files = &target.known_hosts_files;
                        let verdict =
                            known_hosts::check(files, &target.hostname, target.port, key);
                        match known_hosts::refusal(
                            &verdict,
                            &target.hostname,
                            target.port,
                            key,
                            files,
                        ) {
                            None => return Ok(CertificateCheckStatus::CertificateOk),
                            Some(message) => message,
                        }
                    }
                    None => format!(
                        "libgit2 did not hand over the SSH host key of {} port {}, so it cannot be checked against known_hosts; fluxdeck refuses the connection",
                        target.hostname, target.port
                    ),
                };
                tracing::warn!("{message}");
                attempts.borrow_mut().host_key_refused = Some(message.clone());
                Err(git2::Error::new(
                    git2::ErrorCode::Certificate,
                    git2::ErrorClass::Ssh,
                    message,
                ))
            });
        }
        cb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(keys: Vec<PathBuf>) -> CredentialConfig {
        CredentialConfig {
            token_vars: vec!["FLUXDECK_UNIT_TEST_TOKEN_THAT_IS_NEVER_SET".into()],
            ssh_agent: false,
            ssh_keys: keys,
            ssh_home: None,
            ssh_system_known_hosts: Vec::new(),
            helpers: Helpers::Off,
            proxy: ProxyEnv::default(),
        }
    }

    #[test]
    fn each_kind_is_offered_once_then_the_callback_fails() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        std::fs::write(
            &key,
            "not really a key, libgit2 only reads it when connecting",
        )
        .unwrap();
        let missing = dir.path().join("id_rsa");
        let cfg = config(vec![key.clone(), missing]);
        let mut attempts = Attempts::default();
        let url = "ssh://git@example.invalid/repo";
        assert!(
            cfg.answer(
                &mut attempts,
                url,
                Some("git"),
                CredentialType::SSH_KEY,
                None
            )
            .is_ok()
        );
        assert_eq!(attempts.tried, vec![format!("key {}", key.display())]);
        let second = cfg.answer(
            &mut attempts,
            url,
            Some("git"),
            CredentialType::SSH_KEY,
            None,
        );
        assert!(second.is_err());
        assert!(attempts.exhausted);
        assert_eq!(
            attempts.tried.len(),
            1,
            "the same key is never offered twice"
        );
    }

    #[test]
    fn https_skips_ssh_kinds_and_reports_nothing_available() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        std::fs::write(&key, "x").unwrap();
        let cfg = config(vec![key]);
        let mut attempts = Attempts::default();
        let r = cfg.answer(
            &mut attempts,
            "https://example.invalid/r",
            None,
            CredentialType::USER_PASS_PLAINTEXT,
            None,
        );
        assert!(r.is_err());
        assert!(attempts.exhausted);
        assert!(attempts.tried.is_empty());
    }

    #[test]
    fn a_helper_from_a_config_file_answers_https() {
        let dir = tempfile::tempdir().unwrap();
        let gitconfig = dir.path().join("gitconfig");
        std::fs::write(
            &gitconfig,
            "[credential]\n\thelper = \"!f() { echo username=u; echo password=p; }; f\"\n",
        )
        .unwrap();
        let cfg = CredentialConfig {
            helpers: Helpers::ConfigFile(gitconfig),
            ..config(Vec::new())
        };
        let mut attempts = Attempts::default();
        let url = "https://example.invalid/r";
        let cred = cfg
            .answer(
                &mut attempts,
                url,
                None,
                CredentialType::USER_PASS_PLAINTEXT,
                None,
            )
            .unwrap();
        assert!(cred.has_username(), "a user/password credential");
        assert_eq!(attempts.tried, vec!["git credential helper".to_string()]);
        assert!(
            cfg.answer(
                &mut attempts,
                url,
                None,
                CredentialType::USER_PASS_PLAINTEXT,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn the_user_name_is_given_once() {
        let cfg = config(Vec::new());
        let mut attempts = Attempts::default();
        let url = "ssh://example.invalid/r";
        assert!(
            cfg.answer(&mut attempts, url, None, CredentialType::USERNAME, None)
                .is_ok()
        );
        assert!(
            cfg.answer(&mut attempts, url, None, CredentialType::USERNAME, None)
                .is_err()
        );
    }

    #[test]
    fn ssh_config_identity_files_replace_the_defaults_and_identities_only_skips_the_agent() {
        let home = tempfile::tempdir().unwrap();
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(
            ssh.join("config"),
            "Host git-codecommit.*.amazonaws.com\n  User APKAEIBAERJR2EXAMPLE\n  IdentityFile ~/.ssh/codecommit\n  IdentitiesOnly yes\n",
        )
        .unwrap();
        std::fs::write(ssh.join("codecommit"), "key text, read when connecting").unwrap();
        std::fs::write(ssh.join("id_ed25519"), "x").unwrap();
        let cfg = CredentialConfig {
            ssh_agent: true,
            ssh_home: Some(home.path().to_path_buf()),
            ..config(vec![ssh.join("id_ed25519")])
        };
        let url = "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/config";
        let (parsed, target) = cfg.ssh_target(url).unwrap();
        assert_eq!(target.user.as_deref(), Some("APKAEIBAERJR2EXAMPLE"));
        assert_eq!(
            parsed.resolved(&target),
            "ssh://APKAEIBAERJR2EXAMPLE@git-codecommit.us-east-1.amazonaws.com:22/v1/repos/config"
        );
        assert_eq!(
            cfg.candidates(Some(&target)),
            vec![
                Candidate::KeyFile(ssh.join("codecommit")),
                Candidate::Token("FLUXDECK_UNIT_TEST_TOKEN_THAT_IS_NEVER_SET".into())
            ]
        );
        let mut attempts = Attempts::default();
        assert!(
            cfg.answer(
                &mut attempts,
                url,
                target.user.as_deref(),
                CredentialType::SSH_KEY,
                Some(&target),
            )
            .is_ok()
        );
        assert_eq!(
            attempts.tried,
            vec![format!("key {}", ssh.join("codecommit").display())]
        );
        // Another host: the agent, then the default keys; the user defaults to `git`.
        let (_, other) = cfg.ssh_target("other.example:org/repo.git").unwrap();
        assert_eq!(other.user.as_deref(), Some("git"));
        assert_eq!(
            cfg.candidates(Some(&other))[..2],
            [Candidate::Agent, Candidate::KeyFile(ssh.join("id_ed25519"))]
        );
        assert_eq!(
            other.known_hosts_files,
            vec![ssh.join("known_hosts"), ssh.join("known_hosts2")]
        );
        assert!(cfg.ssh_target("https://example.org/r.git").is_none());
    }
}
