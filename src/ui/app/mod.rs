//! The app: owns `State` and `UiState`, turns terminal events and worker updates into
//! changes, and draws only when something visible changed.
//!
//! The loop `select!`s over three sources and never spins:
//! - terminal events (keys, resize) from crossterm's `EventStream`;
//! - worker updates: the first one wakes the loop, then everything already queued is
//!   drained and applied before a single draw (bursts coalesce);
//! - a 1 s tick that marks the screen dirty only when a visible age string would change.
//!
//! A frame is drawn when the dirty flag is set, at most once per [`FRAME_MIN`]; while
//! updates keep coming (a frame follows the one before within [`BUSY`]), at most once per
//! [`FRAME_BUSY`], so a cluster changing hundreds of objects a second costs a few frames a
//! second, not a hundred. A key press is drawn at once whatever the pace. An unchanged
//! screen is never redrawn, so an idle app writes nothing to the terminal.

mod out;

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::{Instant, MissedTickBehavior};

use crate::state::{Command, State, Update};

use super::clock::Clock;
use super::format;
use super::keymap::{KeyChord, Keymap};
use super::keys::{self, Context, Effect};
use super::notify::Notifier;
use super::record::{Entry, Recorder};
use super::render;
use super::theme::Theme;
use super::theme::Themes;
use super::ui_state::{Level, UiState};
use super::view::View;
use out::{Clipboard, Notifications};

/// The shortest time between two frames.
pub const FRAME_MIN: Duration = Duration::from_millis(10);

/// Two frames this close make a busy screen...
pub const BUSY: Duration = Duration::from_millis(100);

/// ...which is then drawn at most once per this (20 frames a second), keys excepted.
pub const FRAME_BUSY: Duration = Duration::from_millis(50);

/// Updates applied per wake-up before drawing, so a flood cannot starve the screen.
pub const DRAIN_MAX: usize = 50_000;

/// How the app starts.
pub struct AppConfig {
    /// Start in read-only mode.
    pub read_only: bool,
    /// The theme to start with.
    pub theme: Theme,
    /// All themes, for `:theme`.
    pub themes: Themes,
    /// The keymap.
    pub keymap: Keymap,
    /// Which pods are watched, until a worker reports its session.
    pub pods: crate::state::PodsWatch,
}

/// The running app.
pub struct App {
    state: State,
    ui: UiState,
    keymap: Keymap,
    themes: Themes,
    theme: Theme,
    commands: mpsc::Sender<Command>,
    clock: Box<dyn Clock>,
    dirty: bool,
    /// A key changed the screen: draw it now, whatever the busy pace.
    urgent: bool,
    frames: u64,
    notifications: Option<Notifications>,
    clipboard: Option<Clipboard>,
    recorder: Option<Recorder>,
}

impl App {
    /// A new app that sends commands on `commands` and reads time from `clock`.
    pub fn new(config: AppConfig, commands: mpsc::Sender<Command>, clock: Box<dyn Clock>) -> App {
        let ui = UiState::new(config.read_only, &config.theme.name);
        App {
            state: State::new(config.pods.clone()),
            ui,
            keymap: config.keymap,
            themes: config.themes,
            theme: config.theme,
            commands,
            clock,
            dirty: true,
            urgent: false,
            frames: 0,
            notifications: None,
            clipboard: None,
            recorder: None,
        }
    }

    /// Records every update applied and every command sent to `recorder` (`--record`).
    pub fn with_recorder(mut self, recorder: Recorder) -> App {
        self.recorder = Some(recorder);
        self
    }

    /// Writes `entry` to the recording; a failure says so once and stops recording.
    fn record(&mut self, entry: impl FnOnce() -> Entry) {
        let Some(recorder) = &mut self.recorder else {
            return;
        };
        if let Err(e) = recorder.write(&entry()) {
            self.recorder = None;
            self.ui.say(
                Level::Error,
                format!("recording stopped: {e}"),
                self.clock.now(),
            );
        }
    }

    fn flush_recording(&mut self) {
        if let Some(recorder) = &mut self.recorder
            && let Err(e) = recorder.flush()
        {
            self.recorder = None;
            self.ui.say(
                Level::Error,
                format!("recording stopped: {e}"),
                self.clock.now(),
            );
        }
    }

    /// Rings the bell and sends an OSC 9 notification to `out` (the terminal the frames
    /// go to) when a release rolls out or becomes blocked; `tmux` wraps them for tmux's
    /// passthrough.
    pub fn with_notifications(mut self, out: Box<dyn Write + Send>, tmux: bool) -> App {
        self.notifications = Some(Notifications {
            notifier: Notifier::new(self.clock.now()),
            out,
            tmux,
            pending: Vec::new(),
        });
        self
    }

