//! Fault controls and the request log, for tests that prove a client survives a bad
//! cluster and sends no write it should not.
//!
//! `POST /sandbox/faults` takes one JSON object; every field is optional:
//!
//! ```json
//! { "closeWatches": true,                 // end every open watch now
//!   "expireResourceVersions": true,       // every version so far gets 410 Gone
//!   "unavailableSeconds": 5.0,            // answer 503 for this long (closes watches too)
//!   "latencyMs": 200,                     // delay every API request (0 to stop)
//!   "deny": [{"verb": "patch", "resource": "kustomizations",
//!             "group": "kustomize.toolkit.fluxcd.io", "namespace": "sock-shop"}],
//!   "allow": true,                        // drop every deny rule
//!   "bookmarkNow": true,                  // send a BOOKMARK on every open watch
//!   "reset": true }                       // clear every fault
//! ```
//!
//! `GET /sandbox/faults` shows the active faults; `GET /sandbox/requests?since=N` the request
//! log (`seq`, `method`, `path`, `query`, `status`); `DELETE /sandbox/requests` clears it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

/// A rule that denies a verb on a resource (403, and SelfSubjectAccessReview says no).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyRule {
    /// Verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, or `*`.
    pub verb: String,
    /// Plural resource name (e.g. `kustomizations`), or `*`.
    pub resource: String,
    /// API group; absent matches any group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Namespace; absent matches every namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Subresource (e.g. `status`); absent matches the object and its subresources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
}

/// What deny rules are matched against: one request's attributes, as an authorizer sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access<'a> {
    /// The verb (`get`, `patch`, ...).
    pub verb: &'a str,
    /// The API group (`""` for the core group).
    pub group: &'a str,
    /// The plural resource name.
    pub resource: &'a str,
    /// The subresource (`status`, `log`), if any.
    pub subresource: Option<&'a str>,
    /// The namespace, if any.
    pub namespace: Option<&'a str>,
}

impl DenyRule {
    /// Whether the rule denies this request.
    pub fn denies(&self, access: &Access<'_>) -> bool {
        (self.verb == "*" || self.verb == access.verb)
            && (self.resource == "*" || self.resource == access.resource)
            && self
                .group
                .as_deref()
                .is_none_or(|g| g == "*" || g == access.group)
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| Some(n) == access.namespace)
            && self
                .subresource
                .as_deref()
                .is_none_or(|s| Some(s) == access.subresource)
    }
}

/// The body of `POST /sandbox/faults`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRequest {
    /// End every open watch.
    #[serde(default)]
    pub close_watches: bool,
    /// Expire every resourceVersion handed out so far.
    #[serde(default)]
    pub expire_resource_versions: bool,
    /// Answer 503 for this many seconds.
    pub unavailable_seconds: Option<f64>,
    /// Delay every API request by this many milliseconds.
    pub latency_ms: Option<u64>,
    /// Add deny rules.
    #[serde(default)]
    pub deny: Vec<DenyRule>,
    /// Drop every deny rule.
    #[serde(default)]
    pub allow: bool,
    /// Send a BOOKMARK on every open watch now.
    #[serde(default)]
    pub bookmark_now: bool,
    /// Clear every fault.
    #[serde(default)]
    pub reset: bool,
}

/// One logged request.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    /// Sequence number (from 1).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string.
    pub query: String,
    /// Answered status code (for watches: the status the stream started with).
    pub status: u16,
}

#[derive(Debug, Default)]
struct FaultState {
    unavailable_until: Option<Instant>,
    latency: Duration,
    deny: Vec<DenyRule>,
}

/// Signals to open watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchSignal {
    /// Incremented to close every watch.
    pub close_epoch: u64,
    /// Incremented to send a bookmark on every watch.
    pub bookmark_epoch: u64,
}

/// Fault state and request log of one sandbox.
pub struct Faults {
    state: Mutex<FaultState>,
    log: Mutex<(u64, VecDeque<LoggedRequest>)>,
    log_limit: usize,
    signal: watch::Sender<WatchSignal>,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new()
    }
}

