//! The Sources pane: the GitRepositories, OCIRepositories, Buckets and HelmRepositories
//! Kustomizations fetch from, with the revision each last stored.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use crate::model::key::{Kind, ObjectKey};
use crate::ui::format::first_line;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;
use crate::ui::widgets::list::{self, Column, styled};

use super::cells::{flux_row, flux_spec, message_slot, ready_cell, revision_cell};

const SOURCE_KINDS: [Kind; 4] = [
    Kind::GitRepository,
    Kind::OciRepository,
    Kind::Bucket,
    Kind::HelmRepository,
];

const COLUMNS: &[Column] = &[
    ("NAME", Constraint::Length(16)),
    ("KIND", Constraint::Length(4)),
    ("REVISION", Constraint::Length(18)),
    ("READY", Constraint::Length(7)),
    ("FETCHED", Constraint::Length(7)),
    ("MESSAGE", Constraint::Fill(1)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let table = view.state.sources();
    let spec = flux_spec(view, PaneId::Sources, COLUMNS, &SOURCE_KINDS, "sources");
    list::draw(
        frame,
        area,
        view,
        spec,
        table,
        &view.ui.sources,
        |key: &ObjectKey| {
            let src = table.get(key)?;
            let status = &src.status;
            let (ready, ready_slot) = ready_cell(status);
            let revision = revision_cell(src.artifact_revision.as_deref());
            let cells = vec![
                src.key.name.to_string().into(),
                styled(view, src.key.kind.short(), Slot::Muted),
                revision.into(),
                styled(view, ready, ready_slot),
                styled(view, view.age_or_dash(src.artifact_time), Slot::Muted),
                styled(view, first_line(status.message()), message_slot(status)),
            ];
            Some(flux_row(view, key, status.suspended, cells))
        },
    );
}
