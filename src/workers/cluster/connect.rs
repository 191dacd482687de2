//! Connecting like kubectl: `--kubeconfig`, then `$KUBECONFIG` (merged, colon-separated),
//! then `~/.kube/config`; `--context` or the current context; the context's namespace unless
//! `-n` is given.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};

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

/// Why fluxdeck could not build a client.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kubeconfig could not be read.
    #[error("cannot read the kubeconfig {path}: {cause}; pass --kubeconfig PATH or set KUBECONFIG")]
    Read {
        /// Which file(s).
        path: String,
        /// Why.
        cause: String,
    },
    /// The context does not exist.
    #[error(
        "context '{context}' is not in the kubeconfig (contexts: {available}); pick one with --context"
    )]
    NoContext {
        /// The requested context.
        context: String,
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

fn read(options: &ConnectOptions) -> Result<Kubeconfig, ConnectError> {
    match &options.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| ConnectError::Read {
            path: path.display().to_string(),
            cause: e.to_string(),
        }),
        None => Kubeconfig::read().map_err(|e| ConnectError::Read {
            path: std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into()),
            cause: e.to_string(),
        }),
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

/// Builds a client for the chosen context. No request is made yet.
pub async fn connect(options: &ConnectOptions) -> Result<Connection, ConnectError> {
    let kubeconfig = read(options)?;
    let names: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let context = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .unwrap_or_default();
    if !names.contains(&context) {
        return Err(ConnectError::NoContext {
            context,
            available: if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            },
        });
    }
    let kc_options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &kc_options)
        .await
        .map_err(|e| ConnectError::Invalid {
            context: context.clone(),
            cause: e.to_string(),
        })?;
    // kube's built-in retry hides 429/503/504 behind up to 15 silent retries that follow
    // Retry-After; the watchers back off themselves and must see the failure to put
    // "retrying" in the header, and an action must fail visibly rather than hang.
    config.default_retry = false;
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
        contexts: names,
    })
}
