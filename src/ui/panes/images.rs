//! The image automation pane, one row per ImagePolicy with its chain: the ImageRepository
//! (last scan, tag count), the policy (latest tag and the one before) and the
//! ImageUpdateAutomation (last run, last push).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use crate::model::key::{Kind, ObjectKey};
use crate::ui::render::View;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::ChainRows;
use crate::ui::widgets::list::{self, Column, ListRow, ListSpec, styled};

use super::{empty_line, flux_scope, readiness_slot};

const IMAGE_KINDS: [Kind; 3] = [
    Kind::ImagePolicy,
    Kind::ImageRepository,
    Kind::ImageUpdateAutomation,
];

const COLUMNS: &[Column] = &[
    ("POLICY", Constraint::Fill(1)),
    ("LATEST", Constraint::Length(15)),
    ("PREVIOUS", Constraint::Length(15)),
    ("SCAN", Constraint::Length(5)),
    ("TAGS", Constraint::Length(4)),
    ("RUN", Constraint::Length(5)),
    ("PUSHED", Constraint::Length(6)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let state = view.state;
    let rows = ChainRows { state };
    let spec = ListSpec {
        pane: PaneId::Images,
        subtitle: None,
        columns: COLUMNS,
        syncing: IMAGE_KINDS.iter().any(|k| state.syncing(*k)),
        empty: empty_line(view, &IMAGE_KINDS, "image policies", &flux_scope(view)),
    };
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
                (Some(p), _) => p.name.clone(),
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
            let tag = |r: Option<&crate::model::image::ImageRef>| {
                r.map_or_else(|| "-".to_owned(), |r| r.tag.clone())
            };
            let tags = repository
                .and_then(|r| r.tag_count)
                .map_or_else(|| "-".to_owned(), |n| n.to_string());
            let suspended = [
                policy.map(|p| p.status.suspended),
                repository.map(|r| r.status.suspended),
                automation.map(|a| a.status.suspended),
            ]
            .into_iter()
            .flatten()
            .any(|s| s);
            Some(ListRow {
                cells: vec![
                    styled(view, name, name_slot),
                    tag(policy.and_then(|p| p.latest.as_ref())).into(),
                    styled(
                        view,
                        tag(policy.and_then(|p| p.previous.as_ref())),
                        Slot::Muted,
                    ),
                    styled(
                        view,
                        view.age_or_dash(repository.and_then(|r| r.last_scan)),
                        Slot::Muted,
                    ),
                    tags.into(),
                    styled(
                        view,
                        view.age_or_dash(automation.and_then(|a| a.last_run)),
                        Slot::Muted,
                    ),
                    styled(
                        view,
                        view.age_or_dash(automation.and_then(|a| a.last_push_time)),
                        Slot::Muted,
                    ),
                ],
                style: if suspended {
                    view.style(Slot::Muted)
                } else {
                    ratatui::style::Style::default()
                },
                busy: view.state.actions().running_on(key).is_some(),
            })
        },
    );
}

fn rows_position(rows: &ChainRows<'_>, key: &ObjectKey) -> Option<usize> {
    use crate::ui::view::Rows;
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
