//! Basic authentication: the one user the server accepts, and the rule that checks a pair
//! (also used in-process by the simulated source-controller, so both sides agree).

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Basic-auth credentials the server accepts (one user).
#[derive(Clone, PartialEq, Eq)]
pub struct GitCredentials {
    /// The user name.
    pub username: String,
    /// The password (never logged, never shown by `Debug`).
    pub password: String,
}

impl std::fmt::Debug for GitCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What an `Authorization` header amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Presented {
    /// No header, or not a Basic one: the client should be challenged.
    Nothing,
    /// A Basic pair that does not match.
    Wrong,
    /// The right user; the name goes to the backend as `REMOTE_USER`.
    Right(String),
}

impl GitCredentials {
    /// Credentials for `username` with `password`.
    pub fn new(username: &str, password: &str) -> Self {
        GitCredentials {
            username: username.to_string(),
            password: password.to_string(),
        }
    }

    /// Whether `user` and `password` are these credentials. The comparison takes the same
    /// time wherever the first difference is, and whatever the lengths: both sides are
    /// hashed first, and the digests compared without an early exit.
    pub fn matches(&self, user: &str, password: &str) -> bool {
        let user_ok = digest_eq(user.as_bytes(), self.username.as_bytes());
        let password_ok = digest_eq(password.as_bytes(), self.password.as_bytes());
        // `&`, not `&&`: a wrong user name costs as much as a wrong password.
        user_ok & password_ok
    }

    /// Reads an `Authorization` header value (`Basic base64(user:password)`).
    pub(super) fn check(&self, header: Option<&[u8]>) -> Presented {
        let Some((user, password)) = header.and_then(basic_pair) else {
            return Presented::Nothing;
        };
        if self.matches(&user, &password) {
            Presented::Right(user)
        } else {
            Presented::Wrong
        }
    }
}

/// The user and password of a `Basic` header value; `None` for any other scheme or a value
/// that does not decode (a client that sent something unreadable gets a fresh challenge).
fn basic_pair(value: &[u8]) -> Option<(String, String)> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // The user name cannot hold a colon (RFC 7617); the password can.
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn digest_eq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(pair: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
        .into_bytes()
    }

    #[test]
    fn matches_only_the_exact_pair() {
        let c = GitCredentials::new("sandbox-git-user", "not-a-real-password");
        assert!(c.matches("sandbox-git-user", "not-a-real-password"));
        assert!(!c.matches("sandbox-git-user", "not-a-real-passwor"));
        assert!(!c.matches("sandbox-git-user", "not-a-real-password "));
        assert!(!c.matches("Sandbox-git-user", "not-a-real-password"));
        assert!(!c.matches("", ""));
        let empty = GitCredentials::new("", "");
        assert!(empty.matches("", ""));
    }

    #[test]
    fn a_basic_header_is_read_and_checked() {
        let c = GitCredentials::new("git", "pa:ss word");
        assert_eq!(
            c.check(Some(&basic("git:pa:ss word"))),
            Presented::Right("git".into())
        );
        // The scheme is case-insensitive; surrounding blanks are tolerated.
        let mut lower = basic("git:pa:ss word");
        lower[..5].copy_from_slice(b"basic");
        assert_eq!(c.check(Some(&lower)), Presented::Right("git".into()));
        assert_eq!(c.check(Some(&basic("git:wrong"))), Presented::Wrong);
        assert_eq!(c.check(Some(&basic("other:pa:ss word"))), Presented::Wrong);
    }

    #[test]
    fn anything_but_a_readable_basic_pair_is_a_challenge() {
        let c = GitCredentials::new("git", "pw");
        for header in [
            None,
            Some(&b"Bearer abc"[..]),
            Some(b"Basic"),
            Some(b"Basic !!!not-base64!!!"),
            // base64 of "no-colon"
            Some(b"Basic bm8tY29sb24="),
            Some(&[0xff, 0xfe][..]),
        ] {
            assert_eq!(c.check(header), Presented::Nothing, "{header:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = GitCredentials::new("git", "hunter2-secret");
        let shown = format!("{c:?}");
        assert!(
            shown.contains("git") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
