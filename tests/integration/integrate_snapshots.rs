//! Snapshots of the screens the hub feeds, headless at 80x24 (tabs) and 160x48: the
//! commits pane with automation commits, applied/pending marks and "behind by", the diff
//! view, and the image pane with a next pick that drifts from the cluster.
//!
//! The updates are the ones the hub sends (`Update::Commits`, `Update::CommitDiff`,
//! `Update::RegistryScan`) over the sock-shop pipeline fixtures.

use crate::support::scene::{IMAGE, KEY, NEWEST, commit_log, registry_scan};
use crate::support::ui::{Harness, ago, pipeline};
use fluxdeck::model::commit::Commit;
use fluxdeck::state::{Command, CommitDiff, CommitLog, RegistryScan, ScanResult, Update};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, harness: &mut Harness) {
    let (w, h) = {
        let area = harness.terminal.backend().buffer().area;
        (area.width, area.height)
    };
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), harness.screen());
}

fn diff() -> CommitDiff {
    CommitDiff {
        key: KEY.into(),
        sha: NEWEST.into(),
        header: format!(
            "commit {NEWEST}\nAuthor: fluxcdbot <fluxcdbot@users.noreply.github.com>\nDate:   Fri Aug 7 11:58:30 2026 +0000\n\n    main-5d6e7f8-25\n"
        ),
        files: vec![(
            'M',
            "deploy/kubernetes/overlays/development/kustomization.yaml".into(),
        )],
        patch: "diff --git a/deploy/kubernetes/overlays/development/kustomization.yaml b/deploy/kubernetes/overlays/development/kustomization.yaml\n--- a/deploy/kubernetes/overlays/development/kustomization.yaml\n+++ b/deploy/kubernetes/overlays/development/kustomization.yaml\n@@ -4,3 +4,3 @@ images:\n - name: weaveworksdemos/front-end\n-  newTag: main-1f49071-24 # {\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}\n+  newTag: main-5d6e7f8-25 # {\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}\n".into(),
        truncated: false,
    }
}

/// The diff with a long file added, so the view has to scroll.
fn long_diff() -> CommitDiff {
    let mut d = diff();
    d.files.push(('A', "notes/release.md".into()));
    d.patch.push_str("diff --git a/notes/release.md b/notes/release.md\n--- /dev/null\n+++ b/notes/release.md\n@@ -0,0 +1,60 @@\n");
    for n in 1..=60 {
        d.patch.push_str(&format!("+line {n}\n"));
    }
    d
}

fn harness(w: u16, h: u16) -> Harness {
    let mut ui = Harness::new(w, h);
    ui.updates(pipeline());
    ui.updates([Update::Commits(commit_log()), registry_scan()]);
    ui
}

#[test]
fn commits_pane_with_automation_changes_marks_and_behind_by() {
    for (w, h) in SIZES {
        let mut ui = harness(w, h);
        ui.keys("Tab Tab Tab");
        let screen = ui.screen();
        assert!(screen.contains("behind by 1"), "{screen}");
        assert!(
            screen.contains("main-1f49071-24 → main-5d6e7f8-25"),
            "{screen}"
        );
        snap("commits", &mut ui);
    }
}

#[test]
fn enter_opens_the_diff_and_esc_goes_back() {
    for (w, h) in SIZES {
        let mut ui = harness(w, h);
        ui.keys("Tab Tab Tab Enter");
        assert_eq!(
            ui.sent(),
            vec![Command::ShowDiff {
                repository: KEY.into(),
                sha: NEWEST.into()
            }]
        );
        assert!(ui.screen().contains("loading the diff"));
        ui.updates([Update::CommitDiff(diff())]);
        snap("diff", &mut ui);
        ui.updates([Update::CommitDiff(long_diff())]);
        ui.keys("j j");
        let screen = ui.screen();
        assert!(
            !screen.contains("Author: fluxcdbot"),
            "scrolled past the header"
        );
        assert!(screen.contains("Date:"), "by two lines: {screen}");
        ui.keys("G");
        assert!(ui.screen().contains("+line 60"));
        ui.keys("Esc");
        assert!(ui.screen().contains("behind by 1"));
    }
}

#[test]
fn image_pane_shows_cluster_next_running_and_drift() {
    for (w, h) in SIZES {
        let mut ui = harness(w, h);
        ui.keys("Tab Tab");
        let screen = ui.screen();
        assert!(
            screen
                .contains("next scan picks main-5d6e7f8-25; the ImagePolicy says main-1f49071-24"),
            "{screen}"
        );
        snap("images_drift", &mut ui);
    }
}

