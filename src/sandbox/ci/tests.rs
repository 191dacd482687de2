use super::*;
use crate::sandbox::git;

#[test]
fn kinds_parse_with_a_clear_error_and_manifests_carry_the_fate() {
    assert_eq!("".parse::<BuildKind>(), Ok(BuildKind::Ok));
    assert_eq!("broken".parse::<BuildKind>(), Ok(BuildKind::Broken));
    assert_eq!("missing".parse::<BuildKind>(), Ok(BuildKind::Missing));
    assert!(
        "flaky"
            .parse::<BuildKind>()
            .unwrap_err()
            .contains("ok, broken")
    );
    assert_eq!(fate_of(&manifest("r", "t", BuildKind::Ok)), None);
    assert_eq!(
        fate_of(&manifest("r", "t", BuildKind::Broken)).as_deref(),
        Some("crash")
    );
    assert_eq!(
        fate_of(&manifest("r", "t", BuildKind::Missing)).as_deref(),
        Some("unpullable")
    );
    assert_ne!(
        manifest("r", "a", BuildKind::Ok),
        manifest("r", "b", BuildKind::Ok)
    );
}

#[tokio::test]
async fn a_build_commits_to_the_app_repository_and_pushes_its_tag_and_latest() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(RegistryStore::new("123456789012", "us-west-2"));
    let app = App {
        name: "front-end".into(),
        branch: "main".into(),
        repository: "weaveworksdemos/front-end".into(),
    };
    let ci = Arc::new(Ci::new(
        dir.path().join("front-end"),
        registry.clone(),
        vec![app],
        Pace::new(1000.0, 1.0),
        None,
    ));
    ci.seed(3, Duration::from_secs(600)).unwrap();
    let tags = registry.tags("weaveworksdemos/front-end").unwrap();
    assert_eq!(tags.len(), 4, "{tags:?}");
    let head = git::head(ci.repository_path(), "main").unwrap();
    assert!(
        tags.iter()
            .any(|t| t.tag == format!("main-{}-3", &head[..7]))
    );
    let queued = ci.request(BuildKind::Broken, Some("front-end")).unwrap();
    assert_eq!(queued.number, 4);
    let mut done = None;
    for _ in 0..500 {
        let b = ci.builds().into_iter().find(|b| b.number == 4).unwrap();
        if b.state == BuildState::Succeeded {
            done = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let b = done.expect("the build finishes");
    let tag = b.tag.clone().unwrap();
    let head = git::head(ci.repository_path(), "main").unwrap();
    assert_eq!(tag, format!("main-{}-4", &head[..7]));
    let latest = registry
        .with_repository("weaveworksdemos/front-end", |r| {
            r.by_tag("latest").map(|i| i.manifest.clone())
        })
        .unwrap()
        .unwrap();
    assert_eq!(fate_of(&latest).as_deref(), Some("crash"));
    let log = ci.build_log(None, 4).unwrap();
    assert!(
        log.contains("Phase complete: POST_BUILD State: SUCCEEDED"),
        "{log}"
    );
    assert!(log.contains(&tag));
    assert!(ci.request(BuildKind::Ok, Some("cart")).is_err());
}
