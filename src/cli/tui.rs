//! The TUI command (fluxdeck's default): terminal setup and restore, and [`run_tui`], which
//! the cluster worker step calls with its channels.
//!
//! The terminal is restored on every exit path: normal quit, error (the guard's `Drop`),
//! and panic (a hook restores it before the panic message prints, so the message is
//! readable and the shell is usable).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Once;

use clap::Args;
use crossterm::event::EventStream;
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::state::{Command, PodsWatch, Update};
use crate::ui::app::{App, AppConfig};
use crate::ui::clock::SystemClock;
use crate::ui::keymap::{Keymap, user_keys_path};
use crate::ui::theme::{Themes, initial_theme_name};

use super::global::GlobalArgs;
use crate::workers::cluster::connect::ConnectOptions;
use crate::workers::cluster::worker::{ClusterConfig, FluxNamespaces};
use crate::workers::ecr::EcrClientConfig;
use crate::workers::hub::HubConfig;

/// Flags of the TUI.
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Colour theme: default, light, high-contrast, mono, or NAME for
    /// $XDG_CONFIG_HOME/fluxdeck/themes/NAME.toml. Default: mono when NO_COLOR is set,
    /// else default. Switch at run time with `:theme NAME`.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Refuse every action (suspend, resume, reconcile) locally: no write request is sent.
    /// Toggle at run time with `:readonly`.
    #[arg(long)]
    pub readonly: bool,
    /// Which pods the pods pane watches: a namespace, `all`, or `auto`. Default (`auto`):
    /// the namespaces that hold the workloads (Deployments, StatefulSets, DaemonSets) in the
    /// watched Kustomizations' inventories, or all namespaces with -A. The pane shows the pods of
    /// the Kustomization under the cursor, or all watched pods when it applied no workload.
    /// Switch at run time with `:pods NS|all|auto`.
    #[arg(long, value_name = "NS")]
    pub app_namespace: Option<String>,
    /// Ring the terminal bell and send a desktop notification (OSC 9; wrapped for tmux's
    /// passthrough when $TMUX is set, which needs `set -g allow-passthrough on`) when a
    /// release rolls out or stays blocked for 10 s, once per release and state.
    #[arg(long)]
    pub notify: bool,
    /// Record every update fluxdeck applies (with its time) and every request the keys
    /// send, as JSON lines in FILE; `fluxdeck replay FILE` plays it back.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Where commits and image tags come from.
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// The flags of the git worker and the registry scanner, shared by the TUI and the headless
/// commands that start the same workers (`status`).
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Also show the log of this config repository in the commits pane (repeatable), before
    /// the cluster's repositories: the first one given is the pane's first. A local
    /// path (working tree or bare) is read in place and never written; a URL is mirrored
    /// under $XDG_CACHE_HOME/fluxdeck/git. The GitRepositories the Kustomizations and
    /// ImageUpdateAutomations use are followed without this flag. SSH URLs go where
    /// ~/.ssh/config sends them (HostName, Port, User, IdentityFile), and the host key must be
    /// in ~/.ssh/known_hosts. Git credentials, tried in this order: every key in the SSH agent,
    /// then the host's IdentityFile or ~/.ssh/id_ed25519, id_ecdsa, id_rsa (ssh URLs); a token
    /// in $FLUXDECK_GIT_TOKEN or $GIT_TOKEN, then your git credential helpers (https URLs).
    /// Cluster Secrets are never read, and nothing is ever pushed.
    #[arg(long = "repo", value_name = "PATH|URL")]
    pub repos: Vec<String>,
    /// Send every ECR call (DescribeImages) to this endpoint instead of AWS: a VPC endpoint,
    /// moto, or the sandbox's ECR-compatible registry. $AWS_ENDPOINT_URL_ECR is honoured
    /// when unset. Credentials come from the default AWS chain (environment, $AWS_PROFILE with
    /// keys, credential_process, SSO (sso_session or legacy; run `aws sso login --profile
    /// NAME` first) or assume-role, web identity, ECS and instance roles).
    #[arg(long, value_name = "URL")]
    pub ecr_endpoint: Option<String>,
    /// The AWS region for ECR calls. Default: the region in each image's ECR host
    /// (`<account>.dkr.ecr.<region>.amazonaws.com`), not $AWS_REGION, since a repository
    /// lives in exactly one region.
    #[arg(long, value_name = "REGION")]
    pub ecr_region: Option<String>,
}

