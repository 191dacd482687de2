//! `fluxdeck status`: the TUI's workers and `State` without the UI. It waits until every
//! watched kind's first list is done, prints Flux's objects like `flux get all` (a table, or
//! JSON / YAML for scripts) and exits 0 when all of them are Ready, 1 otherwise.
//!
//! The report is built from `&State` by the pure [`report()`], so what scripts read is what
//! the TUI shows; `-o json` follows `schema/status.schema.json`.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::global::GlobalArgs;
use super::tui::SourceArgs;

mod headless;
mod report;
mod table;

pub use headless::{Headless, collect, humanize, lanes_settled};
pub use report::{
    Lane, LaneStage, LaneStep, ObjectStatus, StatusReport, Stuck, Unavailable, healthy,
    lane_report, release_report, report,
};
pub use table::table;

/// Print Flux objects like `flux get all`; exit 0 when all are Ready, 1 otherwise
///
/// Starts the same workers as the TUI (cluster watchers, git worker, registry scanner),
/// waits until the first list of every Flux kind (and of the pods of --app-namespace) is
/// done, prints Kustomizations, sources, ImageRepositories, ImagePolicies and
/// ImageUpdateAutomations with Ready, suspended, message and revisions, and exits.
///
/// Exit status: 0 when every object is Ready and not suspended, and no release lane is
/// stuck; 1 otherwise (a failing, stalled, unknown or suspended object, a spec not
/// reconciled yet, a kind the API refused to list), or when the lists do not finish within
/// --timeout. An object in a periodic reconcile of its current generation (Ready=Unknown,
/// Progressing) counts as Ready. Kinds the cluster does not serve (e.g. no image
/// controllers) are reported and do not fail the status.
///
/// Namespaces: `-n NS` reports NS only; without it (or with `-A`) every namespace.
///
/// Examples:
///   fluxdeck status
///   fluxdeck status -n flux-system -o json | jq '.kustomizations[] | select(.ok | not)'
///   fluxdeck --kubeconfig ./kc status -A -o yaml
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment)]
pub struct StatusArgs {
    /// Output format: `table` (aligned columns like `flux get all`), `json` (see
    /// schema/status.schema.json) or `yaml` (the same document).
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table")]
    pub output: Format,
    /// How long to wait for the first lists (e.g. `30s`, `2m`).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Which pods the release lanes read: a namespace, `all`, or `auto` (the default: the
    /// namespaces of the Kustomizations' workloads, or all namespaces with -A).
    #[arg(long, value_name = "NS")]
    pub app_namespace: Option<String>,
    /// Where commits and image tags come from, as for the TUI.
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// The output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, a section per kind.
    Table,
    /// One JSON document (schema/status.schema.json).
    Json,
    /// The JSON document as YAML.
    Yaml,
}

/// A duration flag: Go's syntax (`90s`, `5m`, `1m30s`, `500ms`), as the flux CLI takes it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::model::duration::parse_go_duration(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{text}` is not a duration; write it like 30s, 5m or 1m30s"))
}

/// Runs `fluxdeck status`.
pub fn run(global: &GlobalArgs, args: StatusArgs) -> anyhow::Result<ExitCode> {
    super::logging::init_logging(global);
    let headless = Headless::new(global, args.app_namespace.as_deref(), &args.sources)?;
    let report = headless.run(async |channels, pods| {
        let state = collect(channels, pods, args.timeout).await;
        state.map(|s| report(&s))
    })?;
    let text = match args.output {
        Format::Table => table(&report),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        Format::Yaml => serde_saphyr::to_string(&report)?,
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error of the status.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests;
