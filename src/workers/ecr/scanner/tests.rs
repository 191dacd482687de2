//! Scheduling and backoff of the scanner, on tokio's paused clock with a scripted scanner.

use std::collections::VecDeque;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use jiff::Timestamp;
use tokio::time::Instant;

use super::super::errors::ScanError;
use super::super::image_ref::EcrRepo;
use super::super::scan::RegistryScan;
use super::*;

const ECR: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";
const ECR2: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/carts";

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Ok,
    Throttle,
    NotFound,
    Panic,
}

/// Answers from a script (then `Ok`), after `delay`, and records when each scan started.
struct Fake {
    script: StdMutex<VecDeque<Outcome>>,
    calls: StdMutex<Vec<(String, Duration)>>,
    delay: Duration,
    start: Instant,
}

impl Fake {
    fn new(script: &[Outcome], delay: Duration) -> Arc<Self> {
        Arc::new(Fake {
            script: StdMutex::new(script.iter().copied().collect()),
            calls: StdMutex::new(Vec::new()),
            delay,
            start: Instant::now(),
        })
    }

    /// Seconds since start of every scan of `repository`.
    fn times(&self, repository: &str) -> Vec<u64> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(r, _)| r == repository)
            .map(|(_, t)| t.as_secs())
            .collect()
    }
}

impl RepoScanner for Fake {
    async fn scan(&self, repo: &EcrRepo) -> Result<RegistryScan, ScanError> {
        self.calls
            .lock()
            .unwrap()
            .push((repo.repository.clone(), self.start.elapsed()));
        let outcome = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Outcome::Ok);
        tokio::time::sleep(self.delay).await;
        let repository = repo.repository.clone();
        match outcome {
            Outcome::Ok => Ok(RegistryScan {
                repo: repo.clone(),
                images: Vec::new(),
                pages: 1,
                scanned_at: Timestamp::UNIX_EPOCH,
            }),
            Outcome::Throttle => Err(ScanError::Throttled {
                repository,
                message: "Rate exceeded".into(),
            }),
            Outcome::NotFound => Err(ScanError::RepositoryNotFound {
                repository,
                account: repo.account.clone(),
                region: repo.region.clone(),
            }),
            Outcome::Panic => panic!("scripted panic"),
        }
    }
}

fn spec(id: &str, image: &str, secs: Option<u64>) -> ImageRepoSpec {
    ImageRepoSpec {
        id: id.into(),
        image: image.into(),
        interval: secs.map(Duration::from_secs),
    }
}

struct Harness {
    fake: Arc<Fake>,
    specs: watch::Sender<Vec<ImageRepoSpec>>,
    requests: mpsc::Sender<ScanRequest>,
    events: mpsc::Receiver<RegistryEvent>,
    task: JoinHandle<()>,
}

fn start(fake: Arc<Fake>, config: ScannerConfig, specs: Vec<ImageRepoSpec>) -> Harness {
    let (specs_tx, specs_rx) = watch::channel(specs);
    let (req_tx, req_rx) = mpsc::channel(16);
    let (ev_tx, ev_rx) = mpsc::channel(10_000);
    let task = spawn_scanner(fake.clone(), config, specs_rx, req_rx, ev_tx);
    Harness {
        fake,
        specs: specs_tx,
        requests: req_tx,
        events: ev_rx,
        task,
    }
}

impl Harness {
    fn drain(&mut self) -> Vec<RegistryEvent> {
        let mut v = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            v.push(e);
        }
        v
    }
}

async fn sleep(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}

fn failures(events: &[RegistryEvent]) -> Vec<(u32, Duration)> {
    events
        .iter()
        .filter_map(|e| match e {
            RegistryEvent::Failed {
                failures, retry_in, ..
            } => Some((*failures, *retry_in)),
            _ => None,
        })
        .collect()
}

