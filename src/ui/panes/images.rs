//! The image automation pane, one row per ImagePolicy with its chain, seen three ways: the
//! tag the cluster's ImagePolicy picked, the tag Flux will pick at its next scan (the policy
//! evaluated locally over the registry's tags) and the tags the pods run; DRIFT when they
//! differ, with the reason for the selected row on the pane's bottom edge. SCAN is the age of Flux's
//! last scan of the ImageRepository.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph};

use crate::model::key::{Kind, ObjectKey};
use crate::state::{ImagePreview, NextPick};
use crate::ui::rows::ChainRows;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;
use crate::ui::widgets::list::{self, Column, styled};

use super::cells::{flux_row, flux_spec, readiness_slot};

const IMAGE_KINDS: [Kind; 3] = [
    Kind::ImagePolicy,
    Kind::ImageRepository,
    Kind::ImageUpdateAutomation,
];

const COLUMNS: &[Column] = &[
    ("POLICY", Constraint::Fill(1)),
    ("CLUSTER", Constraint::Length(15)),
    ("NEXT", Constraint::Length(15)),
    ("RUNNING", Constraint::Length(15)),
    ("DRIFT", Constraint::Length(5)),
    ("SCAN", Constraint::Length(5)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let state = view.state;
    let rows = ChainRows { state };
    let reason = view
        .ui
        .images
        .selected()
        .and_then(|k| selected_reason(view, k));
    let spec = flux_spec(
        view,
        PaneId::Images,
        COLUMNS,
        &IMAGE_KINDS,
        "image policies",
    );
    list::draw(
        frame,
        area,
        view,
        spec,
        &rows,
        &view.ui.images,
        |key: &ObjectKey| {
            let i = rows_position(&rows, key)?;
            let chain = state.image_chains().get(i)?;
            let policy = chain
                .policy
                .as_ref()
                .and_then(|k| state.image_policies().get(k));
            let repository = chain
                .repository
                .as_ref()
                .and_then(|k| state.image_repositories().get(k));
            // The automation that pushed most recently speaks for the chain.
            let automation = chain
                .automations
                .iter()
                .filter_map(|k| state.image_automations().get(k))
                .max_by_key(|a| a.last_push_time);
            let name = match (&chain.policy, &chain.repository) {
                (Some(p), _) => p.name.to_string(),
                (None, Some(r)) => format!("({}: no policy)", r.name),
                (None, None) => format!("({}: no policy)", chain.anchor.name),
            };
            let worst = [
                policy.map(|p| &p.status),
                repository.map(|r| &r.status),
                automation.map(|a| &a.status),
            ]
            .into_iter()
            .flatten()
            .map(|s| s.readiness())
            .max_by_key(|r| severity(*r));
            let name_slot = worst.map_or(Slot::Muted, readiness_slot);
            let preview = chain.policy.as_ref().and_then(|k| state.image_preview(k));
            let (cluster, next, running, drift) = preview_cells(view, preview.as_ref());
            let suspended = [
                policy.map(|p| p.status.suspended),
                repository.map(|r| r.status.suspended),
                automation.map(|a| a.status.suspended),
            ]
            .into_iter()
            .flatten()
            .any(|s| s);
            let scanned = view.age_or_dash(repository.and_then(|r| r.last_scan));
            let cells = vec![
                styled(view, name, name_slot),
                cluster,
                next,
                running,
                drift,
                styled(view, scanned, Slot::Muted),
            ];
            Some(flux_row(view, key, suspended, cells))
        },
    );
    if let Some(reason) = reason {
        bottom_note(frame, area, view, &reason);
    }
}

/// Writes `text` over the pane's bottom border, like a bottom title, so the reason for the
/// selected row's drift reads in full without taking a row from the list.
fn bottom_note(frame: &mut Frame, area: Rect, view: &View<'_>, text: &str) {
    if area.height < 3 || area.width < 6 {
        return;
    }
    let line = Rect {
        x: area.x + 2,
        y: area.y + area.height - 1,
        width: area.width - 4,
        height: 1,
    };
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" ⚠ {text} "), view.style(Slot::Warn))),
        line,
    );
}

/// The CLUSTER, NEXT, RUNNING and DRIFT cells of a chain.
fn preview_cells(
    view: &View<'_>,
    preview: Option<&ImagePreview>,
) -> (Cell<'static>, Cell<'static>, Cell<'static>, Cell<'static>) {
    let Some(p) = preview else {
        let dash = || styled(view, "-", Slot::Muted);
        return (dash(), dash(), dash(), dash());
    };
    let cluster = styled(
        view,
        p.cluster.clone().unwrap_or_else(|| "-".into()),
        Slot::Base,
    );
    let next = match &p.next {
        NextPick::Tag(tag) => styled(view, tag.clone(), Slot::Base),
        NextPick::Waiting => styled(view, "no scan yet", Slot::Muted),
        NextPick::Unavailable(_) => styled(view, "n/a", Slot::Muted),
        NextPick::Failed(_) => styled(view, "error", Slot::Error),
    };
    let running = if p.running.is_empty() {
        styled(view, "-", Slot::Muted)
    } else {
        styled(view, p.running.join(","), Slot::Base)
    };
    let drift = if !p.drift.is_empty() {
        styled(view, "drift", Slot::Warn)
    } else if matches!(p.next, NextPick::Tag(_)) && p.cluster.is_some() {
        styled(view, "ok", Slot::Ok)
    } else {
        styled(view, "-", Slot::Muted)
    };
    (cluster, next, running, drift)
}

/// Why the selected chain needs attention, for the pane's bottom edge: the first drift, or why
/// the next pick is unknown, or the repository's last scan error.
fn selected_reason(view: &View<'_>, key: &ObjectKey) -> Option<String> {
    let state = view.state;
    let chain = state.image_chains().iter().find(|c| &c.anchor == key)?;
    let preview = state.image_preview(chain.policy.as_ref()?)?;
    if let Some(drift) = preview.drift.first() {
        return Some(drift.reason());
    }
    match &preview.next {
        NextPick::Unavailable(reason) | NextPick::Failed(reason) => return Some(reason.clone()),
        NextPick::Tag(_) | NextPick::Waiting => {}
    }
    let scan = state.scans().scan(chain.repository.as_ref()?)?;
    scan.error
        .as_ref()
        .map(|e| format!("registry scan failed: {e}"))
}

fn rows_position(rows: &ChainRows<'_>, key: &ObjectKey) -> Option<usize> {
    use crate::ui::rows::Rows;
    rows.position(key).ok()
}

/// Orders readiness from fine to worst, so a chain shows its worst link.
fn severity(r: crate::model::conditions::Readiness) -> u8 {
    use crate::model::conditions::Readiness::*;
    match r {
        Ready => 0,
        Unknown => 1,
        Progressing | Terminating => 2,
        Failed => 3,
        Stalled => 4,
    }
}
