//! Copying what the selected row names to the clipboard (`c`).

use crate::ui::clipboard;
use crate::ui::ui_state::{Level, UiState};

use super::context::{Context, Effect};

/// `c` (or `y` outside a confirmation): what the selected row names, to the clipboard.
pub(super) fn selected(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
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
