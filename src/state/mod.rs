//! `State`, `Update` and `State::apply`, the one writer of application state; derived views (release lanes, drift).
