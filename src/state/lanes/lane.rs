//! What a release lane is: an app's [`Lane`], its [`Release`]s, each followed through the
//! [`Stage`]s from the registry push to the pods, and the tags its policy filters out.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

use jiff::{SignedDuration, Timestamp};

use crate::model::key::ObjectKey;

/// How many releases a lane keeps (the current one and those before it).
pub const KEPT_RELEASES: usize = 20;
/// How many tags a policy filters out a lane remembers, for the pane and `wait`.
pub const KEPT_FILTERED: usize = 5;

/// The stages of a release, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// The registry has the tag (its push time).
    Pushed,
    /// A scan of the ImageRepository listed it.
    Scanned,
    /// The ImagePolicy's `latestRef` became it.
    Selected,
    /// An automation commit wrote it to the config repository.
    Committed,
    /// The GitRepository's artifact revision contains that commit.
    Fetched,
    /// The Kustomization's `lastAppliedRevision` contains it.
    Applied,
    /// Every pod of the app's workloads runs it and is Ready.
    RolledOut,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Pushed,
        Stage::Scanned,
        Stage::Selected,
        Stage::Committed,
        Stage::Fetched,
        Stage::Applied,
        Stage::RolledOut,
    ];

    /// The stage's name, as the CLI and JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Pushed => "pushed",
            Stage::Scanned => "scanned",
            Stage::Selected => "selected",
            Stage::Committed => "committed",
            Stage::Fetched => "fetched",
            Stage::Applied => "applied",
            Stage::RolledOut => "rolled-out",
        }
    }

    /// Its position in [`Stage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where one stage of one release is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mark {
    /// Not reached (yet).
    #[default]
    Pending,
    /// Reached; when, if known.
    Reached(Option<Timestamp>),
}

impl Mark {
    /// Whether the stage was reached.
    pub fn reached(self) -> bool {
        matches!(self, Mark::Reached(_))
    }

    /// When it was reached, if known.
    pub fn at(self) -> Option<Timestamp> {
        match self {
            Mark::Reached(at) => at,
            Mark::Pending => None,
        }
    }
}

/// The automation commit that wrote a release's tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitRef {
    /// Full SHA.
    pub sha: String,
    /// Author time.
    pub time: Timestamp,
    /// Its place in the repository's history (greater is newer).
    pub seq: u64,
}

/// One tag of one app, on its way from the registry to the pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// The image tag.
    pub tag: String,
    /// A commit that set a tag older than the lane's newest release (a rollback).
    pub rollback: bool,
    /// The commit that wrote the tag, once found.
    pub commit: Option<CommitRef>,
    /// One mark per stage, in [`Stage::ALL`] order.
    pub marks: [Mark; 7],
    /// The newer release that replaced this one before it rolled out.
    pub superseded_by: Option<String>,
}

impl Release {
    pub(super) fn new(tag: &str) -> Release {
        Release {
            tag: tag.to_owned(),
            rollback: false,
            commit: None,
            marks: [Mark::Pending; 7],
            superseded_by: None,
        }
    }

    /// The mark of `stage`.
    pub fn mark(&self, stage: Stage) -> Mark {
        self.marks[stage.index()]
    }

    /// The last stage reached, if any.
    pub fn last_reached(&self) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .rev()
            .find(|s| self.mark(*s).reached())
    }

    /// The first stage not reached; `None` once rolled out.
    pub fn waiting_at(&self) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| !self.mark(*s).reached())
    }

    /// Whether every pod runs it.
    pub fn rolled_out(&self) -> bool {
        self.mark(Stage::RolledOut).reached()
    }

    /// How long `stage` took: from the previous stage's time to its own, when both are known.
    pub fn duration(&self, stage: Stage) -> Option<SignedDuration> {
        let end = self.mark(stage).at()?;
        let previous = Stage::ALL.get(stage.index().checked_sub(1)?)?;
        let start = self.mark(*previous).at()?;
        Some(end.duration_since(start))
    }

    /// From the first stage with a time to the last one with a time.
    pub fn total(&self) -> Option<SignedDuration> {
        let mut times = self.marks.iter().filter_map(|m| m.at());
        let first = times.next()?;
        let last = times.next_back()?;
        Some(last.duration_since(first))
    }
}

/// A tag the registry has that the policy will never pick, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filtered {
    /// The tag.
    pub tag: String,
    /// When it was pushed, if known.
    pub pushed: Option<Timestamp>,
    /// The rule that drops it (from `policy::rejection`).
    pub reason: String,
}

/// One app's releases and the objects they pass through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// The ImagePolicy (the lane's key).
    pub policy: ObjectKey,
    /// The ImageRepository it reads.
    pub repository: Option<ObjectKey>,
    /// `spec.image` of that repository.
    pub image: Option<String>,
    /// The ImageUpdateAutomations that apply the policy.
    pub automations: Vec<ObjectKey>,
    /// The GitRepository those automations push to.
    pub source: Option<ObjectKey>,
    /// The Kustomizations that apply the app: those whose inventory holds its workloads,
    /// else those reading [`Lane::source`].
    pub kustomizations: Vec<ObjectKey>,
    /// The workloads whose pods run the image, `namespace/Kind/name`.
    pub workloads: BTreeSet<String>,
    /// The pods running the image (any tag).
    pub pods: BTreeSet<ObjectKey>,
    /// Oldest first; the last is the current release.
    pub(super) releases: VecDeque<Release>,
    /// Tags the policy filters out, newest push last.
    pub(super) filtered: VecDeque<Filtered>,
    /// Push times of every tag the registry listed (by tag).
    pub(super) pushes: HashMap<String, Option<Timestamp>>,
    /// Automation commits that wrote this policy's tags, by their place in history.
    pub(super) commits: BTreeMap<u64, (String, CommitRef)>,
    /// Bumped whenever the lane changes.
    pub(super) revision: u64,
}

impl Lane {
    /// A lane of `policy` with nothing known yet.
    pub fn new(policy: ObjectKey) -> Lane {
        Lane {
            policy,
            repository: None,
            image: None,
            automations: Vec::new(),
            source: None,
            kustomizations: Vec::new(),
            workloads: BTreeSet::new(),
            pods: BTreeSet::new(),
            releases: VecDeque::new(),
            filtered: VecDeque::new(),
            pushes: HashMap::new(),
            commits: BTreeMap::new(),
            revision: 0,
        }
    }

    /// Releases, oldest first.
    pub fn releases(&self) -> impl DoubleEndedIterator<Item = &Release> + ExactSizeIterator {
        self.releases.iter()
    }

    /// The current release: the newest tag on its way, or the last one that went out.
    pub fn current(&self) -> Option<&Release> {
        self.releases.back()
    }

    /// The newest release of `tag`.
    pub fn release(&self, tag: &str) -> Option<&Release> {
        self.releases.iter().rev().find(|r| r.tag == tag)
    }

    /// The release whose commit is `sha` (or starts with it, for a short SHA).
    pub fn release_by_commit(&self, sha: &str) -> Option<&Release> {
        self.releases
            .iter()
            .rev()
            .find(|r| r.commit.as_ref().is_some_and(|c| c.sha.starts_with(sha)))
    }

    /// Tags the policy will never pick, newest last.
    pub fn filtered(&self) -> impl DoubleEndedIterator<Item = &Filtered> {
        self.filtered.iter()
    }

    /// Bumped whenever the lane changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// `namespace/name` of the policy, the app's name on screen.
    pub fn app(&self) -> String {
        format!("{}/{}", self.policy.namespace, self.policy.name)
    }
}
