//! The two reference repositories, `flux-repo` and `microservices-repo`, as bare
//! repositories on branch `main`, built from `assets/seed-gitops` with the write-up's
//! placeholders filled in, and a short history of human commits (the automation's commits
//! come later, from the simulated controllers).

use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::commit::{Identity, NewCommit, commit_files_on, init_repo};
use super::error::SandboxGitError;
use super::read::file_url;

/// The AWS account that replaces `__ACCOUNT_ID__`.
pub const ACCOUNT_ID: &str = "123456789012";
/// The git user name written (base64) into `microservices-basic-access-auth`: obviously fake.
pub const FAKE_GIT_USER: &str = "sandbox-git-user";
/// The git password written (base64) into `microservices-basic-access-auth`: obviously fake.
pub const FAKE_GIT_PASSWORD: &str = "not-a-real-password";

macro_rules! asset {
    ($repo:literal, $path:literal) => {
        (
            $path,
            include_str!(concat!("../../../assets/seed-gitops/", $repo, "/", $path)),
        )
    };
}

/// One seed commit: when (days before now), who, what, which files.
struct SeedCommit {
    days_ago: i64,
    author: (&'static str, &'static str),
    message: &'static str,
    files: &'static [(&'static str, &'static str)],
}

const MARIA: (&str, &str) = ("Maria Lopez", "maria.lopez@example.com");
const SAM: (&str, &str) = ("Sam Chen", "sam.chen@example.com");

const MICROSERVICES: &[SeedCommit] = &[
    SeedCommit {
        days_ago: 6,
        author: MARIA,
        message: "Add Sock Shop base manifests",
        files: &[
            asset!(
                "microservices-repo",
                "deploy/kubernetes/base/kustomization.yaml"
            ),
            asset!(
                "microservices-repo",
                "deploy/kubernetes/base/complete-demo.yaml"
            ),
        ],
    },
    SeedCommit {
        days_ago: 5,
        author: SAM,
        message: "Add development overlay with image policy markers for front-end",
        files: &[asset!(
            "microservices-repo",
            "deploy/kubernetes/overlays/development/kustomization.yaml"
        )],
    },
];

const FLUX: &[SeedCommit] = &[
    SeedCommit {
        days_ago: 7,
        author: SAM,
        message: "Bootstrap Flux on dev-cluster",
        files: &[
            asset!(
                "flux-repo",
                "clusters/dev-cluster/flux-system/gotk-sync.yaml"
            ),
            asset!(
                "flux-repo",
                "clusters/dev-cluster/flux-system/kustomization.yaml"
            ),
            asset!("flux-repo", "clusters/dev-cluster/infrastructure.yaml"),
            asset!("flux-repo", "infrastructure/base/kustomization.yaml"),
            asset!(
                "flux-repo",
                "infrastructure/overlays/development/kustomization.yaml"
            ),
        ],
    },
    SeedCommit {
        days_ago: 6,
        author: MARIA,
        message: "Add the sock-shop tenant",
        files: &[
            asset!("flux-repo", "clusters/dev-cluster/apps.yaml"),
            asset!("flux-repo", "apps/base/kustomization.yaml"),
            asset!("flux-repo", "apps/base/sock-shop/kustomization.yaml"),
            asset!("flux-repo", "apps/base/sock-shop/namespace.yaml"),
            asset!("flux-repo", "apps/base/sock-shop/rbac.yaml"),
            asset!("flux-repo", "apps/base/sock-shop/basic-access-auth.yaml"),
            asset!("flux-repo", "apps/base/sock-shop/tenant.yaml"),
            asset!("flux-repo", "apps/overlays/development/kustomization.yaml"),
        ],
    },
    SeedCommit {
        days_ago: 5,
        author: SAM,
        message: "Automate front-end image updates from ECR",
        files: &[
            asset!(
                "flux-repo",
                "apps/overlays/development/sock-shop/kustomization.yaml"
            ),
            asset!(
                "flux-repo",
                "apps/overlays/development/sock-shop/registry.yaml"
            ),
            asset!(
                "flux-repo",
                "apps/overlays/development/sock-shop/policy.yaml"
            ),
            asset!(
                "flux-repo",
                "apps/overlays/development/sock-shop/image-automation.yaml"
            ),
        ],
    },
];

/// The seeded repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRepos {
    /// The bare `flux-repo` (Flux bootstrap, infrastructure, the sock-shop tenant).
    pub flux_repo: PathBuf,
    /// The bare `microservices-repo` (the Sock Shop manifests).
    pub microservices_repo: PathBuf,
}

