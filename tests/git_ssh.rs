//! Git over SSH end to end, on loopback: a real OpenSSH server (`/usr/sbin/sshd`, run by the
//! test as the current user on 127.0.0.1 with its own host key and authorized_keys) serves a
//! bare repository, and the git worker reaches it the way a bastion user's git would:
//!
//! - through an `~/.ssh/config` fixture (`Host gitbox` with `HostName`, `Port`, `User`,
//!   `IdentityFile`) in a temporary home, with the host key in its `known_hosts` (plain, then
//!   hashed by `ssh-keygen -H`);
//! - an unknown host and a changed host key are refused, naming the host and the
//!   `ssh-keyscan` command;
//! - with only an ssh-agent holding keys (a decoy first, then the authorized one).
//!
//! Without `/usr/sbin/sshd` (Debian: `apt-get install openssh-server`; `.ci/run` installs it)
//! the test says so and stops: the config and known_hosts parts still run as unit tests
//! (`workers::git::ssh_config`, `workers::git::known_hosts`, `workers::git::credentials`).
//!
//! This file holds a single test because the agent scenario sets `SSH_AUTH_SOCK` for the
//! process (libssh2 reads it from the environment).
//!
//! A test binary of its own, not a module of `tests/integration`: it sets `SSH_AUTH_SOCK` in
//! the process environment, which is only sound while no other thread reads it.

// This binary uses part of the git helpers the integration tests share; unused code is
// caught in the `integration` binary, which uses all of them.
#[path = "integration/support/git/mod.rs"]
#[allow(dead_code)]
mod git_support;

use fluxdeck::workers::proxy::ProxyEnv;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fluxdeck::workers::git::{CredentialConfig, GitCommand, GitError, Helpers, RepoSource};
use git_support::{Running, TestRepo};

const SSHD: &str = "/usr/sbin/sshd";

/// A process killed (and reaped) when the guard drops, also on panic.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "sshd exited with {status}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "sshd did not listen within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts sshd on 127.0.0.1:`port` letting `user` in with `client_pub`.
fn start_sshd(dir: &Path, port: u16, user: &str, client_pub: &Path) -> Guard {
    // sshd refuses to start without its privilege separation directory.
    if !Path::new("/run/sshd").is_dir() {
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd for sshd");
    }
    keygen(&dir.join("host_key"));
    std::fs::copy(client_pub, dir.join("authorized_keys")).unwrap();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\n\
             Port {port}\n\
             HostKey {d}/host_key\n\
             PidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\n\
             StrictModes no\n\
             UsePAM no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\n\
             AllowUsers {user}\n\
             LogLevel VERBOSE\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let log = dir.join("sshd.log");
    let mut child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {SSHD}: {e}"));
    wait_for_port(port, &mut child, &log);
    Guard(child)
}

/// Credentials that read only the fixture home: its ssh config and known_hosts.
fn credentials(home: &Path, agent: bool) -> CredentialConfig {
    CredentialConfig {
        token_vars: Vec::new(),
        ssh_agent: agent,
        ssh_keys: Vec::new(),
        ssh_home: Some(home.to_path_buf()),
        ssh_system_known_hosts: Vec::new(),
        helpers: Helpers::Off,
        proxy: ProxyEnv::default(),
    }
}

fn track(url: &str) -> GitCommand {
    GitCommand::Track {
        key: "config".into(),
        source: RepoSource::from_arg(url).unwrap(),
        interval: Duration::from_secs(3600),
    }
}

/// Fetches `url` with `creds` into a fresh cache; the worker's log or its error.
async fn fetch(cache: &Path, creds: CredentialConfig, url: &str) -> Result<String, GitError> {
    let mut w = Running::start(cache, 10, creds);
    w.send(track(url)).await;
    let out = loop {
        match w.next().await {
            fluxdeck::workers::git::GitEvent::Log { log, .. } => break Ok(log.head),
            fluxdeck::workers::git::GitEvent::Error { error, .. } => break Err(error),
            _ => {}
        }
    };
    w.stop().await;
    out
}