impl Faults {
    /// No faults, an empty log.
    pub fn new() -> Self {
        Faults {
            state: Mutex::new(FaultState::default()),
            log: Mutex::new((0, VecDeque::new())),
            log_limit: 200_000,
            signal: watch::channel(WatchSignal::default()).0,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        // The state is plain data; a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open watches listen here for close/bookmark signals.
    pub fn watch_signals(&self) -> watch::Receiver<WatchSignal> {
        self.signal.subscribe()
    }

    /// Applies a fault request. Store-level faults (expiry) are the caller's.
    pub fn apply(&self, req: &FaultRequest) {
        let mut close = req.close_watches;
        {
            let mut s = self.state();
            if req.reset {
                *s = FaultState::default();
            }
            if req.allow {
                s.deny.clear();
            }
            s.deny.extend(req.deny.iter().cloned());
            if let Some(ms) = req.latency_ms {
                s.latency = Duration::from_millis(ms);
            }
            if let Some(secs) = req.unavailable_seconds {
                if secs > 0.0 && secs.is_finite() {
                    s.unavailable_until =
                        Some(Instant::now() + Duration::from_secs_f64(secs.min(86_400.0)));
                    // An API server that goes away takes its watches with it.
                    close = true;
                } else {
                    s.unavailable_until = None;
                }
            }
        }
        if close || req.bookmark_now {
            self.signal.send_modify(|sig| {
                if close {
                    sig.close_epoch += 1;
                }
                if req.bookmark_now {
                    sig.bookmark_epoch += 1;
                }
            });
        }
    }

    /// Seconds of 503 left, if the server is "unavailable".
    pub fn unavailable_for(&self) -> Option<u64> {
        let mut s = self.state();
        match s.unavailable_until {
            Some(t) if t > Instant::now() => {
                Some(t.saturating_duration_since(Instant::now()).as_secs() + 1)
            }
            Some(_) => {
                s.unavailable_until = None;
                None
            }
            None => None,
        }
    }

    /// The added latency.
    pub fn latency(&self) -> Duration {
        self.state().latency
    }

    /// Whether a deny rule matches.
    pub fn denied(&self, access: &Access<'_>) -> bool {
        self.state().deny.iter().any(|r| r.denies(access))
    }

    /// The active faults, as JSON.
    pub fn describe(&self) -> Value {
        let s = self.state();
        json!({
            "unavailableSeconds": s.unavailable_until.map(|t| t.saturating_duration_since(Instant::now()).as_secs_f64()).unwrap_or(0.0),
            "latencyMs": s.latency.as_millis() as u64,
            "deny": s.deny,
        })
    }

    /// Appends to the request log.
    pub fn log_request(&self, method: &str, path: &str, query: &str, status: u16) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.0 += 1;
        let seq = log.0;
        log.1.push_back(LoggedRequest {
            seq,
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            status,
        });
        while log.1.len() > self.log_limit {
            log.1.pop_front();
        }
    }

    /// Logged requests after `since`.
    pub fn requests(&self, since: u64) -> Vec<LoggedRequest> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.1.iter().filter(|r| r.seq > since).cloned().collect()
    }

    /// Clears the request log (sequence numbers keep counting).
    pub fn clear_requests(&self) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).1.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_rules_match_verb_resource_group_and_namespace() {
        let r = DenyRule {
            verb: "patch".into(),
            resource: "kustomizations".into(),
            group: Some("kustomize.toolkit.fluxcd.io".into()),
            namespace: Some("sock-shop".into()),
            subresource: None,
        };
        let patch = Access {
            verb: "patch",
            group: "kustomize.toolkit.fluxcd.io",
            resource: "kustomizations",
            subresource: None,
            namespace: Some("sock-shop"),
        };
        assert!(r.denies(&patch));
        assert!(!r.denies(&Access {
            verb: "get",
            ..patch
        }));
        assert!(!r.denies(&Access {
            namespace: Some("flux-system"),
            ..patch
        }));
        assert!(!r.denies(&Access {
            group: "",
            resource: "pods",
            ..patch
        }));
    }

    #[test]
    fn unavailable_expires_and_closes_watches() {
        let f = Faults::new();
        let rx = f.watch_signals();
        f.apply(&FaultRequest {
            unavailable_seconds: Some(0.05),
            ..Default::default()
        });
        assert!(f.unavailable_for().is_some());
        assert_eq!(rx.borrow().close_epoch, 1);
        std::thread::sleep(Duration::from_millis(80));
        assert!(f.unavailable_for().is_none());
    }

    #[test]
    fn request_log_is_sequenced() {
        let f = Faults::new();
        f.log_request("GET", "/api", "", 200);
        f.log_request("PATCH", "/apis/x", "", 200);
        assert_eq!(f.requests(1).len(), 1);
        assert_eq!(f.requests(0)[1].method, "PATCH");
        f.clear_requests();
        assert!(f.requests(0).is_empty());
    }
}
