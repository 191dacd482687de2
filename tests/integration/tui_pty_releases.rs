//! `fluxdeck demo --notify` in a pseudo-terminal, following a release lane: `t` shows the
//! lanes in place of the image automation pane, a CI build asked for with `:build` fills
//! its stages in order with their durations until it rolls out (and a notification says
//! so), then the Kustomization is suspended from the TUI and the next build's lane says it
//! is blocked there by the suspended Kustomization (and a notification says that too).
//!
//! CI builds only on `:build` (`--build-every off`), so no newer build replaces the one
//! the test follows.

use std::cell::RefCell;
use std::time::Duration;

use crate::support::pty::{LARGE, Tui, keys};

const APP: &str = "sock-shop/sock-shop-front-end";

/// The releases pane's lines (inside its border), cut out of the screen.
fn releases_pane(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some((top, col)) = lines.iter().enumerate().find_map(|(i, l)| {
        l.find("╭ Releases")
            .map(|byte| (i, l[..byte].chars().count()))
    }) else {
        return Vec::new();
    };
    lines[top + 1..]
        .iter()
        .map(|l| l.chars().skip(col + 1).collect::<String>())
        .take_while(|l| !l.starts_with('─') && !l.starts_with('╰'))
        .map(|l| l.trim_end_matches(['│', ' ']).to_owned())
        .collect()
}

/// The lane of the front end: its current tag, whether the header says it rolled out, and
/// each stage's mark and text (`applied ✓ 2s`).
#[derive(Debug)]
struct Lane {
    tag: String,
    rolled_out: bool,
    stages: Vec<(char, String)>,
}

const STAGES: [&str; 7] = [
    "pushed",
    "scanned",
    "selected",
    "committed",
    "fetched",
    "applied",
    "rolled-out",
];

fn lane(screen: &str) -> Option<Lane> {
    let pane = releases_pane(screen);
    let at = pane.iter().position(|l| l.contains(APP))?;
    let header = &pane[at];
    let tag = header
        .split_whitespace()
        .find(|w| w.starts_with("main-"))?
        .to_owned();
    // The stage lines follow the header, up to the reason or the earlier releases.
    let body: String = pane[at + 1..]
        .iter()
        .take_while(|l| {
            let t = l.trim_start();
            STAGES.iter().any(|s| t.starts_with(s))
        })
        .cloned()
        .collect::<Vec<_>>()
        .join("  ");
    let mut stages = Vec::new();
    for (i, name) in STAGES.iter().enumerate() {
        let start = body.find(&format!("{name} "))?;
        let end = STAGES
            .get(i + 1)
            .and_then(|next| body.find(&format!("{next} ")))
            .unwrap_or(body.len());
        let item = body.get(start..end)?.trim().to_owned();
        let mark = item.chars().nth(name.chars().count() + 1)?;
        stages.push((mark, item));
    }
    Some(Lane {
        tag,
        rolled_out: header.contains("✓ rolled out"),
        stages,
    })
}

/// How many stages, from the first, are reached; panics if a later one is reached while an
/// earlier one is not (stages fill in order).
fn reached_in_order(lane: &Lane) -> usize {
    let reached = lane.stages.iter().take_while(|(m, _)| *m == '✓').count();
    assert!(
        lane.stages[reached..].iter().all(|(m, _)| *m != '✓'),
        "a stage is reached after one that is not: {lane:?}"
    );
    reached
}

