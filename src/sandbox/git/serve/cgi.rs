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
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use super::{Counters, GitServeError};

/// How long `git --exec-path` and the start-up probe may take before start gives up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most CGI header bytes read before the output is judged not to be CGI.
const MAX_HEAD: usize = 64 * 1024;
/// The most backend stderr kept for the log.
const MAX_STDERR: usize = 8 * 1024;
/// Bytes read from the backend per response chunk.
const CHUNK: usize = 64 * 1024;
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

/// A spawned task that stops when its handle is dropped.
struct Task<T>(JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The backend process: unless it was seen to exit, dropping this kills its whole process
/// group (the backend and the `upload-pack`/`receive-pack` it runs).
struct Proc {
    child: Child,
    group: Option<i32>,
    exited: bool,
}

impl Proc {
    fn new(child: Child) -> Proc {
        // `process_group(0)` made the child the leader of a group named by its pid.
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        Proc {
            child,
            group,
            exited: false,
        }
    }

    /// Waits for the exit (within `deadline`); after it, nothing is left to kill.
    async fn wait(&mut self, deadline: Instant) -> Option<std::process::ExitStatus> {
        let status = timeout_at(deadline, self.child.wait()).await.ok()?.ok()?;
        self.exited = true;
        Some(status)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited {
            return;
        }
        if let Some(group) = self.group.filter(|g| *g > 0) {
            // SAFETY: kill(2) touches no memory of this process. The group id is the pid of
            // our own child, which has not been waited for (`exited` is false), so the pid
            // is still held by it (running or a zombie) and cannot name anyone else's group.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
        // `kill_on_drop` covers the leader too, and tokio reaps it in the background.
    }
}

/// Copies the request body into the backend's stdin, then closes it (end of input).
async fn pump(mut body: Incoming, mut stdin: ChildStdin) {
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data()
                    && stdin.write_all(&data).await.is_err()
                {
                    // The backend stopped reading: it answers with what it has.
                    return;
                }
            }
            Err(e) => {
                tracing::debug!("sandbox git: request body ended early: {e}");
                return;
            }
        }
    }
}

/// Keeps the first bytes of stderr for the log, and reads the rest so the backend never
/// blocks on a full pipe.
async fn drain(mut stderr: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stderr.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = MAX_STDERR.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

/// Reads up to the blank line that ends the CGI headers: the header bytes and whatever
/// body bytes came with them, or `None` when the output ends (or grows too long) first.
async fn read_head(stdout: &mut ChildStdout) -> std::io::Result<Option<(Vec<u8>, Bytes)>> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if let Some((len, body_start)) = head_end(&buf) {
            let head = buf[..len].to_vec();
            let first = buf.split_off(body_start).freeze();
            return Ok(Some((head, first)));
        }
        if buf.len() > MAX_HEAD || stdout.read_buf(&mut buf).await? == 0 {
            return Ok(None);
        }
    }
}

/// Where the headers end: (length of the header lines, start of the body). CGI programs may
/// end lines with `\n` or `\r\n` (git's backend uses `\r\n`).
pub(super) fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    // Output that starts with the blank line: no headers at all.
    match buf {
        [b'\n', ..] => return Some((0, 1)),
        [b'\r', b'\n', ..] => return Some((0, 2)),
        _ => {}
    }
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match &buf[nl + 1..] {
            [b'\n', ..] => return Some((nl, nl + 2)),
            [b'\r', b'\n', ..] => return Some((nl, nl + 3)),
            _ => i = nl + 1,
        }
    }
    None
}

/// Headers that describe one HTTP hop; hyper writes its own.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "te",
    "trailer",
    "upgrade",
];

/// The CGI header lines as an HTTP status and headers: `Status: 404 Not Found` sets the
/// status (200 without it, 302 with only a `Location`); hop-by-hop headers are dropped
/// because the body is streamed with hyper's own framing.
pub(super) fn parse_head(head: &[u8]) -> Result<(StatusCode, HeaderMap), String> {
    let text = std::str::from_utf8(head).map_err(|_| "CGI headers are not UTF-8".to_string())?;
    let mut status = None;
    let mut headers = HeaderMap::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed CGI header line `{line}`"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or_default();
            let code = code
                .parse::<u16>()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| format!("bad CGI status `{value}`"))?;
            status = Some(code);
            continue;
        }
        if HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad CGI header name `{name}`"))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("bad CGI header value for {name}"))?;
        headers.append(name, value);
    }
    let status = status.unwrap_or(if headers.contains_key("location") {
        StatusCode::FOUND
    } else {
        StatusCode::OK
    });
    Ok((status, headers))
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// The response body while it streams from the backend.
struct BodyState {
    proc: Proc,
    stdout: ChildStdout,
    first: Option<Bytes>,
    deadline: Instant,
    _pump: Task<()>,
    errors: Task<Vec<u8>>,
    counters: Arc<Counters>,
    path: String,
    done: bool,
}

