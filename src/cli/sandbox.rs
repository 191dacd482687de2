//! `fluxdeck sandbox`: serve the embedded Kubernetes-API-compatible sandbox.

use std::process::ExitCode;

use clap::Args;

use super::GlobalArgs;

/// Arguments of `fluxdeck sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {}

/// Runs `fluxdeck sandbox`.
pub fn run(_global: &GlobalArgs, _args: SandboxArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("fluxdeck sandbox is not implemented yet")
}
