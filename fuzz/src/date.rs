//! Calendar dates of any year 1–9999, written in every format servers use for
//! them: the HTTP-date's three (IMF-fixdate, RFC 850, asctime) and RFC 3339.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::wire_struct;

wire_struct! {
    /// A calendar date and time: year `1 + year % 9999` (1 to 9999), month `1 + month % 12`,
    /// day `1 + day % 31` (so also 31 February), `hour % 24`, `minute % 60`, `second % 60`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Date {
        /// The year, minus one (modulo 9999).
        pub year: u16,
        /// The month, minus one (modulo 12).
        pub month: u8,
        /// The day, minus one (modulo 31).
        pub day: u8,
        /// The hour (modulo 24).
        pub hour: u8,
        /// The minute (modulo 60).
        pub minute: u8,
        /// The second (modulo 60).
        pub second: u8,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm; any year).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the Unix epoch of a wall-clock time (negative before it).
pub fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

impl Date {
    /// Year, month (1–12), day (1–31), hour, minute, second.
    pub fn fields(&self) -> [i64; 6] {
        [
            1 + i64::from(self.year % 9999),
            1 + i64::from(self.month % 12),
            1 + i64::from(self.day % 31),
            i64::from(self.hour % 24),
            i64::from(self.minute % 60),
            i64::from(self.second % 60),
        ]
    }

    /// The date `secs` seconds after the Unix epoch, clamped to the years 1–9999.
    pub fn from_unix(secs: i64) -> Date {
        let lo = days_from_civil(1, 1, 1) * 86_400;
        let hi = days_from_civil(9999, 12, 31) * 86_400 + 86_399;
        let secs = secs.clamp(lo, hi);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let s = secs.rem_euclid(86_400);
        Date {
            year: (y - 1) as u16,
            month: (m - 1) as u8,
            day: (d - 1) as u8,
            hour: (s / 3600) as u8,
            minute: (s / 60 % 60) as u8,
            second: (s % 60) as u8,
        }
    }

    /// Whether the day exists in its month (31 February does not).
    pub fn is_real(&self) -> bool {
        let [y, m, d, ..] = self.fields();
        let (y2, m2, d2) = civil_from_days(days_from_civil(y, m, d));
        (y2, m2, d2) == (y, m, d)
    }

    /// Seconds since the Unix epoch (of the normalised date when it is not real).
    pub fn unix(&self) -> i64 {
        let [y, m, d, h, mi, s] = self.fields();
        days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s
    }

    /// The date as a wall-clock time (the epoch for dates before it).
    pub fn wall(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::try_from(self.unix()).unwrap_or(0))
    }

    fn weekday(&self) -> &'static str {
        let [y, m, d, ..] = self.fields();
        // 1970-01-01 was a Thursday (index 3).
        DAYS[(days_from_civil(y, m, d) + 3).rem_euclid(7) as usize]
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate).
    pub fn imf(&self) -> String {
        let [y, m, d, h, mi, s] = self.fields();
        let mon = MONTHS[(m - 1) as usize];
        let wd = &self.weekday()[..3];
        format!("{wd}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{s:02} GMT")
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850).
    pub fn rfc850(&self) -> String {
        let [y, m, d, h, mi, s] = self.fields();
        let mon = MONTHS[(m - 1) as usize];
        let wd = self.weekday();
        format!(
            "{wd}, {d:02}-{mon}-{:02} {h:02}:{mi:02}:{s:02} GMT",
            y % 100
        )
    }

    /// `Sun Nov  6 08:49:37 1994` (asctime).
    pub fn asctime(&self) -> String {
        let [y, m, d, h, mi, s] = self.fields();
        let mon = MONTHS[(m - 1) as usize];
        let wd = &self.weekday()[..3];
        format!("{wd} {mon} {d:>2} {h:02}:{mi:02}:{s:02} {y:04}")
    }

    /// `2026-11-23T08:00:00.000Z`, or with a `±HH:MM` offset (minutes, east positive).
    pub fn rfc3339(&self, frac: bool, offset: Option<i16>) -> String {
        let [y, m, d, h, mi, s] = self.fields();
        let frac = if frac { ".000" } else { "" };
        let zone = match offset {
            None => "Z".to_owned(),
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                format!("{sign}{:02}:{:02}", a / 60 % 100, a % 60)
            }
        };
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
    }
}

/// The time `secs` seconds from `wall`, as a date.
pub fn from_now(wall: SystemTime, secs: i32) -> Date {
    Date::from_unix(unix(wall).saturating_add(i64::from(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_as_http_dates_and_read_back() {
        let d = Date::from_unix(784_111_777);
        assert_eq!(d.imf(), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(d.rfc850(), "Sunday, 06-Nov-94 08:49:37 GMT");
        assert_eq!(d.asctime(), "Sun Nov  6 08:49:37 1994");
        assert_eq!(d.rfc3339(true, Some(-90)), "1994-11-06T08:49:37.000-01:30");
        for secs in [
            0,
            784_111_777,
            253_402_300_799,
            -62_135_596_800,
            951_782_400,
        ] {
            let d = Date::from_unix(secs);
            assert!(d.is_real());
            assert_eq!(d.unix(), secs);
            if secs >= 0 {
                let t = UNIX_EPOCH + Duration::from_secs(secs as u64);
                assert_eq!(httpdate::parse_http_date(&d.imf()).unwrap(), t);
                assert_eq!(httpdate::parse_http_date(&d.asctime()).unwrap(), t);
            }
        }
        let feb31 = Date {
            year: 2025,
            month: 1,
            day: 30,
            hour: 0,
            minute: 0,
            second: 0,
        };
        assert!(!feb31.is_real());
    }
}