#[tokio::test]
async fn git_over_ssh_on_loopback_with_ssh_config_known_hosts_and_agent() {
    if !Path::new(SSHD).is_file() {
        eprintln!(
            "SKIPPED: {SSHD} not found (apt-get install openssh-server): no SSH end-to-end test; \
             the ssh config and known_hosts unit tests still ran"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let user = run(Command::new("id").arg("-un")).trim().to_string();
    let home = root.join("home");
    let ssh = home.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    let client_key = ssh.join("gitbox_key");
    keygen(&client_key);
    let server_dir = root.join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let port = free_port();
    let _sshd = start_sshd(&server_dir, port, &user, &client_key.with_extension("pub"));

    let mut repo = TestRepo::new(&root.join("repos"), "config");
    repo.human(1);
    let head = repo.human(2);
    let repo_path = repo.path.display().to_string();

    // ~/.ssh/config: the alias resolves to the loopback server, its port, user and key.
    std::fs::write(
        ssh.join("config"),
        format!(
            "Host gitbox\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile ~/.ssh/gitbox_key\n"
        ),
    )
    .unwrap();
    let host_pub = std::fs::read_to_string(server_dir.join("host_key.pub")).unwrap();
    let host_key_fields: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    let known_line = format!("[127.0.0.1]:{port} {}\n", host_key_fields.join(" "));
    let known_hosts = ssh.join("known_hosts");

    // 1. Known host, key from IdentityFile, scp-like URL and a GitRepository-style ssh:// URL.
    std::fs::write(&known_hosts, &known_line).unwrap();
    let got = fetch(
        &root.join("c1"),
        credentials(&home, false),
        &format!("gitbox:{repo_path}"),
    )
    .await
    .unwrap_or_else(|e| panic!("fetch over ssh: {e}\nsshd: {}", sshd_log(&server_dir)));
    assert_eq!(got, head);
    let got = fetch(
        &root.join("c2"),
        credentials(&home, false),
        &format!("ssh://gitbox{repo_path}"),
    )
    .await
    .unwrap_or_else(|e| panic!("fetch over ssh://: {e}"));
    assert_eq!(got, head);

    // 2. The same entry hashed by ssh-keygen (HashKnownHosts' form).
    run(Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(&known_hosts));
    assert!(
        std::fs::read_to_string(&known_hosts)
            .unwrap()
            .starts_with("|1|")
    );
    let got = fetch(
        &root.join("c3"),
        credentials(&home, false),
        &format!("gitbox:{repo_path}"),
    )
    .await
    .unwrap_or_else(|e| panic!("fetch with a hashed known_hosts: {e}"));
    assert_eq!(got, head);

    // 3. An unknown host: refused, naming the host and the command, before any key is sent.
    let accepted_before = accepted(&server_dir);
    std::fs::write(&known_hosts, "").unwrap();
    let err = fetch(
        &root.join("c4"),
        credentials(&home, false),
        &format!("gitbox:{repo_path}"),
    )
    .await
    .expect_err("an unknown host is refused");
    let text = err.to_string();
    eprintln!("refused as expected: {text}");
    assert!(matches!(err, GitError::HostKey { .. }), "{err:?}");
    assert!(
        text.contains(&format!("the SSH host 127.0.0.1 port {port} is unknown")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "`ssh-keyscan -p {port} 127.0.0.1 >> ~/.ssh/known_hosts`"
        )),
        "{text}"
    );

    // 4. A changed host key: another key listed for the same host and type.
    let other = root.join("other_host_key");
    keygen(&other);
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let other_fields: Vec<&str> = other_pub.split_whitespace().take(2).collect();
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{port} {}\n", other_fields.join(" ")),
    )
    .unwrap();
    let err = fetch(
        &root.join("c5"),
        credentials(&home, false),
        &format!("gitbox:{repo_path}"),
    )
    .await
    .expect_err("a changed host key is refused");
    let text = err.to_string();
    eprintln!("refused as expected: {text}");
    assert!(matches!(err, GitError::HostKey { .. }), "{err:?}");
    assert!(
        text.contains(&format!(
            "the SSH host key of 127.0.0.1 port {port} has changed"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} line 1", known_hosts.display())),
        "{text}"
    );

    assert_eq!(
        accepted(&server_dir),
        accepted_before,
        "a refused host never sees a login"
    );

    // 5. Keys only in the agent (no IdentityFile, no key files): a decoy the server does not
    //    know first, then the authorized key; any key the agent holds is tried.
    std::fs::write(&known_hosts, &known_line).unwrap();
    std::fs::write(
        ssh.join("config"),
        format!("Host gitbox\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"),
    )
    .unwrap();
    let agent_dir = root.join("agent");
    std::fs::create_dir_all(&agent_dir).unwrap();
    let decoy = agent_dir.join("decoy");
    keygen(&decoy);
    let agent_key = agent_dir.join("authorized");
    std::fs::copy(&client_key, &agent_key).unwrap();
    std::fs::remove_file(&client_key).unwrap();
    let sock = agent_dir.join("agent.sock");
    let agent = Guard(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .spawn()
            .expect("ssh-agent runs"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(
            Instant::now() < deadline,
            "ssh-agent did not create its socket"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for key in [&decoy, &agent_key] {
        run(Command::new("ssh-add")
            .arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &sock));
    }
    // SAFETY: this test is the only one in this binary, and no other thread of it reads or
    // writes the environment while this runs.
    unsafe { std::env::set_var("SSH_AUTH_SOCK", &sock) };
    let got = fetch(
        &root.join("c6"),
        credentials(&home, true),
        &format!("gitbox:{repo_path}"),
    )
    .await;
    // SAFETY: as above.
    unsafe { std::env::remove_var("SSH_AUTH_SOCK") };
    let got = got.unwrap_or_else(|e| {
        panic!(
            "fetch with the agent's keys: {e}\nsshd: {}",
            sshd_log(&server_dir)
        )
    });
    assert_eq!(got, head);
    drop(agent);
}

fn sshd_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
}

/// Logins sshd accepted so far.
fn accepted(dir: &Path) -> usize {
    sshd_log(dir).matches("Accepted publickey for").count()
}
