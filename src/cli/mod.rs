//! The command line: one file per subcommand. `main` parses arguments, sets up logging and
//! dispatches; every subcommand returns an exit code or an error that names what to fix.

pub mod act;
pub mod completions;
pub mod demo;
pub mod policy;
pub mod replay;
pub mod sandbox;
pub mod setters;
pub mod status;
pub mod tui;
pub mod wait;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// fluxdeck: a terminal cockpit for GitOps releases run by Flux CD.
///
/// Without a subcommand it opens the TUI on the current kubeconfig context.
/// Logs go to a file, never to the terminal (default: `$XDG_STATE_HOME/fluxdeck/fluxdeck.log`,
/// i.e. `~/.local/state/fluxdeck/fluxdeck.log`; change it with `--log-file`). At 10 MB the file
/// is moved to `fluxdeck.log.1` (replacing the previous one) and a new one is started.
#[derive(Debug, Parser)]
#[command(name = "fluxdeck", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Flags of the TUI, the default command.
    #[command(flatten)]
    pub tui: tui::TuiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags accepted before or after any subcommand, as kubectl has them.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace of the Flux panes. Without -n: the kubeconfig context's namespace, or
    /// `default` when the context sets none, as kubectl (in a pod: the service account's).
    /// Switch at run time with `:ns NS`.
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// All namespaces: the Flux panes and the pods pane watch every namespace (overrides -n;
    /// --app-namespace still picks the pods). Switch at run time with `:ns all`.
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
    /// Where to write logs (default: $XDG_STATE_HOME/fluxdeck/fluxdeck.log). Capped at 10 MB:
    /// the full file becomes PATH.1 (one kept).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// What to log: a level (error, warn, info, debug, trace) or a filter such as
    /// `info,fluxdeck=debug`. Default: $FLUXDECK_LOG, else $RUST_LOG, else info.
    #[arg(long, global = true, value_name = "FILTER", value_parser = parse_log_filter)]
    pub log_level: Option<String>,
}

/// Checks a `--log-level` value, so a typo is a clap error naming the flag.
fn parse_log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_string())
        .map_err(|e| {
            format!("{e}; give a level (error, warn, info, debug, trace) or a filter such as info,fluxdeck=debug")
        })
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play the reference GitOps pipeline live on an embedded cluster and open the TUI on it.
    Demo(demo::DemoArgs),
    /// Serve a Kubernetes-API-compatible sandbox cluster with Flux objects, for demos and tests.
    Sandbox(sandbox::SandboxArgs),
    /// Predict which tag an ImagePolicy selects from a list of tags, exactly as Flux does.
    Policy(policy::PolicyArgs),
    /// Rewrite `$imagepolicy` setter markers in a tree of YAML files, exactly as Flux does.
    Setters(setters::SettersArgs),
    /// Open the TUI on a recording made with `--record FILE` (Space pause, ] step, +/- speed).
    Replay(replay::ReplayArgs),
    /// Write a shell completion script to stdout (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Write the man page (roff) to stdout: `fluxdeck man > fluxdeck.1`.
    Man(completions::ManArgs),
    // The next five take their help (summary and manual) from their argument structs.
    Status(status::StatusArgs),
    Wait(wait::WaitArgs),
    Suspend(act::SuspendArgs),
    Resume(act::ResumeArgs),
    Reconcile(act::ReconcileArgs),
}

/// Parses the command line, sets up logging and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Demo(args)) => demo::run(&cli.global, args),
        Some(Command::Sandbox(args)) => sandbox::run(&cli.global, args),
        Some(Command::Policy(args)) => policy::run(&cli.global, args),
        Some(Command::Setters(args)) => setters::run(&cli.global, args),
        Some(Command::Replay(args)) => replay::run(&cli.global, args),
        Some(Command::Status(args)) => status::run(&cli.global, args),
        Some(Command::Wait(args)) => wait::run(&cli.global, args),
        Some(Command::Suspend(args)) => act::suspend(&cli.global, args),
        Some(Command::Resume(args)) => act::resume(&cli.global, args),
        Some(Command::Reconcile(args)) => act::reconcile(&cli.global, args),
        Some(Command::Completions(args)) => completions::completions(args),
        Some(Command::Man(args)) => completions::man(args),
        None => tui::run(&cli.global, cli.tui),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

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

    #[test]
    fn a_bad_log_level_flag_is_a_clap_error_naming_the_flag() {
        use clap::Parser;
        let err = Cli::try_parse_from([
            "fluxdeck",
            "--log-level",
            "fluxdeck=[bad",
            "policy",
            "--help",
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("--log-level"), "{err}");
        let ok =
            Cli::try_parse_from(["fluxdeck", "man", "--log-level", "info,fluxdeck=debug"]).unwrap();
        assert_eq!(ok.global.log_level.as_deref(), Some("info,fluxdeck=debug"));
    }
}
