//! Politeness, per instance: REST requests (catch-up pages, anchors, discovery) within the
//! instance's rate limit, and a backoff on new streams while the instance is failing.
//!
//! Each instance has a gate of its own, so a failing or rate-limited instance only ever
//! delays its own streams.
//!
//! - Mastodon answers REST requests with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//!   `X-RateLimit-Reset` (an ISO 8601 time; by default 300 requests per 5 minutes per
//!   account or IP). When fewer than `reserve` requests remain, the gate waits until the
//!   reset. A `429` blocks the instance for its `Retry-After` (capped).
//! - Without those headers, a token bucket (`burst`, then `per_second`) paces requests.
//! - After a stream of the instance fails, new streams wait `2^n` seconds (capped, jittered).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

/// Politeness settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoliteConfig {
    /// Requests allowed at once without rate-limit headers.
    pub burst: f64,
    /// Sustained requests per second without rate-limit headers.
    pub per_second: f64,
    /// Requests left unused when the server reports its remaining budget.
    pub reserve: u64,
    /// REST requests in flight at once per instance.
    pub concurrent: usize,
    /// The longest wait a server can impose (`Retry-After`, `X-RateLimit-Reset`).
    pub max_wait: Duration,
    /// The longest backoff of new streams after failures.
    pub max_backoff: Duration,
}

