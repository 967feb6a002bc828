//! The lease of one stream as a worker holds it: when to renew, and until when it may
//! publish. Pure state over `Instant`s, so the timing rules are tested without a clock.
//!
//! The server expires a lease `ttl` after it stored the last renewal (per-message TTL). The
//! worker counts from the moment it *sent* that renewal, which is earlier, and stops
//! `margin` before: `valid_until = sent + ttl - margin`. So whatever the network does, the
//! worker has stopped streaming before the server can hand the lease to anyone else.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The timing of leases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTimes {
    /// How long a lease lives without renewal (the KV per-key TTL).
    pub ttl: Duration,
    /// How often it is renewed.
    pub renew_every: Duration,
    /// How long before the server could expire it the worker stops.
    pub margin: Duration,
    /// How soon a failed renewal is tried again.
    pub retry_every: Duration,
}

impl LeaseTimes {
    /// Timings for a TTL: renew every third of it, stop a fifth of it (at least 1 s) early,
    /// retry a failed renewal every tenth of it (at least 200 ms).
    pub fn for_ttl(ttl: Duration) -> LeaseTimes {
        LeaseTimes {
            ttl,
            renew_every: ttl / 3,
            margin: (ttl / 5).max(Duration::from_secs(1)).min(ttl / 2),
            retry_every: (ttl / 10).max(Duration::from_millis(200)),
        }
    }
}

/// A lease held by this worker.
#[derive(Clone, Debug)]
pub struct Lease {
    /// The revision at which the lease was acquired: the fencing token.
    pub acquired: u64,
    /// The current revision (what the next renewal must expect).
    pub revision: u64,
    times: LeaseTimes,
    valid_until: Instant,
    next_renew: Instant,
    in_flight: Option<Instant>,
}

/// What a lease allows now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseState {
    /// Publishing is allowed; nothing to do.
    Held,
    /// Publishing is allowed; a renewal should be sent now.
    RenewDue,
    /// The lease may be about to expire on the server: stop streaming now.
    Expired,
}

impl Lease {
    /// A lease acquired at `revision` by a write sent at `sent`.
    pub fn granted(revision: u64, sent: Instant, times: LeaseTimes) -> Lease {
        Lease {
            acquired: revision,
            revision,
            times,
            valid_until: sent + times.ttl.saturating_sub(times.margin),
            next_renew: sent + times.renew_every,
            in_flight: None,
        }
    }

    /// What the lease allows at `now`.
    pub fn state(&self, now: Instant) -> LeaseState {
        if now >= self.valid_until {
            LeaseState::Expired
        } else if self.in_flight.is_none() && now >= self.next_renew {
            LeaseState::RenewDue
        } else {
            LeaseState::Held
        }
    }

    /// Whether the worker may publish at `now`.
    pub fn may_publish(&self, now: Instant) -> bool {
        now < self.valid_until
    }

    /// When the worker must have stopped.
    pub fn valid_until(&self) -> Instant {
        self.valid_until
    }

    /// When [`state`](Lease::state) next changes on its own.
    pub fn next_wake(&self) -> Instant {
        if self.in_flight.is_some() {
            self.valid_until
        } else {
            self.next_renew.min(self.valid_until)
        }
    }

    /// A renewal is being sent at `now`.
    pub fn renewal_sent(&mut self, now: Instant) {
        self.in_flight = Some(now);
    }

    /// The renewal in flight succeeded at `revision`.
    pub fn renewed(&mut self, revision: u64) {
        if let Some(sent) = self.in_flight.take() {
            self.revision = revision;
            let until = sent + self.times.ttl.saturating_sub(self.times.margin);
            self.valid_until = self.valid_until.max(until);
            self.next_renew = sent + self.times.renew_every;
        }
    }

    /// The renewal in flight failed (timeout, no leader yet): try again soon, while the
    /// lease still holds.
    pub fn renewal_failed(&mut self, now: Instant) {
        if self.in_flight.take().is_some() {
            self.next_renew = now + self.times.retry_every;
        }
    }
}

