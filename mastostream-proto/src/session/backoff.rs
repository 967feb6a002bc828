//! Reconnect delays: exponential backoff with full jitter, from a seeded PRNG.

use std::time::Duration;

/// How long to wait between reconnection attempts.
///
/// The `n`-th consecutive failure (counting from 0) waits a uniformly random time in
/// `[min, min(max, initial × 2ⁿ)]` ("full jitter", so that many clients dropped by one
/// server restart do not reconnect in lockstep). `min` keeps any schedule from spinning,
/// whatever the server asks for. The counter resets once a stream has stayed up for the
/// session's healthy period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The floor of every delay. Default 500 ms.
    pub min: Duration,
    /// The cap of the first delay; doubled per consecutive failure. Default 1 s.
    pub initial: Duration,
    /// The largest delay. Default 60 s.
    pub max: Duration,
    /// Give up after this many consecutive failed attempts (`None`: never). Default `None`.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min: Duration::from_millis(500),
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// The upper bound of the delay after `failures` consecutive failures (before jitter).
    pub fn ceiling(&self, failures: u32) -> Duration {
        let factor = 1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
            .max(self.min)
    }

    /// The delay after `failures` consecutive failures, drawing jitter from `rng`.
    pub fn delay(&self, failures: u32, rng: &mut Rng) -> Duration {
        let lo = self.min.min(self.max);
        let hi = self.ceiling(failures);
        let span = hi.saturating_sub(lo).as_nanos() as u64;
        lo + Duration::from_nanos(rng.below(span.saturating_add(1)))
    }
}

/// A small, fast, seedable PRNG (SplitMix64) for backoff jitter. Not for cryptography.
///
/// proto never reads entropy itself: the seed is an input, so a schedule is reproducible
/// from its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `0..n` (`0` when `n` is 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift with rejection.
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_floor_and_exponential_ceiling() {
        let b = Backoff::default();
        let mut rng = Rng::new(7);
        for failures in 0..40 {
            for _ in 0..200 {
                let d = b.delay(failures, &mut rng);
                assert!(d >= b.min, "{d:?}");
                assert!(
                    d <= b.ceiling(failures),
                    "{d:?} > {:?}",
                    b.ceiling(failures)
                );
            }
        }
        assert_eq!(b.ceiling(0), Duration::from_secs(1));
        assert_eq!(b.ceiling(3), Duration::from_secs(8));
        assert_eq!(b.ceiling(10), Duration::from_secs(60));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn splitmix64_gives_the_reference_outputs() {
        // The first outputs from seed 0 of Vigna's reference splitmix64.c.
        let mut rng = Rng::new(0);
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F,
                0xF88B_B8A8_724C_81EC
            ]
        );
    }

    #[test]
    fn ceilings_double_from_initial_up_to_max() {
        let b = Backoff::default();
        let secs = |n| b.ceiling(n).as_secs_f64();
        let got: Vec<f64> = (0..9).map(secs).collect();
        assert_eq!(got, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]);
    }

    #[test]
    fn same_seed_same_schedule() {
        let b = Backoff::default();
        let schedule = |seed| {
            let mut rng = Rng::new(seed);
            (0..10).map(|n| b.delay(n, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(schedule(42), schedule(42));
        assert_ne!(schedule(42), schedule(43));
    }

    #[test]
    fn jitter_spreads_over_the_whole_range() {
        let b = Backoff {
            min: Duration::ZERO,
            initial: Duration::from_secs(10),
            ..Backoff::default()
        };
        let mut rng = Rng::new(1);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let d = b.delay(0, &mut rng);
            buckets[(d.as_secs_f64() as usize).min(9)] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (800..1200).contains(&n)),
            "{buckets:?}"
        );
    }
}
