//! `--notify`: a terminal bell and a desktop notification (OSC 9, which iTerm2, kitty,
//! WezTerm, foot, Windows Terminal and others turn into one) when a release of a lane rolls
//! out or becomes blocked, once per release and state.
//!
//! Inside tmux the OSC 9 sequence is wrapped in tmux's passthrough (`ESC P tmux; … ESC \`,
//! every ESC of the sequence doubled) so it reaches the outer terminal (tmux needs
//! `allow-passthrough on` to pass it). The sequences are written by the app between frames,
//! to the terminal the frames go to; neither moves the cursor, so a frame is never
//! disturbed.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::model::key::ObjectKey;
use crate::state::State;
use crate::state::lanes::{KEPT_RELEASES, Stage};

use super::format::duration;

/// The longest notification text, in characters (terminals cut or drop longer ones).
const MAX_TEXT: usize = 240;

/// BEL, which rings the terminal's bell (and ends an OSC sequence).
pub const BELL: &str = "\x07";

/// The OSC 9 notification of `text`, wrapped for tmux's passthrough when `tmux`. Control
/// characters of `text` are dropped: they would end the sequence early or inject others.
pub fn osc9(text: &str, tmux: bool) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect();
    let sequence = format!("\x1b]9;{clean}{BELL}");
    if tmux {
        passthrough(&sequence)
    } else {
        sequence
    }
}

/// `sequence` wrapped in tmux's passthrough (`ESC P tmux; … ESC \`, every ESC of the
/// sequence doubled), so tmux hands it to the outer terminal (with `allow-passthrough on`).
pub fn passthrough(sequence: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
}

/// The bell and the notification of `text`, as written to the terminal.
pub fn sequence(text: &str, tmux: bool) -> String {
    format!("{BELL}{}", osc9(text, tmux))
}

/// What a release did that is worth a notification.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Event {
    RolledOut,
    Blocked(Stage),
}

/// Decides which lane changes to announce, once each.
#[derive(Debug)]
pub struct Notifier {
    /// When notifications were turned on: a release that rolled out before is old news.
    since: Timestamp,
    /// What each lane has announced (or found at its first look), per release tag.
    told: HashMap<ObjectKey, Vec<(String, Event)>>,
    /// Lanes looked at once: what blocks at the first look was there before fluxdeck.
    seen: HashSet<ObjectKey>,
    /// The lanes' revision at the last look.
    revision: Option<u64>,
    /// Blocks seen but not told yet, since when: a block is told once it has lasted
    /// [`BLOCK_GRACE_SECONDS`] (objects update one after the other, and a release can look
    /// blocked for the second between two of them).
    blocks: HashMap<(ObjectKey, String, Stage), Timestamp>,
    /// When blocked states were last looked at (some depend on time alone, like a
    /// rollout's deadline).
    last_look: Option<Timestamp>,
}

/// How often lanes are looked at again without a change to them (a suspended object
/// blocks a release without changing its lane, deadlines pass with time, and blocks are
/// told after a grace).
const LOOK_EVERY_SECONDS: i64 = 1;

/// How long a release must stay blocked before it is told.
pub const BLOCK_GRACE_SECONDS: i64 = 10;

impl Notifier {
    /// A notifier that announces what happens from `since` on.
    pub fn new(since: Timestamp) -> Notifier {
        Notifier {
            since,
            told: HashMap::new(),
            seen: HashSet::new(),
            blocks: HashMap::new(),
            revision: None,
            last_look: None,
        }
    }

