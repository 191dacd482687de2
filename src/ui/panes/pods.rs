//! The pods pane: the application's pods with the columns `kubectl get pods` prints, plus
//! the image tag, which is what changes from one release to the next. It follows the
//! Kustomization under the cursor: the pods of the workloads in its inventory (the title
//! says whose), or every watched pod when it applied no workload.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use crate::model::key::{Kind, ObjectKey};
use crate::state::{Connection, PodsWatch};
use crate::ui::rows::pod_rows;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;
use crate::ui::widgets::list::{self, Column, ListRow, ListSpec, styled};
use ratatui::text::Line;

use super::cells::empty_line;

const COLUMNS: &[Column] = &[
    ("NAME", Constraint::Fill(1)),
    ("READY", Constraint::Length(5)),
    ("STATUS", Constraint::Length(16)),
    ("RESTARTS", Constraint::Length(8)),
    ("IMAGE", Constraint::Length(15)),
    ("AGE", Constraint::Length(5)),
];

/// Why no pod is watched when the pods follow the Kustomizations' workloads and none has
/// applied one (yet): they may be in another namespace than the Flux panes show.
fn no_workloads_yet(view: &View<'_>) -> Option<Line<'static>> {
    let session = view.state.session();
    (session.pods == PodsWatch::Workloads
        && session.pods_namespaces.is_empty()
        && view.state.connection() != Connection::NotConnected)
        .then(|| {
            Line::styled(
                "no Kustomization shown has applied a workload yet; their pods appear here \
                 (or watch some with :pods NS or :pods all)",
                view.style(Slot::Muted),
            )
        })
}

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let table = &pod_rows(view.state, view.ui.kustomizations.selected());
    let watched = view.state.session().pods_scope();
    let (subtitle, scope) = match table.following {
        Some(ks) => {
            let whose = format!("{}/{}", ks.key.namespace, ks.key.name);
            (
                format!("workloads of {whose}"),
                format!("the workloads of Kustomization {whose} (watching {watched})"),
            )
        }
        None => {
            let scope = match &view.state.session().pods {
                PodsWatch::Namespace(ns) => format!("namespace {ns}"),
                PodsWatch::All => "any namespace".to_owned(),
                PodsWatch::Workloads => {
                    format!("the Kustomizations' workload namespaces ({watched})")
                }
            };
            (watched, scope)
        }
    };
    let spec = ListSpec {
        pane: PaneId::Pods,
        subtitle: Some(subtitle),
        columns: COLUMNS,
        syncing: view.state.syncing(Kind::Pod),
        loading: view.state.loading(Kind::Pod),
        empty: no_workloads_yet(view)
            .unwrap_or_else(|| empty_line(view, &[Kind::Pod], "pods", &scope)),
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
