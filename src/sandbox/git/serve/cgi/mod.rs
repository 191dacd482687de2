//! Running git's own `git http-backend` as a CGI program, one process per request: the
//! request becomes environment variables and standard input, the program's output (CGI
//! headers, a blank line, the body) becomes the response, streamed as it is produced.
//!
//! The child gets a cleared environment: only the CGI variables, `PATH`, and git settings
//! that keep the machine's and the user's gitconfig out (no `HOME`, no system config) while
//! allowing pushes (`http.receivepack`) and refusing rewrites (`receive.denyNonFastForwards`).
//! It runs in its own process group, so a request that is abandoned (timeout, client gone,
//! server stopped) kills the backend together with the `git upload-pack` or
//! `git receive-pack` it started.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use hyper::body::Incoming;
use tokio::process::Command;
use tokio::time::{Instant, timeout_at};

use super::error::GitServeError;
use super::stats::Counters;

mod head;
mod process;

use head::{first_line, head_end, parse_head};
use process::{BodyState, Proc, Task, drain, next_chunk, pump, read_head};

/// How long `git --exec-path` and the start-up probe may take before start gives up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Used when the server's own `PATH` is unset.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How the server finds `git http-backend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendLookup {
    /// Ask this `git` program where its helper programs are (`git --exec-path`) and use the
    /// `git-http-backend` there. The default is `git` from `PATH`.
    ExecPathOf(PathBuf),
    /// Use this program as the backend (a git laid out differently, or a test's stand-in).
    Program(PathBuf),
}

impl Default for BackendLookup {
    fn default() -> Self {
        BackendLookup::ExecPathOf(PathBuf::from("git"))
    }
}

/// A backend that answered the start-up probe.
#[derive(Debug, Clone)]
pub(super) struct Backend {
    /// The `git-http-backend` program.
    program: PathBuf,
    /// `GIT_EXEC_PATH` for the child: the directory `git --exec-path` named, so the backend
    /// runs the `upload-pack` of the same installation.
    exec_path: Option<PathBuf>,
    /// `PATH` for the child (hooks and helpers may need it).
    path_var: OsString,
}

/// One request, as CGI variables.
#[derive(Debug, Clone, Default)]
pub(super) struct CgiRequest {
    pub method: String,
    pub path_info: String,
    pub query: String,
    pub content_type: Option<String>,
    /// Only when the client sent `Content-Length`; a chunked body is read to its end.
    pub content_length: Option<String>,
    /// `gzip` when git compressed the request; the backend inflates it.
    pub content_encoding: Option<String>,
    /// The `Git-Protocol` header (`version=2`).
    pub git_protocol: Option<String>,
    pub remote_user: String,
    pub remote_addr: String,
}

/// Why the backend gave no answer.
#[derive(Debug)]
pub(super) enum CgiFailure {
    /// The program could not be started.
    Spawn(std::io::Error),
    /// No complete CGI header within the request's time.
    TimedOut,
    /// The output was not CGI (or there was none): what the backend said on stderr.
    NoHeaders(String),
    /// Reading the output failed.
    Io(std::io::Error),
}

impl std::fmt::Display for CgiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CgiFailure::Spawn(e) => write!(f, "could not start git http-backend: {e}"),
            CgiFailure::TimedOut => write!(f, "git http-backend did not answer in time"),
            CgiFailure::NoHeaders(stderr) if stderr.is_empty() => {
                write!(f, "git http-backend gave no CGI answer")
            }
            CgiFailure::NoHeaders(stderr) => {
                write!(f, "git http-backend gave no CGI answer: {stderr}")
            }
            CgiFailure::Io(e) => write!(f, "reading git http-backend's answer failed: {e}"),
        }
    }
}

impl Backend {
    /// Finds the backend as `lookup` says and checks it answers a CGI request, so a machine
    /// without a usable git fails at start with one line instead of on every request.
    pub async fn find(lookup: &BackendLookup, root: &Path) -> Result<Backend, GitServeError> {
        let (program, exec_path) = match lookup {
            BackendLookup::ExecPathOf(git) => {
                let dir = exec_path_of(git).await?;
                (dir.join("git-http-backend"), Some(dir))
            }
            BackendLookup::Program(program) => (program.clone(), None),
        };
        if !program.is_file() {
            return Err(GitServeError::BackendMissing {
                path: program,
                reason: "no such file".into(),
            });
        }
        let backend = Backend {
            program,
            exec_path,
            path_var: std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
        };
        backend.probe(root).await?;
        Ok(backend)
    }

