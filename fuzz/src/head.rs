//! A response head built from the values in [`crate::values`]: the status, the content
//! type, framing headers, `Retry-After`, `Location`, rate-limit headers, any number of
//! filler headers and one header line of any length. `http_head` parses it; `session_ops`
//! sends it as a stream or REST response, or hands it over as a refused upgrade.

use std::time::SystemTime;

use bytes::Bytes;
use mastostream_proto::http::{Header, ResponseHead};

use crate::values::{Coding, Length, Location, RateLimit, RetryAfter};
use crate::{wire_enum, wire_struct};

/// Statuses [`Status::Known`] picks from.
pub const STATUSES: [u16; 30] = [
    200, 429, 503, 500, 502, 504, 408, 425, 301, 302, 303, 307, 308, 401, 403, 400, 404, 410, 204,
    206, 100, 101, 103, 300, 418, 599, 600, 999, 0, 1000,
];

wire_enum! {
    /// A status code.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Status {
        /// One of [`STATUSES`].
        Known { i: u8 },
        /// Any `u16`.
        Any { code: u16 },
    }
}

impl Status {
    /// The code.
    pub fn code(&self) -> u16 {
        match self {
            Status::Known { i } => STATUSES[usize::from(*i) % STATUSES.len()],
            Status::Any { code } => *code,
        }
    }
}

/// `Content-Type` values a head picks from (the last: none).
pub const CONTENT_TYPES: [&str; 8] = [
    "text/event-stream",
    "application/json; charset=utf-8",
    "text/html; charset=utf-8",
    "text/event-stream; charset=utf-8",
    "TEXT/EVENT-STREAM",
    "text/plain",
    "text/event-streams",
    "",
];

wire_struct! {
    /// A response head.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Head {
        /// The status.
        pub status: Status,
        /// Index into [`CONTENT_TYPES`].
        pub content_type: u8,
        /// `Transfer-Encoding`.
        pub coding: Coding,
        /// `Content-Length`.
        pub length: Length,
        /// `Retry-After`.
        pub retry_after: RetryAfter,
        /// `Location`.
        pub location: Location,
        /// Rate-limit headers.
        pub rate_limit: RateLimit,
        /// This many `X-Filler-n` headers (past proto's 128-header limit too).
        pub filler: u8,
        /// One `X-Long` header with a value of this many bytes (none for 0).
        pub long: u16,
    }
}

impl Head {
    /// A head with `status` and `content_type` and nothing else unusual (chunked when it is
    /// an event stream).
    pub fn simple(status: u8, content_type: u8) -> Head {
        Head {
            status: Status::Known { i: status },
            content_type,
            coding: if content_type.is_multiple_of(8) {
                Coding::Chunked
            } else {
                Coding::Absent
            },
            length: if content_type.is_multiple_of(8) {
                Length::Absent
            } else {
                Length::Exact
            },
            retry_after: RetryAfter::Absent,
            location: Location::Absent,
            rate_limit: RateLimit::Absent,
            filler: 0,
            long: 0,
        }
    }

    /// Whether every value is generated (none of them raw bytes, which may hold line
    /// breaks and so other headers): then what proto reads can be predicted exactly.
    pub fn is_clean(&self) -> bool {
        use crate::values::Reset;
        !matches!(self.coding, Coding::Raw { .. })
            && !matches!(self.length, Length::Raw { .. })
            && !matches!(self.retry_after, RetryAfter::Raw { .. })
            && !matches!(self.location, Location::Raw { .. })
            && !matches!(
                self.rate_limit,
                RateLimit::Reset {
                    reset: Reset::Raw { .. },
                    ..
                }
            )
    }

    /// The headers, for a body of `body_len` bytes; `wall` is the receiver's wall clock
    /// (for dates relative to it).
    pub fn headers(&self, body_len: usize, wall: SystemTime) -> Vec<(String, Vec<u8>)> {
        let mut h: Vec<(String, Vec<u8>)> = Vec::new();
        let mut add = |name: &str, value: Vec<u8>| h.push((name.to_owned(), value));
        let ct = CONTENT_TYPES[usize::from(self.content_type) % CONTENT_TYPES.len()];
        if !ct.is_empty() {
            add("Content-Type", ct.as_bytes().to_vec());
        }
        add("Cache-Control", b"private, no-store".to_vec());
        for v in self.coding.values() {
            add("Transfer-Encoding", v);
        }
        for v in self.length.values(body_len) {
            add("Content-Length", v);
        }
        if let Some(v) = self.retry_after.value(wall) {
            add("Retry-After", v);
        }
        if let Some(v) = self.location.value() {
            add("Location", v);
        }
        for (name, v) in self.rate_limit.headers(wall) {
            add(name, v);
        }
        for i in 0..self.filler {
            add(&format!("X-Filler-{i}"), i.to_string().into_bytes());
        }
        if self.long > 0 {
            add("X-Long", vec![b'l'; usize::from(self.long)]);
        }
        h
    }

    /// The head's bytes: status line, headers, blank line.
    pub fn bytes(&self, body_len: usize, wall: SystemTime) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} Reason\r\n", self.status.code()).into_bytes();
        for (name, value) in self.headers(body_len, wall) {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The head as a driver hands it over with a refused WebSocket upgrade.
    pub fn response_head(&self, body_len: usize, wall: SystemTime) -> ResponseHead {
        let headers = self
            .headers(body_len, wall)
            .into_iter()
            .map(|(name, value)| Header {
                name,
                value: Bytes::from(value),
            })
            .collect();
        ResponseHead::new(self.status.code(), "Refused", headers)
    }
}
