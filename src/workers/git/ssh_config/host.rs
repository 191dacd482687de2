//! What ssh would use to reach one host, as read from the configuration.

use std::path::PathBuf;

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
