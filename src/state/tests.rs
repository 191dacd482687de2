//! Unit tests of `State::apply`, fed the way the cluster worker will feed it.

use super::*;
use crate::model::commit::Commit;
use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;
use crate::model::testdata;
use jiff::Timestamp;

fn object(fixture: &str) -> Object {
    Object::from_value(&testdata::json(fixture)).unwrap()
}

fn ks_key(ns: &str, name: &str) -> ObjectKey {
    ObjectKey::new(Kind::Kustomization, ns, name)
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_786_104_000 + second).unwrap()
}

#[test]
fn applies_the_sock_shop_pipeline() {
    let mut state = State::new(PodsWatch::Namespace("sock-shop".into()));
    for fixture in [
        "kustomization-flux-system.json",
        "kustomization-apps.json",
        "kustomization-sock-shop.json",
        "gitrepository-sock-shop-tenant.json",
        "imagerepository-v1.json",
        "imagepolicy-v1.json",
        "imageupdateautomation-v1.json",
    ] {
        assert!(state.apply(Update::Applied(object(fixture))), "{fixture}");
    }
    for pod in testdata::items("pods-sock-shop.json") {
        assert!(state.apply(Update::Applied(Object::from_value(&pod).unwrap())));
    }
    assert_eq!(state.kustomizations().len(), 3);
    assert_eq!(state.sources().len(), 1);
    assert_eq!(state.pods().len(), 14);
    assert_eq!(state.image_chains().len(), 1);
    assert_eq!(state.image_chains()[0].automations.len(), 1);
    let names: Vec<_> = state
        .kustomizations()
        .iter()
        .map(|k| k.key.name.as_str())
        .collect();
    assert_eq!(names, ["apps", "flux-system", "sock-shop"]);
    assert_eq!(state.session().pods_scope(), "sock-shop");
    assert!(
        state
            .flux_status(&ks_key("sock-shop", "sock-shop"))
            .is_some()
    );
}

#[test]
fn an_identical_update_changes_nothing() {
    let mut state = State::default();
    assert!(state.apply(Update::Applied(object("kustomization-sock-shop.json"))));
    assert!(!state.apply(Update::Applied(object("kustomization-sock-shop.json"))));
    assert!(state.apply(Update::Applied(object(
        "kustomization-sock-shop-failing.json"
    ))));
    assert!(state.apply(Update::Deleted(ks_key("sock-shop", "sock-shop"))));
    assert!(!state.apply(Update::Deleted(ks_key("sock-shop", "sock-shop"))));
}

#[test]
fn a_relist_removes_what_was_not_re_seen() {
    let mut state = State::default();
    state.apply(Update::Applied(object("kustomization-flux-system.json")));
    state.apply(Update::Applied(object("kustomization-apps.json")));
    state.apply(Update::Applied(object("gitrepository-flux-system.json")));

    assert!(state.apply(Update::RelistStarted(Kind::Kustomization)));
    assert!(state.syncing(Kind::Kustomization));
    assert_eq!(state.connection(), Connection::Connecting);
    state.apply(Update::Relisted(object("kustomization-apps.json")));
    state.apply(Update::Relisted(object("kustomization-sock-shop.json")));
    assert_eq!(
        state.kustomizations().len(),
        2,
        "old rows stay until InitDone"
    );
    assert!(state.apply(Update::RelistDone(Kind::Kustomization)));

    let names: Vec<_> = state
        .kustomizations()
        .iter()
        .map(|k| k.key.name.as_str())
        .collect();
    assert_eq!(names, ["apps", "sock-shop"]);
    assert_eq!(state.sources().len(), 1, "other kinds are untouched");
    assert!(!state.syncing(Kind::Kustomization));
    assert_eq!(state.connection(), Connection::Connected);
}

#[test]
fn a_relist_of_one_source_kind_keeps_the_others() {
    let mut state = State::default();
    state.apply(Update::Applied(object("gitrepository-flux-system.json")));
    state.apply(Update::RelistStarted(Kind::OciRepository));
    state.apply(Update::RelistDone(Kind::OciRepository));
    assert_eq!(state.sources().len(), 1);
    state.apply(Update::RelistStarted(Kind::GitRepository));
    state.apply(Update::RelistDone(Kind::GitRepository));
    assert!(state.sources().is_empty());
}

