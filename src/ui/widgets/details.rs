//! The details view of one object: its conditions, its events and its YAML (every Secret
//! value masked before it reached the state). Fetched on demand; until it arrives the view
//! shows what the row already knows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::model::conditions::{CondStatus, Condition};
use crate::model::key::{Kind, ObjectKey};
use crate::state::{Connection, Details};
use crate::ui::format::wrap;
use crate::ui::theme::Slot;
use crate::ui::ui_state::DetailsTab;
use crate::ui::view::View;

/// Draws the details of `key` over `area`.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    view: &View<'_>,
    key: &ObjectKey,
    tab: DetailsTab,
    scroll: usize,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(view.style(Slot::BorderFocused))
        .title(Span::styled(format!(" {key} "), view.style(Slot::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [tabs, body] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(inner);

    let mut spans = vec![Span::raw(" ")];
    for t in DetailsTab::ALL {
        let slot = if t == tab {
            Slot::TabActive
        } else {
            Slot::Muted
        };
        spans.push(Span::styled(format!(" {} ", t.title()), view.style(slot)));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);

    let details = view.state.details().filter(|d| &d.key == key);
    let width = usize::from(body.width).saturating_sub(4);
    let mut lines = Vec::new();
    if let Some(error) = details.and_then(|d| d.error.as_ref()) {
        lines.push(Line::styled(format!(" ✗ {error}"), view.style(Slot::Error)));
    }
    match tab {
        DetailsTab::Conditions => conditions(view, key, details, width, &mut lines),
        DetailsTab::Events => events(view, details, width, &mut lines),
        DetailsTab::Yaml => match details.and_then(|d| d.yaml.as_ref()) {
            Some(yaml) => {
                // Long values wrap rather than hide their end off-screen.
                for line in yaml {
                    let chars: Vec<char> = line.chars().collect();
                    for (i, chunk) in chars.chunks(width.max(1)).enumerate() {
                        let text: String = chunk.iter().collect();
                        let lead = if i == 0 { " " } else { " ↪" };
                        lines.push(Line::raw(format!("{lead}{text}")));
                    }
                }
            }
            None => lines.push(waiting(view, "the YAML")),
        },
    }
    let height = usize::from(body.height);
    view.set_details_size(height, lines.len());
    let top = scroll.min(lines.len().saturating_sub(height));
    let visible: Vec<Line> = lines.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(visible), body);
}

/// The line shown while something is fetched (or cannot be).
fn waiting(view: &View<'_>, what: &str) -> Line<'static> {
    if view.state.connection() == Connection::NotConnected {
        Line::styled(
            format!(" not connected: {what} is fetched from the cluster on demand"),
            view.style(Slot::Warn),
        )
    } else {
        Line::styled(format!(" loading {what}…"), view.style(Slot::Muted))
    }
}

fn conditions(
    view: &View<'_>,
    key: &ObjectKey,
    details: Option<&Details>,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let fetched = details
        .filter(|d| d.yaml.is_some())
        .map(|d| d.conditions.as_slice());
    if key.kind == Kind::Pod {
        if let Some(pod) = view.state.pods().get(key) {
            lines.push(Line::raw(format!(
                " {}  ready {}/{}  restarts {}  images {}",
                pod.status,
                pod.ready,
                pod.total,
                pod.restarts,
                pod.images.join(", ")
            )));
            lines.push(Line::raw(""));
        }
    } else if let Some(status) = view.state.flux_status(key) {
        let mut summary = vec![Span::raw(format!(" {}", status.readiness().as_str()))];
        if status.suspended {
            summary.push(Span::styled("  suspended", view.style(Slot::Warn)));
        }
        if let Some(handled) = status.last_handled_reconcile_at() {
            summary.push(Span::styled(
                format!("  last handled reconcile request {handled}"),
                view.style(Slot::Muted),
            ));
        }
        lines.push(Line::from(summary));
        if let Some(facts) = facts(view, key) {
            lines.push(Line::styled(facts, view.style(Slot::Muted)));
        }
        lines.push(Line::raw(""));
        if fetched.is_none()
            && let Some(ready) = &status.ready
        {
            condition_lines(view, std::slice::from_ref(ready), width, lines);
        }
    }
    match fetched {
        Some([]) => lines.push(Line::styled(" no conditions", view.style(Slot::Muted))),
        Some(all) => condition_lines(view, all, width, lines),
        None => lines.push(waiting(view, "every condition")),
    }
}

/// What the pane row knows beyond conditions: revisions and where they come from.
fn facts(view: &View<'_>, key: &ObjectKey) -> Option<String> {
    use crate::model::revision::short_revision;
    let short = |r: &Option<String>| r.as_deref().map_or_else(|| "-".to_owned(), short_revision);
    match key.kind {
        Kind::Kustomization => {
            let ks = view.state.kustomizations().get(key)?;
            let source = ks.source.as_ref().map_or_else(
                || "-".to_owned(),
                |s| format!("{}/{}", s.kind.short(), s.name),
            );
            let mut text = format!(
                " source {source} · applied {}",
                short(&ks.last_applied_revision)
            );
            // The model keeps the attempted revision only when it differs from the applied.
            if ks.last_attempted_revision.is_some() {
                text.push_str(&format!(
                    " · attempted {}",
                    short(&ks.last_attempted_revision)
                ));
            }
            Some(text)
        }
        k if k.is_source() => {
            let src = view.state.sources().get(key)?;
            Some(format!(
                " {} · {} · stored {}",
                crate::model::mask::mask_url_password(src.url.as_deref().unwrap_or("-")),
                src.reference.as_deref().unwrap_or("default branch"),
                short(&src.artifact_revision)
            ))
        }
        _ => None,
    }
}

/// The space between two columns of a table in the details view.
const GAP: usize = 2;

/// The width of a column: its widest cell plus [`GAP`], as `kubectl describe` pads its
/// tables, so a long cell (`PodReadyToStartContainers`) never runs into the next.
fn column_width<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells
        .into_iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        + GAP
}

/// `text` padded with spaces to `width` characters.
fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

/// The conditions as a table (type, status, reason, age), each message wrapped below its row.
fn condition_lines(
    view: &View<'_>,
    all: &[Condition],
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let type_width = column_width(all.iter().map(|c| c.type_.as_str()));
    let status_width = column_width(all.iter().map(|c| c.status.as_str()));
    let reason_width = column_width(all.iter().map(|c| c.reason.as_str()));
    for c in all {
        let slot = match (c.type_.as_str(), c.status) {
            ("Ready" | "Healthy" | "ArtifactInStorage", CondStatus::True) => Slot::Ok,
            ("Stalled", CondStatus::True) | (_, CondStatus::False) => Slot::Error,
            _ => Slot::Warn,
        };
        let since = c
            .last_transition
            .map_or_else(String::new, |t| format!("{} ago", view.age(t)));
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {}", pad(&c.type_, type_width)),
                view.style(Slot::ColumnHeader),
            ),
            Span::styled(pad(c.status.as_str(), status_width), view.style(slot)),
            Span::raw(pad(&c.reason, reason_width)),
            Span::styled(since, view.style(Slot::Muted)),
        ]));
        for part in wrap(&c.message, width) {
            lines.push(Line::raw(format!("   {part}")));
        }
    }
}

