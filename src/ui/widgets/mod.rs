//! The parts of the screen that are not panes: header, status strip, footer (hints, filter
//! and command line), help, details, the diff view and the confirmation dialog; plus the list table every
//! pane draws with.

pub mod confirm;
pub mod details;
pub mod diff;
pub mod footer;
pub mod header;
pub mod help;
pub mod list;
pub mod logs;
pub mod status;

use ratatui::layout::{Constraint, Flex, Layout, Rect};

/// A `width` x `height` rectangle centred in `area` (shrunk to fit).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}
