//! The pod `log` subresource (`GET .../pods/NAME/log`), as the kubelet answers it through
//! the API server: `container` (required when the pod has several; init containers too),
//! `previous` (the last terminated instance), `tailLines`, `sinceSeconds` (what was written
//! in the last seconds), and `follow`: the text so far, then what the running
//! instance writes next, until that instance stops (the stream ends; a client follows the
//! next instance by asking again) or the client goes away. A non-running instance is read
//! once and the stream ends, as the kubelet does.
//!
//! What an instance wrote comes from the [`LogBook`](super::logbook::LogBook) (the
//! sandbox's kubelet records crashing containers' output there), else from the scenario:
//! its start-up lines, then the lines the program keeps writing while it runs.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use super::request::ResourceRequest;
use super::respond::streamed;
use super::server::ApiServer;
use super::status::ApiError;
use crate::sandbox::scenario::{pod_log as scenario_log, ticks_between};

/// How often a followed log looks for new lines and for its instance's end.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Serves `GET .../pods/NAME/log`.
pub(super) fn pod_log(srv: &Arc<ApiServer>, rr: &ResourceRequest) -> Result<Response, ApiError> {
    let ns = rr.namespace.clone().unwrap_or_default();
    let name = rr.name.clone().unwrap_or_default();
    let pod = read_pod(srv, rr, &ns, &name)?;
    let names = |field: &str| -> Vec<String> {
        pod["spec"][field]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let containers = names("containers");
    let init = names("initContainers");
    let container = match rr.param("container") {
        Some(c) if containers.iter().chain(&init).any(|x| x == c) => c.to_string(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None if containers.len() > 1 => {
            let mut message = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !init.is_empty() {
                message.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            return Err(ApiError::bad_request(message));
        }
        None => containers.first().cloned().unwrap_or_default(),
    };
    let previous = flag(rr.param("previous"));
    let follow = flag(rr.param("follow"));
    let tail = match rr.param("tailLines") {
        None => None,
        Some(t) => Some(t.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!(
                "tailLines: Invalid value: \"{t}\": must be a non-negative integer"
            ))
        })?),
    };
    let since = match rr.param("sinceSeconds") {
        None => None,
        Some(t) => Some(t.parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(|| {
            ApiError::bad_request(format!(
                "sinceSeconds: Invalid value: \"{t}\": must be greater than 0"
            ))
        })?),
    };
    let instance = log_instance(&pod, &name, &container, previous)?.map(str::to_string);
    let now = now_seconds();
    let mut lines = read_lines(srv, &pod, &container, instance.as_deref(), previous, now);
    if let Some(since) = since {
        lines = written_since(&pod, &container, lines, now - since, now);
    }
    if let Some(n) = tail {
        lines.drain(..lines.len().saturating_sub(n));
    }
    if !(follow && !previous && running(&pod, &container)) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        return Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], text).into_response());
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(16);
    let first: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let srv = Arc::clone(srv);
    let rr = rr.clone();
    tokio::spawn(async move {
        if !first.is_empty() && tx.send(Ok(Bytes::from(first))).await.is_err() {
            return;
        }
        follow_instance(srv, rr, ns, name, container, instance, now, tx).await;
    });
    streamed("text/plain", rx)
}

/// Sends what the running instance `instance` of `container` writes after `since`, until it
/// stops running (or the pod goes) or the client hangs up.
#[allow(clippy::too_many_arguments)]
async fn follow_instance(
    srv: Arc<ApiServer>,
    rr: ResourceRequest,
    ns: String,
    name: String,
    container: String,
    instance: Option<String>,
    mut since: i64,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
) {
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tx.closed() => return,
        }
        let Ok(pod) = read_pod(&srv, &rr, &ns, &name) else {
            return;
        };
        let same = log_instance(&pod, &name, &container, false)
            .ok()
            .flatten()
            .map(str::to_string)
            == instance;
        if !same || !running(&pod, &container) {
            return;
        }
        // An instance the kubelet recorded wrote everything at its start.
        if instance
            .as_deref()
            .is_some_and(|id| srv.store.logs().get(id).is_some())
        {
            continue;
        }
        let now = now_seconds();
        let new = ticks_between(&pod, Some(&container), since, now);
        since = now;
        if new.is_empty() {
            continue;
        }
        let text: String = new.iter().map(|l| format!("{l}\n")).collect();
        if tx.send(Ok(Bytes::from(text))).await.is_err() {
            return;
        }
    }
}

