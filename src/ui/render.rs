//! The whole screen as a pure function of `&State`, `&UiState` and the theme: header,
//! panes (side by side when wide, tabs when narrow), overlays, status strip, footer.

use std::cell::{Cell, RefCell};

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::state::State;

use super::format;
use super::keymap::Keymap;
use super::panes;
use super::theme::{Slot, Theme};
use super::ui_state::{FrameInfo, Mode, PaneId, UiState};
use super::widgets;

/// Below this width or height the panes collapse into tabs.
pub const WIDE_MIN_WIDTH: u16 = 120;
/// See [`WIDE_MIN_WIDTH`].
pub const WIDE_MIN_HEIGHT: u16 = 32;

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
}

/// Draws the whole screen and reports what input handling and the age tick need.
pub fn render(frame: &mut Frame, view: &View<'_>) -> FrameInfo {
    let area = frame.area();
    frame.render_widget(Block::default().style(view.style(Slot::Base)), area);
    let status_lines = widgets::status::lines(view, area.width);
    let status_height = u16::try_from(status_lines.len().max(1)).unwrap_or(1);
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(status_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let narrow = area.width < WIDE_MIN_WIDTH || area.height < WIDE_MIN_HEIGHT;

    widgets::header::render(frame, header, view);
    match &view.ui.mode {
        Mode::Details { key, tab, scroll } => {
            widgets::details::render(frame, body, view, key, *tab, *scroll);
        }
        Mode::Diff {
            repository,
            sha,
            scroll,
        } => widgets::diff::render(frame, body, view, repository, sha, *scroll),
        Mode::Logs => widgets::logs::render(frame, body, view),
        Mode::Help if view.ui.logs.is_some() => {
            widgets::logs::render(frame, body, view);
            widgets::help::render(frame, body, view);
        }
        mode => {
            if narrow {
                render_tabs(frame, body, view);
            } else {
                render_wide(frame, body, view);
            }
            match mode {
                Mode::Help => widgets::help::render(frame, body, view),
                Mode::Confirm(confirm) => widgets::confirm::render(frame, body, view, confirm),
                _ => {}
            }
        }
    }
    widgets::status::render(frame, status, status_lines);
    widgets::footer::render(frame, footer, view);

    FrameInfo {
        heights: view.heights.get(),
        details_height: view.details_height.get(),
        details_lines: view.details_lines.get(),
        narrow,
        now: Some(view.now),
        ages: view.ages.take(),
        ticking: view.ticking.get(),
    }
}

/// All panes at once: Kustomizations across the top, then Sources beside the image
/// automation (or the release lanes, `t`), then commits beside pods.
fn render_wide(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Percentage(34),
        Constraint::Percentage(24),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [sources, images] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(middle);
    let [commits, pods] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(bottom);
    let [k, s, i, c, p] = view.ui.shown_panes();
    for (pane, rect) in [(k, top), (s, sources), (i, images), (c, commits), (p, pods)] {
        panes::render(frame, rect, view, pane);
    }
}

/// One pane at a time, with a tab bar naming them all.
fn render_tabs(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let [bar, pane] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let mut spans = Vec::new();
    for pane in view.ui.shown_panes() {
        let style = if pane == view.ui.focus {
            view.style(Slot::TabActive)
        } else {
            view.style(Slot::Muted)
        };
        spans.push(Span::styled(format!(" {} ", pane.title()), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), bar);
    panes::render(frame, pane, view, view.ui.focus);
}
