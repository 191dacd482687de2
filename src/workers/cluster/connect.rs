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
#[cfg(feature = "sandbox")]
const TRY_DEMO: &str = "to try fluxdeck without a cluster: fluxdeck demo";
#[cfg(not(feature = "sandbox"))]
const TRY_DEMO: &str =
    "to try fluxdeck without a cluster: fluxdeck demo, in a build with the default features";

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
    InCluster(ServiceAccount),
}

/// A pod's way to the API server, as client-go's `InClusterConfig` reads it:
/// `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the service account's token
/// (re-read as the kubelet rotates it) and CA, and the namespace in `POD_NAMESPACE` or the
/// service account's `namespace` file (else `default`), as kubectl takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    /// `KUBERNETES_SERVICE_HOST` (an IPv6 address without brackets, as Kubernetes sets it).
    pub host: String,
    /// `KUBERNETES_SERVICE_PORT`.
    pub port: String,
    /// The directory holding `token`, `ca.crt` and `namespace`.
    pub dir: PathBuf,
    /// `POD_NAMESPACE`, which wins over the `namespace` file.
    pub pod_namespace: Option<String>,
}

impl ServiceAccount {
    /// Where the kubelet mounts a pod's service account.
    pub const DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// The service account of the pod fluxdeck runs in, if it runs in one (both variables
    /// set, as client-go requires).
    fn from_process() -> Option<ServiceAccount> {
        let set = |value: Result<String, std::env::VarError>| value.ok().filter(|v| !v.is_empty());
        Some(ServiceAccount {
            host: set(std::env::var("KUBERNETES_SERVICE_HOST"))?,
            port: set(std::env::var("KUBERNETES_SERVICE_PORT"))?,
            dir: PathBuf::from(Self::DIR),
            pod_namespace: set(std::env::var("POD_NAMESPACE")),
        })
    }

    /// A kubeconfig of one context, [`IN_CLUSTER`], that says what the pod has: read
    /// through kube's kubeconfig loader, the token file is re-read when it changes.
    fn kubeconfig(&self) -> Result<Kubeconfig, ConnectError> {
        use kube::config::{AuthInfo, Cluster, Context, NamedAuthInfo, NamedCluster, NamedContext};
        let invalid = |cause: String| ConnectError::Invalid {
            context: IN_CLUSTER.into(),
            cause: format!(
                "{cause} (KUBERNETES_SERVICE_HOST is set and there is no kubeconfig, so fluxdeck uses the pod's service account; mount it with automountServiceAccountToken: true or pass --kubeconfig)"
            ),
        };
        let token = self.dir.join("token");
        if !token.is_file() {
            return Err(invalid(format!("{} does not exist", token.display())));
        }
        let ca = self.dir.join("ca.crt");
        if !ca.is_file() {
            return Err(invalid(format!("{} does not exist", ca.display())));
        }
        let namespace = match &self.pod_namespace {
            Some(ns) => ns.clone(),
            None => std::fs::read_to_string(self.dir.join("namespace"))
                .ok()
                .map(|ns| ns.trim().to_string())
                .filter(|ns| !ns.is_empty())
                .unwrap_or_else(|| "default".into()),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let path = |p: PathBuf| p.display().to_string();
        Ok(Kubeconfig {
            clusters: vec![NamedCluster {
                name: IN_CLUSTER.into(),
                cluster: Some(Cluster {
                    server: Some(format!("https://{host}:{}", self.port)),
                    certificate_authority: Some(path(ca)),
                    ..Cluster::default()
                }),
                other: Default::default(),
            }],
            auth_infos: vec![NamedAuthInfo {
                name: IN_CLUSTER.into(),
                auth_info: Some(AuthInfo {
                    token_file: Some(path(token)),
                    ..AuthInfo::default()
                }),
                other: Default::default(),
            }],
            contexts: vec![NamedContext {
                name: IN_CLUSTER.into(),
                context: Some(Context {
                    cluster: IN_CLUSTER.into(),
                    user: Some(IN_CLUSTER.into()),
                    namespace: Some(namespace),
                    ..Context::default()
                }),
                other: Default::default(),
            }],
            current_context: Some(IN_CLUSTER.into()),
            ..Kubeconfig::default()
        })
    }
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
        path => match ServiceAccount::from_process() {
            Some(account) => Ok(Found::InCluster(account)),
            None => Err(ConnectError::Missing {
                path: path.map_or_else(|| "~/.kube/config".into(), |p| p.display().to_string()),
            }),
        },
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
        Found::InCluster(account) => account.kubeconfig().map(drop),
    }
}

fn read(options: &ConnectOptions) -> Result<Kubeconfig, ConnectError> {
    match find(options)? {
        Found::Kubeconfig { config, .. } => Ok(*config),
        Found::InCluster(_) => Ok(Kubeconfig::default()),
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

/// The client a pod gets from its service account `account` (what [`connect`] does with no
/// kubeconfig when `KUBERNETES_SERVICE_HOST` is set), with the proxy variables read through
/// `var`.
pub async fn connect_in_cluster(
    account: &ServiceAccount,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Connection, ConnectError> {
    finish(
        in_cluster(account).await?,
        IN_CLUSTER.to_owned(),
        Vec::new(),
        var,
    )
}

async fn in_cluster(account: &ServiceAccount) -> Result<kube::Config, ConnectError> {
    let options = KubeConfigOptions {
        context: Some(IN_CLUSTER.into()),
        ..KubeConfigOptions::default()
    };
    kube::Config::from_custom_kubeconfig(account.kubeconfig()?, &options)
        .await
        .map_err(|e| ConnectError::Invalid {
            context: IN_CLUSTER.into(),
            cause: format!(
                "{e} (from the pod's service account in {})",
                account.dir.display()
            ),
        })
}

/// [`connect`] with the proxy variables read through `var` (tests pass their own).
pub async fn connect_with_env(
    options: &ConnectOptions,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Connection, ConnectError> {
    let (config, context, contexts) = match find(options)? {
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
        Found::InCluster(account) => (
            in_cluster(&account).await?,
            IN_CLUSTER.to_owned(),
            Vec::new(),
        ),
    };
    finish(config, context, contexts, var)
}

/// The client for `config`, with fluxdeck's retry and proxy rules.
fn finish(
    mut config: kube::Config,
    context: String,
    contexts: Vec<String>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Connection, ConnectError> {
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