/// How the TUI starts, read from flags and the environment.
#[derive(Debug, Clone)]
pub struct TuiConfig {
    /// The theme asked for (`--theme`), if any.
    pub theme: Option<String>,
    /// Start read-only.
    pub read_only: bool,
    /// Which pods are watched.
    pub pods: PodsWatch,
    /// The user's key file (`$XDG_CONFIG_HOME/fluxdeck/keys.toml`).
    pub keys_file: Option<PathBuf>,
    /// The user's theme directory (`$XDG_CONFIG_HOME/fluxdeck/themes`).
    pub themes_dir: Option<PathBuf>,
    /// The value of `NO_COLOR`, if set.
    pub no_color: Option<String>,
    /// `--notify`: bell and OSC 9 notifications of releases.
    pub notify: bool,
    /// Whether the terminal is tmux (`$TMUX` is set): notifications and the clipboard need
    /// its passthrough.
    pub tmux: bool,
    /// `--record FILE`.
    pub record: Option<PathBuf>,
}

impl TuiConfig {
    /// The configuration from the flags, the user's config directory and `NO_COLOR`.
    pub fn from_args(global: &GlobalArgs, args: &TuiArgs) -> TuiConfig {
        TuiConfig::new(
            args.theme.clone(),
            args.readonly,
            pods_watch(global, args),
            args.notify,
            args.record.clone(),
        )
    }

    /// The configuration from the values of `--theme`, `--readonly`, the pods to watch,
    /// `--notify` and `--record`, with the user's config directory and the environment
    /// (`NO_COLOR`, `TMUX`).
    pub fn new(
        theme: Option<String>,
        read_only: bool,
        pods: PodsWatch,
        notify: bool,
        record: Option<PathBuf>,
    ) -> TuiConfig {
        TuiConfig {
            theme,
            read_only,
            pods,
            keys_file: user_keys_path(),
            themes_dir: Themes::default_user_dir(),
            no_color: std::env::var("NO_COLOR").ok(),
            notify,
            tmux: std::env::var_os("TMUX").is_some(),
            record,
        }
    }

    /// Reads the key file and the theme; errors name the file, line and fix.
    pub fn app_config(&self) -> anyhow::Result<AppConfig> {
        let keymap = match &self.keys_file {
            Some(path) => Keymap::load(path)?,
            None => Keymap::defaults(),
        };
        let themes = Themes::new(self.themes_dir.clone());
        let name = initial_theme_name(self.theme.as_deref(), self.no_color.as_deref());
        let theme = themes.get(&name)?;
        Ok(AppConfig {
            read_only: self.read_only,
            theme,
            themes,
            keymap,
            pods: self.pods.clone(),
        })
    }
}

/// The default command: opens the TUI on the kubeconfig's cluster, with the cluster
/// worker feeding it. Flux panes show the context's namespace (as kubectl), `-n NS`, or all
/// namespaces with `-A`.
pub fn run(global: &GlobalArgs, args: TuiArgs) -> anyhow::Result<ExitCode> {
    crate::heap::use_one_arena();
    super::logging::init_logging(global);
    let config = TuiConfig::from_args(global, &args);
    // Read the config before touching the terminal, so its errors print plainly.
    config.app_config()?;
    let cluster = cluster_config(global, &args);
    let hub = hub_config(&args.sources)?;
    // No kubeconfig or an unknown context is said at once, in one line; a cluster that is
    // down is not checked here (the worker keeps retrying).
    crate::workers::cluster::connect::preflight(&cluster.connect)?;
    need_a_terminal()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run_with_cluster(config, cluster, hub))?;
    Ok(ExitCode::SUCCESS)
}

