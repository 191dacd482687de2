//! The commits pane: the config repository's log, automation commits marked. Filled by the
//! git worker; until it runs, the pane says where commits will come from.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::ui::input::commit_rows;
use crate::ui::render::View;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::widgets::list::{self, Column, ListRow, ListSpec, styled};

const COLUMNS: &[Column] = &[
    ("SHA", Constraint::Length(7)),
    ("AGE", Constraint::Length(6)),
    ("AUTO", Constraint::Length(4)),
    ("AUTHOR", Constraint::Length(14)),
    ("SUBJECT", Constraint::Fill(1)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let Some(log) = view.state.commits() else {
        let block = list::block(
            view,
            PaneId::Commits,
            format!(" {} ", PaneId::Commits.title()),
        );
        let inner = block.inner(area);
        frame.render_widget(block, area);
        view.set_height(PaneId::Commits, usize::from(inner.height.saturating_sub(1)));
        let text = vec![
            Line::styled(
                "Commits of the config repository appear here once the git worker runs.",
                view.style(Slot::Muted),
            ),
            Line::styled(
                "It follows the GitRepository that the ImageUpdateAutomation pushes to.",
                view.style(Slot::Muted),
            ),
        ];
        let padded =
            ratatui::widgets::Block::default().padding(ratatui::widgets::Padding::horizontal(1));
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(padded),
            inner,
        );
        return;
    };
    let rows = commit_rows(view.state);
    let empty = match &log.error {
        Some(error) => Line::styled(format!("git: {error}"), view.style(Slot::Error)),
        None => Line::styled(
            format!("no commits on {} yet", log.branch),
            view.style(Slot::Muted),
        ),
    };
    let spec = ListSpec {
        pane: PaneId::Commits,
        subtitle: Some(log.branch.clone()),
        columns: COLUMNS,
        syncing: false,
        empty,
    };
    list::draw(
        frame,
        area,
        view,
        spec,
        &rows,
        &view.ui.commits,
        |sha: &String| {
            let commit = log.commits.iter().find(|c| &c.sha == sha)?;
            let (auto, author_slot) = if commit.automation {
                ("yes", Slot::Muted)
            } else {
                ("", Slot::Base)
            };
            Some(ListRow {
                cells: vec![
                    styled(view, commit.short_sha(), Slot::Key),
                    styled(view, view.age(commit.time), Slot::Muted),
                    styled(view, auto, Slot::Muted),
                    styled(view, commit.author.clone(), author_slot),
                    commit.subject.clone().into(),
                ],
                style: ratatui::style::Style::default(),
                busy: false,
            })
        },
    );
}
