//! The log view, headless: `l` on a pod asks the worker for its log, the lines the worker
//! sends are drawn (escaped), scrolling pauses and `G` follows again, `/` finds, `p` asks
//! for the previous instance, `w` wraps, Tab changes the container, Esc closes and stops
//! the stream; `l` on a Kustomization reads one pod of its workloads.

use crate::support::ui::{Harness, fixture, pipeline};
use fluxdeck::model::key::{Kind, ObjectKey};
use fluxdeck::model::object::Object;
use fluxdeck::state::{Command, LogEvent, LogSession, LogStatus, LogTarget, Update};
use serde_json::json;

fn opened(h: &mut Harness) -> (LogSession, LogTarget) {
    let sent = h.sent();
    match sent.as_slice() {
        [.., Command::OpenLogs { session, target }] => (*session, target.clone()),
        other => panic!("no OpenLogs sent: {other:?}"),
    }
}

fn lines(session: LogSession, lines: &[&str]) -> Update {
    Update::Log {
        session,
        event: LogEvent::Lines(lines.iter().map(|l| l.to_string()).collect()),
    }
}

fn pods_pane() -> Harness {
    let mut h = Harness::new(120, 35);
    h.updates(pipeline());
    h.keys("Tab Tab Tab Tab");
    h.sent();
    h
}

