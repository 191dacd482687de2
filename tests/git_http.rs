//! The git worker against authenticated smart HTTP: `git http-backend` behind a Basic-auth
//! server on loopback. Right token from the environment, a git credential helper, wrong
//! token (one refused attempt, a clear error, no retry on the interval), no credential, a
//! password in the URL (never printed), a repository that is not there, and HTTPS fetches through
//! `HTTPS_PROXY` (never for a loopback address).
//!
//! A test binary of its own, not a module of `tests/integration`: it sets the token variables
//! in the process environment, which is only sound while no other thread reads it.

// This binary uses part of the git helpers the integration tests share; unused code is
// caught in the `integration` binary, which uses all of them.
#[path = "integration/support/git/mod.rs"]
#[allow(dead_code)]
mod git_support;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Once};
use std::time::Duration;

use fluxdeck::workers::git::{CredentialConfig, GitCommand, GitError, Helpers, RepoSource};
use git_support::http_server::{GitHttpServer, Stats};
use git_support::{Running, TestRepo, isolated_credentials};

const GOOD: &str = "s3cret-token-4f1c";
const BAD: &str = "wrong-token-9d2e";
const GOOD_VAR: &str = "FLUXDECK_TEST_HTTP_GOOD_TOKEN";
const BAD_VAR: &str = "FLUXDECK_TEST_HTTP_BAD_TOKEN";

/// Sets the token variables once, before any test of this binary does anything else.
fn env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: every test in this binary calls `env()` first and `Once` blocks the others
        // until it returns, so no other thread of this process reads the environment while
        // it is written (the harness's main thread only waits for the tests).
        unsafe {
            std::env::set_var(GOOD_VAR, GOOD);
            std::env::set_var(BAD_VAR, BAD);
        }
    });
}

/// A server on `root` for `user`:`password`, and what it counts.
fn counting(root: &Path, user: &str, password: &str) -> (GitHttpServer, Arc<Stats>) {
    let stats = Arc::new(Stats::default());
    let server = GitHttpServer::counting(root, user, password, stats.clone());
    (server, stats)
}

/// Requests refused for wrong credentials so far.
fn refused(stats: &Stats) -> usize {
    stats.refused.load(Ordering::SeqCst)
}

fn with_token(var: &str) -> CredentialConfig {
    CredentialConfig {
        token_vars: vec![var.to_string()],
        ..isolated_credentials()
    }
}

