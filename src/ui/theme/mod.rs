//! Themes: named styles read from TOML files. The built-in themes (`themes/*.toml`) are
//! compiled in so the binary is self-contained; users add or override themes as
//! `$XDG_CONFIG_HOME/fluxdeck/themes/NAME.toml`. `NO_COLOR` selects `mono` unless a theme
//! is asked for by name.
//!
//! A theme file:
//!
//! ```toml
//! name = "mine"
//! [styles]
//! base = { fg = "white" }
//! selected = { fg = "black", bg = "#7aa2f7", bold = true }
//! error = { fg = "red", bold = true }
//! ```
//!
//! Colours are ANSI names (`red`, `lightblue`, `darkgray`...), `#rrggbb`, an index `0`..`255`,
//! or `reset`. Modifiers: `bold`, `dim`, `italic`, `underlined`, `reversed`, `crossed_out`.
//! A user theme may omit styles; they come from the default theme.

mod catalog;
mod palette;
mod slot;

pub use catalog::{Themes, initial_theme_name};
pub use palette::{Theme, ThemeError};
pub use slot::Slot;
