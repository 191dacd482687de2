//! The log view's keys: `l` on a pod (or on a Kustomization: one pod of its workloads, the
//! newest ready one, as `kubectl logs deploy/NAME` picks) opens its log, following; in the
//! view, scrolling up pauses and `G`/End (or scrolling back down to the end) follows again,
//! Tab/`]` and Shift-Tab/`[` change the container (init containers last), `p` shows the
//! previous instance, `w` wraps, `/` searches with `n`/`N` for the next and previous match,
//! and Esc or `q` close the view and stop the stream. A view opened on a Kustomization moves
//! to the newly picked pod when a rollout replaces the one it reads.
//!
//! The view keeps only where it is ([`LogView`]); the lines are the state's
//! ([`crate::state::LogBuffer`]), numbered from the stream's start so a paused view stays
//! on its line while older lines are dropped.

use crossterm::event::{KeyCode, KeyModifiers};

use crate::model::key::ObjectKey;
use crate::model::pod::Pod;
use crate::state::{Command, LogSession, LogTarget, State};

use crate::ui::intent::Intent;
use crate::ui::key_chord::KeyChord;
use crate::ui::keymap::Keymap;
use crate::ui::log_view::LogView;
use crate::ui::rows::{Rows, pod_rows};
use crate::ui::ui_state::{Level, Mode, PaneId, UiState};

use super::context::{Context, Effect};

/// Opens the log of the pod under the cursor, or of a pod of the Kustomization under it.
pub(super) fn open(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
    let state = cx.state;
    let (pod, workloads_of) = match ui.focus {
        PaneId::Pods => match ui.pods.selected().and_then(|k| state.pods().get(k)) {
            Some(pod) => (pod, None),
            None => {
                ui.say(Level::Error, "logs: no pod selected", cx.now);
                return Vec::new();
            }
        },
        PaneId::Kustomizations => {
            let Some(ks) = ui.kustomizations.selected().cloned() else {
                ui.say(Level::Error, "logs: no Kustomization selected", cx.now);
                return Vec::new();
            };
            match pick_pod(state, &ks) {
                Some(pod) => (pod, Some(ks)),
                None => {
                    ui.say(
                        Level::Error,
                        format!(
                            "logs: {ks} has no pod of a workload in its inventory (among the watched pods)"
                        ),
                        cx.now,
                    );
                    return Vec::new();
                }
            }
        }
        _ => {
            ui.say(
                Level::Error,
                "logs: select a pod (Pods pane) or a Kustomization with workloads",
                cx.now,
            );
            return Vec::new();
        }
    };
    let view = view_of(ui, pod, workloads_of, None);
    let effect = open_effect(&view);
    ui.logs = Some(view);
    ui.mode = Mode::Logs;
    vec![effect]
}

/// A following view of `pod`'s container `container` (when it has one so named, else its
/// first), on a new session.
fn view_of(
    ui: &mut UiState,
    pod: &Pod,
    workloads_of: Option<ObjectKey>,
    container: Option<&str>,
) -> LogView {
    let mut containers = pod.containers.clone();
    containers.extend(pod.init_containers.iter().cloned());
    let container = container
        .filter(|c| containers.iter().any(|x| x == c))
        .map(str::to_owned)
        .or_else(|| pod.containers.first().cloned());
    let via = workloads_of.as_ref().map(|ks| {
        format!(
            "{} of {}/{}",
            pod.workload.as_deref().unwrap_or("a pod"),
            ks.namespace,
            ks.name
        )
    });
    LogView {
        session: next_session(ui),
        target: LogTarget {
            pod: pod.key.clone(),
            container,
            previous: false,
        },
        containers,
        workloads_of,
        via,
        follow: true,
        top: 0,
        wrap: false,
        search: String::new(),
        typing: false,
    }
}

/// After updates: a view of a Kustomization's workloads whose pod is gone (replaced by a
/// rollout) moves to the pod picked now, as `kubectl logs deploy/NAME` run again would.
/// Returns the commands that switch the stream.
pub(crate) fn follow_workloads(
    ui: &mut UiState,
    state: &State,
    now: jiff::Timestamp,
) -> Vec<Command> {
    let Some(view) = ui.logs.as_ref() else {
        return Vec::new();
    };
    let Some(ks) = view.workloads_of.clone() else {
        return Vec::new();
    };
    if state.pods().get(&view.target.pod).is_some() {
        return Vec::new();
    }
    let Some(pod) = pick_pod(state, &ks) else {
        return Vec::new();
    };
    let (old, wrap, search) = (view.session, view.wrap, view.search.clone());
    let container = view.target.container.clone();
    let gone = view.target.pod.name.to_string();
    let mut next = view_of(ui, pod, Some(ks), container.as_deref());
    next.wrap = wrap;
    next.search = search;
    ui.say(
        Level::Info,
        format!("logs: pod {gone} is gone; now {}", pod.key.name),
        now,
    );
    let open = Command::OpenLogs {
        session: next.session,
        target: next.target.clone(),
    };
    ui.logs = Some(next);
    vec![Command::CloseLogs { session: old }, open]
}

