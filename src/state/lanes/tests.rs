//! The correlation over recorded states: one app (`shop/web`, image `reg.example/web`)
//! driven through `State::apply_at` the way the workers feed it.

use serde_json::json;

use crate::model::key::{Kind, ObjectKey};
use crate::state::scans::{RegistryScan, ScanResult};
use crate::state::{State, Update};

use super::{KEPT_RELEASES, Mark, Stage, Stuck};
use crate::state::testkit::*;

/// The tag running at start, and the new build's.
const OLD: &str = "main-aaaaaaa-1";
const NEW: &str = "main-bbbbbbb-2";

/// The new build pushed at 200, listed by the scan at 230 and picked by the policy.
fn new_build_selected() -> [Update; 3] {
    [
        scan(&[(NEW, 200)]),
        repository(230, &[NEW], json!({})),
        policy(Some(NEW), json!({})),
    ]
}

/// The running app after `tags` (newest first, with their push times) were pushed, seen by
/// fluxdeck's registry scan at `scanned`, listed by the ImageRepository's scan at `listed`
/// and, when given, `picked` by the ImagePolicy a second later.
fn pushed_and_listed(
    tags: &[(&str, i64)],
    scanned: i64,
    listed: i64,
    picked: Option<&str>,
) -> State {
    let mut state = running();
    state.apply_at(scan(tags), t(scanned));
    let names: Vec<&str> = tags.iter().map(|(tag, _)| *tag).collect();
    state.apply_at(repository(listed, &names, json!({})), t(listed));
    if let Some(tag) = picked {
        state.apply_at(policy(Some(tag), json!({})), t(listed + 1));
    }
    state
}

/// Where the current release waits at `now`, which must be at `stage`.
fn stuck_at(state: &State, now: i64, stage: Stage) -> Stuck {
    let s = stuck(state, now);
    assert_eq!(s.stage, stage, "{}", s.reason);
    s
}

/// [`stuck_at`], whose reason must say `text`.
fn stuck_saying(state: &State, now: i64, stage: Stage, text: &str) -> Stuck {
    let s = stuck_at(state, now, stage);
    says(&s, text);
    s
}

fn says(s: &Stuck, text: &str) {
    assert!(s.reason.contains(text), "{}", s.reason);
}

/// The reason names object `name` of `kind` in namespace `shop`.
fn is_about(s: &Stuck, kind: Kind, name: &str) {
    assert_eq!(
        s.object,
        Some(ObjectKey::new(kind, "shop", name)),
        "{}",
        s.reason
    );
}

/// The new build walked from its commit to its apply with the object of each stage in
/// trouble in turn (`automation_extra` merged into the ImageUpdateAutomation, then
/// `source_extra` into the GitRepository, then `kustomization_extra` into the
/// Kustomization, each healed before the next): the state, and where the release waits
/// at each (Committed, Fetched, Applied).
fn held_at_each_git_stage(
    automation_extra: serde_json::Value,
    source_extra: serde_json::Value,
    kustomization_extra: serde_json::Value,
) -> (State, [Stuck; 3]) {
    let mut state = running();
    let troubled = automation(automation_extra);
    feed(
        &mut state,
        new_build_selected().into_iter().chain([troubled]),
        240,
    );
    let commit = stuck_at(&state, 241, Stage::Committed);

    state.apply_at(automation(json!({})), t(242));
    state.apply_at(log(3, &[(2, OLD), (3, NEW)]), t(243));
    state.apply_at(source(2, 50, source_extra), t(244));
    let fetch = stuck_at(&state, 245, Stage::Fetched);

    state.apply_at(source(3, 246, json!({})), t(246));
    state.apply_at(kustomization(2, kustomization_extra), t(247));
    let apply = stuck_at(&state, 248, Stage::Applied);
    (state, [commit, fetch, apply])
}

