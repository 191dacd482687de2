//! The scanner's schedule: intervals, concurrency and the backoff after transient failures.

use std::time::Duration;

/// Scheduling knobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerConfig {
    /// The interval for ImageRepositories without one (Flux's seed uses 1m).
    pub default_interval: Duration,
    /// Shorter intervals are raised to this, to stay well inside ECR's request limits.
    pub min_interval: Duration,
    /// First retry delay after a transient failure; doubles per consecutive failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// Scans running at once.
    pub max_concurrent: usize,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        ScannerConfig {
            default_interval: Duration::from_secs(60),
            min_interval: Duration::from_secs(10),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(300),
            max_concurrent: 4,
        }
    }
}

/// The delay before retry number `failures` (≥ 1): `base·2^(failures−1)` capped at `cap`, of
/// which the upper half is scaled by `jitter` ∈ [0, 1] ("equal jitter": never less than half
/// the step, so many clients throttled together spread out without retrying instantly).
pub fn backoff_delay(failures: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let step = base.saturating_mul(1u32 << exponent).min(cap);
    let half = step / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}
