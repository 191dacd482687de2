//! The log stream behind the log view: one pod's container, followed across restarts.
//!
//! It watches the pod (a kube-runtime watcher on its name, with backoff) to learn which
//! container instance runs, and streams that instance's log (`follow=true`). When the
//! instance stops, its stream ends; when the pod shows a new instance (a restart, even in
//! `CrashLoopBackOff`), it marks the restart and follows the new one. A stream broken while
//! its instance still runs reconnects after [`RETRY`], asking only for what came since.
//! Errors (forbidden, pod gone, container never started) go to the view as one line each;
//! nothing here panics or ends the worker. The previous instance's log is read once.
//!
//! Lines go out in batches as the `Update::Log` events of the session the UI numbered; the
//! task ends when the UI closes the view (the cluster worker aborts it) or the updates
//! channel closes.

use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::{AsyncBufReadExt, Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;

use crate::state::logs::MAX_LINES;
use crate::state::{LogEvent, LogSession, LogStatus, LogTarget, Update};

/// How long after a broken stream the worker asks again.
pub const RETRY: Duration = Duration::from_secs(2);

/// Lines sent in one update at most.
const BATCH: usize = 500;

type Lines = Pin<Box<dyn Stream<Item = Vec<std::io::Result<String>>> + Send>>;

/// Which instance of a container a pod's status shows: its `containerID`, and whether it
/// runs (else it ended, and the pod waits to restart it or is done).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// The runtime's id of the instance (`containerd://…`).
    pub id: String,
    /// Whether it is running.
    pub running: bool,
    /// The container's restart count.
    pub restarts: i32,
}

/// The instance of `container` (or of the first container) that `GET .../log` reads now;
/// `None` while the container never ran.
pub fn instance(pod: &Pod, container: Option<&str>) -> Option<Instance> {
    let status = pod.status.as_ref()?;
    let statuses = status
        .container_statuses
        .iter()
        .flatten()
        .chain(status.init_container_statuses.iter().flatten());
    let c = match container {
        Some(name) => statuses.clone().find(|c| c.name == name)?,
        None => {
            let first = pod.spec.as_ref()?.containers.first()?;
            statuses.clone().find(|c| c.name == first.name)?
        }
    };
    let state = c.state.as_ref();
    let id = |t: &Option<String>| t.clone().filter(|id| !id.is_empty());
    let (id, running) = if state.and_then(|s| s.running.as_ref()).is_some() {
        (id(&c.container_id), true)
    } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        (id(&t.container_id).or_else(|| id(&c.container_id)), false)
    } else {
        let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        (last.and_then(|t| id(&t.container_id)), false)
    };
    Some(Instance {
        id: id?,
        running,
        restarts: c.restart_count,
    })
}

