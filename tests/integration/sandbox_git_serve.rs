//! The sandbox's git server (`fluxdeck::sandbox::git::serve`) against real clients on
//! loopback: the `git` CLI (clone, log, fsck, push, a refused rewrite, gzip and protocol v2
//! requests, a large pack both ways), libgit2 through git2 with a credentials callback,
//! fluxdeck's own git worker with a credential helper, and raw HTTP for the exact answers
//! (401 challenges, 404s, traversal). Every server a test starts is shut down by the test.
//!
//! The `git` CLI runs with a cleared environment (`HOME` in the test's temp dir, no system
//! config, no credential helper, no terminal prompt), so the machine's git setup cannot
//! change the outcome. Without `git` on `PATH` the tests say so and pass, except under
//! `CI=true`, where they fail.

use fluxdeck::workers::proxy::ProxyEnv;
use std::cell::Cell;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, Once};
use std::time::Duration;

use base64::Engine as _;
use fluxdeck::sandbox::git::serve::{BackendLookup, GitServerOptions};
use fluxdeck::sandbox::git::{
    self, GitCredentials, GitServeError, GitServer, GitServerStats, Identity, NewCommit,
};
use fluxdeck::workers::git::{
    CredentialConfig, GitCommand, GitEvent, GitWorkerConfig, Helpers, RepoSource, spawn_git_worker,
};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const USER: &str = "sandbox-git-user";
const PASS: &str = "s3rve-Pass-7e4d";
const WRONG: &str = "wrong-pass-19ab";
/// A bound against a hung client or server: it asserts nothing about speed.
const HANG_GUARD: Duration = Duration::from_secs(180);

fn creds() -> GitCredentials {
    GitCredentials::new(USER, PASS)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Whether `git` can run here; under `CI=true` its absence fails the test.
fn git_present() -> bool {
    let found = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "git is not on PATH, and CI=true forbids skipping: install git"
        );
        eprintln!("skipping: git is not on PATH (the sandbox git server needs git http-backend)");
    }
    found
}

macro_rules! require_git {
    () => {
        if !git_present() {
            return;
        }
    };
}

/// Everything the server logs, for all tests of this binary (debug level).
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .init();
    });
}

fn logs() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

/// Seeded repositories under `<tmp>/repos`, a home for the git CLI, a place for clones,
/// and a server in front of the repositories.
struct Fixture {
    dir: TempDir,
    root: PathBuf,
    server: GitServer,
}

