//! The real binary in a pseudo-terminal against a sandbox each test starts (issue 4):
//! rows appear, actions reach the cluster, read-only and forbidden send nothing, an outage
//! shows "retrying" and heals by itself, Flux 2.6 fills the image panes, and the terminal
//! is restored on every way out.

use std::time::{Duration, Instant};

use crate::support::pty::{LARGE, MEDIUM, SMALL, Tui, WAIT, keys};
use crate::support::sandbox::{BlockingSandbox, KS_PATH, Spec};
use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::sandbox::scenario;
use serde_json::{Value, json};

/// Starts the TUI on `sb` with extra `args`.
fn open(sb: &BlockingSandbox, args: &[&str], size: (u16, u16)) -> Tui {
    let kc = sb.kubeconfig_args();
    let mut all: Vec<&str> = kc.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    Tui::spawn(&all, size)
}

/// Waits until the sock-shop Kustomization row and the pods are on screen.
fn wait_for_sock_shop(tui: &mut Tui) -> String {
    tui.wait_line("sock-shop", "git/sock-shop-tenant", WAIT)
        .unwrap();
    tui.wait_for("the sock-shop pods", WAIT, |s| {
        // -A: every pod; the first Kustomization row (flux-system/apps) applied no workload.
        s.contains("Pods · all namespaces (") && s.contains("carts-")
    })
    .unwrap()
}

/// Puts the cursor on the sock-shop Kustomization (the last row): the pods pane follows
/// its workloads, the front-end among them.
fn follow_sock_shop(tui: &mut Tui) {
    tui.send_keys("G");
    tui.wait_for("the pods of sock-shop's workloads", WAIT, |s| {
        s.contains("Pods · workloads of sock-shop/sock-shop (") && s.contains("front-en")
    })
    .unwrap();
}

/// A current-Flux sock-shop sandbox and the TUI on it, with the sock-shop rows shown.
fn sock_shop_tui(args: &[&str], size: (u16, u16)) -> (BlockingSandbox, Tui) {
    let sb = BlockingSandbox::sock_shop(FluxVersion::Current);
    let mut tui = open(&sb, args, size);
    wait_for_sock_shop(&mut tui);
    (sb, tui)
}

/// Narrows the Kustomizations pane to the sock-shop row, which is then selected.
fn select_sock_shop(tui: &mut Tui) {
    tui.send_keys("/sock-shop");
    tui.send_keys(keys::ENTER);
    tui.wait_line("›", "git/sock-shop-tenant", WAIT).unwrap();
}

/// The tag the sandbox's ImagePolicy selected, whatever the Flux release's status shape.
fn latest_tag(sb: &BlockingSandbox, version: &str) -> String {
    let list = sb.get_json(&format!(
        "/apis/image.toolkit.fluxcd.io/{version}/imagepolicies"
    ));
    let status = &list["items"][0]["status"];
    let tag = status["latestRef"]["tag"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            let image = status["latestImage"].as_str()?;
            image.rsplit_once(':').map(|(_, tag)| tag.to_owned())
        });
    tag.unwrap_or_else(|| panic!("no latest tag in {status}"))
}

/// The line of the sock-shop Kustomization on `screen`.
fn ks_line(screen: &str) -> Option<&str> {
    screen
        .lines()
        .find(|l| l.contains("git/sock-shop-tenant") && l.contains("sock-shop"))
}

/// Whether the sock-shop row's SUSPENDED column reads `value` (READY comes before it).
fn suspended_reads(screen: &str, value: &str) -> bool {
    ks_line(screen).is_some_and(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words
            .windows(2)
            .any(|w| matches!(w[0], "True" | "False" | "Unknown") && w[1] == value)
    })
}

/// How many times the Kustomizations were listed (not watched) across all namespaces.
fn kustomization_lists(sb: &BlockingSandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r["path"] == "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations")
        .filter(|r| {
            !r["query"]
                .as_str()
                .unwrap_or_default()
                .contains("watch=true")
        })
        .count()
}

