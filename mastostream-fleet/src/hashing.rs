//! Rendezvous (highest random weight) hashing: which live worker should own a stream.
//!
//! Every worker computes the same answer from the same set of live workers, with no
//! coordination: the owner of a key is the worker with the highest `score(worker, key)`.
//! When a worker joins it takes about `1/n` of the keys, all from the others; when one
//! leaves, only its keys move, spread evenly over the rest.
//!
//! The hash is spelled out here (FNV-1a, then the SplitMix64 finaliser) rather than taken
//! from `std`, whose hasher may change between Rust releases: workers built by different
//! compilers must agree.

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The weight of `worker` for `key`.
pub fn score(worker: &str, key: &str) -> u64 {
    mix(fnv1a64(key.as_bytes()) ^ mix(fnv1a64(worker.as_bytes())))
}

/// The worker among `workers` that should own `key` (ties, which need equal 64-bit
/// scores, go to the greater name). `None` when there is no worker.
///
/// ```
/// use mastostream_fleet::hashing::owner;
/// let workers = ["w1", "w2", "w3"];
/// let o = owner("mastodon_social_443.public", &workers).unwrap();
/// assert!(workers.contains(&o));
/// // Order does not matter: every worker computes the same owner.
/// assert_eq!(owner("mastodon_social_443.public", &["w3", "w1", "w2"]), Some(o));
/// ```
pub fn owner<'a, S: AsRef<str>>(key: &str, workers: &'a [S]) -> Option<&'a str> {
    workers
        .iter()
        .map(AsRef::as_ref)
        .max_by_key(|w| (score(w, key), *w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("inst{}_443.public", i)).collect()
    }

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn spread_is_fair() {
        let workers = ["w1", "w2", "w3"];
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for k in keys(3000) {
            *counts.entry(owner(&k, &workers).unwrap()).or_default() += 1;
        }
        for w in workers {
            let c = counts[w];
            assert!(
                (800..=1200).contains(&c),
                "{w} owns {c} of 3000: {counts:?}"
            );
        }
    }

    #[test]
    fn only_the_leavers_keys_move() {
        let before = ["w1", "w2", "w3"];
        let after = ["w1", "w3"];
        for k in keys(1000) {
            let (b, a) = (owner(&k, &before).unwrap(), owner(&k, &after).unwrap());
            if b != "w2" {
                assert_eq!(a, b, "{k} moved from {b} though its owner stayed");
            }
        }
    }

    #[test]
    fn a_joiner_takes_only_from_others() {
        let before = ["w1", "w2"];
        let after = ["w1", "w2", "w3"];
        let mut moved = 0;
        for k in keys(1500) {
            let (b, a) = (owner(&k, &before).unwrap(), owner(&k, &after).unwrap());
            if a != b {
                assert_eq!(a, "w3", "{k} moved between old workers");
                moved += 1;
            }
        }
        assert!(
            (350..=650).contains(&moved),
            "{moved} of 1500 moved to the joiner"
        );
    }

    #[test]
    fn no_workers_no_owner() {
        let none: [&str; 0] = [];
        assert_eq!(owner("k", &none), None);
    }
}
