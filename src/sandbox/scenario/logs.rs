//! A few realistic log lines per container, in the format each program really logs in
//! (Spring Boot, go-kit, Node, MongoDB, MySQL, Redis, RabbitMQ, Flux's JSON logs), timed
//! from the container's start; and the lines a running program keeps writing on its own
//! (the front-end's request log, the go-kit services' health checks), one every few seconds
//! of its life, so a followed log grows.

use serde_json::Value;

use super::ids;
use super::pods::parse_time;

/// A few realistic log lines for a container of a pod (`GET .../pods/NAME/log`): the named
/// container, or the first one. An unknown container name gives an empty string (the API
/// server answers 400 for it before asking for logs).
pub fn pod_log(pod: &Value, container: Option<&str>) -> String {
    let containers = pod["spec"]["containers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let found = match container {
        Some(name) => containers.iter().find(|c| c["name"] == name),
        None => containers.first(),
    };
    let Some(c) = found else {
        return String::new();
    };
    let name = c["name"].as_str().unwrap_or_default();
    let image = c["image"].as_str().unwrap_or_default();
    let statuses = pod["status"]["containerStatuses"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let started = statuses
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| parse_time(&s["state"]["running"]["startedAt"]))
        .filter(|t| *t > 0)
        .unwrap_or_else(|| parse_time(&pod["status"]["startTime"]));
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let mut out = String::new();
    for line in lines(image, name, pod_name, started) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// How many of the lines a program keeps writing a log read keeps (the oldest go first, as
/// a container runtime rotates its log files).
pub const MAX_TICKS: usize = 50;

/// The lines container `container` of `pod` (as [`pod_log`] picks it) wrote on its own in
/// the seconds `(from, to]` since the epoch, oldest first, at most [`MAX_TICKS`] (the
/// newest). Empty for a program that writes nothing once started, or a container not
/// running.
pub fn ticks_between(pod: &Value, container: Option<&str>, from: i64, to: i64) -> Vec<String> {
    let Some(c) = container_of(pod, container) else {
        return Vec::new();
    };
    let name = c["name"].as_str().unwrap_or_default();
    let status = pod["status"]["containerStatuses"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == name));
    let started = status
        .map(|s| parse_time(&s["state"]["running"]["startedAt"]))
        .unwrap_or(0);
    if started <= 0 {
        return Vec::new();
    }
    let Some((every, line)) = ticking(program_of(c["image"].as_str().unwrap_or_default())) else {
        return Vec::new();
    };
    // Tick k (k >= 1) is written at started + k * every.
    let first = ((from.max(started) - started) / every + 1).max(1);
    let last = (to - started) / every;
    if last < first {
        return Vec::new();
    }
    let first = first.max(last - MAX_TICKS as i64 + 1);
    (first..=last)
        .map(|k| line(k, started + k * every))
        .collect()
}

/// The line of tick `k`, written at `t`.
type TickLine = fn(i64, i64) -> String;

/// What a program logs on its own: every how many seconds, and the line of each tick.
fn ticking(program: &str) -> Option<(i64, TickLine)> {
    match program {
        "front-end" => Some((5, |k, _| {
            let (path, bytes) = match k % 3 {
                0 => ("/catalogue?size=3", 1033),
                1 => ("/", 8688),
                _ => ("/cart", 2),
            };
            let ms = 3 + (k * 7919) % 40;
            let micro = (k * 104_729) % 1000;
            format!("GET {path} 200 {ms}.{micro:03} ms - {bytes}")
        })),
        "catalogue" | "payment" | "user" => Some((10, |k, t| {
            let took = 8 + (k * 31) % 20;
            format!(
                "ts={} caller=logging.go:84 method=Health result=2 took={took}.{:03}µs",
                ids::rfc3339(t),
                (k * 577) % 1000
            )
        })),
        _ => None,
    }
}

/// The container of `pod` called `container`, or its first.
fn container_of<'a>(pod: &'a Value, container: Option<&str>) -> Option<&'a Value> {
    let containers = pod["spec"]["containers"].as_array()?;
    match container {
        Some(name) => containers.iter().find(|c| c["name"] == name),
        None => containers.first(),
    }
}

/// The program an image runs: the last part of its repository name.
fn program_of(image: &str) -> &str {
    let repository = image.split(':').next().unwrap_or(image);
    repository.rsplit('/').next().unwrap_or(repository)
}

