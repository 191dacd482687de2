//! Keys of the commits pane and the diff view: `Enter` opens a commit's diff, the diff view
//! scrolls and closes, `R` asks the hub to fetch the repositories or rescan the
//! registries now, `:repo` picks which tracked repository the pane shows.

use crate::model::key::{Kind, ObjectKey};
use crate::state::Command;
use crate::ui::intent::Intent;
use crate::ui::list_view::ListView;
use crate::ui::ui_state::{Level, Mode, PaneId, UiState};

use super::context::{Context, Effect};
use super::scroll::{clamp_scroll, left, page, scrolled, scrolls};

/// Handles a key in the diff view of `sha` in `repository`.
pub(super) fn diff_intent(
    ui: &mut UiState,
    intent: Intent,
    repository: String,
    sha: String,
    scroll: usize,
) -> Vec<Effect> {
    if left(ui, intent) {
        return Vec::new();
    }
    let page = page(ui);
    let scroll = match intent {
        i if scrolls(i) => scrolled(intent, scroll, page),
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
    let log = cx.state.commits_for(ui.commits_repo.as_deref());
    let (Some(sha), Some(log)) = (ui.commits.selected().cloned(), log) else {
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

/// `:repo` shows the next tracked repository in the commits pane, `:repo KEY` that one; a
/// GitRepository `NS/NAME` of the cluster that is not tracked yet is asked for and shown
/// once its first log arrives.
pub(super) fn choose_repo(ui: &mut UiState, cx: &Context<'_>, key: Option<&str>) -> Vec<Effect> {
    let logs = cx.state.commit_logs().all();
    // The pane's order: `--repo` arguments first, then the others by key.
    let keys: Vec<&String> = cx.state.commit_logs().ordered().map(|l| &l.key).collect();
    let next = match key {
        Some(key) => match logs.get(key) {
            Some(log) => log,
            None if is_git_repository(cx, key) => {
                ui.commits_repo = Some(key.to_owned());
                ui.commits = ListView::default();
                ui.say(
                    Level::Info,
                    format!("tracking GitRepository {key}: its commits show after the first fetch"),
                    cx.now,
                );
                return vec![Effect::Send(Command::TrackRepository {
                    key: key.to_owned(),
                })];
            }
            None => {
                let known: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
                let known = if known.is_empty() {
                    "none yet".to_owned()
                } else {
                    known.join(", ")
                };
                ui.say(
                    Level::Error,
                    format!(
                        "`:repo {key}`: no tracked repository or GitRepository NAMESPACE/NAME \
                         has this key; tracked: {known}"
                    ),
                    cx.now,
                );
                return Vec::new();
            }
        },
        None => {
            let current = cx.state.commits_for(ui.commits_repo.as_deref());
            let at = current
                .and_then(|c| keys.iter().position(|k| **k == c.key))
                .map_or(0, |i| i + 1);
            match keys.get(at % keys.len().max(1)).and_then(|k| logs.get(*k)) {
                Some(log) => log,
                None => {
                    ui.say(Level::Error, "no repository is tracked yet", cx.now);
                    return Vec::new();
                }
            }
        }
    };
    ui.commits_repo = Some(next.key.clone());
    // Another repository's rows: selection and filter of the old one mean nothing here.
    ui.commits = ListView::default();
    ui.say(
        Level::Info,
        format!("commits of {} ({})", next.repository, next.key),
        cx.now,
    );
    Vec::new()
}

/// Whether `key` (`namespace/name`) names a GitRepository the cluster has.
fn is_git_repository(cx: &Context<'_>, key: &str) -> bool {
    let Some((namespace, name)) = key.split_once('/') else {
        return false;
    };
    cx.state
        .sources()
        .get(&ObjectKey::new(Kind::GitRepository, namespace, name))
        .is_some()
}
