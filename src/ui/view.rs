//! What every render function reads: [`View`] gathers the state, the UI state, the theme,
//! the keymap and the clock, and collects what the frame reports back ([`FrameInfo`]: pane
//! heights, ages shown, the details view's size). Panes and widgets import this, not
//! [`super::render`], which draws with them.

use std::cell::{Cell, RefCell};

use jiff::Timestamp;
use ratatui::style::Style;

use crate::state::State;

use super::format;
use super::keymap::Keymap;
use super::theme::{Slot, Theme};
use super::ui_state::{FrameInfo, PaneId, UiState};

/// Everything a render function reads, plus what the frame reports back.
pub struct View<'a> {
    /// The state.
    pub state: &'a State,
    /// The UI state.
    pub ui: &'a UiState,
    /// The theme.
    pub theme: &'a Theme,
    /// The keymap (hints show the user's keys).
    pub keymap: &'a Keymap,
    /// The clock for ages.
    pub now: Timestamp,
    ages: RefCell<Vec<Timestamp>>,
    heights: Cell<[usize; 6]>,
    ticking: Cell<bool>,
    details_height: Cell<usize>,
    details_lines: Cell<usize>,
}

impl<'a> View<'a> {
    /// A render context.
    pub fn new(
        state: &'a State,
        ui: &'a UiState,
        theme: &'a Theme,
        keymap: &'a Keymap,
        now: Timestamp,
    ) -> View<'a> {
        View {
            state,
            ui,
            theme,
            keymap,
            now,
            ages: RefCell::new(Vec::new()),
            heights: Cell::new([0; 6]),
            ticking: Cell::new(false),
            details_height: Cell::new(0),
            details_lines: Cell::new(0),
        }
    }

    /// The style of a slot.
    pub fn style(&self, slot: Slot) -> Style {
        self.theme.style(slot)
    }

    /// The age of `t` now, remembered so the tick knows when it would change.
    pub fn age(&self, t: Timestamp) -> String {
        self.ages.borrow_mut().push(t);
        format::age(t, self.now)
    }

    /// The age of an optional time, `-` when absent.
    pub fn age_or_dash(&self, t: Option<Timestamp>) -> String {
        t.map_or_else(|| "-".to_owned(), |t| self.age(t))
    }

    /// Records how many rows `pane` shows.
    pub fn set_height(&self, pane: PaneId, rows: usize) {
        let mut heights = self.heights.get();
        if let Some(h) = heights.get_mut(pane.index()) {
            *h = rows;
        }
        self.heights.set(heights);
    }

    /// Says the frame shows a count of seconds, so the tick redraws it each second.
    pub fn set_ticking(&self) {
        self.ticking.set(true);
    }

    /// Records how many lines the details view shows, of how many.
    pub fn set_details_size(&self, height: usize, lines: usize) {
        self.details_height.set(height);
        self.details_lines.set(lines);
    }

    /// What the frame drawn with this view reports back (`narrow`: panes were tabs).
    pub fn frame_info(&self, narrow: bool) -> FrameInfo {
        FrameInfo {
            heights: self.heights.get(),
            details_height: self.details_height.get(),
            details_lines: self.details_lines.get(),
            narrow,
            now: Some(self.now),
            ages: self.ages.take(),
            ticking: self.ticking.get(),
        }
    }
}