/// Which program an image runs, by its repository name.
fn lines(image: &str, container: &str, pod: &str, t: i64) -> Vec<String> {
    let repository = image.split(':').next().unwrap_or(image);
    let program = program_of(image);
    let at = |offset: i64| ids::rfc3339(t + offset);
    match program {
        "carts" | "orders" | "shipping" | "queue-master" => spring_boot(program, t),
        "catalogue" | "payment" | "user" => vec![
            format!("ts={} caller=main.go:83 transport=HTTP port=80", at(0)),
            format!("ts={} caller=main.go:101 msg=\"{program} service started\"", at(1)),
        ],
        "front-end" => vec![
            "".into(),
            "> microservices-demo-front-end@0.0.1 start /usr/src/app".into(),
            "> node server.js".into(),
            "".into(),
            "Using redis for session store".into(),
            "App now running in production mode on port 8079".into(),
            "GET / 200 12.331 ms - 8688".into(),
            "GET /catalogue?size=3 200 31.018 ms - 1033".into(),
        ],
        "mongo" | "user-db" => [
            (0, "CONTROL", 23285, "Automatically disabling TLS 1.0, to force-enable TLS 1.0 specify --sslDisabledProtocols 'none'"),
            (1, "STORAGE", 22315, "Opening WiredTiger"),
            (3, "NETWORK", 23016, "Waiting for connections"),
        ]
        .iter()
        .map(|(offset, component, id, msg)| {
            format!(
                "{{\"t\":{{\"$date\":\"{}\"}},\"s\":\"I\",\"c\":\"{component}\",\"id\":{id},\"ctx\":\"main\",\"msg\":\"{msg}\"}}",
                ids::rfc3339(t + offset).replace('Z', ".000+00:00")
            )
        })
        .collect(),
        "catalogue-db" => vec![
            format!("{} 0 [Note] mysqld (mysqld 5.7.17) starting as process 1 ...", at(0).replace('T', " ").replace('Z', "")),
            format!("{} 0 [Note] InnoDB: Buffer pool(s) load completed", at(2).replace('T', " ").replace('Z', "")),
            format!("{} 0 [Note] mysqld: ready for connections.", at(3).replace('T', " ").replace('Z', "")),
        ],
        "redis" => {
            let stamp = |offset: i64| {
                jiff::Timestamp::from_second(t + offset)
                    .map(|ts| ts.strftime("%d %b %Y %H:%M:%S.000").to_string())
                    .unwrap_or_default()
            };
            vec![
                format!("1:C {} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", stamp(0)),
                format!("1:M {} * Server initialized", stamp(0)),
                format!("1:M {} * Ready to accept connections tcp", stamp(0)),
            ]
        }
        "rabbitmq" => vec![
            "=INFO REPORT==== Starting RabbitMQ 3.6.8 on Erlang 19.3".into(),
            "=INFO REPORT==== Management plugin started. Port: 15672".into(),
            "=INFO REPORT==== Server startup complete; 6 plugins started.".into(),
        ],
        "rabbitmq-exporter" => vec![
            format!("time=\"{}\" level=info msg=\"Starting RabbitMQ exporter\"", at(0)),
            format!("time=\"{}\" level=info msg=\"RabbitMQ exporter listening on :9090\"", at(1)),
        ],
        "podinfo" => vec![
            format!("{{\"level\":\"info\",\"ts\":\"{}\",\"caller\":\"podinfo/main.go:153\",\"msg\":\"Starting podinfo\",\"version\":\"6.7.1\",\"port\":\"9898\"}}", at(0)),
            format!("{{\"level\":\"info\",\"ts\":\"{}\",\"caller\":\"http/server.go:229\",\"msg\":\"Starting HTTP Server.\",\"addr\":\":9898\"}}", at(1)),
        ],
        _ if repository.starts_with("ghcr.io/fluxcd/") => flux_controller(program, pod, t),
        _ => vec![format!("{} {container}: started", at(0))],
    }
}

fn spring_boot(program: &str, t: i64) -> Vec<String> {
    let class = match program {
        "carts" => "works.weave.socks.cart.CartApplication",
        "orders" => "works.weave.socks.orders.OrderApplication",
        "shipping" => "works.weave.socks.shipping.ShippingServiceApplication",
        _ => "works.weave.socks.queuemaster.QueueMasterApplication",
    };
    let short = class.rsplit('.').next().unwrap_or(class);
    let stamp = |offset: i64| {
        ids::rfc3339(t + offset)
            .replace('T', " ")
            .replace('Z', ".000")
    };
    vec![
        format!(
            "{}  INFO [bootstrap,,,] 7 --- [           main] {class:<40} : Starting {short} on {program}",
            stamp(0)
        ),
        format!(
            "{}  INFO [bootstrap,,,] 7 --- [           main] s.b.c.e.t.TomcatEmbeddedServletContainer : Tomcat started on port(s): 80 (http)",
            stamp(58)
        ),
        format!(
            "{}  INFO [bootstrap,,,] 7 --- [           main] {class:<40} : Started {short} in 61.207 seconds (JVM running for 63.814)",
            stamp(61)
        ),
    ]
}

