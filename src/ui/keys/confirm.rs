//! Keys of the confirmation dialog of an action.

use crate::ui::intent::Intent;
use crate::ui::ui_state::{Confirm, Level, Mode, UiState};

use super::actions;
use super::context::{Context, Effect};

/// Handles an intent in the confirmation dialog: yes (or `Enter`) sends the action, no,
/// back or quit cancel it.
pub(super) fn intent(
    ui: &mut UiState,
    cx: &Context<'_>,
    intent: Intent,
    confirm: Confirm,
) -> Vec<Effect> {
    match intent {
        Intent::Confirm | Intent::Details => {
            ui.mode = Mode::Normal;
            actions::send_action(ui, cx, confirm.action, confirm.keys)
        }
        Intent::Cancel | Intent::Back | Intent::Quit => {
            ui.mode = Mode::Normal;
            ui.say(Level::Info, format!("{} cancelled", confirm.action), cx.now);
            Vec::new()
        }
        _ => Vec::new(),
    }
}
