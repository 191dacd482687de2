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

use crossterm::event::KeyCode;

use crate::model::key::ObjectKey;
use crate::model::pod::Pod;
use crate::state::{Command, LogSession, LogTarget, State};

use super::input::{Context, Effect};
use super::keymap::{Intent, KeyChord};
use super::log_view::LogView;
use super::rows::pod_rows;
use super::ui_state::{Level, Mode, PaneId, UiState};

/// Opens the log of the pod under the cursor, or of a pod of the Kustomization under it.
pub fn open(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
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
pub fn follow_workloads(ui: &mut UiState, state: &State, now: jiff::Timestamp) -> Vec<Command> {
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
pub fn pick_pod<'a>(state: &'a State, ks: &ObjectKey) -> Option<&'a Pod> {
    let rows = pod_rows(state, Some(ks));
    rows.following?;
    let mut best: Option<&Pod> = None;
    for i in 0..crate::ui::rows::Rows::len(&rows) {
        let Some(pod) = crate::ui::rows::Rows::key_at(&rows, i).and_then(|k| state.pods().get(k))
        else {
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

/// Handles a key while the log view is open.
pub fn key(ui: &mut UiState, cx: &Context<'_>, chord: KeyChord) -> Vec<Effect> {
    if chord == KeyChord::new(KeyCode::Char('c'), crossterm::event::KeyModifiers::CONTROL) {
        ui.quit = true;
        return Vec::new();
    }
    let Some(mut view) = ui.logs.take() else {
        ui.mode = Mode::Normal;
        return Vec::new();
    };
    let effects = if view.typing {
        search_key(&mut view, cx, chord);
        Vec::new()
    } else {
        view_key(ui, &mut view, cx, chord)
    };
    // Closing sets the normal mode; help keeps the view to come back to.
    if ui.mode != Mode::Normal {
        ui.logs = Some(view);
    }
    effects
}

fn search_key(view: &mut LogView, cx: &Context<'_>, chord: KeyChord) {
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
        KeyCode::Char(c)
            if !chord
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            view.search.push(c);
        }
        _ => {}
    }
}

fn view_key(
    ui: &mut UiState,
    view: &mut LogView,
    cx: &Context<'_>,
    chord: KeyChord,
) -> Vec<Effect> {
    let plain =
        chord.modifiers.is_empty() || chord.modifiers == crossterm::event::KeyModifiers::SHIFT;
    if plain {
        match chord.code {
            KeyCode::Char('p') => {
                view.target.previous = !view.target.previous;
                return restart(ui, view);
            }
            KeyCode::Char('w') => {
                view.wrap = !view.wrap;
                return Vec::new();
            }
            KeyCode::Char('n') => {
                jump(view, cx, false);
                return Vec::new();
            }
            KeyCode::Char('N') => {
                jump(view, cx, true);
                return Vec::new();
            }
            KeyCode::Char(']') => return cycle_container(ui, view, cx, false),
            KeyCode::Char('[') => return cycle_container(ui, view, cx, true),
            _ => {}
        }
    }
    let Some(intent) = cx.keymap.intent(&chord) else {
        return Vec::new();
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
