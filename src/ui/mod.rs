//! The ratatui app: event loop, keymap, themes and one render function per pane.
//!
//! Keys become [`keymap::Intent`]s; an intent changes [`ui_state::UiState`] or yields a
//! [`crate::state::Command`] ([`input`]). Rendering ([`render`]) is a pure function of
//! `&State`, `&UiState` and the theme, gathered in a [`view::View`] that panes and widgets
//! read. [`app::App`] ties them to a terminal and to the workers' channels.

pub mod actions;
pub mod app;
pub mod clipboard;
pub mod clock;
pub mod command_line;
mod commit_keys;
pub mod format;
pub mod input;
pub mod intent;
pub mod key_chord;
pub mod keymap;
pub mod list_view;
pub mod log_keys;
pub mod log_view;
pub mod notify;
pub mod panes;
pub mod record;
mod release_keys;
pub mod render;
pub mod rows;
pub mod theme;
pub mod toml_lines;
pub mod ui_state;
pub mod view;
pub mod widgets;
