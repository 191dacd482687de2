//! `fluxdeck demo --record FILE` in a pseudo-terminal: a `:build` goes out while recording,
//! then the recording is replayed headless through `State::apply_at` at its recorded times
//! and gives the lane the TUI showed: the same current tag, rolled out, as many releases;
//! and the `:build` request is in the recording with the key that sent it.

use std::time::Duration;

use crate::support::pty::{LARGE, Tui, keys};
use fluxdeck::state::{Command, State, Update};
use fluxdeck::ui::record::{self, Entry};

const APP: &str = "sock-shop/sock-shop-front-end";

/// The front end's lane header on screen: its tag, whether it rolled out, and how many
/// earlier releases the folded line counts.
fn lane_on_screen(screen: &str) -> Option<(String, bool, usize)> {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().position(|l| l.contains(APP))?;
    let header = lines[at];
    let after = &header[header.find(APP)?..];
    let tag = after
        .split_whitespace()
        .find(|w| w.starts_with("main-"))?
        .to_owned();
    let earlier = lines[at..]
        .iter()
        .find_map(|l| {
            let i = l.find("▸ ")?;
            l[i + "▸ ".len()..].split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0);
    Some((tag, after.contains("✓ rolled out"), earlier))
}

#[test]
fn a_recorded_demo_replays_into_the_lanes_it_showed() {
    let mut tui = Tui::spawn(
        &["demo", "--build-every", "off", "--record", "run.jsonl"],
        LARGE,
    );
    tui.send_keys("t");
    let screen = tui
        .wait_for("the front end's lane", Duration::from_secs(60), |s| {
            lane_on_screen(s).is_some()
        })
        .unwrap();
    let (first, _, _) = lane_on_screen(&screen).unwrap();
    tui.send_keys(":build");
    tui.send_keys(keys::ENTER);
    let screen = tui
        .wait_for("the build rolled out", Duration::from_secs(90), |s| {
            lane_on_screen(s).is_some_and(|(tag, out, _)| tag != first && out)
        })
        .unwrap();
    let (tag, _, earlier) = lane_on_screen(&screen).unwrap();
    // Let a few more seconds of updates in, then stop: the recording is flushed per batch.
    std::thread::sleep(Duration::from_secs(2));
    tui.quit_and_wait().unwrap();

    let entries = record::read(&tui.home().join("run.jsonl")).unwrap();
    let build = entries.iter().find_map(|e| match e {
        Entry::Command {
            key,
            command: Command::SandboxBuild { .. },
            ..
        } => Some(key.clone()),
        _ => None,
    });
    assert_eq!(build, Some(Some("Enter".to_owned())), "the :build request");
    let updates: Vec<(jiff::Timestamp, Update)> = record::updates(entries).collect();
    assert!(updates.len() > 50, "{} updates recorded", updates.len());
    let mut state = State::new(fluxdeck::state::PodsWatch::Namespace("sock-shop".into()));
    for (at, update) in updates {
        state.apply_at(update, at);
    }
    let lane = state
        .lanes()
        .iter()
        .find(|l| l.app() == APP)
        .expect("the front end's lane");
    let current = lane.current().unwrap();
    assert_eq!(current.tag, tag);
    assert!(current.rolled_out(), "{current:?}");
    assert_eq!(lane.releases().len(), earlier + 1);
    assert!(
        lane.release(&first).is_some(),
        "{first} kept as an earlier release"
    );
}