#[test]
fn backoff_doubles_is_capped_and_jitter_stays_in_the_upper_half() {
    let base = Duration::from_secs(5);
    let cap = Duration::from_secs(300);
    assert_eq!(backoff_delay(1, base, cap, 1.0), Duration::from_secs(5));
    assert_eq!(
        backoff_delay(1, base, cap, 0.0),
        Duration::from_millis(2500)
    );
    assert_eq!(backoff_delay(2, base, cap, 1.0), Duration::from_secs(10));
    assert_eq!(backoff_delay(4, base, cap, 1.0), Duration::from_secs(40));
    assert_eq!(backoff_delay(7, base, cap, 1.0), Duration::from_secs(300));
    assert_eq!(
        backoff_delay(u32::MAX, base, cap, 0.0),
        Duration::from_secs(150)
    );
    // Out-of-range jitter is clamped, never negative or beyond the step.
    assert_eq!(backoff_delay(1, base, cap, 7.0), Duration::from_secs(5));
    assert_eq!(
        backoff_delay(1, base, cap, -1.0),
        Duration::from_millis(2500)
    );
    assert_eq!(backoff_delay(0, base, cap, 1.0), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn scans_at_start_then_every_interval() {
    let mut h = start(
        Fake::new(&[], Duration::ZERO),
        ScannerConfig::default(),
        vec![spec("sock-shop/front-end", ECR, Some(60))],
    );
    sleep(185).await;
    assert_eq!(
        h.fake.times("weaveworksdemos/front-end"),
        vec![0, 60, 120, 180]
    );
    let events = h.drain();
    let scanned = events
        .iter()
        .filter(|e| matches!(e, RegistryEvent::Scanned { id, .. } if id == "sock-shop/front-end"))
        .count();
    assert_eq!(scanned, 4);
    assert!(
        matches!(&events[0], RegistryEvent::Scanning { repo, .. } if repo.region == "us-west-2")
    );
}

#[tokio::test(start_paused = true)]
async fn default_interval_and_minimum() {
    let config = ScannerConfig {
        default_interval: Duration::from_secs(30),
        min_interval: Duration::from_secs(10),
        ..ScannerConfig::default()
    };
    let h = start(
        Fake::new(&[], Duration::ZERO),
        config,
        vec![spec("a", ECR, None), spec("b", ECR2, Some(1))],
    );
    sleep(65).await;
    assert_eq!(h.fake.times("weaveworksdemos/front-end"), vec![0, 30, 60]);
    assert_eq!(
        h.fake.times("weaveworksdemos/carts"),
        vec![0, 10, 20, 30, 40, 50, 60]
    );
}

#[tokio::test(start_paused = true)]
async fn on_demand_scans_now_and_once_more_if_asked_while_running() {
    let h = start(
        Fake::new(&[], Duration::from_secs(5)),
        ScannerConfig::default(),
        vec![spec("a", ECR, Some(60))],
    );
    sleep(20).await;
    h.requests
        .send(ScanRequest::Repository("a".into()))
        .await
        .unwrap();
    sleep(1).await;
    // Asked twice while the on-demand scan runs: one more scan once it ends, not two.
    h.requests
        .send(ScanRequest::Repository("a".into()))
        .await
        .unwrap();
    h.requests.send(ScanRequest::All).await.unwrap();
    sleep(4 + 5 + 2).await;
    assert_eq!(h.fake.times("weaveworksdemos/front-end"), vec![0, 20, 25]);
    // The interval restarts after the last scan ends (25 + 5 + 60).
    sleep(80).await;
    assert_eq!(
        h.fake.times("weaveworksdemos/front-end"),
        vec![0, 20, 25, 90]
    );
    // Unknown ids are ignored.
    h.requests
        .send(ScanRequest::Repository("nope".into()))
        .await
        .unwrap();
    sleep(1).await;
    assert_eq!(h.fake.times("weaveworksdemos/front-end").len(), 4);
}

#[tokio::test(start_paused = true)]
async fn throttling_backs_off_exponentially_capped_then_recovers() {
    use Outcome::*;
    let config = ScannerConfig {
        backoff_base: Duration::from_secs(4),
        backoff_cap: Duration::from_secs(32),
        ..ScannerConfig::default()
    };
    let mut h = start(
        Fake::new(
            &[
                Throttle, Throttle, Throttle, Throttle, Throttle, Throttle, Ok, Throttle,
            ],
            Duration::ZERO,
        ),
        config,
        vec![spec("a", ECR, Some(60))],
    );
    sleep(600).await;
    let events = h.drain();
    let failed = failures(&events);
    let steps = [4u64, 8, 16, 32, 32, 32, 4];
    assert_eq!(failed.len(), steps.len(), "{failed:?}");
    for ((n, retry), step) in failed.iter().zip(steps) {
        let step = Duration::from_secs(step);
        assert!(
            *retry >= step / 2 && *retry <= step,
            "failure {n}: {retry:?} not in [{:?}, {step:?}]",
            step / 2
        );
    }
    // Consecutive failures count up, and reset after the success.
    assert_eq!(
        failed.iter().map(|f| f.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6, 1]
    );
    // Each retry happened when announced (the timer wheel rounds up to the millisecond).
    let times: Vec<Duration> = h.fake.calls.lock().unwrap().iter().map(|c| c.1).collect();
    for (i, (_, retry)) in failed.iter().take(6).enumerate() {
        let gap = times[i + 1] - times[i];
        assert!(
            gap >= *retry && gap <= *retry + Duration::from_millis(2),
            "{gap:?} vs {retry:?}"
        );
    }
    // After the success the interval applies again.
    assert_eq!((times[7] - times[6]).as_secs(), 60);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RegistryEvent::Scanned { .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn other_errors_wait_for_the_interval() {
    use Outcome::*;
    let mut h = start(
        Fake::new(&[NotFound, NotFound], Duration::ZERO),
        ScannerConfig::default(),
        vec![spec("a", ECR, Some(120))],
    );
    sleep(250).await;
    assert_eq!(h.fake.times("weaveworksdemos/front-end"), vec![0, 120, 240]);
    let events = h.drain();
    assert_eq!(
        failures(&events),
        vec![(1, Duration::from_secs(120)), (2, Duration::from_secs(120))]
    );
    let message = events
        .iter()
        .find_map(|e| match e {
            RegistryEvent::Failed { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .unwrap();
    assert!(
        message.contains("does not exist in account 123456789012, region us-west-2"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn non_ecr_images_are_reported_and_never_scanned() {
    let mut h = start(
        Fake::new(&[], Duration::ZERO),
        ScannerConfig::default(),
        vec![
            spec("hub", "weaveworksdemos/front-end", None),
            spec("gh", "ghcr.io/org/app", None),
        ],
    );
    sleep(1).await;
    h.requests
        .send(ScanRequest::Repository("gh".into()))
        .await
        .unwrap();
    sleep(300).await;
    assert!(h.fake.calls.lock().unwrap().is_empty());
    let mut messages: Vec<String> = h
        .drain()
        .into_iter()
        .map(|e| match e {
            RegistryEvent::Unavailable { id, reason } => format!("{id}: {reason}"),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        vec![
            "gh: registry scan not available for ghcr.io",
            "gh: registry scan not available for ghcr.io",
            "hub: registry scan not available for docker.io",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn spec_changes_add_remove_repoint_and_shorten() {
    let mut h = start(
        Fake::new(&[], Duration::from_secs(2)),
        ScannerConfig::default(),
        vec![spec("a", ECR, Some(600)), spec("b", ECR2, Some(600))],
    );
    sleep(1).await;
    // `a` is re-pointed while its first scan runs: the stale result is dropped, the new image
    // is scanned at once. `b` goes away. `c` arrives.
    let repointed = |a_secs| {
        vec![
            spec(
                "a",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/other",
                Some(a_secs),
            ),
            spec("c", ECR2, Some(600)),
        ]
    };
    h.specs.send(repointed(600)).unwrap();
    sleep(10).await;
    let events = h.drain();
    assert!(events.contains(&RegistryEvent::Removed { id: "b".into() }));
    let scanned: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            RegistryEvent::Scanned { id, scan } => Some((id.clone(), scan.repo.repository.clone())),
            _ => None,
        })
        .collect();
    assert!(
        scanned.contains(&("a".into(), "other".into())),
        "{scanned:?}"
    );
    assert!(
        scanned.contains(&("c".into(), "weaveworksdemos/carts".into())),
        "{scanned:?}"
    );
    assert!(
        !scanned.iter().any(|(id, r)| id == "a" && r != "other"),
        "stale result: {scanned:?}"
    );
    assert!(!scanned.iter().any(|(id, _)| id == "b"), "{scanned:?}");
    // Shortening the interval pulls the next scan in.
    h.specs.send(repointed(30)).unwrap();
    sleep(40).await;
    assert_eq!(h.fake.times("other"), vec![1, 33]);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_scan_is_an_error_event_and_scanning_goes_on() {
    let mut h = start(
        Fake::new(&[Outcome::Panic], Duration::ZERO),
        ScannerConfig::default(),
        vec![spec("a", ECR, Some(60))],
    );
    sleep(61).await;
    let events = h.drain();
    let error = events
        .iter()
        .find_map(|e| match e {
            RegistryEvent::Failed {
                error, retry_in, ..
            } => Some((error.to_string(), *retry_in)),
            _ => None,
        })
        .unwrap();
    assert!(error.0.contains("panicked"), "{}", error.0);
    assert_eq!(error.1, Duration::from_secs(60));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RegistryEvent::Scanned { .. }))
    );
    assert!(!h.task.is_finished());
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded() {
    let config = ScannerConfig {
        max_concurrent: 2,
        ..ScannerConfig::default()
    };
    let h = start(
        Fake::new(&[], Duration::from_secs(10)),
        config,
        vec![
            spec("a", ECR, Some(600)),
            spec("b", ECR2, Some(600)),
            spec(
                "c",
                "123456789012.dkr.ecr.us-west-2.amazonaws.com/third",
                Some(600),
            ),
        ],
    );
    sleep(25).await;
    let mut starts: Vec<u64> = h
        .fake
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.1.as_secs())
        .collect();
    starts.sort();
    assert_eq!(starts, vec![0, 0, 10]);
}

#[tokio::test(start_paused = true)]
async fn closed_inputs_keep_the_schedule_and_a_dropped_receiver_stops_the_task() {
    let Harness {
        fake,
        specs,
        requests,
        events,
        task,
    } = start(
        Fake::new(&[], Duration::ZERO),
        ScannerConfig::default(),
        vec![spec("a", ECR, Some(60))],
    );
    drop(specs);
    drop(requests);
    sleep(3630).await;
    assert_eq!(fake.times("weaveworksdemos/front-end").len(), 61);
    assert!(!task.is_finished());
    drop(events);
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .expect("the scanner ends when nobody listens")
        .unwrap();
}
