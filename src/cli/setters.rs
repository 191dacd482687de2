//! `fluxdeck setters`: apply image policies' latest refs to `$imagepolicy` markers.

use std::process::ExitCode;

use clap::Args;

use super::GlobalArgs;

/// Arguments of `fluxdeck setters`.
#[derive(Debug, Args)]
pub struct SettersArgs {}

/// Runs `fluxdeck setters`.
pub fn run(_global: &GlobalArgs, _args: SettersArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("fluxdeck setters is not implemented yet")
}
