//! One render function per pane. Each builds only its visible rows; the cells and empty
//! lines they share are in [`cells`].

pub mod cells;
pub mod commits;
pub mod images;
pub mod kustomizations;
pub mod pods;
pub mod releases;
pub mod sources;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::ui_state::PaneId;
use super::view::View;

/// Draws `pane` into `area`.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>, pane: PaneId) {
    match pane {
        PaneId::Kustomizations => kustomizations::render(frame, area, view),
        PaneId::Sources => sources::render(frame, area, view),
        PaneId::Images => images::render(frame, area, view),
        PaneId::Commits => commits::render(frame, area, view),
        PaneId::Pods => pods::render(frame, area, view),
        PaneId::Releases => releases::render(frame, area, view),
    }
}
