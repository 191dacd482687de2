//! Watches: a chunked stream of newline-delimited JSON events (`ADDED`, `MODIFIED`,
//! `DELETED`, `BOOKMARK`, `ERROR`), resumable from a resourceVersion while the history holds
//! it, `410 Gone` after that, closed by `timeoutSeconds` or a fault.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

use super::faults::WatchSignal;
use super::request::ResourceRequest;
use super::resources::{ResourceType, TypeId};
use super::respond::{render, streamed, wants_table};
use super::selectors::{FieldSelector, LabelSelector};
use super::server::ApiServer;
use super::status::ApiError;
use super::store::Change;
use super::table::{self, IncludeObject};

/// How events are written.
#[derive(Clone)]
struct Encoder {
    type_id: TypeId,
    namespace: Option<String>,
    ty: ResourceType,
    version: String,
    table: Option<IncludeObject>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Encoder {
    fn matches(&self, c: &Change) -> bool {
        if c.type_id != self.type_id
            || self
                .namespace
                .as_ref()
                .is_some_and(|ns| *ns != c.object.namespace)
        {
            return false;
        }
        if !self.labels.matches(&c.object.labels) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        if self.fields.only_metadata() {
            return self
                .fields
                .matches_metadata(&c.object.namespace, &c.object.name);
        }
        c.object
            .value()
            .map(|v| self.fields.matches(&v))
            .unwrap_or(false)
    }

    fn event(&self, c: &Change, first: bool) -> Option<Bytes> {
        let kind = c.kind.as_str();
        let mut out = Vec::with_capacity(c.object.json.len() + 32);
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"object\":");
        match self.table {
            None => out.extend_from_slice(&render(&c.object, &self.ty, &self.version)),
            Some(include) => {
                let v = c.object.value().ok()?;
                let row = table::row(&self.ty, &self.version, &v, include, jiff::Timestamp::now());
                let t = table::table(
                    &self.ty,
                    &self.version,
                    vec![row],
                    json!({"resourceVersion": c.rv.to_string()}),
                    first,
                );
                out.extend_from_slice(t.to_string().as_bytes());
            }
        }
        out.extend_from_slice(b"}\n");
        Some(Bytes::from(out))
    }

    fn bookmark(&self, rv: u64) -> Bytes {
        let object = json!({
            "kind": self.ty.kind,
            "apiVersion": self.ty.api_version(&self.version),
            "metadata": {"resourceVersion": rv.to_string()},
        });
        Bytes::from(format!(
            "{}\n",
            json!({"type": "BOOKMARK", "object": object})
        ))
    }
}

fn error_event(e: &ApiError) -> Bytes {
    Bytes::from(format!(
        "{}\n",
        json!({"type": "ERROR", "object": e.to_status()})
    ))
}

/// Starts a watch and answers with its stream.
pub fn start(
    srv: &Arc<ApiServer>,
    ty: &ResourceType,
    rr: &ResourceRequest,
) -> Result<Response, ApiError> {
    let labels = rr.labels()?;
    let fields = rr.fields()?;
    let rv = match rr.param("resourceVersion") {
        None | Some("") => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!(
                "invalid resourceVersion '{v}': use a version from a list or an earlier event"
            ))
        })?),
    };
    let timeout = rr
        .param("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let bookmarks = matches!(rr.param("allowWatchBookmarks"), Some("true") | Some("1"));
    let encoder = Encoder {
        type_id: rr.type_id,
        namespace: rr.namespace.clone(),
        ty: ty.clone(),
        version: rr.version.clone(),
        table: wants_table(&rr.accept).then(|| IncludeObject::parse(rr.param("includeObject"))),
        labels,
        fields,
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    // A version older than the history is answered inside the stream, as the API server
    // does: 200, then one ERROR event with a 410 Status.
    match srv.store.watch(rr.type_id, rr.namespace.as_deref(), rv) {
        Ok(start) => {
            let signals = srv.faults.watch_signals();
            let interval = srv.bookmark_interval;
            tokio::spawn(run(
                encoder,
                start.initial,
                start.receiver,
                start.from_rv,
                tx,
                signals,
                timeout,
                bookmarks.then_some(interval),
            ));
        }
        Err(e) => {
            tokio::spawn(async move {
                let _ = tx.send(Ok(error_event(&e))).await;
            });
        }
    }
    streamed("application/json", rx)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    encoder: Encoder,
    initial: Vec<Change>,
    mut changes: broadcast::Receiver<Arc<Change>>,
    from_rv: u64,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
    mut signals: tokio::sync::watch::Receiver<WatchSignal>,
    timeout: Duration,
    bookmark_every: Option<Duration>,
) {
    let start_signal = *signals.borrow_and_update();
    let mut first = true;
    let mut seen_rv = from_rv;
    for c in &initial {
        if encoder.matches(c)
            && let Some(b) = encoder.event(c, first)
        {
            first = false;
            if tx.send(Ok(b)).await.is_err() {
                return;
            }
        }
    }
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let period = bookmark_every.unwrap_or(Duration::from_secs(3600));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = tx.closed() => return,
            _ = ticker.tick(), if bookmark_every.is_some() => {
                if tx.send(Ok(encoder.bookmark(seen_rv))).await.is_err() {
                    return;
                }
            }
            changed = signals.changed() => {
                if changed.is_err() {
                    break;
                }
                let now = *signals.borrow_and_update();
                if now.close_epoch != start_signal.close_epoch {
                    break;
                }
                if bookmark_every.is_some()
                    && now.bookmark_epoch != start_signal.bookmark_epoch
                    && tx.send(Ok(encoder.bookmark(seen_rv))).await.is_err()
                {
                    return;
                }
            }
            msg = changes.recv() => match msg {
                Ok(c) => {
                    // A watch closed by the fault API ends before any change made after the
                    // close: both may be ready at once, and the select picks either.
                    if signals.borrow().close_epoch != start_signal.close_epoch {
                        break;
                    }
                    if c.rv <= seen_rv {
                        continue;
                    }
                    seen_rv = c.rv;
                    if encoder.matches(&c)
                        && let Some(b) = encoder.event(&c, first)
                    {
                        first = false;
                        if tx.send(Ok(b)).await.is_err() {
                            return;
                        }
                    }
                }
                // Fell behind: end the stream; the client resumes from its last version,
                // which the history still holds.
                Err(broadcast::error::RecvError::Lagged(_)) => break,
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}