impl Default for PoliteConfig {
    fn default() -> Self {
        PoliteConfig {
            burst: 100.0,
            per_second: 1.0,
            reserve: 10,
            concurrent: 4,
            max_wait: Duration::from_secs(300),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// What a REST response said about the rate limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateInfo {
    /// The HTTP status.
    pub status: u16,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`, as Unix seconds.
    pub reset_unix: Option<u64>,
    /// `Retry-After`, as a delay.
    pub retry_after: Option<Duration>,
}

/// The pure state of one instance's gate.
#[derive(Debug)]
pub struct GateState {
    cfg: PoliteConfig,
    tokens: f64,
    refilled: Instant,
    not_before: Instant,
    failures: u32,
    fail_until: Instant,
    seed: u64,
}

impl GateState {
    /// A fresh gate at `now`, with a full bucket.
    pub fn new(cfg: PoliteConfig, now: Instant, seed: u64) -> GateState {
        GateState {
            cfg,
            tokens: cfg.burst,
            refilled: now,
            not_before: now,
            failures: 0,
            fail_until: now,
            seed,
        }
    }

    /// How long a REST request must wait at `now`; zero means go (and the request is
    /// counted).
    pub fn take(&mut self, now: Instant) -> Duration {
        if now < self.not_before {
            return self.not_before - now;
        }
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.cfg.per_second).min(self.cfg.burst);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Duration::ZERO
        } else {
            let rate = self.cfg.per_second.max(1e-3);
            Duration::from_secs_f64(
                ((1.0 - self.tokens) / rate).min(self.cfg.max_wait.as_secs_f64()),
            )
        }
    }

    /// Takes in what a response said; `wall` is the wall clock at `now`.
    pub fn observe(&mut self, info: &RateInfo, now: Instant, wall: SystemTime) {
        let cap = self.cfg.max_wait;
        if info.status == 429 {
            let wait = info.retry_after.unwrap_or(Duration::from_secs(60)).min(cap);
            self.not_before = self.not_before.max(now + wait);
        }
        if let (Some(remaining), Some(reset)) = (info.remaining, info.reset_unix)
            && remaining <= self.cfg.reserve
        {
            let wall_s = wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let wait = Duration::from_secs(reset.saturating_sub(wall_s)).min(cap);
            self.not_before = self.not_before.max(now + wait);
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
    in_flight: Semaphore,
    /// The streaming base URL, discovered once per instance (`None`: use the instance).
    pub streaming_url: OnceCell<Option<String>>,
}

impl InstanceGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a REST request may be sent; hold the permit while it runs.
    pub async fn rest_permit(&self) -> SemaphorePermit<'_> {
        let permit = self
            .in_flight
            .acquire()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"));
        loop {
            let wait = self.lock().take(Instant::now());
            if wait.is_zero() {
                return permit;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes in a response's rate-limit information.
    pub fn observe(&self, info: &RateInfo) {
        self.lock().observe(info, Instant::now(), SystemTime::now());
    }

    /// Waits while the instance is backing off after failures.
    pub async fn start_permit(&self) {
        loop {
            let wait = self.lock().start_delay(Instant::now());
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
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
                    in_flight: Semaphore::new(self.cfg.concurrent.max(1)),
                    streaming_url: OnceCell::new(),
                })
            })
            .clone()
    }
}

/// Parses `X-RateLimit-Reset` (`2024-05-03T12:05:00.000000Z`, or with a `+HH:MM` offset)
/// into Unix seconds. `None` for anything else; years are bounded to 1970..=9999.
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let b = text.trim().as_bytes();
    if b.len() < 20 || b.len() > 40 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = std::str::from_utf8(b.get(r)?).ok()?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let d = |c: &u8| i64::from(c.wrapping_sub(b'0'));
            if ![h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let o = (d(h1) * 10 + d(h2)) * 3600 + (d(m1) * 10 + d(m2)) * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let t = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    u64::try_from(t).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn gate(burst: f64, per_second: f64) -> (GateState, Instant) {
        let cfg = PoliteConfig {
            burst,
            per_second,
            ..PoliteConfig::default()
        };
        let t0 = Instant::now();
        (GateState::new(cfg, t0, 7), t0)
    }

    #[test]
    fn bucket_allows_a_burst_then_paces() {
        let (mut g, t0) = gate(3.0, 1.0);
        for _ in 0..3 {
            assert_eq!(g.take(t0), Duration::ZERO);
        }
        assert_eq!(g.take(t0), S);
        assert_eq!(g.take(t0 + S), Duration::ZERO);
    }

    #[test]
    fn a_429_blocks_the_instance_for_retry_after_capped() {
        let (mut g, t0) = gate(100.0, 1.0);
        let info = RateInfo {
            status: 429,
            retry_after: Some(30 * S),
            ..RateInfo::default()
        };
        g.observe(&info, t0, SystemTime::now());
        assert_eq!(g.take(t0 + 10 * S), 20 * S);
        assert_eq!(g.take(t0 + 30 * S), Duration::ZERO);
        let huge = RateInfo {
            status: 429,
            retry_after: Some(Duration::from_secs(1 << 40)),
            ..RateInfo::default()
        };
        g.observe(&huge, t0, SystemTime::now());
        assert_eq!(g.take(t0), 300 * S, "capped at max_wait");
    }

    #[test]
    fn an_exhausted_budget_waits_for_the_reset() {
        let (mut g, t0) = gate(100.0, 1.0);
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let low = RateInfo {
            status: 200,
            remaining: Some(3),
            reset_unix: Some(1_000_045),
            ..RateInfo::default()
        };
        g.observe(&low, t0, wall);
        assert_eq!(g.take(t0), 45 * S);
        let plenty = RateInfo {
            remaining: Some(250),
            reset_unix: Some(1_000_900),
            ..low
        };
        let (mut g2, t0) = gate(100.0, 1.0);
        g2.observe(&plenty, t0, wall);
        assert_eq!(g2.take(t0), Duration::ZERO);
    }

    #[test]
    fn failures_back_off_new_streams_and_success_forgives() {
        let (mut g, t0) = gate(1.0, 1.0);
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

    #[test]
    fn iso8601_reset_times() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso8601("2024-05-03T12:05:00.000000Z"),
            Some(1_714_737_900)
        );
        assert_eq!(
            parse_iso8601("2024-05-03T14:05:00+02:00"),
            Some(1_714_737_900)
        );
        assert_eq!(parse_iso8601("2000-02-29T00:00:00Z"), Some(951_782_400));
        for bad in [
            "",
            "2024-05-03",
            "2024-13-03T12:05:00Z",
            "2024-05-03T12:05:00",
            "x024-05-03T12:05:00Z",
            "2024-05-03T12:05:00+2:00",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