#[test]
fn what_runs_at_start_is_rolled_out_with_the_times_the_objects_record() {
    let state = running();
    let lane = lane(&state);
    assert_eq!(
        lane.kustomizations,
        [ObjectKey::new(Kind::Kustomization, "shop", "apps")]
    );
    assert_eq!(
        lane.workloads.iter().collect::<Vec<_>>(),
        ["shop/Deployment/web"]
    );
    let r = current(&state);
    assert_eq!(r.tag, "main-aaaaaaa-1");
    assert!(r.rolled_out());
    assert_eq!(r.mark(Stage::Pushed), Mark::Reached(Some(t(5))));
    assert_eq!(r.mark(Stage::Committed), Mark::Reached(Some(t(20))));
    // Seen only after the fact: reached, when unknown.
    assert_eq!(r.mark(Stage::Selected), Mark::Reached(None));
    assert_eq!(r.mark(Stage::Applied), Mark::Reached(None));
    // The last pod turned Ready at 70.
    assert_eq!(r.mark(Stage::RolledOut), Mark::Reached(Some(t(70))));
    // `latest` is not a release: the policy filters it out, and the lane says why.
    let filtered: Vec<_> = lane
        .filtered()
        .map(|f| (f.tag.as_str(), f.reason.as_str()))
        .collect();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].0, "latest");
    assert!(
        filtered[0].1.contains("filterTags.pattern"),
        "{}",
        filtered[0].1
    );
    assert_eq!(state.stuck(lane, &r, t(200)), None);
}

#[test]
fn a_build_fills_the_stages_in_order_with_durations() {
    let mut state = running();
    let tag = "main-bbbbbbb-2";
    let steps: Vec<(Update, i64, Stage)> = vec![
        (
            scan(&[(tag, 200), ("main-aaaaaaa-1", 5)]),
            205,
            Stage::Pushed,
        ),
        (
            repository(230, &[tag, "main-aaaaaaa-1"], json!({})),
            231,
            Stage::Scanned,
        ),
        (policy(Some(tag), json!({})), 232, Stage::Selected),
        (
            log(3, &[(2, "main-aaaaaaa-1"), (3, tag)]),
            240,
            Stage::Committed,
        ),
        (source(3, 250, json!({})), 251, Stage::Fetched),
        (kustomization(3, json!({})), 260, Stage::Applied),
    ];
    for (update, at, stage) in steps {
        state.apply_at(update, t(at));
        let r = current(&state);
        assert_eq!(r.tag, tag);
        assert_eq!(r.last_reached(), Some(stage), "after {stage}");
        assert_eq!(stuck(&state, at).stage as usize, stage as usize + 1);
    }
    state.apply_at(pod("web-abc-1", tag, true, None, 270), t(271));
    assert!(
        !current(&state).rolled_out(),
        "one pod still runs the old tag"
    );
    assert!(
        stuck(&state, 272)
            .reason
            .contains("1 of 2 pods run main-bbbbbbb-2")
    );
    state.apply_at(pod("web-abc-2", tag, true, None, 280), t(281));
    let r = current(&state);
    assert!(r.rolled_out());
    let times: Vec<_> = Stage::ALL
        .iter()
        .map(|s| r.mark(*s).at().map(|a| a.as_second() - t(0).as_second()))
        .collect();
    assert_eq!(
        times,
        [
            Some(200),
            Some(230),
            Some(232),
            Some(30),
            Some(250),
            Some(260),
            Some(280)
        ]
    );
    assert_eq!(r.duration(Stage::Scanned).unwrap().as_secs(), 30);
    assert_eq!(r.total().unwrap().as_secs(), 80);
    // The earlier release stays, rolled out, not superseded.
    let lane = lane(&state);
    assert_eq!(lane.releases().len(), 2);
    assert_eq!(lane.releases().next().unwrap().superseded_by, None);
}

#[test]
fn suspended_objects_are_named_with_the_command_that_resumes_them() {
    let mut state = running();
    state.apply_at(scan(&[(NEW, 200)]), t(200));
    state.apply_at(
        repository(90, &[OLD], json!({"spec": {"suspend": true}})),
        t(201),
    );
    let s = stuck_saying(
        &state,
        202,
        Stage::Scanned,
        "ImageRepository shop/web is suspended",
    );
    assert!(s.blocked);
    says(&s, "flux resume image repository web -n shop");

    let suspend = || json!({"spec": {"suspend": true}});
    let (_, [commit, fetch, apply]) = held_at_each_git_stage(suspend(), suspend(), suspend());
    says(&commit, "ImageUpdateAutomation shop/web is suspended");
    says(&fetch, "GitRepository shop/config is suspended");
    says(&apply, "Kustomization shop/apps is suspended");
    is_about(&apply, Kind::Kustomization, "apps");
}

