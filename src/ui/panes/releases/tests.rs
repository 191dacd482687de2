//! The releases pane over one app (`shop/web`) driven through `State::apply_at`, drawn into
//! a `TestBackend`, and driven by keys as the terminal drives it.

use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use crate::model::key::{Kind, ObjectKey};
use crate::state::testkit::*;
use crate::state::{Command, State};
use crate::ui::keymap::{KeyChord, Keymap};
use crate::ui::keys::{self, Context, Effect};
use crate::ui::render;
use crate::ui::theme::Theme;
use crate::ui::theme::Themes;
use crate::ui::ui_state::{DetailsTab, FrameInfo, Mode, PaneId, UiState};
use crate::ui::view::View;

use super::duration;

const NEW: &str = "main-bbbbbbb-2";

/// `running()` with build 2 pushed, scanned, selected, committed and fetched (second 251).
fn fetched() -> State {
    let mut state = running();
    for (update, at) in [
        (scan(&[(NEW, 200), ("main-aaaaaaa-1", 5)]), 205),
        (repository(230, &[NEW, "main-aaaaaaa-1"], json!({})), 231),
        (policy(Some(NEW), json!({})), 232),
        (log(3, &[(2, "main-aaaaaaa-1"), (3, NEW)]), 240),
        (source(3, 250, json!({})), 251),
    ] {
        state.apply_at(update, t(at));
    }
    state
}

struct Screen {
    state: State,
    ui: UiState,
    keymap: Keymap,
    themes: Themes,
    now: Timestamp,
}

impl Screen {
    fn new(state: State, now: i64) -> Screen {
        let mut ui = UiState::new(false, "plain");
        keys::sync_views(&mut ui, &state);
        Screen {
            state,
            ui,
            keymap: Keymap::defaults(),
            themes: Themes::new(None),
            now: t(now),
        }
    }

    fn keys(&mut self, keys: &[&str]) -> Vec<Effect> {
        let cx = Context {
            state: &self.state,
            keymap: &self.keymap,
            themes: &self.themes,
            now: self.now,
        };
        let mut effects = Vec::new();
        for key in keys {
            let chord = KeyChord::parse(key).unwrap();
            effects.extend(keys::handle_key(&mut self.ui, &cx, chord));
        }
        effects
    }

    fn command(&mut self, line: &str) -> Vec<Effect> {
        let mut keys = vec![":".to_owned()];
        keys.extend(line.chars().map(|c| {
            if c == ' ' {
                "Space".to_owned()
            } else {
                c.to_string()
            }
        }));
        keys.push("Enter".to_owned());
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.keys(&keys)
    }

    fn draw(&mut self, width: u16, height: u16) -> (String, FrameInfo) {
        let theme = Theme::plain("plain");
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let mut info = None;
        terminal
            .draw(|frame| {
                let view = View::new(&self.state, &self.ui, &theme, &self.keymap, self.now);
                info = Some(render::render(frame, &view));
            })
            .unwrap();
        let info = info.unwrap();
        self.ui.frame = info.clone();
        let buffer = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        (text, info)
    }
}

/// The stage lines of the lane on screen (they wrap in a pane half the screen wide), joined.
fn stages(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("pushed ✓"))
        .unwrap_or_else(|| panic!("no stages in\n{screen}"));
    lines[at..(at + 2).min(lines.len())].join("\n")
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{screen}"))
}

#[test]
fn t_puts_the_lanes_in_place_of_the_image_pane_and_back() {
    let mut s = Screen::new(running(), 300);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("Image automation"), "{screen}");
    assert!(!screen.contains("Releases ("), "{screen}");
    s.keys(&["t"]);
    assert_eq!(s.ui.focus, PaneId::Releases);
    let (screen, _) = s.draw(160, 48);
    assert!(!screen.contains("Image automation"), "{screen}");
    assert!(screen.contains("Releases (1)"), "{screen}");
    // Tab goes round the panes on screen, the lanes in the image pane's place.
    s.keys(&["Tab", "Shift-Tab"]);
    assert_eq!(s.ui.focus, PaneId::Releases);
    s.keys(&["t"]);
    assert_eq!(s.ui.focus, PaneId::Images);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("Image automation"), "{screen}");
    // Narrow: a tab of its own, in the same place.
    s.keys(&["t"]);
    let (screen, _) = s.draw(80, 24);
    let bar = line_with(&screen, "Kustomizations");
    assert!(bar.contains(" Releases "), "{bar}");
    assert!(!bar.contains("Image automation"), "{bar}");
}

