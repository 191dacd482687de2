//! The table every list pane draws: a titled border, column headers, only the visible
//! window of rows, the selection, marks, and a line saying why the pane is empty.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Cell, Padding, Paragraph, Row, Table, Wrap};

use crate::ui::list_view::ListView;
use crate::ui::rows::Rows;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;

/// A column: header and width.
pub type Column = (&'static str, Constraint);

/// What a pane tells the list about itself.
pub struct ListSpec<'s> {
    /// Which pane.
    pub pane: PaneId,
    /// Text after the title (e.g. the pods namespace).
    pub subtitle: Option<String>,
    /// The columns (a narrow mark column is added in front).
    pub columns: &'s [Column],
    /// A relist is in progress.
    pub syncing: bool,
    /// A first list is in progress, its rows shown as they come (a subset of `syncing`).
    pub loading: bool,
    /// Why there are no rows, when there are none.
    pub empty: Line<'static>,
}

/// One row: its cells and its base style.
pub struct ListRow {
    /// The cells, one per column.
    pub cells: Vec<Cell<'static>>,
    /// Style for the whole row (suspended rows are muted).
    pub style: Style,
    /// An action runs on it.
    pub busy: bool,
}

/// The pane's border block, its title saying how many rows show and why.
pub fn block(view: &View<'_>, pane: PaneId, title: String) -> Block<'static> {
    let focused = view.ui.focus == pane;
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(view.style(if focused {
            Slot::BorderFocused
        } else {
            Slot::Border
        }))
        .title(Span::styled(title, view.style(Slot::Title)))
}

/// Draws the list: only rows in the visible window are built.
pub fn draw<K: Ord + Clone, R: Rows<Key = K>>(
    frame: &mut Frame,
    area: Rect,
    view: &View<'_>,
    spec: ListSpec<'_>,
    rows: &R,
    list: &ListView<K>,
    mut build: impl FnMut(&K) -> Option<ListRow>,
) {
    let total = rows.len();
    let shown = list.len(rows);
    let mut title = format!(" {}", spec.pane.title());
    if let Some(sub) = &spec.subtitle {
        title.push_str(&format!(" · {sub}"));
    }
    // While a first list comes in, the count is what has come so far.
    let so_far = if spec.loading { " so far" } else { "" };
    if list.filter().is_empty() {
        title.push_str(&format!(" ({total}{so_far}) "));
    } else {
        title.push_str(&format!(" ({shown}/{total}{so_far}) /{} ", list.filter()));
    }
    if spec.loading {
        title.push_str("loading… ");
    } else if spec.syncing {
        title.push_str("syncing… ");
    }
    let block = block(view, spec.pane, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let height = usize::from(inner.height.saturating_sub(1));
    view.set_height(spec.pane, height);
    if shown == 0 {
        let message = if total > 0 {
            Line::styled(
                format!("nothing matches /{}", list.filter()),
                view.style(Slot::Muted),
            )
        } else {
            spec.empty
        };
        let padded = Block::default().padding(Padding::horizontal(1));
        frame.render_widget(
            Paragraph::new(message)
                .wrap(Wrap { trim: true })
                .block(padded),
            inner,
        );
        return;
    }

    let window = visible(list.index(), list.offset(), shown, height);
    let focused = view.ui.focus == spec.pane;
    let mut table_rows = Vec::with_capacity(window.len());
    for i in window {
        let Some(key) = list.key_at(rows, i) else {
            continue;
        };
        let Some(row) = build(key) else {
            continue;
        };
        let selected = focused && i == list.index();
        // The marker column shows state without colour too (mono theme, NO_COLOR).
        let mark = if list.is_marked(key) {
            Span::styled("●", view.style(Slot::Marked))
        } else if row.busy {
            Span::styled("◎", view.style(Slot::Warn))
        } else if selected {
            Span::raw("›")
        } else {
            Span::raw(" ")
        };
        let mut cells = Vec::with_capacity(row.cells.len() + 1);
        cells.push(Cell::from(mark));
        cells.extend(row.cells);
        let style = if selected {
            view.style(Slot::Selected)
        } else if list.is_marked(key) {
            row.style.patch(view.style(Slot::Marked))
        } else {
            row.style
        };
        table_rows.push(Row::new(cells).style(style));
    }
    let mut widths = vec![Constraint::Length(1)];
    widths.extend(spec.columns.iter().map(|(_, w)| *w));
    let header = Row::new(
        std::iter::once("")
            .chain(spec.columns.iter().map(|(h, _)| *h))
            .map(Cell::from),
    )
    .style(view.style(Slot::ColumnHeader));
    let table = Table::new(table_rows, widths)
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, inner);
}

/// The rows to show so the selection is visible: the stored offset, moved just enough.
/// (The stored offset was computed for the last frame's height, which a resize changes.)
pub fn visible(index: usize, offset: usize, len: usize, height: usize) -> Range<usize> {
    let height = height.max(1);
    let mut start = offset;
    if index < start {
        start = index;
    } else if index >= start + height {
        start = index + 1 - height;
    }
    let start = start.min(len.saturating_sub(height));
    start..(start + height).min(len)
}

/// A cell with a slot's style.
pub fn styled(view: &View<'_>, text: impl Into<String>, slot: Slot) -> Cell<'static> {
    Cell::from(Span::styled(text.into(), view.style(slot)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_stays_visible_after_a_resize() {
        assert_eq!(visible(0, 0, 10, 3), 0..3);
        assert_eq!(visible(9, 0, 10, 3), 7..10);
        assert_eq!(visible(5, 8, 10, 3), 5..8);
        assert_eq!(visible(2, 5, 4, 10), 0..4);
        assert_eq!(visible(0, 0, 0, 0), 0..0);
    }
}
