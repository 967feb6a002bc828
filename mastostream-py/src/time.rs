//! Mastodon's timestamps as Python `datetime`s, the way Mastodon.py reads them.
//!
//! The parsing is pure Rust (no Python), so that it is tested here; [`to_python`] builds the
//! `datetime`. Mastodon writes instants as ISO 8601 in UTC (`2023-08-30T12:00:00.000Z`),
//! dates alone for `last_status_at` (`2023-08-30`) and UNIX seconds as text for a hashtag's
//! history `day` (`"1693353600"`). Anything else stays the string it was.

use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyTzInfo};

/// How a field's text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hint {
    /// Keep the text.
    Text,
    /// An ISO 8601 instant (or a date alone).
    Instant,
    /// UNIX seconds, as text.
    UnixDay,
}

impl Hint {
    /// The hint for an entity field named `key`: the timestamp fields Mastodon.py turns into
    /// `datetime`s.
    pub(crate) fn for_key(key: &str) -> Hint {
        match key {
            "created_at" | "edited_at" | "updated_at" | "published_at" | "starts_at"
            | "ends_at" | "expires_at" | "scheduled_at" | "last_status_at" | "action_taken_at"
            | "mute_expires_at" | "muting_expires_at" => Hint::Instant,
            "day" => Hint::UnixDay,
            _ => Hint::Text,
        }
    }
}

/// A civil time: UTC when `utc`, a date at midnight (naive, as Mastodon.py gives dates)
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i32,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: u8,
    pub(crate) micro: u32,
    pub(crate) utc: bool,
}

/// Parses `text` as `hint` says; `None` keeps the text.
pub(crate) fn parse(hint: Hint, text: &str) -> Option<Civil> {
    match hint {
        Hint::Text => None,
        Hint::Instant => parse_iso(text.as_bytes()),
        Hint::UnixDay => {
            if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let secs: i64 = text.parse().ok()?;
            Some(from_unix(secs, 0))
        }
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`.
fn parse_iso(b: &[u8]) -> Option<Civil> {
    let year = digits(b.get(0..4)?)? as i32;
    let month = digits(b.get(5..7)?)? as u8;
    let day = digits(b.get(8..10)?)? as u8;
    if b[4] != b'-' || b[7] != b'-' || !(1..=12).contains(&month) {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if b.len() == 10 {
        return Some(Civil {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            micro: 0,
            utc: false,
        });
    }
    if !matches!(b.get(10)?, b'T' | b't' | b' ') || b.get(13) != Some(&b':') {
        return None;
    }
    let hour = digits(b.get(11..13)?)?;
    let minute = digits(b.get(14..16)?)?;
    if b.get(16) != Some(&b':') {
        return None;
    }
    let second = digits(b.get(17..19)?)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micro = 0u32;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        for (i, c) in frac[..n].iter().take(6).enumerate() {
            micro += u32::from(c - b'0') * 10u32.pow(5 - i as u32);
        }
        rest = &frac[n..];
    }
    let offset_secs: i64 = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    // A leap second reads as the last second of its minute (Python has no second 60).
    let second = second.min(59);
    let local =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let civil = from_unix(local - offset_secs, micro);
    (1..=9999).contains(&civil.year).then_some(civil)
}

/// The value of 1 to 4 ASCII digits.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC civil time of UNIX second `secs` (Hinnant's `civil_from_days`).
fn from_unix(secs: i64, micro: u32) -> Civil {
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)).clamp(-1, 100_000) as i32;
    Civil {
        year,
        month,
        day,
        hour: (tod / 3600) as u8,
        minute: (tod % 3600 / 60) as u8,
        second: (tod % 60) as u8,
        micro,
        utc: true,
    }
}

/// The `datetime` for `text`, or `None` when `hint` keeps it as text (or it does not parse).
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    hint: Hint,
    text: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(c) = parse(hint, text) else {
        return Ok(None);
    };
    if !(1..=9999).contains(&c.year) {
        return Ok(None);
    }
    let utc = PyTzInfo::utc(py)?;
    let tz = c.utc.then_some(&*utc);
    let dt = PyDateTime::new(
        py, c.year, c.month, c.day, c.hour, c.minute, c.second, c.micro, tz,
    )?;
    Ok(Some(dt.into_any()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(year: i32, month: u8, day: u8, h: u8, m: u8, s: u8, micro: u32) -> Civil {
        Civil {
            year,
            month,
            day,
            hour: h,
            minute: m,
            second: s,
            micro,
            utc: true,
        }
    }

    #[test]
    fn mastodon_instants() {
        assert_eq!(
            parse(Hint::Instant, "2023-08-30T12:00:00.000Z"),
            Some(utc(2023, 8, 30, 12, 0, 0, 0))
        );
        assert_eq!(
            parse(Hint::Instant, "2024-02-29T23:59:59.123456789Z"),
            Some(utc(2024, 2, 29, 23, 59, 59, 123_456))
        );
        assert_eq!(
            parse(Hint::Instant, "2022-01-01T00:00:00Z"),
            Some(utc(2022, 1, 1, 0, 0, 0, 0))
        );
    }

    #[test]
    fn offsets_become_utc() {
        assert_eq!(
            parse(Hint::Instant, "2023-01-01T01:30:00+02:00"),
            Some(utc(2022, 12, 31, 23, 30, 0, 0))
        );
        assert_eq!(
            parse(Hint::Instant, "2023-12-31T23:00:00.5-0130"),
            Some(utc(2024, 1, 1, 0, 30, 0, 500_000))
        );
    }

    #[test]
    fn dates_are_naive_midnights() {
        let c = parse(Hint::Instant, "2023-08-30").unwrap();
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.utc),
            (2023, 8, 30, 0, false)
        );
    }

    #[test]
    fn unix_days() {
        assert_eq!(
            parse(Hint::UnixDay, "1693353600"),
            Some(utc(2023, 8, 30, 0, 0, 0, 0))
        );
        assert_eq!(parse(Hint::UnixDay, "-5"), None);
        assert_eq!(parse(Hint::UnixDay, "99999999999999999999"), None);
    }

    #[test]
    fn anything_else_stays_text() {
        for text in [
            "",
            "yesterday",
            "2023-13-01",
            "2023-02-30",
            "2023-08-30T25:00:00Z",
            "2023-08-30T12:00:00",
            "2023-08-30T12:00:00.Z",
            "2023-08-30T12:00:00+2",
            "2023-08-30T12:00Z",
            "0000-01-01T00:00:00Z",
            "２０２３-08-30",
        ] {
            assert_eq!(parse(Hint::Instant, text), None, "{text:?}");
        }
        assert_eq!(parse(Hint::Text, "2023-08-30T12:00:00.000Z"), None);
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for days in (-146_097..146_097 * 2).step_by(7) {
            let c = from_unix(days * 86_400, 0);
            assert_eq!(days_from_civil(c.year, c.month, c.day), days);
        }
    }

    #[test]
    fn keys() {
        assert_eq!(Hint::for_key("created_at"), Hint::Instant);
        assert_eq!(Hint::for_key("day"), Hint::UnixDay);
        assert_eq!(Hint::for_key("id"), Hint::Text);
    }
}
