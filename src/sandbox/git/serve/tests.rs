use super::request::{challenge, is_bare_repository};
use super::*;
use axum::http::{StatusCode, header};

#[test]
fn the_challenge_names_the_realm() {
    let r = challenge("authentication required");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()[header::WWW_AUTHENTICATE],
        format!("Basic realm=\"{REALM}\"")
    );
}

#[test]
fn a_bare_repository_has_head_and_objects_at_the_top() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!is_bare_repository(dir.path()));
    std::fs::create_dir(dir.path().join("objects")).unwrap();
    assert!(!is_bare_repository(dir.path()));
    std::fs::write(dir.path().join("HEAD"), "ref: refs/heads/main\n").unwrap();
    assert!(is_bare_repository(dir.path()));
    assert!(!is_bare_repository(&dir.path().join("missing")));
}
