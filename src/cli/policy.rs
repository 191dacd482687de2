//! `fluxdeck policy`: evaluate an ImagePolicy over tags (see `crate::policy`).

use std::process::ExitCode;

use clap::Args;

use super::GlobalArgs;

/// Arguments of `fluxdeck policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Tags to choose from (default: read from stdin, one per line).
    pub tags: Vec<String>,
}

/// Runs `fluxdeck policy`.
pub fn run(_global: &GlobalArgs, _args: PolicyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("fluxdeck policy is not implemented yet")
}