#[test]
fn image_chains_follow_image_changes() {
    let mut state = State::default();
    state.apply(Update::Applied(object("imagepolicy-v1.json")));
    assert_eq!(state.image_chains().len(), 1);
    assert_eq!(state.image_chains()[0].repository, None);
    let rev = state.image_chains_revision();
    state.apply(Update::Applied(object("imagerepository-v1.json")));
    assert!(state.image_chains()[0].repository.is_some());
    assert!(state.image_chains_revision() > rev);
    state.apply(Update::Deleted(ObjectKey::new(
        Kind::ImagePolicy,
        "sock-shop",
        "sock-shop-front-end",
    )));
    assert_eq!(state.image_chains().len(), 1);
    assert_eq!(state.image_chains()[0].anchor.kind, Kind::ImageRepository);
}

#[test]
fn status_changes_of_image_objects_keep_the_chains_and_move_only_their_policys_pick() {
    let mut state = State::default();
    for fixture in [
        "imagerepository-v1.json",
        "imagepolicy-v1.json",
        "imageupdateautomation-v1.json",
    ] {
        state.apply(Update::Applied(object(fixture)));
    }
    let policy = ObjectKey::new(Kind::ImagePolicy, "sock-shop", "sock-shop-front-end");
    let rev = state.image_chains_revision();
    let pick = |s: &State| s.scans().next(&policy).cloned();
    let before = pick(&state);
    // A scan of fluxdeck's own: the policy's next pick moves, the chains stay.
    let mut repo = testdata::json("imagerepository-v1.json");
    let image = repo["spec"]["image"].as_str().unwrap().to_string();
    let scan = RegistryScan {
        repository: "sock-shop/sock-shop-front-end".into(),
        image: image.clone(),
        result: ScanResult::Tags {
            scanned_at: at(0),
            tags: vec![("main-aaaaaaa-99".into(), Some(at(-5)))],
        },
    };
    assert!(state.apply(Update::RegistryScan(scan)));
    assert_ne!(pick(&state), before, "the scan reaches the policy's pick");
    // A new scan result on the ImageRepository itself: a status change only.
    repo["status"]["lastScanResult"]["tagCount"] = serde_json::json!(99);
    assert!(state.apply(Update::Applied(Object::from_value(&repo).unwrap())));
    assert_eq!(state.image_chains_revision(), rev, "no chain rebuild");
    assert_eq!(state.image_chains().len(), 1);
    // A policy that reads another repository changes the chains.
    let mut other = testdata::json("imagepolicy-v1.json");
    other["spec"]["imageRepositoryRef"]["name"] = serde_json::json!("elsewhere");
    state.apply(Update::Applied(Object::from_value(&other).unwrap()));
    assert!(state.image_chains_revision() > rev);
    assert_eq!(
        state.image_chains().len(),
        2,
        "the repository stands alone now"
    );
}

#[test]
fn connection_reports_the_oldest_retrying_watcher() {
    let mut state = State::default();
    assert_eq!(state.connection(), Connection::NotConnected);
    state.apply(Update::Watch {
        kind: Kind::Kustomization,
        state: WatchState::Connected,
    });
    assert_eq!(state.connection(), Connection::Connected);
    for (kind, second) in [(Kind::Pod, 30), (Kind::GitRepository, 10)] {
        assert!(state.apply(Update::Watch {
            kind,
            state: WatchState::Retrying {
                since: at(second),
                reason: "connection refused".into(),
                retry_in: std::time::Duration::from_millis(1500),
            },
        }));
    }
    assert_eq!(
        state.connection(),
        Connection::Retrying {
            kind: Kind::GitRepository,
            since: at(10),
            reason: "connection refused".into(),
            retry_in: std::time::Duration::from_millis(1500),
        }
    );
    assert!(!state.apply(Update::Watch {
        kind: Kind::Pod,
        state: WatchState::Retrying {
            since: at(30),
            reason: "connection refused".into(),
            retry_in: std::time::Duration::from_millis(1500),
        },
    }));
}

