//! [`FleetError`]: what can stop a fleet command.

use std::time::Duration;

use crate::config::ConfigError;

/// What can stop a fleet command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The NATS servers could not be reached.
    #[error("cannot connect to NATS at {urls}: {message}")]
    Connect {
        /// The URLs tried.
        urls: String,
        /// Why.
        message: String,
    },
    /// A JetStream request failed (after retries).
    #[error("JetStream: {what}: {message}")]
    JetStream {
        /// What was being done.
        what: &'static str,
        /// The error.
        message: String,
    },
    /// The configuration cannot give its guarantees.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The stream exists with a duplicate window too short for the catch-up overlap.
    #[error(
        "stream {stream} de-duplicates over {window:?} only; the catch-up overlap needs {needed:?}: \
         raise its duplicate_window, or shorten the lease TTL or the catch-up deadline"
    )]
    Window {
        /// The stream.
        stream: String,
        /// Its window.
        window: Duration,
        /// What the overlap needs.
        needed: Duration,
    },
    /// A registration is invalid.
    #[error("invalid registration: {0}")]
    Registration(String),
    /// No fleet exists under this root (run `add` or `worker` first).
    #[error("no fleet under root {root:?} ({message}); `add` or `worker` creates it")]
    NoFleet {
        /// The root.
        root: String,
        /// The error.
        message: String,
    },
}
