//! Keys in, effects out: a key press becomes an intent through the keymap; the intent
//! changes `UiState` or yields a `Command` for a worker. Pure apart from the returned
//! effects, so tests drive it exactly as the terminal does.

use crossterm::event::KeyCode;
use jiff::Timestamp;

use crate::model::key::ObjectKey;
use crate::state::{Command, State};

use super::actions::{action_of, flux_pane_view, global_refusal, request, send_action, targets};
use super::clipboard;
use super::command_line::{self, LineCommand};
use super::commit_keys;
use super::keymap::{Intent, KeyChord, Keymap};
use super::log_keys;
use super::release_keys;
use super::rows::{ChainRows, LaneRows, commit_rows, pod_rows};
use super::theme::Theme;
use super::theme::Themes;
use super::ui_state::{Confirm, DetailsTab, Level, Mode, PaneId, UiState};

/// What the app must do after a key, beyond the `UiState` change.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this to the workers.
    Send(Command),
    /// Switch to this theme.
    SetTheme(Theme),
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
}

/// What input handling reads.
pub struct Context<'a> {
    /// The state.
    pub state: &'a State,
    /// The keymap.
    pub keymap: &'a Keymap,
    /// The themes, for `:theme`.
    pub themes: &'a Themes,
    /// The clock, for message times.
    pub now: Timestamp,
}

/// Runs `$body` with `$view` bound to the focused pane's view and `$rows` to its rows.
macro_rules! with_view {
    ($ui:expr, $state:expr, $pane:expr, |$view:ident, $rows:ident| $body:expr) => {
        match $pane {
            PaneId::Kustomizations => {
                let $rows = $state.kustomizations();
                let $view = &mut $ui.kustomizations;
                $body
            }
            PaneId::Sources => {
                let $rows = $state.sources();
                let $view = &mut $ui.sources;
                $body
            }
            PaneId::Images => {
                let $rows = &ChainRows { state: $state };
                let $view = &mut $ui.images;
                $body
            }
            PaneId::Commits => {
                let $rows = &commit_rows($state, $ui.commits_repo.as_deref());
                let $view = &mut $ui.commits;
                $body
            }
            PaneId::Pods => {
                let $rows = &pod_rows($state, $ui.kustomizations.selected());
                let $view = &mut $ui.pods;
                $body
            }
            PaneId::Releases => {
                let $rows = &LaneRows::new($state);
                let $view = &mut $ui.releases;
                $body
            }
        }
    };
}

/// Brings every view up to date with the state (after updates or a key).
pub fn sync_views(ui: &mut UiState, state: &State) {
    for pane in PaneId::ALL {
        let height = ui.height(pane);
        with_view!(ui, state, pane, |view, rows| view.sync(rows, height));
    }
}

/// Handles one key press.
pub fn handle_key(ui: &mut UiState, cx: &Context<'_>, chord: KeyChord) -> Vec<Effect> {
    let effects = match ui.mode.clone() {
        Mode::Filter => {
            filter_key(ui, cx, chord);
            Vec::new()
        }
        Mode::Command(line) => command_key(ui, cx, chord, line),
        Mode::Logs => log_keys::key(ui, cx, chord),
        mode => match cx.keymap.intent(&chord) {
            None => Vec::new(),
            Some(intent) => match mode {
                Mode::Help => {
                    help_intent(ui, intent);
                    Vec::new()
                }
                Mode::Details { key, tab, scroll } => {
                    details_intent(ui, cx, intent, key, tab, scroll)
                }
                Mode::Confirm(confirm) => confirm_intent(ui, cx, intent, confirm),
                Mode::Diff {
                    repository,
                    sha,
                    scroll,
                } => commit_keys::diff_intent(ui, intent, repository, sha, scroll),
                _ => normal_intent(ui, cx, intent),
            },
        },
    };
    sync_views(ui, cx.state);
    effects
}

