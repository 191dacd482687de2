//! The command line: one file per subcommand. `main` parses arguments, sets up logging and
//! dispatches; every subcommand returns an exit code or an error that names what to fix.

pub mod act;
pub mod demo;
pub mod policy;
pub mod replay;
pub mod sandbox;
pub mod setters;
pub mod status;
pub mod tui;
pub mod wait;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// fluxdeck: a terminal cockpit for GitOps releases run by Flux CD.
///
/// Without a subcommand it opens the TUI on the current kubeconfig context.
/// Logs go to a file, never to the terminal (default: `$XDG_STATE_HOME/fluxdeck/fluxdeck.log`,
/// i.e. `~/.local/state/fluxdeck/fluxdeck.log`; change it with `--log-file`).
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
    /// Where to write logs (default: $XDG_STATE_HOME/fluxdeck/fluxdeck.log).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
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

/// Sends `tracing` output to the log file (never to the terminal). Failing to open the log
/// file is not fatal: fluxdeck runs without logs and says so on stderr.
pub fn init_logging(global: &GlobalArgs) {
    let path = global.log_file.clone().unwrap_or_else(default_log_path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(file) => {
            let filter = tracing_subscriber::EnvFilter::try_from_env("FLUXDECK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init();
        }
        Err(err) => eprintln!(
            "warning: cannot open log file {}: {err}; running without logs (set --log-file)",
            path.display()
        ),
    }
}
