//! The README's picture, `docs/screenshot.svg`, is the real app drawn at 120x35 on the
//! demo's sock-shop pipeline (the fixtures, the config repository's log and a registry scan
//! with a newer build) at a fixed clock; this test draws it again and fails when the
//! committed file differs. After a change to the screen, update it with
//!
//! ```sh
//! FLUXDECK_UPDATE_SCREENSHOT=1 cargo test --locked --test integration readme_screenshot
//! ```

use crate::support::scene::{commit_log, registry_scan};
use crate::support::svg;
use crate::support::ui::{Harness, pipeline};
use fluxdeck::state::Update;

const PATH: &str = "docs/screenshot.svg";

/// The picture: every pane on screen, the sock-shop Kustomization selected so the pods
/// pane follows its workloads.
fn screenshot() -> (String, String) {
    let mut ui = Harness::new(120, 35);
    ui.updates(pipeline());
    ui.updates([Update::Commits(commit_log()), registry_scan()]);
    ui.keys("G");
    let text = ui.screen();
    (svg::render(ui.terminal.backend().buffer()), text)
}

#[test]
fn the_readme_screenshot_is_the_current_app() {
    let (picture, text) = screenshot();
    // It shows what the README promises: the panes, filled.
    for shown in [
        "Kustomizations",
        "sock-shop-tenant",
        "main-1f49071-24",
        "main-5d6e7f8-25",
        "front-en",
    ] {
        assert!(text.contains(shown), "{shown} not on screen:\n{text}");
    }
    assert!(picture.len() < 300_000, "{} bytes", picture.len());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
    if std::env::var_os("FLUXDECK_UPDATE_SCREENSHOT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &picture).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == picture,
        "{PATH} is not the app as it draws now (the screen changed); look at the new screen \
         below, then update the picture with\n  FLUXDECK_UPDATE_SCREENSHOT=1 cargo test --locked \
         --test integration readme_screenshot\n{text}"
    );
}

#[test]
fn the_readme_shows_the_picture_right_after_the_set_up_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let commands = readme.find("cargo run --release -- demo").unwrap();
    let first_fence_end = readme[commands..].find("```").unwrap() + commands;
    let picture = readme
        .find(&format!("]({PATH})"))
        .expect("README shows docs/screenshot.svg");
    // The set-up commands open the README; the picture follows them before any section.
    assert!(commands < readme.find("## ").unwrap());
    assert!(
        picture > first_fence_end,
        "the picture comes after the commands"
    );
    assert!(
        picture < readme.find("## ").unwrap(),
        "and before the first section"
    );
}

#[test]
fn runs_of_one_style_share_a_tspan_and_text_is_escaped() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style};

    let mut buffer = Buffer::empty(Rect::new(0, 0, 12, 2));
    buffer.set_string(0, 0, "a<b & \"c\"", Style::default().fg(Color::Cyan));
    buffer.set_string(
        9,
        0,
        "OK",
        Style::default()
            .fg(Color::Black)
            .bg(Color::Rgb(0x1f, 0x23, 0x35))
            .add_modifier(Modifier::BOLD),
    );
    buffer.set_string(0, 1, "x", Style::default().fg(Color::Indexed(196)));
    let out = svg::render(&buffer);
    assert!(
        out.contains(r##"<tspan x="0.0" textLength="75.6" lengthAdjust="spacingAndGlyphs" fill="#11a8cd">a&lt;b &amp; &quot;c&quot;</tspan>"##),
        "{out}"
    );
    assert!(
        out.contains(r##"fill="#000000" font-weight="bold">OK</tspan>"##),
        "{out}"
    );
    assert!(
        out.contains(r##"<rect x="75.6" y="0" width="16.8" height="17" fill="#1f2335"/>"##),
        "{out}"
    );
    assert!(out.contains(r##"fill="#ff0000">x</tspan>"##), "{out}");
    assert_eq!(out.matches("<tspan").count(), 3, "{out}");
    assert_eq!(svg::escape("'\u{7}'"), "&apos; &apos;");
}
