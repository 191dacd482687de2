//! The help overlay: every intent with its keys (as the user bound them), which actions
//! are unavailable and why, the `:` commands, and where to rebind keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::ui::command_line::USAGE;
use crate::ui::format::{fit, wrap};
use crate::ui::keymap::Intent;
use crate::ui::theme::Slot;
use crate::ui::view::View;

use super::centered;
use super::footer::unavailable;

const KEY_WIDTH: usize = 14;

/// Draws the help over `area`.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let blocked = unavailable(view);
    let (left, right): (Vec<Intent>, Vec<Intent>) = Intent::ALL.into_iter().partition(|i| {
        !i.is_action()
            && !matches!(
                i,
                Intent::Command
                    | Intent::Help
                    | Intent::Confirm
                    | Intent::Cancel
                    | Intent::Quit
                    | Intent::Refresh
                    | Intent::Copy
                    | Intent::Left
                    | Intent::Right
                    | Intent::Logs
            )
    });
    // Left and right share a line (the stages of a release lane), as do yes and no, and the
    // command line's key is in the notes' `commands:` line, so help fits 80x24.
    let right: Vec<Intent> = right
        .into_iter()
        .filter(|i| !matches!(i, Intent::Left | Intent::Cancel | Intent::Command))
        .collect();
    let width = area.width.min(100);
    let inner_width = usize::from(width.saturating_sub(2));
    let col_width = inner_width / 2;
    // Asked from the log view, help says the view's own keys where the `:` commands are
    // (they do not apply there).
    let mut notes = if view.ui.logs.is_some() {
        vec![format!(
            "log view: {} follow · p previous · w wrap · {} search, n/N match · {} container · {} close",
            view.keymap.first(Intent::Bottom),
            view.keymap.first(Intent::Filter),
            view.keymap.first(Intent::FocusNext),
            view.keymap.first(Intent::Back),
        )]
    } else {
        vec![format!("commands: {USAGE}")]
    };
    notes.push(
        "rebind keys in $XDG_CONFIG_HOME/fluxdeck/keys.toml; themes in $XDG_CONFIG_HOME/fluxdeck/themes/"
            .to_owned(),
    );
    let notes: Vec<String> = notes
        .iter()
        .flat_map(|n| wrap(n, inner_width.saturating_sub(2)))
        .collect();
    let reason: Vec<String> = blocked
        .as_deref()
        .map(|r| {
            wrap(
                &format!("✗ actions unavailable: {r}"),
                col_width.saturating_sub(2),
            )
        })
        .unwrap_or_default();
    let rows = left.len().max(right.len() + reason.len());
    // A blank line parts keys from notes when there is room for it (not at 80x24 with a
    // three-line status strip).
    let gap = usize::from(rows + notes.len() + 3 <= usize::from(area.height));
    let height = u16::try_from(rows + notes.len() + 2 + gap)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(view.style(Slot::BorderFocused))
        .title(Span::styled(" Keys ", view.style(Slot::Title)))
        .style(view.style(Slot::Dialog));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let notes_height = u16::try_from(notes.len() + gap).unwrap_or(u16::MAX);
    let [columns, footer] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(notes_height)]).areas(inner);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(columns);

    let line = |intent: Intent| {
        let off = blocked.is_some() && intent.is_action();
        let key_slot = if off { Slot::Unavailable } else { Slot::Key };
        let label = if intent == Intent::Right {
            // On a release lane the logs key moves to the next stage.
            format!(
                "{}/{}",
                view.keymap.first(Intent::Left),
                view.keymap.first(Intent::Logs)
            )
        } else if intent == Intent::Confirm {
            format!(
                "{}/{}",
                view.keymap.first(Intent::Confirm),
                view.keymap.first(Intent::Cancel)
            )
        } else if intent == Intent::Copy {
            // Outside a confirmation the confirm key yanks too.
            format!(
                "{}/{}",
                view.keymap.label(Intent::Copy),
                view.keymap.first(Intent::Confirm)
            )
        } else {
            view.keymap.label(intent)
        };
        let description = if intent == Intent::Right {
            "stage of a release"
        } else if intent == Intent::Confirm {
            "yes/no (confirm)"
        } else {
            intent.description()
        };
        let keys = fit(&label, KEY_WIDTH - 1);
        Line::from(vec![
            Span::styled(
                format!(" {keys:<w$}", w = KEY_WIDTH - 1),
                view.style(key_slot),
            ),
            Span::styled(
                fit(description, col_width.saturating_sub(KEY_WIDTH + 1)),
                view.style(if off { Slot::Unavailable } else { Slot::Dialog }),
            ),
        ])
    };
    frame.render_widget(
        Paragraph::new(left.into_iter().map(line).collect::<Vec<_>>()),
        left_area,
    );
    let mut right_lines: Vec<Line> = right.into_iter().map(line).collect();
    right_lines.extend(
        reason
            .into_iter()
            .map(|r| Line::styled(format!(" {r}"), view.style(Slot::Error))),
    );
    frame.render_widget(Paragraph::new(right_lines), right_area);
    let mut text = vec![Line::raw(""); gap];
    text.extend(
        notes
            .into_iter()
            .map(|n| Line::styled(format!(" {n}"), view.style(Slot::Muted))),
    );
    frame.render_widget(Paragraph::new(text), footer);
}
