//! The diff view of one commit: `git show`'s header and the unified diff, coloured by line
//! kind, scrollable. Asked for on `Enter` in the commits pane; until the git worker answers
//! it says so.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::ui::theme::Slot;
use crate::ui::view::View;

/// Draws the diff of `sha` in `repository` over `area`, from line `scroll`.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    view: &View<'_>,
    repository: &str,
    sha: &str,
    scroll: usize,
) {
    let short = sha.get(..7).unwrap_or(sha);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(view.style(Slot::BorderFocused))
        .title(Span::styled(
            format!(" {short} · {repository} "),
            view.style(Slot::Title),
        ));
    let body = block.inner(area);
    frame.render_widget(block, area);
    let diff = view
        .state
        .diff()
        .filter(|d| d.sha == sha && d.key == repository);
    let mut lines: Vec<Line<'static>> = match diff {
        None => vec![Line::styled(" loading the diff…", view.style(Slot::Muted))],
        Some(d) => {
            let mut lines: Vec<Line<'static>> = d
                .lines()
                .map(|l| Line::styled(format!(" {l}"), view.style(slot_of(l))))
                .collect();
            if d.truncated {
                lines.push(Line::styled(
                    format!(
                        " … diff cut at its size cap; {} files touched in all",
                        d.files.len()
                    ),
                    view.style(Slot::Warn),
                ));
            }
            lines
        }
    };
    let height = usize::from(body.height);
    view.set_details_size(height, lines.len());
    let top = scroll.min(lines.len().saturating_sub(height));
    lines = lines.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(lines), body);
}

/// The colour of a diff line: additions, removals, hunk and file headers.
fn slot_of(line: &str) -> Slot {
    if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff --git") {
        Slot::Title
    } else if line.starts_with('+') {
        Slot::Ok
    } else if line.starts_with('-') {
        Slot::Error
    } else if line.starts_with("@@") || line.starts_with("commit ") {
        Slot::Key
    } else {
        Slot::Base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_kinds_get_their_colours() {
        assert_eq!(slot_of("+  newTag: v2"), Slot::Ok);
        assert_eq!(slot_of("-  newTag: v1"), Slot::Error);
        assert_eq!(slot_of("+++ b/file"), Slot::Title);
        assert_eq!(slot_of("@@ -1 +1 @@"), Slot::Key);
        assert_eq!(slot_of(" context"), Slot::Base);
    }
}