#[test]
fn l_on_a_pod_follows_its_log_and_esc_stops_it() {
    let mut h = pods_pane();
    h.keys("l");
    let (session, target) = opened(&mut h);
    assert_eq!(target.pod.name.as_str(), "carts-7f9c6d8b4d-x2kqp");
    assert_eq!(target.container.as_deref(), Some("carts"));
    assert!(!target.previous);
    let screen = h.screen();
    assert!(
        screen.contains("Logs sock-shop/carts-7f9c6d8b4d-x2kqp"),
        "{screen}"
    );
    assert!(screen.contains("following"), "{screen}");
    assert!(screen.contains("… connecting"), "{screen}");

    let many: Vec<String> = (0..100).map(|i| format!("request {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    h.updates([lines(session, &many)]);
    let screen = h.screen();
    assert!(
        screen.contains("request 99"),
        "the newest line shows: {screen}"
    );
    assert!(!screen.contains("request 0\n"), "{screen}");
    // A new line arrives: still at the bottom.
    h.updates([lines(session, &["request 100"])]);
    assert!(h.screen().contains("request 100"));

    // Scrolling up pauses; new lines no longer move the view; G follows again.
    h.keys("k");
    let screen = h.screen();
    assert!(screen.contains("paused"), "{screen}");
    assert!(!screen.contains("request 100"), "{screen}");
    h.updates([lines(session, &["request 101"])]);
    assert!(!h.screen().contains("request 101"));
    h.keys("G");
    let screen = h.screen();
    assert!(
        screen.contains("following") && screen.contains("request 101"),
        "{screen}"
    );
    // Scrolling back down to the end follows too.
    h.keys("k k j");
    assert!(h.screen().contains("paused"));
    h.keys("j");
    assert!(h.screen().contains("following"));

    // Lines of another (closed) stream are not shown.
    h.updates([lines(LogSession(session.0 + 100), &["stranger"])]);
    h.updates([lines(session, &["request 102"])]);
    assert!(!h.screen().contains("stranger"));

    // Help from the log view lists the view's keys, and goes back to the view.
    h.keys("?");
    let screen = h.screen();
    assert!(
        screen.contains("log view: G follow · p previous · w wrap"),
        "{screen}"
    );
    assert!(
        screen.contains("l            pod logs (follow)"),
        "{screen}"
    );
    h.keys("Esc");
    assert!(h.screen().contains("Logs sock-shop/carts"));
    assert!(h.sent().is_empty());

    h.keys("Esc");
    assert_eq!(h.sent(), [Command::CloseLogs { session }]);
    let screen = h.screen();
    assert!(!screen.contains("Logs sock-shop"), "{screen}");
    assert!(screen.contains("Pods"), "{screen}");
}

#[test]
fn search_previous_and_wrap() {
    let mut h = pods_pane();
    h.keys("l");
    let (session, _) = opened(&mut h);
    let mut all: Vec<String> = (0..60).map(|i| format!("ok {i}")).collect();
    all[10] = "ERROR: first failure".into();
    all[50] = "error: second failure".into();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    h.updates([lines(session, &all)]);

    // `/error` Enter: the newest match, paused on it; n and N move between matches.
    h.keys("/").type_text("error").keys("Enter");
    let screen = h.screen();
    assert!(screen.contains("/error (2 matches)"), "{screen}");
    assert!(screen.contains("paused"), "{screen}");
    let first_row = |h: &mut Harness| {
        let screen = h.screen();
        screen
            .lines()
            .nth(2)
            .map(|l| l.trim_matches(|c| c == '│' || c == ' ').to_string())
            .unwrap()
    };
    assert_eq!(first_row(&mut h), "error: second failure");
    h.keys("n");
    assert_eq!(first_row(&mut h), "ERROR: first failure");
    h.keys("N");
    assert_eq!(first_row(&mut h), "error: second failure");
    // Up from a match near the end moves one line.
    h.keys("k");
    assert_eq!(first_row(&mut h), "ok 49");

    // Wrap: a long line shows whole.
    let long = format!("{}END", "x".repeat(200));
    h.keys("G");
    h.updates([lines(session, &[&long])]);
    assert!(!h.screen().contains("END"));
    h.keys("w");
    let screen = h.screen();
    assert!(
        screen.contains("wrap") && screen.contains("END"),
        "{screen}"
    );

    // p: the previous instance, as a new stream; the API's refusal shows as one line.
    h.keys("p");
    let sent = h.sent();
    assert!(matches!(sent.first(), Some(Command::CloseLogs { session: s }) if *s == session));
    let (previous, target) = match sent.last() {
        Some(Command::OpenLogs { session, target }) => (*session, target.clone()),
        other => panic!("{other:?}"),
    };
    assert!(target.previous);
    assert_ne!(previous, session);
    let refusal =
        "previous terminated container \"carts\" in pod \"carts-7f9c6d8b4d-x2kqp\" not found";
    h.updates([Update::Log {
        session: previous,
        event: LogEvent::Status(LogStatus::Failed(refusal.into())),
    }]);
    let screen = h.screen();
    assert!(screen.contains("previous"), "{screen}");
    assert!(screen.contains(&format!("✗ {refusal}")), "{screen}");
    assert!(!screen.contains("first failure"), "{screen}");
    h.keys("p");
    let sent = h.sent();
    assert!(matches!(sent.last(), Some(Command::OpenLogs { target, .. }) if !target.previous));
}

#[test]
fn control_characters_from_a_container_never_reach_the_screen() {
    let mut h = pods_pane();
    h.keys("l");
    let (session, _) = opened(&mut h);
    h.updates([lines(
        session,
        &["\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7}text\u{8}"],
    )]);
    let screen = h.screen();
    assert!(screen.contains("red text^H"), "{screen}");
    assert!(
        !screen.contains('\u{1b}') && !screen.contains("pwned"),
        "{screen}"
    );
}

#[test]
fn tab_chooses_among_several_containers() {
    let mut h = Harness::new(120, 35);
    h.updates(pipeline());
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "aaa-two", "namespace": "sock-shop", "uid": "u-1",
                     "creationTimestamp": "2026-07-01T09:05:00Z"},
        "spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "proxy", "image": "p:1"}],
                 "initContainers": [{"name": "migrate", "image": "m:1"}]},
        "status": {"phase": "Running"}
    });
    h.updates([Update::Applied(Object::from_value(&pod).unwrap())]);
    h.keys("Tab Tab Tab Tab /")
        .type_text("aaa-two")
        .keys("Enter l");
    let (_, target) = opened(&mut h);
    assert_eq!(target.pod.name.as_str(), "aaa-two");
    assert_eq!(target.container.as_deref(), Some("app"));
    assert!(h.screen().contains("app (1/3)"));
    h.keys("Tab");
    let (_, target) = opened(&mut h);
    assert_eq!(target.container.as_deref(), Some("proxy"));
    assert!(h.screen().contains("proxy (2/3)"));
    h.keys("Tab");
    assert_eq!(opened(&mut h).1.container.as_deref(), Some("migrate"));
    h.keys("Shift-Tab Shift-Tab");
    assert_eq!(opened(&mut h).1.container.as_deref(), Some("app"));
}

