//! Keys of the details view (Conditions, Events, YAML of one object).

use crate::model::key::ObjectKey;
use crate::state::Command;
use crate::ui::intent::Intent;
use crate::ui::ui_state::{DetailsTab, Mode, UiState};

use super::actions;
use super::context::{Context, Effect};
use super::copy;
use super::scroll::{clamp_scroll, left, page, scrolled, scrolls};

/// Handles an intent in the details view of `key`: Tab and Shift-Tab change the tab, the
/// moves scroll, `Enter` fetches again, an action asks for itself on the object, `c` or
/// `y` copies, `?` shows the help, back closes.
pub(super) fn intent(
    ui: &mut UiState,
    cx: &Context<'_>,
    intent: Intent,
    key: ObjectKey,
    tab: DetailsTab,
    scroll: usize,
) -> Vec<Effect> {
    if left(ui, intent) {
        return Vec::new();
    }
    let page = page(ui);
    let (tab, scroll) = match intent {
        Intent::Help => {
            ui.mode = Mode::Help;
            return Vec::new();
        }
        Intent::FocusNext => (tab.cycle(false), 0),
        Intent::FocusPrev => (tab.cycle(true), 0),
        i if scrolls(i) => (tab, scrolled(intent, scroll, page)),
        Intent::Details => {
            return vec![Effect::Send(Command::FetchDetails { key })];
        }
        Intent::Copy | Intent::Confirm => return copy::selected(ui, cx),
        i if i.is_action() => {
            let action = actions::action_of(i);
            return actions::request(ui, cx, action, vec![key]);
        }
        _ => return Vec::new(),
    };
    // The last frame knows how long the content is; a new tab starts at the top anyway.
    let scroll = clamp_scroll(ui, scroll);
    ui.mode = Mode::Details { key, tab, scroll };
    Vec::new()
}
