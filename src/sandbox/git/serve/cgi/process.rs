//! The backend process of one request and its streams: the request body pumped into stdin,
//! stderr kept for the log, the head read from stdout, then the body streamed chunk by chunk;
//! dropping any of them kills the process group.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use crate::sandbox::git::serve::stats::Counters;

use super::head::{first_line, head_end};

/// The most CGI header bytes read before the output is judged not to be CGI.
const MAX_HEAD: usize = 64 * 1024;
/// The most backend stderr kept for the log.
const MAX_STDERR: usize = 8 * 1024;
/// Bytes read from the backend per response chunk.
const CHUNK: usize = 64 * 1024;

/// A spawned task that stops when its handle is dropped.
pub(super) struct Task<T>(pub(super) JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The backend process: unless it was seen to exit, dropping this kills its whole process
/// group (the backend and the `upload-pack`/`receive-pack` it runs).
pub(super) struct Proc {
    child: Child,
    group: Option<i32>,
    exited: bool,
}

impl Proc {
    pub(super) fn new(child: Child) -> Proc {
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
pub(super) async fn pump(mut body: Incoming, mut stdin: ChildStdin) {
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
pub(super) async fn drain(mut stderr: impl AsyncRead + Unpin) -> Vec<u8> {
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
pub(super) async fn read_head(
    stdout: &mut ChildStdout,
) -> std::io::Result<Option<(Vec<u8>, Bytes)>> {
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

/// The response body while it streams from the backend.
pub(super) struct BodyState {
    pub(super) proc: Proc,
    pub(super) stdout: ChildStdout,
    pub(super) first: Option<Bytes>,
    pub(super) deadline: Instant,
    pub(super) _pump: Task<()>,
    pub(super) errors: Task<Vec<u8>>,
    pub(super) counters: Arc<Counters>,
    pub(super) path: String,
    pub(super) done: bool,
}

pub(super) async fn next_chunk(mut st: BodyState) -> Option<(std::io::Result<Bytes>, BodyState)> {
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
