//! A worker's ownership log: one JSON line on standard output per change, for operators
//! and tests (logs go to standard error).
//!
//! ```json
//! {"ts_ms":1733338800123,"worker":"w1","event":"claimed","key":"mastodon_social_443.public","revision":42}
//! ```
//!
//! Events: `started`, `claimed` (with `revision`), `live` (connected and caught up),
//! `disconnected`, `released` (handed over on rebalance or shutdown), `lost` (with
//! `reason`: the lease could not be renewed in time, or a newer lease fenced it),
//! `removed` (unregistered), `stopped` (the stream ended; it is opened again later).

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::names::StreamKey;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[derive(Serialize)]
struct Line<'a> {
    ts_ms: u64,
    worker: &'a str,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Writes ownership lines for one worker.
#[derive(Debug, Clone)]
pub struct Reporter {
    worker: String,
}

impl Reporter {
    /// A reporter for `worker`.
    pub fn new(worker: &str) -> Reporter {
        Reporter {
            worker: worker.to_owned(),
        }
    }

    /// Writes one line.
    pub fn emit(
        &self,
        event: &str,
        key: Option<&StreamKey>,
        revision: Option<u64>,
        reason: Option<&str>,
    ) {
        let line = Line {
            ts_ms: now_ms(),
            worker: &self.worker,
            event,
            key: key.map(ToString::to_string),
            revision,
            reason,
        };
        let mut text = serde_json::to_vec(&line).unwrap_or_default();
        text.push(b'\n');
        let mut out = std::io::stdout().lock();
        // A closed standard output must not stop the worker.
        let _ = out.write_all(&text).and_then(|()| out.flush());
    }
}