fn filter_key(ui: &mut UiState, cx: &Context<'_>, chord: KeyChord) {
    let pane = ui.focus;
    let mut text = ui.filter(pane).to_owned();
    match chord.code {
        KeyCode::Enter => {
            ui.mode = Mode::Normal;
            return;
        }
        KeyCode::Esc => {
            text.clear();
            ui.mode = Mode::Normal;
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) if chord.modifiers.is_empty() => text.push(c),
        _ => return,
    }
    let height = ui.height(pane);
    with_view!(ui, cx.state, pane, |view, rows| view
        .set_filter(rows, &text, height));
}

fn command_key(
    ui: &mut UiState,
    cx: &Context<'_>,
    chord: KeyChord,
    mut line: String,
) -> Vec<Effect> {
    match chord.code {
        KeyCode::Esc => ui.mode = Mode::Normal,
        KeyCode::Backspace => {
            if line.pop().is_none() {
                ui.mode = Mode::Normal;
            } else {
                ui.mode = Mode::Command(line);
            }
        }
        KeyCode::Enter => {
            ui.mode = Mode::Normal;
            return run_line(ui, cx, &line);
        }
        KeyCode::Char(c) if chord.modifiers.is_empty() => {
            line.push(c);
            ui.mode = Mode::Command(line);
        }
        _ => {}
    }
    Vec::new()
}

fn run_line(ui: &mut UiState, cx: &Context<'_>, line: &str) -> Vec<Effect> {
    let command = match command_line::parse(line) {
        Ok(command) => command,
        Err(message) => {
            ui.say(Level::Error, message, cx.now);
            return Vec::new();
        }
    };
    match command {
        LineCommand::Quit => {
            ui.quit = true;
            Vec::new()
        }
        LineCommand::Namespace(namespace) => {
            let shown = namespace.as_deref().unwrap_or("all namespaces").to_owned();
            ui.say(
                Level::Info,
                format!("switching Flux panes to {shown}"),
                cx.now,
            );
            vec![Effect::Send(Command::SwitchNamespace { namespace })]
        }
        LineCommand::Context(context) => {
            ui.say(
                Level::Info,
                format!("switching to context {context}"),
                cx.now,
            );
            vec![Effect::Send(Command::SwitchContext { context })]
        }
        LineCommand::Pods(watch) => {
            let text = match &watch {
                crate::state::PodsWatch::Namespace(ns) => {
                    format!("switching pods to namespace {ns}")
                }
                crate::state::PodsWatch::All => "switching pods to all namespaces".to_owned(),
                crate::state::PodsWatch::Workloads => {
                    "switching pods to the namespaces of the Kustomizations' workloads".to_owned()
                }
            };
            ui.say(Level::Info, text, cx.now);
            vec![Effect::Send(Command::SwitchPods { watch })]
        }
        LineCommand::Theme(name) => match cx.themes.get(&name) {
            Ok(theme) => {
                ui.theme = name.clone();
                ui.say(Level::Info, format!("theme {name}"), cx.now);
                vec![Effect::SetTheme(theme)]
            }
            Err(e) => {
                ui.say(Level::Error, e.to_string(), cx.now);
                Vec::new()
            }
        },
        LineCommand::Repo(key) => commit_keys::choose_repo(ui, cx, key.as_deref()),
        LineCommand::Releases(app) => {
            release_keys::show(ui, cx, app.as_deref());
            Vec::new()
        }
        LineCommand::Build(kind) => {
            if ui.read_only {
                ui.say(
                    Level::Error,
                    "read-only: :build refused (:readonly off to allow it)",
                    cx.now,
                );
                return Vec::new();
            }
            ui.say(
                Level::Info,
                format!("asking the sandbox's CI for a build ({kind})…"),
                cx.now,
            );
            vec![Effect::Send(Command::SandboxBuild { kind })]
        }
        LineCommand::ReadOnly(set) => {
            ui.read_only = set.unwrap_or(!ui.read_only);
            let text = if ui.read_only {
                "read-only: actions are refused (:readonly to allow them)"
            } else {
                "read-write: actions are allowed"
            };
            ui.say(Level::Info, text, cx.now);
            vec![Effect::Send(Command::SetReadOnly {
                read_only: ui.read_only,
            })]
        }
    }
}

