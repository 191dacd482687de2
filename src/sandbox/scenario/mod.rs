//! Scenarios that seed the sandbox: `sock-shop` (the reference pipeline) and `scale:N`.
