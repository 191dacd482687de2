//! The whole screen as a pure function of `&State`, `&UiState` and the theme (gathered in a
//! [`View`]): header, panes (side by side when wide, tabs when narrow), overlays, status
//! strip, footer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::panes;
use super::theme::Slot;
use super::ui_state::{FrameInfo, Mode};
use super::view::View;
use super::widgets;

/// Below this width or height the panes collapse into tabs.
pub const WIDE_MIN_WIDTH: u16 = 120;
/// See [`WIDE_MIN_WIDTH`].
pub const WIDE_MIN_HEIGHT: u16 = 32;

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

    view.frame_info(narrow)
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