fn read_pod(
    srv: &ApiServer,
    rr: &ResourceRequest,
    ns: &str,
    name: &str,
) -> Result<Value, ApiError> {
    let ty = srv
        .store
        .resources()
        .get(rr.type_id)
        .ok_or_else(|| ApiError::internal("unknown type"))?;
    srv.store
        .get(rr.type_id, ns, name)
        .ok_or_else(|| ApiError::not_found(&ty.qualified_name(), name))?
        .value()
}

/// The lines instance `instance` of `container` wrote up to `now`.
fn read_lines(
    srv: &ApiServer,
    pod: &Value,
    container: &str,
    instance: Option<&str>,
    previous: bool,
    now: i64,
) -> Vec<String> {
    if let Some(text) = instance.and_then(|id| srv.store.logs().get(id)) {
        return text.lines().map(str::to_string).collect();
    }
    let mut lines: Vec<String> = scenario_log(pod, Some(container))
        .lines()
        .map(str::to_string)
        .collect();
    if !previous {
        lines.extend(ticks_between(pod, Some(container), 0, now));
    }
    lines
}

/// What of `lines` (all an instance wrote up to `now`) was written at `from` or later: the
/// sandbox's programs write their start-up lines when they start and their ticks at known
/// times, so those are the lines the instance's start or the ticks after `from` give.
fn written_since(
    pod: &Value,
    container: &str,
    lines: Vec<String>,
    from: i64,
    now: i64,
) -> Vec<String> {
    let started = status_of(pod, container)
        .map(|c| {
            let state = &c["state"];
            let at = |v: &Value| {
                v.as_str()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .map_or(0, jiff::Timestamp::as_second)
            };
            at(&state["running"]["startedAt"]).max(at(&state["terminated"]["startedAt"]))
        })
        .unwrap_or(0);
    if started >= from {
        return lines;
    }
    // Only the ticks of the window remain (a recorded instance wrote all at its start).
    ticks_between(pod, Some(container), from - 1, now)
}

/// The status of container (or init container) `container` of `pod`.
fn status_of<'a>(pod: &'a Value, container: &str) -> Option<&'a Value> {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|field| pod["status"][field].as_array())
        .flatten()
        .find(|c| c["name"] == container)
}

fn flag(v: Option<&str>) -> bool {
    matches!(v, Some("true") | Some("1"))
}

fn now_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Whether `container` of `pod` is running now.
fn running(pod: &Value, container: &str) -> bool {
    status_of(pod, container).is_some_and(|c| c["state"]["running"].is_object())
}
/// Which container instance `GET .../log` reads, as the kubelet picks it from the pod's
/// status: with `previous` the last terminated one, else the running one, else the one that
/// just ended. `Ok(None)` when the status names none (a seeded pod without statuses: its
/// logs are the scenario's). A container that never ran is a 400 with the kubelet's words.
fn log_instance<'a>(
    pod: &'a Value,
    pod_name: &str,
    container: &str,
    previous: bool,
) -> Result<Option<&'a str>, ApiError> {
    let Some(status) = status_of(pod, container) else {
        return Ok(None);
    };
    let id = |v: &'a Value| v["containerID"].as_str().filter(|id| !id.is_empty());
    let last = id(&status["lastState"]["terminated"]);
    let state = &status["state"];
    if previous {
        return match last {
            Some(id) => Ok(Some(id)),
            None => Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            ))),
        };
    }
    if state["running"].is_object() {
        return Ok(id(status).or_else(|| id(&state["running"])));
    }
    if state["terminated"].is_object() {
        return Ok(id(&state["terminated"]).or(last));
    }
    if let Some(last) = last {
        return Ok(Some(last));
    }
    match state["waiting"]["reason"].as_str() {
        Some(reason) => {
            let why = match reason {
                "ErrImagePull" => "image can't be pulled",
                "ImagePullBackOff" => "trying and failing to pull image",
                other => other,
            };
            Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {why}"
            )))
        }
        None => Ok(None),
    }
}
