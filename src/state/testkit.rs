//! Builders of one app (`shop/web`, image `reg.example/web`) as the workers feed it, shared
//! by the tests of the state, the lanes and the UI.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::model::commit::{Commit, ImageUpdate};
use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;
use crate::state::commits::CommitLog;
use crate::state::scans::{RegistryScan, ScanResult};
use crate::state::store::State;
use crate::state::update::Update;

use crate::state::lanes::{Lane, Release, Stuck};

pub(crate) const IMAGE: &str = "reg.example/web";

pub(crate) fn t(second: i64) -> Timestamp {
    Timestamp::from_second(1_786_104_000 + second).unwrap()
}

pub(crate) fn rfc(second: i64) -> String {
    t(second).to_string()
}

pub(crate) fn sha(n: u32) -> String {
    format!("{:08x}{}", n.wrapping_mul(2_654_435_761), "0".repeat(32))
}

pub(crate) fn policy_key() -> ObjectKey {
    ObjectKey::new(Kind::ImagePolicy, "shop", "web")
}

pub(crate) fn obj(kind: Kind, value: Value) -> Update {
    Update::Applied(Object::parse(kind, &value).unwrap())
}

pub(crate) fn repository(last_scan: i64, latest: &[&str], extra: Value) -> Update {
    let mut v = json!({
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"image": IMAGE, "interval": "1m"},
        "status": {"lastScanResult": {"scanTime": rfc(last_scan), "tagCount": latest.len(),
                   "latestTags": latest},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ok"}]}
    });
    merge(&mut v, extra);
    obj(Kind::ImageRepository, v)
}

pub(crate) fn policy(latest: Option<&str>, extra: Value) -> Update {
    let mut v = json!({
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"imageRepositoryRef": {"name": "web"},
                 "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<n>[0-9]+)$", "extract": "$n"},
                 "policy": {"numerical": {"order": "asc"}}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ok"}]}
    });
    if let Some(tag) = latest {
        v["status"]["latestRef"] = json!({"name": IMAGE, "tag": tag});
    }
    merge(&mut v, extra);
    obj(Kind::ImagePolicy, v)
}

pub(crate) fn automation(extra: Value) -> Update {
    let mut v = json!({
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"interval": "1m", "sourceRef": {"kind": "GitRepository", "name": "config"},
                 "git": {"commit": {"author": {"name": "fluxbot", "email": "flux@example.com"}},
                         "push": {"branch": "main"}},
                 "update": {"path": "./deploy", "strategy": "Setters"}},
        "status": {"lastAutomationRunTime": rfc(0),
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ok"}]}
    });
    merge(&mut v, extra);
    obj(Kind::ImageUpdateAutomation, v)
}

