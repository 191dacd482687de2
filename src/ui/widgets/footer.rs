//! The footer: key hints for the current mode, or the filter / command line being typed.
//! Actions that cannot run (read-only, forbidden) show as unavailable, with the reason.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::state::{Access, Connection};
use crate::ui::keymap::Intent;
use crate::ui::theme::Slot;
use crate::ui::ui_state::{Mode, PaneId};
use crate::ui::view::View;

/// Draws the footer. The copy hint comes last in every mode: the hints before it fill an
/// 80-column line, and `q quit` must stay on it (at 120 too, with an action's reason).
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let line = match &view.ui.mode {
        Mode::Filter => Line::from(vec![
            Span::styled(
                format!(" /{}▏", view.ui.filter(view.ui.focus)),
                view.style(Slot::Input),
            ),
            Span::styled("  Enter keep · Esc clear", view.style(Slot::Muted)),
        ]),
        Mode::Command(text) => Line::from(vec![
            Span::styled(format!(" :{text}▏"), view.style(Slot::Input)),
            Span::styled(
                format!("  {}", crate::ui::command_line::USAGE),
                view.style(Slot::Muted),
            ),
        ]),
        Mode::Help => hints(
            view,
            &[(Intent::Back, "close"), (Intent::Quit, "quit")],
            None,
        ),
        Mode::Confirm(_) => hints(
            view,
            &[(Intent::Confirm, "yes"), (Intent::Cancel, "no")],
            None,
        ),
        Mode::Details { .. } => hints(
            view,
            &[
                (Intent::FocusNext, "next tab"),
                (Intent::Down, "scroll"),
                (Intent::Details, "refresh"),
                (Intent::Back, "back"),
            ],
            None,
        ),
        Mode::Diff { .. } => hints(
            view,
            &[
                (Intent::Down, "scroll"),
                (Intent::PageDown, "page"),
                (Intent::Back, "back"),
            ],
            None,
        ),
        Mode::Normal if view.ui.focus == PaneId::Commits => hints(
            view,
            &[
                (Intent::Help, "help"),
                (Intent::Details, "diff"),
                (Intent::Refresh, "fetch"),
                (Intent::Bottom, "end/more"),
                (Intent::Filter, "filter"),
                (Intent::FocusNext, "pane"),
                (Intent::Command, "cmd"),
                (Intent::Quit, "quit"),
                (Intent::Copy, "copy sha"),
            ],
            None,
        ),
        Mode::Logs => log_hints(view),
        Mode::Normal if view.ui.focus == PaneId::Pods => hints(
            view,
            &[
                (Intent::Help, "help"),
                (Intent::Logs, "logs"),
                (Intent::Details, "details"),
                (Intent::Filter, "filter"),
                (Intent::FocusNext, "pane"),
                (Intent::Command, "cmd"),
                (Intent::Quit, "quit"),
            ],
            None,
        ),
        Mode::Normal if view.ui.focus == PaneId::Releases => hints(
            view,
            &[
                (Intent::Help, "help"),
                (Intent::Logs, "stage"),
                (Intent::Details, "open"),
                (Intent::Select, "earlier"),
                (Intent::Releases, "image pane"),
                (Intent::Filter, "filter"),
                (Intent::FocusNext, "pane"),
                (Intent::Command, "cmd"),
                (Intent::Quit, "quit"),
                (Intent::Copy, "copy ref"),
            ],
            None,
        ),
        Mode::Normal => hints(
            view,
            &[
                (Intent::Help, "help"),
                (Intent::Suspend, "suspend"),
                (Intent::Resume, "resume"),
                (Intent::Reconcile, "sync"),
                (Intent::ReconcileWithSource, "sync+src"),
                (Intent::Details, "details"),
                (Intent::Filter, "filter"),
                (Intent::Select, "mark"),
                (Intent::FocusNext, "pane"),
                (Intent::Command, "cmd"),
                (Intent::Quit, "quit"),
                (Intent::Copy, "copy"),
            ],
            unavailable(view),
        ),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The log view's keys, or its search being typed. `p`, `w`, `n`, `N` are the view's own.
fn log_hints(view: &View<'_>) -> Line<'static> {
    if let Some(logs) = view.ui.logs.as_ref().filter(|l| l.typing) {
        return Line::from(vec![
            Span::styled(format!(" /{}▏", logs.search), view.style(Slot::Input)),
            Span::styled("  Enter find · Esc cancel", view.style(Slot::Muted)),
        ]);
    }
    let mut spans = vec![Span::raw(" ")];
    let keys = [
        (view.keymap.first(Intent::Bottom), "follow"),
        ("p".to_owned(), "previous"),
        ("w".to_owned(), "wrap"),
        (view.keymap.first(Intent::Filter), "search"),
        ("n/N".to_owned(), "match"),
        (view.keymap.first(Intent::FocusNext), "container"),
        (view.keymap.first(Intent::Back), "close"),
    ];
    for (key, label) in keys {
        spans.push(Span::styled(key, view.style(Slot::Key)));
        spans.push(Span::styled(format!(" {label}  "), view.style(Slot::Muted)));
    }
    Line::from(spans)
}

/// Why the actions are unavailable for the focused selection, if they are: read-only
/// mode, no cluster, or a denied permission.
pub fn unavailable(view: &View<'_>) -> Option<String> {
    if view.ui.read_only {
        return Some("read-only".to_owned());
    }
    if view.state.connection() == Connection::NotConnected {
        return Some("not connected".to_owned());
    }
    let selected = match view.ui.focus {
        PaneId::Kustomizations => view.ui.kustomizations.selected(),
        PaneId::Sources => view.ui.sources.selected(),
        PaneId::Images => view.ui.images.selected(),
        PaneId::Commits | PaneId::Pods | PaneId::Releases => None,
    }?;
    match view.state.access(selected) {
        // Short enough for 80 columns; the strip names the whole RBAC permission (with the
        // API group and namespace) once the key is pressed.
        Access::Denied(permission) => Some(format!(
            "forbidden: needs {} {}",
            permission.verb,
            permission.kind.plural()
        )),
        Access::Allowed | Access::Unknown => None,
    }
}

/// The key hints; when the actions are `blocked`, their keys alone (dimmed, no labels: they
/// cannot be used) and the reason, so the reason and the keys that work fit the line.
fn hints(view: &View<'_>, items: &[(Intent, &str)], blocked: Option<String>) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (intent, label) in items {
        let key = view.keymap.first(*intent);
        let off = blocked.is_some() && intent.is_action();
        if off {
            spans.push(Span::styled(key, view.style(Slot::Unavailable)));
            spans.push(Span::raw(" "));
        } else {
            spans.push(Span::styled(key, view.style(Slot::Key)));
            spans.push(Span::styled(format!(" {label}  "), view.style(Slot::Muted)));
        }
        if off
            && *intent == Intent::ReconcileWithSource
            && let Some(reason) = &blocked
        {
            spans.push(Span::styled(
                format!("✗ {reason}  "),
                view.style(Slot::Error),
            ));
        }
    }
    Line::from(spans)
}
