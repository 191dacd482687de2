//! The Kustomizations pane: name, namespace, source, revision, ready, suspended, age,
//! message, one row per Kustomization, as `flux get kustomizations` lists them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use crate::model::key::{Kind, ObjectKey};
use crate::ui::format::first_line;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;
use crate::ui::widgets::list::{self, Column, styled};

use super::cells::{flux_row, flux_spec, message_slot, ready_cell, revision_cell};

const WIDE: &[Column] = &[
    ("NAMESPACE", Constraint::Length(16)),
    ("NAME", Constraint::Length(24)),
    ("SOURCE", Constraint::Length(26)),
    ("REVISION", Constraint::Length(20)),
    ("READY", Constraint::Length(7)),
    ("SUSPENDED", Constraint::Length(9)),
    ("AGE", Constraint::Length(6)),
    ("MESSAGE", Constraint::Fill(1)),
];

const NARROW: &[Column] = &[
    ("NAME", Constraint::Length(16)),
    ("REVISION", Constraint::Length(18)),
    ("READY", Constraint::Length(7)),
    ("SUSP", Constraint::Length(4)),
    ("AGE", Constraint::Length(5)),
    ("MESSAGE", Constraint::Fill(1)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let table = view.state.kustomizations();
    let wide = area.width >= 120;
    let columns = if wide { WIDE } else { NARROW };
    let kinds = [Kind::Kustomization];
    let spec = flux_spec(
        view,
        PaneId::Kustomizations,
        columns,
        &kinds,
        "Kustomizations",
    );
    list::draw(
        frame,
        area,
        view,
        spec,
        table,
        &view.ui.kustomizations,
        |key: &ObjectKey| {
            let ks = table.get(key)?;
            let status = &ks.status;
            let (ready, ready_slot) = ready_cell(status);
            let revision = revision_cell(ks.last_applied_revision.as_deref());
            let suspended = if status.suspended {
                styled(view, if wide { "True" } else { "yes" }, Slot::Warn)
            } else {
                styled(view, if wide { "False" } else { "-" }, Slot::Muted)
            };
            let message = styled(view, first_line(status.message()), message_slot(status));
            let age = styled(view, view.age_or_dash(ks.created), Slot::Muted);
            let mut cells = Vec::with_capacity(8);
            if wide {
                let source = ks.source.as_ref().map_or_else(
                    || "-".to_owned(),
                    |s| format!("{}/{}", s.kind.short(), s.name),
                );
                cells.push(ks.key.namespace.to_string().into());
                cells.push(ks.key.name.to_string().into());
                cells.push(source.into());
            } else {
                cells.push(ks.key.name.to_string().into());
            }
            cells.extend([
                revision.into(),
                styled(view, ready, ready_slot),
                suspended,
                age,
                message,
            ]);
            Some(flux_row(view, key, status.suspended, cells))
        },
    );
}