    /// Sends what `c` copies to `out` (the terminal the frames go to) as OSC 52; `tmux`
    /// wraps it for tmux's passthrough. Without this, `c` says what it would copy and
    /// copies nothing.
    pub fn with_clipboard(mut self, out: Box<dyn Write + Send>, tmux: bool) -> App {
        self.clipboard = Some(Clipboard {
            out,
            tmux,
            pending: Vec::new(),
        });
        self
    }

    /// Writes what `c` copied, between frames (the sequence moves no cursor).
    pub fn write_clipboard(&mut self) {
        if let Some(c) = &mut self.clipboard {
            c.write();
        }
    }

    /// Looks for releases to announce (after updates, and on the tick for what time alone
    /// changes).
    fn look_for_notifications(&mut self) {
        if let Some(n) = &mut self.notifications {
            let texts = n.notifier.check(&self.state, self.clock.now());
            n.pending.extend(texts);
        }
    }

    /// Writes the pending notifications. Called between frames, never during one: the
    /// sequences move no cursor, so the frame on screen stays whole.
    pub fn write_notifications(&mut self) {
        if let Some(n) = &mut self.notifications {
            n.write();
        }
    }

    /// The state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The UI state.
    pub fn ui(&self) -> &UiState {
        &self.ui
    }

    /// Whether the next `draw` will draw.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Frames drawn so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.ui.quit
    }

    /// Applies updates (a drained batch) and brings the views up to date once.
    pub fn apply_all(&mut self, updates: impl IntoIterator<Item = Update>) {
        let mut changed = false;
        let mut relisted = false;
        // The app's clock, so what the lanes see happen and what they compare it with
        // agree (a test's manual clock included).
        let now = self.clock.now();
        for update in updates {
            // Pod log lines stay out of recordings: they can be large, they are what
            // containers printed, and a replay has no log view open to show them.
            if self.recorder.is_some() && !matches!(update, Update::Log { .. }) {
                let update = update.clone();
                self.record(|| Entry::Update { at: now, update });
            }
            relisted |= matches!(update, Update::RelistDone(_));
            if let Update::Notice { error, text } = update {
                let level = if error { Level::Error } else { Level::Info };
                self.ui.say(level, text, self.clock.now());
                self.dirty = true;
                continue;
            }
            changed |= self.state.apply_at(update, now);
        }
        self.flush_recording();
        // First lists show their rows as they come, once per batch.
        changed |= self.state.show_staged();
        if relisted {
            // A relist's transient copies are freed by now (see `heap`).
            crate::heap::release_free_memory();
        }
        if changed {
            keys::sync_views(&mut self.ui, &self.state);
            self.dirty = true;
            self.look_for_notifications();
            for command in keys::logs::follow_workloads(&mut self.ui, &self.state, now) {
                self.send(command, now);
            }
        }
    }

    /// Applies one update.
    pub fn apply(&mut self, update: Update) {
        self.apply_all([update]);
    }

    /// Handles a terminal event.
    pub fn handle_event(&mut self, event: &Event) {
        match event {
            Event::Key(key) => {
                if let Some(chord) = KeyChord::from_event(key) {
                    self.handle_key(chord);
                    self.urgent = true;
                }
            }
            Event::Resize(_, _) => {
                self.dirty = true;
                self.urgent = true;
            }
            _ => {}
        }
    }

    /// Handles one key press.
    pub fn handle_key(&mut self, chord: KeyChord) {
        let now = self.clock.now();
        let cx = Context {
            state: &self.state,
            keymap: &self.keymap,
            themes: &self.themes,
            now,
        };
        let effects = keys::handle_key(&mut self.ui, &cx, chord);
        for effect in effects {
            match effect {
                Effect::Send(command) => {
                    if self.recorder.is_some() {
                        let command = command.clone();
                        self.record(|| Entry::Command {
                            at: now,
                            key: Some(chord.to_string()),
                            command,
                        });
                        self.flush_recording();
                    }
                    self.send(command, now);
                }
                Effect::SetTheme(theme) => self.theme = theme,
                Effect::Copy(text) => {
                    if let Some(c) = &mut self.clipboard {
                        c.pending.push(text);
                    }
                }
            }
        }
        // Any key may change the screen (a mode, a selection); drawing an unchanged frame
        // costs nothing on the terminal because ratatui sends only changed cells.
        self.dirty = true;
    }

    fn send(&mut self, command: Command, now: Timestamp) {
        let what = match &command {
            Command::Suspend { .. } | Command::Resume { .. } | Command::Reconcile { .. } => {
                "action"
            }
            Command::FetchDetails { .. } => "details request",
            Command::OpenLogs { .. } => "log request",
            Command::CloseLogs { .. } => "log close",
            Command::SwitchNamespace { .. } => "namespace switch",
            Command::SwitchContext { .. } => "context switch",
            Command::SwitchPods { .. } => "pods switch",
            Command::RefreshGit => "git refresh",
            Command::RefreshRegistry => "registry scan",
            Command::ShowDiff { .. } => "diff request",
            Command::LoadMoreCommits { .. } => "log request",
            Command::TrackRepository { .. } => "repository request",
            Command::SandboxBuild { .. } => "build request",
            // Local modes need no worker to take effect.
            Command::SetReadOnly { .. } | Command::Shutdown => {
                let _ = self.commands.try_send(command);
                return;
            }
        };
        match self.commands.try_send(command) {
            Ok(()) => {}
            Err(TrySendError::Closed(_)) => self.ui.say(
                Level::Error,
                format!("no cluster worker is running: {what} not sent"),
                now,
            ),
            Err(TrySendError::Full(_)) => self.ui.say(
                Level::Error,
                format!("the cluster worker is busy: {what} not sent, try again"),
                now,
            ),
        }
    }

    /// The 1 s tick: marks the screen dirty only if a visible age would print differently,
    /// or the frame counts seconds (a release waiting at a stage).
    pub fn tick(&mut self) {
        self.look_for_notifications();
        let now = self.clock.now();
        let Some(drawn) = self.ui.frame.now else {
            return;
        };
        if self.ui.frame.ticking && now.as_second() != drawn.as_second() {
            self.dirty = true;
            return;
        }
        if self
            .ui
            .frame
            .ages
            .iter()
            .any(|t| format::age(*t, drawn) != format::age(*t, now))
        {
            self.dirty = true;
        }
    }

    /// Draws a frame if anything changed; returns whether it drew.
    pub fn draw<B: Backend>(&mut self, terminal: &mut Terminal<B>) -> io::Result<bool>
    where
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        if !self.dirty {
            return Ok(false);
        }
        let now = self.clock.now();
        let mut info = None;
        terminal
            .draw(|frame| {
                let view = View::new(&self.state, &self.ui, &self.theme, &self.keymap, now);
                info = Some(render::render(frame, &view));
            })
            .map_err(io::Error::other)?;
        if let Some(info) = info {
            let heights_changed = info.heights != self.ui.frame.heights;
            self.ui.frame = info;
            if heights_changed {
                // Pane heights are known only after a frame; scroll offsets follow them.
                keys::sync_views(&mut self.ui, &self.state);
            }
        }
        self.dirty = false;
        self.frames += 1;
        Ok(true)
    }

    /// Runs until the user quits or the terminal's event stream ends.
    pub async fn run<B, S>(
        &mut self,
        terminal: &mut Terminal<B>,
        mut events: S,
        mut updates: mpsc::Receiver<Update>,
    ) -> anyhow::Result<()>
    where
        B: Backend,
        B::Error: std::error::Error + Send + Sync + 'static,
        S: Stream<Item = io::Result<Event>> + Unpin,
    {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut updates_open = true;
        let mut next_frame = Instant::now();
        let mut last_frame: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if self.dirty && (now >= next_frame || self.urgent) && self.draw(terminal)? {
                let busy = last_frame.is_some_and(|t| now.duration_since(t) < BUSY);
                next_frame = now + if busy { FRAME_BUSY } else { FRAME_MIN };
                last_frame = Some(now);
            }
            self.urgent = false;
            self.write_notifications();
            self.write_clipboard();
            if self.should_quit() {
                break;
            }
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => self.handle_event(&event),
                    Some(Err(e)) => return Err(e.into()),
                    None => break,
                },
                update = updates.recv(), if updates_open => match update {
                    Some(first) => {
                        let mut batch = vec![first];
                        while batch.len() < DRAIN_MAX {
                            match updates.try_recv() {
                                Ok(update) => batch.push(update),
                                Err(_) => break,
                            }
                        }
                        self.apply_all(batch);
                    }
                    None => updates_open = false,
                },
                _ = tick.tick() => self.tick(),
                () = tokio::time::sleep_until(next_frame), if self.dirty => {}
            }
        }
        // Workers may already be gone; nothing to report then.
        let _ = self.commands.try_send(Command::Shutdown);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
