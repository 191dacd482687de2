//! Typing the focused pane's filter (`/`): raw characters, before any keymap lookup.

use crossterm::event::KeyCode;

use crate::ui::key_chord::KeyChord;
use crate::ui::ui_state::{Mode, UiState};

use super::context::{Context, Effect};
use super::views::with_view;

/// Handles a key while the focused pane's filter is typed: characters edit it, `Enter`
/// keeps it, `Esc` clears it.
pub(super) fn key(ui: &mut UiState, cx: &Context<'_>, chord: KeyChord) -> Vec<Effect> {
    let pane = ui.focus;
    let mut text = ui.filter(pane).to_owned();
    match chord.code {
        KeyCode::Enter => {
            ui.mode = Mode::Normal;
            return Vec::new();
        }
        KeyCode::Esc => {
            text.clear();
            ui.mode = Mode::Normal;
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) if chord.modifiers.is_empty() => text.push(c),
        _ => return Vec::new(),
    }
    let height = ui.height(pane);
    with_view!(ui, cx.state, pane, |view, rows| view
        .set_filter(rows, &text, height));
    Vec::new()
}