/// The value of a lease entry (`lease.<key>`): who holds it, and the stream's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseValue {
    /// The worker's name.
    pub worker: String,
    /// A random number drawn at the claim: tells this worker's own writes from another's
    /// (an acknowledgement lost in a leader change leaves the write applied).
    pub nonce: u64,
    /// The revision the lease was acquired at (0 in the claim itself).
    #[serde(default)]
    pub acquired: u64,
    /// The cursor: per timeline, the newest id below which everything was published.
    #[serde(default)]
    pub cursor: crate::cursor::Cursor,
    /// Events published on this stream so far (by every owner).
    #[serde(default)]
    pub events: u64,
    /// When the owner last saw the stream connected and caught up (Unix ms).
    #[serde(default)]
    pub live_at_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn timings_for_the_default_ttl() {
        let t = LeaseTimes::for_ttl(15 * S);
        assert_eq!((t.renew_every, t.margin), (5 * S, 3 * S));
        let t = LeaseTimes::for_ttl(2 * S);
        assert_eq!(t.margin, S, "at least 1 s, at most half");
    }

    #[test]
    fn a_healthy_lease_renews_and_stays_held() {
        let t0 = Instant::now();
        let times = LeaseTimes::for_ttl(15 * S);
        let mut l = Lease::granted(7, t0, times);
        assert_eq!(l.state(t0), LeaseState::Held);
        assert_eq!(l.next_wake(), t0 + 5 * S);
        assert_eq!(l.state(t0 + 5 * S), LeaseState::RenewDue);
        l.renewal_sent(t0 + 5 * S);
        assert_eq!(
            l.state(t0 + 6 * S),
            LeaseState::Held,
            "one renewal at a time"
        );
        l.renewed(9);
        assert_eq!((l.acquired, l.revision), (7, 9));
        assert_eq!(l.valid_until(), t0 + 17 * S);
        assert!(l.may_publish(t0 + 16 * S));
    }

    #[test]
    fn without_renewals_it_stops_before_the_server_expires_it() {
        let t0 = Instant::now();
        let times = LeaseTimes::for_ttl(15 * S);
        let mut l = Lease::granted(1, t0, times);
        l.renewal_sent(t0 + 5 * S);
        // The renewal never answers (a partition): the lease stays bounded by the grant.
        assert!(l.may_publish(t0 + 11 * S));
        assert_eq!(l.state(t0 + 12 * S), LeaseState::Expired);
        assert!(!l.may_publish(t0 + 12 * S));
        // The server expires it at the earliest `ttl` after it stored the grant, which it
        // received after t0.
        assert!(l.valid_until() + times.margin <= t0 + times.ttl);
    }

    #[test]
    fn a_failed_renewal_is_retried_soon() {
        let t0 = Instant::now();
        let mut l = Lease::granted(1, t0, LeaseTimes::for_ttl(10 * S));
        let due = t0 + Duration::from_millis(3334);
        assert_eq!(l.state(due), LeaseState::RenewDue);
        l.renewal_sent(due);
        l.renewal_failed(due + S);
        assert_eq!(l.state(due + S), LeaseState::Held);
        assert_eq!(l.state(due + 2 * S), LeaseState::RenewDue);
        // A late answer for a renewal no longer in flight changes nothing.
        l.renewed(5);
        assert_eq!(l.revision, 1);
    }

    #[test]
    fn validity_counts_from_the_send_not_the_answer() {
        let t0 = Instant::now();
        let mut l = Lease::granted(1, t0, LeaseTimes::for_ttl(15 * S));
        l.renewal_sent(t0 + 5 * S);
        // The answer takes 9 s to come back: the lease is still counted from the send.
        l.renewed(2);
        assert_eq!(l.valid_until(), t0 + 17 * S);
    }

    #[test]
    fn lease_values_round_trip() {
        let v = LeaseValue {
            worker: "w1".into(),
            nonce: 42,
            acquired: 7,
            events: 3,
            ..LeaseValue::default()
        };
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<LeaseValue>(&json).unwrap(), v);
    }
}
