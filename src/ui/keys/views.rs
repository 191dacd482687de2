//! The focused pane's view and rows together ([`with_view!`]), and bringing every view up
//! to date with the state ([`sync_views`]).

use crate::state::State;
use crate::ui::ui_state::{PaneId, UiState};

/// Runs `$body` with `$view` bound to the focused pane's view and `$rows` to its rows.
macro_rules! with_view {
    ($ui:expr, $state:expr, $pane:expr, |$view:ident, $rows:ident| $body:expr) => {
        match $pane {
            $crate::ui::ui_state::PaneId::Kustomizations => {
                let $rows = $state.kustomizations();
                let $view = &mut $ui.kustomizations;
                $body
            }
            $crate::ui::ui_state::PaneId::Sources => {
                let $rows = $state.sources();
                let $view = &mut $ui.sources;
                $body
            }
            $crate::ui::ui_state::PaneId::Images => {
                let $rows = &$crate::ui::rows::ChainRows { state: $state };
                let $view = &mut $ui.images;
                $body
            }
            $crate::ui::ui_state::PaneId::Commits => {
                let $rows = &$crate::ui::rows::commit_rows($state, $ui.commits_repo.as_deref());
                let $view = &mut $ui.commits;
                $body
            }
            $crate::ui::ui_state::PaneId::Pods => {
                let $rows = &$crate::ui::rows::pod_rows($state, $ui.kustomizations.selected());
                let $view = &mut $ui.pods;
                $body
            }
            $crate::ui::ui_state::PaneId::Releases => {
                let $rows = &$crate::ui::rows::LaneRows::new($state);
                let $view = &mut $ui.releases;
                $body
            }
        }
    };
}

pub(super) use with_view;

/// Brings every view up to date with the state (after updates or a key).
pub fn sync_views(ui: &mut UiState, state: &State) {
    for pane in PaneId::ALL {
        let height = ui.height(pane);
        with_view!(ui, state, pane, |view, rows| view.sync(rows, height));
    }
}