fn help_intent(ui: &mut UiState, intent: Intent) {
    match intent {
        // Back to the log view when help was asked from there.
        Intent::Help | Intent::Back | Intent::Cancel if ui.logs.is_some() => ui.mode = Mode::Logs,
        Intent::Help | Intent::Back | Intent::Cancel => ui.mode = Mode::Normal,
        Intent::Quit => ui.quit = true,
        _ => {}
    }
}

fn details_intent(
    ui: &mut UiState,
    cx: &Context<'_>,
    intent: Intent,
    key: ObjectKey,
    tab: DetailsTab,
    scroll: usize,
) -> Vec<Effect> {
    let page = cx_page(ui);
    let (tab, scroll) = match intent {
        Intent::Back => {
            ui.mode = Mode::Normal;
            return Vec::new();
        }
        Intent::Quit => {
            ui.quit = true;
            return Vec::new();
        }
        Intent::Help => {
            ui.mode = Mode::Help;
            return Vec::new();
        }
        Intent::FocusNext => (tab.cycle(false), 0),
        Intent::FocusPrev => (tab.cycle(true), 0),
        Intent::Down
        | Intent::Up
        | Intent::PageDown
        | Intent::PageUp
        | Intent::Top
        | Intent::Bottom => (tab, scrolled(intent, scroll, page)),
        Intent::Details => {
            return vec![Effect::Send(Command::FetchDetails { key })];
        }
        Intent::Copy | Intent::Confirm => return copy(ui, cx),
        i if i.is_action() => {
            let action = action_of(i);
            return request(ui, cx, action, vec![key]);
        }
        _ => return Vec::new(),
    };
    // The last frame knows how long the content is; a new tab starts at the top anyway.
    let scroll = clamp_scroll(ui, scroll);
    ui.mode = Mode::Details { key, tab, scroll };
    Vec::new()
}

/// The first line shown after a scrolling intent (other intents keep `scroll`).
pub(super) fn scrolled(intent: Intent, scroll: usize, page: usize) -> usize {
    match intent {
        Intent::Down => scroll.saturating_add(1),
        Intent::Up => scroll.saturating_sub(1),
        Intent::PageDown => scroll.saturating_add(page),
        Intent::PageUp => scroll.saturating_sub(page),
        Intent::Top => 0,
        Intent::Bottom => usize::MAX,
        _ => scroll,
    }
}

/// `scroll` kept within the content the last frame showed in the details or diff view.
pub(super) fn clamp_scroll(ui: &UiState, scroll: usize) -> usize {
    let last = ui
        .frame
        .details_lines
        .saturating_sub(ui.frame.details_height);
    scroll.min(last)
}

pub(super) fn cx_page(ui: &UiState) -> usize {
    ui.frame.details_height.max(1)
}

