//! Keys of the commits pane and the diff view: `Enter` opens a commit's diff, the diff view
//! scrolls and closes, `R` asks the router to fetch the repositories or rescan the
//! registries now.

use super::input::{Context, Effect, clamp_scroll, cx_page, scrolled};
use super::keymap::Intent;
use super::ui_state::{Level, Mode, PaneId, UiState};
use crate::state::Command;

/// Handles a key in the diff view of `sha` in `repository`.
pub(super) fn diff_intent(
    ui: &mut UiState,
    intent: Intent,
    repository: String,
    sha: String,
    scroll: usize,
) -> Vec<Effect> {
    let page = cx_page(ui);
    let scroll = match intent {
        Intent::Back => {
            ui.mode = Mode::Normal;
            return Vec::new();
        }
        Intent::Quit => {
            ui.quit = true;
            return Vec::new();
        }
        Intent::Down
        | Intent::Up
        | Intent::PageDown
        | Intent::PageUp
        | Intent::Top
        | Intent::Bottom => scrolled(intent, scroll, page),
        Intent::Details => {
            return vec![Effect::Send(Command::ShowDiff { repository, sha })];
        }
        _ => return Vec::new(),
    };
    ui.mode = Mode::Diff {
        repository,
        sha,
        scroll: clamp_scroll(ui, scroll),
    };
    Vec::new()
}

/// `Enter` on a commit: the diff view, filled when the git worker answers.
pub(super) fn open_diff(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
    let (Some(sha), Some(log)) = (ui.commits.selected().cloned(), cx.state.commits()) else {
        return Vec::new();
    };
    let repository = log.key.clone();
    ui.mode = Mode::Diff {
        repository: repository.clone(),
        sha: sha.clone(),
        scroll: 0,
    };
    vec![Effect::Send(Command::ShowDiff { repository, sha })]
}

/// `R`: fetch the repositories on the commits pane, rescan the registries on the image
/// pane; elsewhere both.
pub(super) fn refresh(ui: &mut UiState, cx: &Context<'_>, pane: PaneId) -> Vec<Effect> {
    let (text, commands) = match pane {
        PaneId::Commits => (
            "fetching the config repositories",
            vec![Command::RefreshGit],
        ),
        PaneId::Images => ("rescanning the registries", vec![Command::RefreshRegistry]),
        _ => (
            "fetching the config repositories and rescanning the registries",
            vec![Command::RefreshGit, Command::RefreshRegistry],
        ),
    };
    ui.say(Level::Info, text, cx.now);
    commands.into_iter().map(Effect::Send).collect()
}
