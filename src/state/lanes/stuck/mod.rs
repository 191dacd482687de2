//! Why a release waits: the first stage it has not reached, and the reason read from the
//! objects of that stage as they are now, in words that name the object and the fix.
//!
//! [`Stuck`] and the reasons the stages share are in `reason`; one file per side of the
//! pipeline (`image`, `git`, `cluster`) reads its stages.

use jiff::Timestamp;

use super::index::Inputs;
use super::lane::{Lane, Release, Stage};

mod cluster;
mod git;
mod image;
mod reason;

use cluster::{apply, roll_out};
use git::{commit, fetch};
use image::{scan, select};

pub use reason::{DEFAULT_PROGRESS_DEADLINE, Stuck};

/// Why `release` of `lane` has not rolled out; `None` once it has.
pub fn why(lane: &Lane, release: &Release, inputs: Inputs<'_>, now: Timestamp) -> Option<Stuck> {
    let stage = release.waiting_at()?;
    if let Some(newer) = &release.superseded_by {
        return Some(Stuck::blocked(
            stage,
            Some(&lane.policy),
            format!("superseded by {newer} before it rolled out"),
        ));
    }
    Some(match stage {
        Stage::Pushed | Stage::Scanned => scan(lane, release, inputs, now, stage),
        Stage::Selected => select(lane, release, inputs),
        Stage::Committed => commit(lane, inputs, now),
        Stage::Fetched => fetch(lane, inputs, now),
        Stage::Applied => apply(lane, inputs),
        Stage::RolledOut => roll_out(lane, release, inputs, now),
    })
}
