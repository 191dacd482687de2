//! The demo's scene beyond the cluster's objects: the config repository's log as the
//! hub sends it (two automation commits on a human one, the older one applied) and a
//! registry scan holding a newer build than the cluster's ImagePolicy picked.

use fluxdeck::model::commit::{BehindBy, Commit, CommitMark, ImageUpdate};
use fluxdeck::state::{AppliedColumn, AppliedMarks, CommitLog, RegistryScan, ScanResult, Update};

use super::ui::ago;

/// The config repository's key (its GitRepository).
pub const KEY: &str = "sock-shop/sock-shop-tenant";
/// The front-end's image.
pub const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";
/// The newest commit.
pub const NEWEST: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

/// An automation commit that moved the front-end from `old` to `new`.
pub fn bot_commit(sha: &str, seconds_ago: i64, old: &str, new: &str) -> Commit {
    Commit {
        sha: sha.into(),
        author: "fluxcdbot".into(),
        email: "fluxcdbot@users.noreply.github.com".into(),
        time: ago(seconds_ago),
        subject: new.to_owned(),
        automation: true,
        changes: vec![ImageUpdate {
            setter: Some("sock-shop:sock-shop-front-end:tag".into()),
            old: Some(old.into()),
            new: new.into(),
        }],
    }
}

/// Two automation commits on a human one; the Kustomization applied the older bot commit.
pub fn commit_log() -> CommitLog {
    use CommitMark::{Applied, Pending};
    CommitLog {
        key: KEY.into(),
        repository: "https://github.com/example/microservices-repo".into(),
        branch: "main".into(),
        commits: vec![
            bot_commit(NEWEST, 90, "main-1f49071-24", "main-5d6e7f8-25"),
            bot_commit(
                "9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f",
                1_100,
                "main-8c2d3e4-23",
                "main-1f49071-24",
            ),
            Commit {
                sha: "4a1c2e9b7d3f5a8c0e2b4d6f8a1c3e5b7d9f0a2c".into(),
                author: "Maria Lopez".into(),
                email: "maria.lopez@example.com".into(),
                time: ago(86_400),
                subject: "Raise front-end replicas to 2".into(),
                automation: false,
                changes: Vec::new(),
            },
        ],
        complete: true,
        applied: vec![AppliedColumn {
            kustomization: "sock-shop/sock-shop".into(),
            revision: "main@sha1:9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f".into(),
            marks: Ok(AppliedMarks {
                marks: vec![Pending, Applied, Applied],
                behind: BehindBy::Commits(1),
            }),
        }],
        note: None,
        error: None,
        markers: Vec::new(),
    }
}

/// The registry holds a newer build than the cluster's ImagePolicy picked.
pub fn registry_scan() -> Update {
    let tags = [
        "main-5d6e7f8-25",
        "main-1f49071-24",
        "main-8c2d3e4-23",
        "latest",
    ];
    Update::RegistryScan(RegistryScan {
        repository: "sock-shop/sock-shop-front-end".into(),
        image: IMAGE.into(),
        result: ScanResult::Tags {
            scanned_at: ago(20),
            tags: tags
                .iter()
                .map(|t| ((*t).to_owned(), Some(ago(60))))
                .collect(),
        },
    })
}
