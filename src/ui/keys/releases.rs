//! Keys of the releases pane: `t` shows the release lanes in place of the image automation
//! pane (and back), `:releases [APP]` shows them filtered to an app, `h`/`l` (`←`/`→`) move
//! over the selected lane's stages and on to its earlier releases, `Space` folds or unfolds
//! those, and `Enter` opens the object behind the stage under the cursor with the views the
//! other panes use: an ImageRepository or ImagePolicy, the automation commit's diff, the
//! GitRepository, the Kustomization, a pod with its events.

use crate::model::key::{Kind, ObjectKey};
use crate::state::Command;
use crate::state::lanes::{Lane, Release, Stage};

use crate::ui::rows::LaneRows;
use crate::ui::ui_state::{DetailsTab, EARLIER, Level, Mode, PaneId, UiState};

use super::context::{Context, Effect};

/// `t`: the release lanes in place of the image automation pane, focused; again, back.
pub(super) fn toggle(ui: &mut UiState) {
    ui.releases_shown = !ui.releases_shown;
    ui.focus = if ui.releases_shown {
        PaneId::Releases
    } else if ui.focus == PaneId::Releases {
        PaneId::Images
    } else {
        ui.focus
    };
}

/// `:releases [APP]`: the release lanes, focused, filtered to the lanes whose policy
/// (`name` or `namespace/name`) or current tag contains APP; all of them without APP.
pub(super) fn show(ui: &mut UiState, cx: &Context<'_>, app: Option<&str>) {
    ui.releases_shown = true;
    ui.focus = PaneId::Releases;
    let rows = LaneRows::new(cx.state);
    let height = ui.height(PaneId::Releases);
    ui.releases
        .set_filter(&rows, &app.unwrap_or("").to_lowercase(), height);
    if let Some(app) = app {
        let found = ui.releases.len(&rows);
        if found == 0 {
            ui.say(
                Level::Error,
                format!(
                    "`:releases {app}`: no release lane's ImagePolicy matches; `:releases` lists them all"
                ),
                cx.now,
            );
        }
    }
}

/// `h`/`l`: the previous or next stage of the selected lane; past the last stage, the line
/// of earlier releases (when the lane has any), which `l` again unfolds and `h` folds.
pub(super) fn move_cursor(ui: &mut UiState, cx: &Context<'_>, right: bool) {
    let earlier = selected_lane(ui, cx).is_some_and(|l| l.releases().len() > 1);
    let last = if earlier { EARLIER } else { EARLIER - 1 };
    if let (true, Some(key)) = (ui.releases_cursor == EARLIER, ui.releases.selected()) {
        let unfolded = ui.releases_unfolded.contains(key);
        if right && !unfolded {
            ui.releases_unfolded.insert(key.clone());
            return;
        }
        if !right && unfolded {
            let key = key.clone();
            ui.releases_unfolded.remove(&key);
            return;
        }
    }
    ui.releases_cursor = if right {
        (ui.releases_cursor + 1).min(last)
    } else {
        ui.releases_cursor.saturating_sub(1).min(last)
    };
}

/// `Space` (or `Enter` on the line of earlier releases): folds or unfolds them.
pub(super) fn fold(ui: &mut UiState) {
    if let Some(key) = ui.releases.selected().cloned()
        && !ui.releases_unfolded.remove(&key)
    {
        ui.releases_unfolded.insert(key);
    }
}

fn selected_lane<'a>(ui: &UiState, cx: &Context<'a>) -> Option<&'a Lane> {
    cx.state.lanes().get(ui.releases.selected()?)
}

/// `Enter`: opens what the stage under the cursor is about.
pub(super) fn open(ui: &mut UiState, cx: &Context<'_>) -> Vec<Effect> {
    if ui.releases_cursor >= EARLIER {
        fold(ui);
        return Vec::new();
    }
    let Some(lane) = selected_lane(ui, cx) else {
        return Vec::new();
    };
    let Some(release) = lane.current() else {
        ui.say(
            Level::Error,
            format!("{}: no release yet", lane.app()),
            cx.now,
        );
        return Vec::new();
    };
    let stage = Stage::ALL
        .get(ui.releases_cursor)
        .copied()
        .unwrap_or(Stage::Pushed);
    if stage == Stage::Committed {
        return open_commit(ui, cx, lane, release);
    }
    let Some(key) = stage_object(cx, lane, release, stage) else {
        ui.say(
            Level::Error,
            format!(
                "{}: fluxdeck has not found the object of the {stage} stage yet",
                lane.app()
            ),
            cx.now,
        );
        return Vec::new();
    };
    let tab = if key.kind == Kind::Pod {
        DetailsTab::Events
    } else {
        DetailsTab::Conditions
    };
    ui.mode = Mode::Details {
        key: key.clone(),
        tab,
        scroll: 0,
    };
    vec![Effect::Send(Command::FetchDetails { key })]
}

/// The automation commit's diff, as the commits pane opens it.
fn open_commit(ui: &mut UiState, cx: &Context<'_>, lane: &Lane, release: &Release) -> Vec<Effect> {
    let (Some(commit), Some(source)) = (&release.commit, &lane.source) else {
        ui.say(
            Level::Error,
            format!(
                "{}: no automation commit of {} found yet in the config repository",
                lane.app(),
                release.tag
            ),
            cx.now,
        );
        return Vec::new();
    };
    let repository = format!("{}/{}", source.namespace, source.name);
    let sha = commit.sha.clone();
    ui.mode = Mode::Diff {
        repository: repository.clone(),
        sha: sha.clone(),
        scroll: 0,
    };
    vec![Effect::Send(Command::ShowDiff { repository, sha })]
}

/// The object behind `stage` of `release` (all but the commit): the one the stuck reason
/// names when it is of the stage's kind, else the lane's.
pub(super) fn stage_object(
    cx: &Context<'_>,
    lane: &Lane,
    release: &Release,
    stage: Stage,
) -> Option<ObjectKey> {
    let named = cx
        .state
        .stuck(lane, release, cx.now)
        .filter(|s| s.stage == stage)
        .and_then(|s| s.object);
    let of_kind = |kinds: &[Kind]| named.clone().filter(|k| kinds.contains(&k.kind));
    match stage {
        Stage::Pushed | Stage::Scanned => lane.repository.clone(),
        Stage::Selected => Some(lane.policy.clone()),
        Stage::Committed => lane.automations.first().cloned(),
        Stage::Fetched => of_kind(&[Kind::GitRepository]).or_else(|| lane.source.clone()),
        Stage::Applied => {
            of_kind(&[Kind::Kustomization]).or_else(|| lane.kustomizations.first().cloned())
        }
        Stage::RolledOut => of_kind(&[Kind::Pod]).or_else(|| pod_of(cx, lane, release)),
    }
}

/// The pod that tells most about a rollout: the first one not Ready on the release's tag,
/// else any.
fn pod_of(cx: &Context<'_>, lane: &Lane, release: &Release) -> Option<ObjectKey> {
    let pods = cx.state.pods();
    lane.pods
        .iter()
        .find(|k| {
            pods.get(k)
                .is_some_and(|p| p.ready < p.total || !p.image_tags().any(|t| t == release.tag))
        })
        .or_else(|| lane.pods.first())
        .cloned()
}