#[test]
fn a_rolled_out_release_shows_each_stage_with_its_mark_and_duration() {
    let mut state = fetched();
    state.apply_at(kustomization(3, json!({})), t(260));
    state.apply_at(pod("web-abc-1", NEW, true, None, 270), t(271));
    state.apply_at(pod("web-abc-2", NEW, true, None, 280), t(281));
    let mut s = Screen::new(state, 300);
    s.keys(&["t"]);
    let (screen, info) = s.draw(160, 48);
    let header = line_with(&screen, "shop/web");
    assert!(header.contains(NEW), "{header}");
    assert!(header.contains("✓ rolled out"), "{header}");
    // Pushed at 200, rolled out at 280 (the automation's commit time is older: git
    // history's own clock).
    assert!(header.contains("total 80s"), "{header}");
    let staged = stages(&screen);
    for item in [
        "scanned ✓ 30s",
        "selected ✓ 2s",
        "committed ✓",
        "fetched ✓",
        "applied ✓ 10s",
        "rolled-out ✓ 20s",
    ] {
        assert!(staged.contains(item), "{item} in {staged}");
    }
    // Stages come in order.
    let at = |s: &str| staged.find(s).unwrap_or_else(|| panic!("{s} in {staged}"));
    assert!(at("pushed") < at("scanned") && at("applied") < at("rolled-out"));
    assert!(screen.contains("▸ 1 earlier release (Space)"), "{screen}");
    assert!(!info.ticking, "nothing counts seconds once rolled out");
    // Nothing waits: the status strip has nothing to say about the lane.
    assert!(!screen.contains(" at rolled-out:"), "{screen}");
}

#[test]
fn a_waiting_stage_counts_seconds_and_the_frame_asks_for_a_tick() {
    let mut s = Screen::new(fetched(), 256);
    s.keys(&["t"]);
    let (screen, info) = s.draw(160, 48);
    let header = line_with(&screen, "shop/web");
    assert!(header.contains("… applied"), "{header}");
    let staged = stages(&screen);
    // Fetched at 250, six seconds ago.
    assert!(staged.contains("applied · …6s"), "{staged}");
    assert!(staged.contains("rolled-out ·"), "{staged}");
    assert!(info.ticking);
    s.now = t(257);
    let (screen, _) = s.draw(160, 48);
    assert!(stages(&screen).contains("applied · …7s"));
}

#[test]
fn a_suspended_kustomization_blocks_the_lane_and_the_status_strip_says_why() {
    let mut state = fetched();
    state.apply_at(kustomization(2, json!({"spec": {"suspend": true}})), t(252));
    let mut s = Screen::new(state, 300);
    s.keys(&["t"]);
    let (screen, _) = s.draw(160, 48);
    let header = line_with(&screen, "shop/web");
    assert!(header.contains("✗ blocked at applied"), "{header}");
    assert!(stages(&screen).contains("applied ✗"));
    let reason = line_with(&screen, "✗ applied:");
    assert!(
        reason.contains("Kustomization shop/apps is suspended"),
        "{reason}"
    );
    // The status strip (above the footer) names the lane, its tag and the fix in full.
    let strip: String = screen.lines().rev().skip(1).take(3).collect();
    assert!(
        strip.contains("shop/web main-bbbbbbb-2 at applied"),
        "{strip}"
    );
    assert!(strip.contains("flux resume kustomization apps"), "{strip}");
    // Elsewhere the strip is the usual one.
    s.keys(&["Tab"]);
    let (screen, _) = s.draw(160, 48);
    let strip: String = screen.lines().rev().skip(1).take(3).collect();
    assert!(!strip.contains("at applied"), "{strip}");
}