/// The pod `kubectl logs deploy/NAME` would read for a Kustomization's workloads: among the
/// pods of its inventory's workloads, a ready one before others, then the newest.
fn pick_pod<'a>(state: &'a State, ks: &ObjectKey) -> Option<&'a Pod> {
    let rows = pod_rows(state, Some(ks));
    rows.following?;
    let mut best: Option<&Pod> = None;
    for i in 0..Rows::len(&rows) {
        let Some(pod) = Rows::key_at(&rows, i).and_then(|k| state.pods().get(k)) else {
            continue;
        };
        let rank = |p: &Pod| (p.ready_since.is_some() && p.ready == p.total, p.created);
        if best.is_none_or(|b| rank(pod) > rank(b)) {
            best = Some(pod);
        }
    }
    best
}

fn next_session(ui: &mut UiState) -> LogSession {
    ui.next_log_session += 1;
    LogSession(ui.next_log_session)
}

fn open_effect(view: &LogView) -> Effect {
    Effect::Send(Command::OpenLogs {
        session: view.session,
        target: view.target.clone(),
    })
}

/// What a key means in the log view: the view's own keys (`p`, `w`, `n`, `N`, `]`, `[`)
/// before the keymap's intents; `Ctrl-c` quits fluxdeck (`q` only closes the view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LogKey {
    /// `Ctrl-c`: quit fluxdeck.
    QuitApp,
    /// `p`: the previous instance of the container (or back to the current one).
    Previous,
    /// `w`: wrap long lines, or cut them.
    Wrap,
    /// `n`: the next match of the search.
    NextMatch,
    /// `N`: the previous match of the search.
    PrevMatch,
    /// `]`: the next container.
    NextContainer,
    /// `[`: the previous container.
    PrevContainer,
    /// A key of the keymap.
    Intent(Intent),
}

/// The log view's one lookup of a key: its own keys first, then the keymap.
pub(super) fn meaning(keymap: &Keymap, chord: KeyChord) -> Option<LogKey> {
    if chord == KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL) {
        return Some(LogKey::QuitApp);
    }
    let plain = chord.modifiers.is_empty() || chord.modifiers == KeyModifiers::SHIFT;
    if plain {
        let own = match chord.code {
            KeyCode::Char('p') => Some(LogKey::Previous),
            KeyCode::Char('w') => Some(LogKey::Wrap),
            KeyCode::Char('n') => Some(LogKey::NextMatch),
            KeyCode::Char('N') => Some(LogKey::PrevMatch),
            KeyCode::Char(']') => Some(LogKey::NextContainer),
            KeyCode::Char('[') => Some(LogKey::PrevContainer),
            _ => None,
        };
        if own.is_some() {
            return own;
        }
    }
    keymap.intent(&chord).map(LogKey::Intent)
}

/// Handles a key (its [`meaning`], if any) while the log view is open.
pub(super) fn key(ui: &mut UiState, cx: &Context<'_>, key: Option<LogKey>) -> Vec<Effect> {
    if key == Some(LogKey::QuitApp) {
        ui.quit = true;
        return Vec::new();
    }
    let Some(mut view) = ui.logs.take() else {
        ui.mode = Mode::Normal;
        return Vec::new();
    };
    let effects = match key {
        Some(key) => view_key(ui, &mut view, cx, key),
        None => Vec::new(),
    };
    // Closing sets the normal mode; help keeps the view to come back to.
    if ui.mode != Mode::Normal {
        ui.logs = Some(view);
    }
    effects
}

/// Handles a key while the search is typed: raw characters, before any keymap lookup;
/// `Enter` jumps to the first match, `Esc` drops the search, `Ctrl-c` quits fluxdeck.
pub(super) fn search_key(ui: &mut UiState, cx: &Context<'_>, chord: KeyChord) -> Vec<Effect> {
    if chord == KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL) {
        ui.quit = true;
        return Vec::new();
    }
    let Some(view) = ui.logs.as_mut() else {
        ui.mode = Mode::Normal;
        return Vec::new();
    };
    match chord.code {
        KeyCode::Enter => {
            view.typing = false;
            jump(view, cx, false);
        }
        KeyCode::Esc => {
            view.typing = false;
            view.search.clear();
        }
        KeyCode::Backspace => {
            view.search.pop();
        }
        KeyCode::Char(c) if !chord.modifiers.contains(KeyModifiers::CONTROL) => {
            view.search.push(c);
        }
        _ => {}
    }
    Vec::new()
}