#[test]
fn access_prefers_the_namespace_answer() {
    let mut state = State::default();
    let key = ks_key("sock-shop", "sock-shop");
    assert_eq!(state.access(&key), Access::Unknown);
    let mut all = Permission::patch(&key);
    all.namespace = None;
    state.apply(Update::Access {
        permission: all.clone(),
        allowed: false,
    });
    assert_eq!(state.access(&key), Access::Denied(all));
    state.apply(Update::Access {
        permission: Permission::patch(&key),
        allowed: true,
    });
    assert_eq!(state.access(&key), Access::Allowed);
    assert_eq!(
        Permission::patch(&key).to_string(),
        "patch kustomizations.kustomize.toolkit.fluxcd.io in namespace sock-shop"
    );
}

#[test]
fn details_arrive_masked_and_switch_with_the_key() {
    let mut state = State::default();
    let repo = ObjectKey::new(Kind::GitRepository, "sock-shop", "sock-shop-tenant");
    state.apply(Update::Details {
        key: repo.clone(),
        object: testdata::json("gitrepository-sock-shop-tenant.json"),
        related: vec![testdata::json("secret-basic-auth.json")],
    });
    let yaml = state.details().unwrap().yaml.as_ref().unwrap().join("\n");
    assert!(!yaml.contains("czNjcjN0LXBhc3N3MHJk"));
    state.apply(Update::Events {
        key: repo.clone(),
        events: vec![],
    });
    assert!(
        state.details().unwrap().yaml.is_some(),
        "events keep the object"
    );
    let other = ks_key("sock-shop", "sock-shop");
    state.apply(Update::FetchFailed {
        key: other.clone(),
        error: "forbidden".into(),
    });
    let details = state.details().unwrap();
    assert_eq!(details.key, other);
    assert!(details.yaml.is_none());
    assert_eq!(details.error.as_deref(), Some("forbidden"));
}

#[test]
fn actions_commits_sessions_and_scans_report_changes() {
    let mut state = State::default();
    let event = ActionEvent {
        id: ActionId(1),
        action: ActionKind::Suspend,
        key: ks_key("a", "b"),
        at: at(0),
        phase: ActionPhase::Running("patching".into()),
    };
    assert!(state.apply(Update::Action(event.clone())));
    assert!(!state.apply(Update::Action(event)));
    assert_eq!(state.actions().running().count(), 1);

    let log = CommitLog {
        key: "sock-shop/microservices-repo".into(),
        repository: "microservices-repo".into(),
        branch: "main".into(),
        commits: vec![Commit {
            sha: "9e2f5b8c".into(),
            author: "fluxcdbot".into(),
            email: "fluxcdbot@users.noreply.github.com".into(),
            time: at(0),
            subject: "main-1f49071-24".into(),
            automation: true,
            changes: Vec::new(),
        }],
        ..CommitLog::default()
    };
    assert!(state.apply(Update::Commits(log.clone())));
    assert!(!state.apply(Update::Commits(log)));

    let session = Session {
        context: Some("sandbox".into()),
        namespace: None,
        pods: PodsWatch::Workloads,
        pods_namespaces: vec!["sock-shop".into()],
        server: None,
    };
    assert!(state.apply(Update::Session(session.clone())));
    assert!(!state.apply(Update::Session(session)));

    let scan = RegistryScan {
        repository: "ns/r".into(),
        image: "example.com/r".into(),
        result: ScanResult::Tags {
            scanned_at: at(0),
            tags: vec![("main-1f49071-24".into(), Some(at(-60)))],
        },
    };
    assert!(state.apply(Update::RegistryScan(scan.clone())));
    assert!(!state.apply(Update::RegistryScan(scan)));
    assert_eq!(state.scans().all().len(), 1);
}