#[test]
fn refresh_asks_the_router_for_the_focused_pane() {
    let mut ui = harness(80, 24);
    ui.keys("Tab Tab R");
    assert_eq!(ui.sent(), vec![Command::RefreshRegistry]);
    ui.keys("Tab R");
    assert_eq!(ui.sent(), vec![Command::RefreshGit]);
    assert!(ui.screen().contains("fetching the config repositories"));
}

#[test]
fn scan_errors_reach_the_status_strip_and_other_registries_say_so() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline());
    let scan = |result| {
        Update::RegistryScan(RegistryScan {
            repository: "sock-shop/sock-shop-front-end".into(),
            image: IMAGE.into(),
            result,
        })
    };
    ui.updates([scan(ScanResult::Failed(
        "ECR throttled the scan of 'weaveworksdemos/front-end' (Rate exceeded); fluxdeck backs off and retries".into(),
    ))]);
    let screen = ui.screen();
    assert!(
        screen.contains("⚠ ImageRepository sock-shop/sock-shop-front-end: ECR throttled"),
        "{screen}"
    );
    ui.keys("Tab Tab");
    assert!(ui.screen().contains("error"), "NEXT says the pick failed");
    ui.updates([scan(ScanResult::Unavailable(
        "registry scan not available for ghcr.io".into(),
    ))]);
    let screen = ui.screen();
    assert!(
        screen.contains("⚠ registry scan not available for ghcr.io"),
        "{screen}"
    );
    assert!(screen.contains(" n/a "), "{screen}");
}

#[test]
fn repo_command_switches_the_commits_pane_between_tracked_repositories() {
    let mut ui = harness(160, 48);
    let other = CommitLog {
        key: "flux-system/flux-system".into(),
        repository: "https://github.com/example/flux-repo".into(),
        branch: "main".into(),
        commits: vec![Commit {
            sha: "4a1c2e9b7f0d3a6c9e2b5d8f1a4c7e0b3d6f9a2c".into(),
            author: "Maria Lopez".into(),
            email: "maria.lopez@example.com".into(),
            time: ago(3_000),
            subject: "Add sock-shop tenant".into(),
            automation: false,
            changes: Vec::new(),
        }],
        complete: true,
        ..CommitLog::default()
    };
    ui.updates([Update::Commits(other)]);
    ui.keys("Tab Tab Tab");
    // The repository the automation pushes to is shown first.
    let screen = ui.screen();
    assert!(
        screen.contains("sock-shop/sock-shop-tenant · main · behind by 1 · repo 2/2"),
        "{screen}"
    );
    ui.keys(":");
    ui.type_text("repo");
    ui.keys("Enter");
    let screen = ui.screen();
    assert!(screen.contains("Add sock-shop tenant"), "{screen}");
    assert!(screen.contains("repo 1/2"), "{screen}");
    assert!(
        screen.contains("commits of https://github.com/example/flux-repo"),
        "{screen}"
    );
    ui.keys("Enter");
    assert_eq!(
        ui.sent(),
        vec![Command::ShowDiff {
            repository: "flux-system/flux-system".into(),
            sha: "4a1c2e9b7f0d3a6c9e2b5d8f1a4c7e0b3d6f9a2c".into()
        }]
    );
    ui.keys("Esc :");
    ui.type_text("repo nope");
    ui.keys("Enter");
    let screen = ui.screen();
    assert!(
        screen.contains("`:repo nope`: no tracked repository or GitRepository"),
        "{screen}"
    );
    assert!(ui.sent().is_empty());
    // A GitRepository of the cluster that is not tracked (beyond the automatic ones) is
    // asked for from the hub.
    let extra = serde_json::json!({"apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository", "metadata": {"name": "extra", "namespace": "team-b"},
        "spec": {"url": "https://github.com/example/extra"}});
    ui.updates([Update::Applied(
        fluxdeck::model::object::Object::from_value(&extra).unwrap(),
    )]);
    ui.keys(":");
    ui.type_text("repo team-b/extra");
    ui.keys("Enter");
    assert_eq!(
        ui.sent(),
        vec![Command::TrackRepository {
            key: "team-b/extra".into()
        }]
    );
    let screen = ui.screen();
    assert!(
        screen.contains("tracking GitRepository team-b/extra"),
        "{screen}"
    );
}