/// Streams `target` as session `session` until aborted or `out` closes.
pub async fn run(
    client: kube::Client,
    session: LogSession,
    target: LogTarget,
    out: mpsc::Sender<Update>,
) {
    let api: Api<Pod> = Api::namespaced(client, &target.pod.namespace);
    let send = |event: LogEvent| {
        let out = out.clone();
        async move { out.send(Update::Log { session, event }).await.is_ok() }
    };
    let name = target.pod.name.to_string();
    let container = target.container.clone();
    if target.previous {
        let lp = LogParams {
            container: container.clone(),
            previous: true,
            tail_lines: Some(MAX_LINES as i64),
            ..LogParams::default()
        };
        let event = match api.logs(&name, &lp).await {
            Ok(text) => {
                send(LogEvent::Lines(text.lines().map(str::to_string).collect())).await;
                LogStatus::Ended("the previous instance's whole log".into())
            }
            Err(e) => LogStatus::Failed(describe(&e)),
        };
        send(LogEvent::Status(event)).await;
        return;
    }

    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut pods = std::pin::pin!(watcher(api.clone(), config).default_backoff());
    // The newest instance the pod shows, the one streamed (or last streamed), and how.
    let mut latest: Option<Instance> = None;
    let mut streamed: Option<Instance> = None;
    let mut lines: Option<Lines> = None;
    // When the last line of the streamed instance came (for a reconnect's sinceSeconds).
    let mut last_line: Option<Instant> = None;
    let mut retry_at: Option<tokio::time::Instant> = None;
    let mut tried_without_instance = false;
    loop {
        let retry = async {
            match retry_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let next_lines = async {
            match lines.as_mut() {
                Some(l) => l.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = pods.next() => {
                let pod = match event {
                    None => return,
                    Some(Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod))) => pod,
                    Some(Ok(watcher::Event::Delete(_))) => {
                        lines = None;
                        latest = None;
                        let gone = format!("pod {}/{name} was deleted", target.pod.namespace);
                        if !send(LogEvent::Status(LogStatus::Failed(gone))).await {
                            return;
                        }
                        continue;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        let text = format!("cannot watch pod {}/{name}: {e}", target.pod.namespace);
                        if !send(LogEvent::Status(LogStatus::Failed(text))).await {
                            return;
                        }
                        continue;
                    }
                };
                latest = instance(&pod, container.as_deref());
                if lines.is_some() {
                    continue;
                }
                match (&latest, &streamed) {
                    // Never ran: ask once, so the view shows the API's own words.
                    (None, _) if !tried_without_instance => {
                        tried_without_instance = true;
                        retry_at = Some(tokio::time::Instant::now());
                    }
                    (Some(new), Some(old)) if new.id == old.id => {}
                    (Some(_), _) => retry_at = Some(tokio::time::Instant::now()),
                    (None, _) => {}
                }
            }
            () = retry => {
                retry_at = None;
                let again = latest.as_ref().zip(streamed.as_ref()).is_some_and(|(a, b)| a.id == b.id);
                if again && latest.as_ref().is_some_and(|i| !i.running) {
                    // Its whole log was read already.
                    continue;
                }
                let mut lp = LogParams {
                    container: container.clone(),
                    follow: true,
                    ..LogParams::default()
                };
                if again {
                    let since = last_line.map_or(RETRY, |t| t.elapsed());
                    lp.since_seconds = Some(i64::try_from(since.as_secs()).unwrap_or(i64::MAX) + 1);
                } else {
                    lp.tail_lines = Some(MAX_LINES as i64);
                }
                if !send(LogEvent::Status(LogStatus::Connecting)).await {
                    return;
                }
                match api.log_stream(&name, &lp).await {
                    Ok(reader) => {
                        if let (Some(new), Some(old)) = (&latest, &streamed)
                            && new.id != old.id
                        {
                            let marker = format!(
                                "──── {} restarted (restarts: {}) ────",
                                container.as_deref().unwrap_or("container"),
                                new.restarts
                            );
                            if !send(LogEvent::Marker(marker)).await {
                                return;
                            }
                        }
                        streamed = latest.clone();
                        let stream = reader.lines().ready_chunks(BATCH);
                        lines = Some(Box::pin(stream));
                        if !send(LogEvent::Status(LogStatus::Streaming)).await {
                            return;
                        }
                    }
                    Err(e) => {
                        if !send(LogEvent::Status(LogStatus::Failed(describe(&e)))).await {
                            return;
                        }
                        // A client error (forbidden, gone, not started) waits for the pod
                        // to change; anything else is retried.
                        if !matches!(&e, kube::Error::Api(s) if s.code < 500) {
                            retry_at = Some(tokio::time::Instant::now() + RETRY);
                        }
                    }
                }
            }
            batch = next_lines => {
                let Some(batch) = batch else {
                    lines = None;
                    let stopped = latest.as_ref().zip(streamed.as_ref())
                        .is_some_and(|(a, b)| a.id == b.id && !a.running);
                    if stopped || latest.as_ref().is_none_or(|i| !i.running) {
                        let text = format!(
                            "{} stopped; waiting for it to start again",
                            container.as_deref().unwrap_or("the container")
                        );
                        if !send(LogEvent::Status(LogStatus::Ended(text))).await {
                            return;
                        }
                    }
                    // Ended while the pod still shows it running (a proxy's timeout, or the
                    // pod's news is late): ask again; a stopped one is not re-read.
                    retry_at = Some(tokio::time::Instant::now() + RETRY);
                    continue;
                };
                let mut text = Vec::with_capacity(batch.len());
                let mut error = None;
                for line in batch {
                    match line {
                        Ok(l) => text.push(l),
                        Err(e) => error = Some(e),
                    }
                }
                if !text.is_empty() {
                    last_line = Some(Instant::now());
                    if !send(LogEvent::Lines(text)).await {
                        return;
                    }
                }
                if let Some(e) = error {
                    lines = None;
                    let text = format!("the log stream broke: {e}; reconnecting");
                    if !send(LogEvent::Status(LogStatus::Failed(text))).await {
                        return;
                    }
                    retry_at = Some(tokio::time::Instant::now() + RETRY);
                }
            }
        }
    }
}

/// An API error in one line: the API's own message (it names the pod and the container).
fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(statuses: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app"}, {"name": "side"}]},
            "status": {"containerStatuses": statuses}
        }))
        .unwrap()
    }

    #[test]
    fn the_instance_is_the_running_one_or_the_last_that_ended() {
        let running = pod(
            json!([{"name": "app", "containerID": "containerd://a", "restartCount": 0,
            "image": "", "imageID": "", "ready": true, "state": {"running": {}}}]),
        );
        let i = instance(&running, None).unwrap();
        assert_eq!((i.id.as_str(), i.running), ("containerd://a", true));
        assert!(instance(&running, Some("side")).is_none());
        let looping = pod(json!([{"name": "app", "containerID": "", "restartCount": 3,
            "image": "", "imageID": "", "ready": false,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"containerID": "containerd://b", "exitCode": 1}}}]));
        let i = instance(&looping, Some("app")).unwrap();
        assert_eq!(
            (i.id.as_str(), i.running, i.restarts),
            ("containerd://b", false, 3)
        );
        let never = pod(
            json!([{"name": "app", "restartCount": 0, "image": "", "imageID": "",
            "ready": false, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]),
        );
        assert!(instance(&never, None).is_none());
    }
}
