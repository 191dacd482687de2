//! Connecting like kubectl: `--kubeconfig`, then `$KUBECONFIG` (merged, colon-separated),
//! then `~/.kube/config`; `--context` or the current context; the context's namespace unless
//! `-n` is given.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::workers::proxy::proxy_for;

/// Where and how to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
}

/// A connected client and what it was made from.
#[derive(Clone)]
pub struct Connection {
    /// The kube client.
    pub client: kube::Client,
    /// The context name (as kubectl shows it).
    pub context: String,
    /// The context's default namespace.
    pub default_namespace: String,
    /// The API server URL.
    pub server: String,
    /// All context names of the kubeconfig (for `:ctx`).
    pub contexts: Vec<String>,
}

/// What to try when there is no cluster to connect to.
const TRY_DEMO: &str = "to try fluxdeck without a cluster: fluxdeck demo";

/// Why fluxdeck could not build a client.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// There is no kubeconfig where kubectl would look (and fluxdeck is not in a pod).
    #[error(
        "no kubeconfig: {path} does not exist; pass --kubeconfig PATH or set KUBECONFIG ({TRY_DEMO})"
    )]
    Missing {
        /// Where it was looked for.
        path: String,
    },
    /// The kubeconfig could not be read.
    #[error("cannot read the kubeconfig {path}: {cause}; fix it or pass --kubeconfig PATH")]
    Read {
        /// Which file(s).
        path: String,
        /// Why.
        cause: String,
    },
    /// The context does not exist.
    #[error(
        "context '{context}' is not in the kubeconfig {path} (contexts: {available}); pick one with --context NAME ({TRY_DEMO})"
    )]
    NoContext {
        /// The requested context.
        context: String,
        /// The file(s) read.
        path: String,
        /// The contexts there are.
        available: String,
    },
    /// Neither `--context` nor the kubeconfig's `current-context` names a context.
    #[error(
        "the kubeconfig {path} has no current context (contexts: {available}); pick one with --context NAME or `kubectl config use-context NAME`"
    )]
    NoCurrentContext {
        /// The file(s) read.
        path: String,
        /// The contexts there are.
        available: String,
    },
    /// The kubeconfig names things that are not usable.
    #[error("the kubeconfig's context '{context}' is not usable: {cause}")]
    Invalid {
        /// The context.
        context: String,
        /// Why.
        cause: String,
    },
}

/// Where the cluster's configuration comes from, as kubectl looks for it.
enum Found {
    /// A kubeconfig (`path` names the file or files read).
    Kubeconfig {
        config: Box<Kubeconfig>,
        path: String,
    },
    /// No kubeconfig, inside a pod: the service account (`KUBERNETES_SERVICE_HOST`).
    InCluster,
}

/// The context name shown for the in-cluster configuration.
pub const IN_CLUSTER: &str = "in-cluster";

fn read_file(path: &Path) -> Result<Kubeconfig, ConnectError> {
    Kubeconfig::read_from(path).map_err(|e| ConnectError::Read {
        path: path.display().to_string(),
        cause: e.to_string(),
    })
}

/// `--kubeconfig`, else the files of `$KUBECONFIG` that exist (merged, as kubectl skips the
/// missing ones), else `~/.kube/config`, else the in-cluster configuration when
/// `KUBERNETES_SERVICE_HOST` is set.
fn find(options: &ConnectOptions) -> Result<Found, ConnectError> {
    if let Some(path) = &options.kubeconfig {
        if !path.exists() {
            return Err(ConnectError::Missing {
                path: path.display().to_string(),
            });
        }
        return Ok(Found::Kubeconfig {
            config: Box::new(read_file(path)?),
            path: path.display().to_string(),
        });
    }
    if let Some(value) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let listed: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let existing: Vec<&PathBuf> = listed.iter().filter(|p| p.exists()).collect();
        let named = value.to_string_lossy().into_owned();
        if existing.is_empty() {
            return Err(ConnectError::Missing {
                path: format!("KUBECONFIG={named}"),
            });
        }
        let mut merged = Kubeconfig::default();
        for p in existing {
            merged = merged
                .merge(read_file(p)?)
                .map_err(|e| ConnectError::Read {
                    path: named.clone(),
                    cause: e.to_string(),
                })?;
        }
        return Ok(Found::Kubeconfig {
            config: Box::new(merged),
            path: named,
        });
    }
    let default = std::env::home_dir().map(|h| h.join(".kube").join("config"));
    match default {
        Some(path) if path.exists() => Ok(Found::Kubeconfig {
            config: Box::new(read_file(&path)?),
            path: path.display().to_string(),
        }),
        _ if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => Ok(Found::InCluster),
        path => Err(ConnectError::Missing {
            path: path.map_or_else(|| "~/.kube/config".into(), |p| p.display().to_string()),
        }),
    }
}

