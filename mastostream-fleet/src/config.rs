//! [`FleetConfig`]: names, replication, leases, catch-up, and the duplicate window that
//! must cover the catch-up overlap.

use std::time::Duration;

use crate::lease::LeaseTimes;
use crate::names::Names;
use crate::polite::PoliteConfig;
use crate::source::SourceOptions;

/// Why a configuration cannot give its guarantees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The lease TTL must be whole seconds (KV per-key TTLs are), from 3 s to 1 h.
    #[error("lease TTL {0:?}: use whole seconds from 3 s to 1 h")]
    LeaseTtl(Duration),
    /// Replicas must be 1 to 5.
    #[error("{0} replicas: use 1 to 5")]
    Replicas(usize),
    /// The duplicate window is shorter than the overlap it must cover.
    #[error(
        "duplicate window {window:?} is shorter than {needed:?}, the longest a copy of an event \
         can follow the first (lease TTL + renewal interval + claim scan + twice the catch-up \
         deadline + 30 s)"
    )]
    Window {
        /// The window asked for.
        window: Duration,
        /// The shortest window that covers the overlap.
        needed: Duration,
    },
}

/// Everything a fleet process needs besides the NATS URLs.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// The names of the buckets, the stream and the subjects.
    pub names: Names,
    /// Replicas of the stream and the buckets (when this process creates them).
    pub replicas: usize,
    /// The stream's de-duplication window (when this process creates it).
    pub duplicate_window: Duration,
    /// The stream's maximum message age (`ZERO`: kept until removed by hand).
    pub max_age: Duration,
    /// The lease TTL.
    pub lease_ttl: Duration,
    /// How often a worker looks for streams to claim (besides reacting to changes).
    pub scan_every: Duration,
    /// How often a stream's cursor is written when it moved.
    pub cursor_every: Duration,
    /// Catch-up settings.
    pub source: SourceOptions,
    /// Per-instance politeness.
    pub polite: PoliteConfig,
    /// Also publish each status once per `uri` on `<root>-uri.update`.
    pub uri_dedup: bool,
    /// Unacknowledged publishes per stream. JetStream checks the fence of a clustered
    /// stream one publish at a time (it refuses others meanwhile, code 10164), so more
    /// than 1 only adds retries; streams are published in parallel with each other.
    pub max_in_flight: usize,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            names: Names::default(),
            replicas: 3,
            duplicate_window: Duration::from_secs(300),
            max_age: Duration::ZERO,
            lease_ttl: Duration::from_secs(15),
            scan_every: Duration::from_secs(2),
            cursor_every: Duration::from_secs(1),
            source: SourceOptions::default(),
            polite: PoliteConfig::default(),
            uri_dedup: false,
            max_in_flight: 1,
        }
    }
}

impl FleetConfig {
    /// The lease timings.
    pub fn lease_times(&self) -> LeaseTimes {
        LeaseTimes::for_ttl(self.lease_ttl)
    }

    /// The longest time between the first publish of an event and a copy of it, when the
    /// new owner reaches the instance at once: the old owner's cursor is written within
    /// `cursor_every` (bounded by the renewal interval), its lease expires within the TTL,
    /// a worker claims the stream within a scan, waits for one of the instance's start
    /// permits at most the catch-up deadline, and catch-up ends within its deadline.
    pub fn overlap_bound(&self) -> Duration {
        let t = self.lease_times();
        self.lease_ttl
            + t.renew_every.max(self.cursor_every)
            + self.scan_every
            + 2 * self.source.catch_up_deadline
    }

    /// Checks that the configuration can give its guarantees.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let ttl = self.lease_ttl;
        if ttl.subsec_nanos() != 0 || !(3..=3600).contains(&ttl.as_secs()) {
            return Err(ConfigError::LeaseTtl(ttl));
        }
        if !(1..=5).contains(&self.replicas) {
            return Err(ConfigError::Replicas(self.replicas));
        }
        let needed = self.overlap_bound() + Duration::from_secs(30);
        if self.duplicate_window < needed {
            return Err(ConfigError::Window {
                window: self.duplicate_window,
                needed,
            });
        }
        Ok(())
    }
}

/// Parses `500ms`, `15s`, `2m`, `1h` (or a bare number of seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 15s, 2m, 500ms"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use ms, s, m or h)"
            ));
        }
    };
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_the_window_covers_the_overlap() {
        let c = FleetConfig::default();
        c.validate().unwrap();
        assert_eq!(c.overlap_bound(), Duration::from_secs(15 + 5 + 2 + 2 * 60));
        assert!(c.duplicate_window >= c.overlap_bound());
        assert!(c.lease_ttl <= Duration::from_secs(15));
    }

    #[test]
    fn a_short_window_is_refused() {
        let c = FleetConfig {
            duplicate_window: Duration::from_secs(60),
            ..FleetConfig::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::Window { .. })));
        let c = FleetConfig {
            lease_ttl: Duration::from_millis(2500),
            ..FleetConfig::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::LeaseTtl(_))));
        let c = FleetConfig {
            replicas: 0,
            ..FleetConfig::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::Replicas(0))));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("7d").is_err());
        assert!(parse_duration("s").is_err());
    }
}
