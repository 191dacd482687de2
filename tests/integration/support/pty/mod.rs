//! The real `fluxdeck` binary in a pseudo-terminal: a `vt100` parser plays the terminal
//! (answering the queries crossterm sends), keys go in as bytes, and the screen is read
//! back as text. The user's environment is kept out: HOME and the XDG dirs point at a
//! temp dir, so no user config is read and the log lands there.
//!
//! Waiting is by polling the screen until a predicate holds, with generous timeouts (the
//! test machine is small and busy); a timeout's error carries the screen and the log tail.

mod terminal;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};
use terminal::{Shared, Writer, lock, nonzero, read_loop};

/// The small terminal (panes collapse into tabs).
pub const SMALL: (u16, u16) = (24, 80);
/// The usual wide terminal.
pub const MEDIUM: (u16, u16) = (35, 120);
/// A large terminal.
pub const LARGE: (u16, u16) = (48, 160);

/// How long to wait for the first screen and for anything that crosses the network.
pub const WAIT: Duration = Duration::from_secs(60);

/// Keys, as the terminal sends them.
pub mod keys {
    /// Enter.
    pub const ENTER: &str = "\r";
    /// Escape.
    pub const ESC: &str = "\x1b";
    /// Tab.
    pub const TAB: &str = "\t";
}

/// The running program in its pseudo-terminal. Dropping it kills the program.
pub struct Tui {
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    writer: Writer,
    shared: Arc<Mutex<Shared>>,
    reader: Option<JoinHandle<()>>,
    home: tempfile::TempDir,
    exit: Option<ExitStatus>,
}

impl Tui {
    /// Starts `fluxdeck ARGS` in a `rows`×`cols` terminal with a private HOME.
    pub fn spawn(args: &[&str], size: (u16, u16)) -> Tui {
        Tui::spawn_with(args, size, true, &[])
    }

    /// Like [`Tui::spawn`], with `env` added to the program's environment.
    pub fn spawn_env(args: &[&str], size: (u16, u16), env: &[(&str, &str)]) -> Tui {
        Tui::spawn_with(args, size, true, env)
    }

    /// Like [`Tui::spawn`], in a terminal that never answers a query (cursor position,
    /// device attributes), as a slow link or a terminal that ignores them behaves.
    pub fn spawn_mute(args: &[&str], size: (u16, u16)) -> Tui {
        Tui::spawn_with(args, size, false, &[])
    }

    fn spawn_with(
        args: &[&str],
        (rows, cols): (u16, u16),
        answer: bool,
        env: &[(&str, &str)],
    ) -> Tui {
        let home = tempfile::tempdir().unwrap();
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_fluxdeck"));
        cmd.args(args);
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let h = home.path();
        cmd.env("HOME", h);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env("XDG_CONFIG_HOME", h.join("config"));
        cmd.env("XDG_STATE_HOME", h.join("state"));
        cmd.env("XDG_DATA_HOME", h.join("data"));
        cmd.env("XDG_CACHE_HOME", h.join("cache"));
        cmd.env("FLUXDECK_LOG", "info,fluxdeck=debug");
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.cwd(h);
        let child = pair.slave.spawn_command(cmd).unwrap();
        // Our copy of the slave side must close, or the reader never sees end of file.
        drop(pair.slave);
        let reader = pair.master.try_clone_reader().unwrap();
        let writer: Writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let shared = Arc::new(Mutex::new(Shared {
            parser: vt100::Parser::new(nonzero(rows), nonzero(cols), 0),
            raw: Vec::new(),
            eof: false,
            answered: Vec::new(),
            answer,
            queries: Vec::new(),
        }));
        let thread = {
            let shared = shared.clone();
            let writer = writer.clone();
            std::thread::spawn(move || read_loop(reader, shared, writer))
        };
        Tui {
            master: pair.master,
            child,
            writer,
            shared,
            reader: Some(thread),
            home,
            exit: None,
        }
    }

    /// The private HOME of the program.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The program's log file (the default path under `$XDG_STATE_HOME`).
    pub fn log_path(&self) -> PathBuf {
        self.home
            .path()
            .join("state")
            .join("fluxdeck")
            .join("fluxdeck.log")
    }

    /// The last `n` lines of the program's log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// The screen as text, one line per row (trailing blanks trimmed).
    pub fn screen(&self) -> String {
        lock(&self.shared).parser.screen().contents()
    }

    /// The words of the bottom row (the footer) with a description of their style, so a
    /// test can tell an unavailable key from an available one.
    pub fn footer_cells(&self) -> Vec<(String, String)> {
        let rows = lock(&self.shared).parser.screen().size().0.get();
        self.row_cells(rows - 1)
    }

    /// The words of row `row` (0-based), each with a description of its style; a word ends
    /// at a blank or where the style changes.
    pub fn row_cells(&self, row: u16) -> Vec<(String, String)> {
        let s = lock(&self.shared);
        let screen = s.parser.screen();
        let (_, cols) = screen.size();
        let mut words: Vec<(String, String)> = Vec::new();
        let mut current: Option<(String, String)> = None;
        for col in 0..cols.get() {
            let Some(cell) = screen.cell(row, col) else {
                continue;
            };
            let text = cell.contents();
            if text.trim().is_empty() {
                words.extend(current.take());
                continue;
            }
            let style = format!(
                "fg {:?} bg {:?} bold {} dim {} italic {} underline {} inverse {}",
                cell.fgcolor(),
                cell.bgcolor(),
                cell.bold(),
                cell.dim(),
                cell.italic(),
                cell.underline(),
                cell.inverse()
            );
            match &mut current {
                Some((word, st)) if *st == style => word.push_str(text),
                _ => {
                    words.extend(current.take());
                    current = Some((text.to_owned(), style));
                }
            }
        }
        words.extend(current);
        words
    }

