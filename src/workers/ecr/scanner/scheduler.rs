//! The scanner's bookkeeping: one entry per ImageRepository (its target, due time, failures,
//! whether a scan runs), the event loop that `select!`s over input changes, scan requests,
//! finished scans and the next due time, and the rules that turn a scan's outcome into the
//! next due time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::super::errors::ScanError;
use super::super::image_ref::{EcrRepo, NotEcr, parse_ecr_image};
use super::super::scan::RegistryScan;
use super::config::{ScannerConfig, backoff_delay};
use super::protocol::{ImageRepoSpec, RegistryEvent, ScanRequest};
use super::repo_scanner::RepoScanner;

struct Entry {
    spec: ImageRepoSpec,
    target: Result<EcrRepo, NotEcr>,
    next_due: Instant,
    /// When the last successful scan ended (the base of the interval, as in Flux).
    last_success: Option<Instant>,
    failures: u32,
    in_flight: bool,
    rescan: bool,
    /// Bumped when the image changes, so a scan of the old image is ignored.
    generation: u64,
}

type TaskResult = (String, u64, Result<RegistryScan, ScanError>);

struct Scheduler<S> {
    scanner: Arc<S>,
    config: ScannerConfig,
    entries: HashMap<String, Entry>,
    tasks: JoinSet<TaskResult>,
    /// Which entry a running task belongs to, to report a panicking scan.
    task_ids: HashMap<tokio::task::Id, (String, u64)>,
    out: mpsc::Sender<RegistryEvent>,
}

pub(super) async fn run<S: RepoScanner>(
    scanner: Arc<S>,
    config: ScannerConfig,
    mut repos: watch::Receiver<Vec<ImageRepoSpec>>,
    mut requests: mpsc::Receiver<ScanRequest>,
    out: mpsc::Sender<RegistryEvent>,
) {
    let mut s = Scheduler {
        scanner,
        config,
        entries: HashMap::new(),
        tasks: JoinSet::new(),
        task_ids: HashMap::new(),
        out: out.clone(),
    };
    let initial = repos.borrow_and_update().clone();
    if s.apply_specs(initial).await.is_err() {
        return;
    }
    let mut repos_open = true;
    let mut requests_open = true;
    loop {
        if s.launch_due().await.is_err() {
            return;
        }
        let wake = s.next_wake();
        let step = tokio::select! {
            biased;
            _ = out.closed() => return,
            changed = repos.changed(), if repos_open => match changed {
                Ok(()) => {
                    let specs = repos.borrow_and_update().clone();
                    s.apply_specs(specs).await
                }
                // The owner went away: keep scanning the last list.
                Err(_) => { repos_open = false; Ok(()) }
            },
            request = requests.recv(), if requests_open => match request {
                Some(r) => s.request(r).await,
                None => { requests_open = false; Ok(()) }
            },
            Some(joined) = s.tasks.join_next_with_id(), if !s.tasks.is_empty() => s.finished(joined).await,
            _ = sleep_until_opt(wake), if wake.is_some() => Ok(()),
        };
        if step.is_err() {
            return;
        }
    }
}

async fn sleep_until_opt(when: Option<Instant>) {
    if let Some(t) = when {
        tokio::time::sleep_until(t).await;
    }
}

/// The event receiver is gone; the task should end.
struct Closed;

impl<S: RepoScanner> Scheduler<S> {
    async fn emit(&self, event: RegistryEvent) -> Result<(), Closed> {
        self.out.send(event).await.map_err(|_| Closed)
    }

    fn interval(&self, spec: &ImageRepoSpec) -> Duration {
        spec.interval
            .unwrap_or(self.config.default_interval)
            .max(self.config.min_interval)
    }

    async fn apply_specs(&mut self, specs: Vec<ImageRepoSpec>) -> Result<(), Closed> {
        let now = Instant::now();
        let mut seen: HashMap<String, ImageRepoSpec> = HashMap::new();
        for spec in specs {
            seen.insert(spec.id.clone(), spec);
        }
        let gone: Vec<String> = self
            .entries
            .keys()
            .filter(|id| !seen.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            self.entries.remove(&id);
            self.emit(RegistryEvent::Removed { id }).await?;
        }
        for (id, spec) in seen {
            let interval = self.interval(&spec);
            let unavailable = match self.entries.get_mut(&id) {
                Some(e) if e.spec.image == spec.image => {
                    // Only the interval may have changed: like Flux, the next scan is due one
                    // (new) interval after the last good one; a backoff in progress stands.
                    if let (0, Some(done)) = (e.failures, e.last_success) {
                        e.next_due = done + interval;
                    }
                    e.spec = spec;
                    None
                }
                existing => {
                    let target = parse_ecr_image(&spec.image);
                    let generation = existing.map_or(0, |e| e.generation.wrapping_add(1));
                    let reason = target.as_ref().err().cloned();
                    self.entries.insert(
                        id.clone(),
                        Entry {
                            spec,
                            target,
                            next_due: now,
                            last_success: None,
                            failures: 0,
                            in_flight: false,
                            rescan: false,
                            generation,
                        },
                    );
                    reason
                }
            };
            if let Some(reason) = unavailable {
                self.emit(RegistryEvent::Unavailable { id, reason }).await?;
            }
        }
        Ok(())
    }

