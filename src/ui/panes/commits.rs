//! The commits pane: the config repository's branch log (short sha, age, author, subject),
//! automation commits highlighted with the image change they made, and whether each commit
//! is in what the Kustomizations applied. The title names the branch and how far the
//! cluster is behind it; `Enter` opens the commit's diff.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

use crate::model::commit::{Commit, CommitMark};
use crate::state::CommitLog;
use crate::ui::rows::commit_rows;
use crate::ui::theme::Slot;
use crate::ui::ui_state::PaneId;
use crate::ui::view::View;
use crate::ui::widgets::list::{self, Column, ListRow, ListSpec, styled};

const COLUMNS: &[Column] = &[
    ("SHA", Constraint::Length(7)),
    ("AGE", Constraint::Length(5)),
    ("CLUSTER", Constraint::Length(7)),
    ("AUTHOR", Constraint::Length(10)),
    ("SUBJECT / IMAGE CHANGE", Constraint::Fill(1)),
];

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, view: &View<'_>) {
    let Some(log) = view.state.commits_for(view.ui.commits_repo.as_deref()) else {
        waiting(frame, area, view);
        return;
    };
    let rows = commit_rows(view.state, view.ui.commits_repo.as_deref());
    let empty = match (&log.error, &log.note) {
        (Some(error), _) => Line::styled(format!("git: {error}"), view.style(Slot::Error)),
        (None, Some(note)) => Line::styled(note.clone(), view.style(Slot::Muted)),
        (None, None) => Line::styled(
            format!("no commits on {} yet", log.branch),
            view.style(Slot::Muted),
        ),
    };
    let mut title = vec![subtitle(log)];
    let tracked = view.state.commit_logs().all();
    if tracked.len() > 1 {
        // `--repo` arguments first, as `:repo` cycles.
        let at = view
            .state
            .commit_logs()
            .ordered()
            .position(|l| l.key == log.key)
            .map_or(0, |i| i + 1);
        title.insert(0, log.key.clone());
        title.push(format!("repo {at}/{} :repo", tracked.len()));
    }
    title.retain(|part| !part.is_empty());
    let spec = ListSpec {
        pane: PaneId::Commits,
        subtitle: Some(title.join(" · ")).filter(|t| !t.is_empty()),
        columns: COLUMNS,
        syncing: false,
        loading: false,
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
            let index = log.commits.iter().position(|c| &c.sha == sha)?;
            let commit = log.commits.get(index)?;
            let author_slot = if commit.automation {
                Slot::Key
            } else {
                Slot::Base
            };
            Some(ListRow {
                cells: vec![
                    styled(view, commit.short_sha(), Slot::Key),
                    styled(view, view.age(commit.time), Slot::Muted),
                    marks(view, log, index),
                    styled(view, commit.author.clone(), author_slot),
                    subject(view, commit),
                ],
                style: ratatui::style::Style::default(),
                busy: false,
            })
        },
    );
}

/// The title after the pane's name: branch, how far behind, which Kustomizations the
/// CLUSTER column speaks for, and a failed fetch.
pub fn subtitle(log: &CommitLog) -> String {
    // A repository that never fetched has no branch yet: no empty part (`x ·  · y`).
    let mut parts: Vec<String> = Some(log.branch.clone())
        .filter(|b| !b.is_empty())
        .into_iter()
        .collect();
    if let Some(behind) = log.behind() {
        parts.push(behind.describe());
    }
    if log.applied.len() > 1 {
        let names: Vec<&str> = log
            .applied
            .iter()
            .map(|c| {
                c.kustomization
                    .rsplit('/')
                    .next()
                    .unwrap_or(&c.kustomization)
            })
            .collect();
        parts.push(format!("cluster: {}", names.join(" ")));
    }
    if log.error.is_some() {
        parts.push("fetch failed".to_owned());
    }
    parts.join(" · ")
}

/// The CLUSTER cell: `applied` / `pending` for one Kustomization, one symbol per
/// Kustomization when several apply the repository (`✓` applied, `○` pending, `?` unknown).
fn marks(view: &View<'_>, log: &CommitLog, index: usize) -> Cell<'static> {
    let marks: Vec<Option<CommitMark>> = (0..log.applied.len())
        .map(|column| log.mark(column, index))
        .collect();
    match marks.as_slice() {
        [] => styled(view, "-", Slot::Muted),
        [one] => match one {
            Some(CommitMark::Applied) => styled(view, "applied", Slot::Ok),
            Some(CommitMark::Pending) => styled(view, "pending", Slot::Warn),
            Some(CommitMark::Unknown) | None => styled(view, "?", Slot::Muted),
        },
        several => {
            let spans: Vec<Span<'static>> = several
                .iter()
                .map(|m| match m {
                    Some(CommitMark::Applied) => Span::styled("✓", view.style(Slot::Ok)),
                    Some(CommitMark::Pending) => Span::styled("○", view.style(Slot::Warn)),
                    Some(CommitMark::Unknown) | None => Span::styled("?", view.style(Slot::Muted)),
                })
                .collect();
            Cell::from(Line::from(spans))
        }
    }
}

/// The subject, or for an automation commit its image change first.
fn subject(view: &View<'_>, commit: &Commit) -> Cell<'static> {
    if !commit.automation || commit.changes.is_empty() {
        return Cell::from(commit.subject.clone());
    }
    let change = commit
        .changes
        .iter()
        .map(|c| c.summary())
        .collect::<Vec<_>>()
        .join(", ");
    let mut spans = vec![Span::styled(format!("⚙ {change}"), view.style(Slot::Key))];
    // The reference template's subject is often just the new tag, said already.
    if commit.changes.iter().all(|c| c.new != commit.subject) {
        spans.push(Span::styled(
            format!("  {}", commit.subject),
            view.style(Slot::Muted),
        ));
    }
    Cell::from(Line::from(spans))
}

/// The pane before the git worker reported anything.
fn waiting(frame: &mut Frame, area: Rect, view: &View<'_>) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_names_the_branch_and_a_failed_fetch_without_empty_parts() {
        let mut log = CommitLog {
            branch: "main".into(),
            error: Some("cannot fetch".into()),
            ..CommitLog::default()
        };
        assert_eq!(subtitle(&log), "main · fetch failed");
        log.branch.clear();
        assert_eq!(subtitle(&log), "fetch failed");
        log.error = None;
        assert_eq!(subtitle(&log), "");
    }
}
