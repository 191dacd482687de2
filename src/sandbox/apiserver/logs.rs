//! The `log` subresource of pods: `GET .../pods/NAME/log` answers what the chosen container
//! instance printed (from the store's log book, else the scenario's usual lines), with
//! `container`, `previous` and `tailLines` as the API server reads them.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::request::ResourceRequest;
use super::server::ApiServer;
use super::status::ApiError;

/// Answers `GET .../pods/NAME/log`.
pub fn pod_log(srv: &ApiServer, rr: &ResourceRequest) -> Result<Response, ApiError> {
    let ns = rr.namespace.clone().unwrap_or_default();
    let name = rr.name.clone().unwrap_or_default();
    let ty = srv
        .store
        .resources()
        .get(rr.type_id)
        .ok_or_else(|| ApiError::internal("unknown type"))?;
    let pod = srv
        .store
        .get(rr.type_id, &ns, &name)
        .ok_or_else(|| ApiError::not_found(&ty.qualified_name(), &name))?
        .value()?;
    let containers: Vec<String> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let container = match rr.param("container") {
        Some(c) if containers.iter().any(|x| x == c) => Some(c.to_string()),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None if containers.len() > 1 => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
        None => containers.first().cloned(),
    };
    let container = container.unwrap_or_default();
    let previous = matches!(rr.param("previous"), Some("true") | Some("1"));
    let instance = log_instance(&pod, &name, &container, previous)?;
    let mut text = instance
        .and_then(|id| srv.store.logs().get(id))
        .unwrap_or_else(|| crate::sandbox::scenario::pod_log(&pod, Some(&container)));
    if let Some(n) = rr.param("tailLines").and_then(|t| t.parse::<usize>().ok()) {
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(n);
        text = lines[start..].iter().map(|l| format!("{l}\n")).collect();
    }
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], text).into_response())
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
    let statuses = pod["status"]["containerStatuses"].as_array();
    let Some(status) = statuses.and_then(|all| all.iter().find(|c| c["name"] == container)) else {
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