#[test]
fn a_tag_the_policy_filters_or_ranks_lower_says_which_rule() {
    let mut state = running();
    // Pushed, listed, but the ImageRepository excludes it.
    state.apply_at(
        repository(
            300,
            &["main-bbbbbbb-2"],
            json!({"spec": {"exclusionList": ["^main-b"]}}),
        ),
        t(300),
    );
    state.apply_at(policy(Some("main-bbbbbbb-2"), json!({})), t(300));
    let r = lane(&state).release("main-bbbbbbb-2").unwrap().clone();
    // The cluster's policy picked it (from before the exclusion); the rule is what blocks a
    // *new* tag, checked below with a fresh one.
    assert!(r.mark(Stage::Selected).reached());

    let mut state = pushed_and_listed(
        &[("main-ccccccc-3", 200), ("main-aaaaaaa-1", 5)],
        200,
        230,
        Some("main-aaaaaaa-1"),
    );
    // A newer pick than the tag is not what happened: the policy kept 1 over 3? Only a
    // range could say so; here the policy simply has not picked yet.
    assert_eq!(stuck(&state, 232).stage, Stage::Selected);

    // A semver policy whose range drops the new tag.
    state.apply_at(
        policy(
            Some("main-aaaaaaa-1"),
            json!({"spec": {"filterTags": {"pattern": "^main-[a-f0-9]+-(?P<n>[0-9]+)$", "extract": "1.0.$n"},
                            "policy": {"semver": {"range": "<1.0.3"}}}}),
        ),
        t(233),
    );
    let s = stuck_saying(
        &state,
        234,
        Stage::Selected,
        "outside the ImagePolicy's semver range `<1.0.3`",
    );
    says(&s, "`1.0.3` (extracted from `main-ccccccc-3`)");

    // Between the scan and the policy's next reconcile the policy still holds the old tag:
    // a wait, not a block.
    let state = pushed_and_listed(
        &[("main-ccccccc-3", 200), ("main-aaaaaaa-1", 5)],
        200,
        230,
        None,
    );
    let s = stuck_saying(&state, 231, Stage::Selected, "still holds main-aaaaaaa-1");
    assert!(!s.blocked, "{}", s.reason);

    // A policy that picked another tag it ranks higher.
    let state = pushed_and_listed(
        &[("main-ddddddd-9", 300), ("main-ccccccc-3", 200)],
        300,
        310,
        Some("main-ddddddd-9"),
    );
    let lane = lane(&state);
    let older = lane.release("main-ccccccc-3").unwrap();
    says(
        &state.stuck(lane, older, t(312)).unwrap(),
        "superseded by main-ddddddd-9",
    );
}

#[test]
fn a_push_after_the_last_scan_says_when_the_next_scan_is() {
    let mut state = running();
    state.apply_at(scan(&[("main-bbbbbbb-2", 200)]), t(200));
    // Last Flux scan at 90, interval 1m: scans at 150, 210, ... → at 205 the next is in 5 s.
    let s = stuck_saying(&state, 205, Stage::Scanned, "after the last scan");
    assert!(!s.blocked);
    says(&s, "scans every 1m, next in about 5 s");
}

#[test]
fn failing_controllers_give_flux_s_reason_and_message() {
    let failing = |reason: &str, message: &str| json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": reason, "message": message}]}});
    let (mut state, [commit, fetch, apply]) = held_at_each_git_stage(
        failing(
            "GitOperationFailed",
            "failed to push to remote: rejected non-fast-forward",
        ),
        failing("GitOperationFailed", "authentication required"),
        failing(
            "BuildFailed",
            "kustomize build failed: accumulating resources",
        ),
    );
    says(&commit, "(GitOperationFailed): failed to push to remote");
    says(
        &fetch,
        "GitRepository shop/config fetch failing (GitOperationFailed): authentication required",
    );
    says(
        &apply,
        "build/apply failing (BuildFailed): kustomize build failed",
    );

    // dependsOn a Kustomization that is not Ready.
    state.apply_at(
        kustomization(2, json!({"spec": {"dependsOn": [{"name": "infra"}]}})),
        t(249),
    );
    state.apply_at(
        obj(Kind::Kustomization, json!({"metadata": {"name": "infra", "namespace": "shop"},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "HealthCheckFailed", "message": "timeout waiting for: [Deployment/shop/db]"}]}})),
        t(250),
    );
    let s = stuck(&state, 251);
    says(
        &s,
        "waits on dependsOn shop/infra, which is Failed: timeout waiting",
    );
    is_about(&s, Kind::Kustomization, "infra");
}

