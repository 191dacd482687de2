//! Connecting like kubectl: `--kubeconfig`, then `$KUBECONFIG` (merged, colon-separated),
//! then `~/.kube/config`; `--context` or the current context; the context's namespace unless
//! `-n` is given.

use std::path::{Path, PathBuf};

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

/// The proxy for `url` from proxy variables read with `var`, as Go's (and so kubectl's)
/// `ProxyFromEnvironment`: `HTTPS_PROXY` (or `https_proxy`) for https URLs, `HTTP_PROXY`
/// for http ones, none when `NO_PROXY` names the host (`*`, the host or an IP, a domain and
/// its subdomains with or without a leading dot, `host:port`).
pub fn proxy_for(url: &http::Uri, var: impl Fn(&str) -> Option<String>) -> Option<http::Uri> {
    let get = |upper: &str| {
        var(upper)
            .or_else(|| var(&upper.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let proxy = match url.scheme_str() {
        Some("https") => get("HTTPS_PROXY"),
        _ => get("HTTP_PROXY"),
    }?;
    let host = url.host()?.trim_start_matches('[').trim_end_matches(']');
    let port = url
        .port_u16()
        .unwrap_or(if url.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    if let Some(no_proxy) = get("NO_PROXY")
        && no_proxy
            .split(',')
            .map(str::trim)
            .any(|rule| bypasses(rule, host, port))
    {
        return None;
    }
    // A proxy without a scheme is an http proxy, as Go reads it.
    let proxy = if proxy.contains("://") {
        proxy
    } else {
        format!("http://{proxy}")
    };
    proxy.parse().ok()
}

fn bypasses(rule: &str, host: &str, port: u16) -> bool {
    if rule.is_empty() {
        return false;
    }
    if rule == "*" {
        return true;
    }
    let (rule_host, rule_port) = match rule.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.parse::<u16>().is_ok() => (h, p.parse::<u16>().ok()),
        _ => (rule, None),
    };
    if rule_port.is_some_and(|p| p != port) {
        return false;
    }
    let rule_host = rule_host.trim_start_matches('[').trim_end_matches(']');
    if let Some((net, bits)) = rule_host.split_once('/') {
        return in_cidr(host, net, bits);
    }
    let domain = rule_host.trim_start_matches('.');
    host.eq_ignore_ascii_case(domain)
        || host
            .to_ascii_lowercase()
            .ends_with(&format!(".{}", domain.to_ascii_lowercase()))
}

fn in_cidr(host: &str, net: &str, bits: &str) -> bool {
    use std::net::IpAddr;
    let (Ok(host), Ok(net), Ok(bits)) = (
        host.parse::<IpAddr>(),
        net.parse::<IpAddr>(),
        bits.parse::<u32>(),
    ) else {
        return false;
    };
    let (h, n, width) = match (host, net) {
        (IpAddr::V4(h), IpAddr::V4(n)) => (u128::from(h.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(h), IpAddr::V6(n)) => (h.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    bits == 0 || (h >> shift) == (n >> shift)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        proxy_for(&url.parse().unwrap(), |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .map(|u| u.to_string())
    }

    #[test]
    fn proxies_follow_the_scheme_and_no_proxy_as_kubectl() {
        let env = [
            ("HTTPS_PROXY", "http://proxy.corp:3128"),
            ("http_proxy", "proxy.corp:8080"),
        ];
        assert_eq!(
            proxy("https://api.eks.example.com", &env).as_deref(),
            Some("http://proxy.corp:3128/")
        );
        assert_eq!(
            proxy("http://127.0.0.1:6443", &env).as_deref(),
            Some("http://proxy.corp:8080/")
        );
        assert_eq!(proxy("https://h", &[]), None);
        let with = |no: &str| {
            let mut e = env.to_vec();
            e.push(("NO_PROXY", no));
            proxy("https://api.eks.example.com:443", &e)
        };
        for rule in [
            "*",
            "example.com",
            ".example.com",
            "api.eks.example.com",
            "x, eks.example.com ",
            "api.eks.example.com:443",
        ] {
            assert_eq!(with(rule), None, "{rule}");
        }
        for rule in ["other.com", "ample.com", "api.eks.example.com:6443", ""] {
            assert!(with(rule).is_some(), "{rule}");
        }
        let ip = |no: &str| {
            proxy(
                "https://10.1.2.3:6443",
                &[("HTTPS_PROXY", "http://p:1"), ("no_proxy", no)],
            )
        };
        assert_eq!(ip("10.0.0.0/8"), None);
        assert_eq!(ip("10.1.2.3"), None);
        assert!(ip("192.168.0.0/16").is_some());
    }
}
