//! The log task of the cluster worker against the sandbox's live workloads: it follows a
//! crash-looping container from one instance to the next (marking each restart), says in
//! the API's words why there is nothing to read, and reads a previous instance once.

use std::time::Duration;

use crate::support::workloads::*;
use fluxdeck::model::key::{Kind, ObjectKey};
use fluxdeck::sandbox::apiserver::faults::{DenyRule, FaultRequest};
use fluxdeck::state::{LogEvent, LogSession, LogStatus, LogTarget, Update};
use fluxdeck::workers::cluster::logs;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::mpsc;

async fn client(w: &World) -> kube::Client {
    let kc = Kubeconfig::from_yaml(&fluxdeck::sandbox::Sandbox::kubeconfig(&w.sandbox))
        .expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig is usable");
    kube::Client::try_from(config).expect("client")
}

fn target(pod: &str, previous: bool) -> LogTarget {
    LogTarget {
        pod: ObjectKey::new(Kind::Pod, NS, pod),
        container: Some("web".into()),
        previous,
    }
}

/// Collects the task's events until `done` holds for them (at most 60 s).
async fn collect(
    rx: &mut mpsc::Receiver<Update>,
    session: LogSession,
    done: impl Fn(&[LogEvent]) -> bool,
) -> Vec<LogEvent> {
    let mut events = Vec::new();
    let wait = async {
        while let Some(update) = rx.recv().await {
            if let Update::Log { session: s, event } = update {
                assert_eq!(s, session);
                events.push(event);
                if done(&events) {
                    return;
                }
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .is_err()
    {
        panic!("timed out; events so far: {events:#?}");
    }
    events
}

/// The name of the first pod the world runs, once there is one.
async fn first_pod(w: &World) -> String {
    w.until("a pod", || async {
        w.items("pods")
            .await
            .first()
            .map(|p| s(&p["metadata"]["name"]).to_string())
    })
    .await
}

fn crash_lines(events: &[LogEvent]) -> usize {
    events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Lines(lines) => Some(lines),
            _ => None,
        })
        .flatten()
        .filter(|l| l.as_str() == "Error: SESSION_REDIS_URL is not set")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_container_is_followed_across_restarts() {
    let w = world().await;
    w.create_deployment(deployment("web", 1, "nginx:crash"))
        .await;
    let pod = first_pod(&w).await;
    let client = client(&w).await;
    let (tx, mut rx) = mpsc::channel(64);
    let session = LogSession(7);
    let task = tokio::spawn(logs::run(client.clone(), session, target(&pod, false), tx));
    // Two instances' output, a restart marker between them.
    let events = collect(&mut rx, session, |e| crash_lines(e) >= 2).await;
    let marker = events
        .iter()
        .position(|e| matches!(e, LogEvent::Marker(m) if m.contains("web restarted")))
        .unwrap_or_else(|| panic!("no restart marker: {events:#?}"));
    assert_eq!(crash_lines(&events[..marker]), 1, "{events:#?}");
    assert!(events.contains(&LogEvent::Status(LogStatus::Streaming)));
    task.abort();

    // The previous instance, read once: its output, then the end.
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(logs::run(client, LogSession(8), target(&pod, true), tx));
    let events = collect(&mut rx, LogSession(8), |e| {
        matches!(e.last(), Some(LogEvent::Status(LogStatus::Ended(_))))
    })
    .await;
    assert_eq!(crash_lines(&events), 1, "{events:#?}");
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_that_never_started_says_why_and_a_gone_pod_says_so() {
    let w = world().await;
    w.create_deployment(deployment("web", 1, "nginx:missing"))
        .await;
    let pod = first_pod(&w).await;
    // Wait for the pull to fail, so the API has its reason.
    w.until("the pull to fail", || async {
        w.items("pods").await.into_iter().find(|p| {
            matches!(
                waiting_reason(p).as_str(),
                "ErrImagePull" | "ImagePullBackOff"
            )
        })
    })
    .await;
    let client = client(&w).await;
    let (tx, mut rx) = mpsc::channel(64);
    let session = LogSession(1);
    let task = tokio::spawn(logs::run(client.clone(), session, target(&pod, false), tx));
    let events = collect(&mut rx, session, |e| {
        e.iter()
            .any(|e| matches!(e, LogEvent::Status(LogStatus::Failed(_))))
    })
    .await;
    let Some(LogEvent::Status(LogStatus::Failed(why))) = events.last() else {
        panic!("{events:#?}");
    };
    assert!(
        why.starts_with(&format!(
            "container \"web\" in pod \"{pod}\" is waiting to start:"
        )),
        "{why}"
    );
    task.abort();

    // A forbidden log: the API's 403 message, in one line.
    w.sandbox.faults.apply(&FaultRequest {
        deny: vec![DenyRule {
            verb: "get".into(),
            resource: "pods".into(),
            group: None,
            namespace: None,
            subresource: Some("log".into()),
        }],
        ..FaultRequest::default()
    });
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(logs::run(
        client.clone(),
        LogSession(3),
        target(&pod, true),
        tx,
    ));
    let events = collect(&mut rx, LogSession(3), |e| !e.is_empty()).await;
    let [LogEvent::Status(LogStatus::Failed(why))] = events.as_slice() else {
        panic!("{events:#?}");
    };
    assert!(
        why.contains("forbidden") && why.contains("pods/log"),
        "{why}"
    );
    task.await.unwrap();
    w.sandbox.faults.apply(&FaultRequest {
        allow: true,
        ..FaultRequest::default()
    });

    // A pod that does not exist.
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(logs::run(client, LogSession(2), target("nope", true), tx));
    let events = collect(&mut rx, LogSession(2), |e| !e.is_empty()).await;
    assert_eq!(
        events,
        [LogEvent::Status(LogStatus::Failed(
            "pods \"nope\" not found".into()
        ))]
    );
    task.await.unwrap();
}
