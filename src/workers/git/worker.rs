//! The git worker task: it owns every tracked repository, runs each git2 call on tokio's
//! blocking pool (one job at a time per repository, so a fetch and a page read never race),
//! fetches on each repository's interval and on demand, and reports through events.
//!
//! After an authentication failure a repository stops fetching on its interval (a refused
//! credential is not retried behind the user's back); `FetchNow` tries again.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::applied::{mark_applied, parse_revision};
use super::error::GitError;
use super::jobs::{Done, Job, JobInput};
use super::log::{Author, CommitInfo};
use super::protocol::{
    AppliedRevision, AppliedView, GitCommand, GitEvent, GitWorkerConfig, RepoLog,
};
use super::source::RepoSource;

/// Starts the worker on the current tokio runtime. It stops when `commands` closes or the
/// receiver of `out` is dropped.
pub fn spawn_git_worker(
    config: GitWorkerConfig,
    commands: mpsc::Receiver<GitCommand>,
    out: mpsc::Sender<GitEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(Worker::new(config, out).run(commands))
}

struct Loaded {
    head: String,
    reference: String,
    commits: Vec<CommitInfo>,
    complete: bool,
    markers: Vec<super::markers::Marker>,
}

struct Tracked {
    source: Arc<RepoSource>,
    interval: Duration,
    generation: u64,
    next_fetch: Instant,
    paused: bool,
    busy: bool,
    queue: VecDeque<Job>,
    log: Option<Loaded>,
    applied: Vec<AppliedRevision>,
}

struct Finished {
    key: String,
    generation: u64,
    job: Job,
    result: Result<Done, GitError>,
}

struct Worker {
    config: Arc<GitWorkerConfig>,
    out: mpsc::Sender<GitEvent>,
    repos: HashMap<String, Tracked>,
    authors: Arc<Vec<Author>>,
    generation: u64,
    tasks: JoinSet<Finished>,
}

