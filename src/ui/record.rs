//! `--record FILE`: every [`Update`] the app applied, with the time it applied it, and every
//! [`Command`] the UI sent, with the key that sent it, as JSON lines; `fluxdeck replay FILE`
//! reads them back ([`read`]) and feeds the updates through `State::apply_at` at their
//! recorded times, so the release lanes come out as they did live. Pod log lines
//! (`Update::Log`) are not recorded.
//!
//! One line per entry, `{"update":{"at":…,"update":{…}}}` or
//! `{"command":{"at":…,"key":"Enter","command":{…}}}`. A line that cannot be read stops
//! the replay with its line number.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::state::{Command, Update};

/// One recorded line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// An update the app applied at `at`.
    Update {
        /// When it was applied.
        at: Timestamp,
        /// The update.
        update: Update,
    },
    /// A command the UI sent at `at`, after `key`.
    Command {
        /// When it was sent.
        at: Timestamp,
        /// The key that sent it (`Enter`, `s`…), if a key did.
        key: Option<String>,
        /// The command.
        command: Command,
    },
}

/// A recording that cannot be read or written; names the file and the line.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file cannot be opened, read or written.
    #[error("{path}: {source}; check the path and its permissions")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A line is not an entry.
    #[error(
        "{path} line {line}: not a fluxdeck recording entry ({message}); record with `fluxdeck --record FILE` or `fluxdeck demo --record FILE`"
    )]
    Entry {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What the JSON reader said.
        message: String,
    },
}

/// Appends entries to a recording file.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Recorder {
    /// Creates (or truncates) the recording at `path`.
    pub fn create(path: &Path) -> Result<Recorder, RecordError> {
        let file = File::create(path).map_err(|source| RecordError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Recorder {
            path: path.to_owned(),
            out: BufWriter::new(file),
        })
    }

    /// Writes one entry as a line.
    pub fn write(&mut self, entry: &Entry) -> Result<(), RecordError> {
        serde_json::to_writer(&mut self.out, entry)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|source| self.io(source))
    }

    /// Flushes what was written (after each batch, so a crash loses at most one).
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.out.flush().map_err(|source| self.io(source))
    }

    fn io(&self, source: io::Error) -> RecordError {
        RecordError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// Every entry of the recording at `path`, in order.
pub fn read(path: &Path) -> Result<Vec<Entry>, RecordError> {
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut entries = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| RecordError::Entry {
            path: path.to_owned(),
            line: i + 1,
            message: e.to_string(),
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// The recorded updates with their times, in order (commands left out).
pub fn updates(entries: Vec<Entry>) -> impl Iterator<Item = (Timestamp, Update)> {
    entries.into_iter().filter_map(|e| match e {
        Entry::Update { at, update } => Some((at, update)),
        Entry::Command { .. } => None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::State;
    use crate::state::testkit::*;

    #[test]
    fn a_recording_replayed_gives_the_same_lanes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let tag = "main-bbbbbbb-2";
        let old = "main-aaaaaaa-1";
        let run = [
            (repository(90, &[old], json!({})), 100),
            (policy(Some(old), json!({})), 100),
            (automation(json!({})), 100),
            (source(2, 50, json!({})), 100),
            (kustomization(2, json!({})), 100),
            (pod("web-abc-2", old, true, None, 70), 100),
            (log(2, &[(2, old)]), 100),
            (scan(&[(tag, 200), (old, 5)]), 205),
            (repository(230, &[tag, old], json!({})), 231),
            (policy(Some(tag), json!({})), 232),
            (log(3, &[(2, old), (3, tag)]), 240),
            (source(3, 250, json!({})), 251),
            (kustomization(3, json!({"spec": {"suspend": true}})), 260),
        ];
        let mut live = State::new(crate::state::PodsWatch::Namespace("shop".into()));
        let mut recorder = Recorder::create(&path).unwrap();
        for (update, at) in run {
            recorder
                .write(&Entry::Update {
                    at: t(at),
                    update: update.clone(),
                })
                .unwrap();
            live.apply_at(update, t(at));
        }
        let command = Command::Resume {
            id: crate::state::ActionId(1),
            keys: vec![crate::model::key::ObjectKey::new(
                crate::model::key::Kind::Kustomization,
                "shop",
                "apps",
            )],
        };
        recorder
            .write(&Entry::Command {
                at: t(270),
                key: Some("r".into()),
                command: command.clone(),
            })
            .unwrap();
        recorder.flush().unwrap();

        let entries = read(&path).unwrap();
        assert!(entries.contains(&Entry::Command {
            at: t(270),
            key: Some("r".into()),
            command
        }));
        let mut replayed = State::new(crate::state::PodsWatch::Namespace("shop".into()));
        for (at, update) in updates(entries) {
            replayed.apply_at(update, at);
        }
        let lanes = |s: &State| s.lanes().iter().cloned().collect::<Vec<_>>();
        assert_eq!(lanes(&replayed), lanes(&live));
        let lane = replayed.lanes().iter().next().unwrap();
        let release = lane.current().unwrap();
        assert_eq!(release.tag, tag);
        // Why it waits is read from the objects: they came back whole.
        let why = replayed.stuck(lane, release, t(280));
        assert!(why.is_some());
        let live_lane = live.lanes().iter().next().unwrap();
        assert_eq!(
            why,
            live.stuck(live_lane, live_lane.current().unwrap(), t(280))
        );
        let k = crate::model::key::ObjectKey::new(
            crate::model::key::Kind::Kustomization,
            "shop",
            "apps",
        );
        assert_eq!(
            replayed.kustomizations().get(&k),
            live.kustomizations().get(&k)
        );
        assert!(replayed.kustomizations().get(&k).unwrap().status.suspended);
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.jsonl");
        std::fs::write(&path, "\n{\"update\": 5}\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("bad.jsonl line 2: not a fluxdeck recording entry"),
            "{err}"
        );
        let err = read(&dir.path().join("missing")).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
    }
}
