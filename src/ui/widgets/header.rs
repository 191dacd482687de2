//! The header line: context, namespaces, connection, read-only badge.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::state::{Connection, WatchState};
use crate::ui::theme::Slot;
use crate::ui::view::View;

/// Draws the header.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let state = view.state;
    let session = state.session();
    let header = view.style(Slot::Header);
    let connected = state.connection() != Connection::NotConnected;
    let context = session.context.as_deref().unwrap_or("-");
    let namespace = match (&session.namespace, connected || session.context.is_some()) {
        (Some(ns), _) => ns.as_str(),
        (None, true) => "all",
        (None, false) => "-",
    };
    // Alerts come first so a narrow terminal still shows them.
    let mut spans = vec![Span::styled(" fluxdeck ", header)];
    if view.ui.read_only {
        spans.push(Span::styled(" READ-ONLY ", view.style(Slot::ReadOnly)));
    }
    match state.connection() {
        Connection::NotConnected => {
            spans.push(Span::styled(
                " ○ not connected ",
                view.style(Slot::HeaderAlert),
            ));
        }
        Connection::Connecting => spans.push(Span::styled("│ ◌ connecting… ", header)),
        Connection::Connected => spans.push(Span::styled("│ ● connected ", header)),
        Connection::Retrying {
            kind,
            since,
            reason,
            retry_in,
        } => spans.push(Span::styled(
            format!(
                " ▲ {} (failing since {}): {reason} ({kind}) ",
                crate::ui::format::retrying_in(retry_in),
                view.age(since)
            ),
            view.style(Slot::HeaderAlert),
        )),
    }
    let forbidden = state
        .watchers()
        .values()
        .filter(|w| matches!(w, WatchState::Forbidden { .. }))
        .count();
    if forbidden > 0 {
        spans.push(Span::styled(
            format!(" {forbidden} forbidden "),
            view.style(Slot::HeaderAlert),
        ));
    }
    spans.extend([
        Span::styled(format!("│ ctx {context} "), header),
        Span::styled(format!("│ ns {namespace} "), header),
        Span::styled(format!("│ app {} ", session.pods_scope()), header),
    ]);
    let used: usize = spans.iter().map(Span::width).sum();
    let help = format!(
        "{} help ",
        view.keymap.first(crate::ui::keymap::Intent::Help)
    );
    let pad = usize::from(area.width).saturating_sub(used + help.chars().count());
    if pad > 0 {
        spans.push(Span::styled(" ".repeat(pad), header));
        spans.push(Span::styled(help, header));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(header), area);
}
