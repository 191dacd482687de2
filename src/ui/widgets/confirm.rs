//! The confirmation dialog before suspending, or before any action on several objects.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::state::ActionKind;
use crate::ui::format::fit;
use crate::ui::keymap::Intent;
use crate::ui::theme::Slot;
use crate::ui::ui_state::Confirm;
use crate::ui::view::View;

use super::centered;

/// Objects listed by name; the rest are counted.
const LISTED: usize = 4;

/// Draws the dialog over `area`.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>, confirm: &Confirm) {
    let listed = confirm.keys.len().min(LISTED);
    let more = usize::from(confirm.keys.len() > LISTED);
    let height = u16::try_from(listed + more + 6).unwrap_or(u16::MAX);
    let rect = centered(area, 64, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(view.style(Slot::BorderFocused))
        .title(Span::styled(" Confirm ", view.style(Slot::Title)))
        .style(view.style(Slot::Dialog));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let width = usize::from(inner.width).saturating_sub(2);

    let verb = confirm.action.verb();
    let question = match confirm.keys.as_slice() {
        [one] => format!("{} {one}?", capitalized(verb)),
        many => format!("{} these {} objects?", capitalized(verb), many.len()),
    };
    let mut lines = vec![Line::styled(
        fit(&format!(" {question}"), width),
        view.style(Slot::Dialog),
    )];
    if confirm.keys.len() > 1 {
        for key in confirm.keys.iter().take(LISTED) {
            lines.push(Line::styled(
                fit(&format!("   {key}"), width),
                view.style(Slot::Dialog),
            ));
        }
        if more > 0 {
            lines.push(Line::styled(
                format!("   … and {} more", confirm.keys.len() - LISTED),
                view.style(Slot::Muted),
            ));
        }
    }
    lines.push(Line::styled(
        fit(&format!(" {}", consequence(confirm.action)), width),
        view.style(Slot::Muted),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {}", view.keymap.first(Intent::Confirm)),
            view.style(Slot::Key),
        ),
        Span::styled(" yes   ", view.style(Slot::Dialog)),
        Span::styled(view.keymap.first(Intent::Cancel), view.style(Slot::Key)),
        Span::styled(" no", view.style(Slot::Dialog)),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn consequence(action: ActionKind) -> &'static str {
    match action {
        ActionKind::Suspend => "Flux stops reconciling it until it is resumed.",
        ActionKind::Resume => "Flux reconciles it again and fluxdeck waits for Ready.",
        ActionKind::Reconcile => "Requests a reconciliation now (reconcile.fluxcd.io/requestedAt).",
        ActionKind::ReconcileWithSource => "Reconciles the source first, then the Kustomization.",
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
