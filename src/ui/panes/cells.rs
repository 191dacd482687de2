//! What the panes share: why a pane is empty, and the spec, rows, cells and styles of the
//! Flux objects' lists.

use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Cell;

use crate::model::conditions::{FluxStatus, Readiness};
use crate::model::key::{Kind, ObjectKey};
use crate::state::{Connection, WatchState};
use crate::ui::format::retrying_in;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;
use crate::ui::widgets::list::{Column, ListRow, ListSpec};

/// Why a pane of `kinds` has no rows, from the connection and its watchers.
pub fn empty_line(view: &View<'_>, kinds: &[Kind], noun: &str, scope: &str) -> Line<'static> {
    let state = view.state;
    if state.connection() == Connection::NotConnected {
        return Line::styled(
            format!("not connected to a cluster: {noun} appear here once fluxdeck connects"),
            view.style(Slot::Warn),
        );
    }
    for kind in kinds {
        match state.watchers().get(kind) {
            Some(WatchState::Forbidden { permission }) => {
                return Line::styled(
                    format!("forbidden: cannot {permission}"),
                    view.style(Slot::Error),
                );
            }
            Some(WatchState::Retrying {
                since,
                reason,
                retry_in,
            }) => {
                return Line::styled(
                    format!(
                        "{}, failing since {}: {reason}",
                        retrying_in(*retry_in),
                        view.age(*since)
                    ),
                    view.style(Slot::Warn),
                );
            }
            Some(WatchState::Connecting) => {
                return Line::styled("loading…", view.style(Slot::Muted));
            }
            _ => {}
        }
    }
    if let Some(WatchState::NotServed { reason }) =
        kinds.iter().find_map(|k| state.watchers().get(k))
    {
        return Line::styled(reason.clone(), view.style(Slot::Muted));
    }
    if kinds.iter().all(|k| !state.watchers().contains_key(k)) {
        return Line::styled(
            format!("{noun} are not watched yet"),
            view.style(Slot::Muted),
        );
    }
    Line::styled(format!("no {noun} in {scope}"), view.style(Slot::Muted))
}

/// "namespace X" or "any namespace", for empty-pane lines.
pub fn flux_scope(view: &View<'_>) -> String {
    match &view.state.session().namespace {
        Some(ns) => format!("namespace {ns} (all namespaces: -A or :ns all)"),
        None => "any namespace".to_owned(),
    }
}

/// A revision shortened for a column, `-` when absent.
pub fn revision_cell(revision: Option<&str>) -> String {
    revision.map_or_else(|| "-".to_owned(), crate::model::revision::short_revision)
}

/// The slot for a readiness word.
pub fn readiness_slot(readiness: Readiness) -> Slot {
    match readiness {
        Readiness::Ready => Slot::Ok,
        Readiness::Failed | Readiness::Stalled => Slot::Error,
        Readiness::Progressing | Readiness::Terminating => Slot::Warn,
        Readiness::Unknown => Slot::Muted,
    }
}

/// The READY cell's text and slot, as `flux get` prints it (`True`, `False`, `Unknown`).
pub fn ready_cell(status: &FluxStatus) -> (&'static str, Slot) {
    let readiness = status.readiness();
    let text = match readiness {
        Readiness::Stalled => "Stalled",
        Readiness::Terminating => "Deleting",
        _ => status.ready_text(),
    };
    (text, readiness_slot(readiness))
}

/// The list spec of a pane of Flux objects of `kinds` in the Flux panes' scope: syncing or
/// loading while any of those kinds is, and `noun` names the rows when there are none.
pub fn flux_spec<'s>(
    view: &View<'_>,
    pane: PaneId,
    columns: &'s [Column],
    kinds: &[Kind],
    noun: &str,
) -> ListSpec<'s> {
    let state = view.state;
    ListSpec {
        pane,
        subtitle: None,
        columns,
        syncing: kinds.iter().any(|k| state.syncing(*k)),
        loading: kinds.iter().any(|k| state.loading(*k)),
        empty: empty_line(view, kinds, noun, &flux_scope(view)),
    }
}

/// The row of Flux object `key`: muted when suspended, busy while an action runs on it.
pub fn flux_row(
    view: &View<'_>,
    key: &ObjectKey,
    suspended: bool,
    cells: Vec<Cell<'static>>,
) -> ListRow {
    ListRow {
        cells,
        style: if suspended {
            view.style(Slot::Muted)
        } else {
            Style::default()
        },
        busy: view.state.actions().running_on(key).is_some(),
    }
}

/// The message cell's slot: errors stand out, the rest is plain.
pub fn message_slot(status: &FluxStatus) -> Slot {
    match status.readiness() {
        Readiness::Failed | Readiness::Stalled => Slot::Error,
        _ => Slot::Base,
    }
}