/// Suspends the sock-shop Kustomization behind the API's back (works during an outage).
fn suspend_in_store(sb: &BlockingSandbox) {
    sb.modify(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        "sock-shop",
        "sock-shop",
        |ks| ks["spec"]["suspend"] = json!(true),
    );
}

#[test]
fn sock_shop_rows_and_image_panes_appear_and_q_restores_the_terminal() {
    let (sb, mut tui) = sock_shop_tui(&[], MEDIUM);
    follow_sock_shop(&mut tui);
    // Rows may arrive before every kind's first list is done; the header follows.
    tui.wait_text("● connected", WAIT).unwrap();
    let tag = latest_tag(&sb, "v1");
    tui.wait_text(&tag, WAIT).unwrap();
    tui.wait_line("sock-shop-tenan", "git", WAIT).unwrap();
    tui.quit_and_wait().unwrap();
}

#[test]
fn colon_q_quits_and_restores_the_terminal() {
    let (_sb, mut tui) = sock_shop_tui(&[], LARGE);
    tui.send_keys(":q");
    tui.wait_text(":q▏", WAIT).unwrap();
    tui.send_keys(keys::ENTER);
    tui.wait_exit(WAIT).unwrap();
}

#[test]
fn a_resize_to_80x24_switches_to_readable_tabs_and_back() {
    let (_sb, mut tui) = sock_shop_tui(&[], MEDIUM);
    tui.resize(SMALL);
    let screen = tui
        .wait_for("the tab bar", WAIT, |s| {
            s.lines().any(|l| {
                [
                    "Kustomizations",
                    "Sources",
                    "Image automation",
                    "Commits",
                    "Pods",
                ]
                .iter()
                .all(|t| l.contains(t))
            })
        })
        .unwrap();
    // Only the focused pane is drawn, and its rows still name the objects.
    assert!(!screen.contains("carts-"), "{screen}");
    tui.wait_line("sock-shop", "sock-shop", WAIT).unwrap();
    tui.send_keys(keys::TAB);
    tui.wait_line("sock-shop-tenan", "git", WAIT).unwrap();
    // The header and the footer fit: no line is cut mid-word past the width.
    assert!(tui.screen().lines().all(|l| l.chars().count() <= 80));
    tui.resize(MEDIUM);
    tui.wait_for("the wide layout again", WAIT, |s| {
        s.contains("carts-") && s.contains("╭ Kustomizations")
    })
    .unwrap();
    tui.quit_and_wait().unwrap();
}

#[test]
fn s_and_confirm_suspends_and_r_resumes_the_sock_shop_kustomization() {
    let (sb, mut tui) = sock_shop_tui(&[], MEDIUM);
    select_sock_shop(&mut tui);
    assert!(sb.get_json(KS_PATH)["spec"]["suspend"].is_null());

    tui.send_keys("s");
    tui.wait_text("Suspend Kustomization sock-shop/sock-shop?", WAIT)
        .unwrap();
    // Nothing is sent before the confirmation.
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    tui.send_keys("y");
    tui.wait_text("Kustomization sock-shop suspended", WAIT)
        .unwrap();
    assert_eq!(sb.get_json(KS_PATH)["spec"]["suspend"], true);
    tui.wait_for("SUSPENDED True on the row", WAIT, |s| {
        suspended_reads(s, "True")
    })
    .unwrap();

    tui.send_keys("r");
    tui.wait_text("Kustomization sock-shop reconciliation completed", WAIT)
        .unwrap();
    let ks = sb.get_json(KS_PATH);
    assert!(
        ks["spec"]["suspend"].is_null() || ks["spec"]["suspend"] == false,
        "{ks}"
    );
    tui.wait_for("SUSPENDED False on the row", WAIT, |s| {
        suspended_reads(s, "False")
    })
    .unwrap();
    tui.quit_and_wait().unwrap();
}

