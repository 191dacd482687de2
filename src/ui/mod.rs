//! The ratatui app: event loop, keymap, themes and one render function per pane.