#[test]
fn forget_drops_the_rows_of_a_namespace_or_of_all() {
    let mut state = State::new(PodsWatch::Workloads);
    for pod in testdata::items("pods-sock-shop.json") {
        state.apply(Update::Applied(Object::from_value(&pod).unwrap()));
    }
    let mut other = testdata::items("pods-sock-shop.json").remove(0);
    other["metadata"]["namespace"] = "shop-2".into();
    state.apply(Update::Applied(Object::from_value(&other).unwrap()));
    assert_eq!(state.pods().len(), 15);
    assert!(state.apply(Update::Forget {
        kind: Kind::Pod,
        namespace: Some("sock-shop".into()),
    }));
    let left: Vec<_> = state.pods().iter().map(|p| p.key.to_string()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!state.apply(Update::Forget {
        kind: Kind::Pod,
        namespace: Some("sock-shop".into()),
    }));
    assert!(state.apply(Update::Forget {
        kind: Kind::Pod,
        namespace: None,
    }));
    assert!(state.pods().is_empty());
}

#[test]
fn the_pods_scope_says_where_pods_are_watched() {
    let session = |pods, namespaces: &[&str]| Session {
        pods,
        pods_namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
        ..Session::default()
    };
    assert_eq!(session(PodsWatch::All, &[]).pods_scope(), "all namespaces");
    assert_eq!(
        session(PodsWatch::Namespace("team-a".into()), &["team-a"]).pods_scope(),
        "team-a"
    );
    assert_eq!(
        session(PodsWatch::Workloads, &["a", "b"]).pods_scope(),
        "a, b"
    );
    assert_eq!(
        session(PodsWatch::Workloads, &[]).pods_scope(),
        "workload namespaces (none yet)"
    );
}

#[test]
fn the_first_repo_argument_is_shown_first_whatever_order_the_logs_arrive_in() {
    use crate::state::testkit::{automation, t};
    let log = |key: &str| {
        Update::Commits(CommitLog {
            key: key.into(),
            repository: format!("https://git.example/{key}"),
            ..CommitLog::default()
        })
    };
    let pinned = "/srv/git/config";
    let second = "https://git.example/other.git";
    let arrivals = [
        ["a/first", "shop/config", pinned, second],
        [second, pinned, "shop/config", "a/first"],
        ["shop/config", second, "a/first", pinned],
    ];
    for order in arrivals {
        let mut state = State::new(PodsWatch::Namespace("shop".into()));
        // An automation pushes to shop/config, which would be shown without `--repo`.
        state.apply_at(automation(serde_json::json!({})), t(1));
        assert!(state.apply(Update::PinnedRepos(vec![pinned.into(), second.into()])));
        assert!(!state.apply(Update::PinnedRepos(vec![pinned.into(), second.into()])));
        let mut shown = Vec::new();
        for key in order {
            state.apply(log(key));
            shown.push(state.commits().unwrap().key.clone());
        }
        // Until the `--repo` log arrives the default stands; from then on it is shown.
        let at = order.iter().position(|k| *k == pinned).unwrap();
        assert!(
            shown[at..].iter().all(|k| k == pinned),
            "{order:?}: {shown:?}"
        );
        assert!(
            shown[..at].iter().all(|k| k != pinned),
            "{order:?}: {shown:?}"
        );
        // `:repo` cycles `--repo` arguments first, in their order, then the others by key.
        let cycle: Vec<&str> = state
            .commit_logs()
            .ordered()
            .map(|l| l.key.as_str())
            .collect();
        assert_eq!(cycle, [pinned, second, "a/first", "shop/config"]);
        // A repository picked with `:repo` still wins.
        assert_eq!(state.commits_for(Some("a/first")).unwrap().key, "a/first");
    }
    // Without `--repo`, the automation's repository is shown.
    let mut state = State::new(PodsWatch::Namespace("shop".into()));
    state.apply_at(automation(serde_json::json!({})), t(1));
    state.apply(log("a/first"));
    state.apply(log("shop/config"));
    assert_eq!(state.commits().unwrap().key, "shop/config");
}