fn events(
    view: &View<'_>,
    details: Option<&Details>,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let Some(events) = details.and_then(|d| d.events.as_ref()) else {
        lines.push(waiting(view, "the events"));
        return;
    };
    if events.is_empty() {
        lines.push(Line::styled(
            " no events (Kubernetes keeps them for an hour)",
            view.style(Slot::Muted),
        ));
    }
    // Columns as `kubectl describe` lays them out: each as wide as its widest cell.
    let rows: Vec<(String, String)> = events
        .iter()
        .rev()
        .map(|e| {
            let count = if e.count > 1 {
                format!(" ×{}", e.count)
            } else {
                String::new()
            };
            (
                view.age_or_dash(e.last_seen),
                format!("{}{count}", e.reason),
            )
        })
        .collect();
    let age_width = rows
        .iter()
        .map(|(a, _)| a.chars().count())
        .max()
        .unwrap_or(0);
    let type_width = column_width(events.iter().map(|e| e.type_.as_str()));
    let reason_width = column_width(rows.iter().map(|(_, r)| r.as_str()));
    // Messages sit under the type column, wrapped to what is left of the line.
    let indent = " ".repeat(1 + age_width + 1);
    let message_width = (width + 3).saturating_sub(indent.len()).max(20);
    for (e, (age, reason)) in events.iter().rev().zip(&rows) {
        let slot = if e.is_warning() {
            Slot::Error
        } else {
            Slot::Ok
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {age:>age_width$} "), view.style(Slot::Muted)),
            Span::styled(pad(&e.type_, type_width), view.style(slot)),
            Span::raw(pad(reason, reason_width)),
            Span::styled(e.source.clone(), view.style(Slot::Muted)),
        ]));
        for part in wrap(&e.message, message_width) {
            lines.push(Line::raw(format!("{indent}{part}")));
        }
    }
}
