//! Intents: what a key means (quit, suspend, filter...), independent of which key it is.
//! Users rebind keys to these names in `keys.toml`.

/// What a key means, independent of which key it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Intent {
    /// Leave fluxdeck.
    Quit,
    /// Show or hide the key help.
    Help,
    /// Focus the next pane (or the next details tab).
    FocusNext,
    /// Focus the previous pane (or the previous details tab).
    FocusPrev,
    /// Select the next row.
    Down,
    /// Select the previous row.
    Up,
    /// Select the first row.
    Top,
    /// Select the last row.
    Bottom,
    /// Scroll one page down.
    PageDown,
    /// Scroll one page up.
    PageUp,
    /// Filter the focused pane.
    Filter,
    /// Go back: close a view, clear the filter.
    Back,
    /// Open the details of the selected row.
    Details,
    /// Open the log of the selected pod (or of a pod of the selected Kustomization); on the
    /// release lanes, the next stage.
    Logs,
    /// Mark or unmark the selected row for an action on several rows.
    Select,
    /// Suspend the marked or selected objects.
    Suspend,
    /// Resume the marked or selected objects.
    Resume,
    /// Force a reconciliation of the marked or selected objects.
    Reconcile,
    /// Reconcile the source first, then the Kustomization.
    ReconcileWithSource,
    /// Type a `:` command.
    Command,
    /// Answer yes in a confirmation.
    Confirm,
    /// Answer no in a confirmation.
    Cancel,
    /// Fetch the config repositories (commits pane) or rescan the registries (image pane)
    /// now.
    Refresh,
    /// Show or hide the release lanes (in place of the image automation pane).
    Releases,
    /// The previous stage of the selected release lane.
    Left,
    /// The next stage of the selected release lane (past the last: its earlier releases).
    Right,
    /// Copy the selected row's name, image reference or commit SHA to the clipboard (OSC 52).
    Copy,
}

impl Intent {
    /// Every intent, in the order help lists them.
    pub const ALL: [Intent; 27] = [
        Intent::FocusNext,
        Intent::FocusPrev,
        Intent::Down,
        Intent::Up,
        Intent::Top,
        Intent::Bottom,
        Intent::PageDown,
        Intent::PageUp,
        Intent::Releases,
        Intent::Filter,
        Intent::Back,
        Intent::Details,
        Intent::Logs,
        Intent::Select,
        Intent::Suspend,
        Intent::Resume,
        Intent::Reconcile,
        Intent::ReconcileWithSource,
        Intent::Refresh,
        Intent::Copy,
        Intent::Left,
        Intent::Right,
        Intent::Command,
        Intent::Help,
        Intent::Confirm,
        Intent::Cancel,
        Intent::Quit,
    ];

    /// The name used in `keys.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Intent::Quit => "quit",
            Intent::Help => "help",
            Intent::FocusNext => "focus_next",
            Intent::FocusPrev => "focus_prev",
            Intent::Down => "down",
            Intent::Up => "up",
            Intent::Top => "top",
            Intent::Bottom => "bottom",
            Intent::PageDown => "page_down",
            Intent::PageUp => "page_up",
            Intent::Filter => "filter",
            Intent::Back => "back",
            Intent::Details => "details",
            Intent::Logs => "logs",
            Intent::Select => "select",
            Intent::Suspend => "suspend",
            Intent::Resume => "resume",
            Intent::Reconcile => "reconcile",
            Intent::ReconcileWithSource => "reconcile_with_source",
            Intent::Command => "command",
            Intent::Confirm => "confirm",
            Intent::Cancel => "cancel",
            Intent::Refresh => "refresh",
            Intent::Releases => "releases",
            Intent::Left => "left",
            Intent::Right => "right",
            Intent::Copy => "copy",
        }
    }

    /// What it does, for the help view.
    pub fn description(self) -> &'static str {
        match self {
            Intent::Quit => "quit",
            Intent::Help => "this help",
            Intent::FocusNext => "next pane or tab",
            Intent::FocusPrev => "previous pane or tab",
            Intent::Down => "down",
            Intent::Up => "up",
            Intent::Top => "first row",
            Intent::Bottom => "last row",
            Intent::PageDown => "page down",
            Intent::PageUp => "page up",
            Intent::Filter => "filter the pane",
            Intent::Back => "back, clear filter",
            Intent::Details => "details, events, YAML",
            Intent::Logs => "pod logs (follow)",
            Intent::Select => "mark row",
            Intent::Suspend => "suspend",
            Intent::Resume => "resume",
            Intent::Reconcile => "force sync",
            Intent::ReconcileWithSource => "sync with source",
            Intent::Command => "command line",
            Intent::Confirm => "yes (confirm)",
            Intent::Cancel => "no (confirm)",
            Intent::Refresh => "refetch commits/images",
            Intent::Releases => "releases ⇄ image pane",
            Intent::Left => "previous stage",
            Intent::Right => "next stage/earlier",
            Intent::Copy => "copy name/image/SHA",
        }
    }

    /// The intent called `name` in `keys.toml`.
    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Whether this intent writes to the cluster (refused in read-only mode).
    pub fn is_action(self) -> bool {
        matches!(
            self,
            Intent::Suspend | Intent::Resume | Intent::Reconcile | Intent::ReconcileWithSource
        )
    }
}
