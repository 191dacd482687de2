//! Scrolling the details and diff views: where an intent moves the first line shown, kept
//! within what the last frame showed; and the keys that leave either view.

use crate::ui::intent::Intent;
use crate::ui::ui_state::{Mode, UiState};

/// `Back` closes the details or diff view, `Quit` quits; whether `intent` was one of those.
pub(super) fn left(ui: &mut UiState, intent: Intent) -> bool {
    match intent {
        Intent::Back => ui.mode = Mode::Normal,
        Intent::Quit => ui.quit = true,
        _ => return false,
    }
    true
}

/// Whether `intent` scrolls the details and diff views (see `scrolled`).
pub(super) fn scrolls(intent: Intent) -> bool {
    matches!(
        intent,
        Intent::Down
            | Intent::Up
            | Intent::PageDown
            | Intent::PageUp
            | Intent::Top
            | Intent::Bottom
    )
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

/// One page of the details or diff view (at least a line).
pub(super) fn page(ui: &UiState) -> usize {
    ui.frame.details_height.max(1)
}
