//! `UiState`: what the user did to the screen (focus, selection, filter, open views), as
//! opposed to `State`, which is what the cluster did. Rendering reads both.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::model::key::ObjectKey;
use crate::state::ActionKind;

use super::list_view::ListView;

/// The panes, in focus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaneId {
    /// Kustomizations.
    Kustomizations,
    /// Sources (GitRepository, OCIRepository, Bucket, HelmRepository).
    Sources,
    /// Image automation chains.
    Images,
    /// Commits of the config repository.
    Commits,
    /// Pods of the application namespace.
    Pods,
    /// Release lanes, shown in place of the image automation pane (`t`).
    Releases,
}

impl PaneId {
    /// Every pane; the releases pane last (it takes the image automation pane's place).
    pub const ALL: [PaneId; 6] = [
        PaneId::Kustomizations,
        PaneId::Sources,
        PaneId::Images,
        PaneId::Commits,
        PaneId::Pods,
        PaneId::Releases,
    ];

    /// The panes on screen in focus order, with the image automation pane or, when
    /// `releases` is shown, the release lanes in its place.
    pub fn shown(releases: bool) -> [PaneId; 5] {
        let images = if releases {
            PaneId::Releases
        } else {
            PaneId::Images
        };
        [
            PaneId::Kustomizations,
            PaneId::Sources,
            images,
            PaneId::Commits,
            PaneId::Pods,
        ]
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Kustomizations => "Kustomizations",
            PaneId::Sources => "Sources",
            PaneId::Images => "Image automation",
            PaneId::Commits => "Commits",
            PaneId::Pods => "Pods",
            PaneId::Releases => "Releases",
        }
    }

    /// Position in [`PaneId::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The next pane on screen (wrapping), or the previous one when `back`; `releases` says
    /// whether the release lanes take the image automation pane's place.
    pub fn cycle(self, back: bool, releases: bool) -> PaneId {
        let shown = PaneId::shown(releases);
        let n = shown.len();
        // A pane not on screen cycles from the place of the one it replaces.
        let at = shown
            .iter()
            .position(|p| *p == self)
            .unwrap_or(PaneId::Images.index());
        let i = if back { (at + n - 1) % n } else { (at + 1) % n };
        shown.get(i).copied().unwrap_or(self)
    }
}

/// The tabs of the details view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailsTab {
    /// Conditions.
    Conditions,
    /// Events.
    Events,
    /// The YAML, Secrets masked.
    Yaml,
}

impl DetailsTab {
    /// Every tab, in order.
    pub const ALL: [DetailsTab; 3] = [DetailsTab::Conditions, DetailsTab::Events, DetailsTab::Yaml];

    /// The tab's label.
    pub fn title(self) -> &'static str {
        match self {
            DetailsTab::Conditions => "Conditions",
            DetailsTab::Events => "Events",
            DetailsTab::Yaml => "YAML",
        }
    }

    /// The next tab (wrapping), or the previous one when `back`.
    pub fn cycle(self, back: bool) -> DetailsTab {
        let i = DetailsTab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        let n = DetailsTab::ALL.len();
        let j = if back { (i + n - 1) % n } else { (i + 1) % n };
        DetailsTab::ALL.get(j).copied().unwrap_or(self)
    }
}

/// An action waiting for the user's yes or no.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    /// The action.
    pub action: ActionKind,
    /// The objects.
    pub keys: Vec<ObjectKey>,
}

/// What has the keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The panes.
    Normal,
    /// Typing the focused pane's filter.
    Filter,
    /// Typing a `:` command.
    Command(String),
    /// The key help.
    Help,
    /// The details of one object.
    Details {
        /// Which object.
        key: ObjectKey,
        /// Which tab.
        tab: DetailsTab,
        /// First line shown.
        scroll: usize,
    },
    /// A confirmation dialog.
    Confirm(Confirm),
    /// A pod's log ([`UiState::logs`] says which and where).
    Logs,
    /// The diff of one commit.
    Diff {
        /// The repository's key (`CommitLog::key`).
        repository: String,
        /// The commit.
        sha: String,
        /// First line shown.
        scroll: usize,
    },
}

/// How serious a status message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Information (a request sent, a switch made).
    Info,
    /// A refusal or an error.
    Error,
}

/// A message for the status strip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The text.
    pub text: String,
    /// Info or error.
    pub level: Level,
    /// When it was set.
    pub at: Timestamp,
}

/// Facts about the last frame that input handling and the age tick need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// Data rows visible per pane (0 when hidden), indexed by [`PaneId::index`]; for the
    /// releases pane, lanes.
    pub heights: [usize; 6],
    /// Lines visible in the details view.
    pub details_height: usize,
    /// Lines the details view has in all (to clamp scrolling).
    pub details_lines: usize,
    /// Whether panes were collapsed into tabs.
    pub narrow: bool,
    /// The clock used for the frame.
    pub now: Option<Timestamp>,
    /// Every time shown as an age on the frame: the tick redraws when one of them would
    /// print differently.
    pub ages: Vec<Timestamp>,
    /// Something on the frame counts seconds (a release waiting at a stage): the tick
    /// redraws once a second while it shows.
    pub ticking: bool,
}

