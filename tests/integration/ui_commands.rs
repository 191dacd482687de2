//! The `:` command line and the filter, driven through the real keymap: what they change
//! on screen and what they ask the workers.

use crate::support::ui::{Harness, pipeline};
use fluxdeck::state::{Command, PodsWatch};
use ratatui::style::Color;

#[test]
fn switches_are_sent_to_the_workers() {
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    ui.keys(":").type_text("ns flux-system").keys("Enter");
    ui.keys(":").type_text("pods default").keys("Enter");
    ui.keys(":").type_text("ctx prod").keys("Enter");
    ui.keys(":").type_text("ns all").keys("Enter");
    assert_eq!(
        ui.sent(),
        vec![
            Command::SwitchNamespace {
                namespace: Some("flux-system".into())
            },
            Command::SwitchPods {
                watch: PodsWatch::Namespace("default".into())
            },
            Command::SwitchContext {
                context: "prod".into()
            },
            Command::SwitchNamespace { namespace: None },
        ]
    );
    assert!(
        ui.screen()
            .contains("switching Flux panes to all namespaces")
    );
}

#[test]
fn readonly_toggles_and_tells_the_workers() {
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    ui.keys(":").type_text("readonly").keys("Enter");
    assert!(ui.screen().contains("READ-ONLY"));
    ui.keys("G f");
    assert_eq!(ui.sent(), vec![Command::SetReadOnly { read_only: true }]);
    ui.keys(":").type_text("readonly off").keys("Enter G f");
    let sent = ui.sent();
    assert_eq!(sent[0], Command::SetReadOnly { read_only: false });
    assert!(matches!(sent[1], Command::Reconcile { .. }), "{sent:?}");
    assert!(!ui.screen().contains("READ-ONLY"));
}

#[test]
fn theme_switches_colours_and_unknown_themes_are_named() {
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    assert_eq!(ui.style_of(" fluxdeck ").bg, Some(Color::Cyan));
    ui.keys(":").type_text("theme light").keys("Enter");
    assert_eq!(ui.style_of(" fluxdeck ").bg, Some(Color::Blue));
    ui.keys(":").type_text("theme mono").keys("Enter");
    let mono = ui.style_of(" fluxdeck ");
    for colour in [mono.fg, mono.bg] {
        assert!(matches!(colour, None | Some(Color::Reset)), "{mono:?}");
    }
    ui.keys(":").type_text("theme solarized").keys("Enter");
    assert!(ui.screen().contains("there is no theme `solarized`"));
}

#[test]
fn failing_rows_use_the_error_style() {
    let mut ui = Harness::new(160, 48);
    ui.updates(crate::support::ui::pipeline_with(
        "kustomization-sock-shop-failing.json",
        "pods-front-end-crashloop.json",
    ));
    let error = ui.style_of("kustomize build failed");
    assert_eq!(error.fg, Some(Color::LightRed));
    assert_eq!(ui.style_of("CrashLoopBackOff").fg, Some(Color::LightRed));
}

#[test]
fn bad_commands_say_what_was_expected_and_esc_cancels() {
    let mut ui = Harness::new(80, 24);
    ui.keys(":").type_text("frobnicate").keys("Enter");
    assert!(ui.screen().contains("unknown command `:frobnicate`"));
    ui.keys(":").type_text("q").keys("Esc");
    assert!(!ui.app.should_quit());
    ui.keys(":").type_text("q").keys("Enter");
    assert!(ui.app.should_quit());
}

#[test]
fn filter_typing_narrows_and_esc_clears() {
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    ui.keys("/").type_text("infra");
    let screen = ui.screen();
    assert!(screen.contains("Kustomizations (1/4) /infra"), "{screen}");
    ui.keys("Backspace Backspace Backspace Backspace Backspace");
    assert!(ui.screen().contains("Kustomizations (4)"));
    ui.type_text("nothing-here").keys("Enter");
    assert!(ui.screen().contains("nothing matches /nothing-here"));
    ui.keys("Esc");
    assert!(ui.screen().contains("Kustomizations (4)"));
}

#[test]
fn every_pane_is_reachable_and_marks_apply_to_flux_panes_only() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline());
    ui.keys("Shift-Tab Space");
    assert!(ui.screen().contains("Pods · sock-shop (14)"));
    assert!(ui.screen().contains("marking applies to Flux objects"));
    ui.keys("Tab Space s");
    assert!(
        ui.screen()
            .contains("Suspend Kustomization flux-system/apps?")
    );
}