fn view_key(ui: &mut UiState, view: &mut LogView, cx: &Context<'_>, key: LogKey) -> Vec<Effect> {
    let intent = match key {
        LogKey::Intent(intent) => intent,
        LogKey::QuitApp => {
            ui.quit = true;
            return Vec::new();
        }
        LogKey::Previous => {
            view.target.previous = !view.target.previous;
            return restart(ui, view);
        }
        LogKey::Wrap => {
            view.wrap = !view.wrap;
            return Vec::new();
        }
        LogKey::NextMatch => {
            jump(view, cx, false);
            return Vec::new();
        }
        LogKey::PrevMatch => {
            jump(view, cx, true);
            return Vec::new();
        }
        LogKey::NextContainer => return cycle_container(ui, view, cx, false),
        LogKey::PrevContainer => return cycle_container(ui, view, cx, true),
    };
    let (len, first) = lines_of(cx.state, view);
    let page = ui.frame.details_height.max(1);
    // Where the first shown line is now (a following view shows the last page).
    let top = if view.follow {
        first + len.saturating_sub(page)
    } else {
        view.top
    };
    let last_top = first + len.saturating_sub(page);
    // A search may have put a match near the end on the top row: scrolling up from there
    // moves one line, not back to the last full page.
    let scroll_to = |view: &mut LogView, to: usize| {
        view.top = to.clamp(first, last_top.max(top).max(first));
        view.follow = false;
    };
    match intent {
        Intent::Back | Intent::Quit => return close(ui, view),
        Intent::Help => ui.mode = Mode::Help,
        Intent::Filter => {
            view.typing = true;
            view.search.clear();
        }
        Intent::FocusNext => return cycle_container(ui, view, cx, false),
        Intent::FocusPrev => return cycle_container(ui, view, cx, true),
        // Down to the last page follows again, as `G` does.
        Intent::Down | Intent::PageDown if top + step(intent, page) >= last_top => {
            view.follow = true;
        }
        Intent::Down | Intent::PageDown => scroll_to(view, top + step(intent, page)),
        Intent::Up => scroll_to(view, top.saturating_sub(1)),
        Intent::PageUp => scroll_to(view, top.saturating_sub(page)),
        Intent::Top => scroll_to(view, first),
        Intent::Bottom => view.follow = true,
        _ => {}
    }
    Vec::new()
}

fn step(intent: Intent, page: usize) -> usize {
    if intent == Intent::PageDown { page } else { 1 }
}

/// How many lines the view's stream has, and the number of the first one kept.
fn lines_of(state: &State, view: &LogView) -> (usize, usize) {
    match state.logs().filter(|b| b.session == view.session) {
        Some(b) => (b.len(), b.dropped),
        None => (0, 0),
    }
}

/// Moves to the next match below the top line (or the previous one above it, `back`),
/// wrapping around; pauses following.
fn jump(view: &mut LogView, cx: &Context<'_>, back: bool) {
    let Some(buffer) = cx.state.logs().filter(|b| b.session == view.session) else {
        return;
    };
    let matches = buffer.matches(&view.search);
    if matches.is_empty() {
        return;
    }
    let first = buffer.dropped;
    // From a following view, search from the end: the newest match first.
    let here = if view.follow {
        first + buffer.len()
    } else {
        view.top
    };
    let abs = |i: &usize| first + i;
    let to = if back || view.follow {
        matches
            .iter()
            .map(abs)
            .rev()
            .find(|m| *m < here)
            .or_else(|| matches.last().map(abs))
    } else {
        matches
            .iter()
            .map(abs)
            .find(|m| *m > here)
            .or_else(|| matches.first().map(abs))
    };
    if let Some(to) = to {
        view.top = to;
        view.follow = false;
    }
}

fn cycle_container(
    ui: &mut UiState,
    view: &mut LogView,
    cx: &Context<'_>,
    back: bool,
) -> Vec<Effect> {
    let n = view.containers.len();
    if n < 2 {
        ui.say(Level::Info, "logs: the pod has one container", cx.now);
        return Vec::new();
    }
    let at = view
        .target
        .container
        .as_ref()
        .and_then(|c| view.containers.iter().position(|x| x == c))
        .unwrap_or(0);
    let next = if back { (at + n - 1) % n } else { (at + 1) % n };
    view.target.container = view.containers.get(next).cloned();
    restart(ui, view)
}

/// A new stream for the view's (changed) target, from its start.
fn restart(ui: &mut UiState, view: &mut LogView) -> Vec<Effect> {
    let old = view.session;
    view.session = next_session(ui);
    view.follow = true;
    view.top = 0;
    vec![
        Effect::Send(Command::CloseLogs { session: old }),
        open_effect(view),
    ]
}

fn close(ui: &mut UiState, view: &LogView) -> Vec<Effect> {
    ui.mode = Mode::Normal;
    vec![Effect::Send(Command::CloseLogs {
        session: view.session,
    })]
}