    async fn request(&mut self, request: ScanRequest) -> Result<(), Closed> {
        let ids: Vec<String> = match request {
            ScanRequest::All => self.entries.keys().cloned().collect(),
            ScanRequest::Repository(id) => vec![id],
        };
        let now = Instant::now();
        for id in ids {
            let Some(e) = self.entries.get_mut(&id) else {
                tracing::debug!("scan requested for unknown ImageRepository {id}");
                continue;
            };
            match &e.target {
                Err(reason) => {
                    // Say it again: the user asked, and the pane may have scrolled it away.
                    let reason = reason.clone();
                    self.emit(RegistryEvent::Unavailable { id, reason }).await?;
                }
                Ok(_) if e.in_flight => e.rescan = true,
                Ok(_) => e.next_due = now,
            }
        }
        Ok(())
    }

    /// Starts every due scan there is room for, earliest first.
    async fn launch_due(&mut self) -> Result<(), Closed> {
        let now = Instant::now();
        let mut due: Vec<(Instant, String)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.target.is_ok() && !e.in_flight && e.next_due <= now)
            .map(|(id, e)| (e.next_due, id.clone()))
            .collect();
        due.sort();
        for (_, id) in due {
            if self.tasks.len() >= self.config.max_concurrent.max(1) {
                break;
            }
            let Some(e) = self.entries.get_mut(&id) else {
                continue;
            };
            let Ok(repo) = e.target.clone() else {
                continue;
            };
            e.in_flight = true;
            let generation = e.generation;
            let scanner = self.scanner.clone();
            let task_repo = repo.clone();
            let task_id = id.clone();
            let handle = self.tasks.spawn(async move {
                let result = scanner.scan(&task_repo).await;
                (task_id, generation, result)
            });
            self.task_ids.insert(handle.id(), (id.clone(), generation));
            self.emit(RegistryEvent::Scanning { id, repo }).await?;
        }
        Ok(())
    }

    /// The earliest due time of an idle scannable entry, if a scan could start then.
    fn next_wake(&self) -> Option<Instant> {
        if self.tasks.len() >= self.config.max_concurrent.max(1) {
            // Full: the next wake-up is a task finishing.
            return None;
        }
        self.entries
            .values()
            .filter(|e| e.target.is_ok() && !e.in_flight)
            .map(|e| e.next_due)
            .min()
    }

    async fn finished(
        &mut self,
        joined: Result<(tokio::task::Id, TaskResult), tokio::task::JoinError>,
    ) -> Result<(), Closed> {
        let (id, generation, result) = match joined {
            Ok((task, (id, generation, result))) => {
                self.task_ids.remove(&task);
                (id, generation, result)
            }
            Err(err) => {
                let Some((id, generation)) = self.task_ids.remove(&err.id()) else {
                    return Ok(());
                };
                let repository = self
                    .entries
                    .get(&id)
                    .and_then(|e| e.target.as_ref().ok())
                    .map(|r| r.repository.clone())
                    .unwrap_or_default();
                let message = if err.is_panic() {
                    "the scan panicked (a bug: please report it with the log file)".to_string()
                } else {
                    "the scan was cancelled".to_string()
                };
                (
                    id,
                    generation,
                    Err(ScanError::Other {
                        repository,
                        message,
                    }),
                )
            }
        };
        let now = Instant::now();
        let interval = match self.entries.get(&id) {
            Some(e) if e.generation == generation => self.interval(&e.spec),
            // Removed or re-pointed meanwhile: this result is about something else.
            _ => return Ok(()),
        };
        let config = self.config.clone();
        let Some(e) = self.entries.get_mut(&id) else {
            return Ok(());
        };
        e.in_flight = false;
        let event = match (result, e.target.clone()) {
            (Ok(scan), _) => {
                e.failures = 0;
                e.last_success = Some(now);
                e.next_due = now + interval;
                RegistryEvent::Scanned {
                    id: id.clone(),
                    scan,
                }
            }
            (Err(error), Ok(repo)) => {
                e.failures = e.failures.saturating_add(1);
                let retry_in = if error.is_transient() {
                    backoff_delay(
                        e.failures,
                        config.backoff_base,
                        config.backoff_cap,
                        rand::random::<f64>(),
                    )
                } else {
                    interval
                };
                e.next_due = now + retry_in;
                RegistryEvent::Failed {
                    id: id.clone(),
                    repo,
                    error,
                    failures: e.failures,
                    retry_in,
                }
            }
            // Only scannable entries are ever launched.
            (Err(_), Err(_)) => return Ok(()),
        };
        if std::mem::take(&mut e.rescan) {
            e.next_due = now;
        }
        self.emit(event).await
    }
}
