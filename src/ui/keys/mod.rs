//! Keys in, effects out. A key press travels one way:
//!
//! 1. [`KeyMode::of`] decides once which mode has the keyboard, from [`UiState`];
//! 2. text-entry modes (the filter, the command line, the log view's search) take the raw
//!    key first (`filter.rs`, `line.rs`, `logs::search_key`); every other mode looks the
//!    key up once in the keymap and gets an [`Intent`] (the log view its own keys first,
//!    `logs::meaning`);
//! 3. one handler per mode (`normal.rs`, `help.rs`, `details.rs`, `commits.rs` for the diff
//!    view, `confirm.rs`, `logs.rs`) turns it into `UiState` changes and [`Effect`]s, the
//!    `Command`s for the workers among them.
//!
//! Handlers share helpers (`actions.rs`, `copy.rs`, `scroll.rs`, `views.rs`,
//! `releases.rs`) and never call back into this dispatcher. Pure apart from the returned
//! effects, so tests drive it exactly as the terminal does.

mod actions;
mod commits;
mod confirm;
mod context;
mod copy;
mod details;
mod filter;
mod help;
mod line;
pub(crate) mod logs;
mod normal;
mod releases;
mod scroll;
mod views;

use crate::model::key::ObjectKey;

use super::intent::Intent;
use super::key_chord::KeyChord;
use super::ui_state::{Confirm, DetailsTab, Mode, UiState};

pub use context::{Context, Effect};
pub use views::sync_views;

/// The UI's modes as the keyboard sees them, decided once per key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMode {
    /// The panes.
    Normal,
    /// Typing the focused pane's filter (raw keys).
    Filter,
    /// Typing a `:` command (raw keys); the line so far.
    CommandLine(String),
    /// The key help.
    Help,
    /// The details of one object.
    Details {
        /// Which object.
        key: ObjectKey,
        /// Which tab.
        tab: DetailsTab,
        /// First line shown.
        scroll: usize,
    },
    /// The diff of one commit.
    Diff {
        /// The repository's key.
        repository: String,
        /// The commit.
        sha: String,
        /// First line shown.
        scroll: usize,
    },
    /// A confirmation dialog.
    Confirm(Confirm),
    /// The log view.
    Logs,
    /// Typing the log view's search (raw keys).
    LogSearch,
}

impl KeyMode {
    /// The mode that has the keyboard.
    pub fn of(ui: &UiState) -> KeyMode {
        match &ui.mode {
            Mode::Normal => KeyMode::Normal,
            Mode::Filter => KeyMode::Filter,
            Mode::Command(line) => KeyMode::CommandLine(line.clone()),
            Mode::Help => KeyMode::Help,
            Mode::Details { key, tab, scroll } => KeyMode::Details {
                key: key.clone(),
                tab: *tab,
                scroll: *scroll,
            },
            Mode::Diff {
                repository,
                sha,
                scroll,
            } => KeyMode::Diff {
                repository: repository.clone(),
                sha: sha.clone(),
                scroll: *scroll,
            },
            Mode::Confirm(confirm) => KeyMode::Confirm(confirm.clone()),
            Mode::Logs if ui.logs.as_ref().is_some_and(|v| v.typing) => KeyMode::LogSearch,
            Mode::Logs => KeyMode::Logs,
        }
    }
}

/// Handles one key press.
pub fn handle_key(ui: &mut UiState, cx: &Context<'_>, chord: KeyChord) -> Vec<Effect> {
    let effects = match KeyMode::of(ui) {
        KeyMode::Filter => filter::key(ui, cx, chord),
        KeyMode::CommandLine(line) => line::key(ui, cx, chord, line),
        KeyMode::LogSearch => logs::search_key(ui, cx, chord),
        KeyMode::Logs => logs::key(ui, cx, logs::meaning(cx.keymap, chord)),
        mode => match cx.keymap.intent(&chord) {
            Some(intent) => on_intent(ui, cx, mode, intent),
            None => Vec::new(),
        },
    };
    sync_views(ui, cx.state);
    effects
}

/// Hands an intent to the handler of `mode`.
fn on_intent(ui: &mut UiState, cx: &Context<'_>, mode: KeyMode, intent: Intent) -> Vec<Effect> {
    match mode {
        KeyMode::Normal => normal::intent(ui, cx, intent),
        KeyMode::Help => help::intent(ui, intent),
        KeyMode::Details { key, tab, scroll } => details::intent(ui, cx, intent, key, tab, scroll),
        KeyMode::Diff {
            repository,
            sha,
            scroll,
        } => commits::diff_intent(ui, intent, repository, sha, scroll),
        KeyMode::Confirm(confirm) => confirm::intent(ui, cx, intent, confirm),
        // These took the key before any lookup.
        KeyMode::Filter | KeyMode::CommandLine(_) | KeyMode::Logs | KeyMode::LogSearch => {
            Vec::new()
        }
    }
}
