//! The places in the UI that have a style.

/// A place in the UI that has a style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    /// Ordinary text and the background.
    Base,
    /// The header line.
    Header,
    /// A header alert (retrying, not connected).
    HeaderAlert,
    /// The read-only badge.
    ReadOnly,
    /// Pane borders.
    Border,
    /// The focused pane's border.
    BorderFocused,
    /// Pane titles.
    Title,
    /// Column headers.
    ColumnHeader,
    /// The selected row of the focused pane.
    Selected,
    /// Rows marked for an action.
    Marked,
    /// Healthy (Ready=True, Running).
    Ok,
    /// In progress or suspended.
    Warn,
    /// Failed or stalled.
    Error,
    /// Secondary text (ages, hints, suspended rows).
    Muted,
    /// Key names in hints and help.
    Key,
    /// Actions that are unavailable (read-only, forbidden).
    Unavailable,
    /// Dialogs and overlays.
    Dialog,
    /// The command and filter input.
    Input,
    /// The active tab.
    TabActive,
}

impl Slot {
    /// Every slot.
    pub const ALL: [Slot; 19] = [
        Slot::Base,
        Slot::Header,
        Slot::HeaderAlert,
        Slot::ReadOnly,
        Slot::Border,
        Slot::BorderFocused,
        Slot::Title,
        Slot::ColumnHeader,
        Slot::Selected,
        Slot::Marked,
        Slot::Ok,
        Slot::Warn,
        Slot::Error,
        Slot::Muted,
        Slot::Key,
        Slot::Unavailable,
        Slot::Dialog,
        Slot::Input,
        Slot::TabActive,
    ];

    /// The name in theme files.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Base => "base",
            Slot::Header => "header",
            Slot::HeaderAlert => "header_alert",
            Slot::ReadOnly => "read_only",
            Slot::Border => "border",
            Slot::BorderFocused => "border_focused",
            Slot::Title => "title",
            Slot::ColumnHeader => "column_header",
            Slot::Selected => "selected",
            Slot::Marked => "marked",
            Slot::Ok => "ok",
            Slot::Warn => "warn",
            Slot::Error => "error",
            Slot::Muted => "muted",
            Slot::Key => "key",
            Slot::Unavailable => "unavailable",
            Slot::Dialog => "dialog",
            Slot::Input => "input",
            Slot::TabActive => "tab_active",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }
}