/// The TUI draws on stdout and reads keys from stdin: both must be a terminal, or it would
/// wait on a query nobody answers or draw into a file.
fn need_a_terminal() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let not: Vec<&str> = [
        ("stdin", io::stdin().is_terminal()),
        ("stdout", io::stdout().is_terminal()),
    ]
    .into_iter()
    .filter(|(_, tty)| !tty)
    .map(|(name, _)| name)
    .collect();
    let what = match not.as_slice() {
        [] => return Ok(()),
        [one] => format!("{one} is not one"),
        _ => "stdin and stdout are not terminals".to_owned(),
    };
    Err(anyhow::anyhow!(
        "fluxdeck's TUI needs a terminal: {what}; run it in a terminal, not in a pipe or a script"
    ))
}

/// The cluster worker's configuration from the global flags.
pub fn cluster_config(global: &GlobalArgs, args: &TuiArgs) -> ClusterConfig {
    cluster_config_with(global, pods_watch(global, args), args.readonly)
}

/// The cluster worker's configuration from the global flags, the pods to watch and whether
/// every write is refused.
pub fn cluster_config_with(global: &GlobalArgs, pods: PodsWatch, read_only: bool) -> ClusterConfig {
    ClusterConfig {
        connect: ConnectOptions {
            kubeconfig: global.kubeconfig.clone(),
            context: global.context.clone(),
        },
        namespace: match (&global.namespace, global.all_namespaces) {
            (_, true) => FluxNamespaces::All,
            (Some(ns), false) => FluxNamespaces::Namespace(ns.clone()),
            (None, false) => FluxNamespaces::Context,
        },
        pods,
        read_only,
        action_timeout: std::time::Duration::from_secs(300),
    }
}

/// Which pods to watch: `--app-namespace`, else all of them with `-A`, else the namespaces
/// of the Kustomizations' workloads.
pub fn pods_watch(global: &GlobalArgs, args: &TuiArgs) -> PodsWatch {
    pods_watch_for(global, args.app_namespace.as_deref())
}

/// [`pods_watch`] for any command with an `--app-namespace` flag.
pub fn pods_watch_for(global: &GlobalArgs, app_namespace: Option<&str>) -> PodsWatch {
    match (app_namespace, global.all_namespaces) {
        (Some(word), _) => PodsWatch::from_word(word),
        (None, true) => PodsWatch::All,
        (None, false) => PodsWatch::Workloads,
    }
}

/// The hub's configuration from the flags: `--repo`, `--ecr-endpoint`, `--ecr-region`.
/// A bad endpoint is an error before the terminal is touched.
pub fn hub_config(args: &SourceArgs) -> anyhow::Result<HubConfig> {
    let ecr = EcrClientConfig {
        endpoint_url: args.ecr_endpoint.clone(),
        region: args.ecr_region.clone(),
        ..EcrClientConfig::default()
    };
    ecr.validate()?;
    Ok(HubConfig {
        repos: args.repos.clone(),
        ecr,
        ..HubConfig::default()
    })
}

/// Runs the cluster worker, the hub (with the git worker and the registry scanner) and
/// the TUI together until the user quits.
pub async fn run_with_cluster(
    config: TuiConfig,
    cluster: ClusterConfig,
    hub: HubConfig,
) -> anyhow::Result<()> {
    let (channels, tasks) = crate::workers::start(cluster, hub);
    let result = run_tui(config, channels.updates, channels.commands).await;
    drop(tasks);
    result
}

/// Runs the TUI on the real terminal until the user quits. Workers send [`Update`]s on
/// `updates` and receive [`Command`]s on `commands`; call this inside a tokio runtime.
pub async fn run_tui(
    config: TuiConfig,
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Command>,
) -> anyhow::Result<()> {
    let app = config.app(commands, Box::new(SystemClock))?;
    run_app(app, EventStream::new(), updates).await
}

impl TuiConfig {
    /// The app as configured: keys, theme, `--notify`, `--record` (whose file is created
    /// here, so a bad path is an error before the terminal is touched).
    pub fn app(
        &self,
        commands: mpsc::Sender<Command>,
        clock: Box<dyn crate::ui::clock::Clock>,
    ) -> anyhow::Result<App> {
        // `c` copies over OSC 52 to the frames' terminal, written between frames.
        let mut app = App::new(self.app_config()?, commands, clock)
            .with_clipboard(Box::new(io::stdout()), self.tmux);
        if self.notify {
            // The frames' own stream: std's stdout is one buffered handle, written between
            // frames only.
            app = app.with_notifications(Box::new(io::stdout()), self.tmux);
        }
        if let Some(path) = &self.record {
            app = app.with_recorder(crate::ui::record::Recorder::create(path)?);
        }
        Ok(app)
    }
}