#[test]
fn pods_that_cannot_start_and_a_late_rollout_are_named() {
    let mut state = running();
    feed(
        &mut state,
        new_build_selected().into_iter().chain([
            log(3, &[(2, OLD), (3, NEW)]),
            source(3, 250, json!({})),
            kustomization(3, json!({})),
            pod("web-def-1", NEW, false, Some("CrashLoopBackOff"), 265),
        ]),
        260,
    );
    let s = stuck_saying(
        &state,
        270,
        Stage::RolledOut,
        "pod shop/web-def-1 is in CrashLoopBackOff (3 restarts)",
    );
    assert!(s.blocked);
    is_about(&s, Kind::Pod, "web-def-1");

    state.apply_at(
        pod(
            "web-def-1",
            "main-bbbbbbb-2",
            false,
            Some("ImagePullBackOff"),
            265,
        ),
        t(280),
    );
    says(&stuck(&state, 281), "ImagePullBackOff");

    // Starting, but slow: past the default progress deadline (600 s after it was applied).
    state.apply_at(
        pod(
            "web-def-1",
            "main-bbbbbbb-2",
            false,
            Some("ContainerCreating"),
            265,
        ),
        t(290),
    );
    assert!(!stuck(&state, 300).blocked);
    let s = stuck(&state, 260 + 601);
    assert!(s.blocked);
    says(&s, "past its progress deadline");
}

#[test]
fn two_pushes_before_one_scan_supersede_the_first() {
    let state = pushed_and_listed(
        &[("main-ccccccc-3", 210), ("main-bbbbbbb-2", 200)],
        215,
        230,
        Some("main-ccccccc-3"),
    );
    let lane = lane(&state);
    let tags: Vec<_> = lane.releases().map(|r| r.tag.as_str()).collect();
    assert_eq!(tags, ["main-aaaaaaa-1", "main-bbbbbbb-2", "main-ccccccc-3"]);
    let b = lane.release("main-bbbbbbb-2").unwrap();
    assert_eq!(b.superseded_by.as_deref(), Some("main-ccccccc-3"));
    assert_eq!(b.last_reached(), Some(Stage::Scanned));
    assert_eq!(current(&state).last_reached(), Some(Stage::Selected));
}

#[test]
fn a_commit_that_sets_an_older_tag_is_a_rollback_release() {
    let mut state = running();
    let new = "main-bbbbbbb-2";
    feed(
        &mut state,
        [
            scan(&[(new, 200), ("main-aaaaaaa-1", 5)]),
            repository(230, &[new, "main-aaaaaaa-1"], json!({})),
            policy(Some(new), json!({})),
            log(3, &[(2, "main-aaaaaaa-1"), (3, new)]),
            source(3, 250, json!({})),
            kustomization(3, json!({})),
            pod("web-abc-1", new, true, None, 270),
            pod("web-abc-2", new, true, None, 280),
        ],
        290,
    );
    assert!(current(&state).rolled_out());
    // Someone reverts to the old tag (commit 4).
    state.apply_at(
        log(4, &[(2, "main-aaaaaaa-1"), (3, new), (4, "main-aaaaaaa-1")]),
        t(300),
    );
    let r = current(&state);
    assert_eq!(r.tag, "main-aaaaaaa-1");
    assert!(r.rollback);
    assert_eq!(r.commit.as_ref().unwrap().sha, sha(4));
    assert_eq!(r.last_reached(), Some(Stage::Committed));
    // Pods still on the new tag: the rollback is not rolled out before it is applied.
    state.apply_at(source(4, 310, json!({})), t(310));
    state.apply_at(kustomization(4, json!({})), t(320));
    assert!(!current(&state).rolled_out());
    state.apply_at(pod("web-abc-1", "main-aaaaaaa-1", true, None, 330), t(330));
    state.apply_at(pod("web-abc-2", "main-aaaaaaa-1", true, None, 340), t(340));
    let r = current(&state);
    assert!(r.rollback && r.rolled_out());
    assert_eq!(r.mark(Stage::Applied), Mark::Reached(Some(t(320))));
    let lane = lane(&state);
    assert_eq!(lane.releases().len(), 3);
    assert_eq!(lane.release_by_commit(&sha(3)[..7]).unwrap().tag, new);
}

