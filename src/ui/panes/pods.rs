//! The pods pane: the application's pods with the columns `kubectl get pods` prints, plus
//! the image tag, which is what changes from one release to the next.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use crate::model::key::{Kind, ObjectKey};
use crate::ui::render::View;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::widgets::list::{self, Column, ListRow, ListSpec, styled};

use super::empty_line;

const COLUMNS: &[Column] = &[
    ("NAME", Constraint::Fill(1)),
    ("READY", Constraint::Length(5)),
    ("STATUS", Constraint::Length(16)),
    ("RESTARTS", Constraint::Length(8)),
    ("IMAGE", Constraint::Length(15)),
    ("AGE", Constraint::Length(5)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let table = view.state.pods();
    let namespace = view.state.session().pods_namespace.clone();
    let spec = ListSpec {
        pane: PaneId::Pods,
        subtitle: Some(namespace.clone()),
        columns: COLUMNS,
        syncing: view.state.syncing(Kind::Pod),
        loading: view.state.loading(Kind::Pod),
        empty: empty_line(
            view,
            &[Kind::Pod],
            "pods",
            &format!("namespace {namespace}"),
        ),
    };
    list::draw(
        frame,
        area,
        view,
        spec,
        table,
        &view.ui.pods,
        |key: &ObjectKey| {
            let pod = table.get(key)?;
            let status_slot = match pod.status.as_str() {
                "Running" if pod.ready == pod.total => Slot::Ok,
                "Running" | "Completed" | "Succeeded" => Slot::Base,
                "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" => Slot::Warn,
                s if s.starts_with("Init:") && !s.contains("Err") && !s.contains("BackOff") => {
                    Slot::Warn
                }
                _ => Slot::Error,
            };
            let ready_slot = if pod.ready == pod.total {
                Slot::Base
            } else {
                Slot::Warn
            };
            let restarts_slot = if pod.restarts > 0 {
                Slot::Warn
            } else {
                Slot::Base
            };
            let image = pod.image_tags().collect::<Vec<_>>().join(",");
            Some(ListRow {
                cells: vec![
                    pod.key.name.to_string().into(),
                    styled(view, format!("{}/{}", pod.ready, pod.total), ready_slot),
                    styled(view, pod.status.clone(), status_slot),
                    styled(view, pod.restarts.to_string(), restarts_slot),
                    image.into(),
                    styled(view, view.age_or_dash(pod.created), Slot::Muted),
                ],
                style: ratatui::style::Style::default(),
                busy: false,
            })
        },
    );
}
