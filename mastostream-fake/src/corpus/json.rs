//! A small compact-JSON writer (keys in the order they are written, strings escaped the way
//! Node's `JSON.stringify` does), the ASCII-only re-encoding, and timestamp formatting.

use std::fmt::Write as _;

/// Appends compact JSON to a `String`, inserting commas itself.
#[derive(Debug, Default)]
pub(crate) struct JsonOut {
    pub(crate) buf: String,
    comma: bool,
}

impl JsonOut {
    pub(crate) fn with_capacity(n: usize) -> Self {
        JsonOut {
            buf: String::with_capacity(n),
            comma: false,
        }
    }

    fn sep(&mut self) {
        if self.comma {
            self.buf.push(',');
        }
    }

    pub(crate) fn obj(&mut self) -> &mut Self {
        self.sep();
        self.buf.push('{');
        self.comma = false;
        self
    }

    pub(crate) fn end_obj(&mut self) -> &mut Self {
        self.buf.push('}');
        self.comma = true;
        self
    }

    pub(crate) fn arr(&mut self) -> &mut Self {
        self.sep();
        self.buf.push('[');
        self.comma = false;
        self
    }

    pub(crate) fn end_arr(&mut self) -> &mut Self {
        self.buf.push(']');
        self.comma = true;
        self
    }

    /// An object key; the next value written belongs to it.
    pub(crate) fn key(&mut self, k: &str) -> &mut Self {
        self.sep();
        self.buf.push('"');
        self.buf.push_str(k);
        self.buf.push_str("\":");
        self.comma = false;
        self
    }

    pub(crate) fn str(&mut self, v: &str) -> &mut Self {
        self.sep();
        escape_into(&mut self.buf, v);
        self.comma = true;
        self
    }

    pub(crate) fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// A decimal id written as a JSON string.
    pub(crate) fn id(&mut self, v: u64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "\"{v}\"");
        self.comma = true;
        self
    }

    pub(crate) fn opt_id(&mut self, v: Option<u64>) -> &mut Self {
        match v {
            Some(id) => self.id(id),
            None => self.null(),
        }
    }

    pub(crate) fn int(&mut self, v: u64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self.comma = true;
        self
    }

    /// A float as `JSON.stringify` writes it: shortest round-trip form, no `.0` on whole
    /// numbers, and `0` for negative zero.
    pub(crate) fn float(&mut self, v: f64) -> &mut Self {
        self.sep();
        let v = if v == 0.0 { 0.0 } else { v };
        let _ = write!(self.buf, "{v}");
        self.comma = true;
        self
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.buf.push_str(if v { "true" } else { "false" });
        self.comma = true;
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("null");
        self.comma = true;
        self
    }

    /// An already-encoded JSON value.
    pub(crate) fn raw(&mut self, json: &str) -> &mut Self {
        self.sep();
        self.buf.push_str(json);
        self.comma = true;
        self
    }

    /// An ISO 8601 timestamp with milliseconds, as Rails writes `created_at`.
    pub(crate) fn time(&mut self, ms: u64) -> &mut Self {
        self.sep();
        self.buf.push('"');
        push_iso(&mut self.buf, ms);
        self.buf.push('"');
        self.comma = true;
        self
    }

    pub(crate) fn opt_time(&mut self, ms: Option<u64>) -> &mut Self {
        match ms {
            Some(t) => self.time(t),
            None => self.null(),
        }
    }

    /// An empty array.
    pub(crate) fn empty_arr(&mut self) -> &mut Self {
        self.arr().end_arr()
    }

    pub(crate) fn into_string(self) -> String {
        self.buf
    }
}

/// Writes `s` as a JSON string the way `JSON.stringify` does: raw UTF-8, escaping only `"`,
/// `\` and control characters (U+2028/U+2029 stay raw).
pub(crate) fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Re-encodes compact JSON text ASCII-only, as Rails' `to_json` or Go's `encoding/json` write
/// it: every non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF) and `<`, `>`, `&`
/// as `\u003c`, `\u003e`, `\u0026`. The decoded value is unchanged, because these characters
/// can only occur inside JSON strings.
pub fn escape_ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 4);
    let mut units = [0u16; 2];
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c if c.is_ascii() => out.push(c),
            c => {
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
        }
    }
    out
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const DAY_MS: u64 = 86_400_000;

/// `2025-06-02T09:00:00.123Z`
pub(crate) fn push_iso(out: &mut String, ms: u64) {
    let (y, mo, d) = civil((ms / DAY_MS) as i64);
    let in_day = ms % DAY_MS;
    let (h, mi, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"
    );
}

/// `2025-06-02T00:00:00.000Z` (accounts' `created_at` is a date at midnight).
pub(crate) fn iso_midnight(ms: u64) -> u64 {
    ms - ms % DAY_MS
}

/// `2025-06-02`
pub(crate) fn date_only(ms: u64) -> String {
    let (y, mo, d) = civil((ms / DAY_MS) as i64);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// `Mon, 02 Jun 2025 09:00:00 GMT`
pub(crate) fn http_date(ms: u64) -> String {
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = ms / DAY_MS;
    let (y, mo, d) = civil(days as i64);
    let in_day = ms % DAY_MS;
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        WD[(days % 7) as usize],
        MON[mo as usize - 1],
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        let t = 1_748_854_800_000; // 2025-06-02T09:00:00Z
        let mut s = String::new();
        push_iso(&mut s, t + 123);
        assert_eq!(s, "2025-06-02T09:00:00.123Z");
        assert_eq!(http_date(t), "Mon, 02 Jun 2025 09:00:00 GMT");
        assert_eq!(date_only(t), "2025-06-02");
        let mut s = String::new();
        push_iso(&mut s, iso_midnight(t));
        assert_eq!(s, "2025-06-02T00:00:00.000Z");
        let mut s = String::new();
        push_iso(&mut s, 951_782_400_000); // leap day 2000
        assert_eq!(s, "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn writer_and_escapes() {
        let mut j = JsonOut::default();
        j.obj()
            .key("a")
            .str("x\"\\\n\u{1}\u{2028}é")
            .key("b")
            .arr()
            .int(1)
            .float(-0.0);
        j.float(1.5)
            .float(2.0)
            .null()
            .end_arr()
            .key("c")
            .obj()
            .end_obj()
            .end_obj();
        assert_eq!(
            j.buf,
            "{\"a\":\"x\\\"\\\\\\n\\u0001\u{2028}é\",\"b\":[1,0,1.5,2,null],\"c\":{}}"
        );
        let a = escape_ascii_json("{\"k\":\"<a href=\\\"x\\\">é 🦀 &amp;</a>\"}");
        assert_eq!(
            a,
            "{\"k\":\"\\u003ca href=\\\"x\\\"\\u003e\\u00e9 \\ud83e\\udd80 \\u0026amp;\\u003c/a\\u003e\"}"
        );
        assert!(a.is_ascii());
    }
}