async fn next_chunk(mut st: BodyState) -> Option<(std::io::Result<Bytes>, BodyState)> {
    if st.done {
        return None;
    }
    if let Some(first) = st.first.take().filter(|b| !b.is_empty()) {
        return Some((Ok(first), st));
    }
    let mut buf = BytesMut::with_capacity(CHUNK);
    let failure = match timeout_at(st.deadline, st.stdout.read_buf(&mut buf)).await {
        Ok(Ok(0)) => {
            st.finish().await;
            return None;
        }
        Ok(Ok(_)) => return Some((Ok(buf.freeze()), st)),
        Ok(Err(e)) => e,
        Err(_) => std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "git http-backend did not finish in time",
        ),
    };
    // Ending the stream with an error makes hyper cut the connection, so the client sees a
    // broken transfer rather than a short body that looks complete.
    st.counters.failed.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(path = %st.path, "sandbox git: response broken: {failure}");
    st.done = true;
    Some((Err(failure), st))
}

impl BodyState {
    /// The output ended: reap the backend and log a failure exit.
    async fn finish(&mut self) {
        let status = self.proc.wait(self.deadline).await;
        if status.is_some_and(|s| s.success()) {
            return;
        }
        let said = timeout_at(self.deadline, &mut self.errors.0)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        tracing::debug!(
            path = %self.path,
            status = ?status,
            stderr = %first_line(&said),
            "sandbox git: backend exited with a failure after answering"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blank_line_ends_the_headers_with_either_line_ending() {
        assert_eq!(head_end(b"A: b\r\n\r\nbody"), Some((5, 8)));
        assert_eq!(head_end(b"A: b\n\nbody"), Some((4, 6)));
        assert_eq!(head_end(b"A: b\nC: d\n\n"), Some((9, 11)));
        assert_eq!(head_end(b"\r\nbody"), Some((0, 2)));
        assert_eq!(head_end(b"\nbody"), Some((0, 1)));
        assert_eq!(head_end(b"\n\nbody"), Some((0, 1)));
        assert_eq!(head_end(b"\r\n\r\nbody"), Some((0, 2)));
        assert_eq!(head_end(b"A: b\r\nC: d\r\n"), None);
        assert_eq!(head_end(b""), None);
        // The body may hold blank lines of its own: only the first one counts.
        assert_eq!(head_end(b"A: b\r\n\r\nx\n\ny"), Some((5, 8)));
    }

    #[test]
    fn cgi_headers_become_the_response_status_and_headers() {
        let (status, headers) = parse_head(
            b"Status: 404 Not Found\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\n",
        )
        .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers["content-type"], "text/plain");
        assert_eq!(headers["cache-control"], "no-cache");

        let (status, headers) =
            parse_head(b"Content-Type: application/x-git-upload-pack-advertisement").unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers["content-type"],
            "application/x-git-upload-pack-advertisement"
        );
        let (status, _) = parse_head(b"Location: /elsewhere").unwrap();
        assert_eq!(status, StatusCode::FOUND);
        let (status, _) = parse_head(b"status: 403").unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn hop_by_hop_headers_from_the_program_are_dropped() {
        let (_, headers) = parse_head(
            b"Content-Length: 12\nTransfer-Encoding: chunked\nConnection: close\nX-Kept: yes",
        )
        .unwrap();
        assert_eq!(headers.len(), 1);
        assert_eq!(headers["x-kept"], "yes");
    }

    #[test]
    fn output_that_is_not_cgi_is_an_error() {
        for bad in [
            &b"Status: abc"[..],
            b"Status: 99",
            b"no colon here",
            b"Bad Name: x",
            b"X: \x01",
            b"\xff\xfe: x",
        ] {
            assert!(
                parse_head(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
