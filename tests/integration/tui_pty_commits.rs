//! The real binary in a pseudo-terminal on a sandbox whose GitRepository points at a local
//! config repository holding two automation commits (issue 5): the commits pane highlights
//! them with their image change, marks the applied one and the pending one, says how far
//! the cluster is behind, and `Enter` opens a commit's diff.

use std::path::Path;

use crate::support::git::{TestRepo, tenant_objects};
use crate::support::pty::{LARGE, Tui, WAIT, keys};
use crate::support::sandbox::Spec;
use serde_json::Value;

const NS: &str = "sock-shop";

/// The automation's configured author.
/// A GitRepository at the local path `url`, a Kustomization of it that applied `applied`,
/// and an ImageUpdateAutomation committing to it as `release-bot`.
fn objects(url: &Path, applied: &str) -> Vec<Value> {
    tenant_objects(NS, &url.display().to_string(), applied)
}

/// The 0-based screen row whose text holds `needle`.
fn row_of(screen: &str, needle: &str) -> u16 {
    let index = screen
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?}:\n{screen}"));
    u16::try_from(index).unwrap()
}

/// The style of the first word of row `row` that starts with `prefix`.
fn style_of(tui: &Tui, row: u16, prefix: &str) -> String {
    let cells = tui.row_cells(row);
    cells
        .iter()
        .find(|(word, _)| word.starts_with(prefix))
        .map(|(_, style)| style.clone())
        .unwrap_or_else(|| panic!("no word {prefix:?} on row {row}: {cells:?}"))
}

#[test]
fn automation_commits_are_highlighted_marked_and_open_their_diff() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::new(dir.path(), "config.git");
    let human = repo.head();
    let first = repo.release("main-aaa1111-1");
    let second = repo.release("main-bbb2222-2");
    let sb = Spec::objects(objects(&repo.path, &first)).start_blocking();
    let kc = sb.kubeconfig_args();
    let args: Vec<&str> = kc.iter().map(String::as_str).collect();
    let mut tui = Tui::spawn(&args, LARGE);
    tui.wait_line("apps", "git/tenant", WAIT).unwrap();

    tui.send_keys(&keys::TAB.repeat(3));
    // Padded, so the Kustomization's revision (`main@sha1:<sha>`) does not match.
    let short = |sha: &str| format!(" {} ", &sha[..7]);
    let (h, f, s) = (&short(&human), &short(&first), &short(&second));
    // The marks need the Kustomization and the author the automation: both arrive with
    // the watches, so wait for the whole pane rather than its first log.
    let screen = tui
        .wait_for(
            "both automation commits with changes and marks",
            WAIT,
            |sc| {
                let line = |sha: &String| {
                    sc.lines()
                        .find(|l| l.contains(sha.as_str()))
                        .unwrap_or_default()
                };
                line(s).contains("main-aaa1111-1 → main-bbb2222-2")
                    && line(s).contains("pending")
                    && line(f).contains("latest → main-aaa1111-1")
                    && line(f).contains("applied")
                    && line(h).contains("applied")
                    && sc.contains("behind by 1")
                    // Focused, the pane selects its first row: the newest commit.
                    && line(s).contains('›')
            },
        )
        .unwrap();
    let title = screen
        .lines()
        .find(|l| l.contains("Commits"))
        .unwrap_or_default();
    assert!(title.contains("main · behind by 1"), "{screen}");

    // The automation's rows are drawn apart from the human commit's (neither selected).
    let (bot_row, human_row) = (row_of(&screen, f), row_of(&screen, h));
    assert_ne!(
        style_of(&tui, bot_row, "release-b"),
        style_of(&tui, human_row, "Maria"),
        "author cells"
    );
    assert_ne!(
        style_of(&tui, bot_row, "⚙"),
        style_of(&tui, human_row, "Add"),
        "subject cells"
    );

    tui.send_keys(keys::ENTER);
    let diff = tui.wait_text("+  newTag: main-bbb2222-2", WAIT).unwrap();
    assert!(diff.contains(&format!("{}· ", s.trim_start())), "{diff}");
    assert!(diff.contains("-  newTag: main-aaa1111-1"), "{diff}");
    tui.send_keys(keys::ESC);
    tui.wait_for("the commits pane again", WAIT, |sc| {
        !sc.contains("newTag:") && sc.contains("behind by 1")
    })
    .unwrap();
    tui.quit_and_wait().unwrap();
}
