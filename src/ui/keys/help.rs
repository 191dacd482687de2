//! Keys of the help overlay (`?`).

use crate::ui::intent::Intent;
use crate::ui::ui_state::{Mode, UiState};

use super::context::Effect;

/// Handles an intent while the help is shown: help, back or cancel close it (back to the
/// log view when it was asked from there), quit quits.
pub(super) fn intent(ui: &mut UiState, intent: Intent) -> Vec<Effect> {
    match intent {
        // Back to the log view when help was asked from there.
        Intent::Help | Intent::Back | Intent::Cancel if ui.logs.is_some() => ui.mode = Mode::Logs,
        Intent::Help | Intent::Back | Intent::Cancel => ui.mode = Mode::Normal,
        Intent::Quit => ui.quit = true,
        _ => {}
    }
    Vec::new()
}