#[test]
fn space_and_the_cursor_past_the_last_stage_unfold_earlier_releases() {
    let mut state = fetched();
    // A third build supersedes the second before it rolls out.
    let third = "main-ccccccc-3";
    state.apply_at(scan(&[(third, 300), (NEW, 200)]), t(305));
    state.apply_at(repository(310, &[third, NEW], json!({})), t(311));
    state.apply_at(policy(Some(third), json!({})), t(312));
    let mut s = Screen::new(state, 320);
    s.keys(&["t"]);
    let (screen, _) = s.draw(160, 48);
    assert!(line_with(&screen, "shop/web").contains(third), "{screen}");
    assert!(screen.contains("▸ 2 earlier releases (Space)"), "{screen}");
    assert!(!screen.contains("superseded by"), "{screen}");
    s.keys(&["Space"]);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("▾ 2 earlier releases"), "{screen}");
    let second = line_with(&screen, &format!("{NEW}  "));
    assert!(
        second.contains(&format!("superseded by {third}")),
        "{second}"
    );
    let first = line_with(&screen, "main-aaaaaaa-1");
    assert!(first.contains("✓ rolled out"), "{first}");
    // Newest first.
    assert!(screen.find(NEW).unwrap() < screen.find("main-aaaaaaa-1").unwrap());
    // `l` past rolled-out reaches the earlier releases; Enter folds them again.
    s.keys(&["l", "l", "l", "l", "l", "l", "l"]);
    assert_eq!(s.ui.releases_cursor, super::EARLIER);
    let effects = s.keys(&["Enter"]);
    assert!(effects.is_empty());
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("▸ 2 earlier releases"), "{screen}");
    // `→` on that line unfolds, `←` folds, then moves back to the stages.
    s.keys(&["Right"]);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("▾ 2 earlier releases"), "{screen}");
    s.keys(&["Right"]);
    assert_eq!(s.ui.releases_cursor, super::EARLIER);
    s.keys(&["Left"]);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("▸ 2 earlier releases"), "{screen}");
    s.keys(&["Left"]);
    assert_eq!(s.ui.releases_cursor, super::EARLIER - 1);
}

#[test]
fn a_rollback_is_marked_on_the_lane_and_among_earlier_releases() {
    let mut state = fetched();
    state.apply_at(kustomization(3, json!({})), t(260));
    state.apply_at(pod("web-abc-1", NEW, true, None, 270), t(271));
    state.apply_at(pod("web-abc-2", NEW, true, None, 280), t(281));
    // Someone reverts to the old tag (commit 4).
    let old = "main-aaaaaaa-1";
    state.apply_at(log(4, &[(2, old), (3, NEW), (4, old)]), t(300));
    let mut s = Screen::new(state, 305);
    s.keys(&["t"]);
    let (screen, _) = s.draw(160, 48);
    let header = line_with(&screen, "shop/web");
    assert!(header.contains(old), "{header}");
    assert!(header.contains("↶ rollback"), "{header}");
    assert!(header.contains("… fetched"), "{header}");
    s.keys(&["Space"]);
    let (screen, _) = s.draw(160, 48);
    let earlier = line_with(&screen, &format!("{NEW}  "));
    assert!(earlier.contains("✓ rolled out"), "{earlier}");
    assert!(!earlier.contains("rollback"), "{earlier}");
}

