//! What the benchmarks share: a `fluxdeck sandbox` started as its own process, as a user
//! starts it, with the URL and token read from its output and kubeconfig.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// A running `fluxdeck sandbox ARGS`; dropping it kills the process.
pub struct SandboxProcess {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT` (the same port answers plain HTTP).
    pub url: String,
    /// The bearer token.
    pub token: String,
    /// Holds the kubeconfig, the log and the state directory.
    dir: tempfile::TempDir,
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SandboxProcess {
    /// Starts `fluxdeck sandbox ARGS --kubeconfig DIR/kubeconfig --log-file DIR/log
    /// --state-dir DIR/state` and waits until it serves.
    pub fn start(args: &[&str]) -> SandboxProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let kc = dir.path().join("kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
            .arg("sandbox")
            .args(args)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--kubeconfig")
            .arg(&kc)
            .arg("--log-file")
            .arg(dir.path().join("log"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("fluxdeck sandbox starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut url = String::new();
        for line in lines.by_ref() {
            let line = line.expect("line");
            if let Some(u) = line.split_whitespace().find(|w| w.starts_with("https://")) {
                url = u.replacen("https://", "http://", 1);
                break;
            }
        }
        // Keep reading what it prints, so its stdout never closes under it.
        std::thread::spawn(move || lines.for_each(drop));
        let mut s = SandboxProcess {
            child,
            url,
            token: String::new(),
            dir,
        };
        let text = std::fs::read_to_string(s.kubeconfig()).expect("kubeconfig written");
        s.token = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .expect("token in kubeconfig")
            .to_string();
        s
    }

    /// The kubeconfig it wrote.
    pub fn kubeconfig(&self) -> String {
        self.dir.path().join("kubeconfig").display().to_string()
    }
}