#[test]
fn f_sets_the_reconcile_annotation_and_the_strip_shows_the_result() {
    let (sb, mut tui) = sock_shop_tui(&[], MEDIUM);
    select_sock_shop(&mut tui);
    let before = sb.get_json(KS_PATH);
    tui.send_keys("f");
    let screen = tui
        .wait_line(
            "✔ reconcile Kustomization sock-shop/sock-shop",
            "applied revision main@sha1:",
            WAIT,
        )
        .unwrap();
    let ks = sb.get_json(KS_PATH);
    let requested = &ks["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"];
    assert!(requested.is_string(), "{ks}");
    assert_ne!(
        requested, &before["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        "the annotation did not change"
    );
    assert_eq!(&ks["status"]["lastHandledReconcileAt"], requested);
    let revision = ks["status"]["lastAppliedRevision"].as_str().unwrap();
    assert!(
        screen.contains(&revision[..revision.len().min(60)]),
        "{screen}"
    );
    let patches: Vec<Value> = sb
        .writes()
        .into_iter()
        .filter(|r| r["method"] == "PATCH" && r["path"] == KS_PATH)
        .collect();
    assert_eq!(patches.len(), 1, "{patches:?}");
    tui.quit_and_wait().unwrap();
}

#[test]
fn readonly_sends_no_write_request() {
    let sb = BlockingSandbox::sock_shop(FluxVersion::Current);
    let mut tui = open(&sb, &["--readonly"], MEDIUM);
    let screen = wait_for_sock_shop(&mut tui);
    assert!(screen.contains("READ-ONLY"), "{screen}");
    assert!(screen.contains("✗ read-only"), "{screen}");
    select_sock_shop(&mut tui);
    for (key, action) in [("s", "suspend"), ("r", "resume"), ("f", "reconcile")] {
        tui.send_keys(key);
        tui.wait_text(&format!("read-only mode: {action} not sent"), WAIT)
            .unwrap();
    }
    // `y` would confirm a dialog if one had opened.
    tui.send_keys("y");
    tui.send_keys("F");
    tui.wait_text("read-only mode: reconcile with source not sent", WAIT)
        .unwrap();
    tui.quit_and_wait().unwrap();
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
    assert!(sb.get_json(KS_PATH)["spec"]["suspend"].is_null());
}

#[test]
fn a_denied_patch_shows_the_key_unavailable_and_names_the_permission() {
    let sb = BlockingSandbox::sock_shop(FluxVersion::Current);
    sb.faults(json!({"deny": [{"verb": "patch", "resource": "kustomizations"}]}));
    let mut tui = open(&sb, &[], MEDIUM);
    wait_for_sock_shop(&mut tui);
    select_sock_shop(&mut tui);
    // RBAC names the resource with its group, as `kubectl auth can-i` does.
    let permission = "patch kustomizations.kustomize.toolkit.fluxcd.io in all namespaces";
    // The footer names the verb and resource, with the keys that still work after it; the
    // strip below names the whole permission once the key is pressed.
    let screen = tui
        .wait_text("✗ forbidden: needs patch kustomizations  ", WAIT)
        .unwrap();
    let footer = screen.lines().last().unwrap_or_default();
    assert!(footer.contains("q quit"), "{footer}");
    // The action keys are drawn differently from the keys that still work.
    let footer = tui.footer_cells();
    let style_of = |text: &str| {
        footer
            .iter()
            .find(|(s, _)| s == text)
            .map(|(_, style)| style.clone())
            .unwrap_or_else(|| panic!("no {text:?} in the footer {footer:?}"))
    };
    assert_ne!(style_of("s"), style_of("?"), "{footer:?}");
    assert_eq!(style_of("s"), style_of("f"), "{footer:?}");

    tui.send_keys("s");
    tui.wait_text(
        &format!("forbidden: suspend needs RBAC permission `{permission}`"),
        WAIT,
    )
    .unwrap();
    tui.send_keys("y");
    tui.quit_and_wait().unwrap();
    assert!(sb.writes().is_empty(), "{:?}", sb.writes());
}

#[test]
fn an_outage_shows_retrying_and_the_panes_heal_by_themselves() {
    let (sb, mut tui) = sock_shop_tui(&[], MEDIUM);
    tui.wait_text("● connected", WAIT).unwrap();
    assert!(suspended_reads(&tui.screen(), "False"));

    let started = Instant::now();
    sb.faults(json!({"closeWatches": true, "unavailableSeconds": 8.0}));
    let screen = tui.wait_text("(failing since", WAIT).unwrap();
    let header = screen.lines().next().unwrap_or_default().to_owned();
    // The wait before the next attempt, at most 2 s for an interactive client.
    assert!(
        header.contains("▲ retrying in 1 s") || header.contains("▲ retrying in 2 s"),
        "{header}"
    );
    assert!(header.contains("503"), "{header}");
    // The last known rows stay while the cluster is away.
    assert!(ks_line(&screen).is_some(), "{screen}");

    // A change made during the outage reaches the screen only after it.
    suspend_in_store(&sb);
    tui.wait_for("the header back to connected", WAIT, |s| {
        s.lines().next().is_some_and(|h| h.contains("● connected"))
    })
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(7),
        "recovered after {:?}, before the 8 s outage ended",
        started.elapsed()
    );
    tui.wait_for("the change made during the outage", WAIT, |s| {
        suspended_reads(s, "True")
    })
    .unwrap();
    tui.quit_and_wait().unwrap();
    // The client's errors went to the log file in the private HOME, not to the screen.
    assert!(
        tui.log_path().is_file(),
        "no log at {}",
        tui.log_path().display()
    );
}

