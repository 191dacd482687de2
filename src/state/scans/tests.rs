use super::*;
use serde_json::json;

const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app";

fn policy(spec: serde_json::Value, latest: Option<&str>) -> ImagePolicy {
    let mut obj = json!({
        "metadata": {"name": "app", "namespace": "ns"},
        "spec": spec,
    });
    if let Some(tag) = latest {
        obj["status"] = json!({"latestRef": {"name": IMAGE, "tag": tag}});
    }
    ImagePolicy::parse(&obj).unwrap()
}

fn numerical() -> serde_json::Value {
    json!({
        "imageRepositoryRef": {"name": "app"},
        "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<ts>[0-9]+)$", "extract": "$ts"},
        "policy": {"numerical": {"order": "asc"}}
    })
}

fn repository(exclusions: &[&str]) -> ImageRepository {
    ImageRepository::parse(&json!({
        "metadata": {"name": "app", "namespace": "ns"},
        "spec": {"image": IMAGE, "exclusionList": exclusions}
    }))
    .unwrap()
}

fn scanned(tags: &[&str]) -> RepoScan {
    RepoScan {
        image: IMAGE.into(),
        scanned_at: Some(Timestamp::UNIX_EPOCH),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        error: None,
        unavailable: None,
    }
}

fn pod(images: &[&str]) -> Pod {
    let containers: Vec<_> = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
        .collect();
    Pod::parse(&json!({
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": containers}
    }))
    .unwrap()
}

#[test]
fn next_pick_runs_the_policy_over_the_tags_after_exclusions() {
    let p = policy(numerical(), Some("main-aaa-2"));
    let tags = [
        "main-aaa-2",
        "main-bbb-3",
        "main-ccc-10",
        "latest",
        "main-ddd-11.sig",
    ];
    // Numerical, not alphabetical: 10 beats 3.
    assert_eq!(
        next_pick(&p, Some(&repository(&[])), Some(&scanned(&tags))),
        NextPick::Tag("main-ccc-10".into())
    );
    // The repository's own exclusion list replaces the default one.
    assert_eq!(
        next_pick(&p, Some(&repository(&["^main-ccc"])), Some(&scanned(&tags))),
        NextPick::Tag("main-bbb-3".into())
    );
}

#[test]
fn next_pick_says_why_it_has_no_tag() {
    let p = policy(numerical(), None);
    assert_eq!(next_pick(&p, None, None), NextPick::Waiting);
    let unavailable = RepoScan {
        unavailable: Some("registry scan not available for ghcr.io".into()),
        ..RepoScan::default()
    };
    assert_eq!(
        next_pick(&p, None, Some(&unavailable)),
        NextPick::Unavailable("registry scan not available for ghcr.io".into())
    );
    let failed = RepoScan {
        error: Some("throttled".into()),
        ..RepoScan::default()
    };
    assert_eq!(
        next_pick(&p, None, Some(&failed)),
        NextPick::Failed("registry scan failed: throttled".into())
    );
    // No tag matches the filter: the engine's message, not a guess.
    match next_pick(&p, None, Some(&scanned(&["v1", "v2"]))) {
        NextPick::Failed(message) => assert!(!message.is_empty()),
        other => panic!("{other:?}"),
    }
    let broken = policy(json!({"imageRepositoryRef": {"name": "app"}}), None);
    match next_pick(&broken, None, Some(&scanned(&["v1"]))) {
        NextPick::Failed(message) => assert!(message.starts_with("ImagePolicy app:"), "{message}"),
        other => panic!("{other:?}"),
    }
    // A failed rescan keeps evaluating the tags of the last good scan.
    let stale = RepoScan {
        error: Some("5xx".into()),
        ..scanned(&["main-aaa-1"])
    };
    assert_eq!(
        next_pick(&p, None, Some(&stale)),
        NextPick::Tag("main-aaa-1".into())
    );
}

#[test]
fn drift_when_next_pick_or_pods_differ_from_the_cluster() {
    let p = policy(numerical(), Some("main-aaa-2"));
    let agreed = preview(
        &p,
        NextPick::Tag("main-aaa-2".into()),
        vec!["main-aaa-2".into()],
    );
    assert!(agreed.drift.is_empty(), "{agreed:?}");
    assert_eq!(agreed.cluster.as_deref(), Some("main-aaa-2"));

    let ahead = preview(
        &p,
        NextPick::Tag("main-bbb-3".into()),
        vec!["main-aaa-1".into()],
    );
    assert_eq!(
        ahead.drift,
        vec![
            Drift::NextPick {
                cluster: Some("main-aaa-2".into()),
                next: "main-bbb-3".into()
            },
            Drift::Running {
                running: "main-aaa-1".into(),
                cluster: "main-aaa-2".into()
            }
        ]
    );
    assert_eq!(
        ahead.drift[0].reason(),
        "next scan picks main-bbb-3; the ImagePolicy says main-aaa-2"
    );
    assert_eq!(
        ahead.drift[1].reason(),
        "pods run main-aaa-1; the ImagePolicy says main-aaa-2"
    );
    // Nothing known is no drift.
    let unknown = preview(&p, NextPick::Waiting, Vec::new());
    assert!(unknown.drift.is_empty());
    let fresh = preview(
        &policy(numerical(), None),
        NextPick::Tag("x".into()),
        vec![],
    );
    assert_eq!(
        fresh.drift[0].reason(),
        "next scan picks x; the ImagePolicy has picked nothing yet"
    );
}

#[test]
fn running_tags_match_the_repository_not_its_prefix() {
    let pods = [
        pod(&[&format!("{IMAGE}:v2"), "busybox:1.36"]),
        pod(&[&format!("{IMAGE}:v1")]),
        pod(&[&format!("{IMAGE}:v2")]),
        pod(&[&format!("{IMAGE}-sidecar:v9")]),
    ];
    assert_eq!(running_tags(IMAGE, pods.iter()), vec!["v1", "v2"]);
}

#[test]
fn the_registry_folds_scans_and_caches_next_picks() {
    let mut registry = Scans::default();
    let repo = repository(&[]);
    let p = policy(numerical(), Some("main-aaa-2"));
    let tags = |t: &[&str]| ScanResult::Tags {
        scanned_at: Timestamp::UNIX_EPOCH,
        tags: t.iter().map(|t| ((*t).to_owned(), None)).collect(),
    };
    let msg = |result| RegistryScan {
        repository: "ns/app".into(),
        image: IMAGE.into(),
        result,
    };
    assert!(registry.apply(msg(tags(&["main-aaa-2", "main-bbb-3"]))));
    assert!(!registry.apply(msg(tags(&["main-aaa-2", "main-bbb-3"]))));
    assert!(registry.refresh([&p].into_iter(), |_| Some(&repo)));
    assert!(!registry.refresh([&p].into_iter(), |_| Some(&repo)));
    assert_eq!(
        registry.next(&p.key),
        Some(&NextPick::Tag("main-bbb-3".into()))
    );
    assert!(registry.apply(msg(ScanResult::Failed("throttled; retry in 5s".into()))));
    assert_eq!(
        registry.first_error().as_deref(),
        Some("ImageRepository ns/app: throttled; retry in 5s")
    );
    assert_eq!(registry.scan(&repo.key).unwrap().tags.len(), 2);
    assert!(registry.apply(msg(ScanResult::Removed)));
    assert!(registry.refresh([&p].into_iter(), |_| Some(&repo)));
    assert_eq!(registry.next(&p.key), Some(&NextPick::Waiting));
}
