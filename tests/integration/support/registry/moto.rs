//! A running `moto_server` (moto's ECR, a third-party implementation of the API) for the
//! registry tests.
//!
//! `moto_server` is looked for in `target/ci-venv/bin` (where `.ci/run` installs it) and then
//! on `PATH`. Without it the tests say so and pass, except under `CI=true`, where they fail.
//! The server listens on 127.0.0.1 only and is killed by a guard when the test ends, also
//! when it panics.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn moto_binary() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("moto_server"))
        .find(|p| p.is_file())
}

/// A running `moto_server`; dropping it kills the process.
pub struct Moto {
    child: Child,
    pub url: String,
    pub port: u16,
    log: tempfile::NamedTempFile,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto, or `None` (with a message) when it is not installed outside CI.
    pub fn start() -> Option<Moto> {
        let Some(binary) = moto_binary() else {
            let msg = "moto_server not found (target/ci-venv/bin or PATH): install it with \
                       `python3 -m venv target/ci-venv && target/ci-venv/bin/pip install \"moto[server]>=5,<6\"`";
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{msg}; CI=true requires it");
            }
            eprintln!("SKIPPED: {msg}");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        let mut moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited with {status}: {}", moto.output());
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen within 60 s: {}",
                moto.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    pub async fn reset(&self) {
        let resp = reqwest::Client::new()
            .post(format!("{}/moto-api/reset", self.url))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "moto reset: {}", resp.status());
    }
}
