//! The releases pane, in place of the image automation pane (`t`): one lane per app (an
//! ImagePolicy), its current release's tag and seven stages from the registry push to the
//! pods, each with a mark (`✓` reached, `·` pending, `?` unknown, `✗` where it is blocked)
//! and how long it took, the total, why it waits, and the earlier releases folded into
//! one line (`Space` unfolds them, one line each).
//!
//! Only the lanes on screen are laid out. A waiting stage counts the seconds since the
//! stage before it, so the frame asks the tick for a redraw each second while one shows.

use std::collections::VecDeque;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Padding, Paragraph, Wrap};

use crate::model::key::Kind;
use crate::state::lanes::{Lane, Release, Stage, Stuck};
use crate::ui::format::{duration, fit};
use crate::ui::rows::{LaneRows, Rows};
use crate::ui::theme::Slot;
use crate::ui::ui_state::{EARLIER, PaneId};
use crate::ui::view::View;
use crate::ui::widgets::list;
use crate::ui::widgets::status::stuck_mark;

use super::cells::{empty_line, flux_scope};

/// Lines a lane usually takes (header, stages, reason), to turn the pane's height into
/// lanes for paging.
const LANE_LINES: usize = 4;

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let rows = LaneRows::new(view.state);
    let lanes = &view.ui.releases;
    let total = rows.len();
    let shown = lanes.len(&rows);
    let title = if lanes.filter().is_empty() {
        format!(" Releases ({total}) ")
    } else {
        format!(" Releases ({shown}/{total}) /{} ", lanes.filter())
    };
    let block = list::block(view, PaneId::Releases, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    view.set_height(PaneId::Releases, (height / LANE_LINES).max(1));
    if shown == 0 {
        let message = if total > 0 {
            Line::styled(
                format!("nothing matches /{}", lanes.filter()),
                view.style(Slot::Muted),
            )
        } else {
            empty_line(
                view,
                &[Kind::ImagePolicy],
                "image policies",
                &flux_scope(view),
            )
        };
        frame.render_widget(
            Paragraph::new(message)
                .wrap(Wrap { trim: true })
                .block(ratatui::widgets::Block::default().padding(Padding::horizontal(1))),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let focused = view.ui.focus == PaneId::Releases;
    let index = lanes.index().min(shown - 1);
    let lines_of = |i: usize| -> Vec<Line<'static>> {
        let Some(lane) = lanes
            .key_at(&rows, i)
            .and_then(|k| view.state.lanes().get(k))
        else {
            return Vec::new();
        };
        let selected = i == index;
        let cursor = (selected && focused).then_some(view.ui.releases_cursor);
        let unfolded = view.ui.releases_unfolded.contains(&lane.policy);
        lane_lines(view, lane, selected && focused, cursor, unfolded, width)
    };
    // From the stored offset, moved just enough that the whole selected lane shows.
    let mut start = lanes.offset().min(index);
    let mut blocks: VecDeque<Vec<Line<'static>>> = (start..=index).map(lines_of).collect();
    while start < index && blocks.iter().map(Vec::len).sum::<usize>() > height {
        blocks.pop_front();
        start += 1;
    }
    let mut next = index + 1;
    while next < shown && blocks.iter().map(Vec::len).sum::<usize>() < height {
        blocks.push_back(lines_of(next));
        next += 1;
    }
    let lines: Vec<Line<'static>> = blocks.into_iter().flatten().take(height).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One lane's lines for a pane `width` wide: the header, the stages (wrapped), why the
/// current release waits, and the earlier releases (folded into one line unless
/// `unfolded`). `cursor` is the item under the cursor when the lane has it.
pub fn lane_lines(
    view: &View<'_>,
    lane: &Lane,
    selected: bool,
    cursor: Option<usize>,
    unfolded: bool,
    width: usize,
) -> Vec<Line<'static>> {
    let marker = if selected { "›" } else { " " };
    let mut header = vec![
        Span::raw(format!("{marker} ")),
        Span::styled(lane.app(), view.style(Slot::Title)),
    ];
    let Some(release) = lane.current() else {
        header.push(Span::styled("  no release yet", view.style(Slot::Muted)));
        return vec![Line::from(header)];
    };
    let stuck = view.state.stuck(lane, release, view.now);
    header.push(Span::raw(format!("  {}  ", release.tag)));
    let (word, slot) = outcome(release, stuck.as_ref());
    header.push(Span::styled(word, view.style(slot)));
    if let Some(total) = release.total() {
        header.push(Span::styled(
            format!("  total {}", duration(total)),
            view.style(Slot::Muted),
        ));
    }
    header.extend(flags(view, release));
    let mut lines = vec![Line::from(header)];
    lines.extend(stage_lines(
        view,
        release,
        stuck.as_ref(),
        cursor,
        width.saturating_sub(3),
    ));
    if let Some(stuck) = &stuck {
        let (mark, slot) = stuck_mark(stuck);
        let text = format!("{mark} {}: {}", stuck.stage, stuck.reason);
        lines.push(Line::styled(
            format!("   {}", fit(&text, width.saturating_sub(3))),
            view.style(slot),
        ));
    }
    let earlier = lane.releases().len().saturating_sub(1);
    if earlier > 0 {
        let style = item_style(view, cursor == Some(EARLIER), Slot::Muted);
        let plural = if earlier == 1 { "" } else { "s" };
        let text = if unfolded {
            format!("▾ {earlier} earlier release{plural}")
        } else {
            format!("▸ {earlier} earlier release{plural} (Space)")
        };
        lines.push(Line::from(vec![
            Span::raw("   "),
            Span::styled(text, style),
        ]));
        if unfolded {
            for old in lane.releases().rev().skip(1) {
                lines.push(earlier_line(view, old, width));
            }
        }
    }
    lines
}

/// The header's word for where the release is.
fn outcome(release: &Release, stuck: Option<&Stuck>) -> (String, Slot) {
    match stuck {
        None => ("✓ rolled out".to_owned(), Slot::Ok),
        Some(s) if s.unknown => (format!("? {} unknown", s.stage), Slot::Muted),
        Some(s) if s.blocked && release.superseded_by.is_some() => {
            (format!("superseded at {}", s.stage), Slot::Muted)
        }
        Some(s) if s.blocked => (format!("✗ blocked at {}", s.stage), Slot::Error),
        Some(s) => (format!("… {}", s.stage), Slot::Warn),
    }
}

/// `↶ rollback` and `superseded by TAG`, when they apply.
fn flags(view: &View<'_>, release: &Release) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if release.rollback {
        spans.push(Span::styled("  ↶ rollback", view.style(Slot::Warn)));
    }
    if let Some(newer) = &release.superseded_by {
        spans.push(Span::styled(
            format!("  superseded by {newer}"),
            view.style(Slot::Muted),
        ));
    }
    spans
}