    /// How many times the program wrote `needle` (raw bytes, escape sequences included).
    pub fn written_count(&self, needle: &[u8]) -> usize {
        lock(&self.shared)
            .raw
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    /// Every byte the program wrote so far, escape sequences included.
    pub fn raw_output(&self) -> Vec<u8> {
        lock(&self.shared).raw.clone()
    }

    /// Waits until the program has written `needle` (raw bytes); returns how many times.
    pub fn wait_written(&mut self, needle: &[u8], timeout: Duration) -> Result<usize, String> {
        let start = Instant::now();
        loop {
            let count = self.written_count(needle);
            if count > 0 {
                return Ok(count);
            }
            if start.elapsed() > timeout {
                return Err(self.report(&format!(
                    "timed out after {timeout:?} waiting for {:?} in the output",
                    String::from_utf8_lossy(needle)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The queries the program sent to its terminal so far (`6n`, `c`, ...).
    pub fn queries(&self) -> Vec<String> {
        lock(&self.shared).queries.clone()
    }

    /// Replies the terminal sent.
    pub fn answered(&self) -> Vec<String> {
        lock(&self.shared).answered.clone()
    }

    /// Types `keys` (raw bytes: `keys::ENTER` for Enter and so on).
    pub fn send_keys(&self, keys: &str) {
        let mut w = lock(&self.writer);
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, (rows, cols): (u16, u16)) {
        lock(&self.shared)
            .parser
            .set_size(nonzero(rows), nonzero(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// Whether the program has exited (remembers its status).
    fn poll_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().unwrap();
        }
        self.exit.clone()
    }

    fn report(&self, why: &str) -> String {
        format!(
            "{why}\n--- screen ---\n{}\n--- log tail ---\n{}\n--- answered queries: {:?}",
            self.screen(),
            self.log_tail(30),
            self.answered()
        )
    }

    /// Polls the screen until `pred` holds; on timeout (or if the program exits) the error
    /// names `what` and carries the screen and the log tail.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return Ok(screen);
            }
            if let Some(status) = self.poll_exit() {
                return Err(self.report(&format!(
                    "the program exited ({status}) while waiting for {what}"
                )));
            }
            if start.elapsed() > timeout {
                return Err(self.report(&format!("timed out after {timeout:?} waiting for {what}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_text(&mut self, text: &str, timeout: Duration) -> Result<String, String> {
        self.wait_for(&format!("{text:?} on screen"), timeout, |s| {
            s.contains(text)
        })
    }

    /// Waits until the screen line holding `needle` also holds `also`.
    pub fn wait_line(
        &mut self,
        needle: &str,
        also: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        self.wait_for(
            &format!("a line with {needle:?} and {also:?}"),
            timeout,
            |s| s.lines().any(|l| l.contains(needle) && l.contains(also)),
        )
    }

    /// Waits for the program to exit; checks it exited 0 and left the terminal as it found
    /// it: alternate screen left, cursor shown (in the bytes it wrote, after it entered
    /// them), and the line discipline back in canonical mode with echo.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.poll_exit() {
                break status;
            }
            if start.elapsed() > timeout {
                return Err(self.report(&format!("the program did not exit within {timeout:?}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // Everything it wrote is read once the terminal reaches end of file.
        while !lock(&self.shared).eof {
            if start.elapsed() > timeout {
                return Err(self.report("the terminal output never ended after exit"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(t) = self.reader.take() {
            let _ = t.join();
        }
        if !status.success() {
            return Err(self.report(&format!("the program exited with {status}")));
        }
        self.check_restored()
    }

    fn check_restored(&self) -> Result<(), String> {
        let s = lock(&self.shared);
        let raw = &s.raw;
        let last = |needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
        let mut problems = Vec::new();
        match (last(b"\x1b[?1049h"), last(b"\x1b[?1049l")) {
            (None, _) => problems.push("never entered the alternate screen"),
            (Some(enter), Some(leave)) if leave > enter => {}
            _ => problems.push("did not leave the alternate screen"),
        }
        match (last(b"\x1b[?25l"), last(b"\x1b[?25h")) {
            (Some(hide), Some(show)) if show < hide => problems.push("left the cursor hidden"),
            (Some(_), None) => problems.push("left the cursor hidden"),
            _ => {}
        }
        if s.parser.screen().alternate_screen() || s.parser.screen().hide_cursor() {
            problems.push("the emulated terminal is still on the alternate screen or cursorless");
        }
        drop(s);
        // Termios flags have no portable names here; their Debug output names them.
        if let Some(t) = self.master.get_termios() {
            let flags = format!("{:?}", t.local_flags);
            let names: Vec<&str> = flags
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .collect();
            if !names.contains(&"ICANON") || !names.contains(&"ECHO") {
                problems.push("left the terminal in raw mode");
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(self.report(&problems.join("; ")))
        }
    }

    /// Sends `q` and checks the program exits 0 with the terminal restored.
    pub fn quit_and_wait(&mut self) -> Result<(), String> {
        self.send_keys("q");
        self.wait_exit(Duration::from_secs(30))
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.poll_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
