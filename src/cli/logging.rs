//! Where fluxdeck keeps its files, and its log: a file under that directory (never the
//! terminal), filtered as `--log-level` or the environment says, capped at
//! [`LOG_MAX_BYTES`] with one `.1` kept.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::global::GlobalArgs;

/// Where fluxdeck keeps state: `$XDG_STATE_HOME/fluxdeck` (or the platform's state or data
/// dir when there is no state dir), falling back to the temp dir.
pub fn state_base() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("fluxdeck")
}

/// The default log file: `$XDG_STATE_HOME/fluxdeck/fluxdeck.log` (or the platform's state or
/// data dir when there is no state dir), falling back to the temp dir.
pub fn default_log_path() -> PathBuf {
    state_base().join("fluxdeck.log")
}

/// The log file's cap: past it the file is moved to `<file>.1` and a new one started.
pub const LOG_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The log filter and where it came from: `--log-level`, then `FLUXDECK_LOG`, then
/// `RUST_LOG`, then `info`. An environment value that is not a filter is skipped with a
/// warning (the flag was checked by clap already).
pub fn log_filter(
    flag: Option<&str>,
    fluxdeck_log: Option<&str>,
    rust_log: Option<&str>,
) -> (tracing_subscriber::EnvFilter, &'static str, Vec<String>) {
    use tracing_subscriber::EnvFilter;
    let mut warnings = Vec::new();
    let sources = [
        ("--log-level", flag),
        ("FLUXDECK_LOG", fluxdeck_log),
        ("RUST_LOG", rust_log),
    ];
    for (source, value) in sources {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match EnvFilter::try_new(value) {
            Ok(filter) => return (filter, source, warnings),
            Err(err) => warnings.push(format!(
                "warning: ignoring {source}={value:?}: {err}; give a level such as debug or a filter such as info,fluxdeck=debug"
            )),
        }
    }
    (EnvFilter::new("info"), "default", warnings)
}

/// A log file that moves itself to `<path>.1` once it would pass `max_bytes`, so the logs of
/// a long session take at most twice the cap.
#[derive(Debug)]
pub struct RotatingLog {
    path: PathBuf,
    max_bytes: u64,
    file: std::fs::File,
    written: u64,
}

impl RotatingLog {
    /// Opens `path` for appending; a file already past the cap is rotated first.
    pub fn open(path: &Path, max_bytes: u64) -> std::io::Result<RotatingLog> {
        let file = Self::append(path)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut log = RotatingLog {
            path: path.to_path_buf(),
            max_bytes,
            file,
            written,
        };
        if written >= max_bytes {
            log.rotate()?;
        }
        Ok(log)
    }

    fn append(path: &Path) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    }

    /// `<path>.1`, the previous file.
    pub fn backup_path(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(".1");
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        std::fs::rename(&self.path, Self::backup_path(&self.path))?;
        self.file = Self::append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.max_bytes {
            // A failed rotation (a read-only directory, ...) keeps appending: losing the
            // log would be worse than a log past its cap.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Sends `tracing` output to the log file (never to the terminal), capped at
/// [`LOG_MAX_BYTES`] with one `.1` kept. Failing to open the log file is not fatal: fluxdeck
/// runs without logs and says so on stderr.
pub fn init_logging(global: &GlobalArgs) {
    let path = global.log_file.clone().unwrap_or_else(default_log_path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let (filter, source, warnings) = log_filter(
        global.log_level.as_deref(),
        std::env::var("FLUXDECK_LOG").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    for warning in warnings {
        eprintln!("{warning}");
    }
    match RotatingLog::open(&path, LOG_MAX_BYTES) {
        Ok(file) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init();
            tracing::debug!(filter_from = source, "logging started");
        }
        Err(err) => eprintln!(
            "warning: cannot open log file {}: {err}; running without logs (set --log-file)",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_at_its_cap_and_keeps_one_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fluxdeck.log");
        let backup = RotatingLog::backup_path(&path);
        assert_eq!(backup, dir.path().join("fluxdeck.log.1"));
        let mut log = RotatingLog::open(&path, 1000).unwrap();
        for n in 0..45 {
            writeln!(log, "{n:04} {}", "x".repeat(94)).unwrap();
        }
        log.flush().unwrap();
        let current = std::fs::read_to_string(&path).unwrap();
        let previous = std::fs::read_to_string(&backup).unwrap();
        assert!(current.len() <= 1000 && previous.len() <= 1000);
        // 45 lines of 100 bytes, 10 a file: the newest five here, the ten before in `.1`,
        // the oldest gone.
        assert!(
            current.starts_with("0040 ") && current.ends_with(&format!("{}\n", "x".repeat(94)))
        );
        assert_eq!(current.lines().count(), 5);
        assert!(previous.starts_with("0030 "), "{}", &previous[..20]);
        assert!(!dir.path().join("fluxdeck.log.2").exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_log_already_past_its_cap_is_rotated_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, "y".repeat(2000)).unwrap();
        let mut log = RotatingLog::open(&path, 1000).unwrap();
        writeln!(log, "fresh").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fresh\n");
        assert_eq!(
            std::fs::read_to_string(RotatingLog::backup_path(&path))
                .unwrap()
                .len(),
            2000
        );
    }

    #[test]
    fn log_level_beats_fluxdeck_log_beats_rust_log() {
        let source = |flag, fl, rl| log_filter(flag, fl, rl).1;
        assert_eq!(
            source(Some("debug"), Some("warn"), Some("trace")),
            "--log-level"
        );
        assert_eq!(source(None, Some("warn"), Some("trace")), "FLUXDECK_LOG");
        assert_eq!(source(None, None, Some("fluxdeck=trace")), "RUST_LOG");
        assert_eq!(source(None, Some(""), None), "default");
        let (filter, from, warnings) = log_filter(None, Some("fluxdeck=[bad"), Some("debug"));
        assert_eq!(from, "RUST_LOG");
        assert_eq!(filter.to_string(), "debug");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("FLUXDECK_LOG"), "{}", warnings[0]);
    }
}
