//! Snapshots of the whole app, headless, at 80x24 and 160x48, over fixed states built
//! from fixtures through `Update`s and driven by keys through the real keymap.
//!
//! Review changes with `cargo insta review`; under `CI=true` any difference fails.

use crate::support::ui::{Harness, ago, fixture, items, object, pipeline, pipeline_with};
use fluxdeck::model::event::KubeEvent;
use fluxdeck::model::key::{Kind, ObjectKey};
use fluxdeck::model::object::Object;
use fluxdeck::state::{
    ActionEvent, ActionId, ActionKind, ActionPhase, Command, Permission, Update, WatchState,
};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, harness: &mut Harness) {
    let (w, h) = {
        let area = harness.terminal.backend().buffer().area;
        (area.width, area.height)
    };
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), harness.screen());
}

fn sock_shop() -> ObjectKey {
    ObjectKey::new(Kind::Kustomization, "sock-shop", "sock-shop")
}

#[test]
fn not_connected() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        snap("not_connected", &mut ui);
        // Actions are refused locally with a reason, nothing is sent.
        ui.keys("s");
        assert!(
            ui.screen()
                .contains("not connected to a cluster: suspend not sent")
        );
        assert!(ui.sent().is_empty());
    }
}

#[test]
fn sock_shop_pipeline() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        snap("pipeline", &mut ui);
    }
}

#[test]
fn failing_kustomization_with_a_crash_looping_rollout() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline_with(
            "kustomization-sock-shop-failing.json",
            "pods-front-end-crashloop.json",
        ));
        ui.keys("G");
        snap("failing", &mut ui);
    }
}

#[test]
fn failing_kustomization_details() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline_with(
        "kustomization-sock-shop-failing.json",
        "pods-sock-shop.json",
    ));
    ui.keys("G Enter");
    assert_eq!(ui.sent(), vec![Command::FetchDetails { key: sock_shop() }]);
    ui.updates([
        Update::Details {
            key: sock_shop(),
            object: fixture("kustomization-sock-shop-failing.json"),
            related: vec![],
        },
        Update::Events {
            key: sock_shop(),
            events: items("events-sock-shop.json")
                .iter()
                .map(KubeEvent::parse)
                .chain([KubeEvent::parse(&serde_json::json!({
                    "type": "Warning", "reason": "BuildFailed", "count": 3,
                    "message": "kustomize build failed: accumulating resources from '../../base': must resolve to a file",
                    "lastTimestamp": "2026-08-07T11:55:03Z",
                    "source": {"component": "kustomize-controller"}
                }))])
                .collect(),
        },
    ]);
    snap("failing_details", &mut ui);
    ui.keys("Tab");
    snap("failing_events", &mut ui);
}

#[test]
fn suspended_kustomization() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline_with(
            "kustomization-sock-shop-suspended.json",
            "pods-sock-shop.json",
        ));
        ui.keys("G");
        snap("suspended", &mut ui);
        // Reconciling a suspended object is refused with Flux's message.
        ui.keys("f");
        assert!(
            ui.screen().contains("resource is suspended"),
            "{}",
            ui.screen()
        );
        assert!(ui.sent().is_empty());
    }
}

#[test]
fn retrying_connection() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        ui.updates([
            Update::Watch {
                kind: Kind::Kustomization,
                state: WatchState::Retrying {
                    since: ago(42),
                    reason: "connection refused (127.0.0.1:6443)".into(),
                    retry_in: std::time::Duration::from_millis(1500),
                },
            },
            Update::Watch {
                kind: Kind::Pod,
                state: WatchState::Retrying {
                    since: ago(40),
                    reason: "connection refused (127.0.0.1:6443)".into(),
                    retry_in: std::time::Duration::from_millis(1500),
                },
            },
        ]);
        snap("retrying", &mut ui);
    }
}

#[test]
fn read_only() {
    for (w, h) in SIZES {
        let mut ui = Harness::with(w, h, true, "default");
        ui.updates(pipeline());
        ui.keys("G s");
        snap("read_only", &mut ui);
        assert!(ui.sent().is_empty(), "read-only sends nothing");
    }
}

#[test]
fn forbidden_actions_are_unavailable() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline());
    ui.updates([Update::Access {
        permission: Permission::patch(&sock_shop()),
        allowed: false,
    }]);
    ui.keys("G r");
    snap("forbidden", &mut ui);
    assert!(ui.sent().is_empty());
    ui.keys("?");
    snap("forbidden_help", &mut ui);
}

#[test]
fn help() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        ui.keys("?");
        snap("help", &mut ui);
    }
}

