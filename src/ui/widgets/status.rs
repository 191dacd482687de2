//! The status strip: what runs, how the last action ended, the last message, or else a
//! failing git fetch or registry scan.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::state::lanes::Stuck;
use crate::state::{ActionPhase, ActionRecord};
use crate::ui::format::{first_line, wrap};
use crate::ui::theme::Slot;
use crate::ui::ui_state::{Level, PaneId};
use crate::ui::view::View;

/// Lines a message may take before it is cut.
const MAX_LINES: usize = 3;

/// How long a message beats the reason the selected release lane waits.
const MESSAGE_FIRST_SECONDS: i64 = 5;

/// The status strip's lines for a terminal `width` wide: a long message wraps (up to
/// three lines) rather than losing its end, which usually says what to do.
pub fn lines(view: &View<'_>, width: u16) -> Vec<Line<'static>> {
    let actions = view.state.actions();
    let running: Vec<&ActionRecord> = actions.running().collect();
    let latest = actions.latest();
    let message = view.ui.message.as_ref();
    // The newest thing wins; a message the user just caused beats an action event of the
    // same instant.
    let show_message = match (message, latest) {
        (Some(m), Some(a)) => m.at >= a.updated,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let others = running
        .len()
        .saturating_sub(usize::from(!show_message && !running.is_empty()));
    let suffix = (others > 0)
        .then(|| Span::styled(format!("  (+{others} running)"), view.style(Slot::Warn)));
    // On the releases pane, why the selected lane waits, unless a message is fresh.
    let fresh = message.is_some_and(|m| {
        show_message && view.now.as_second() - m.at.as_second() < MESSAGE_FIRST_SECONDS
    });
    if view.ui.focus == PaneId::Releases
        && view.ui.releases_shown
        && !fresh
        && let Some((text, slot)) = selected_reason(view)
    {
        if show_message {
            // The message will stop being fresh: look again then.
            view.set_ticking();
        }
        return wrapped(view, &text, slot, width, suffix);
    }
    if let (true, Some(m)) = (show_message, message) {
        let (prefix, slot) = match m.level {
            Level::Info => ("", Slot::Base),
            Level::Error => ("✗ ", Slot::Error),
        };
        let text = format!("{prefix}{}", m.text);
        if fresh && view.ui.focus == PaneId::Releases {
            view.set_ticking();
        }
        return wrapped(view, &text, slot, width, suffix);
    }
    let mut spans = match running.last().copied().or(latest) {
        Some(record) => action_spans(view, record),
        // Nothing the user did to report: a failing fetch or scan shows instead.
        None => match view.state.background_error() {
            Some(error) => vec![Span::styled(
                format!(" ⚠ {}", first_line(&error)),
                view.style(Slot::Warn),
            )],
            None => Vec::new(),
        },
    };
    spans.extend(suffix);
    vec![Line::from(spans)]
}

/// `text` wrapped to `width` (up to [`MAX_LINES`]), `suffix` after it.
fn wrapped(
    view: &View<'_>,
    text: &str,
    slot: Slot,
    width: u16,
    suffix: Option<Span<'static>>,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = wrap(text, usize::from(width).saturating_sub(2))
        .into_iter()
        .take(MAX_LINES)
        .map(|l| Line::styled(format!(" {l}"), view.style(slot)))
        .collect();
    if let (Some(suffix), Some(last)) = (suffix, lines.last_mut()) {
        last.spans.push(suffix);
    }
    lines
}

/// Draws the status strip.
pub fn render(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(Paragraph::new(lines), area);
}

fn action_spans(view: &View<'_>, record: &ActionRecord) -> Vec<Span<'static>> {
    let (mark, slot, text, since) = match &record.phase {
        ActionPhase::Running(text) => ("◎", Slot::Warn, text, record.started),
        ActionPhase::Succeeded(text) => ("✔", Slot::Ok, text, record.updated),
        ActionPhase::Failed(text) => ("✗", Slot::Error, text, record.updated),
    };
    vec![
        Span::styled(format!(" {mark} "), view.style(slot)),
        Span::styled(
            format!("{} {}: ", record.action, record.key),
            view.style(Slot::Base),
        ),
        Span::styled(first_line(text).to_owned(), view.style(slot)),
        Span::styled(format!(" ({})", view.age(since)), view.style(Slot::Muted)),
    ]
}

/// The mark and slot of a waiting release: `?` unknown (fluxdeck cannot read the stage),
/// `✗` blocked, `…` a normal wait.
pub fn stuck_mark(stuck: &Stuck) -> (&'static str, Slot) {
    if stuck.unknown {
        ("?", Slot::Muted)
    } else if stuck.blocked {
        ("✗", Slot::Error)
    } else {
        ("…", Slot::Warn)
    }
}

/// Why the selected lane's current release waits, for the status strip.
pub fn selected_reason(view: &View<'_>) -> Option<(String, Slot)> {
    let lane = view.state.lanes().get(view.ui.releases.selected()?)?;
    let release = lane.current()?;
    let stuck = view.state.stuck(lane, release, view.now)?;
    let (mark, slot) = stuck_mark(&stuck);
    Some((
        format!(
            "{mark} {} {} at {}: {}",
            lane.app(),
            release.tag,
            stuck.stage,
            stuck.reason
        ),
        slot,
    ))
}
