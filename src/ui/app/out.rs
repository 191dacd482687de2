//! What the app writes to the terminal between frames, beside them: OSC 52 clipboard
//! sequences (`c`) and `--notify`'s bell and OSC 9 notifications.

use std::io::Write;

use crate::ui::clipboard;
use crate::ui::notify::{self, Notifier};

/// Where `c` sends its OSC 52 sequences, and those not written yet.
pub(super) struct Clipboard {
    pub(super) out: Box<dyn Write + Send>,
    pub(super) tmux: bool,
    pub(super) pending: Vec<String>,
}

/// `--notify`: what to announce, and where the sequences go.
pub(super) struct Notifications {
    pub(super) notifier: Notifier,
    pub(super) out: Box<dyn Write + Send>,
    pub(super) tmux: bool,
    pub(super) pending: Vec<String>,
}

impl Clipboard {
    /// Writes what `c` copied (the sequence moves no cursor).
    pub(super) fn write(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        for text in self.pending.drain(..) {
            // `keys` refuses longer values, so every one has a sequence.
            let Some(sequence) = clipboard::osc52(&text, self.tmux) else {
                continue;
            };
            if let Err(e) = self.out.write_all(sequence.as_bytes()) {
                tracing::warn!("cannot write to the clipboard through the terminal: {e}");
            }
        }
        if let Err(e) = self.out.flush() {
            tracing::warn!("cannot write to the clipboard through the terminal: {e}");
        }
    }
}

impl Notifications {
    /// Writes the pending notifications.
    pub(super) fn write(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        for text in self.pending.drain(..) {
            let sequence = notify::sequence(&format!("fluxdeck: {text}"), self.tmux);
            if let Err(e) = self.out.write_all(sequence.as_bytes()) {
                tracing::warn!("cannot write a notification to the terminal: {e}");
            }
        }
        if let Err(e) = self.out.flush() {
            tracing::warn!("cannot write a notification to the terminal: {e}");
        }
    }
}