#[test]
fn events_out_of_order_end_in_the_same_lane() {
    // The Kustomization applied and the pods run the tag before the commit log or the scan
    // arrive (git and the registry are slower than the watch).
    let mut state = running();
    let new = "main-bbbbbbb-2";
    feed(
        &mut state,
        [
            policy(Some(new), json!({})),
            kustomization(3, json!({})),
            source(3, 250, json!({})),
            pod("web-abc-1", new, true, None, 270),
            pod("web-abc-2", new, true, None, 280),
        ],
        290,
    );
    let r = current(&state);
    assert_eq!(r.tag, new);
    // Without the commit, the rollout is what says it went out.
    assert!(r.rolled_out());
    assert_eq!(r.mark(Stage::Committed), Mark::Reached(None));
    state.apply_at(log(3, &[(2, "main-aaaaaaa-1"), (3, new)]), t(300));
    state.apply_at(scan(&[(new, 200), ("main-aaaaaaa-1", 5)]), t(301));
    let r = current(&state);
    assert_eq!(r.tag, new);
    assert_eq!(r.mark(Stage::Committed), Mark::Reached(Some(t(30))));
    assert_eq!(r.mark(Stage::Pushed), Mark::Reached(Some(t(200))));
    // Seen after the fact: no time made up for the fetch of a revision that is not this
    // commit's own... here it is: the artifact is commit 3, so its time is the fetch's.
    assert_eq!(r.mark(Stage::Fetched), Mark::Reached(Some(t(250))));
    let lane = lane(&state);
    assert_eq!(lane.releases().filter(|r| r.tag == new).count(), 1);
}

#[test]
fn without_registry_or_git_access_the_stages_are_unknown_not_wrong() {
    let mut state = State::new(crate::state::PodsWatch::Namespace("shop".into()));
    feed(
        &mut state,
        [
            repository(90, &["main-aaaaaaa-1"], json!({})),
            policy(Some("main-bbbbbbb-2"), json!({})),
            automation(json!({})),
            source(2, 50, json!({})),
            kustomization(2, json!({})),
            pod("web-abc-1", "main-aaaaaaa-1", true, None, 60),
            Update::RegistryScan(RegistryScan {
                repository: "shop/web".to_owned(),
                image: IMAGE.to_owned(),
                result: ScanResult::Unavailable(
                    "registry scan not available for reg.example".to_owned(),
                ),
            }),
        ],
        100,
    );
    let r = current(&state);
    assert_eq!(r.tag, "main-bbbbbbb-2");
    // Selected implies pushed and scanned, without times.
    assert_eq!(r.mark(Stage::Pushed), Mark::Reached(None));
    let s = stuck_saying(&state, 101, Stage::Committed, "not read (no git access)");
    assert!(s.unknown, "{s:?}");
    // The running release is known from the pods alone, its commit unknown.
    let lane = lane(&state);
    let old = lane.release("main-aaaaaaa-1").unwrap();
    assert!(old.rolled_out());
    assert_eq!(old.commit, None);
}

#[test]
fn a_lane_keeps_its_last_releases_and_other_lanes_are_not_touched() {
    let mut state = running();
    let tags: Vec<(String, i64)> = (2..40)
        .map(|n| (format!("main-abcdef0-{n}"), 100 + n))
        .collect();
    let refs: Vec<(&str, i64)> = tags.iter().rev().map(|(t, a)| (t.as_str(), *a)).collect();
    state.apply_at(scan(&refs), t(200));
    let lane = lane(&state);
    assert_eq!(lane.releases().len(), KEPT_RELEASES);
    assert_eq!(lane.current().unwrap().tag, "main-abcdef0-39");
    // An update to an object no lane reads changes no lane.
    let before = state.lanes().revision();
    state.apply_at(
        obj(
            Kind::Kustomization,
            json!({"metadata": {"name": "other", "namespace": "elsewhere"}}),
        ),
        t(201),
    );
    assert_eq!(state.lanes().revision(), before);
}

#[test]
fn a_missing_marker_or_one_outside_update_path_is_named_with_file_and_line() {
    let mut state = running();
    feed(
        &mut state,
        new_build_selected().into_iter().chain([log_with_marker(
            2,
            &[(2, OLD)],
            "deploy/web/kustomization.yaml",
            "shop:other:tag",
        )]),
        240,
    );
    let s = stuck_saying(
        &state,
        241,
        Stage::Committed,
        "no setter marker in GitRepository shop/config refers to ImagePolicy shop/web",
    );
    assert!(s.blocked);

    // The marker exists, but in a file the automation's update.path (./deploy) does not cover.
    state.apply_at(
        log_with_marker(
            3,
            &[(2, "main-aaaaaaa-1")],
            "clusters/prod/web.yaml",
            "shop:web:tag",
        ),
        t(242),
    );
    let s = stuck(&state, 243);
    says(
        &s,
        "is in clusters/prod/web.yaml:12, outside ImageUpdateAutomation shop/web's update.path `./deploy`",
    );
    is_about(&s, Kind::ImageUpdateAutomation, "web");

    // Covered: the automation is merely due.
    state.apply_at(log(4, &[(2, "main-aaaaaaa-1")]), t(244));
    let s = stuck(&state, 245);
    assert!(!s.blocked, "{}", s.reason);
    says(&s, "runs when its policies change");
}
