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

use crate::state::{Command, Update};
use crate::ui::app::{App, AppConfig};
use crate::ui::clock::SystemClock;
use crate::ui::keymap::{Keymap, user_keys_path};
use crate::ui::themes::{Themes, initial_theme_name};

use super::GlobalArgs;
use crate::workers::cluster::connect::ConnectOptions;
use crate::workers::cluster::worker::ClusterConfig;
use crate::workers::registry::EcrClientConfig;
use crate::workers::router::{RouterChannels, RouterConfig, spawn_router};

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
    /// Namespace of the application pods pane (switch with `:pods NS`).
    #[arg(long, value_name = "NS", default_value = "sock-shop")]
    pub app_namespace: String,
    /// Also show the log of this config repository in the commits pane (repeatable). A local
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
    /// The pods pane's namespace.
    pub app_namespace: String,
    /// The user's key file (`$XDG_CONFIG_HOME/fluxdeck/keys.toml`).
    pub keys_file: Option<PathBuf>,
    /// The user's theme directory (`$XDG_CONFIG_HOME/fluxdeck/themes`).
    pub themes_dir: Option<PathBuf>,
    /// The value of `NO_COLOR`, if set.
    pub no_color: Option<String>,
}

impl TuiConfig {
    /// The configuration from the flags, the user's config directory and `NO_COLOR`.
    pub fn from_args(args: &TuiArgs) -> TuiConfig {
        TuiConfig {
            theme: args.theme.clone(),
            read_only: args.readonly,
            app_namespace: args.app_namespace.clone(),
            keys_file: user_keys_path(),
            themes_dir: Themes::default_user_dir(),
            no_color: std::env::var("NO_COLOR").ok(),
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
            app_namespace: self.app_namespace.clone(),
        })
    }
}

/// The default command: opens the TUI on the kubeconfig's cluster, with the cluster
/// worker feeding it. Flux panes show all namespaces unless `-n NS` is given.
pub fn run(global: &GlobalArgs, args: TuiArgs) -> anyhow::Result<ExitCode> {
    crate::ui::heap::use_one_arena();
    super::init_logging(global);
    let config = TuiConfig::from_args(&args);
    // Read the config before touching the terminal, so its errors print plainly.
    config.app_config()?;
    let cluster = cluster_config(global, &args);
    let router = router_config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run_with_cluster(config, cluster, router))?;
    Ok(ExitCode::SUCCESS)
}

/// The cluster worker's configuration from the global flags.
pub fn cluster_config(global: &GlobalArgs, args: &TuiArgs) -> ClusterConfig {
    ClusterConfig {
        connect: ConnectOptions {
            kubeconfig: global.kubeconfig.clone(),
            context: global.context.clone(),
        },
        namespace: if global.all_namespaces {
            None
        } else {
            global.namespace.clone()
        },
        pods_namespace: args.app_namespace.clone(),
        read_only: args.readonly,
        action_timeout: std::time::Duration::from_secs(300),
    }
}

/// The router's configuration from the flags: `--repo`, `--ecr-endpoint`, `--ecr-region`.
/// A bad endpoint is an error before the terminal is touched.
pub fn router_config(args: &TuiArgs) -> anyhow::Result<RouterConfig> {
    let ecr = EcrClientConfig {
        endpoint_url: args.ecr_endpoint.clone(),
        region: args.ecr_region.clone(),
        ..EcrClientConfig::default()
    };
    ecr.validate()?;
    Ok(RouterConfig {
        repos: args.repos.clone(),
        ecr,
        ..RouterConfig::default()
    })
}

/// Runs the cluster worker, the router (with the git worker and the registry scanner) and
/// the TUI together until the user quits.
pub async fn run_with_cluster(
    config: TuiConfig,
    cluster: ClusterConfig,
    router: RouterConfig,
) -> anyhow::Result<()> {
    let (cluster_updates, from_cluster) = mpsc::channel::<Update>(4096);
    let (to_cluster, cluster_commands) = mpsc::channel::<Command>(64);
    let (to_ui, updates) = mpsc::channel::<Update>(4096);
    let (commands, from_ui) = mpsc::channel::<Command>(64);
    let worker = tokio::spawn(crate::workers::cluster::worker::run(
        cluster,
        cluster_updates,
        cluster_commands,
    ));
    let router = spawn_router(
        router,
        RouterChannels {
            from_cluster,
            to_ui,
            from_ui,
            to_cluster,
        },
    );
    let result = run_tui(config, updates, commands).await;
    router.abort();
    worker.abort();
    result
}

/// Runs the TUI on the real terminal until the user quits. Workers send [`Update`]s on
/// `updates` and receive [`Command`]s on `commands`; call this inside a tokio runtime.
pub async fn run_tui(
    config: TuiConfig,
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Command>,
) -> anyhow::Result<()> {
    let app_config = config.app_config()?;
    let mut app = App::new(app_config, commands, Box::new(SystemClock));
    let _guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    app.run(&mut terminal, EventStream::new(), updates).await
}

/// Raw mode and the alternate screen, undone on drop (every exit path but `abort`).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
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
            app_namespace: "sock-shop".into(),
            keys_file: keys,
            themes_dir: None,
            no_color: no_color.map(str::to_owned),
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
            app_namespace: "sock-shop".into(),
            repos: vec!["/srv/flux-repo".into(), "https://example.com/r.git".into()],
            ecr_endpoint: endpoint.map(str::to_owned),
            ecr_region: Some("eu-west-1".into()),
        }
    }

    #[test]
    fn router_flags_reach_the_router_and_a_bad_endpoint_is_an_error() {
        let router = router_config(&args(Some("http://127.0.0.1:5000"))).unwrap();
        assert_eq!(router.repos.len(), 2);
        assert_eq!(
            router.ecr.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(router.ecr.region.as_deref(), Some("eu-west-1"));
        let err = router_config(&args(Some("127.0.0.1:5000"))).unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:5000"), "{err}");
    }
}
