//! `fluxdeck demo` in a pseudo-terminal, as a newcomer runs it: every pane fills at start,
//! CI's builds reach the pods pane with a new front-end tag, the commits pane shows the
//! automation's commit, `:build broken` from the TUI ends in `CrashLoopBackOff`, and `q`
//! stops everything and restores the terminal.
//!
//! The limits are the acceptance bounds: every pane filled within 5 s of the start,
//! a new front-end tag on the pods pane within 90 s at the default speed.

use std::time::{Duration, Instant};

use crate::support::pty::{LARGE, Tui, keys};

/// The front-end image tag the pods pane shows (`main-<sha7>-<build>`), if one is on screen.
fn front_end_tags(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.contains("front-en"))
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("main-") && w.matches('-').count() == 2)
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn the_demo_fills_every_pane_releases_new_builds_and_stops_cleanly() {
    let started = Instant::now();
    let mut tui = Tui::spawn(&["demo"], LARGE);
    let screen = tui
        .wait_for("every pane filled", Duration::from_secs(5), |s| {
            s.contains("sock-shop-tenant")
                && s.contains("flux-system")
                && s.contains("sock-shop-front")
                && s.contains("fluxcdbot")
                && s.lines()
                    .any(|l| l.contains("front-en") && l.contains("Running"))
        })
        .unwrap();
    eprintln!("every pane filled after {:?}", started.elapsed());
    let first = front_end_tags(&screen);
    assert_eq!(first.len(), 1, "one front-end pod at start:\n{screen}");
    let first = first[0].clone();

    // CI builds every 30 s; the next build reaches the pods pane.
    let started = Instant::now();
    let screen = tui
        .wait_for(
            "a new front-end tag on the pods pane",
            Duration::from_secs(90),
            |s| front_end_tags(s).iter().any(|t| *t != first),
        )
        .unwrap();
    eprintln!("a new tag on the pods pane after {:?}", started.elapsed());
    let new = front_end_tags(&screen)
        .into_iter()
        .find(|t| *t != first)
        .unwrap();
    // The commits pane holds the automation's commit of that tag.
    let short = new.get(..12).unwrap_or(&new);
    tui.wait_for(
        "the automation's commit in the commits pane",
        Duration::from_secs(30),
        |s| {
            s.lines().any(|l| {
                l.contains("fluxcdbot") && l.contains(&format!("⚙ {first}"))
                    || l.contains("fluxcdbot") && l.contains(short)
            })
        },
    )
    .unwrap();

    // A broken build asked for from the TUI crash-loops on the pods pane.
    tui.send_keys(":build broken");
    tui.send_keys(keys::ENTER);
    tui.wait_text("CI build #", Duration::from_secs(10))
        .unwrap();
    tui.wait_text("CrashLoopBackOff", Duration::from_secs(90))
        .unwrap();

    tui.quit_and_wait().unwrap();
    // The demo's state directory holds the CI's logs, and nothing of it still runs.
    let logs = tui
        .home()
        .join("state")
        .join("fluxdeck")
        .join("demo")
        .join("ci");
    let count = std::fs::read_dir(&logs).unwrap().count();
    assert!(count >= 2, "CI logs in {}", logs.display());
}