impl Fixture {
    async fn start() -> Fixture {
        capture_logs();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repos");
        std::fs::create_dir(&root).unwrap();
        git::seed(&root).unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        std::fs::create_dir(dir.path().join("work")).unwrap();
        let server = GitServer::start(root.clone(), loopback(), creds())
            .await
            .unwrap();
        Fixture { dir, root, server }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn repo(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `http://USER:PASS@127.0.0.1:PORT/v1/repos/<name>`.
    fn url_with(&self, password: &str, name: &str) -> String {
        format!(
            "http://{USER}:{password}@{}/v1/repos/{name}",
            self.server.addr()
        )
    }

    fn url(&self, name: &str) -> String {
        self.url_with(PASS, name)
    }

    fn head(&self, name: &str) -> String {
        git::head(&self.repo(name), "main").unwrap()
    }

    /// Runs the git CLI in `cwd`, isolated from the machine's configuration.
    async fn git_in(&self, cwd: &Path, args: &[&str], extra_env: &[(&str, &Path)]) -> Output {
        let home = self.home();
        let mut cmd = tokio::process::Command::new("git");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env("GIT_AUTHOR_NAME", "Pat Pusher")
            .env("GIT_AUTHOR_EMAIL", "pat@example.com")
            .env("GIT_COMMITTER_NAME", "Pat Pusher")
            .env("GIT_COMMITTER_EMAIL", "pat@example.com")
            .args(["-c", "credential.helper=", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(cwd)
            .kill_on_drop(true);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        tokio::time::timeout(HANG_GUARD, cmd.output())
            .await
            .unwrap_or_else(|_| panic!("git {args:?} hung"))
            .unwrap()
    }

    async fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        self.git_in(cwd, args, &[]).await
    }

    /// Runs git and fails the test with its stderr when it fails; returns stdout.
    async fn git_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git(cwd, args).await;
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Clones `name` into `work/<dir>` with the right credentials; returns the clone.
    async fn clone(&self, name: &str, dir: &str) -> PathBuf {
        let url = self.url(name);
        self.git_ok(&self.work(), &["clone", "--quiet", &url, dir])
            .await;
        self.work().join(dir)
    }

    fn stats(&self) -> GitServerStats {
        self.server.stats()
    }
}

/// A raw HTTP/1.1 exchange (so paths reach the server exactly as written): status, head,
/// body (still chunk-framed when the server streamed it).
async fn raw(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(HANG_GUARD, stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, head.to_string(), body.to_string())
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_cli_clones_with_credentials_in_the_url_and_the_clone_is_whole() {
    require_git!();
    let fx = Fixture::start().await;
    let clone = fx.clone("microservices-repo", "micro").await;

    let log = fx.git_ok(&clone, &["log", "--format=%H %s", "main"]).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the two seed commits of microservices-repo: {log}"
    );
    assert_eq!(
        lines[0],
        format!(
            "{} Add development overlay with image policy markers for front-end",
            fx.head("microservices-repo")
        )
    );
    assert!(lines[1].ends_with(" Add Sock Shop base manifests"), "{log}");
    let fsck = fx.git(&clone, &["fsck", "--full", "--strict"]).await;
    assert!(fsck.status.success(), "fsck: {}", stderr(&fsck));
    assert!(
        fx.git_ok(&clone, &["ls-files"])
            .await
            .contains("deploy/kubernetes/base/complete-demo.yaml")
    );

    let stats = fx.stats();
    assert!(stats.served >= 2, "{stats:?}");
    assert_eq!((stats.refused, stats.rejected, stats.failed), (0, 0, 0));
    let log = logs();
    assert!(
        log.contains("sandbox git request") && log.contains("/v1/repos/microservices-repo/"),
        "each request is logged at debug level: {log}"
    );
    let leaks: Vec<&str> = log.lines().filter(|l| l.contains(PASS)).collect();
    assert!(leaks.is_empty(), "the password is never logged: {leaks:#?}");
    assert!(!log.contains(&basic(USER, PASS)[6..]), "nor its Basic form");
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_cli_pushes_a_fast_forward_and_the_sandbox_sees_it() {
    require_git!();
    let fx = Fixture::start().await;
    let before = fx.head("flux-repo");
    let clone = fx.clone("flux-repo", "flux").await;
    std::fs::write(clone.join("NOTES.md"), "pushed over smart HTTP\n").unwrap();
    fx.git_ok(&clone, &["add", "NOTES.md"]).await;
    fx.git_ok(&clone, &["commit", "--quiet", "-m", "Add notes"])
        .await;
    fx.git_ok(&clone, &["push", "--quiet", "origin", "main"])
        .await;

    let pushed = fx.git_ok(&clone, &["rev-parse", "HEAD"]).await;
    assert_eq!(fx.head("flux-repo"), pushed.trim());
    assert_ne!(fx.head("flux-repo"), before);
    let files = git::read_file(&fx.repo("flux-repo"), pushed.trim(), "NOTES.md").unwrap();
    assert_eq!(files.as_deref(), Some(&b"pushed over smart HTTP\n"[..]));
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_fast_forward_push_is_refused_even_forced_and_the_branch_stays() {
    require_git!();
    let fx = Fixture::start().await;
    let first = fx.clone("flux-repo", "first").await;
    let second = fx.clone("flux-repo", "second").await;

    std::fs::write(first.join("a.txt"), "first\n").unwrap();
    fx.git_ok(&first, &["add", "a.txt"]).await;
    fx.git_ok(&first, &["commit", "--quiet", "-m", "First change"])
        .await;
    fx.git_ok(&first, &["push", "--quiet", "origin", "main"])
        .await;
    let landed = fx.head("flux-repo");

    // The second clone built on the old head: its push would drop the first change.
    std::fs::write(second.join("b.txt"), "second\n").unwrap();
    fx.git_ok(&second, &["add", "b.txt"]).await;
    fx.git_ok(&second, &["commit", "--quiet", "-m", "Second change"])
        .await;
    let plain = fx.git(&second, &["push", "origin", "main"]).await;
    assert!(!plain.status.success());
    assert!(stderr(&plain).contains("rejected"), "{}", stderr(&plain));
    assert_eq!(fx.head("flux-repo"), landed);

    // Forcing is refused by the server (receive.denyNonFastForwards), not only by git.
    let forced = fx
        .git(&second, &["push", "--force", "origin", "main"])
        .await;
    assert!(!forced.status.success(), "a forced rewrite must not land");
    assert!(
        stderr(&forced).contains("non-fast-forward"),
        "the server says why: {}",
        stderr(&forced)
    );
    assert_eq!(fx.head("flux-repo"), landed, "the branch is unchanged");
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git2_clones_and_fetches_with_a_credentials_callback() {
    require_git!();
    let fx = Fixture::start().await;
    let url = fx.server.url("microservices-repo");
    let dest = fx.work().join("git2-clone");

    fn callbacks<'a>(password: &'a str, asked: &'a Cell<u32>) -> git2::RemoteCallbacks<'a> {
        let mut cb = git2::RemoteCallbacks::new();
        cb.credentials(move |_url, _user, allowed| {
            asked.set(asked.get() + 1);
            // libgit2 asks again after every 401: a second ask means the first was refused.
            if asked.get() > 1 {
                return Err(git2::Error::from_str("credentials refused"));
            }
            assert!(allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT));
            git2::Cred::userpass_plaintext(USER, password)
        });
        cb
    }

    let (u, d) = (url.clone(), dest.clone());
    let cloned = tokio::task::spawn_blocking(move || {
        let asked = Cell::new(0);
        let mut fetch = git2::FetchOptions::new();
        fetch.remote_callbacks(callbacks(PASS, &asked));
        let repo = git2::build::RepoBuilder::new()
            .bare(true)
            .fetch_options(fetch)
            .clone(&u, &d)
            .unwrap();
        assert_eq!(asked.get(), 1, "one credential, accepted");
        let head = repo.head().unwrap().peel_to_commit().unwrap().id();
        head.to_string()
    })
    .await
    .unwrap();
    assert_eq!(cloned, fx.head("microservices-repo"));

    // A change on the server side arrives with a fetch.
    let bot = Identity::new("release-bot", "release-bot@corp.example");
    let moved = git::commit_files(
        &fx.repo("microservices-repo"),
        "main",
        &bot,
        "front-end 0.3.13",
        &[("deploy/NOTE.txt", "from the bot\n")],
    )
    .unwrap();
    let d = dest.clone();
    let fetched = tokio::task::spawn_blocking(move || {
        let repo = git2::Repository::open_bare(&d).unwrap();
        let mut remote = repo.find_remote("origin").unwrap();
        let asked = Cell::new(0);
        let mut fetch = git2::FetchOptions::new();
        fetch.remote_callbacks(callbacks(PASS, &asked));
        remote.fetch(&["main"], Some(&mut fetch), None).unwrap();
        let tip = repo
            .find_reference("refs/remotes/origin/main")
            .unwrap()
            .peel_to_commit()
            .unwrap()
            .id();
        tip.to_string()
    })
    .await
    .unwrap();
    assert_eq!(fetched, moved);

    // A wrong password: one refused request, a clear error, no loop.
    let refused_before = fx.stats().refused;
    let d = dest.clone();
    let err = tokio::task::spawn_blocking(move || {
        let repo = git2::Repository::open_bare(&d).unwrap();
        let mut remote = repo.find_remote("origin").unwrap();
        let asked = Cell::new(0);
        let mut fetch = git2::FetchOptions::new();
        fetch.remote_callbacks(callbacks(WRONG, &asked));
        let err = remote.fetch(&["main"], Some(&mut fetch), None).unwrap_err();
        assert_eq!(
            asked.get(),
            2,
            "asked once more after the refusal, then gave up"
        );
        err.message().to_string()
    })
    .await
    .unwrap();
    assert!(err.contains("credentials refused"), "{err}");
    assert_eq!(fx.stats().refused, refused_before + 1);
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fluxdecks_git_worker_reads_the_served_repository_with_a_credential_helper() {
    require_git!();
    let fx = Fixture::start().await;
    // The shape `!aws codecommit credential-helper $@` has: a command that prints
    // username= and password= lines for `get`. The answer sits in a file: git2 logs the
    // helper's command line at debug level, and the password must not reach any log.
    let answer = fx.dir.path().join("helper-answer");
    std::fs::write(&answer, format!("username={USER}\npassword={PASS}\n")).unwrap();
    let gitconfig = fx.dir.path().join("worker-gitconfig");
    std::fs::write(
        &gitconfig,
        format!(
            "[credential]\n\thelper = \"!f() {{ test \\\"$1\\\" = get && cat '{}'; }}; f\"\n\tUseHttpPath = true\n",
            answer.display()
        ),
    )
    .unwrap();
    let config = GitWorkerConfig {
        cache_root: fx.dir.path().join("cache"),
        credentials: CredentialConfig {
            token_vars: Vec::new(),
            ssh_agent: false,
            ssh_keys: Vec::new(),
            ssh_home: None,
            ssh_system_known_hosts: Vec::new(),
            helpers: Helpers::ConfigFile(gitconfig),
            proxy: ProxyEnv::default(),
        },
        page_size: 50,
        ..GitWorkerConfig::default()
    };
    let (tx, commands) = mpsc::channel(4);
    let (out, mut events) = mpsc::channel(16);
    let worker = spawn_git_worker(config, commands, out);
    tx.send(GitCommand::Track {
        key: "flux-system/flux-system".into(),
        source: RepoSource::from_arg(&fx.server.url("flux-repo")).unwrap(),
        interval: Duration::from_secs(3600),
    })
    .await
    .unwrap();
    let log = loop {
        match tokio::time::timeout(HANG_GUARD, events.recv()).await {
            Ok(Some(GitEvent::Log { log, .. })) => break log,
            Ok(Some(GitEvent::Error { error, .. })) => panic!("worker error: {error}"),
            Ok(Some(_)) => {}
            other => panic!("no log from the worker: {other:?}"),
        }
    };
    assert_eq!(log.head, fx.head("flux-repo"));
    let subjects: Vec<&str> = log.commits.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Automate front-end image updates from ECR",
            "Add the sock-shop tenant",
            "Bootstrap Flux on dev-cluster"
        ]
    );
    assert_eq!(fx.stats().refused, 0);
    drop(tx);
    tokio::time::timeout(HANG_GUARD, worker)
        .await
        .expect("the worker stops")
        .unwrap();
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_credentials_get_a_401_challenge_counted_apart() {
    require_git!();
    let fx = Fixture::start().await;
    let addr = fx.server.addr();
    let refs = "/v1/repos/flux-repo/info/refs?service=git-upload-pack";

    let (status, head, _) = raw(addr, refs, &[]).await;
    assert_eq!(status, 401);
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: basic realm=\"fluxdeck sandbox git\""),
        "{head}"
    );
    assert_eq!(
        (fx.stats().challenged, fx.stats().refused),
        (1, 0),
        "no credentials: a challenge"
    );

    let wrong = basic(USER, WRONG);
    let (status, head, _) = raw(addr, refs, &[("Authorization", &wrong)]).await;
    assert_eq!(status, 401);
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: basic")
    );
    assert_eq!((fx.stats().challenged, fx.stats().refused), (1, 1));
    let other_user = basic("someone-else", PASS);
    assert_eq!(
        raw(addr, refs, &[("Authorization", &other_user)]).await.0,
        401
    );
    assert_eq!(fx.stats().refused, 2);
    assert_eq!(fx.stats().served, 0);

    // The git CLI with a wrong password: it fails at once with git's own message.
    let url = fx.url_with(WRONG, "flux-repo");
    let out = fx.git(&fx.work(), &["clone", &url, "nope"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Authentication failed"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(WRONG), "git does not echo it either");
    assert!(fx.stats().refused >= 3);
    assert_eq!(fx.stats().served, 0);

    // Without any credentials and no way to ask, git says it could not authenticate.
    let bare_url = fx.server.url("flux-repo");
    let out = fx.git(&fx.work(), &["clone", &bare_url, "nope2"]).await;
    assert!(!out.status.success());
    assert!(fx.stats().challenged >= 2);
    assert!(
        !logs().contains(WRONG),
        "a wrong password is not logged either"
    );
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_repositories_and_foreign_paths_are_404_and_traversal_is_refused() {
    require_git!();
    let fx = Fixture::start().await;
    let addr = fx.server.addr();
    let auth = basic(USER, PASS);
    let with_auth = [("Authorization", auth.as_str())];

    let (status, _, body) = raw(
        addr,
        "/v1/repos/no-such-repo/info/refs?service=git-upload-pack",
        &with_auth,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body, "repository 'no-such-repo' not found\n");
    // A file or a plain directory under the root is not a repository either.
    std::fs::write(fx.root.join("notes.txt"), "not a repository").unwrap();
    std::fs::create_dir(fx.root.join("plain-dir")).unwrap();
    for name in ["notes.txt", "plain-dir"] {
        let path = format!("/v1/repos/{name}/info/refs?service=git-upload-pack");
        let (status, _, body) = raw(addr, &path, &with_auth).await;
        assert_eq!(status, 404, "{name}");
        assert_eq!(body, format!("repository '{name}' not found\n"));
    }
    // Which repositories exist is told only to an authenticated user.
    assert_eq!(
        raw(addr, "/v1/repos/no-such-repo/info/refs", &[]).await.0,
        401
    );

    for outside in [
        "/",
        "/flux-repo/info/refs?service=git-upload-pack",
        "/v1/repos/flux-repo",
        "/v2/repos/flux-repo/info/refs",
        "/v1/repos/flux-repo/info/refs~",
    ] {
        let (status, _, _) = raw(addr, outside, &with_auth).await;
        assert_eq!(status, 404, "{outside}");
    }
    for traversal in [
        "/v1/repos/../repos/flux-repo/info/refs",
        "/v1/repos/flux-repo/../microservices-repo/info/refs",
        "/v1/repos/%2e%2e/flux-repo/info/refs",
        "/v1/repos/flux-repo/%2E%2E/%2e%2e/etc/passwd",
        "/v1/repos/flux-repo%2f..%2fmicroservices-repo/info/refs",
    ] {
        let (status, _, body) = raw(addr, traversal, &with_auth).await;
        assert_eq!(status, 400, "{traversal}");
        assert!(body.starts_with("bad path:"), "{body}");
    }
    let stats = fx.stats();
    assert_eq!(stats.served, 0, "nothing reached the backend: {stats:?}");
    assert_eq!(stats.rejected, 13);

    // The git CLI names the missing repository.
    let url = fx.url("no-such-repo");
    let out = fx.git(&fx.work(), &["clone", &url, "x"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not found"),
        "git's message: {}",
        stderr(&out)
    );
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_v2_is_passed_to_the_backend() {
    require_git!();
    let fx = Fixture::start().await;
    let auth = basic(USER, PASS);
    let refs = "/v1/repos/flux-repo/info/refs?service=git-upload-pack";
    let (status, head, body) = raw(
        fx.server.addr(),
        refs,
        &[("Authorization", &auth), ("Git-Protocol", "version=2")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/x-git-upload-pack-advertisement"),
        "{head}"
    );
    assert!(body.contains("version 2"), "a v2 capability list: {body}");

    let (status, _, body) = raw(fx.server.addr(), refs, &[("Authorization", &auth)]).await;
    assert_eq!(status, 200);
    assert!(body.contains("# service=git-upload-pack"), "{body}");
    assert!(!body.contains("version 2"), "v0 without the header: {body}");
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_request_body_from_git_is_inflated_by_the_backend() {
    require_git!();
    let fx = Fixture::start().await;
    let clone = fx.clone("flux-repo", "gz").await;
    // Local commits the server does not have become `have` lines: a fetch request above
    // 1 KiB, which git sends gzip-compressed.
    for n in 0..60 {
        fx.git_ok(
            &clone,
            &[
                "commit",
                "--quiet",
                "--allow-empty",
                "-m",
                &format!("local {n}"),
            ],
        )
        .await;
    }
    let bot = Identity::new("release-bot", "release-bot@corp.example");
    let moved = git::commit_files(
        &fx.repo("flux-repo"),
        "main",
        &bot,
        "server-side change",
        &[("server.txt", "new\n")],
    )
    .unwrap();
    let trace = fx.dir.path().join("curl-trace");
    let out = fx
        .git_in(
            &clone,
            &["fetch", "origin"],
            &[("GIT_TRACE_CURL", trace.as_path())],
        )
        .await;
    assert!(out.status.success(), "fetch: {}", stderr(&out));
    let tip = fx
        .git_ok(&clone, &["rev-parse", "refs/remotes/origin/main"])
        .await;
    assert_eq!(tip.trim(), moved);
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(
        trace.contains("Content-Encoding: gzip"),
        "git compressed a request, so the gzip path was exercised"
    );
    assert!(!trace.is_empty() && fx.stats().failed == 0);
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_pack_streams_both_ways() {
    require_git!();
    let fx = Fixture::start().await;
    // Incompressible content, so the pack is as large as the file.
    let big: Vec<u8> = (0..12 * 1024 * 1024)
        .map(|_| rand::random::<u8>())
        .collect();
    let me = Identity::new("Maria Lopez", "maria.lopez@example.com");
    let commit = NewCommit {
        branch: "main",
        author: &me,
        message: "Add a large artifact",
        time: None,
    };
    git::init_repo(&fx.repo("big-repo"), &commit, &[("artifact.bin", &big)]).unwrap();

    let clone = fx.clone("big-repo", "big").await;
    let fsck = fx.git(&clone, &["fsck", "--full"]).await;
    assert!(fsck.status.success(), "fsck: {}", stderr(&fsck));
    assert_eq!(std::fs::read(clone.join("artifact.bin")).unwrap(), big);

    // A push above git's 1 MiB post buffer goes out chunked, without a Content-Length.
    let upload: Vec<u8> = (0..3 * 1024 * 1024).map(|_| rand::random::<u8>()).collect();
    std::fs::File::create(clone.join("upload.bin"))
        .unwrap()
        .write_all(&upload)
        .unwrap();
    fx.git_ok(&clone, &["add", "upload.bin"]).await;
    fx.git_ok(&clone, &["commit", "--quiet", "-m", "Upload"])
        .await;
    fx.git_ok(&clone, &["push", "--quiet", "origin", "main"])
        .await;
    let head = fx.git_ok(&clone, &["rev-parse", "HEAD"]).await;
    assert_eq!(fx.head("big-repo"), head.trim());
    let stored = git::read_file(&fx.repo("big-repo"), head.trim(), "upload.bin").unwrap();
    assert!(
        stored.as_deref() == Some(&upload[..]),
        "the pushed file arrived whole"
    );
    assert_eq!(fx.stats().failed, 0);
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repositories_created_after_start_are_served_and_urls_map_back_to_names() {
    require_git!();
    let fx = Fixture::start().await;
    let me = Identity::new("Maria Lopez", "maria.lopez@example.com");
    let commit = NewCommit {
        branch: "main",
        author: &me,
        message: "Start the app",
        time: None,
    };
    git::init_repo(&fx.repo("app-repo"), &commit, &[("README.md", "app\n")]).unwrap();
    let clone = fx.clone("app-repo", "app").await;
    assert_eq!(
        fx.git_ok(&clone, &["rev-parse", "HEAD"]).await.trim(),
        fx.head("app-repo")
    );

    let url = fx.server.url("app-repo");
    assert_eq!(
        url,
        format!("http://{}/v1/repos/app-repo", fx.server.addr())
    );
    assert_eq!(fx.server.repo_name_of(&url).as_deref(), Some("app-repo"));
    assert_eq!(
        fx.server.repo_name_of(&fx.url("flux-repo")).as_deref(),
        Some("flux-repo")
    );
    assert_eq!(fx.server.repo_name_of("https://github.com/x/y"), None);
    assert_eq!(fx.server.root(), fx.root.as_path());
    fx.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_fails_fast_with_a_clear_error_when_the_backend_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let with = |backend: BackendLookup| GitServerOptions {
        backend,
        ..GitServerOptions::default()
    };

    let err = GitServer::start_with(
        root.clone(),
        loopback(),
        creds(),
        with(BackendLookup::ExecPathOf("/nonexistent/bin/git".into())),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GitServeError::GitNotFound { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("/nonexistent/bin/git --exec-path")
            && text.contains("http-backend")
            && text.contains("install git"),
        "names what is missing and how to install it: {text}"
    );
    assert_eq!(text.lines().count(), 1, "one line: {text}");

    let missing = dir.path().join("no-such-git-http-backend");
    let err = GitServer::start_with(
        root.clone(),
        loopback(),
        creds(),
        with(BackendLookup::Program(missing.clone())),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GitServeError::BackendMissing { .. }), "{err}");
    assert!(err.to_string().contains(&missing.display().to_string()));

    // A program that runs but does not speak CGI.
    let babbler = write_script(dir.path(), "babbler", "echo hello\n");
    let err = start_script(&root, &babbler, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(matches!(err, GitServeError::BackendBroken { .. }), "{err}");
    assert!(err.to_string().contains("CGI"), "{err}");

    let err = GitServer::start(root.clone(), "0.0.0.0:0".parse().unwrap(), creds())
        .await
        .unwrap_err();
    assert!(matches!(err, GitServeError::NotLoopback { .. }), "{err}");
    let err = GitServer::start(dir.path().join("absent"), loopback(), creds())
        .await
        .unwrap_err();
    assert!(matches!(err, GitServeError::RootMissing { .. }), "{err}");
}

/// Writes an executable shell script.
fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Starts a server whose backend is `script`. A script written a moment ago can be
/// "busy" while another test's fork still holds it open: that alone is retried.
async fn start_script(
    root: &Path,
    script: &Path,
    request_timeout: Duration,
) -> Result<GitServer, GitServeError> {
    let options = GitServerOptions {
        backend: BackendLookup::Program(script.to_path_buf()),
        request_timeout,
    };
    let mut tries = 0;
    loop {
        let started =
            GitServer::start_with(root.to_path_buf(), loopback(), creds(), options.clone()).await;
        match started {
            Err(GitServeError::BackendMissing { reason, .. })
                if reason.contains("busy") && tries < 20 =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// A backend that answers the start-up probe, then hangs with a child of its own: its pid
/// and its child's pid land in `pids/`.
fn stuck_backend(dir: &Path) -> (PathBuf, PathBuf) {
    let pids = dir.join("pids");
    std::fs::create_dir(&pids).unwrap();
    let script = write_script(
        dir,
        "stuck-backend",
        &format!(
            "if [ \"$PATH_INFO\" = / ]; then printf 'Status: 404 Not Found\\r\\n\\r\\n'; exit 0; fi\n\
             sleep 600 &\n\
             echo $! > {pids}/child.tmp && mv {pids}/child.tmp {pids}/child\n\
             echo $$ > {pids}/backend.tmp && mv {pids}/backend.tmp {pids}/backend\n\
             wait\n",
            pids = pids.display()
        ),
    );
    (script, pids)
}

fn read_pid(file: &Path) -> Option<i32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// Gone, or a zombie waiting for its parent: either way no longer running.
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next());
            state != Some('Z')
        }
    }
}

/// Waits (bounded) until neither pid runs; fails naming the survivor.
async fn assert_all_stopped(pids: &[i32]) {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    while let Some(pid) = pids.iter().find(|p| running(**p)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "process {pid} outlived its request"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_pids(pids: &Path) -> Vec<i32> {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        if let (Some(b), Some(c)) = (
            read_pid(&pids.join("backend")),
            read_pid(&pids.join("child")),
        ) {
            return vec![b, c];
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backend never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_backend_is_killed_with_its_children_at_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repos");
    std::fs::create_dir(&root).unwrap();
    git::seed(&root).unwrap();
    let (script, pids) = stuck_backend(dir.path());
    let server = start_script(&root, &script, Duration::from_secs(2))
        .await
        .unwrap();
    let auth = basic(USER, PASS);
    let (status, _, body) = raw(
        server.addr(),
        "/v1/repos/flux-repo/info/refs?service=git-upload-pack",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("did not answer"), "{body}");
    assert_eq!(server.stats().failed, 1);
    assert_all_stopped(&wait_for_pids(&pids).await).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_requests_in_flight_and_leaves_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repos");
    std::fs::create_dir(&root).unwrap();
    git::seed(&root).unwrap();
    let (script, pids) = stuck_backend(dir.path());
    let server = start_script(&root, &script, Duration::from_secs(3600))
        .await
        .unwrap();
    let addr = server.addr();
    let auth = basic(USER, PASS);
    let request = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET /v1/repos/flux-repo/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        // The connection closes without an answer (or with an error): either ends the read.
        let _ = stream.read_to_end(&mut answer).await;
        answer
    });
    let running_pids = wait_for_pids(&pids).await;
    server.shutdown().await;
    assert_all_stopped(&running_pids).await;
    let answer = tokio::time::timeout(HANG_GUARD, request)
        .await
        .expect("the client's connection was closed")
        .unwrap();
    assert!(answer.is_empty(), "no answer was made up: {answer:?}");
}
