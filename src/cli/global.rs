//! [`GlobalArgs`]: the flags every subcommand accepts, before or after its name.

use std::path::PathBuf;

use clap::Args;

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