#[test]
fn l_on_a_kustomization_reads_a_pod_of_its_workloads() {
    let mut h = Harness::new(120, 35);
    h.updates(pipeline());
    // Without workloads in its inventory there is no pod to pick.
    h.keys("j j j l");
    assert!(h.sent().is_empty());
    assert!(h.screen().contains("has no pod of a workload"));
    let mut ks = fixture("kustomization-sock-shop.json");
    for name in ["carts", "front-end"] {
        ks["status"]["inventory"]["entries"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": format!("sock-shop_{name}_apps_Deployment"), "v": "v1"}));
    }
    h.updates([Update::Applied(Object::from_value(&ks).unwrap())]);
    let sock_shop = ObjectKey::new(Kind::Kustomization, "sock-shop", "sock-shop");
    // Move the cursor to the sock-shop Kustomization.
    for _ in 0..10 {
        if h.app.ui().kustomizations.selected() == Some(&sock_shop) {
            break;
        }
        h.keys("j");
    }
    assert_eq!(h.app.ui().kustomizations.selected(), Some(&sock_shop));
    h.keys("l");
    let screen = h.screen();
    let (_, target) = opened(&mut h);
    assert_eq!(target.pod.namespace.as_str(), "sock-shop", "{screen}");
    // The newest ready pod of its workloads.
    assert_eq!(target.pod.name.as_str(), "front-end-6d8f9c7b5d-k7m2p");
    let screen = h.screen();
    assert!(
        screen.contains("following · Deployment/front-end of sock-shop/sock-shop"),
        "{screen}"
    );

    // A rollout replaces the pod: the view moves to the pod picked now.
    let session = h.app.ui().logs.as_ref().unwrap().session;
    h.updates([Update::Deleted(target.pod.clone())]);
    let sent = h.sent();
    assert!(
        matches!(sent.first(), Some(Command::CloseLogs { session: s }) if *s == session),
        "{sent:?}"
    );
    let Some(Command::OpenLogs { target: next, .. }) = sent.last() else {
        panic!("{sent:?}");
    };
    assert_eq!(next.pod.name.as_str(), "carts-7f9c6d8b4d-x2kqp");
    let screen = h.screen();
    assert!(
        screen.contains("Logs sock-shop/carts-7f9c6d8b4d-x2kqp"),
        "{screen}"
    );
    assert!(
        screen.contains("front-end-6d8f9c7b5d-k7m2p is gone"),
        "{screen}"
    );
}

#[test]
fn log_lines_stay_out_of_recordings() {
    use fluxdeck::ui::record::{self, Entry, Recorder};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec.jsonl");
    let mut h = pods_pane();
    let placeholder = Harness::new(20, 10).app;
    let app = std::mem::replace(&mut h.app, placeholder);
    h.app = app.with_recorder(Recorder::create(&path).unwrap());
    h.keys("l");
    let (session, _) = opened(&mut h);
    h.updates([lines(session, &["secret-ish output"])]);
    h.updates([Update::Log {
        session,
        event: LogEvent::Status(LogStatus::Streaming),
    }]);
    h.keys("Esc");
    let entries = record::read(&path).unwrap();
    assert!(entries.iter().any(|e| matches!(
        e,
        Entry::Command {
            command: Command::OpenLogs { .. },
            ..
        }
    )));
    assert!(
        !entries.iter().any(|e| matches!(
            e,
            Entry::Update {
                update: Update::Log { .. },
                ..
            }
        )),
        "{entries:?}"
    );
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("secret-ish")
    );
}