#[test]
fn a_build_fills_its_lane_in_order_then_a_suspended_kustomization_blocks_the_next() {
    let mut tui = Tui::spawn(&["demo", "--build-every", "off", "--notify"], LARGE);
    tui.wait_for("the pods pane filled", Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains("front-en") && l.contains("Running"))
    })
    .unwrap();
    tui.send_keys("t");
    let screen = tui
        .wait_for("the front end's lane", Duration::from_secs(30), |s| {
            lane(s).is_some()
        })
        .unwrap();
    assert!(!screen.contains("Image automation"), "{screen}");
    let first = lane(&screen).unwrap().tag;
    tui.send_keys(":build");
    tui.send_keys(keys::ENTER);

    // The next build's stages fill in order until it rolls out.
    let seen = RefCell::new(Vec::new());
    let screen = tui
        .wait_for(
            "a new build rolled out, every stage reached",
            Duration::from_secs(90),
            |s| {
                let Some(lane) = lane(s) else {
                    return false;
                };
                if lane.tag == first {
                    return false;
                }
                let reached = reached_in_order(&lane);
                let mut seen = seen.borrow_mut();
                if seen.last() != Some(&(lane.tag.clone(), reached)) {
                    seen.push((lane.tag.clone(), reached));
                }
                lane.rolled_out && reached == 7
            },
        )
        .unwrap();
    let done = lane(&screen).unwrap();
    let seen = seen.into_inner();
    eprintln!("stages reached over time: {seen:?}");
    // Within one build the reached stages only grow; more than all-at-once was seen.
    for pair in seen.windows(2) {
        if pair[0].0 == pair[1].0 {
            assert!(pair[0].1 <= pair[1].1, "{seen:?}");
        }
    }
    let of_done: Vec<usize> = seen
        .iter()
        .filter(|(t, _)| *t == done.tag)
        .map(|(_, n)| *n)
        .collect();
    assert!(of_done.len() >= 2, "one build seen filling: {seen:?}");
    // Stages seen as they happen carry their durations (`fetched ✓ 1s`).
    let timed = done
        .stages
        .iter()
        .skip(3)
        .filter(|(_, item)| item.ends_with('s') && item.split_whitespace().count() == 3)
        .count();
    assert!(timed >= 3, "durations of the last stages: {done:?}");
    // And the terminal was told, with its bell, once.
    let told = format!("\x07\x1b]9;fluxdeck: {APP} {} rolled out", done.tag);
    let count = tui
        .wait_written(told.as_bytes(), Duration::from_secs(10))
        .unwrap();
    assert_eq!(count, 1, "{told:?}");

    // Suspend the app's Kustomization from its pane (the lanes stay on screen).
    tui.send_keys(&format!("{}{}{}", keys::TAB, keys::TAB, keys::TAB));
    tui.send_keys("G");
    tui.wait_line("sock-shop ", "›", Duration::from_secs(10))
        .unwrap();
    tui.send_keys("s");
    tui.send_keys("y");
    tui.wait_line("sock-shop-tenant", "True      ", Duration::from_secs(30))
        .unwrap();
    tui.wait_text("suspended", Duration::from_secs(30)).unwrap();
    tui.send_keys(":build");
    tui.send_keys(keys::ENTER);

    // The next build stops at `applied`, and the lane says why.
    let screen = tui
        .wait_for(
            "the lane blocked by the suspended Kustomization",
            Duration::from_secs(90),
            |s| {
                lane(s).is_some_and(|l| l.tag != done.tag)
                    && releases_pane(s).iter().any(|l| {
                        l.contains("✗ applied: Kustomization sock-shop/sock-shop is suspended")
                    })
            },
        )
        .unwrap();
    let blocked = lane(&screen).unwrap();
    assert_eq!(
        blocked.stages[5].0, '✗',
        "applied is the blocked stage: {blocked:?}"
    );
    assert!(
        releases_pane(&screen)
            .iter()
            .any(|l| l.contains("✗ blocked at applied")),
        "{screen}"
    );
    // Focused, the lane gives the whole reason in the status strip, with the command that
    // resumes it.
    tui.send_keys(&format!("{}{}", keys::TAB, keys::TAB));
    tui.wait_for(
        "the reason in the status strip",
        Duration::from_secs(10),
        |s| {
            s.lines().any(|l| {
                l.starts_with(&format!(
                    " ✗ {APP} {} at applied: Kustomization",
                    blocked.tag
                )) && l.contains("`flux resume kustomization sock-shop -n")
            })
        },
    )
    .unwrap();
    // The block is told once it has lasted a few seconds.
    let told = format!("\x1b]9;fluxdeck: {APP} {} blocked at applied", blocked.tag);
    let count = tui
        .wait_written(told.as_bytes(), Duration::from_secs(30))
        .unwrap();
    assert_eq!(count, 1, "{told:?}");

    tui.quit_and_wait().unwrap();
}
