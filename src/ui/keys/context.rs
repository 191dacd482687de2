//! What every key handler reads ([`Context`]) and what it asks of the app beyond the
//! `UiState` change ([`Effect`]).

use jiff::Timestamp;

use crate::state::{Command, State};
use crate::ui::keymap::Keymap;
use crate::ui::theme::{Theme, Themes};

/// What the app must do after a key, beyond the `UiState` change.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this to the workers.
    Send(Command),
    /// Switch to this theme.
    SetTheme(Theme),
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
}

/// What input handling reads.
pub struct Context<'a> {
    /// The state.
    pub state: &'a State,
    /// The keymap.
    pub keymap: &'a Keymap,
    /// The themes, for `:theme`.
    pub themes: &'a Themes,
    /// The clock, for message times.
    pub now: Timestamp,
}
