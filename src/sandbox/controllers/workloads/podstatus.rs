//! What the kubelet knows of a pod it runs, and the `status` it reports from that: phase
//! (Kubernetes' `getPhase`), the five conditions (transition times kept while unchanged),
//! IPs, and per container `state`/`lastState`/`ready`/`started`/`restartCount`.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::images::ImageFate;
use crate::sandbox::scenario::ids;
use crate::sandbox::scenario::pods::Placement;

/// Where a container is in its life.
#[derive(Debug, Clone)]
pub(super) enum Step {
    /// Not started (`ContainerCreating`): the pod's sandbox is not ready yet.
    Waiting,
    /// Pulling; the result (per `fate`) at `at`. `took` is the pull's unpaced duration.
    Pulling {
        at: Instant,
        took: Duration,
        fate: ImageFate,
    },
    /// The pull failed (`ErrImagePull`); `ImagePullBackOff` shows at `backoff_at`, the next
    /// pull starts at `retry_at`.
    PullFailed {
        message: String,
        backoff_at: Instant,
        retry_at: Instant,
    },
    /// Waiting out the pull back-off (`ImagePullBackOff`).
    PullBackOff { message: String, retry_at: Instant },
    /// Pulled; created and started at `at`.
    Starting { at: Instant, fate: ImageFate },
    /// Running since `since` (RFC 3339); Ready from `ready_at`; exits at `exit` with a code.
    Running {
        since: String,
        ready_at: Option<Instant>,
        ready: bool,
        exit: Option<(Instant, i32)>,
    },
    /// Exited (`terminated`); restarts at `restart_at`. With `back_off`, the kubelet is in
    /// crash-loop back-off (`CrashLoopBackOff`, `back-off <d>`); without, the restart is the
    /// immediate first one and the status shows the termination meanwhile.
    Exited {
        terminated: Value,
        restart_at: Instant,
        back_off: Option<Duration>,
    },
}

/// One container of a pod the kubelet runs.
#[derive(Debug, Clone)]
pub(super) struct Ctr {
    pub name: String,
    /// The image as the spec names it.
    pub image: String,
    /// `imagePullPolicy: Always`.
    pub always: bool,
    /// Start to Ready (unpaced).
    pub ready_after: Duration,
    /// The readiness probe's `initialDelaySeconds` (a declared duration: see
    /// `Pace::declared`).
    pub probe_delay: Duration,
    pub step: Step,
    pub restarts: u32,
    /// `lastState.terminated`.
    pub last: Option<Value>,
    /// The current (or last) instance's `containerID`.
    pub id: Option<String>,
    /// The instance before it (its output stays for `previous=true`).
    pub previous_id: Option<String>,
    /// `(image, imageID)` as the runtime reports them once pulled.
    pub resolved: Option<(String, String)>,
    /// What the image does, once known.
    pub fate: Option<ImageFate>,
    pub pull_backoff: Option<Duration>,
    /// The last pull's error, until a pull succeeds (a retry shows it meanwhile).
    pub pull_error: Option<String>,
    pub crash_backoff: Option<Duration>,
    /// When it became Ready.
    pub ready_since: Option<Instant>,
}

impl Ctr {
    /// A container the kubelet has yet to start: waiting, never run, nothing known of its
    /// image.
    pub(super) fn waiting(
        name: String,
        image: String,
        always: bool,
        ready_after: Duration,
        probe_delay: Duration,
    ) -> Ctr {
        Ctr {
            name,
            image,
            always,
            ready_after,
            probe_delay,
            step: Step::Waiting,
            restarts: 0,
            last: None,
            id: None,
            previous_id: None,
            resolved: None,
            fate: None,
            pull_backoff: None,
            pull_error: None,
            crash_backoff: None,
            ready_since: None,
        }
    }

