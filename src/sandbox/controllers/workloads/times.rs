//! Wall-clock times written in objects (RFC 3339), read back as [`Instant`]s, so the
//! controllers' timers can run from a time a pod or Deployment reports.

use std::time::{Duration, Instant};

use serde_json::Value;

/// The instant a wall-clock RFC 3339 time corresponds to (`now` for a time in the future or
/// one that does not parse).
pub(super) fn instant_of(rfc3339: &str) -> Instant {
    let now = Instant::now();
    let Ok(t) = rfc3339.parse::<jiff::Timestamp>() else {
        return now;
    };
    let ago = Duration::try_from(jiff::Timestamp::now().duration_since(t)).unwrap_or_default();
    now.checked_sub(ago).unwrap_or(now)
}

/// When a pod's `Ready` condition turned True, if it is True.
pub(super) fn ready_time(pod: &Value) -> Option<Instant> {
    pod["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready" && c["status"] == "True")
        .map(|c| instant_of(c["lastTransitionTime"].as_str().unwrap_or_default()))
}
