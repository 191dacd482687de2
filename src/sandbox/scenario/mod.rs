//! Scenarios that seed the sandbox: `sock-shop` (the reference pipeline) and `scale:N`.
//!
//! A scenario is a list of plain Kubernetes objects (`serde_json::Value`s) as a running
//! cluster would serve them: metadata with uids and creation times, specs with the API
//! server's defaults, and statuses consistent with one another (the Kustomization applied
//! the revision its source stored, the pods run the tag the ImagePolicy picked, ...).
//! Everything random is drawn from `ScenarioOptions::seed`, so a seed and a `now` always give
//! the same objects. `metadata.resourceVersion` is left to the store. What a scenario may vary,
//! and the account and region it plays, are in `options`.

mod assets;
mod flux;
mod flux_install;
pub(crate) mod ids;
mod images;
pub(crate) mod kube;
mod live;
mod logs;
mod options;
mod pipeline;
pub(crate) mod pods;
mod scale;
pub mod scale_live;
mod sock_shop;
pub(crate) mod workloads;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use images::{FrontEndTags, front_end_tags};
pub use live::gotk_components;
pub use logs::{pod_log, ticks_between};
pub use options::{AWS_ACCOUNT_ID, AWS_REGION, ScenarioOptions};

/// Which cluster the sandbox plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scenario {
    /// The reference pipeline: Flux with image automation and the Sock Shop, frozen as a
    /// running cluster shows it.
    #[default]
    SockShop,
    /// The reference pipeline played live: only what `flux bootstrap` leaves; the live
    /// controllers, the CI, the registry and the git host do the rest.
    SockShopLive,
    /// N Kustomizations with their GitRepositories over N/50 namespaces and 5N pods.
    Scale(usize),
    /// N tenants, each with the reference pipeline of its own, played live (`scale:N --live`).
    ScaleLive(usize),
}

/// The largest `scale:N` accepted by name: 100k Kustomizations are 700k objects, several
/// gigabytes in memory; beyond that a typo is likelier than a benchmark.
pub const MAX_SCALE: usize = 100_000;

/// A scenario name that is not `sock-shop` or `scale:N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioParseError {
    /// Neither known name.
    #[error(
        "unknown scenario '{0}': use sock-shop, sock-shop-live or scale:N (for example scale:1000)"
    )]
    Unknown(String),
    /// `scale:` with a count that is not a whole number from 1 to `MAX_SCALE`.
    #[error("scenario '{0}': N must be a whole number from 1 to 100000 (for example scale:1000)")]
    BadCount(String),
}

impl FromStr for Scenario {
    type Err = ScenarioParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sock-shop" => return Ok(Self::SockShop),
            "sock-shop-live" => return Ok(Self::SockShopLive),
            _ => {}
        }
        let Some(count) = s.strip_prefix("scale:") else {
            return Err(ScenarioParseError::Unknown(s.to_string()));
        };
        match count.parse::<usize>() {
            Ok(n) if (1..=MAX_SCALE).contains(&n) => Ok(Self::Scale(n)),
            _ => Err(ScenarioParseError::BadCount(s.to_string())),
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SockShop => f.write_str("sock-shop"),
            Self::SockShopLive => f.write_str("sock-shop-live"),
            Self::Scale(n) => write!(f, "scale:{n}"),
            Self::ScaleLive(n) => write!(f, "scale:{n} --live"),
        }
    }
}

/// Every object of the scenario, namespaces first, each with apiVersion, kind, metadata
/// (name, namespace, uid, creationTimestamp, generation for CRs/Deployments, labels,
/// annotations, ownerReferences), spec and status. `metadata.resourceVersion` is left out:
/// the store assigns it.
pub fn objects(scenario: &Scenario, opts: &ScenarioOptions) -> Vec<Value> {
    let mut out = Vec::new();
    for_each_object(scenario, opts, |o| out.push(o));
    out
}

/// The objects of `objects`, in the same order, handed to `emit` one at a time as they are
/// made: a store that keeps objects serialised can serialise each and drop its tree, instead
/// of holding every tree at once (the README's benchmarks give the sizes at `scale:10000`).
pub fn for_each_object(scenario: &Scenario, opts: &ScenarioOptions, mut emit: impl FnMut(Value)) {
    match scenario {
        Scenario::SockShop => sock_shop::objects(opts).into_iter().for_each(&mut emit),
        Scenario::SockShopLive => live::objects(opts).into_iter().for_each(&mut emit),
        Scenario::Scale(n) => scale::for_each(*n, opts, emit),
        Scenario::ScaleLive(n) => scale_live::for_each(*n, opts, emit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_parse_and_print_back() {
        assert_eq!("sock-shop".parse(), Ok(Scenario::SockShop));
        assert_eq!("scale:10000".parse(), Ok(Scenario::Scale(10_000)));
        for s in ["sock-shop", "sock-shop-live", "scale:1", "scale:250"] {
            assert_eq!(s.parse::<Scenario>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn bad_names_say_what_to_write() {
        for bad in [
            "scale:0",
            "scale:",
            "scale:-3",
            "scale:ten",
            "scale:1.5",
            "scale:100001",
        ] {
            let err = bad.parse::<Scenario>().unwrap_err();
            assert_eq!(err, ScenarioParseError::BadCount(bad.into()));
            assert!(err.to_string().contains("from 1 to 100000"), "{err}");
        }
        assert_eq!("scale:100000".parse(), Ok(Scenario::Scale(MAX_SCALE)));
        let err = "sockshop".parse::<Scenario>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown scenario 'sockshop': use sock-shop, sock-shop-live or scale:N (for example scale:1000)"
        );
    }
}
