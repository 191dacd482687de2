//! The cells of a Table row: a CRD's from its printer columns' JSONPaths, a built-in's
//! computed as kubectl's server-side printers do, and ages as `HumanDuration` shows them.

use serde_json::{Value, json};

use super::jsonpath::json_path;
use crate::sandbox::apiserver::resources::{PrinterColumn, ResourceType};
use crate::sandbox::labels::match_labels;

/// Kubernetes' `HumanDuration` (what the AGE column shows).
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 120 {
        return format!("{s}s");
    }
    let m = s / 60;
    if m < 10 {
        let rs = s % 60;
        return if rs == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{rs}s")
        };
    }
    if m < 180 {
        return format!("{m}m");
    }
    let h = s / 3600;
    if h < 8 {
        let rm = (s % 3600) / 60;
        return if rm == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{rm}m")
        };
    }
    if h < 48 {
        return format!("{h}h");
    }
    if h < 24 * 8 {
        let d = h / 24;
        let rh = h % 24;
        return if rh == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{rh}h")
        };
    }
    if h < 24 * 365 * 2 {
        return format!("{}d", h / 24);
    }
    if h < 24 * 365 * 8 {
        let y = h / (24 * 365);
        let rd = (h / 24) % 365;
        return if rd == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{rd}d")
        };
    }
    format!("{}y", h / (24 * 365))
}

/// Age of an RFC 3339 timestamp, or `<unknown>`.
pub fn age(ts: &Value, now: jiff::Timestamp) -> String {
    ts.as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|t| human_duration(now.duration_since(t).as_secs()))
        .unwrap_or_else(|| "<unknown>".to_string())
}

fn cell_of(col: &PrinterColumn, obj: &Value, now: jiff::Timestamp) -> Value {
    let found = json_path(obj, &col.json_path);
    let Some(first) = found.first() else {
        return Value::Null;
    };
    match col.kind.as_str() {
        "date" => json!(age(first, now)),
        "integer" | "number" | "boolean" => (*first).clone(),
        _ => {
            let parts: Vec<String> = found
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            json!(parts.join(","))
        }
    }
}

fn containers(obj: &Value) -> &Vec<Value> {
    static EMPTY: Vec<Value> = Vec::new();
    obj["spec"]["containers"].as_array().unwrap_or(&EMPTY)
}

