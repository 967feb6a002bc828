//! Id formats: how each server writes ids, made from the fake server's numeric keys.
//!
//! Everything the fake server publishes is numbered by a `u64` key (a Mastodon snowflake
//! for statuses, accounts and media: milliseconds ≪ 16 | 16 low bits; a counter for
//! notifications and conversations). Each dialect writes that key in its server's format,
//! keeping the key's order under the server's own id comparison:
//!
//! | format | server | shape | order |
//! |---|---|---|---|
//! | [`Decimal`](IdFormat::Decimal) | Mastodon; Pleroma/Akkoma notifications | `110988741790818968` | length, then bytes |
//! | [`Ulid`](IdFormat::Ulid) | GoToSocial | 26 Crockford base32 chars, 48-bit ms first | bytes |
//! | [`Flake`](IdFormat::Flake) | Akkoma, Pleroma | base62 of 64-bit ms ‖ 48-bit worker ‖ 16-bit sequence, 18 chars | length, then bytes |
//! | [`Aid`](IdFormat::Aid) | Iceshrimp JS, Firefish | 8 base36 chars of ms since 2000 + a random part, 16–24 chars | bytes (not length first) |
//! | [`Icn`](IdFormat::Icn) | Iceshrimp.NET | 8 base36 chars of ms since 2000 + 8 Crockford base32, 16 chars | bytes |
//! | [`Aidx`](IdFormat::Aidx) | Sharkey | 8 base36 chars of ms since 2000 + 4 node + 4 counter chars | bytes |
//!
//! Sources: GoToSocial `internal/id/ulid.go`; `Pleroma.FlakeId` (`lib/pleroma/flake_id.ex`,
//! before the `flake_id` package); Iceshrimp `misc/gen-id.ts`; Iceshrimp.NET
//! `Core/Helpers/IdHelpers.cs`; Misskey/Sharkey `misc/id/aidx.ts`. The "random" parts here
//! are a hash of the key, so ids are deterministic.

use std::cmp::Ordering;

/// How a server writes ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdFormat {
    Decimal,
    Ulid,
    Flake,
    Aid,
    Icn,
    Aidx,
}

const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CROCKFORD_LOWER: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// 2000-01-01T00:00:00Z in ms since the Unix epoch: the epoch of Misskey-family ids.
const EPOCH_2000_MS: u64 = 946_684_800_000;

/// The worker id of the FlakeIds in Akkoma's API documentation (`9toJCsKN7SmSf3aj5c`,
/// `lib/pleroma/web/api_spec/schemas/status.ex`), so the fake's ids look like theirs.
const FLAKE_WORKER: u128 = 0x2671_bdb5_4203;

/// Sharkey's node part (`aidx`: time, node, counter).
const AIDX_NODE: &str = "0sk1";

impl IdFormat {
    /// The id of `key` in this format.
    pub(crate) fn render(self, key: u64) -> String {
        let ms = key >> 16;
        let low = u128::from(key & 0xffff);
        match self {
            IdFormat::Decimal => key.to_string(),
            IdFormat::Ulid => digits(
                (u128::from(key) << 64) | u128::from(mix(key)),
                CROCKFORD,
                26,
            ),
            IdFormat::Flake => {
                let v = (u128::from(ms) << 64) | (FLAKE_WORKER << 16) | low;
                base62(v)
            }
            IdFormat::Aid => match since_2000(ms) {
                // A key from before 2000 (a counter): a zero time and the whole key.
                None => format!("00000000{}", digits(key.into(), BASE36, 13)),
                Some(t) => {
                    // Iceshrimp's random part is 8 to 16 chars long: the order lives in the
                    // first 12 chars (time, then the key's low bits), the rest is noise.
                    let noise = mix(key);
                    let extra = 4 + (noise % 9) as usize;
                    let tail = digits(noise.into(), BASE36, 13);
                    let mut id = digits(t.into(), BASE36, 8);
                    id.push_str(&digits(low, BASE36, 4));
                    id.push_str(&tail[13 - extra..]);
                    id
                }
            },
            IdFormat::Icn => match since_2000(ms) {
                None => format!(
                    "00000000{}",
                    digits(u128::from(key) & 0xff_ffff_ffff, CROCKFORD_LOWER, 8)
                ),
                Some(t) => {
                    let mut id = digits(t.into(), BASE36, 8);
                    id.push_str(&digits(low, CROCKFORD_LOWER, 4));
                    id.push_str(&digits(u128::from(mix(key) & 0xf_ffff), CROCKFORD_LOWER, 4));
                    id
                }
            },
            IdFormat::Aidx => match since_2000(ms) {
                None => format!(
                    "00000000{}",
                    digits(u128::from(key) % 36u128.pow(8), BASE36, 8)
                ),
                Some(t) => format!(
                    "{}{AIDX_NODE}{}",
                    digits(t.into(), BASE36, 8),
                    digits(low, BASE36, 4)
                ),
            },
        }
    }

    /// How the server orders two ids of this format.
    pub(crate) fn cmp(self, a: &str, b: &str) -> Ordering {
        match self {
            IdFormat::Decimal | IdFormat::Flake => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            _ => a.cmp(b),
        }
    }
}

/// Milliseconds since 2000, for a time after it.
fn since_2000(ms: u64) -> Option<u64> {
    ms.checked_sub(EPOCH_2000_MS).filter(|t| *t < 36u64.pow(8))
}