#[test]
fn details_mask_secret_values() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        ui.keys("Tab j Enter");
        let tenant = ObjectKey::new(Kind::GitRepository, "sock-shop", "sock-shop-tenant");
        assert_eq!(
            ui.sent(),
            vec![Command::FetchDetails {
                key: tenant.clone()
            }]
        );
        ui.updates([Update::Details {
            key: tenant,
            object: fixture("gitrepository-sock-shop-tenant.json"),
            related: vec![fixture("secret-basic-auth.json")],
        }]);
        ui.keys("Shift-Tab G");
        let screen = ui.screen();
        for secret in [
            "czNjcjN0LXBhc3N3MHJk",
            "Zmx1eGNkYm90",
            "ghp-not-a-real-token",
        ] {
            assert!(!screen.contains(secret), "{screen}");
        }
        snap("details_secret", &mut ui);
    }
}

#[test]
fn details_mask_a_password_in_a_url() {
    const TOKEN: &str = "TOKEN-not-a-real-one";
    let url =
        format!("https://alice:{TOKEN}@git-codecommit.eu-west-1.amazonaws.com/v1/repos/sock-shop");
    let mut repo = fixture("gitrepository-sock-shop-tenant.json");
    repo["spec"]["url"] = url.clone().into();
    repo["status"]["conditions"][0]["message"] = format!("failed to checkout '{url}'").into();
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    ui.updates([Update::Applied(Object::from_value(&repo).unwrap())]);
    ui.keys("Tab j Enter");
    let tenant = ObjectKey::new(Kind::GitRepository, "sock-shop", "sock-shop-tenant");
    ui.updates([Update::Details {
        key: tenant,
        object: repo,
        related: vec![],
    }]);
    let mut seen = ui.screen();
    assert!(!seen.contains(TOKEN), "{seen}");
    ui.keys("Shift-Tab g");
    for _ in 0..6 {
        let screen = ui.screen();
        assert!(!screen.contains(TOKEN), "{screen}");
        seen.push_str(&screen);
        ui.keys("PageDown");
    }
    assert!(seen.contains("alice:********@git-codecommit"), "{seen}");
    assert!(
        seen.contains("url: https://alice:********@"),
        "the YAML: {seen}"
    );
}

#[test]
fn pods_follow_the_kustomization_under_the_cursor() {
    let mut ks = fixture("kustomization-sock-shop.json");
    ks["status"]["inventory"]["entries"] = serde_json::json!([
        {"id": "sock-shop_sock-shop_kustomize.toolkit.fluxcd.io_Kustomization", "v": "v1"},
        {"id": "sock-shop_front-end_apps_Deployment", "v": "v1"},
        {"id": "sock-shop_front-end__Service", "v": "v1"},
        {"id": "sock-shop_carts_apps_Deployment", "v": "v1"},
    ]);
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    ui.updates([Update::Applied(Object::from_value(&ks).unwrap())]);
    // The first row (flux-system/apps) applied no workload: every watched pod.
    let screen = ui.screen();
    assert!(screen.contains("Pods · sock-shop (14)"), "{screen}");
    assert!(screen.contains("user-db-"), "{screen}");
    // On sock-shop/sock-shop: the pods of its two Deployments, and the title says whose.
    ui.keys("G");
    let screen = ui.screen();
    assert!(
        screen.contains("Pods · workloads of sock-shop/sock-shop (2)"),
        "{screen}"
    );
    assert!(screen.contains("front-end-6d8f9c7b5d-k7m2p"), "{screen}");
    assert!(screen.contains("carts-7f9c6d8b4d-x2kqp"), "{screen}");
    assert!(!screen.contains("carts-db-"), "{screen}");
    assert!(!screen.contains("user-db-"), "{screen}");
    // The state still holds every watched pod (the release lanes read them).
    ui.keys("g");
    assert!(ui.screen().contains("Pods · sock-shop (14)"));
}

#[test]
fn filter_active() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        ui.keys("/").type_text("sock");
        snap("filter_typing", &mut ui);
        ui.keys("Enter");
        snap("filter_kept", &mut ui);
    }
}

#[test]
fn confirmation_dialogs() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        ui.keys("G s");
        snap("confirm_suspend", &mut ui);
        ui.keys("n");
        assert!(ui.sent().is_empty(), "no is no");
        ui.keys("g Space j Space f");
        snap("confirm_several", &mut ui);
        ui.keys("y");
        let sent = ui.sent();
        assert_eq!(
            sent,
            vec![Command::Reconcile {
                id: ActionId(1),
                keys: vec![
                    ObjectKey::new(Kind::Kustomization, "flux-system", "apps"),
                    ObjectKey::new(Kind::Kustomization, "flux-system", "flux-system"),
                ],
                with_source: false,
            }]
        );
    }
}