fn track(url: &str, interval: Duration) -> GitCommand {
    GitCommand::Track {
        key: "tenant".into(),
        source: RepoSource::from_arg(url).unwrap(),
        interval,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_and_fetches_with_the_token_from_the_environment() {
    env();
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "remote.git");
    repo.human(1);
    let (server, stats) = counting(dir.path(), "git", GOOD);
    let mut w = Running::start(&dir.path().join("cache"), 50, with_token(GOOD_VAR));
    w.send(track(&server.url("remote.git"), Duration::from_secs(3600)))
        .await;
    let log = w.log().await;
    assert_eq!(log.head, repo.head());
    assert_eq!(log.commits.len(), 2);

    let c2 = repo.human(2);
    w.send(GitCommand::FetchNow { key: None }).await;
    assert_eq!(w.fetched().await, (c2.clone(), true));
    assert_eq!(w.log().await.commits[0].sha, c2);
    assert_eq!(refused(&stats), 0);
    assert!(stats.served.load(Ordering::SeqCst) >= 4);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_helper_from_gitconfig_answers() {
    env();
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "remote.git");
    let (server, stats) = counting(dir.path(), "helper-user", GOOD);
    // The shape `!aws codecommit credential-helper $@` has: a shell command that prints
    // username= and password= lines for `get`.
    let gitconfig = dir.path().join("gitconfig");
    std::fs::write(
        &gitconfig,
        format!(
            "[credential]\n\thelper = \"!f() {{ test \\\"$1\\\" = get && printf 'username=helper-user\\\\npassword={GOOD}\\\\n'; }}; f\"\n\tUseHttpPath = true\n"
        ),
    )
    .unwrap();
    let creds = CredentialConfig {
        helpers: Helpers::ConfigFile(gitconfig),
        ..isolated_credentials()
    };
    let mut w = Running::start(&dir.path().join("cache"), 50, creds);
    w.send(track(&server.url("remote.git"), Duration::from_secs(3600)))
        .await;
    assert_eq!(w.log().await.head, repo.head());
    assert_eq!(refused(&stats), 0);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_one_refused_attempt_a_clear_error_and_no_retry_loop() {
    env();
    let dir = tempfile::tempdir().unwrap();
    TestRepo::new(dir.path(), "remote.git");
    let (server, stats) = counting(dir.path(), "git", GOOD);
    let mut w = Running::start(&dir.path().join("cache"), 50, with_token(BAD_VAR));
    // A one-second interval: were failures retried on it, the wait below would see them.
    w.send(track(&server.url("remote.git"), Duration::from_secs(1)))
        .await;
    let err = w.error().await;
    let text = err.to_string();
    match &err {
        GitError::AuthFailed { tried, url, .. } => {
            assert_eq!(tried, &vec![format!("token from ${BAD_VAR}")]);
            assert_eq!(url, &server.url("remote.git"));
        }
        other => panic!("expected an auth failure, got {other}"),
    }
    assert!(
        text.contains("FLUXDECK_GIT_TOKEN"),
        "says what to set: {text}"
    );
    assert!(
        !text.contains(BAD) && !text.contains(GOOD),
        "never prints a token: {text}"
    );
    assert_eq!(
        refused(&stats),
        1,
        "exactly one attempt with the wrong token"
    );

    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        refused(&stats),
        1,
        "the interval does not retry a refused credential"
    );
    assert_eq!(stats.challenged.load(Ordering::SeqCst), 1);

    // Asking again is one more attempt, and one more clear error.
    w.send(GitCommand::FetchNow { key: None }).await;
    assert!(matches!(w.error().await, GitError::AuthFailed { .. }));
    assert_eq!(refused(&stats), 2);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_at_all_says_so_without_sending_one() {
    env();
    let dir = tempfile::tempdir().unwrap();
    TestRepo::new(dir.path(), "remote.git");
    let (server, stats) = counting(dir.path(), "git", GOOD);
    let mut w = Running::start(&dir.path().join("cache"), 50, isolated_credentials());
    w.send(track(&server.url("remote.git"), Duration::from_secs(3600)))
        .await;
    let err = w.error().await;
    assert!(
        matches!(&err, GitError::AuthFailed { tried, .. } if tried.is_empty()),
        "{err}"
    );
    assert!(
        err.to_string().contains("no credential was available"),
        "{err}"
    );
    assert_eq!(refused(&stats), 0);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_in_the_url_is_used_but_never_printed() {
    env();
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "remote.git");
    let (server, stats) = counting(dir.path(), "git", GOOD);
    let cache = dir.path().join("cache");

    let good = format!("http://git:{GOOD}@{}/remote.git", server.addr);
    let mut w = Running::start(&cache, 50, isolated_credentials());
    w.send(track(&good, Duration::from_secs(3600))).await;
    assert_eq!(w.log().await.head, repo.head());
    w.stop().await;
    let cached: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(cached.iter().all(|n| !n.contains(GOOD)), "{cached:?}");

    let bad = format!("http://git:{BAD}@{}/remote.git", server.addr);
    let mut w = Running::start(&cache, 50, isolated_credentials());
    w.send(track(&bad, Duration::from_secs(3600))).await;
    let err = w.error().await;
    assert!(matches!(err, GitError::AuthFailed { .. }), "{err}");
    let text = err.to_string();
    assert!(!text.contains(BAD), "{text}");
    assert!(text.contains("git:********@"), "{text}");
    assert_eq!(refused(&stats), 1);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_the_server_does_not_have_is_not_found() {
    env();
    let dir = tempfile::tempdir().unwrap();
    let (server, stats) = counting(dir.path(), "git", GOOD);
    let mut w = Running::start(&dir.path().join("cache"), 50, with_token(GOOD_VAR));
    w.send(track(&server.url("missing.git"), Duration::from_secs(3600)))
        .await;
    let err = w.error().await;
    assert!(matches!(err, GitError::NotFound { .. }), "{err}");
    assert_eq!(refused(&stats), 0);
    w.stop().await;
}

/// An HTTPS proxy on 127.0.0.1 that records the targets of the CONNECT requests it gets and
/// refuses each with 502: enough to see where a client's fetch goes, with no TLS server
/// behind it. Stopped on drop.
struct ConnectProbe {
    addr: std::net::SocketAddr,
    targets: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ConnectProbe {
    fn start() -> ConnectProbe {
        use std::io::{Read, Write};
        use std::sync::atomic::AtomicBool;
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, st) = (targets.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut client) = conn else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        break;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let mut words = text.split_whitespace();
                if words.next() == Some("CONNECT") {
                    seen.lock()
                        .unwrap()
                        .push(words.next().unwrap_or_default().to_string());
                }
                let _ = client.write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        ConnectProbe {
            addr,
            targets,
            stop,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

impl Drop for ConnectProbe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.addr);
    }
}

/// libgit2 takes a proxy for HTTPS remotes only (a CONNECT tunnel; it reaches `http://`
/// remotes directly), so this test looks at the CONNECT the fetch sends, not at a clone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_fetches_go_through_https_proxy_but_never_on_loopback() {
    use fluxdeck::workers::proxy::ProxyEnv;
    env();
    let dir = tempfile::tempdir().unwrap();
    let probe = ConnectProbe::start();
    let vars = || {
        ProxyEnv::from_pairs([
            ("HTTPS_PROXY".to_string(), probe.url()),
            ("NO_PROXY".to_string(), "git.corp.example".to_string()),
        ])
    };
    // A name only a proxy could resolve: the fetch asks the proxy for a tunnel to it.
    let mut w = Running::start(
        &dir.path().join("cache"),
        50,
        CredentialConfig {
            proxy: vars(),
            ..with_token(GOOD_VAR)
        },
    );
    w.send(track(
        "https://git.proxied.test/team/config.git",
        Duration::from_secs(3600),
    ))
    .await;
    let error = w.error().await.to_string();
    assert_eq!(probe.targets(), ["git.proxied.test:443"], "{error}");
    assert!(!error.contains("resolve"), "not resolved locally: {error}");
    w.stop().await;

    // A remote on 127.0.0.1 goes direct, as Go's rules say (nothing listens for TLS there,
    // so the fetch fails, without asking the proxy).
    let server = GitHttpServer::start(dir.path(), "git", GOOD);
    let mut w = Running::start(
        &dir.path().join("cache-direct"),
        50,
        CredentialConfig {
            proxy: vars(),
            ..with_token(GOOD_VAR)
        },
    );
    w.send(track(
        &format!("https://127.0.0.1:{}/remote.git", server.addr.port()),
        Duration::from_secs(3600),
    ))
    .await;
    let _ = w.error().await;
    assert_eq!(probe.targets().len(), 1, "loopback bypasses the proxy");
    w.stop().await;
}