/// Runs `app` on the real terminal with terminal `events` until the user quits; the
/// terminal is restored on every way out.
pub async fn run_app<S>(
    mut app: App,
    events: S,
    updates: mpsc::Receiver<Update>,
) -> anyhow::Result<()>
where
    S: futures::Stream<Item = io::Result<crossterm::event::Event>> + Unpin,
{
    let _guard = TerminalGuard::enter()?;
    // Not `Terminal::clear`: it asks the terminal where the cursor is (ESC[6n) and fails
    // when no answer comes within 2 s (a slow SSH link, a terminal that ignores the query).
    // The guard cleared the alternate screen; a full-screen viewport never asks.
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    app.run(&mut terminal, events, updates).await
}

/// Raw mode and the alternate screen, undone on drop (every exit path but `abort`).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            cursor::Hide,
            terminal::Clear(terminal::ClearType::All),
            cursor::MoveTo(0, 0)
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Leaves the alternate screen, shows the cursor and leaves raw mode. Errors are ignored:
/// this runs while exiting, when nothing better can be done.
fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal before the default hook prints a panic.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(theme: Option<&str>, no_color: Option<&str>, keys: Option<PathBuf>) -> TuiConfig {
        TuiConfig {
            theme: theme.map(str::to_owned),
            read_only: false,
            pods: PodsWatch::Workloads,
            keys_file: keys,
            themes_dir: None,
            no_color: no_color.map(str::to_owned),
            notify: false,
            tmux: false,
            record: None,
        }
    }

    #[test]
    fn no_color_starts_mono_and_bad_config_is_an_error() {
        let app = config(None, Some("1"), None).app_config().unwrap();
        assert_eq!(app.theme.name, "mono");
        let err = config(Some("solarized"), None, None)
            .app_config()
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("there is no theme `solarized`"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys.toml");
        std::fs::write(&keys, "[keys]\nsuspend = \"Ctl-s\"\n").unwrap();
        let err = config(None, None, Some(keys)).app_config().err().unwrap();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    fn args(endpoint: Option<&str>) -> TuiArgs {
        TuiArgs {
            theme: None,
            readonly: false,
            app_namespace: None,
            notify: false,
            record: None,
            sources: SourceArgs {
                repos: vec!["/srv/flux-repo".into(), "https://example.com/r.git".into()],
                ecr_endpoint: endpoint.map(str::to_owned),
                ecr_region: Some("eu-west-1".into()),
            },
        }
    }

    #[test]
    fn router_flags_reach_the_router_and_a_bad_endpoint_is_an_error() {
        let hub = hub_config(&args(Some("http://127.0.0.1:5000")).sources).unwrap();
        assert_eq!(hub.repos.len(), 2);
        assert_eq!(
            hub.ecr.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(hub.ecr.region.as_deref(), Some("eu-west-1"));
        let err = hub_config(&args(Some("127.0.0.1:5000")).sources).unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:5000"), "{err}");
    }
}

#[cfg(test)]
mod pods_tests {
    use super::*;

    #[test]
    fn app_namespace_then_all_namespaces_then_the_workloads_pick_the_pods() {
        let global = |all| GlobalArgs {
            all_namespaces: all,
            ..GlobalArgs::default()
        };
        let args = |ns: Option<&str>| TuiArgs {
            theme: None,
            readonly: false,
            app_namespace: ns.map(str::to_owned),
            notify: false,
            record: None,
            sources: SourceArgs::default(),
        };
        assert_eq!(
            pods_watch(&global(false), &args(None)),
            PodsWatch::Workloads
        );
        assert_eq!(pods_watch(&global(true), &args(None)), PodsWatch::All);
        assert_eq!(
            pods_watch(&global(true), &args(Some("team-a"))),
            PodsWatch::Namespace("team-a".into())
        );
        assert_eq!(
            pods_watch(&global(false), &args(Some("all"))),
            PodsWatch::All
        );
    }
}
