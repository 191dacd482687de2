//! Where "now" comes from: the system clock in the app, a hand-set clock in tests so that
//! every age on screen is deterministic.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

/// A source of the current time.
pub trait Clock: Send {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    /// Sets the time.
    pub fn set(&self, at: Timestamp) {
        // A poisoned lock still holds a valid timestamp.
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// Moves the time forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now = now
            .checked_add(jiff::SignedDuration::from_secs(seconds))
            .unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_second(100).unwrap());
        let shared = clock.clone();
        assert_eq!(clock.now().as_second(), 100);
        shared.advance(5);
        assert_eq!(clock.now().as_second(), 105);
        shared.set(Timestamp::from_second(7).unwrap());
        assert_eq!(clock.now().as_second(), 7);
    }
}
