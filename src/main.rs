//! The `fluxdeck` binary: parses the command line and dispatches to `fluxdeck::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    fluxdeck::cli::main()
}