    /// The texts to announce at `now`: releases that rolled out (after [`Notifier::new`])
    /// or became blocked since the last look, each once. Cheap when the lanes did not
    /// change and the last look is recent.
    pub fn check(&mut self, state: &State, now: Timestamp) -> Vec<String> {
        let lanes = state.lanes();
        let changed = self.revision != Some(lanes.revision());
        let due = self
            .last_look
            .is_none_or(|t| now.as_second() - t.as_second() >= LOOK_EVERY_SECONDS);
        if !changed && !due {
            return Vec::new();
        }
        self.revision = Some(lanes.revision());
        self.last_look = Some(now);
        let mut texts = Vec::new();
        let mut blocks = HashMap::new();
        for lane in lanes.iter() {
            let Some(release) = lane.current() else {
                continue;
            };
            let first_look = self.seen.insert(lane.policy.clone());
            let event = if release.rolled_out() {
                // Only a rollout seen to finish after notifications began.
                let recent = release
                    .mark(Stage::RolledOut)
                    .at()
                    .is_some_and(|at| at >= self.since);
                recent.then_some(Event::RolledOut)
            } else {
                state
                    .stuck(lane, release, now)
                    .filter(|s| s.blocked && release.superseded_by.is_none())
                    .map(|s| Event::Blocked(s.stage))
            };
            let Some(event) = event else {
                continue;
            };
            let told = self.told.entry(lane.policy.clone()).or_default();
            if told.iter().any(|(t, e)| *t == release.tag && *e == event) {
                continue;
            }
            if let Event::Blocked(stage) = event
                && !first_look
            {
                let key = (lane.policy.clone(), release.tag.clone(), stage);
                let since = self.blocks.get(&key).copied().unwrap_or(now);
                if now.as_second() - since.as_second() < BLOCK_GRACE_SECONDS {
                    blocks.insert(key, since);
                    continue;
                }
            }
            told.push((release.tag.clone(), event.clone()));
            if told.len() > 2 * KEPT_RELEASES {
                told.remove(0);
            }
            if first_look && matches!(event, Event::Blocked(_)) {
                // Blocked before fluxdeck looked: not news.
                continue;
            }
            texts.push(match event {
                Event::RolledOut => {
                    let total = release
                        .total()
                        .map(|d| format!(" in {}", duration(d)))
                        .unwrap_or_default();
                    format!("{} {} rolled out{total}", lane.app(), release.tag)
                }
                Event::Blocked(stage) => {
                    let reason = state
                        .stuck(lane, release, now)
                        .map(|s| s.reason)
                        .unwrap_or_default();
                    format!(
                        "{} {} blocked at {stage}: {reason}",
                        lane.app(),
                        release.tag
                    )
                }
            });
        }
        // Blocks that cleared before their grace ended are forgotten.
        self.blocks = blocks;
        texts
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::testkit::*;

    #[test]
    fn osc9_is_one_sequence_and_tmux_gets_it_wrapped_with_escapes_doubled() {
        assert_eq!(
            osc9("web v2 rolled out", false),
            "\x1b]9;web v2 rolled out\x07"
        );
        assert_eq!(
            osc9("web v2 rolled out", true),
            "\x1bPtmux;\x1b\x1b]9;web v2 rolled out\x07\x1b\\"
        );
        // Control characters in object names or reasons cannot end or inject a sequence.
        assert_eq!(osc9("a\x07b\x1b]0;x\nc", false), "\x1b]9;ab]0;xc\x07");
        assert_eq!(osc9(&"x".repeat(1000), false).len(), MAX_TEXT + 5);
        assert_eq!(sequence("hi", false), "\x07\x1b]9;hi\x07");
    }

    #[test]
    fn a_rollout_and_a_block_are_told_once_each_and_old_news_never() {
        // At start the app runs build 1, rolled out at 70, before notifications began.
        let mut state = running();
        let mut notifier = Notifier::new(t(100));
        assert_eq!(notifier.check(&state, t(100)), Vec::<String>::new());

        // Build 2 goes through, rolls out at 280: told once.
        let tag = "main-bbbbbbb-2";
        for (u, at) in [
            (scan(&[(tag, 200), ("main-aaaaaaa-1", 5)]), 205),
            (repository(230, &[tag], json!({})), 231),
            (policy(Some(tag), json!({})), 232),
            (log(3, &[(2, "main-aaaaaaa-1"), (3, tag)]), 240),
            (source(3, 250, json!({})), 251),
            (kustomization(3, json!({})), 260),
            (pod("web-abc-1", tag, true, None, 270), 271),
        ] {
            state.apply_at(u, t(at));
            assert_eq!(notifier.check(&state, t(at)), Vec::<String>::new());
        }
        state.apply_at(pod("web-abc-2", tag, true, None, 280), t(281));
        let told = notifier.check(&state, t(281));
        assert_eq!(told, ["shop/web main-bbbbbbb-2 rolled out in 80s"]);
        // Later looks, with or without changes, say nothing more.
        state.apply_at(pod("web-abc-2", tag, true, None, 280), t(290));
        assert!(notifier.check(&state, t(290)).is_empty());
        assert!(notifier.check(&state, t(400)).is_empty());

        // Build 3 stops at a suspended Kustomization: told once it has lasted the grace,
        // and once only, however often looked at.
        let third = "main-ccccccc-3";
        for (u, at) in [
            (scan(&[(third, 500), (tag, 200)]), 505),
            (repository(530, &[third], json!({})), 531),
            (policy(Some(third), json!({})), 532),
            (log(4, &[(3, tag), (4, third)]), 540),
            (source(4, 550, json!({})), 551),
            (kustomization(3, json!({"spec": {"suspend": true}})), 552),
        ] {
            state.apply_at(u, t(at));
            let told = notifier.check(&state, t(at));
            assert!(told.is_empty(), "{at}: {told:?}");
        }
        assert!(notifier.check(&state, t(557)).is_empty());
        let told = notifier.check(&state, t(562));
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].starts_with(
                "shop/web main-ccccccc-3 blocked at applied: Kustomization shop/apps is suspended"
            ),
            "{told:?}"
        );
        assert!(notifier.check(&state, t(570)).is_empty());
        assert!(notifier.check(&state, t(600)).is_empty());
    }

    #[test]
    fn what_is_blocked_at_the_first_look_is_not_news() {
        let mut state = running();
        state.apply_at(scan(&[("main-bbbbbbb-2", 200)]), t(200));
        state.apply_at(
            repository(90, &["main-aaaaaaa-1"], json!({"spec": {"suspend": true}})),
            t(201),
        );
        let lane = state.lanes().iter().next().unwrap();
        assert!(
            state
                .stuck(lane, lane.current().unwrap(), t(202))
                .unwrap()
                .blocked
        );
        let mut notifier = Notifier::new(t(202));
        assert!(notifier.check(&state, t(202)).is_empty());
        assert!(notifier.check(&state, t(300)).is_empty());
    }
}
