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

/// Placeholder server.
pub struct GitServer;

impl GitServer {
    /// Not yet available.
    pub async fn start(
        _root: std::path::PathBuf,
        _listen: std::net::SocketAddr,
        _creds: GitCredentials,
    ) -> Result<GitServer, std::io::Error> {
        Err(std::io::Error::other("git server not yet available"))
    }

    /// The URL of a repository.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:0/v1/repos/{name}")
    }

    /// Stops.
    pub async fn shutdown(self) {}
}