    /// The next instant this container has something to do.
    pub(super) fn next(&self) -> Option<Instant> {
        match &self.step {
            Step::Waiting => None,
            Step::Pulling { at, .. } | Step::Starting { at, .. } => Some(*at),
            Step::PullFailed { backoff_at, .. } => Some(*backoff_at),
            Step::PullBackOff { retry_at, .. } => Some(*retry_at),
            Step::Running {
                ready_at,
                ready,
                exit,
                ..
            } => {
                let ready_at = ready_at.filter(|_| !ready);
                match (ready_at, exit.map(|(at, _)| at)) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Step::Exited { restart_at, .. } => Some(*restart_at),
        }
    }

    /// Whether it is running and Ready.
    pub(super) fn is_ready(&self) -> bool {
        matches!(self.step, Step::Running { ready: true, .. })
    }
}

/// A pod the kubelet runs.
#[derive(Debug, Clone)]
pub(super) struct PodRun {
    pub uid: String,
    /// Found running (a seeded pod): its status is left as it is.
    pub adopted: bool,
    pub schedule_at: Option<Instant>,
    pub placement: Option<Placement>,
    /// `status.startTime`, once the kubelet took the pod on.
    pub start_time: Option<String>,
    pub sandbox_at: Option<Instant>,
    pub sandbox_ready: bool,
    pub containers: Vec<Ctr>,
    pub kill_at: Option<Instant>,
}

impl PodRun {
    /// The next instant something is due.
    pub(super) fn next(&self) -> Option<Instant> {
        let own = [
            self.schedule_at.filter(|_| self.placement.is_none()),
            self.sandbox_at.filter(|_| !self.sandbox_ready),
            self.kill_at,
        ];
        own.into_iter()
            .flatten()
            .chain(self.containers.iter().filter_map(Ctr::next))
            .min()
    }
}

/// The `state` (and `lastState`) a container reports.
fn states(c: &Ctr, pod: &str, ns: &str, uid: &str) -> (Value, Value) {
    let creating = || json!({"waiting": {"reason": "ContainerCreating"}});
    let last = c
        .last
        .clone()
        .map_or(json!({}), |t| json!({"terminated": t}));
    let pull_back_off = |message: &str| {
        json!({"waiting": {
            "reason": "ImagePullBackOff",
            "message": format!("Back-off pulling image \"{}\": ErrImagePull: {message}", c.image)
        }})
    };
    match &c.step {
        Step::Pulling { .. } if c.pull_error.is_some() => (
            pull_back_off(c.pull_error.as_deref().unwrap_or_default()),
            last,
        ),
        Step::Waiting | Step::Pulling { .. } | Step::Starting { .. } => (creating(), last),
        Step::PullFailed { message, .. } => (
            json!({"waiting": {"reason": "ErrImagePull", "message": message}}),
            last,
        ),
        Step::PullBackOff { message, .. } => (pull_back_off(message), last),
        Step::Running { since, .. } => (json!({"running": {"startedAt": since}}), last),
        Step::Exited {
            terminated,
            back_off: None,
            ..
        } => (json!({"terminated": terminated}), last),
        Step::Exited {
            terminated,
            back_off: Some(d),
            ..
        } => (
            json!({"waiting": {
                "reason": "CrashLoopBackOff",
                "message": format!(
                    "back-off {} restarting failed container={} pod={pod}_{ns}({uid})",
                    ids::go_duration(d.as_millis() as u64),
                    c.name
                )
            }}),
            json!({"terminated": terminated}),
        ),
    }
}

/// One `containerStatuses` entry.
fn container_status(c: &Ctr, pod: &str, ns: &str, uid: &str) -> Value {
    let (state, last) = states(c, pod, ns, uid);
    let (image, image_id) = c
        .resolved
        .clone()
        .unwrap_or_else(|| (c.image.clone(), String::new()));
    let mut m = Map::new();
    let has_instance = matches!(c.step, Step::Running { .. } | Step::Exited { .. });
    if let Some(id) = c.id.as_ref().filter(|_| has_instance || c.last.is_some()) {
        m.insert("containerID".into(), json!(id));
    }
    m.insert("image".into(), json!(image));
    m.insert("imageID".into(), json!(image_id));
    m.insert("lastState".into(), last);
    m.insert("name".into(), json!(c.name));
    m.insert("ready".into(), json!(c.is_ready()));
    m.insert("restartCount".into(), json!(c.restarts));
    m.insert(
        "started".into(),
        json!(matches!(c.step, Step::Running { .. })),
    );
    m.insert("state".into(), state);
    Value::Object(m)
}

/// Kubernetes' `getPhase` for containers without init containers and `restartPolicy:
/// Always`: Pending while a container has never run, else Running.
fn phase(statuses: &[Value]) -> &'static str {
    let never_ran = statuses
        .iter()
        .any(|s| s["state"]["waiting"].is_object() && s["lastState"]["terminated"].is_null());
    if never_ran || statuses.is_empty() {
        "Pending"
    } else {
        "Running"
    }
}

