//! Starting the TUI without what it needs: no kubeconfig, an unknown context, no terminal.
//! The binary exits 1 at once with one line that names the file, the context or the stream
//! and says what to do. A cluster that is down at start is not such a case: the TUI opens
//! and keeps retrying (pty).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::pty::{MEDIUM, Tui, WAIT};

/// Runs `fluxdeck ARGS` with a private HOME, no KUBECONFIG, not in a pod, stdin and stdout
/// not a terminal; waits at most 30 s (it must not wait on a cluster or a terminal).
fn run(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fluxdeck"));
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) has no memory-safety preconditions; the pid is our child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("fluxdeck {args:?} did not exit within 30 s");
        }
    }
}

/// Exit code 1 and exactly one line on stderr, which is returned.
fn one_line_failure(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    stderr.trim_end().to_owned()
}

/// A kubeconfig with context `dev` on a loopback port where nothing listens.
fn kubeconfig(dir: &Path) -> std::path::PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let path = dir.join("kc");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: dev\n  context:\n    cluster: dev\n    user: dev\ncurrent-context: dev\nusers:\n- name: dev\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn no_kubeconfig_names_where_it_looked_and_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let line = one_line_failure(&run(home.path(), &[], &[]));
    let default = home.path().join(".kube").join("config");
    assert!(
        line.contains(&format!(
            "no kubeconfig: {} does not exist",
            default.display()
        )),
        "{line}"
    );
    assert!(
        line.contains("--kubeconfig PATH") && line.contains("fluxdeck demo"),
        "{line}"
    );

    let missing = home.path().join("nope").join("kc");
    let line = one_line_failure(&run(
        home.path(),
        &["--kubeconfig", &missing.display().to_string()],
        &[],
    ));
    assert!(line.contains(&missing.display().to_string()), "{line}");
    assert!(line.contains("fluxdeck demo"), "{line}");

    let line = one_line_failure(&run(
        home.path(),
        &[],
        &[("KUBECONFIG", "/nonexistent/a:/nonexistent/b")],
    ));
    assert!(
        line.contains("KUBECONFIG=/nonexistent/a:/nonexistent/b"),
        "{line}"
    );
}

#[test]
fn an_unknown_context_is_named_with_the_file_and_the_contexts_there_are() {
    let home = tempfile::tempdir().unwrap();
    let kc = kubeconfig(home.path());
    let kc_arg = kc.display().to_string();
    let line = one_line_failure(&run(
        home.path(),
        &["--kubeconfig", &kc_arg, "--context", "prod"],
        &[],
    ));
    assert!(
        line.contains(&format!(
            "context 'prod' is not in the kubeconfig {kc_arg} (contexts: dev)"
        )),
        "{line}"
    );
    assert!(
        line.contains("--context NAME") && line.contains("fluxdeck demo"),
        "{line}"
    );
}

#[test]
fn no_terminal_says_which_stream_is_not_one() {
    let home = tempfile::tempdir().unwrap();
    let kc = kubeconfig(home.path());
    let line = one_line_failure(&run(
        home.path(),
        &["--kubeconfig", &kc.display().to_string()],
        &[],
    ));
    assert!(
        line.contains("needs a terminal: stdin and stdout are not terminals"),
        "{line}"
    );
    // In a pod without a kubeconfig the service account is used: not a "no kubeconfig", but
    // its token must be mounted (checked before the terminal).
    let line = one_line_failure(&run(
        home.path(),
        &[],
        &[
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", "1"),
        ],
    ));
    let token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    if std::path::Path::new(token).exists() {
        assert!(line.contains("needs a terminal"), "{line}");
    } else {
        assert!(
            line.contains(&format!("{token} does not exist"))
                && line.contains("automountServiceAccountToken"),
            "{line}"
        );
    }
}

#[test]
fn a_cluster_that_is_down_at_start_keeps_retrying() {
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path());
    let kc_arg = kc.display().to_string();
    let mut tui = Tui::spawn(&["--kubeconfig", &kc_arg], MEDIUM);
    tui.wait_for("the header saying it retries", WAIT, |s| {
        s.contains("not connected") || s.contains("retrying")
    })
    .unwrap();
    // Still running, still retrying, a few seconds later.
    let until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
    }
    let screen = tui.screen();
    assert!(
        screen.contains("not connected") || screen.contains("retrying"),
        "{screen}"
    );
    tui.quit_and_wait().unwrap();
}

#[test]
fn start_up_never_waits_on_a_terminal_that_does_not_answer() {
    use crate::support::sandbox::BlockingSandbox;
    let sb = BlockingSandbox::sock_shop(fluxdeck::sandbox::crds::FluxVersion::Current);
    let kc = sb.kubeconfig_args();
    let args: Vec<&str> = kc.iter().map(String::as_str).collect();
    let mut tui = Tui::spawn_mute(&args, MEDIUM);
    tui.wait_line("sock-shop", "git/sock-shop-tenant", WAIT)
        .unwrap();
    // crossterm gives up on an unanswered cursor query after 2 s and the app used to exit:
    // still here well after that, and it never asked.
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(tui.screen().contains("git/sock-shop-tenant"));
    let queries = tui.queries();
    assert!(
        !queries.iter().any(|q| q == "6n"),
        "no cursor position query: {queries:?}"
    );
    tui.quit_and_wait().unwrap();
}
