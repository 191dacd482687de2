//! The log of actions for the status strip: what runs now and how the last ones ended.

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::model::key::ObjectKey;

use super::command::{ActionId, ActionKind};
use super::update::{ActionEvent, ActionPhase};

/// Finished actions remembered; running ones are always kept.
const FINISHED_MAX: usize = 32;

/// One action on one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    /// The action's number.
    pub id: ActionId,
    /// What kind of action.
    pub action: ActionKind,
    /// The object.
    pub key: ObjectKey,
    /// When the first event about it arrived.
    pub started: Timestamp,
    /// When the last one did.
    pub updated: Timestamp,
    /// Where it is.
    pub phase: ActionPhase,
}

impl ActionRecord {
    /// Whether it still runs.
    pub fn running(&self) -> bool {
        matches!(self.phase, ActionPhase::Running(_))
    }
}

/// Actions, oldest first.
#[derive(Clone, Debug, Default)]
pub struct ActionLog {
    records: VecDeque<ActionRecord>,
}

impl ActionLog {
    /// Records one event; returns whether the log changed.
    pub fn apply(&mut self, event: ActionEvent) -> bool {
        let existing = self
            .records
            .iter_mut()
            .find(|r| r.id == event.id && r.key == event.key);
        match existing {
            Some(record) => {
                if record.phase == event.phase {
                    return false;
                }
                record.phase = event.phase;
                record.updated = event.at;
            }
            None => self.records.push_back(ActionRecord {
                id: event.id,
                action: event.action,
                key: event.key,
                started: event.at,
                updated: event.at,
                phase: event.phase,
            }),
        }
        self.trim();
        true
    }

    fn trim(&mut self) {
        let mut finished = self.records.iter().filter(|r| !r.running()).count();
        while finished > FINISHED_MAX {
            match self.records.iter().position(|r| !r.running()) {
                Some(i) => {
                    self.records.remove(i);
                    finished -= 1;
                }
                None => break,
            }
        }
    }

    /// Actions still running, oldest first.
    pub fn running(&self) -> impl Iterator<Item = &ActionRecord> {
        self.records.iter().filter(|r| r.running())
    }

    /// The running action on `key`, if any.
    pub fn running_on(&self, key: &ObjectKey) -> Option<&ActionRecord> {
        self.running().find(|r| &r.key == key)
    }

    /// The most recently updated record.
    pub fn latest(&self) -> Option<&ActionRecord> {
        self.records.iter().max_by_key(|r| (r.updated, r.id))
    }

    /// All records, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &ActionRecord> {
        self.records.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::key::Kind;

    fn event(id: u64, name: &str, second: i64, phase: ActionPhase) -> ActionEvent {
        ActionEvent {
            id: ActionId(id),
            action: ActionKind::Reconcile,
            key: ObjectKey::new(Kind::Kustomization, "ns", name),
            at: Timestamp::from_second(second).unwrap(),
            phase,
        }
    }

    #[test]
    fn follows_an_action_to_its_end() {
        let mut log = ActionLog::default();
        assert!(log.apply(event(1, "a", 10, ActionPhase::Running("annotating".into()))));
        assert!(!log.apply(event(1, "a", 11, ActionPhase::Running("annotating".into()))));
        assert_eq!(log.running().count(), 1);
        assert!(
            log.running_on(&ObjectKey::new(Kind::Kustomization, "ns", "a"))
                .is_some()
        );
        assert!(log.apply(event(1, "a", 12, ActionPhase::Succeeded("applied".into()))));
        assert_eq!(log.running().count(), 0);
        let latest = log.latest().unwrap();
        assert_eq!(
            (latest.started.as_second(), latest.updated.as_second()),
            (10, 12)
        );
    }

    #[test]
    fn keeps_running_actions_and_a_bounded_history() {
        let mut log = ActionLog::default();
        log.apply(event(
            0,
            "still-running",
            1,
            ActionPhase::Running("waiting".into()),
        ));
        for i in 1..100 {
            log.apply(event(
                i,
                "x",
                i as i64 + 1,
                ActionPhase::Failed("no".into()),
            ));
        }
        assert_eq!(log.iter().count(), FINISHED_MAX + 1);
        assert_eq!(log.running().count(), 1);
    }
}