/// The context to use: `--context`, else the current one; it must exist.
fn choose_context(
    options: &ConnectOptions,
    config: &Kubeconfig,
    path: &str,
) -> Result<String, ConnectError> {
    let names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    let available = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    };
    let context = options
        .context
        .clone()
        .or_else(|| config.current_context.clone())
        .filter(|c| !c.is_empty());
    match context {
        None => Err(ConnectError::NoCurrentContext {
            path: path.to_owned(),
            available,
        }),
        Some(c) if !names.contains(&c.as_str()) => Err(ConnectError::NoContext {
            context: c,
            path: path.to_owned(),
            available,
        }),
        Some(c) => Ok(c),
    }
}

/// What fluxdeck checks before it touches the terminal: there is a kubeconfig (or fluxdeck
/// runs in a pod) and the context exists. No request is made: a cluster that is down at
/// start is not an error (the worker keeps retrying).
pub fn preflight(options: &ConnectOptions) -> Result<(), ConnectError> {
    match find(options)? {
        Found::Kubeconfig { config, path } => choose_context(options, &config, &path).map(drop),
        Found::InCluster => Ok(()),
    }
}

fn read(options: &ConnectOptions) -> Result<Kubeconfig, ConnectError> {
    match find(options)? {
        Found::Kubeconfig { config, .. } => Ok(*config),
        Found::InCluster => Ok(Kubeconfig::default()),
    }
}

/// The context names of the kubeconfig, for completion and `:ctx`.
pub fn contexts(options: &ConnectOptions) -> Result<Vec<String>, ConnectError> {
    Ok(read(options)?
        .contexts
        .iter()
        .map(|c| c.name.clone())
        .collect())
}

/// Builds a client for the chosen context (or the pod's service account). No request is
/// made yet. `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` are honoured as kubectl honours them,
/// unless the kubeconfig's cluster sets `proxy-url`.
pub async fn connect(options: &ConnectOptions) -> Result<Connection, ConnectError> {
    connect_with_env(options, |name| std::env::var(name).ok()).await
}

/// [`connect`] with the proxy variables read through `var` (tests pass their own).
pub async fn connect_with_env(
    options: &ConnectOptions,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Connection, ConnectError> {
    let (mut config, context, contexts) = match find(options)? {
        Found::Kubeconfig { config, path } => {
            let context = choose_context(options, &config, &path)?;
            let names: Vec<String> = config.contexts.iter().map(|c| c.name.clone()).collect();
            let kc_options = KubeConfigOptions {
                context: Some(context.clone()),
                ..KubeConfigOptions::default()
            };
            let config = kube::Config::from_custom_kubeconfig(*config, &kc_options)
                .await
                .map_err(|e| ConnectError::Invalid {
                    context: context.clone(),
                    cause: e.to_string(),
                })?;
            (config, context, names)
        }
        Found::InCluster => {
            let config = kube::Config::incluster().map_err(|e| ConnectError::Invalid {
                context: IN_CLUSTER.into(),
                cause: format!(
                    "{e} (KUBERNETES_SERVICE_HOST is set and there is no kubeconfig, so fluxdeck uses the pod's service account)"
                ),
            })?;
            (config, IN_CLUSTER.to_owned(), Vec::new())
        }
    };
    // kube's built-in retry hides 429/503/504 behind up to 15 silent retries that follow
    // Retry-After; the watchers back off themselves and must see the failure to put
    // "retrying" in the header, and an action must fail visibly rather than hang.
    config.default_retry = false;
    if config.proxy_url.is_none() {
        config.proxy_url = proxy_for(&config.cluster_url, var);
    }
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| ConnectError::Invalid {
        context: context.clone(),
        cause: e.to_string(),
    })?;
    Ok(Connection {
        client,
        context,
        default_namespace,
        server,
        contexts,
    })
}