#[test]
fn dropped_watches_and_expired_versions_resume_without_losing_a_change() {
    let (sb, mut tui) = sock_shop_tui(&[], MEDIUM);
    tui.wait_text("● connected", WAIT).unwrap();
    let lists_before = kustomization_lists(&sb);
    // A server ends watches routinely; with every version expired the watcher must list
    // again (410 Gone) rather than miss what changed in between.
    sb.faults(json!({"closeWatches": true, "expireResourceVersions": true}));
    suspend_in_store(&sb);
    tui.wait_for("the change made while the watches were down", WAIT, |s| {
        suspended_reads(s, "True")
    })
    .unwrap();
    let lists_after = kustomization_lists(&sb);
    assert!(lists_after > lists_before, "the watcher never listed again");
    let screen = tui.screen();
    assert!(ks_line(&screen).is_some(), "{screen}");
    assert!(screen.contains("carts-"), "{screen}");
    tui.quit_and_wait().unwrap();
}

#[test]
fn flux_2_6_fills_the_image_panes() {
    let sb = Spec::scenario(
        scenario::Scenario::SockShop,
        scenario::ScenarioOptions {
            flux: FluxVersion::V2_6,
            ..scenario::ScenarioOptions::default()
        },
    )
    .flux(FluxVersion::V2_6)
    .start_blocking();
    let mut tui = open(&sb, &[], MEDIUM);
    wait_for_sock_shop(&mut tui);
    follow_sock_shop(&mut tui);
    let tag = latest_tag(&sb, "v1beta2");
    tui.wait_text(&tag, WAIT).unwrap();
    // The pods pane shows the tag too: wait for the image pane's list to be done.
    let screen = tui
        .wait_for("the image automation pane listed", WAIT, |s| {
            s.contains("Image automation (") && !s.contains("Image automation (0 so far)")
        })
        .unwrap();
    let title = screen
        .lines()
        .find_map(|l| l.split("Image automation (").nth(1))
        .unwrap_or_else(|| panic!("no image automation pane:\n{screen}"));
    assert!(!title.starts_with('0'), "{screen}");
    assert!(!screen.contains("does not serve"), "{screen}");
    tui.quit_and_wait().unwrap();
}
