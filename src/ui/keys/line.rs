//! The command line (`:`): raw characters, before any keymap lookup; `Enter` runs the line
//! ([`crate::ui::command_line`] parses it).

use crossterm::event::KeyCode;

use crate::state::Command;
use crate::ui::command_line::{self, LineCommand};
use crate::ui::key_chord::KeyChord;
use crate::ui::ui_state::{Level, Mode, UiState};

use super::commits;
use super::context::{Context, Effect};
use super::releases;

/// Handles a key while a `:` command is typed: characters edit it, `Enter` runs it, `Esc`
/// (or `Backspace` on an empty line) drops it.
pub(super) fn key(
    ui: &mut UiState,
    cx: &Context<'_>,
    chord: KeyChord,
    mut line: String,
) -> Vec<Effect> {
    match chord.code {
        KeyCode::Esc => ui.mode = Mode::Normal,
        KeyCode::Backspace => {
            if line.pop().is_none() {
                ui.mode = Mode::Normal;
            } else {
                ui.mode = Mode::Command(line);
            }
        }
        KeyCode::Enter => {
            ui.mode = Mode::Normal;
            return run_line(ui, cx, &line);
        }
        KeyCode::Char(c) if chord.modifiers.is_empty() => {
            line.push(c);
            ui.mode = Mode::Command(line);
        }
        _ => {}
    }
    Vec::new()
}

/// Runs a typed `:` command.
fn run_line(ui: &mut UiState, cx: &Context<'_>, line: &str) -> Vec<Effect> {
    let command = match command_line::parse(line) {
        Ok(command) => command,
        Err(message) => {
            ui.say(Level::Error, message, cx.now);
            return Vec::new();
        }
    };
    match command {
        LineCommand::Quit => {
            ui.quit = true;
            Vec::new()
        }
        LineCommand::Namespace(namespace) => {
            let shown = namespace.as_deref().unwrap_or("all namespaces").to_owned();
            ui.say(
                Level::Info,
                format!("switching Flux panes to {shown}"),
                cx.now,
            );
            vec![Effect::Send(Command::SwitchNamespace { namespace })]
        }
        LineCommand::Context(context) => {
            ui.say(
                Level::Info,
                format!("switching to context {context}"),
                cx.now,
            );
            vec![Effect::Send(Command::SwitchContext { context })]
        }
        LineCommand::Pods(watch) => {
            let text = match &watch {
                crate::state::PodsWatch::Namespace(ns) => {
                    format!("switching pods to namespace {ns}")
                }
                crate::state::PodsWatch::All => "switching pods to all namespaces".to_owned(),
                crate::state::PodsWatch::Workloads => {
                    "switching pods to the namespaces of the Kustomizations' workloads".to_owned()
                }
            };
            ui.say(Level::Info, text, cx.now);
            vec![Effect::Send(Command::SwitchPods { watch })]
        }
        LineCommand::Theme(name) => match cx.themes.get(&name) {
            Ok(theme) => {
                ui.theme = name.clone();
                ui.say(Level::Info, format!("theme {name}"), cx.now);
                vec![Effect::SetTheme(theme)]
            }
            Err(e) => {
                ui.say(Level::Error, e.to_string(), cx.now);
                Vec::new()
            }
        },
        LineCommand::Repo(key) => commits::choose_repo(ui, cx, key.as_deref()),
        LineCommand::Releases(app) => {
            releases::show(ui, cx, app.as_deref());
            Vec::new()
        }
        LineCommand::Build(kind) => {
            if ui.read_only {
                ui.say(
                    Level::Error,
                    "read-only: :build refused (:readonly off to allow it)",
                    cx.now,
                );
                return Vec::new();
            }
            ui.say(
                Level::Info,
                format!("asking the sandbox's CI for a build ({kind})…"),
                cx.now,
            );
            vec![Effect::Send(Command::SandboxBuild { kind })]
        }
        LineCommand::ReadOnly(set) => {
            ui.read_only = set.unwrap_or(!ui.read_only);
            let text = if ui.read_only {
                "read-only: actions are refused (:readonly to allow them)"
            } else {
                "read-write: actions are allowed"
            };
            ui.say(Level::Info, text, cx.now);
            vec![Effect::Send(Command::SetReadOnly {
                read_only: ui.read_only,
            })]
        }
    }
}