/// The seven stages as `name mark duration` items, wrapped to `width`, indented.
fn stage_lines(
    view: &View<'_>,
    release: &Release,
    stuck: Option<&Stuck>,
    cursor: Option<usize>,
    width: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans: Vec<Span<'static>> = vec![Span::raw("   ")];
    let mut used = 0;
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let item = stage_item(view, release, stuck, stage);
        let chars: usize = item.iter().map(|(t, _)| t.chars().count()).sum();
        if used > 0 && used + 2 + chars > width {
            lines.push(Line::from(std::mem::replace(
                &mut spans,
                vec![Span::raw("   ")],
            )));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::raw("  "));
            used += 2;
        }
        let under = cursor == Some(i);
        for (text, slot) in item {
            spans.push(Span::styled(text, item_style(view, under, slot)));
        }
        used += chars;
    }
    lines.push(Line::from(spans));
    lines
}

/// One stage: its name, its mark and, when known, how long it took (or, for the stage the
/// release waits at, how long it has waited so far: `…12s`).
fn stage_item(
    view: &View<'_>,
    release: &Release,
    stuck: Option<&Stuck>,
    stage: Stage,
) -> Vec<(String, Slot)> {
    let at_stuck = stuck.filter(|s| s.stage == stage);
    let (mark, slot) = match (release.mark(stage).reached(), at_stuck) {
        (true, _) => ("✓", Slot::Ok),
        (false, Some(s)) if s.unknown => ("?", Slot::Muted),
        (false, Some(s)) if s.blocked => ("✗", Slot::Error),
        (false, Some(_)) => ("·", Slot::Warn),
        (false, None) => ("·", Slot::Muted),
    };
    let mut item = vec![(format!("{stage} "), Slot::Base), (mark.to_owned(), slot)];
    if let Some(took) = release.duration(stage) {
        item.push((format!(" {}", duration(took)), Slot::Muted));
    } else if let Some(s) = at_stuck
        && !s.unknown
        && let Some(since) = Stage::ALL
            .get(stage.index().wrapping_sub(1))
            .and_then(|p| release.mark(*p).at())
    {
        view.set_ticking();
        item.push((
            format!(" …{}", duration(view.now.duration_since(since))),
            slot,
        ));
    }
    item
}

/// An earlier release: its tag, how it ended, its total and its flags.
fn earlier_line(view: &View<'_>, release: &Release, width: usize) -> Line<'static> {
    let (word, slot) = if release.rolled_out() {
        ("✓ rolled out".to_owned(), Slot::Ok)
    } else if let Some(newer) = &release.superseded_by {
        (format!("superseded by {newer}"), Slot::Muted)
    } else {
        let at = release.waiting_at().map_or("", Stage::name);
        (format!("stopped at {at}"), Slot::Warn)
    };
    let mut spans = vec![
        Span::raw("     "),
        Span::raw(fit(&release.tag, width.saturating_sub(30).max(8))),
        Span::raw("  "),
        Span::styled(word, view.style(slot)),
    ];
    if let Some(total) = release.total() {
        spans.push(Span::styled(
            format!("  total {}", duration(total)),
            view.style(Slot::Muted),
        ));
    }
    if release.rollback {
        spans.push(Span::styled("  ↶ rollback", view.style(Slot::Warn)));
    }
    Line::from(spans)
}

fn item_style(view: &View<'_>, under_cursor: bool, slot: Slot) -> Style {
    if under_cursor {
        view.style(slot).patch(view.style(Slot::Selected))
    } else {
        view.style(slot)
    }
}

#[cfg(test)]
mod tests;
