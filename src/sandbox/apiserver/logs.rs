//! Pod logs: a few plausible lines per container, derived from the pod (its image and
//! start time), so `kubectl logs` and the TUI have something real to show.

use serde_json::Value;

/// The log text of a container of a pod (the first container when `container` is `None`).
pub fn pod_log(pod: &Value, container: Option<&str>) -> String {
    let containers = pod["spec"]["containers"].as_array();
    let c = containers.and_then(|cs| {
        cs.iter()
            .find(|c| container.is_none_or(|want| c["name"].as_str() == Some(want)))
    });
    let name = c.and_then(|c| c["name"].as_str()).unwrap_or("app");
    let image = c.and_then(|c| c["image"].as_str()).unwrap_or("unknown");
    let started = pod["status"]["startTime"]
        .as_str()
        .or(pod["metadata"]["creationTimestamp"].as_str())
        .unwrap_or("1970-01-01T00:00:00Z");
    let port = c
        .and_then(|c| c["ports"][0]["containerPort"].as_i64())
        .unwrap_or(80);
    format!(
        "{started} starting {name} from image {image}\n\
         {started} configuration loaded\n\
         {started} listening on :{port}\n\
         {started} ready\n"
    )
}
