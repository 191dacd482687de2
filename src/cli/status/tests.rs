use super::*;
use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::key::Kind;
use crate::model::object::Object;
use crate::state::{Session, Update};
use crate::state::{State, WatchState};
use serde_json::json;

fn ks(name: &str, ready: &str, suspend: bool) -> Update {
    let v = json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
        "spec": {"suspend": suspend, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {"observedGeneration": 1, "lastAppliedRevision": "main@sha1:abc",
            "conditions": [{"type": "Ready", "status": ready, "reason": "ReconciliationSucceeded",
                            "message": "Applied revision: main@sha1:abc"}]}
    });
    Update::Applied(Object::parse(Kind::Kustomization, &v).unwrap())
}

fn state(updates: Vec<Update>) -> State {
    let mut s = State::new(crate::state::PodsWatch::Namespace("sock-shop".into()));
    s.apply(Update::Session(Session {
        context: Some("ctx".into()),
        namespace: None,
        ..Session::default()
    }));
    for u in updates {
        s.apply(u);
    }
    s
}

#[test]
fn all_ready_is_ok_and_a_failing_or_suspended_object_is_not() {
    let good = report(&state(vec![ks("apps", "True", false)]));
    assert!(good.ok);
    assert_eq!(
        good.kustomizations[0].revision.as_deref(),
        Some("main@sha1:abc")
    );
    assert_eq!(good.context.as_deref(), Some("ctx"));
    let failing = report(&state(vec![
        ks("apps", "True", false),
        ks("infra", "False", false),
    ]));
    assert!(!failing.ok);
    assert_eq!(failing.kustomizations[1].status, "Failed");
    let suspended = report(&state(vec![ks("apps", "True", true)]));
    assert!(!suspended.ok);
    assert!(suspended.kustomizations[0].suspended);
    assert!(suspended.lanes.is_empty());
}

#[test]
fn a_periodic_reconcile_is_healthy_and_an_unreconciled_spec_is_not() {
    let status = |generation: i64, observed: i64| {
        FluxStatus::parse(&json!({
            "metadata": {"generation": generation},
            "status": {"observedGeneration": observed, "conditions": [
                {"type": "Reconciling", "status": "True", "reason": "Progressing"},
                {"type": "Ready", "status": "Unknown", "reason": "Progressing",
                 "message": "Reconciliation in progress"}]}
        }))
    };
    assert_eq!(status(3, 3).readiness(), Readiness::Progressing);
    assert!(healthy(&status(3, 3)));
    assert!(!healthy(&status(4, 3)));
    assert!(!healthy(&FluxStatus::parse(
        &json!({"metadata": {"generation": 1}})
    )));
}

#[test]
fn forbidden_kinds_fail_and_kinds_not_served_are_only_reported() {
    let not_served = Update::Watch {
        kind: Kind::ImagePolicy,
        state: WatchState::NotServed {
            reason: "not installed".into(),
        },
    };
    let r = report(&state(vec![ks("apps", "True", false), not_served.clone()]));
    assert!(r.ok);
    assert_eq!(r.unavailable[0].state, "notServed");
    let forbidden = Update::Watch {
        kind: Kind::Bucket,
        state: WatchState::Forbidden {
            permission: "list buckets".into(),
        },
    };
    let r = report(&state(vec![ks("apps", "True", false), forbidden]));
    assert!(!r.ok);
    assert!(r.unavailable[0].reason.contains("list buckets"));
}

#[test]
fn the_table_aligns_columns_per_kind() {
    let r = report(&state(vec![
        ks("apps", "True", false),
        ks("infrastructure", "False", true),
    ]));
    let text = table(&r);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("NAMESPACE     NAME "), "{text}");
    let col = |l: &str| l.find("main@sha1").unwrap();
    assert_eq!(col(lines[1]), col(lines[2]), "{text}");
    assert_eq!(lines[0].find("REVISION"), Some(col(lines[1])), "{text}");
    assert!(lines[2].contains("kustomization/infrastructure"), "{text}");
    assert!(lines[2].contains("True        False"), "{text}");
}

#[test]
fn durations_read_like_the_flux_cli() {
    assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert!(parse_duration("soon").unwrap_err().contains("30s"));
    assert!(parse_duration("0s").is_err());
}