fn pod_cells(obj: &Value, now: jiff::Timestamp) -> Vec<Value> {
    let statuses = obj["status"]["containerStatuses"].as_array();
    let total = containers(obj).len();
    let ready = statuses
        .map(|s| s.iter().filter(|c| c["ready"] == true).count())
        .unwrap_or(0);
    let restarts: i64 = statuses
        .map(|s| s.iter().filter_map(|c| c["restartCount"].as_i64()).sum())
        .unwrap_or(0);
    let mut status = obj["status"]["reason"]
        .as_str()
        .or(obj["status"]["phase"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    if let Some(s) = statuses {
        for c in s {
            if let Some(r) = c["state"]["waiting"]["reason"].as_str() {
                status = r.to_string();
            } else if let Some(r) = c["state"]["terminated"]["reason"].as_str() {
                status = r.to_string();
            }
        }
    }
    if !obj["metadata"]["deletionTimestamp"].is_null() {
        status = "Terminating".to_string();
    }
    let none = || json!("<none>");
    vec![
        obj["metadata"]["name"].clone(),
        json!(format!("{ready}/{total}")),
        json!(status),
        json!(restarts.to_string()),
        json!(age(&obj["metadata"]["creationTimestamp"], now)),
        obj["status"]["podIP"]
            .as_str()
            .map(|s| json!(s))
            .unwrap_or_else(none),
        obj["spec"]["nodeName"]
            .as_str()
            .map(|s| json!(s))
            .unwrap_or_else(none),
        none(),
        none(),
    ]
}

fn join_containers(obj: &Value, field: &str) -> Value {
    let tpl = &obj["spec"]["template"];
    let names: Vec<&str> = containers(tpl)
        .iter()
        .filter_map(|c| c[field].as_str())
        .collect();
    json!(names.join(","))
}

fn selector_string(sel: &Value) -> Value {
    let labels = match_labels(sel);
    if labels.is_empty() {
        json!("<none>")
    } else {
        json!(labels.join(","))
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn builtin_cells(ty: &ResourceType, obj: &Value, now: jiff::Timestamp) -> Vec<Value> {
    let name = obj["metadata"]["name"].clone();
    let created = json!(age(&obj["metadata"]["creationTimestamp"], now));
    let count = |v: &Value| json!(v.as_object().map(|m| m.len()).unwrap_or(0));
    match (ty.group.as_str(), ty.plural.as_str()) {
        ("", "pods") => pod_cells(obj, now),
        ("", "namespaces") => vec![
            name,
            json!(obj["status"]["phase"].as_str().unwrap_or("Active")),
            created,
        ],
        ("", "services") => {
            let ports: Vec<String> = obj["spec"]["ports"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            format!(
                                "{}/{}",
                                p["port"].as_i64().unwrap_or(0),
                                p["protocol"].as_str().unwrap_or("TCP")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let sel = obj["spec"]["selector"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".to_string());
            vec![
                name,
                json!(obj["spec"]["type"].as_str().unwrap_or("ClusterIP")),
                json!(obj["spec"]["clusterIP"].as_str().unwrap_or("<none>")),
                json!("<none>"),
                json!(if ports.is_empty() {
                    "<none>".to_string()
                } else {
                    ports.join(",")
                }),
                created,
                json!(sel),
            ]
        }
        ("", "events") => {
            let io = &obj["involvedObject"];
            let last = if obj["lastTimestamp"].is_string() {
                &obj["lastTimestamp"]
            } else {
                &obj["eventTime"]
            };
            vec![
                json!(age(last, now)),
                obj["type"].clone(),
                obj["reason"].clone(),
                json!(format!(
                    "{}/{}",
                    io["kind"].as_str().unwrap_or_default().to_lowercase(),
                    io["name"].as_str().unwrap_or_default()
                )),
                obj["message"].clone(),
            ]
        }
        ("", "configmaps") => vec![name, count(&obj["data"]), created],
        ("", "secrets") => vec![
            name,
            json!(obj["type"].as_str().unwrap_or("Opaque")),
            count(&obj["data"]),
            created,
        ],
        ("", "serviceaccounts") => vec![
            name,
            json!(obj["secrets"].as_array().map(|a| a.len()).unwrap_or(0)),
            created,
        ],
        ("apps", "deployments") => vec![
            name,
            json!(format!(
                "{}/{}",
                int(&obj["status"]["readyReplicas"]),
                obj["spec"]["replicas"].as_i64().unwrap_or(1)
            )),
            json!(int(&obj["status"]["updatedReplicas"])),
            json!(int(&obj["status"]["availableReplicas"])),
            created,
            join_containers(obj, "name"),
            join_containers(obj, "image"),
            selector_string(&obj["spec"]["selector"]),
        ],
        ("apps", "replicasets") => vec![
            name,
            json!(obj["spec"]["replicas"].as_i64().unwrap_or(1)),
            json!(int(&obj["status"]["replicas"])),
            json!(int(&obj["status"]["readyReplicas"])),
            created,
            join_containers(obj, "name"),
            join_containers(obj, "image"),
            selector_string(&obj["spec"]["selector"]),
        ],
        ("rbac.authorization.k8s.io", "roles" | "clusterroles") => {
            vec![name, obj["metadata"]["creationTimestamp"].clone()]
        }
        ("rbac.authorization.k8s.io", "rolebindings" | "clusterrolebindings") => vec![
            name,
            json!(format!(
                "{}/{}",
                obj["roleRef"]["kind"].as_str().unwrap_or_default(),
                obj["roleRef"]["name"].as_str().unwrap_or_default()
            )),
            created,
        ],
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            vec![name, obj["metadata"]["creationTimestamp"].clone()]
        }
        _ => vec![name, created],
    }
}

/// The cells of one object's row.
pub fn row_cells(
    ty: &ResourceType,
    version: &str,
    obj: &Value,
    now: jiff::Timestamp,
) -> Vec<Value> {
    if ty.custom {
        let cols = ty
            .version(version)
            .map(|v| v.columns.as_slice())
            .unwrap_or(&[]);
        let mut cells = vec![obj["metadata"]["name"].clone()];
        cells.extend(cols.iter().map(|c| cell_of(c, obj, now)));
        cells
    } else {
        builtin_cells(ty, obj, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_like_kubectl() {
        for (s, want) in [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 5 * 60, "3h5m"),
            (10 * 3600, "10h"),
            (3 * 86400 + 3600, "3d1h"),
            (30 * 86400, "30d"),
            (3 * 365 * 86400, "3y"),
        ] {
            assert_eq!(human_duration(s), want, "{s}");
        }
    }

    #[test]
    fn every_builtin_row_has_one_cell_per_column() {
        let resources = crate::sandbox::apiserver::resources::ResourceTable::new(&[]).unwrap();
        let now = jiff::Timestamp::now();
        for ty in resources.types().iter().filter(|t| !t.create_only) {
            let cells = row_cells(ty, "v1", &json!({"metadata": {"name": "x"}}), now);
            assert_eq!(cells.len(), ty.versions[0].columns.len(), "{}", ty.plural);
        }
    }
}
