//! `fluxdeck demo` and `fluxdeck sandbox` in a build without the embedded sandbox (cargo
//! feature `sandbox`, on by default): both commands stay on the command line and say how to
//! get a build that has them, instead of clap's "unrecognized subcommand".

use std::process::ExitCode;

use clap::Args;

use super::global::GlobalArgs;

/// Whatever was given after `demo` or `sandbox`; not read.
#[derive(Debug, Args)]
pub struct NotBuilt {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// The arguments of `fluxdeck demo` in this build.
pub type DemoArgs = NotBuilt;
/// The arguments of `fluxdeck sandbox` in this build.
pub type SandboxArgs = NotBuilt;

/// Fails with one line naming the missing feature and the build that has it.
pub fn run(_global: &GlobalArgs, _args: NotBuilt) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this fluxdeck was built without the embedded sandbox (cargo feature `sandbox`), so \
         `demo` and `sandbox` are not in it; install the full build with \
         `cargo install --locked --path . --profile dist` (the feature is on by default)"
    )
}