impl Worker {
    fn new(config: GitWorkerConfig, out: mpsc::Sender<GitEvent>) -> Self {
        Worker {
            config: Arc::new(config),
            out,
            repos: HashMap::new(),
            authors: Arc::new(Vec::new()),
            generation: 0,
            tasks: JoinSet::new(),
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<GitCommand>) {
        loop {
            self.start_jobs();
            let due = self
                .repos
                .values()
                .filter(|t| !t.paused)
                .map(|t| t.next_fetch)
                .min();
            let open = tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd).await,
                    None => false,
                },
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => match done {
                    Ok(finished) => self.finish(finished).await,
                    // Only an abort (the worker is stopping) ends a job task early.
                    Err(_) => true,
                },
                () = sleep_until(due), if due.is_some() => {
                    self.schedule_due();
                    true
                }
            };
            if !open {
                break;
            }
        }
    }

    /// Handles one command; `false` when the event receiver is gone.
    async fn command(&mut self, cmd: GitCommand) -> bool {
        match cmd {
            GitCommand::Track {
                key,
                source,
                interval,
            } => {
                let interval = interval.max(Duration::from_secs(1));
                if let Some(t) = self.repos.get_mut(&key)
                    && *t.source == source
                {
                    // The same source again (a GitRepository update that kept url and ref):
                    // keep the log, take the new interval.
                    t.interval = interval;
                    t.next_fetch = t.next_fetch.min(Instant::now() + interval);
                    return true;
                }
                self.generation += 1;
                let applied = self
                    .repos
                    .remove(&key)
                    .map(|t| t.applied)
                    .unwrap_or_default();
                self.repos.insert(
                    key,
                    Tracked {
                        source: Arc::new(source),
                        interval,
                        generation: self.generation,
                        next_fetch: Instant::now() + interval,
                        paused: false,
                        busy: false,
                        queue: VecDeque::from([Job::Sync {
                            fetch: true,
                            reload: true,
                        }]),
                        log: None,
                        applied,
                    },
                );
            }
            GitCommand::Untrack { key } => {
                self.repos.remove(&key);
            }
            GitCommand::FetchNow { key } => {
                let keys: Vec<String> = match key {
                    Some(k) => vec![k],
                    None => self.repos.keys().cloned().collect(),
                };
                for k in keys {
                    let Some(t) = self.repos.get_mut(&k) else {
                        return self.unknown(k).await;
                    };
                    t.paused = false;
                    enqueue(
                        t,
                        Job::Sync {
                            fetch: true,
                            reload: false,
                        },
                    );
                }
            }
            GitCommand::LoadMore { key } => match self.repos.get_mut(&key) {
                Some(t) => {
                    if t.log.as_ref().is_some_and(|l| !l.complete) {
                        enqueue(t, Job::More);
                    }
                }
                None => return self.unknown(key).await,
            },
            GitCommand::ShowDiff { key, sha } => match self.repos.get_mut(&key) {
                Some(t) => enqueue(t, Job::Diff(sha)),
                None => return self.unknown(key).await,
            },
            GitCommand::SetAuthors { authors } => {
                if *self.authors != authors {
                    self.authors = Arc::new(authors);
                    for t in self.repos.values_mut() {
                        enqueue(
                            t,
                            Job::Sync {
                                fetch: false,
                                reload: true,
                            },
                        );
                    }
                }
            }
            GitCommand::SetApplied { key, applied } => {
                let Some(t) = self.repos.get_mut(&key) else {
                    return self.unknown(key).await;
                };
                if t.applied != applied {
                    t.applied = applied;
                    if let Some(log) = repo_log(t) {
                        return self.send(GitEvent::Log { key, log }).await;
                    }
                }
            }
        }
        true
    }

    async fn unknown(&self, key: String) -> bool {
        let error = GitError::UnknownRepo { key: key.clone() };
        self.send(GitEvent::Error { key, error }).await
    }

    async fn send(&self, event: GitEvent) -> bool {
        self.out.send(event).await.is_ok()
    }

    /// Queues a fetch for every repository whose interval has passed.
    fn schedule_due(&mut self) {
        let now = Instant::now();
        for t in self.repos.values_mut() {
            if !t.paused && t.next_fetch <= now {
                t.next_fetch = now + t.interval;
                enqueue(
                    t,
                    Job::Sync {
                        fetch: true,
                        reload: false,
                    },
                );
            }
        }
    }

    /// Starts the next job of every idle repository on the blocking pool.
    fn start_jobs(&mut self) {
        for (key, t) in &mut self.repos {
            if t.busy {
                continue;
            }
            let Some(job) = t.queue.pop_front() else {
                continue;
            };
            t.busy = true;
            let input = JobInput {
                source: t.source.clone(),
                config: self.config.clone(),
                authors: self.authors.clone(),
                head: t.log.as_ref().map(|l| l.head.clone()),
                loaded: t.log.as_ref().map_or(0, |l| l.commits.len()),
            };
            let key = key.clone();
            let generation = t.generation;
            self.tasks.spawn(async move {
                let run = job.clone();
                let result = tokio::task::spawn_blocking(move || input.run(&run))
                    .await
                    .unwrap_or_else(|e| {
                        Err(GitError::Git {
                            origin: key.clone(),
                            op: "job".into(),
                            location: key.clone(),
                            message: format!("the git job stopped: {e}"),
                        })
                    });
                Finished {
                    key,
                    generation,
                    job,
                    result,
                }
            });
        }
    }

    /// Applies a finished job; `false` when the event receiver is gone.
    async fn finish(&mut self, f: Finished) -> bool {
        let Some(t) = self.repos.get_mut(&f.key) else {
            return true;
        };
        if t.generation != f.generation {
            return true;
        }
        t.busy = false;
        if matches!(f.job, Job::Sync { fetch: true, .. }) {
            t.next_fetch = Instant::now() + t.interval;
        }
        let key = f.key;
        match f.result {
            Err(error) => {
                if matches!(error, GitError::AuthFailed { .. }) {
                    t.paused = true;
                    t.queue
                        .retain(|j| !matches!(j, Job::Sync { fetch: true, .. }));
                }
                self.send(GitEvent::Error { key, error }).await
            }
            Ok(Done::Diff(diff)) => self.send(GitEvent::Diff { key, diff }).await,
            Ok(Done::More(page)) => {
                if let Some(log) = t.log.as_mut() {
                    log.commits.extend(page.commits);
                    log.complete = page.complete;
                }
                match repo_log(t) {
                    Some(log) => self.send(GitEvent::Log { key, log }).await,
                    None => true,
                }
            }
            Ok(Done::Synced {
                head,
                reference,
                page,
                markers,
            }) => {
                let changed = t.log.as_ref().is_none_or(|l| l.head != head);
                if let Some(page) = page {
                    t.log = Some(Loaded {
                        head: head.clone(),
                        reference,
                        commits: page.commits,
                        complete: page.complete,
                        markers: markers.unwrap_or_default(),
                    });
                }
                let log = repo_log(t);
                let fetched = GitEvent::Fetched {
                    key: key.clone(),
                    head,
                    changed,
                };
                if !self.send(fetched).await {
                    return false;
                }
                match log {
                    Some(log) if changed || matches!(f.job, Job::Sync { reload: true, .. }) => {
                        self.send(GitEvent::Log { key, log }).await
                    }
                    _ => true,
                }
            }
        }
    }
}

/// Queues a job unless the same one is already waiting.
fn enqueue(t: &mut Tracked, job: Job) {
    if !t.queue.contains(&job) {
        t.queue.push_back(job);
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The log event of a repository, with the marks of its Kustomizations.
fn repo_log(t: &Tracked) -> Option<RepoLog> {
    let loaded = t.log.as_ref()?;
    let applied = t
        .applied
        .iter()
        .map(|a| AppliedView {
            kustomization: a.kustomization.clone(),
            revision: a.revision.clone(),
            marks: parse_revision(&a.revision)
                .map(|rev| mark_applied(&loaded.commits, loaded.complete, &rev.sha)),
        })
        .collect();
    Some(RepoLog {
        reference: loaded.reference.clone(),
        head: loaded.head.clone(),
        commits: loaded.commits.clone(),
        complete: loaded.complete,
        applied,
        markers: loaded.markers.clone(),
        note: t.source.note.clone(),
    })
}
