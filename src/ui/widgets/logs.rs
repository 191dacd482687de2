//! The log view: the lines of the open stream (made safe by the state on arrival), the
//! newest at the bottom while following, search matches highlighted, long lines cut or
//! wrapped; the title names the pod, the container and whether it follows; the last line
//! says where the stream is (connecting, ended, or the API's error in its own words).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::state::{LogBuffer, LogStatus};
use crate::ui::log_view::LogView;
use crate::ui::theme::Slot;
use crate::ui::view::View;

/// Draws the log view over `area`.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let Some(logs) = view.ui.logs.as_ref() else {
        return;
    };
    let buffer = view.state.logs().filter(|b| b.session == logs.session);
    let mut title = format!(" Logs {} · ", logs.describe());
    title.push_str(if logs.follow { "following" } else { "paused" });
    if logs.wrap {
        title.push_str(" · wrap");
    }
    if !logs.search.is_empty() {
        let n = buffer.map_or(0, |b| b.matches(&logs.search).len());
        title.push_str(&format!(" · /{} ({n} matches)", logs.search));
    }
    if let Some(via) = &logs.via {
        title.push_str(&format!(" · {via}"));
    }
    title.push(' ');
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(view.style(Slot::BorderFocused))
        .title(Span::styled(title, view.style(Slot::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let status = status_line(buffer);
    let height = usize::from(inner.height).saturating_sub(usize::from(status.is_some()));
    let width = usize::from(inner.width).max(1);
    view.set_details_size(height, buffer.map_or(0, LogBuffer::len));

    let mut out: Vec<Line> = Vec::new();
    if let Some(buffer) = buffer {
        for (text, marker) in visible(buffer, logs, height, width) {
            let base = if marker { Slot::Muted } else { Slot::Base };
            out.push(highlight(&text, &logs.search, view, base));
        }
    }
    if let Some((text, slot)) = status {
        while out.len() < height {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(text, view.style(slot)));
    }
    frame.render_widget(Paragraph::new(out), inner);
}

/// The line saying where the stream is, when it is not simply streaming.
fn status_line(buffer: Option<&LogBuffer>) -> Option<(String, Slot)> {
    match buffer.map(|b| &b.status) {
        None | Some(LogStatus::Connecting) => Some(("… connecting".to_owned(), Slot::Muted)),
        Some(LogStatus::Streaming) => None,
        Some(LogStatus::Ended(why)) => Some((format!("■ {why}"), Slot::Muted)),
        Some(LogStatus::Failed(why)) => Some((format!("✗ {why}"), Slot::Error)),
    }
}

/// The screen rows the view shows: from its top line when paused, else the last rows;
/// each a piece of text (cut to `width`, or one piece per wrapped row) and whether it is
/// a marker line.
pub fn visible(
    buffer: &LogBuffer,
    logs: &LogView,
    height: usize,
    width: usize,
) -> Vec<(String, bool)> {
    let lines = buffer.lines();
    let rows_of = |text: &str| -> Vec<String> {
        if logs.wrap {
            wrap_chars(text, width)
        } else {
            vec![text.chars().take(width).collect()]
        }
    };
    if logs.follow {
        // From the bottom up until the screen is full.
        let mut rows: Vec<(String, bool)> = Vec::new();
        for line in lines.iter().rev() {
            if rows.len() >= height {
                break;
            }
            for row in rows_of(&line.text).into_iter().rev() {
                rows.push((row, line.marker));
            }
        }
        rows.truncate(height);
        rows.reverse();
        return rows;
    }
    let start = logs.top.saturating_sub(buffer.dropped);
    let mut rows = Vec::new();
    for line in lines.iter().skip(start) {
        for row in rows_of(&line.text) {
            if rows.len() == height {
                return rows;
            }
            rows.push((row, line.marker));
        }
    }
    rows
}

/// `text` cut into rows of `width` characters (an empty line is one empty row).
pub fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// The ranges (in chars) of `text` that match `needle`, ignoring case.
pub fn match_ranges(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let hay: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let needle: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    // Lower-casing that changes a line's length (rare letters) loses the highlight only.
    if needle.is_empty() || hay.len() != text.chars().count() || needle.len() > hay.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == needle[..] {
            out.push((i, i + needle.len()));
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

fn highlight(text: &str, needle: &str, view: &View<'_>, base: Slot) -> Line<'static> {
    let ranges = match_ranges(text, needle);
    if ranges.is_empty() {
        return Line::styled(text.to_owned(), view.style(base));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut spans = Vec::new();
    let mut at = 0;
    let found = view
        .style(Slot::Selected)
        .add_modifier(Modifier::BOLD | Modifier::REVERSED);
    for (from, to) in ranges {
        if from > at {
            spans.push(Span::styled(
                chars[at..from].iter().collect::<String>(),
                view.style(base),
            ));
        }
        spans.push(Span::styled(
            chars[from..to].iter().collect::<String>(),
            found,
        ));
        at = to;
    }
    if at < chars.len() {
        spans.push(Span::styled(
            chars[at..].iter().collect::<String>(),
            view.style(base),
        ));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::key::{Kind, ObjectKey};
    use crate::state::{LogEvent, LogSession, LogTarget};

    fn view(follow: bool, top: usize, wrap: bool) -> LogView {
        LogView {
            session: LogSession(1),
            target: LogTarget {
                pod: ObjectKey::new(Kind::Pod, "shop", "web-1"),
                container: Some("web".into()),
                previous: false,
            },
            containers: vec!["web".into()],
            workloads_of: None,
            via: None,
            follow,
            top,
            wrap,
            search: String::new(),
            typing: false,
        }
    }

    fn buffer(lines: &[&str], limit: usize) -> LogBuffer {
        let mut b = LogBuffer::with_limit(LogSession(1), limit);
        b.apply(LogEvent::Lines(
            lines.iter().map(|l| l.to_string()).collect(),
        ));
        b
    }

    fn texts(rows: Vec<(String, bool)>) -> Vec<String> {
        rows.into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn following_shows_the_newest_rows_and_paused_stays_on_its_line() {
        let b = buffer(&["a", "b", "c", "d", "e"], 100);
        assert_eq!(texts(visible(&b, &view(true, 0, false), 2, 10)), ["d", "e"]);
        assert_eq!(
            texts(visible(&b, &view(false, 1, false), 2, 10)),
            ["b", "c"]
        );
        // Lines dropped from the front: the paused view keeps its (numbered) line.
        let b = buffer(&["a", "b", "c", "d", "e"], 3);
        assert_eq!(b.dropped, 2);
        assert_eq!(
            texts(visible(&b, &view(false, 3, false), 2, 10)),
            ["d", "e"]
        );
        assert_eq!(
            texts(visible(&b, &view(false, 0, false), 2, 10)),
            ["c", "d"]
        );
    }

    #[test]
    fn long_lines_are_cut_or_wrapped() {
        let b = buffer(&["0123456789", "ab"], 100);
        assert_eq!(
            texts(visible(&b, &view(false, 0, false), 5, 4)),
            ["0123", "ab"]
        );
        assert_eq!(
            texts(visible(&b, &view(false, 0, true), 5, 4)),
            ["0123", "4567", "89", "ab"]
        );
        // Following with wrap fills the screen from the bottom, cutting the oldest rows.
        assert_eq!(texts(visible(&b, &view(true, 0, true), 2, 4)), ["89", "ab"]);
        assert_eq!(wrap_chars("", 4), [""]);
        assert_eq!(wrap_chars("é✓ab", 2), ["é✓", "ab"]);
    }

    #[test]
    fn matches_ignore_case_and_do_not_overlap() {
        assert_eq!(match_ranges("Error: error", "ERROR"), [(0, 5), (7, 12)]);
        assert_eq!(match_ranges("aaaa", "aa"), [(0, 2), (2, 4)]);
        assert!(match_ranges("abc", "").is_empty());
        assert!(match_ranges("ab", "abc").is_empty());
        assert_eq!(match_ranges("✓ ok", "ok"), [(2, 4)]);
    }
}
