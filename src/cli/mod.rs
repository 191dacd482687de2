//! The command line: one file per subcommand. `main` parses arguments, sets up logging and
//! dispatches; every subcommand returns an exit code or an error that names what to fix.
//! The flags every subcommand shares are in `global`, the log file in `logging`.

pub mod act;
pub mod completions;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod global;
pub mod logging;
#[cfg(not(feature = "sandbox"))]
pub mod not_built;
pub mod policy;
pub mod replay;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod setters;
pub mod status;
pub mod tui;
pub mod wait;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[cfg(not(feature = "sandbox"))]
use not_built as demo;
#[cfg(not(feature = "sandbox"))]
use not_built as sandbox;

pub use global::GlobalArgs;
pub use logging::{
    LOG_MAX_BYTES, RotatingLog, default_log_path, init_logging, log_filter, state_base,
};

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

/// The help of `demo` and `sandbox` in a build without the embedded sandbox.
#[cfg(not(feature = "sandbox"))]
const NOT_BUILT: &str =
    "Not in this build (built without the embedded sandbox, cargo feature `sandbox`)";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play the reference GitOps pipeline live on an embedded cluster and open the TUI on it.
    #[cfg_attr(not(feature = "sandbox"), command(about = NOT_BUILT, long_about = None))]
    Demo(demo::DemoArgs),
    /// Serve a Kubernetes-API-compatible sandbox cluster with Flux objects, for demos and tests.
    #[cfg_attr(not(feature = "sandbox"), command(about = NOT_BUILT, long_about = None))]
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
        Some(Command::Completions(args)) => completions::completions(args, Cli::command()),
        Some(Command::Man(args)) => completions::man(args, Cli::command()),
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

#[cfg(test)]
mod tests {
    use super::*;

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
