//! How fast the sandbox's live pipeline plays: every interval a spec declares (a
//! GitRepository's `1m`, an ImageRepository's `1m`, a Kustomization's `5m`) and every delay
//! the simulation adds (a reconcile in progress, an image pull, a container start) goes
//! through one [`Pace`].
//!
//! - `speed` divides everything: `--speed 10` plays a minute in six seconds.
//! - `interval_factor` scales only spec intervals. The demo plays them six times faster than
//!   declared (the seed's `1m` scan runs every 10 s at speed 1), so a build reaches the pods
//!   in well under a minute while every delay stays as long as on a real cluster.
//! - While the pace is *warping* (the live scenario's start-up, when the controllers bring the
//!   cluster from the bootstrap objects to a running pipeline), delays are zero, so the
//!   sandbox is ready to look at at once. Intervals keep their length: the controllers'
//!   triggers carry the start-up from one object to the next.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Spec intervals play this many times faster than declared in the demo, at speed 1.
pub const DEMO_INTERVAL_DIVISOR: f64 = 6.0;

/// The shortest interval the pace hands out, whatever the speed: below it a controller would
/// spin rather than simulate.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// The pace of the simulation; cheap to clone (clones share the warp switch).
#[derive(Debug, Clone)]
pub struct Pace {
    speed: f64,
    interval_factor: f64,
    warp: Arc<AtomicBool>,
}

impl Default for Pace {
    /// Real time: intervals as declared, delays as written.
    fn default() -> Self {
        Pace::new(1.0, 1.0)
    }
}

impl Pace {
    /// A pace at `speed` (clamped to 0.01..=1000) with spec intervals multiplied by
    /// `interval_factor` (clamped to 0.001..=1) before the speed divides them.
    pub fn new(speed: f64, interval_factor: f64) -> Pace {
        let speed = if speed.is_finite() {
            speed.clamp(0.01, 1000.0)
        } else {
            1.0
        };
        let interval_factor = if interval_factor.is_finite() {
            interval_factor.clamp(0.001, 1.0)
        } else {
            1.0
        };
        Pace {
            speed,
            interval_factor,
            warp: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The demo's pace: spec intervals [`DEMO_INTERVAL_DIVISOR`] times faster, then `speed`.
    pub fn demo(speed: f64) -> Pace {
        Pace::new(speed, 1.0 / DEMO_INTERVAL_DIVISOR)
    }

    /// The speed.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// A simulated delay (a pull, a start, a reconcile in progress) at this pace; zero while
    /// warping.
    pub fn delay(&self, d: Duration) -> Duration {
        if self.warping() {
            return Duration::ZERO;
        }
        d.div_f64(self.speed)
    }

    /// A spec interval (`spec.interval`, a requeue) at this pace, never below
    /// [`MIN_INTERVAL`].
    pub fn interval(&self, d: Duration) -> Duration {
        d.mul_f64(self.interval_factor / self.speed)
            .max(MIN_INTERVAL)
    }

    /// A duration a manifest declares that is neither an interval nor a simulated delay
    /// (a readiness probe's `initialDelaySeconds`, `progressDeadlineSeconds`): it plays like
    /// an interval (shortened by the interval factor, then the speed), and is zero while
    /// warping, like a delay.
    pub fn declared(&self, d: Duration) -> Duration {
        if self.warping() {
            return Duration::ZERO;
        }
        d.mul_f64(self.interval_factor / self.speed)
    }

    /// Sleeps for `delay(d)`.
    pub async fn sleep(&self, d: Duration) {
        let d = self.delay(d);
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// Starts or stops warping.
    pub fn set_warp(&self, on: bool) {
        self.warp.store(on, Ordering::SeqCst);
    }

    /// Whether delays are zero now.
    pub fn warping(&self) -> bool {
        self.warp.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_divides_delays_and_intervals_and_the_demo_shortens_intervals_only() {
        let p = Pace::new(10.0, 1.0);
        assert_eq!(p.delay(Duration::from_secs(5)), Duration::from_millis(500));
        assert_eq!(p.interval(Duration::from_secs(60)), Duration::from_secs(6));
        let demo = Pace::demo(1.0);
        assert_eq!(demo.delay(Duration::from_secs(3)), Duration::from_secs(3));
        assert_eq!(
            demo.declared(Duration::from_secs(30)),
            Duration::from_secs(5)
        );
        assert_eq!(
            demo.interval(Duration::from_secs(60)),
            Duration::from_secs(10)
        );
        assert_eq!(
            Pace::demo(1000.0).interval(Duration::from_secs(1)),
            MIN_INTERVAL
        );
    }

    #[test]
    fn warping_zeroes_delays_on_every_clone_and_bad_speeds_are_clamped() {
        let p = Pace::default();
        let q = p.clone();
        p.set_warp(true);
        assert_eq!(q.delay(Duration::from_secs(5)), Duration::ZERO);
        assert_eq!(q.declared(Duration::from_secs(5)), Duration::ZERO);
        assert_eq!(q.interval(Duration::from_secs(5)), Duration::from_secs(5));
        p.set_warp(false);
        assert_eq!(q.delay(Duration::from_secs(5)), Duration::from_secs(5));
        assert_eq!(Pace::new(f64::NAN, 1.0).speed(), 1.0);
        assert_eq!(Pace::new(0.0, 1.0).speed(), 0.01);
    }
}
