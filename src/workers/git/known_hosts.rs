//! Host key checking for git over SSH against OpenSSH's `known_hosts` files, as
//! `StrictHostKeyChecking yes` does: a host whose key is not listed is refused with the
//! command that adds it, a host whose listed key differs is refused as changed, and a key
//! marked `@revoked` is refused. Nothing is ever written to the files.
//!
//! Lines are `[marker] hostpatterns keytype base64key [comment]`; host patterns are
//! comma-separated, with `*`, `?` and `!negation`, `[host]:port` for ports other than 22, or
//! hashed (`|1|salt|hmac`, as `HashKnownHosts yes` writes them). `@cert-authority` lines are
//! skipped: libgit2 hands over the host's plain key, never a certificate.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha1::{Digest, Sha1};

use super::ssh_config::glob::patterns_match;

/// What the known-hosts files say about a host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Listed for this host.
    Known,
    /// The host is not listed with a key of this type.
    Unknown {
        /// Key types listed for the host (a server offering a different type).
        other_types: Vec<String>,
    },
    /// The host is listed with another key of the same type.
    Changed {
        /// The file with the old key.
        file: PathBuf,
        /// Its line (1-based).
        line: usize,
    },
    /// The key is marked `@revoked`.
    Revoked {
        /// The file saying so.
        file: PathBuf,
        /// Its line (1-based).
        line: usize,
    },
}

/// The name known_hosts lists a host under: `host`, or `[host]:port` off port 22.
pub fn host_entry_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_ascii_lowercase()
    } else {
        format!("[{}]:{port}", host.to_ascii_lowercase())
    }
}

/// Checks the key blob (SSH wire format, as known_hosts holds it base64-encoded) that
/// `host:port` offered against `files`; missing files count as empty.
pub fn check(files: &[PathBuf], host: &str, port: u16, key: &[u8]) -> Verdict {
    let name = host_entry_name(host, port);
    let key_type = key_type(key).unwrap_or_default();
    let mut other_types = Vec::new();
    let mut changed = None;
    let mut known = false;
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let Some(entry) = Line::parse(line) else {
                continue;
            };
            if !entry.matches(&name) {
                continue;
            }
            let same_key = entry.key.as_deref() == Some(key);
            match entry.marker {
                Some(Marker::Revoked) if same_key => {
                    return Verdict::Revoked {
                        file: file.clone(),
                        line: n + 1,
                    };
                }
                Some(_) => continue,
                None => {}
            }
            if same_key {
                known = true;
            } else if entry.key_type == key_type {
                changed.get_or_insert((file.clone(), n + 1));
            } else if !other_types.contains(&entry.key_type) {
                other_types.push(entry.key_type.clone());
            }
        }
    }
    // A revoked key anywhere wins over a listing (returned above); a listed key over a
    // stale one of the same type, as ssh accepts a host listed with several keys.
    if known {
        Verdict::Known
    } else if let Some((file, line)) = changed {
        Verdict::Changed { file, line }
    } else {
        Verdict::Unknown { other_types }
    }
}

/// The key type named inside an SSH public key blob (`ssh-ed25519`, ...).
pub fn key_type(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4 + len)?;
    String::from_utf8(name.to_vec()).ok()
}