pub(crate) fn source(revision: u32, fetched: i64, extra: Value) -> Update {
    let mut v = json!({
        "metadata": {"name": "config", "namespace": "shop"},
        "spec": {"url": "https://git.example/config", "interval": "1m", "ref": {"branch": "main"}},
        "status": {"artifact": {"revision": format!("main@sha1:{}", sha(revision)),
                                "lastUpdateTime": rfc(fetched)},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ok"}]}
    });
    merge(&mut v, extra);
    obj(Kind::GitRepository, v)
}

pub(crate) fn kustomization(applied: u32, extra: Value) -> Update {
    let mut v = json!({
        "metadata": {"name": "apps", "namespace": "shop"},
        "spec": {"interval": "10m", "path": "./deploy", "sourceRef": {"kind": "GitRepository", "name": "config"}},
        "status": {"lastAppliedRevision": format!("main@sha1:{}", sha(applied)),
                   "inventory": {"entries": [{"id": "shop_web_apps_Deployment", "v": "v1"}]},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": "Applied"}]}
    });
    merge(&mut v, extra);
    obj(Kind::Kustomization, v)
}

pub(crate) fn pod(
    name: &str,
    tag: &str,
    ready: bool,
    status: Option<&str>,
    ready_at: i64,
) -> Update {
    let state = match status {
        Some(reason) => json!({"waiting": {"reason": reason}}),
        None => json!({"running": {}}),
    };
    obj(
        Kind::Pod,
        json!({
            "metadata": {"name": name, "namespace": "shop", "labels": {"pod-template-hash": "abc"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]},
            "spec": {"containers": [{"name": "web", "image": format!("{IMAGE}:{tag}")}]},
            "status": {"phase": "Running",
                       "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                                       "lastTransitionTime": rfc(ready_at)}],
                       "containerStatuses": [{"name": "web", "ready": ready, "restartCount": 3, "state": state}]}
        }),
    )
}

pub(crate) fn scan(tags: &[(&str, i64)]) -> Update {
    Update::RegistryScan(RegistryScan {
        repository: "shop/web".to_owned(),
        image: IMAGE.to_owned(),
        result: ScanResult::Tags {
            scanned_at: t(1000),
            tags: tags
                .iter()
                .map(|(tag, at)| ((*tag).to_owned(), Some(t(*at))))
                .collect(),
        },
    })
}

/// A log whose commit `n` (newest first, counting down to 1) wrote `tags[n]` when given.
pub(crate) fn log(head: u32, automation: &[(u32, &str)]) -> Update {
    log_with_marker(
        head,
        automation,
        "deploy/web/kustomization.yaml",
        "shop:web:tag",
    )
}

/// [`log`] whose head holds one setter marker, in `file`, naming `setter`.
pub(crate) fn log_with_marker(
    head: u32,
    automation: &[(u32, &str)],
    file: &str,
    setter: &str,
) -> Update {
    let commits = (1..=head)
        .rev()
        .map(|n| {
            let change = automation.iter().find(|(m, _)| *m == n);
            Commit {
                sha: sha(n),
                author: if change.is_some() { "fluxbot" } else { "alice" }.to_owned(),
                email: "x@example.com".to_owned(),
                time: t(i64::from(n) * 10),
                subject: format!("commit {n}"),
                automation: change.is_some(),
                changes: change
                    .map(|(_, tag)| {
                        vec![ImageUpdate {
                            setter: Some("shop:web:tag".to_owned()),
                            old: None,
                            new: (*tag).to_owned(),
                        }]
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    Update::Commits(CommitLog {
        key: "shop/config".to_owned(),
        repository: "https://git.example/config".to_owned(),
        branch: "refs/heads/main".to_owned(),
        commits,
        complete: true,
        markers: vec![crate::state::commits::SetterMarker {
            file: file.to_owned(),
            line: 12,
            setter: setter.to_owned(),
        }],
        ..CommitLog::default()
    })
}

pub(crate) fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(e)) = (base, extra) {
        for (k, v) in e {
            match b.get_mut(&k) {
                Some(slot @ Value::Object(_)) if v.is_object() => merge(slot, v),
                _ => {
                    b.insert(k, v);
                }
            }
        }
    }
}

/// Applies `updates` to `state` in order, each as received at second `at`.
pub(crate) fn feed(state: &mut State, updates: impl IntoIterator<Item = Update>, at: i64) {
    for u in updates {
        state.apply_at(u, t(at));
    }
}

/// The app as it runs `main-aaaaaaa-1` (commit 2 wrote it), at second 100.
pub(crate) fn running() -> State {
    let mut state = State::new(crate::state::command::PodsWatch::Namespace("shop".into()));
    feed(
        &mut state,
        [
            repository(90, &["main-aaaaaaa-1"], json!({})),
            policy(Some("main-aaaaaaa-1"), json!({})),
            automation(json!({})),
            source(2, 50, json!({})),
            kustomization(2, json!({})),
            pod("web-abc-2", "main-aaaaaaa-1", true, None, 70),
            pod("web-abc-1", "main-aaaaaaa-1", true, None, 60),
            log(2, &[(2, "main-aaaaaaa-1")]),
            scan(&[("main-aaaaaaa-1", 5), ("latest", 5)]),
        ],
        100,
    );
    state
}

/// The app's lane.
pub(crate) fn lane(state: &State) -> &Lane {
    state.lanes().get(&policy_key()).unwrap()
}

pub(crate) fn current(state: &State) -> Release {
    state
        .lanes()
        .get(&policy_key())
        .unwrap()
        .current()
        .unwrap()
        .clone()
}

pub(crate) fn stuck(state: &State, now: i64) -> Stuck {
    let lane = lane(state);
    state
        .stuck(lane, lane.current().unwrap(), t(now))
        .expect("stuck")
}
