//! Keys of the panes: moving, focusing, filtering, marking, actions, and opening the
//! details, diff, log, help and command line.

use crate::state::Command;
use crate::ui::intent::Intent;
use crate::ui::ui_state::{DetailsTab, Level, Mode, PaneId, UiState};

use super::actions;
use super::commits;
use super::context::{Context, Effect};
use super::copy;
use super::logs;
use super::releases;
use super::views::with_view;

/// Handles an intent on the panes.
pub(super) fn intent(ui: &mut UiState, cx: &Context<'_>, intent: Intent) -> Vec<Effect> {
    let pane = ui.focus;
    let height = ui.height(pane);
    let state = cx.state;
    match intent {
        Intent::Quit => ui.quit = true,
        Intent::Help => ui.mode = Mode::Help,
        Intent::FocusNext => ui.focus = pane.cycle(false, ui.releases_shown),
        Intent::FocusPrev => ui.focus = pane.cycle(true, ui.releases_shown),
        Intent::Releases => releases::toggle(ui),
        Intent::Left | Intent::Right | Intent::Logs if pane == PaneId::Releases => {
            releases::move_cursor(ui, cx, intent != Intent::Left);
        }
        Intent::Left | Intent::Right => {}
        Intent::Logs => return logs::open(ui, cx),
        Intent::Down => with_view!(ui, state, pane, |v, rows| v.move_by(rows, 1, height)),
        Intent::Up => with_view!(ui, state, pane, |v, rows| v.move_by(rows, -1, height)),
        Intent::PageDown => {
            let page = isize::try_from(height).unwrap_or(isize::MAX);
            with_view!(ui, state, pane, |v, rows| v.move_by(rows, page, height));
        }
        Intent::PageUp => {
            let page = isize::try_from(height).unwrap_or(isize::MAX);
            with_view!(ui, state, pane, |v, rows| v.move_by(rows, -page, height));
        }
        Intent::Top => with_view!(ui, state, pane, |v, rows| v.top(rows, height)),
        Intent::Bottom => {
            with_view!(ui, state, pane, |v, rows| v.bottom(rows, height));
            // The end of a partly loaded log asks for the next page.
            if let (PaneId::Commits, Some(log)) =
                (pane, state.commits_for(ui.commits_repo.as_deref()))
                && !log.complete
                && !log.commits.is_empty()
            {
                return vec![Effect::Send(Command::LoadMoreCommits {
                    repository: log.key.clone(),
                })];
            }
        }
        Intent::Refresh => return commits::refresh(ui, cx, pane),
        Intent::Filter => ui.mode = Mode::Filter,
        Intent::Command => ui.mode = Mode::Command(String::new()),
        Intent::Back => {
            if !ui.filter(pane).is_empty() {
                with_view!(ui, state, pane, |v, rows| v.set_filter(rows, "", height));
            } else {
                with_view!(ui, state, pane, |v, _rows| v.clear_marks());
            }
        }
        Intent::Select if pane == PaneId::Releases => releases::fold(ui),
        Intent::Select => match actions::flux_pane_view(ui, pane) {
            Some(view) => view.toggle_mark(),
            None => ui.say(
                Level::Error,
                "marking applies to Flux objects: focus Kustomizations, Sources or Image automation",
                cx.now,
            ),
        },
        Intent::Details => return open_details(ui, cx),
        Intent::Suspend | Intent::Resume | Intent::Reconcile | Intent::ReconcileWithSource => {
            let action = actions::action_of(intent);
            if let Some(reason) = actions::global_refusal(ui, state, action) {
                ui.say(Level::Error, reason, cx.now);
                return Vec::new();
            }
            return match actions::targets(ui, pane) {
                Ok(keys) => actions::request(ui, cx, action, keys),
                Err(message) => {
                    ui.say(Level::Error, format!("{action}: {message}"), cx.now);
                    Vec::new()
                }
            };
        }
        // `y` confirms nothing here: it yanks, as `c` copies.
        Intent::Copy | Intent::Confirm => return copy::selected(ui, cx),
        Intent::Cancel => {}
    }
    Vec::new()
}

/// `Enter` on a row: its details (a commit's diff, a release stage's object).
fn open_details(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
    let key = match ui.focus {
        PaneId::Kustomizations => ui.kustomizations.selected().cloned(),
        PaneId::Sources => ui.sources.selected().cloned(),
        PaneId::Images => ui.images.selected().cloned(),
        PaneId::Pods => ui.pods.selected().cloned(),
        PaneId::Commits => return commits::open_diff(ui, cx),
        PaneId::Releases => return releases::open(ui, cx),
    };
    let Some(key) = key else {
        return Vec::new();
    };
    ui.mode = Mode::Details {
        key: key.clone(),
        tab: DetailsTab::Conditions,
        scroll: 0,
    };
    vec![Effect::Send(Command::FetchDetails { key })]
}