    /// The program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The command with the environment every request shares.
    fn command(&self, root: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.env_clear()
            .env("PATH", &self.path_var)
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            // Neither the machine's nor the user's gitconfig: no HOME, no system file.
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            // Command-line config outranks each repository's own config.
            .env("GIT_CONFIG_COUNT", "2")
            .env("GIT_CONFIG_KEY_0", "http.receivepack")
            .env("GIT_CONFIG_VALUE_0", "true")
            .env("GIT_CONFIG_KEY_1", "receive.denyNonFastForwards")
            .env("GIT_CONFIG_VALUE_1", "true")
            .env("GATEWAY_INTERFACE", "CGI/1.1")
            .env("SERVER_PROTOCOL", "HTTP/1.1")
            .env("SERVER_SOFTWARE", "fluxdeck-sandbox");
        if let Some(dir) = &self.exec_path {
            cmd.env("GIT_EXEC_PATH", dir);
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        cmd
    }

    /// Asks for the project root itself (`GET /`), which the backend answers with a CGI
    /// `404`: proof that it runs, reads its environment and speaks CGI.
    async fn probe(&self, root: &Path) -> Result<(), GitServeError> {
        let broken = |detail: String| GitServeError::BackendBroken {
            path: self.program.clone(),
            detail,
        };
        let mut cmd = self.command(root);
        cmd.env("REQUEST_METHOD", "GET")
            .env("PATH_INFO", "/")
            .env("QUERY_STRING", "")
            .stdin(Stdio::null());
        let child = cmd.spawn().map_err(|e| GitServeError::BackendMissing {
            path: self.program.clone(),
            reason: e.to_string(),
        })?;
        let out = tokio::time::timeout(PROBE_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| {
                broken(format!(
                    "no answer to a probe request within {}s",
                    PROBE_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| broken(e.to_string()))?;
        let head = head_end(&out.stdout).map(|(len, _)| &out.stdout[..len]);
        match head.map(parse_head) {
            Some(Ok(_)) => Ok(()),
            Some(Err(problem)) => Err(broken(problem)),
            None => {
                let stderr = first_line(&out.stderr);
                Err(broken(if stderr.is_empty() {
                    format!("no CGI headers in its output ({})", out.status)
                } else {
                    format!("no CGI headers in its output ({}): {stderr}", out.status)
                }))
            }
        }
    }

    /// Runs one request. Returns once the backend has sent its CGI headers; the body
    /// streams from the process while the response is written. Everything the request
    /// started is killed when `deadline` passes or the response is dropped unfinished.
    pub async fn run(
        &self,
        root: &Path,
        req: CgiRequest,
        body: Incoming,
        deadline: Instant,
        counters: Arc<Counters>,
    ) -> Result<(StatusCode, HeaderMap, Body), CgiFailure> {
        let mut cmd = self.command(root);
        cmd.env("REQUEST_METHOD", &req.method)
            .env("PATH_INFO", &req.path_info)
            .env("QUERY_STRING", &req.query)
            .env("REMOTE_USER", &req.remote_user)
            .env("REMOTE_ADDR", &req.remote_addr)
            .stdin(Stdio::piped());
        let optional = [
            ("CONTENT_TYPE", &req.content_type),
            ("CONTENT_LENGTH", &req.content_length),
            ("HTTP_CONTENT_ENCODING", &req.content_encoding),
            // Protocol v2: older backends read GIT_PROTOCOL, newer ones the CGI name.
            ("GIT_PROTOCOL", &req.git_protocol),
            ("HTTP_GIT_PROTOCOL", &req.git_protocol),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                cmd.env(name, value);
            }
        }
        let mut child = cmd.spawn().map_err(CgiFailure::Spawn)?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let proc = Proc::new(child);
        let (Some(stdin), Some(mut stdout), Some(stderr)) = (stdin, stdout, stderr) else {
            // All three were set to `piped()` above, so tokio hands out all three.
            return Err(CgiFailure::Io(std::io::Error::other(
                "the backend's pipes were not set up",
            )));
        };
        let pump = Task(tokio::spawn(pump(body, stdin)));
        let mut errors = Task(tokio::spawn(drain(stderr)));

        let head = match timeout_at(deadline, read_head(&mut stdout)).await {
            Err(_) => return Err(CgiFailure::TimedOut),
            Ok(Err(e)) => return Err(CgiFailure::Io(e)),
            Ok(Ok(head)) => head,
        };
        let Some((head, first)) = head else {
            // The backend ended (or babbled) without headers: what it said is the reason.
            // It has closed stdout; give it a moment to finish stderr, within the deadline.
            let said = timeout_at(deadline, &mut errors.0)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Err(CgiFailure::NoHeaders(first_line(&said)));
        };
        let (status, headers) = parse_head(&head).map_err(CgiFailure::NoHeaders)?;
        let state = BodyState {
            proc,
            stdout,
            first: Some(first),
            deadline,
            _pump: pump,
            errors,
            counters,
            path: req.path_info,
            done: false,
        };
        let stream = futures::stream::unfold(state, next_chunk);
        Ok((status, headers, Body::from_stream(stream)))
    }
}

/// `git --exec-path`, bounded in time.
async fn exec_path_of(git: &Path) -> Result<PathBuf, GitServeError> {
    let missing = |reason: String| GitServeError::GitNotFound {
        program: git.to_path_buf(),
        reason,
    };
    let child = Command::new(git)
        .arg("--exec-path")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| missing(e.to_string()))?;
    let out = tokio::time::timeout(PROBE_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| missing(format!("no answer within {}s", PROBE_TIMEOUT.as_secs())))?
        .map_err(|e| missing(e.to_string()))?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || dir.is_empty() {
        let said = first_line(&out.stderr);
        return Err(missing(format!("{}: {said}", out.status)));
    }
    Ok(PathBuf::from(dir))
}

#[cfg(test)]
mod tests;