#[test]
fn narrow_tabs() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline());
    ui.keys("Tab Tab");
    snap("tabs_images", &mut ui);
    ui.keys("Tab Tab");
    snap("tabs_pods", &mut ui);
}

#[test]
fn action_progress_in_the_status_strip() {
    for (w, h) in SIZES {
        let mut ui = Harness::new(w, h);
        ui.updates(pipeline());
        ui.keys("G F");
        assert_eq!(
            ui.sent(),
            vec![Command::Reconcile {
                id: ActionId(1),
                keys: vec![sock_shop()],
                with_source: true,
            }]
        );
        ui.clock.advance(1);
        ui.updates([Update::Action(ActionEvent {
            id: ActionId(1),
            action: ActionKind::ReconcileWithSource,
            key: sock_shop(),
            at: ui.clock_now(),
            phase: ActionPhase::Running(
                "waiting for GitRepository sock-shop/sock-shop-tenant".into(),
            ),
        })]);
        ui.clock.advance(4);
        snap("action_running", &mut ui);
        ui.updates([
            Update::Applied(object("kustomization-sock-shop.json")),
            Update::Action(ActionEvent {
                id: ActionId(1),
                action: ActionKind::ReconcileWithSource,
                key: sock_shop(),
                at: ui.clock_now(),
                phase: ActionPhase::Succeeded(
                    "applied revision main@sha1:9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f".into(),
                ),
            }),
        ]);
        snap("action_done", &mut ui);
    }
}

#[test]
fn details_tables_keep_their_columns_apart() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline());
    // The pods pane, first pod.
    ui.keys("Tab Tab Tab Tab Enter");
    let Some(Command::FetchDetails { key }) = ui.sent().pop() else {
        panic!("no details request")
    };
    assert_eq!(key.kind, Kind::Pod);
    let mut pod = items("pods-sock-shop.json")
        .into_iter()
        .find(|p| p["metadata"]["name"] == key.name.as_str())
        .unwrap();
    let condition = |type_: &str, status: &str, reason: &str| {
        serde_json::json!({"type": type_, "status": status, "reason": reason,
            "lastTransitionTime": "2026-08-07T11:50:00Z"})
    };
    pod["status"]["conditions"] = serde_json::json!([
        condition("PodReadyToStartContainers", "True", ""),
        condition("Initialized", "True", ""),
        condition("Ready", "False", "ContainersNotReadyAfterALongWait"),
        condition("PodScheduled", "True", ""),
    ]);
    let event = |type_: &str, reason: &str, count: u32, message: &str| {
        KubeEvent::parse(&serde_json::json!({
            "type": type_, "reason": reason, "count": count, "message": message,
            "lastTimestamp": "2026-08-07T11:55:03Z",
            "source": {"component": "kubelet"}
        }))
    };
    ui.updates([
        Update::Details {
            key: key.clone(),
            object: pod,
            related: vec![],
        },
        Update::Events {
            key,
            events: vec![
                event("Normal", "Pulled", 1, "Container image already present on machine"),
                event(
                    "Warning",
                    "BackOffPullingImageForAVeryLongTime",
                    4,
                    "Back-off pulling image \"123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24\"",
                ),
            ],
        },
    ]);
    let screen = ui.screen();
    // Each column starts where the widest cell before it ends, plus a gap.
    assert!(
        screen.contains("PodReadyToStartContainers  True "),
        "{screen}"
    );
    let ready = screen.lines().find(|l| l.contains("Ready  ")).unwrap();
    assert!(
        ready.contains("ContainersNotReadyAfterALongWait  10m ago"),
        "{screen}"
    );
    snap("pod_details", &mut ui);
    ui.keys("Tab");
    let screen = ui.screen();
    let (pulled, backoff) = (
        screen.lines().find(|l| l.contains("Pulled")).unwrap(),
        screen.lines().find(|l| l.contains("BackOff")).unwrap(),
    );
    let column = |line: &str| line.find("kubelet").map(|at| line[..at].chars().count());
    assert_eq!(
        column(pulled),
        column(backoff),
        "sources aligned:\n{screen}"
    );
    assert!(backoff.contains("×4  kubelet"), "{screen}");
    // A wrapped message reads whole: no part of it is cut at the frame.
    let message: String = screen
        .lines()
        .skip_while(|l| !l.contains("BackOff"))
        .skip(1)
        .take_while(|l| !l.contains("Pulled"))
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect();
    assert!(
        message.contains("weaveworksdemos/front-end:main-1f49071-24\""),
        "{message}\n{screen}"
    );
    snap("pod_events", &mut ui);
}