/// `v` in `width` digits of `alphabet` (its lowest digits when it needs more).
fn digits(mut v: u128, alphabet: &[u8], width: usize) -> String {
    let base = alphabet.len() as u128;
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = alphabet[(v % base) as usize];
        v /= base;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `v` in base62, without leading zeros (as `Pleroma.FlakeId` writes it).
fn base62(mut v: u128) -> String {
    let mut out = Vec::new();
    loop {
        out.push(BASE62[(v % 62) as usize]);
        v /= 62;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// SplitMix64: the deterministic "random" part of an id.
fn mix(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Rewrites the ids of Mastodon JSON (compact, as the fake server writes it) into another
/// format: the value of every `"id"` and `"…_id"` key that is a string of digits. The
/// top-level `"id"` (at the very start of the object) is written by `top`, the others by
/// `nested`. Only keys can be followed by `":`, so no string content is touched.
pub(crate) fn rewrite_ids(
    json: &str,
    top: impl Fn(u64) -> String,
    nested: impl Fn(u64) -> String,
) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 8);
    let mut rest = json;
    let mut at = 0;
    while let Some(i) = rest.find("id\":\"") {
        let key_start = &rest[..i];
        let value = &rest[i + 5..];
        let end = value.find('"').unwrap_or(0);
        let number = value[..end].parse::<u64>().ok();
        let is_key = key_start.ends_with('"') || key_start.ends_with('_');
        match number
            .filter(|_| is_key && end > 0 && value[..end].bytes().all(|b| b.is_ascii_digit()))
        {
            Some(n) => {
                out.push_str(&rest[..i + 5]);
                // `{"id":"` opens the object: position 2 of the whole text.
                if at + i == 2 {
                    out.push_str(&top(n));
                } else {
                    out.push_str(&nested(n));
                }
                rest = &value[end..];
                at += i + 5 + end;
            }
            None => {
                out.push_str(&rest[..i + 5]);
                rest = value;
                at += i + 5;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::snowflake;

    /// 2020-04-07T19:48:51.198Z, the time in Akkoma's documented FlakeId.
    const AKKOMA_EXAMPLE_MS: u64 = 1_586_288_931_198;
    /// 2024-01-01T00:00:00Z.
    const NEW_YEAR_2024_MS: u64 = 1_704_067_200_000;

    #[test]
    fn flake_ids_are_akkomas() {
        let id = IdFormat::Flake.render(snowflake(AKKOMA_EXAMPLE_MS, 0));
        assert_eq!(id, "9toJCsKN7SmSf3aj5c");
        let later = IdFormat::Flake.render(snowflake(NEW_YEAR_2024_MS, 1));
        assert_eq!(later.len(), 18);
        assert!(later.starts_with("AdNtws"), "{later}");
    }

    #[test]
    fn misskey_family_ids_start_with_the_time_since_2000() {
        let key = snowflake(NEW_YEAR_2024_MS, 7);
        for (format, len) in [(IdFormat::Icn, 16), (IdFormat::Aidx, 16)] {
            let id = format.render(key);
            assert!(id.starts_with("9nxpxc00"), "{id}");
            assert_eq!(id.len(), len);
        }
        let aid = IdFormat::Aid.render(key);
        assert!(aid.starts_with("9nxpxc00") && (16..=24).contains(&aid.len()));
        assert!(aid.bytes().all(|b| BASE36.contains(&b)), "{aid}");
    }

    #[test]
    fn ulids_carry_the_time_and_the_key() {
        // GoToSocial's documented example, 01FC3TZ5CFG6H65GCKCJRKA669, is from
        // 2021-08-02T16:25:52.783Z: the first 10 chars are the time.
        let id = IdFormat::Ulid.render(snowflake(1_627_921_552_783, 0));
        assert_eq!(id.len(), 26);
        assert!(id.starts_with("01FC3TZ5CF"), "{id}");
    }

    #[test]
    fn every_format_keeps_the_order_of_keys() {
        let keys: Vec<u64> = (0..400u64)
            .map(|i| snowflake(NEW_YEAR_2024_MS + i / 3 * 977, i * 7919))
            .chain([1, 2, 318_000_001, 318_000_002])
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        for format in [
            IdFormat::Decimal,
            IdFormat::Ulid,
            IdFormat::Flake,
            IdFormat::Aid,
            IdFormat::Icn,
            IdFormat::Aidx,
        ] {
            for pair in sorted.windows(2) {
                let (a, b) = (format.render(pair[0]), format.render(pair[1]));
                assert_eq!(format.cmp(&a, &b), Ordering::Less, "{format:?}: {a} < {b}");
            }
        }
    }

    #[test]
    fn iceshrimp_ids_vary_in_length_so_only_bytes_order_them() {
        let ids: Vec<String> = (0..200u64)
            .map(|i| IdFormat::Aid.render(snowflake(NEW_YEAR_2024_MS + i, i)))
            .collect();
        let lengths: std::collections::BTreeSet<usize> = ids.iter().map(String::len).collect();
        assert_eq!(lengths, (16..=24).collect());
        // Somewhere a later id is shorter than an earlier one: length-first would misorder.
        assert!(ids.windows(2).any(|w| w[1].len() < w[0].len()));
    }

    #[test]
    fn rewrites_only_ids() {
        let json = r#"{"id":"5","in_reply_to_id":"6","text":"\"id\":\"7\"","account":{"id":"8","acct":"a"},"uri":"x","poll":null,"group_id":"x9"}"#;
        let out = rewrite_ids(json, |n| format!("T{n}"), |n| format!("N{n}"));
        assert_eq!(
            out,
            r#"{"id":"T5","in_reply_to_id":"N6","text":"\"id\":\"7\"","account":{"id":"N8","acct":"a"},"uri":"x","poll":null,"group_id":"x9"}"#
        );
    }
}
