//! Actions asked for from the keyboard: which objects they target, every local reason to
//! refuse them (read-only, not connected, forbidden, suspended), the confirmation, and the
//! `Command` finally sent.

use crate::model::key::{Kind, ObjectKey};
use crate::state::{Access, ActionId, ActionKind, Command, Connection, State};

use crate::ui::intent::Intent;
use crate::ui::list_view::ListView;
use crate::ui::ui_state::{Confirm, Level, Mode, PaneId, UiState};

use super::context::{Context, Effect};

/// The view of a pane that lists Flux objects (actions and marks apply there only).
pub(super) fn flux_pane_view(ui: &mut UiState, pane: PaneId) -> Option<&mut ListView<ObjectKey>> {
    match pane {
        PaneId::Kustomizations => Some(&mut ui.kustomizations),
        PaneId::Sources => Some(&mut ui.sources),
        PaneId::Images => Some(&mut ui.images),
        PaneId::Commits | PaneId::Pods | PaneId::Releases => None,
    }
}

/// The marked rows of the focused pane, or else its selected row.
pub(super) fn targets(ui: &mut UiState, pane: PaneId) -> Result<Vec<ObjectKey>, String> {
    let view = flux_pane_view(ui, pane).ok_or_else(|| {
        "actions apply to Flux objects: focus Kustomizations, Sources or Image automation"
            .to_owned()
    })?;
    if !view.marked().is_empty() {
        return Ok(view.marked().iter().cloned().collect());
    }
    view.selected()
        .cloned()
        .map(|k| vec![k])
        .ok_or_else(|| "nothing selected".to_owned())
}

/// The action an intent asks for.
pub(super) fn action_of(intent: Intent) -> ActionKind {
    match intent {
        Intent::Suspend => ActionKind::Suspend,
        Intent::Resume => ActionKind::Resume,
        Intent::ReconcileWithSource => ActionKind::ReconcileWithSource,
        _ => ActionKind::Reconcile,
    }
}

/// Why no action can be sent at all now (read-only mode, no cluster), if so.
pub(super) fn global_refusal(ui: &UiState, state: &State, action: ActionKind) -> Option<String> {
    if ui.read_only {
        return Some(format!(
            "read-only mode: {action} not sent (type :readonly to allow actions)"
        ));
    }
    if state.connection() == Connection::NotConnected {
        return Some(format!("not connected to a cluster: {action} not sent"));
    }
    None
}

/// Why an action on `keys` cannot be sent now, if it cannot.
pub(super) fn refusal(
    ui: &UiState,
    state: &State,
    action: ActionKind,
    keys: &[ObjectKey],
) -> Option<String> {
    if action == ActionKind::ReconcileWithSource
        && let Some(k) = keys.iter().find(|k| k.kind != Kind::Kustomization)
    {
        return Some(format!(
            "{action} applies to Kustomizations; {} is a {} (use plain reconcile)",
            k.name, k.kind
        ));
    }
    if let Some(reason) = global_refusal(ui, state, action) {
        return Some(reason);
    }
    for key in keys {
        if let Access::Denied(permission) = state.access(key) {
            return Some(format!(
                "forbidden: {action} needs RBAC permission `{permission}`; ask a cluster admin \
                 for it or switch context (:ctx)"
            ));
        }
    }
    if matches!(
        action,
        ActionKind::Reconcile | ActionKind::ReconcileWithSource
    ) && let Some(key) = keys
        .iter()
        .find(|k| state.flux_status(k).is_some_and(|s| s.suspended))
    {
        return Some(format!(
            "{key}: resource is suspended; resume it first ({action} not sent)"
        ));
    }
    None
}

/// Checks an action, then asks for confirmation or sends it.
pub(super) fn request(
    ui: &mut UiState,
    cx: &Context<'_>,
    action: ActionKind,
    keys: Vec<ObjectKey>,
) -> Vec<Effect> {
    let confirm = action == ActionKind::Suspend || keys.len() > 1;
    if !confirm {
        // `send_action` checks it.
        return send_action(ui, cx, action, keys);
    }
    if !refused(ui, cx, action, &keys) {
        ui.mode = Mode::Confirm(Confirm { action, keys });
    }
    Vec::new()
}

/// Says why an action is refused, if it is; returns whether it was.
fn refused(ui: &mut UiState, cx: &Context<'_>, action: ActionKind, keys: &[ObjectKey]) -> bool {
    match refusal(ui, cx.state, action, keys) {
        Some(reason) => {
            ui.say(Level::Error, reason, cx.now);
            true
        }
        None => false,
    }
}

/// Sends an action (after the confirmation, if one was asked): numbers it, says so, and
/// clears the marks it consumed.
pub(super) fn send_action(
    ui: &mut UiState,
    cx: &Context<'_>,
    action: ActionKind,
    keys: Vec<ObjectKey>,
) -> Vec<Effect> {
    // Checked again: the state may have changed while the dialog was open.
    if refused(ui, cx, action, &keys) {
        return Vec::new();
    }
    let id = ActionId(ui.next_action);
    ui.next_action += 1;
    let what = match keys.as_slice() {
        [one] => one.to_string(),
        many => format!("{} objects", many.len()),
    };
    ui.say(Level::Info, format!("requested: {action} {what}"), cx.now);
    for pane in [PaneId::Kustomizations, PaneId::Sources, PaneId::Images] {
        if let Some(view) = flux_pane_view(ui, pane) {
            view.clear_marks();
        }
    }
    let command = match action {
        ActionKind::Suspend => Command::Suspend { id, keys },
        ActionKind::Resume => Command::Resume { id, keys },
        ActionKind::Reconcile => Command::Reconcile {
            id,
            keys,
            with_source: false,
        },
        ActionKind::ReconcileWithSource => Command::Reconcile {
            id,
            keys,
            with_source: true,
        },
    };
    vec![Effect::Send(command)]
}
