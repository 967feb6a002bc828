//! Politeness, per instance: how many streams of one instance may catch up at once, and a
//! backoff on new streams while the instance is failing.
//!
//! Each instance has a gate of its own, so a failing or rate-limited instance only ever
//! delays its own streams.
//!
//! The REST requests themselves (discovery, anchors, catch-up pages) are the client
//! session's: one at a time per session, none while `X-RateLimit-Remaining` is `0` until
//! `X-RateLimit-Reset`, and a page answered `429` or `503` asked again after its
//! `Retry-After` (both capped by the session's longest server delay). Mastodon counts its
//! budget (300 requests per 5 minutes) per account or IP, which every stream of an
//! instance shares; the gate keeps those streams from spending it all at once:
//!
//! - a stream holds one of `concurrent` permits of its instance from the moment it opens
//!   until it is first caught up, so at most that many sessions of one instance send
//!   requests for a start or a failover at once, and when the budget runs out at most
//!   that many requests are refused before each session waits for the reset. A stream
//!   waits for a permit at most as long as a catch-up may take, then starts without one
//!   (the duplicate window covers both waits);
//! - after a stream of the instance fails, new streams wait `2^n` seconds (capped,
//!   jittered).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::source::Clients;

/// Politeness settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoliteConfig {
    /// Streams of one instance catching up (or starting) at once.
    pub concurrent: usize,
    /// The longest backoff of new streams after failures.
    pub max_backoff: Duration,
}

impl Default for PoliteConfig {
    fn default() -> Self {
        PoliteConfig {
            concurrent: 4,
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// The pure state of one instance's backoff.
#[derive(Debug)]
pub struct GateState {
    cfg: PoliteConfig,
    failures: u32,
    fail_until: Instant,
    seed: u64,
}

impl GateState {
    /// A fresh gate at `now`.
    pub fn new(cfg: PoliteConfig, now: Instant, seed: u64) -> GateState {
        GateState {
            cfg,
            failures: 0,
            fail_until: now,
            seed,
        }
    }

    /// How long a new stream must wait at `now`.
    pub fn start_delay(&self, now: Instant) -> Duration {
        self.fail_until.saturating_duration_since(now)
    }

    /// A stream of the instance failed at `now`: back off new streams.
    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let base = Duration::from_secs(1u64 << self.failures.min(16));
        // Jitter: 50% to 100% of the delay, from a small xorshift.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let frac = 0.5 + (self.seed % 1000) as f64 / 2000.0;
        let delay = base.min(self.cfg.max_backoff).mul_f64(frac);
        self.fail_until = self.fail_until.max(now + delay);
    }

    /// A stream of the instance is live: failures are forgiven.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

/// One instance's gate, shared by the streams of that instance on this worker.
#[derive(Debug)]
pub struct InstanceGate {
    state: Mutex<GateState>,
    starting: Arc<Semaphore>,
    /// The instance's clients (one per token), which learn where it streams from once.
    pub clients: Clients,
}

impl InstanceGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits while the instance is backing off after failures, then for one of the
    /// instance's start permits, at most `patience`: hold it until the stream is caught up.
    /// `None`: none came free in time, and the stream starts without one (so that the
    /// wait stays within what the duplicate window covers).
    pub async fn start_permit(&self, patience: Duration) -> Option<OwnedSemaphorePermit> {
        loop {
            let wait = self.lock().start_delay(Instant::now());
            if wait.is_zero() {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        let permit = self.starting.clone().acquire_owned();
        match tokio::time::timeout(patience, permit).await {
            Ok(p) => Some(p.unwrap_or_else(|_| unreachable!("the semaphore is never closed"))),
            Err(_) => None,
        }
    }

    /// A stream of the instance failed.
    pub fn failed(&self) {
        self.lock().failed(Instant::now());
    }

    /// A stream of the instance is live.
    pub fn succeeded(&self) {
        self.lock().succeeded();
    }
}

/// Every instance's gate on this worker.
#[derive(Debug, Default)]
pub struct Politeness {
    cfg: PoliteConfig,
    gates: Mutex<HashMap<String, Arc<InstanceGate>>>,
}

impl Politeness {
    /// Gates with these settings.
    pub fn new(cfg: PoliteConfig) -> Politeness {
        Politeness {
            cfg,
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// The gate of an instance (by its key token), made on first use.
    pub fn gate(&self, instance: &str) -> Arc<InstanceGate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        let seed = crate::hashing::fnv1a64(instance.as_bytes()) | 1;
        gates
            .entry(instance.to_owned())
            .or_insert_with(|| {
                Arc::new(InstanceGate {
                    state: Mutex::new(GateState::new(self.cfg, Instant::now(), seed)),
                    starting: Arc::new(Semaphore::new(self.cfg.concurrent.max(1))),
                    clients: Clients::default(),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn failures_back_off_new_streams_and_success_forgives() {
        let t0 = Instant::now();
        let mut g = GateState::new(PoliteConfig::default(), t0, 7);
        assert_eq!(g.start_delay(t0), Duration::ZERO);
        g.failed(t0);
        let d1 = g.start_delay(t0);
        assert!(d1 >= S && d1 <= 2 * S, "{d1:?}");
        for _ in 0..40 {
            g.failed(t0);
        }
        assert!(g.start_delay(t0) <= 300 * S);
        g.succeeded();
        g.failed(t0 + 400 * S);
        assert!(g.start_delay(t0 + 400 * S) <= 2 * S);
    }

    #[test]
    fn gates_are_per_instance() {
        let p = Politeness::new(PoliteConfig::default());
        let a = p.gate("a_443");
        assert!(Arc::ptr_eq(&a, &p.gate("a_443")));
        a.failed();
        assert_eq!(
            p.gate("b_443").lock().start_delay(Instant::now()),
            Duration::ZERO
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_instance_starts_a_bounded_number_of_streams_at_once() {
        let p = Politeness::new(PoliteConfig {
            concurrent: 2,
            ..PoliteConfig::default()
        });
        let a = p.gate("a_443");
        let long = Duration::from_secs(60);
        let first = a.start_permit(long).await;
        assert!(first.is_some());
        let _second = a.start_permit(long).await;
        let third = a.start_permit(Duration::from_millis(50)).await;
        assert!(
            third.is_none(),
            "a third start waits while two run, as long as it may"
        );
        let b = p.gate("b_443");
        assert!(
            b.start_permit(long).await.is_some(),
            "another instance is not held up"
        );
        drop(first);
        assert!(
            a.start_permit(long).await.is_some(),
            "a start permit returned is taken"
        );
    }
}