/// The status the kubelet reports for `run`, keeping the transition times of conditions
/// `old` already had with the same status.
pub(super) fn render(old: &Value, pod: &Value, run: &PodRun, now: &str) -> Value {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    let statuses: Vec<Value> = run
        .containers
        .iter()
        .map(|c| container_status(c, name, ns, uid))
        .collect();
    let unready: Vec<&str> = run
        .containers
        .iter()
        .filter(|c| !c.is_ready())
        .map(|c| c.name.as_str())
        .collect();
    let why = format!("containers with unready status: [{}]", unready.join(" "));
    let all_ready = unready.is_empty();
    let condition = |kind: &str, ok: bool, reason: Option<(&str, &str)>| {
        let status = if ok { "True" } else { "False" };
        let since = old["conditions"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["type"] == kind))
            .filter(|c| c["status"] == status)
            .and_then(|c| c["lastTransitionTime"].as_str())
            .unwrap_or(now);
        let mut c = Map::new();
        c.insert("lastProbeTime".into(), Value::Null);
        c.insert("lastTransitionTime".into(), json!(since));
        if let Some((reason, message)) = reason.filter(|_| !ok) {
            c.insert("message".into(), json!(message));
            c.insert("reason".into(), json!(reason));
        }
        c.insert("status".into(), json!(status));
        c.insert("type".into(), json!(kind));
        Value::Object(c)
    };
    let not_ready = Some(("ContainersNotReady", why.as_str()));
    let conditions = vec![
        condition("PodReadyToStartContainers", run.sandbox_ready, None),
        condition("Initialized", true, None),
        condition("Ready", all_ready, not_ready),
        condition("ContainersReady", all_ready, not_ready),
        condition("PodScheduled", true, None),
    ];
    let mut s = Map::new();
    s.insert("phase".into(), json!(phase(&statuses)));
    s.insert("conditions".into(), Value::Array(conditions));
    if let Some(p) = &run.placement {
        s.insert("hostIP".into(), json!(p.host_ip));
        s.insert("hostIPs".into(), json!([{"ip": p.host_ip}]));
        if run.sandbox_ready {
            s.insert("podIP".into(), json!(p.pod_ip));
            s.insert("podIPs".into(), json!([{"ip": p.pod_ip}]));
        }
    }
    if let Some(t) = &run.start_time {
        s.insert("startTime".into(), json!(t));
    }
    s.insert("containerStatuses".into(), Value::Array(statuses));
    s.insert(
        "qosClass".into(),
        old["qosClass"].clone().as_str().map_or_else(
            || json!(crate::sandbox::scenario::pods::qos_class(&pod["spec"])),
            |q| json!(q),
        ),
    );
    Value::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctr(step: Step) -> Ctr {
        Ctr {
            step,
            ..Ctr::waiting(
                "front-end".into(),
                "front-end:1".into(),
                false,
                Duration::ZERO,
                Duration::ZERO,
            )
        }
    }

    #[test]
    fn waiting_states_speak_the_kubelets_words() {
        let now = Instant::now();
        let c = ctr(Step::PullBackOff {
            message: "rpc error: not found".into(),
            retry_at: now,
        });
        let (state, _) = states(&c, "p", "ns", "u");
        assert_eq!(
            state["waiting"]["message"],
            "Back-off pulling image \"front-end:1\": ErrImagePull: rpc error: not found"
        );
        let mut c = ctr(Step::Exited {
            terminated: json!({"exitCode": 1}),
            restart_at: now,
            back_off: Some(Duration::from_secs(80)),
        });
        c.restarts = 3;
        let (state, last) = states(&c, "p", "ns", "u");
        assert_eq!(state["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(
            state["waiting"]["message"],
            "back-off 1m20s restarting failed container=front-end pod=p_ns(u)"
        );
        assert_eq!(last["terminated"]["exitCode"], 1);
        let s = container_status(&c, "p", "ns", "u");
        assert_eq!(phase(&[s]), "Running");
        let pending = container_status(&ctr(Step::Waiting), "p", "ns", "u");
        assert_eq!(phase(std::slice::from_ref(&pending)), "Pending");
        assert!(pending.get("containerID").is_none());
        assert_eq!(pending["state"]["waiting"]["reason"], "ContainerCreating");
    }

    #[test]
    fn conditions_keep_their_transition_time_while_unchanged() {
        let run = PodRun {
            uid: "u".into(),
            adopted: false,
            schedule_at: None,
            placement: None,
            start_time: Some("t0".into()),
            sandbox_at: None,
            sandbox_ready: false,
            containers: vec![ctr(Step::Waiting)],
            kill_at: None,
        };
        let pod = json!({"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {}});
        let first = render(&json!({}), &pod, &run, "t1");
        assert_eq!(first["conditions"][2]["type"], "Ready");
        assert_eq!(
            first["conditions"][2]["message"],
            "containers with unready status: [front-end]"
        );
        let again = render(&first, &pod, &run, "t2");
        assert_eq!(again["conditions"][2]["lastTransitionTime"], "t1");
        assert_eq!(again["phase"], "Pending");
        assert_eq!(again["qosClass"], "BestEffort");
    }
}
