//! The proxy a connection takes, from the proxy variables as Go's `ProxyFromEnvironment` reads
//! them (and so kubectl and Flux's controllers): one rule for the API server, git over HTTP(S)
//! and ECR.

/// The proxy variables, read once: what a worker that cannot take a closure (the git
/// worker's blocking fetches) keeps to pick each remote's proxy with [`proxy_for`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    vars: Vec<(String, String)>,
}

/// The variables [`proxy_for`] reads, in both spellings.
const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

impl ProxyEnv {
    /// The process's proxy variables.
    pub fn from_process() -> ProxyEnv {
        ProxyEnv::from_pairs(
            PROXY_VARS
                .iter()
                .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v))),
        )
    }

    /// Given variables (tests, or none at all with an empty list).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> ProxyEnv {
        ProxyEnv {
            vars: pairs
                .into_iter()
                .filter(|(name, _)| PROXY_VARS.contains(&name.as_str()))
                .collect(),
        }
    }

    /// A proxy variable (upper case, else lower case; empty is unset), with `http://` added
    /// to a proxy given without a scheme.
    pub fn var(&self, upper: &str) -> Option<String> {
        let value = lookup(&|name: &str| self.get(name), upper)?;
        Some(if upper.ends_with("_PROXY") && upper != "NO_PROXY" {
            with_scheme(value)
        } else {
            value
        })
    }

    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// The proxy for `url` (none for a URL that is not http(s), e.g. an SSH remote).
    pub fn proxy_for(&self, url: &str) -> Option<http::Uri> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return None;
        }
        let url: http::Uri = url.parse().ok()?;
        proxy_for(&url, |name| self.get(name))
    }
}

/// The proxy for `url` from proxy variables read with `var`, as Go's (and so kubectl's)
/// `ProxyFromEnvironment`: `HTTPS_PROXY` (or `https_proxy`) for https URLs, `HTTP_PROXY`
/// for http ones; none for `localhost` and loopback addresses (Go never proxies those), nor
/// when `NO_PROXY` names the host (`*`, the host or an IP, a domain and its subdomains with
/// or without a leading dot, `host:port`, a CIDR).
pub fn proxy_for(url: &http::Uri, var: impl Fn(&str) -> Option<String>) -> Option<http::Uri> {
    let proxy = match url.scheme_str() {
        Some("https") => lookup(&var, "HTTPS_PROXY"),
        _ => lookup(&var, "HTTP_PROXY"),
    }?;
    let host = url.host()?.trim_start_matches('[').trim_end_matches(']');
    if is_loopback(host) {
        return None;
    }
    let port = url
        .port_u16()
        .unwrap_or(if url.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    if let Some(no_proxy) = lookup(&var, "NO_PROXY")
        && no_proxy
            .split(',')
            .map(str::trim)
            .any(|rule| bypasses(rule, host, port))
    {
        return None;
    }
    with_scheme(proxy).parse().ok()
}

/// A proxy variable, upper case first, then lower case; an empty value is no value.
fn lookup(var: &impl Fn(&str) -> Option<String>, upper: &str) -> Option<String> {
    var(upper)
        .or_else(|| var(&upper.to_ascii_lowercase()))
        .filter(|v| !v.trim().is_empty())
}

/// A proxy without a scheme is an http proxy, as Go reads it.
fn with_scheme(proxy: String) -> String {
    if proxy.contains("://") {
        proxy
    } else {
        format!("http://{proxy}")
    }
}

/// `localhost` or a loopback IP, which Go's proxy rules never send through a proxy.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
            proxy("http://10.0.0.1:6443", &env).as_deref(),
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
        // Go never proxies localhost or a loopback address, whatever NO_PROXY says.
        for url in [
            "https://localhost:6443",
            "https://127.0.0.1:6443",
            "https://127.9.9.9",
            "https://[::1]:6443",
        ] {
            assert_eq!(proxy(url, &env), None, "{url}");
        }
        assert!(proxy("https://localhost.example.com", &env).is_some());
    }

    #[test]
    fn a_snapshot_of_the_variables_answers_as_the_process_would() {
        let env = ProxyEnv::from_pairs([
            ("https_proxy".to_string(), "proxy.corp:3128".to_string()),
            ("NO_PROXY".to_string(), "git.corp".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ]);
        assert_eq!(
            env.var("HTTPS_PROXY").as_deref(),
            Some("http://proxy.corp:3128")
        );
        assert_eq!(env.var("NO_PROXY").as_deref(), Some("git.corp"));
        assert_eq!(env.var("PATH"), None, "only proxy variables are kept");
        assert_eq!(
            env.proxy_for("https://github.com/org/repo.git")
                .map(|u| u.to_string())
                .as_deref(),
            Some("http://proxy.corp:3128/")
        );
        assert_eq!(env.proxy_for("https://git.corp/repo.git"), None);
        assert_eq!(env.proxy_for("ssh://git@github.com/org/repo.git"), None);
        assert_eq!(env.proxy_for("git@github.com:org/repo.git"), None);
    }
}