#[test]
fn enter_on_a_stage_opens_the_object_behind_it() {
    let mut state = fetched();
    state.apply_at(kustomization(3, json!({})), t(260));
    state.apply_at(
        pod("web-abc-1", NEW, false, Some("ImagePullBackOff"), 270),
        t(271),
    );
    let mut s = Screen::new(state, 300);
    s.keys(&["t"]);
    let key = |kind, name: &str| ObjectKey::new(kind, "shop", name);
    let details = |s: &Screen| match &s.ui.mode {
        Mode::Details { key, tab, .. } => (key.clone(), *tab),
        other => panic!("not details: {other:?}"),
    };
    // Pushed and scanned: the ImageRepository.
    let effects = s.keys(&["l", "Enter"]);
    assert_eq!(
        effects,
        [Effect::Send(Command::FetchDetails {
            key: key(Kind::ImageRepository, "web")
        })]
    );
    assert_eq!(
        details(&s),
        (key(Kind::ImageRepository, "web"), DetailsTab::Conditions)
    );
    s.keys(&["Esc", "l", "Enter"]);
    assert_eq!(details(&s).0, key(Kind::ImagePolicy, "web"));
    // Committed: the automation commit's diff, as the commits pane opens it.
    let effects = s.keys(&["Esc", "l", "Enter"]);
    assert_eq!(
        effects,
        [Effect::Send(Command::ShowDiff {
            repository: "shop/config".into(),
            sha: sha(3)
        })]
    );
    assert!(matches!(&s.ui.mode, Mode::Diff { sha: x, .. } if *x == sha(3)));
    s.keys(&["Esc", "l", "Enter"]);
    assert_eq!(details(&s).0, key(Kind::GitRepository, "config"));
    s.keys(&["Esc", "l", "Enter"]);
    assert_eq!(
        details(&s),
        (key(Kind::Kustomization, "apps"), DetailsTab::Conditions)
    );
    // Rolled out: the pod that cannot pull, with its events.
    s.keys(&["Esc", "l", "Enter"]);
    assert_eq!(
        details(&s),
        (key(Kind::Pod, "web-abc-1"), DetailsTab::Events)
    );
    // `h` goes back, and stops at the first stage.
    s.keys(&["Esc", "h", "h", "h", "h", "h", "h", "h", "h"]);
    assert_eq!(s.ui.releases_cursor, 0);
}

#[test]
fn releases_command_shows_the_pane_filtered_to_an_app() {
    let mut s = Screen::new(fetched(), 300);
    s.command("releases shop/web");
    assert!(s.ui.releases_shown);
    assert_eq!(s.ui.focus, PaneId::Releases);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("Releases (1/1) /shop/web"), "{screen}");
    s.command("releases nothing");
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("nothing matches /nothing"), "{screen}");
    assert!(
        screen.contains("`:releases nothing`: no release lane"),
        "{screen}"
    );
    s.command("releases");
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("Releases (1) "), "{screen}");
}

#[test]
fn only_the_lanes_on_screen_are_laid_out_and_the_selection_stays_visible() {
    let mut state = State::new(crate::state::PodsWatch::Namespace("shop".into()));
    for i in 0..40 {
        let name = format!("app-{i:02}");
        state.apply_at(
            crate::state::Update::Applied(
                crate::model::object::Object::parse(
                    Kind::ImagePolicy,
                    &json!({
                        "metadata": {"name": name, "namespace": "shop"},
                        "spec": {"imageRepositoryRef": {"name": name},
                                 "policy": {"semver": {"range": ">=1.0.0"}}},
                        "status": {"latestRef": {"name": "reg.example/x", "tag": "1.0.0"}}
                    }),
                )
                .unwrap(),
            ),
            t(10),
        );
    }
    assert_eq!(state.lanes().len(), 40);
    let mut s = Screen::new(state, 20);
    s.keys(&["t"]);
    let (screen, info) = s.draw(160, 48);
    let shown = screen.matches("shop/app-").count();
    assert!((1..40).contains(&shown), "{shown} lanes drawn");
    assert_eq!(info.heights[PaneId::Releases.index()], 2);
    s.keys(&["G"]);
    let (screen, _) = s.draw(160, 48);
    assert!(screen.contains("› shop/app-39"), "{screen}");
    assert!(!screen.contains("shop/app-00"), "{screen}");
}

#[test]
fn durations_read_like_ages() {
    let d = SignedDuration::from_secs;
    assert_eq!(duration(d(0)), "0s");
    assert_eq!(duration(d(-3)), "0s");
    assert_eq!(duration(d(119)), "119s");
    assert_eq!(duration(d(125)), "2m5s");
    assert_eq!(duration(d(180)), "3m");
    assert_eq!(duration(d(3600)), "1h");
    assert_eq!(duration(d(4800)), "1h20m");
}