fn confirm_intent(
    ui: &mut UiState,
    cx: &Context<'_>,
    intent: Intent,
    confirm: Confirm,
) -> Vec<Effect> {
    match intent {
        Intent::Confirm | Intent::Details => {
            ui.mode = Mode::Normal;
            send_action(ui, cx, confirm.action, confirm.keys)
        }
        Intent::Cancel | Intent::Back | Intent::Quit => {
            ui.mode = Mode::Normal;
            ui.say(Level::Info, format!("{} cancelled", confirm.action), cx.now);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn normal_intent(ui: &mut UiState, cx: &Context<'_>, intent: Intent) -> Vec<Effect> {
    let pane = ui.focus;
    let height = ui.height(pane);
    let state = cx.state;
    match intent {
        Intent::Quit => ui.quit = true,
        Intent::Help => ui.mode = Mode::Help,
        Intent::FocusNext => ui.focus = pane.cycle(false, ui.releases_shown),
        Intent::FocusPrev => ui.focus = pane.cycle(true, ui.releases_shown),
        Intent::Releases => release_keys::toggle(ui),
        Intent::Left | Intent::Right | Intent::Logs if pane == PaneId::Releases => {
            release_keys::move_cursor(ui, cx, intent != Intent::Left);
        }
        Intent::Left | Intent::Right => {}
        Intent::Logs => return log_keys::open(ui, cx),
        Intent::Down => with_view!(ui, state, pane, |v, rows| v.move_by(rows, 1, height)),
        Intent::Up => with_view!(ui, state, pane, |v, rows| v.move_by(rows, -1, height)),
        Intent::PageDown => {
            let page = isize::try_from(height).unwrap_or(isize::MAX);
            with_view!(ui, state, pane, |v, rows| v.move_by(rows, page, height));
        }
        Intent::PageUp => {
            let page = isize::try_from(height).unwrap_or(isize::MAX);
            with_view!(ui, state, pane, |v, rows| v.move_by(rows, -page, height));
        }
        Intent::Top => with_view!(ui, state, pane, |v, rows| v.top(rows, height)),
        Intent::Bottom => {
            with_view!(ui, state, pane, |v, rows| v.bottom(rows, height));
            // The end of a partly loaded log asks for the next page.
            if let (PaneId::Commits, Some(log)) =
                (pane, state.commits_for(ui.commits_repo.as_deref()))
                && !log.complete
                && !log.commits.is_empty()
            {
                return vec![Effect::Send(Command::LoadMoreCommits {
                    repository: log.key.clone(),
                })];
            }
        }
        Intent::Refresh => return commit_keys::refresh(ui, cx, pane),
        Intent::Filter => ui.mode = Mode::Filter,
        Intent::Command => ui.mode = Mode::Command(String::new()),
        Intent::Back => {
            if !ui.filter(pane).is_empty() {
                with_view!(ui, state, pane, |v, rows| v.set_filter(rows, "", height));
            } else {
                with_view!(ui, state, pane, |v, _rows| v.clear_marks());
            }
        }
        Intent::Select if pane == PaneId::Releases => release_keys::fold(ui),
        Intent::Select => match flux_pane_view(ui, pane) {
            Some(view) => view.toggle_mark(),
            None => ui.say(
                Level::Error,
                "marking applies to Flux objects: focus Kustomizations, Sources or Image automation",
                cx.now,
            ),
        },
        Intent::Details => return open_details(ui, cx),
        Intent::Suspend | Intent::Resume | Intent::Reconcile | Intent::ReconcileWithSource => {
            let action = action_of(intent);
            if let Some(reason) = global_refusal(ui, state, action) {
                ui.say(Level::Error, reason, cx.now);
                return Vec::new();
            }
            return match targets(ui, pane) {
                Ok(keys) => request(ui, cx, action, keys),
                Err(message) => {
                    ui.say(Level::Error, format!("{action}: {message}"), cx.now);
                    Vec::new()
                }
            };
        }
        // `y` confirms nothing here: it yanks, as `c` copies.
        Intent::Copy | Intent::Confirm => return copy(ui, cx),
        Intent::Cancel => {}
    }
    Vec::new()
}

/// `c` (or `y` outside a confirmation): what the selected row names, to the clipboard.
fn copy(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
    match clipboard::selected_value(ui, cx.state) {
        Ok(value) if value.len() > clipboard::MAX_BYTES => {
            ui.say(
                Level::Error,
                format!(
                    "not copied: {} bytes is more than a terminal takes at once ({})",
                    value.len(),
                    clipboard::MAX_BYTES
                ),
                cx.now,
            );
            Vec::new()
        }
        Ok(value) => {
            ui.say(Level::Info, format!("copied {value}"), cx.now);
            vec![Effect::Copy(value)]
        }
        Err(message) => {
            ui.say(Level::Error, message, cx.now);
            Vec::new()
        }
    }
}

fn open_details(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
    let key = match ui.focus {
        PaneId::Kustomizations => ui.kustomizations.selected().cloned(),
        PaneId::Sources => ui.sources.selected().cloned(),
        PaneId::Images => ui.images.selected().cloned(),
        PaneId::Pods => ui.pods.selected().cloned(),
        PaneId::Commits => return commit_keys::open_diff(ui, cx),
        PaneId::Releases => return release_keys::open(ui, cx),
    };
    let Some(key) = key else {
        return Vec::new();
    };
    ui.mode = Mode::Details {
        key: key.clone(),
        tab: DetailsTab::Conditions,
        scroll: 0,
    };
    vec![Effect::Send(Command::FetchDetails { key })]
}
