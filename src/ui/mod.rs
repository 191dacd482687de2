//! The ratatui app: event loop, keymap, themes and one render function per pane.
//!
//! Keys become [`keymap::Intent`]s; an intent changes [`ui_state::UiState`] or yields a
//! [`crate::state::Command`] ([`keys`]: one mode, one lookup, one handler per mode). Rendering ([`render`]) is a pure function of
//! `&State`, `&UiState` and the theme, gathered in a [`view::View`] that panes and widgets
//! read. [`app::App`] ties them to a terminal and to the workers' channels.

pub mod app;
pub mod clipboard;
pub mod clock;
pub mod command_line;
pub mod format;
pub mod intent;
pub mod key_chord;
pub mod keymap;
pub mod keys;
pub mod list_view;
pub mod log_view;
pub mod notify;
pub mod panes;
pub mod record;
pub mod render;
pub mod rows;
pub mod theme;
pub mod toml_lines;
pub mod ui_state;
pub mod view;
pub mod widgets;
