//! Driving the workers: the hub derives what they should do from its mirror (`desired`)
//! and sends each only what changed since the last time.

use crate::state::Update;
use crate::workers::git::GitCommand;

use super::desired::{Track, desired};
use super::relay::Hub;

impl Hub {
    /// Sends the workers what changed since the last reconcile.
    pub(super) async fn reconcile(&mut self) {
        let next = desired(&self.mirror, &self.repos, &self.requested);
        // Authors before tracks, so a repository's first log already flags the bot commits.
        if next.authors != self.sent.authors {
            let _ = self.git.send(GitCommand::SetAuthors {
                authors: next.authors.clone(),
            });
        }
        for (key, track) in &next.tracks {
            if self.sent.tracks.get(key) != Some(track) {
                let Track { source, interval } = track.clone();
                self.locations
                    .insert(key.clone(), source.display_location());
                let _ = self.git.send(GitCommand::Track {
                    key: key.clone(),
                    source,
                    interval,
                });
            }
        }
        let gone: Vec<String> = self
            .sent
            .tracks
            .keys()
            .filter(|k| !next.tracks.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            self.locations.remove(&key);
            let _ = self.git.send(GitCommand::Untrack { key: key.clone() });
            let _ = self.to_ui.send(Update::CommitsUntracked { key }).await;
        }
        // A broken source that is gone (or fixed and tracked) must not leave its error behind.
        let healed: Vec<String> = self
            .sent
            .broken
            .keys()
            .filter(|k| !next.broken.contains_key(*k) && !next.tracks.contains_key(*k))
            .cloned()
            .collect();
        for key in healed {
            let _ = self.to_ui.send(Update::CommitsUntracked { key }).await;
        }
        for (key, (location, error)) in &next.broken {
            if self.sent.broken.get(key) != Some(&(location.clone(), error.clone())) {
                let _ = self
                    .to_ui
                    .send(Update::CommitsFailed {
                        key: key.clone(),
                        repository: location.clone(),
                        error: error.to_string(),
                    })
                    .await;
            }
        }
        for (key, applied) in &next.applied {
            let resend = self.sent.applied.get(key) != Some(applied)
                || self.sent.tracks.get(key) != next.tracks.get(key);
            if resend {
                let _ = self.git.send(GitCommand::SetApplied {
                    key: key.clone(),
                    applied: applied.clone(),
                });
            }
        }
        if next.images != self.sent.images {
            self.images.send_replace(next.images.clone());
        }
        self.sent = next;
    }
}
