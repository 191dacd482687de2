//! Placeholder until the smart-HTTP server lands (branch `gitserve`).

/// Basic-auth credentials the server accepts (one user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCredentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl GitCredentials {
    /// Whether `user`/`password` are these credentials (constant time).
    pub fn matches(&self, user: &str, password: &str) -> bool {
        self.username == user && self.password == password
    }
}
