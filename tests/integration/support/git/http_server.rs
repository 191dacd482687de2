//! A tiny authenticated git smart-HTTP server for tests: Basic auth in front of the real
//! `git http-backend` (run as CGI), on 127.0.0.1, one request per connection. It counts
//! what it refused (in the `Stats` a test passes in) so tests can prove a wrong credential
//! costs exactly one attempt.
//! Dropping it stops it (also when a test panics).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use base64::Engine as _;

/// What the server saw.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests served with valid credentials.
    pub served: AtomicUsize,
    /// 401s to requests without credentials (libgit2's first try).
    pub challenged: AtomicUsize,
    /// 401s to requests with wrong credentials.
    pub refused: AtomicUsize,
}

/// A running server.
pub struct GitHttpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GitHttpServer {
    /// Serves the repositories under `root` to `user`:`password`.
    pub fn start(root: &Path, user: &str, password: &str) -> GitHttpServer {
        GitHttpServer::counting(root, user, password, Arc::default())
    }

    /// `start`, counting what it sees in `stats`.
    pub fn counting(root: &Path, user: &str, password: &str, stats: Arc<Stats>) -> GitHttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let backend = http_backend();
        let root = root.to_path_buf();
        let (s, st) = (stats.clone(), stop.clone());
        let user = user.to_string();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let ctx = Ctx {
                    root: root.clone(),
                    backend: backend.clone(),
                    expected: expected.clone(),
                    user: user.clone(),
                    stats: s.clone(),
                };
                std::thread::spawn(move || {
                    let _ = ctx.serve(conn);
                });
            }
        });
        GitHttpServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// The URL of repository `name` under the root.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn http_backend() -> PathBuf {
    let out = Command::new("git").arg("--exec-path").output().unwrap();
    let dir = String::from_utf8(out.stdout).unwrap();
    PathBuf::from(dir.trim()).join("git-http-backend")
}

struct Ctx {
    root: PathBuf,
    backend: PathBuf,
    expected: String,
    user: String,
    stats: Arc<Stats>,
}

impl Ctx {
    fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            read_chunked(&mut reader)?
        } else {
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut b = vec![0; len];
            reader.read_exact(&mut b)?;
            b
        };
        let mut out = stream;
        match header("authorization") {
            None => {
                self.stats.challenged.fetch_add(1, Ordering::SeqCst);
                return unauthorized(&mut out);
            }
            Some(auth) if auth != self.expected => {
                self.stats.refused.fetch_add(1, Ordering::SeqCst);
                return unauthorized(&mut out);
            }
            Some(_) => {}
        }
        self.stats.served.fetch_add(1, Ordering::SeqCst);
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let mut cmd = Command::new(&self.backend);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_PROJECT_ROOT", &self.root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("REQUEST_METHOD", &method)
            .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_USER", &self.user)
            .env("REMOTE_ADDR", "127.0.0.1");
        if let Some(enc) = header("content-encoding") {
            cmd.env("HTTP_CONTENT_ENCODING", enc);
        }
        if let Some(proto) = header("git-protocol") {
            cmd.env("GIT_PROTOCOL", proto);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || stdin.write_all(&body));
        let mut cgi = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut cgi)?;
        let _ = feeder.join();
        child.wait()?;
        respond_cgi(&mut out, &cgi)
    }
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let n =
            usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        if n == 0 {
            let mut trailer = String::new();
            reader.read_line(&mut trailer)?;
            return Ok(body);
        }
        let mut chunk = vec![0; n];
        reader.read_exact(&mut chunk)?;
        body.extend_from_slice(&chunk);
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn unauthorized(out: &mut TcpStream) -> std::io::Result<()> {
    out.write_all(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
}

/// Turns the CGI output (headers, blank line, body) into an HTTP response.
fn respond_cgi(out: &mut TcpStream, cgi: &[u8]) -> std::io::Result<()> {
    let split = cgi
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| cgi.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (head, body) = match split {
        Some((i, n)) => (&cgi[..i], &cgi[i + n..]),
        None => (&cgi[..0], cgi),
    };
    let mut status = "200 OK".to_string();
    let mut headers = String::new();
    for line in String::from_utf8_lossy(head).lines() {
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some(_) => {
                headers.push_str(line.trim_end());
                headers.push_str("\r\n");
            }
            None => {}
        }
    }
    write!(
        out,
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)
}