/// The key's fingerprint as ssh prints it: `SHA256:` and unpadded base64.
pub fn fingerprint(blob: &[u8]) -> String {
    use sha2::Sha256;
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// The message for a refused host key: what is wrong and the command that fixes it.
pub fn refusal(
    verdict: &Verdict,
    host: &str,
    port: u16,
    key: &[u8],
    files: &[PathBuf],
) -> Option<String> {
    let key_type = key_type(key).unwrap_or_else(|| "unknown".into());
    let print = fingerprint(key);
    let keyscan = format!("ssh-keyscan -p {port} {host} >> ~/.ssh/known_hosts");
    match verdict {
        Verdict::Known => None,
        Verdict::Unknown { other_types } => {
            let listed = if other_types.is_empty() {
                String::new()
            } else {
                format!(" (they list only {} keys for it)", other_types.join(", "))
            };
            let where_ = files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!(
                "the SSH host {host} port {port} is unknown: its {key_type} key {print} is not in the known hosts files ({where_}){listed}; check the fingerprint, then add the host with `{keyscan}` and fetch again"
            ))
        }
        Verdict::Changed { file, line } => Some(format!(
            "the SSH host key of {host} port {port} has changed: the server offers {key_type} {print}, {} line {line} lists another (the key was replaced, or someone is intercepting the connection); if the change is expected, remove the old key with `ssh-keygen -R '{}'` and add the new one with `{keyscan}`",
            file.display(),
            host_entry_name(host, port),
        )),
        Verdict::Revoked { file, line } => Some(format!(
            "the SSH host key {print} of {host} port {port} is marked @revoked in {} line {line}: fluxdeck refuses it; ask the server's owner for its new key",
            file.display()
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    CertAuthority,
    Revoked,
}

/// One known_hosts line.
struct Line {
    marker: Option<Marker>,
    hosts: String,
    key_type: String,
    key: Option<Vec<u8>>,
}

impl Line {
    fn parse(line: &str) -> Option<Line> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut fields = line.split_whitespace();
        let mut first = fields.next()?;
        let marker = match first {
            "@cert-authority" => Some(Marker::CertAuthority),
            "@revoked" => Some(Marker::Revoked),
            _ => None,
        };
        if marker.is_some() {
            first = fields.next()?;
        }
        let key_type = fields.next()?.to_string();
        let key = fields.next().and_then(|k| STANDARD.decode(k).ok());
        Some(Line {
            marker,
            hosts: first.to_string(),
            key_type,
            key,
        })
    }

    /// Whether the host patterns name `name` (already `[host]:port` when off port 22).
    fn matches(&self, name: &str) -> bool {
        if let Some(hashed) = self.hosts.strip_prefix("|1|") {
            return hashed_matches(hashed, name);
        }
        patterns_match(self.hosts.split(','), name)
    }
}

/// `salt|hash` (base64) of a hashed entry against `name`: HMAC-SHA1 keyed with the salt.
fn hashed_matches(hashed: &str, name: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    hmac_sha1(&salt, name.as_bytes()).as_slice() == hash.as_slice()
}

/// HMAC-SHA1 (RFC 2104), the hash of `HashKnownHosts` entries.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> [u8; BLOCK] {
        let mut out = block;
        for b in &mut out {
            *b ^= byte;
        }
        out
    };
    let mut inner = Sha1::new();
    inner.update(pad(0x36));
    inner.update(message);
    let mut outer = Sha1::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key blob of `key_type` with some key bytes.
    fn blob(key_type: &str, fill: u8) -> Vec<u8> {
        let mut out = (key_type.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(key_type.as_bytes());
        out.extend_from_slice(&32u32.to_be_bytes());
        out.extend_from_slice(&[fill; 32]);
        out
    }

    fn line(hosts: &str, key: &[u8]) -> String {
        format!(
            "{hosts} {} {}\n",
            key_type(key).unwrap(),
            STANDARD.encode(key)
        )
    }

    fn files_with(text: &str) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        std::fs::write(&file, text).unwrap();
        (dir, vec![file])
    }

    #[test]
    fn listed_unknown_and_changed() {
        let ours = blob("ssh-ed25519", 1);
        let theirs = blob("ssh-ed25519", 2);
        let rsa = blob("rsa-sha2-512", 3);
        let (_d, files) = files_with(&format!(
            "# comment\n{}{}",
            line("git.example,10.0.0.1", &ours),
            line("[127.0.0.1]:2222", &theirs)
        ));
        assert_eq!(check(&files, "git.example", 22, &ours), Verdict::Known);
        assert_eq!(check(&files, "GIT.example", 22, &ours), Verdict::Known);
        assert_eq!(
            check(&files, "git.example", 2222, &ours),
            Verdict::Unknown {
                other_types: Vec::new()
            },
            "a port other than 22 is a different entry"
        );
        assert_eq!(
            check(&files, "127.0.0.1", 2222, &ours),
            Verdict::Changed {
                file: files[0].clone(),
                line: 3
            }
        );
        assert_eq!(
            check(&files, "git.example", 22, &rsa),
            Verdict::Unknown {
                other_types: vec!["ssh-ed25519".into()]
            }
        );
        let missing = vec![PathBuf::from("/nonexistent/known_hosts")];
        assert!(matches!(
            check(&missing, "git.example", 22, &ours),
            Verdict::Unknown { .. }
        ));
    }

    #[test]
    fn hashed_entries_wildcards_negation_and_revoked() {
        let ours = blob("ssh-ed25519", 7);
        // `HashKnownHosts yes`'s form, computed with the HMAC checked against RFC 2202 below
        // (tests/git_ssh.rs checks it against entries hashed by `ssh-keygen -H`).
        let salt = [9u8; 20];
        let hash = hmac_sha1(&salt, b"[gitbox]:2222");
        let hashed = format!("|1|{}|{}", STANDARD.encode(salt), STANDARD.encode(hash));
        let (_d, files) = files_with(&format!(
            "{}{}@revoked {}",
            line(&hashed, &ours),
            line("*.corp.example,!evil.corp.example", &ours),
            line("*", &blob("ssh-ed25519", 66)),
        ));
        assert_eq!(check(&files, "gitbox", 2222, &ours), Verdict::Known);
        assert!(matches!(
            check(&files, "gitbox", 22, &ours),
            Verdict::Unknown { .. }
        ));
        assert_eq!(check(&files, "git.corp.example", 22, &ours), Verdict::Known);
        assert!(matches!(
            check(&files, "evil.corp.example", 22, &ours),
            Verdict::Unknown { .. }
        ));
        assert_eq!(
            check(&files, "anything", 22, &blob("ssh-ed25519", 66)),
            Verdict::Revoked {
                file: files[0].clone(),
                line: 3
            }
        );
    }

    #[test]
    fn hmac_sha1_matches_rfc_2202() {
        // RFC 2202 test case 2.
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
        // Test case 6: a key longer than the block.
        let mac = hmac_sha1(
            &[0xaa; 80],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(hex::encode(mac), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
    }

    #[test]
    fn refusals_name_the_host_and_the_command() {
        let key = blob("ssh-ed25519", 1);
        let files = vec![PathBuf::from("/home/u/.ssh/known_hosts")];
        let unknown = refusal(
            &Verdict::Unknown {
                other_types: Vec::new(),
            },
            "git-codecommit.us-east-1.amazonaws.com",
            22,
            &key,
            &files,
        )
        .unwrap();
        assert!(
            unknown
                .contains("the SSH host git-codecommit.us-east-1.amazonaws.com port 22 is unknown"),
            "{unknown}"
        );
        assert!(
            unknown.contains(
                "`ssh-keyscan -p 22 git-codecommit.us-east-1.amazonaws.com >> ~/.ssh/known_hosts`"
            ),
            "{unknown}"
        );
        assert!(unknown.contains(&fingerprint(&key)), "{unknown}");
        let changed = refusal(
            &Verdict::Changed {
                file: files[0].clone(),
                line: 4,
            },
            "127.0.0.1",
            2222,
            &key,
            &files,
        )
        .unwrap();
        assert!(changed.contains("has changed"), "{changed}");
        assert!(
            changed.contains("/home/u/.ssh/known_hosts line 4"),
            "{changed}"
        );
        assert!(
            changed.contains("`ssh-keygen -R '[127.0.0.1]:2222'`"),
            "{changed}"
        );
        assert!(
            changed.contains("`ssh-keyscan -p 2222 127.0.0.1 >> ~/.ssh/known_hosts`"),
            "{changed}"
        );
        assert_eq!(refusal(&Verdict::Known, "h", 22, &key, &files), None);
    }
}
