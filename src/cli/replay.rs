//! `fluxdeck replay FILE`: the TUI over a recording (`--record FILE`) instead of a cluster.
//! The updates are fed at their recorded pace through `State::apply_at`, the app's clock set
//! to each update's recorded time, so the release lanes, ages and durations read as they
//! did live. `Space` pauses, `]` steps one update while paused, `+`/`-` double or halve the
//! speed, `q` quits. Nothing is sent anywhere: the replay is read-only.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::state::{Command, Update};
use crate::ui::clock::ManualClock;
use crate::ui::record;

use super::global::GlobalArgs;
use super::tui::{TuiConfig, run_app};

/// Reads a speed from 0.1 to 100.
pub fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.1..=100.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "'{s}' is not a speed from 0.1 to 100 (1 is the demo pace, 10 ten times faster)"
        )),
    }
}

/// The longest real pause between two updates: a quiet hour of a recording plays in
/// seconds, not in an hour.
const MAX_GAP: Duration = Duration::from_secs(5);

/// Flags of `fluxdeck replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The recording (`fluxdeck --record FILE` or `fluxdeck demo --record FILE`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// How fast to play it (1 = as recorded; `+`/`-` change it while playing).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Colour theme (see `fluxdeck --help`).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
}

/// What the replay keys ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `Space`: pause or go on.
    Pause,
    /// `]`: one update, while paused.
    Step,
    /// `+`: twice as fast.
    Faster,
    /// `-`: half as fast.
    Slower,
}

impl Control {
    /// The replay control of a key, if it is one.
    pub fn of(code: KeyCode) -> Option<Control> {
        match code {
            KeyCode::Char(' ') => Some(Control::Pause),
            KeyCode::Char(']') => Some(Control::Step),
            KeyCode::Char('+') => Some(Control::Faster),
            KeyCode::Char('-') => Some(Control::Slower),
            _ => None,
        }
    }
}

