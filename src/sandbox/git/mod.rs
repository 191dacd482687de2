//! The sandbox's git side: bare repositories on disk that play the configuration
//! repositories, and what the simulated controllers do with them. Sources read a branch head
//! ([`head`]), Kustomizations read a tree ([`read_tree`]), and automations commit straight into
//! the bare repository, without a working tree ([`commit_files`]). A commit only moves a
//! branch forward from the parent it was built on; a branch that moved meanwhile refuses it
//! as a non-fast-forward, never forced. Clients (the git worker, `git clone`, GitOps UIs)
//! reach the repositories over git smart HTTP with Basic auth, as CodeCommit serves them:
//! [`serve`] runs git's own `git http-backend` behind `http://127.0.0.1:PORT/v1/repos/<name>`
//! (the GitRepository CRD accepts only http, https and ssh URLs). [`file_url`] remains for
//! local tools and tests that read a repository path directly.
//!
//! [`seed`] creates the two reference repositories with a short human history.
//!
//! Reading lives in `read`, committing in `commit`, the error every operation returns in
//! `error`.

mod commit;
mod error;
mod read;
mod seed;
pub mod serve;

pub use commit::{Identity, NewCommit, commit_files, commit_files_on, create_branch, init_repo};
pub use error::SandboxGitError;
pub use read::{TreeFile, file_url, head, read_file, read_tree};
pub use seed::{
    ACCOUNT_ID, FAKE_GIT_PASSWORD, FAKE_GIT_USER, SeedOptions, SeedRepos, seed, seed_with,
};
pub use serve::{GitCredentials, GitServeError, GitServer, GitServerOptions, GitServerStats};