impl SeedRepos {
    /// The URL `flux-repo`'s GitRepository points at.
    pub fn flux_url(&self) -> String {
        file_url(&self.flux_repo)
    }

    /// The URL that replaces `__MICRO_SERVICES_REPO__`.
    pub fn microservices_url(&self) -> String {
        file_url(&self.microservices_repo)
    }
}

/// The flux repository's URL in the write-up's `gotk-sync.yaml`.
const WRITE_UP_FLUX_URL: &str = "https://git-codecommit.us-west-2.amazonaws.com/v1/repos/gitops";

/// What the seeded files point at: the config repository's URL and the git credentials
/// written (base64) into the Secrets, plus files to add to `flux-repo`'s bootstrap commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    /// The URL that replaces `__MICRO_SERVICES_REPO__`.
    pub microservices_url: String,
    /// The URL `flux bootstrap` writes into `gotk-sync.yaml` (the flux repository's own);
    /// `None` keeps the write-up's CodeCommit URL.
    pub flux_url: Option<String>,
    /// The image kinds' `apiVersion` the manifests use (`image.toolkit.fluxcd.io/v1beta2`
    /// for a Flux 2.6 cluster); `None` keeps the files' `v1`.
    pub image_api_version: Option<String>,
    /// The git user written into `microservices-basic-access-auth`.
    pub username: String,
    /// The git password written into `microservices-basic-access-auth`.
    pub password: String,
    /// Extra files of the first `flux-repo` commit (path, text): e.g. the
    /// `gotk-components.yaml` that `flux bootstrap` writes.
    pub flux_files: Vec<(String, String)>,
}

/// Creates `dir/flux-repo` and `dir/microservices-repo` (bare, branch `main`, each with a few
/// human commits from the last week); they must not exist yet. The config repository is
/// named by its `file://` URL and the credentials are the obviously fake ones.
pub fn seed(dir: &Path) -> Result<SeedRepos, SandboxGitError> {
    let micro = file_url(&dir.join("microservices-repo"));
    seed_with(
        dir,
        &SeedOptions {
            microservices_url: micro,
            flux_url: None,
            image_api_version: None,
            username: FAKE_GIT_USER.into(),
            password: FAKE_GIT_PASSWORD.into(),
            flux_files: Vec::new(),
        },
    )
}

/// [`seed`] with the URL, credentials and extra files of `opts`.
pub fn seed_with(dir: &Path, opts: &SeedOptions) -> Result<SeedRepos, SandboxGitError> {
    let repos = SeedRepos {
        flux_repo: dir.join("flux-repo"),
        microservices_repo: dir.join("microservices-repo"),
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let fill = |text: &str| {
        let mut text = match &opts.flux_url {
            Some(url) => text.replace(WRITE_UP_FLUX_URL, url),
            None => text.to_string(),
        };
        if let Some(api) = &opts.image_api_version {
            text = text.replace(
                "apiVersion: image.toolkit.fluxcd.io/v1\n",
                &format!("apiVersion: {api}\n"),
            );
        }
        text.replace("__ACCOUNT_ID__", ACCOUNT_ID)
            .replace("__MICRO_SERVICES_REPO__", &opts.microservices_url)
            .replace("__BASE64_USERNAME__", &engine.encode(&opts.username))
            .replace("__BASE64_PASSWORD__", &engine.encode(&opts.password))
    };
    let now = jiff::Timestamp::now().as_second();
    create(&repos.microservices_repo, MICROSERVICES, now, &fill, &[])?;
    create(&repos.flux_repo, FLUX, now, &fill, &opts.flux_files)?;
    Ok(repos)
}

fn create(
    path: &Path,
    history: &[SeedCommit],
    now: i64,
    fill: &dyn Fn(&str) -> String,
    extra: &[(String, String)],
) -> Result<(), SandboxGitError> {
    let mut parent: Option<String> = None;
    for c in history {
        let author = Identity::new(c.author.0, c.author.1);
        let commit = NewCommit {
            branch: "main",
            author: &author,
            message: c.message,
            time: Some(now - c.days_ago * 86_400),
        };
        let mut files: Vec<(&str, String)> =
            c.files.iter().map(|(p, text)| (*p, fill(text))).collect();
        if parent.is_none() {
            files.extend(extra.iter().map(|(p, text)| (p.as_str(), text.clone())));
        }
        let sha = match &parent {
            Some(p) => commit_files_on(path, p, &commit, &files)?,
            None => init_repo(path, &commit, &files)?,
        };
        parent = Some(sha);
    }
    Ok(())
}