/// Runs `fluxdeck replay`.
pub fn run(global: &GlobalArgs, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("fluxdeck replay opens a terminal UI and needs a terminal");
    }
    super::logging::init_logging(global);
    // Read everything before touching the terminal, so errors print plainly.
    let updates: Vec<(Timestamp, Update)> = record::updates(record::read(&args.file)?).collect();
    let Some((start, _)) = updates.first() else {
        anyhow::bail!(
            "{}: the recording holds no updates; record with `fluxdeck --record FILE`",
            args.file.display()
        );
    };
    let clock = ManualClock::new(*start);
    let config = TuiConfig {
        // A replay keeps tmux off, whatever the terminal.
        tmux: false,
        ..TuiConfig::new(
            args.theme.clone(),
            true,
            crate::state::PodsWatch::All,
            false,
            None,
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let name = args.file.display().to_string();
    runtime.block_on(async move {
        let (to_ui, from_feed) = mpsc::channel::<Update>(4096);
        // Nothing answers: the commands are drained so the app never finds the queue full.
        let (commands, mut requests) = mpsc::channel::<Command>(64);
        let drain = tokio::spawn(async move { while requests.recv().await.is_some() {} });
        let app = config.app(commands, Box::new(clock.clone()))?;
        let (controls_tx, controls) = mpsc::unbounded_channel();
        let events = EventStream::new().filter_map(move |event| {
            let control = match &event {
                Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Control::of(key.code),
                _ => None,
            };
            let pass = match control {
                Some(control) => {
                    // The feeder is gone once the recording ended; keys then do nothing.
                    let _ = controls_tx.send(control);
                    None
                }
                None => Some(event),
            };
            std::future::ready(pass)
        });
        let feeder = tokio::spawn(feed(updates, clock, args.speed, controls, to_ui, name));
        let result = run_app(app, Box::pin(events), from_feed).await;
        feeder.abort();
        drain.abort();
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Sends `updates` to the app at their recorded pace (times `speed`), setting `clock` to each
/// one's time first, and obeys the replay keys.
pub async fn feed(
    updates: Vec<(Timestamp, Update)>,
    clock: ManualClock,
    mut speed: f64,
    mut controls: mpsc::UnboundedReceiver<Control>,
    to_ui: mpsc::Sender<Update>,
    name: String,
) {
    let total = updates.len();
    let say = |text: String| Update::Notice { error: false, text };
    let help = "Space pause · ] step · +/- speed · q quit";
    if to_ui
        .send(say(format!(
            "replaying {name} ({total} updates, {speed}×): {help}"
        )))
        .await
        .is_err()
    {
        return;
    }
    let mut paused = false;
    let mut previous: Option<Timestamp> = None;
    let mut updates = updates.into_iter().enumerate().peekable();
    while let Some((_, (at, _))) = updates.peek() {
        let gap = previous.map_or(Duration::ZERO, |p| {
            at.duration_since(p).unsigned_abs().min(MAX_GAP)
        });
        let wait = if paused {
            None
        } else {
            Some(gap.div_f64(speed))
        };
        let step = tokio::select! {
            () = sleep(wait) => true,
            control = controls.recv() => {
                let Some(control) = control else { return };
                let text = match control {
                    Control::Pause => {
                        paused = !paused;
                        let state = if paused { "paused" } else { "playing" };
                        Some(format!("replay {state} at {} ({speed}×): {help}", clock_time(&clock)))
                    }
                    Control::Faster => {
                        speed = (speed * 2.0).min(100.0);
                        Some(format!("replay at {speed}×"))
                    }
                    Control::Slower => {
                        speed = (speed / 2.0).max(0.1);
                        Some(format!("replay at {speed}×"))
                    }
                    Control::Step => None,
                };
                match text {
                    Some(text) => {
                        if to_ui.send(say(text)).await.is_err() {
                            return;
                        }
                        false
                    }
                    // `]` plays one update, paused or not.
                    None => true,
                }
            }
        };
        if !step {
            continue;
        }
        let Some((i, (at, update))) = updates.next() else {
            break;
        };
        clock.set(at);
        previous = Some(at);
        if to_ui.send(update).await.is_err() {
            return;
        }
        if paused {
            let text = format!("replay paused at update {} of {total}: {help}", i + 1);
            if to_ui.send(say(text)).await.is_err() {
                return;
            }
        }
    }
    let _ = to_ui
        .send(say(format!(
            "replay of {name} finished ({total} updates): q quits"
        )))
        .await;
}

/// Sleeps `wait`, or forever for `None` (paused).
async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

fn clock_time(clock: &ManualClock) -> String {
    use crate::ui::clock::Clock;
    clock.now().strftime("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testkit::t;

    fn notice(u: &Update) -> Option<&str> {
        match u {
            Update::Notice { text, .. } => Some(text),
            _ => None,
        }
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn the_feed_keeps_the_recorded_pace_pauses_steps_and_sets_the_clock() {
        let updates: Vec<(Timestamp, Update)> = (0..4)
            .map(|i| {
                (
                    t(i * 2),
                    Update::CommitsUntracked {
                        key: format!("u{i}"),
                    },
                )
            })
            .collect();
        let clock = ManualClock::new(t(0));
        let (controls_tx, controls) = mpsc::unbounded_channel();
        let (to_ui, mut from_feed) = mpsc::channel(64);
        let feeder = tokio::spawn(feed(
            updates,
            clock.clone(),
            2.0,
            controls,
            to_ui,
            "run.jsonl".into(),
        ));
        let next = async |rx: &mut mpsc::Receiver<Update>| rx.recv().await.unwrap();
        assert!(
            notice(&next(&mut from_feed).await)
                .unwrap()
                .contains("4 updates")
        );
        let started = tokio::time::Instant::now();
        assert_eq!(
            next(&mut from_feed).await,
            Update::CommitsUntracked { key: "u0".into() }
        );
        assert_eq!(
            next(&mut from_feed).await,
            Update::CommitsUntracked { key: "u1".into() }
        );
        // Two recorded seconds at 2× take one.
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        use crate::ui::clock::Clock;
        assert_eq!(clock.now(), t(2));
        // Paused, nothing comes however long we wait; `]` brings exactly one.
        controls_tx.send(Control::Pause).unwrap();
        assert!(
            notice(&next(&mut from_feed).await)
                .unwrap()
                .contains("paused")
        );
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(from_feed.try_recv().is_err());
        controls_tx.send(Control::Step).unwrap();
        assert_eq!(
            next(&mut from_feed).await,
            Update::CommitsUntracked { key: "u2".into() }
        );
        assert!(
            notice(&next(&mut from_feed).await)
                .unwrap()
                .contains("update 3 of 4")
        );
        assert!(from_feed.try_recv().is_err());
        assert_eq!(clock.now(), t(4));
        controls_tx.send(Control::Faster).unwrap();
        assert!(notice(&next(&mut from_feed).await).unwrap().contains("4×"));
        controls_tx.send(Control::Pause).unwrap();
        assert!(
            notice(&next(&mut from_feed).await)
                .unwrap()
                .contains("playing")
        );
        let resumed = tokio::time::Instant::now();
        assert_eq!(
            next(&mut from_feed).await,
            Update::CommitsUntracked { key: "u3".into() }
        );
        assert_eq!(resumed.elapsed(), Duration::from_millis(500));
        assert!(
            notice(&next(&mut from_feed).await)
                .unwrap()
                .contains("finished")
        );
        feeder.await.unwrap();
    }
}