/// Everything the user changed about the screen.
#[derive(Clone, Debug)]
pub struct UiState {
    /// The focused pane.
    pub focus: PaneId,
    /// What has the keyboard.
    pub mode: Mode,
    /// Kustomizations pane.
    pub kustomizations: ListView<ObjectKey>,
    /// Sources pane.
    pub sources: ListView<ObjectKey>,
    /// Image automation pane.
    pub images: ListView<ObjectKey>,
    /// Commits pane.
    pub commits: ListView<String>,
    /// The repository the commits pane shows (`:repo`); `None` for the default.
    pub commits_repo: Option<String>,
    /// Pods pane.
    pub pods: ListView<ObjectKey>,
    /// Releases pane: one row per lane, keyed by ImagePolicy.
    pub releases: ListView<ObjectKey>,
    /// Whether the releases pane is on screen (in place of the image automation pane).
    pub releases_shown: bool,
    /// The item under the cursor in the selected lane: a stage (`0..7`, [`Stage::ALL`]
    /// order) or [`EARLIER`], the line of earlier releases.
    ///
    /// [`Stage::ALL`]: crate::state::lanes::Stage::ALL
    pub releases_cursor: usize,
    /// Lanes whose earlier releases are unfolded.
    pub releases_unfolded: BTreeSet<ObjectKey>,
    /// Read-only mode: actions are refused locally.
    pub read_only: bool,
    /// The last status message.
    pub message: Option<Message>,
    /// The theme's name.
    pub theme: String,
    /// The number of the next action.
    pub next_action: u64,
    /// Whether the user asked to quit.
    pub quit: bool,
    /// Facts about the last frame.
    pub frame: FrameInfo,
    /// The log view, while open.
    pub logs: Option<super::log_view::LogView>,
    /// The number of the last log stream opened.
    pub next_log_session: u64,
}

impl UiState {
    /// The initial screen: Kustomizations focused, nothing open.
    pub fn new(read_only: bool, theme: &str) -> UiState {
        UiState {
            focus: PaneId::Kustomizations,
            mode: Mode::Normal,
            kustomizations: ListView::default(),
            sources: ListView::default(),
            images: ListView::default(),
            commits: ListView::default(),
            commits_repo: None,
            pods: ListView::default(),
            releases: ListView::default(),
            releases_shown: false,
            releases_cursor: 0,
            releases_unfolded: BTreeSet::new(),
            read_only,
            message: None,
            theme: theme.to_owned(),
            next_action: 1,
            quit: false,
            frame: FrameInfo::default(),
            logs: None,
            next_log_session: 0,
        }
    }

    /// Rows visible in `pane` on the last frame (at least 1, for paging before any frame).
    pub fn height(&self, pane: PaneId) -> usize {
        self.frame
            .heights
            .get(pane.index())
            .copied()
            .unwrap_or(0)
            .max(1)
    }

    /// Sets the status message.
    pub fn say(&mut self, level: Level, text: impl Into<String>, at: Timestamp) {
        self.message = Some(Message {
            text: text.into(),
            level,
            at,
        });
    }

    /// The filter of `pane`.
    pub fn filter(&self, pane: PaneId) -> &str {
        match pane {
            PaneId::Kustomizations => self.kustomizations.filter(),
            PaneId::Sources => self.sources.filter(),
            PaneId::Images => self.images.filter(),
            PaneId::Commits => self.commits.filter(),
            PaneId::Pods => self.pods.filter(),
            PaneId::Releases => self.releases.filter(),
        }
    }

    /// The panes on screen, in focus order.
    pub fn shown_panes(&self) -> [PaneId; 5] {
        PaneId::shown(self.releases_shown)
    }
}

/// [`UiState::releases_cursor`] on the line of earlier releases (after the seven stages).
pub const EARLIER: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_and_tabs_cycle_both_ways() {
        assert_eq!(PaneId::Kustomizations.cycle(false, false), PaneId::Sources);
        assert_eq!(PaneId::Kustomizations.cycle(true, false), PaneId::Pods);
        assert_eq!(PaneId::Pods.cycle(false, false), PaneId::Kustomizations);
        assert_eq!(PaneId::Sources.cycle(false, false), PaneId::Images);
        // The release lanes take the image automation pane's place in the cycle.
        assert_eq!(PaneId::Sources.cycle(false, true), PaneId::Releases);
        assert_eq!(PaneId::Releases.cycle(false, true), PaneId::Commits);
        assert_eq!(PaneId::Commits.cycle(true, true), PaneId::Releases);
        // A hidden pane that had the focus moves on from its place.
        assert_eq!(PaneId::Releases.cycle(false, false), PaneId::Commits);
        assert_eq!(DetailsTab::Yaml.cycle(false), DetailsTab::Conditions);
        assert_eq!(DetailsTab::Conditions.cycle(true), DetailsTab::Yaml);
    }
}