fn flux_controller(controller: &str, pod: &str, t: i64) -> Vec<String> {
    let line = |offset: i64, fields: &str, msg: &str| {
        let ts = ids::rfc3339(t + offset);
        format!("{{\"level\":\"info\",\"ts\":\"{ts}\",{fields}\"msg\":\"{msg}\"}}")
    };
    let lease = format!("flux-system/{controller}-leader-election");
    let setup = format!("\"logger\":\"setup\",\"identity\":\"{pod}\",");
    let (kind, group, name, msg) = match controller {
        "source-controller" => (
            "GitRepository",
            "source",
            "flux-system",
            "artifact up-to-date",
        ),
        "kustomize-controller" => (
            "Kustomization",
            "kustomize",
            "apps",
            "server-side apply completed",
        ),
        "image-reflector-controller" => (
            "ImageRepository",
            "image",
            "sock-shop-front-end",
            "no change in repository configuration since last scan, next scan in 1m0s",
        ),
        "image-automation-controller" => (
            "ImageUpdateAutomation",
            "image",
            "sock-shop-front-end",
            "no change since last reconciliation",
        ),
        "notification-controller" => ("Receiver", "notification", "", "Starting EventSource"),
        _ => ("HelmRelease", "helm", "", "Starting EventSource"),
    };
    let object = if name.is_empty() {
        String::new()
    } else {
        format!("\"{kind}\":{{\"name\":\"{name}\"}},")
    };
    let reconcile = format!(
        "\"controller\":\"{}\",\"controllerGroup\":\"{group}.toolkit.fluxcd.io\",\"controllerKind\":\"{kind}\",{object}",
        kind.to_lowercase()
    );
    vec![
        line(0, "\"logger\":\"setup\",", "starting manager"),
        line(
            1,
            &setup,
            &format!("attempting to acquire leader lease {lease}..."),
        ),
        line(3, &setup, &format!("successfully acquired lease {lease}")),
        line(65, &reconcile, msg),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(containers: Value) -> Value {
        json!({
            "metadata": {"name": "p-1"},
            "spec": {"containers": containers},
            "status": {"startTime": "2026-01-02T03:04:05Z", "containerStatuses": [
                {"name": "b", "state": {"running": {"startedAt": "2026-01-02T03:05:00Z"}}}
            ]}
        })
    }

    #[test]
    fn logs_follow_the_program_and_the_container_start_time() {
        let p = pod(
            json!([{"name": "a", "image": "weaveworksdemos/catalogue:0.3.5"},
                           {"name": "b", "image": "kbudde/rabbitmq-exporter"}]),
        );
        let first = pod_log(&p, None);
        assert!(
            first.starts_with("ts=2026-01-02T03:04:05Z caller=main.go"),
            "{first}"
        );
        let second = pod_log(&p, Some("b"));
        assert!(
            second.contains("time=\"2026-01-02T03:05:00Z\" level=info"),
            "{second}"
        );
        assert!(second.ends_with('\n'));
    }

    #[test]
    fn running_programs_keep_writing_at_their_pace() {
        let p = pod(
            json!([{"name": "a", "image": "weaveworksdemos/front-end:0.3.12"},
                           {"name": "b", "image": "weaveworksdemos/user:0.4.7"}]),
        );
        // Container a has no status: nothing runs, nothing ticks.
        let t0 = parse_time(&json!("2026-01-02T03:05:00Z"));
        assert!(ticks_between(&p, Some("a"), 0, t0 + 100).is_empty());
        // b started at t0 and checks its health every 10 s.
        let ticks = ticks_between(&p, Some("b"), 0, t0 + 35);
        assert_eq!(ticks.len(), 3, "{ticks:?}");
        assert!(ticks[0].starts_with("ts=2026-01-02T03:05:10Z caller=logging.go"));
        // Consecutive windows neither repeat nor skip a tick.
        let mut split = ticks_between(&p, Some("b"), 0, t0 + 20);
        split.extend(ticks_between(&p, Some("b"), t0 + 20, t0 + 35));
        assert_eq!(split, ticks);
        // A long life keeps only the newest lines.
        let long = ticks_between(&p, Some("b"), 0, t0 + 100_000);
        assert_eq!(long.len(), MAX_TICKS);
        assert!(
            long.last().unwrap().starts_with("ts=2026-01-03T06:51:40Z"),
            "{long:?}"
        );
        // Programs that log nothing on their own.
        let q = pod(json!([{"name": "b", "image": "redis:7"}]));
        assert!(ticks_between(&q, None, 0, t0 + 100).is_empty());
    }

    #[test]
    fn an_unknown_container_has_no_log() {
        let p = pod(json!([{"name": "a", "image": "mongo"}]));
        assert_eq!(pod_log(&p, Some("nope")), "");
        assert_eq!(pod_log(&json!({}), None), "");
    }

    #[test]
    fn flux_controllers_log_json_lines() {
        let p = pod(
            json!([{"name": "manager", "image": "ghcr.io/fluxcd/kustomize-controller:v1.9.0"}]),
        );
        for line in pod_log(&p, None).lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["level"], "info");
        }
    }
}
