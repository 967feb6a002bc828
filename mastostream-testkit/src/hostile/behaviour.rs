//! What a [`HostileServer`](super::HostileServer) does with one connection: the behaviours
//! and their parameters. Each variant's doc says what the server writes and what a correct
//! client does about it (the module docs have the same as a table).

use std::time::Duration;

use super::payload::GOOD_ID;
use super::record::Listener;

/// What the server does with one connection, after reading its request head.
///
/// Behaviours marked *by request* serve SSE to a plain `GET` and WebSocket to an upgrade;
/// the others write the same bytes whatever was asked (so a WebSocket client gets them as a
/// non-101 answer).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Behaviour {
    /// *By request*: a valid Mastodon stream sending known `update` events (see [`Good`]).
    /// The client delivers each event.
    Good(Good),
    /// A whole response (any status, headers and body), then close. See [`Canned`] for the
    /// HTML page, `Retry-After` and WebSocket refusals.
    Reply(Canned),
    /// Close right after reading the request, with no answer. Transient: reconnect.
    Hangup,
    /// `HTTP/1.1 200 OK` followed by `OK` bytes forever, without CRLF, until the client
    /// closes. The client gives up at its head-size limit (fatal for the connection, a
    /// reason naming the head size, reconnect).
    EndlessStatusLine,
    /// A status line, then one header line (`X-Endless: aaaa…`) that never ends. Same
    /// outcome as [`EndlessStatusLine`](Behaviour::EndlessStatusLine).
    EndlessHeaderLine,
    /// A status line, then `X-n: v\r\n` headers forever. The client gives up at its head
    /// size (or header count) limit.
    EndlessHeaders,
    /// A valid SSE head and `:)`, then an `event: update` whose `data:` line never ends,
    /// inside valid chunks. The client reports the line over its limit and does not grow
    /// memory past it.
    EndlessSseLine,
    /// A valid SSE head and `:)`, then a broken chunk-size line (see [`ChunkSize`]), then
    /// `x` bytes until the client closes. The client rejects the size line (fatal for the
    /// connection, broken chunk framing) before allocating anything by it.
    ChunkSize(ChunkSize),
    /// A `200 text/event-stream` with a lying `Content-Length` (see [`LyingLength`]).
    ContentLength(LyingLength),
    /// Bytes that are not HTTP (see [`Garbage`]). The client reports "not HTTP".
    Garbage(Garbage),
    /// *By request*: the [`Good`] stream's bytes (the head included), one byte at a time at
    /// this [`Pace`], then held open. The client delivers the event once its bytes are in;
    /// with a head timer, a head that takes too long is a reason to reconnect.
    SlowDrip(Pace),
    /// *By request*: a valid stream with one bad `update` (see [`BadPayload`]), then the
    /// good [`GOOD_ID`] update, then held open. The client reports the bad one as a
    /// malformed event (no panic, no stack overflow) and delivers the good one.
    BadPayload(BadPayload),
    /// A redirect (see [`Redirect`]).
    Redirect(Redirect),
    /// A WebSocket upgrade accepted with `101`, then a hostile peer (see [`WsBehaviour`]).
    /// A plain `GET` gets `400`.
    Ws(WsBehaviour),
    /// *By request*: a valid stream that writes `update` events as fast as the socket
    /// accepts them, up to `max_bytes`, then ends cleanly. [`Connection::bytes_written`]
    /// and [`Connection::write_stalls`] show whether a client that stopped reading made
    /// the writes block (it must: bounded queues, TCP backpressure).
    ///
    /// [`Connection::bytes_written`]: super::Connection::bytes_written
    /// [`Connection::write_stalls`]: super::Connection::write_stalls
    Flood {
        /// Stop after this many bytes (events are never cut).
        max_bytes: u64,
    },
}

impl Behaviour {
    /// The variant's name, as recorded in [`Connection::behaviour`](super::Connection::behaviour).
    pub fn name(&self) -> &'static str {
        match self {
            Behaviour::Good(_) => "Good",
            Behaviour::Reply(_) => "Reply",
            Behaviour::Hangup => "Hangup",
            Behaviour::EndlessStatusLine => "EndlessStatusLine",
            Behaviour::EndlessHeaderLine => "EndlessHeaderLine",
            Behaviour::EndlessHeaders => "EndlessHeaders",
            Behaviour::EndlessSseLine => "EndlessSseLine",
            Behaviour::ChunkSize(_) => "ChunkSize",
            Behaviour::ContentLength(_) => "ContentLength",
            Behaviour::Garbage(_) => "Garbage",
            Behaviour::SlowDrip(_) => "SlowDrip",
            Behaviour::BadPayload(_) => "BadPayload",
            Behaviour::Redirect(_) => "Redirect",
            Behaviour::Ws(_) => "Ws",
            Behaviour::Flood { .. } => "Flood",
        }
    }

    /// The good stream with the one [`GOOD_ID`] update, held open.
    pub fn good() -> Behaviour {
        Behaviour::Good(Good::default())
    }

    /// `200 OK`, `Content-Type: text/html`, an HTML page. The client reports "not an event
    /// stream (Content-Type text/html)" (a WebSocket client: "expected 101, got 200").
    pub fn html_page() -> Behaviour {
        Behaviour::Reply(Canned::html_page())
    }

    /// `status` (`503`, `429`) with `Retry-After: value`, the value written verbatim (see
    /// [`RETRY_AFTER_VALUES`]). The client retries after a delay it computed without
    /// overflow and capped at its configured maximum, and says when the cap applied.
    pub fn retry_after(status: u16, value: &str) -> Behaviour {
        Behaviour::Reply(Canned::retry_after(status, value))
    }

    /// A redirect with this status to this location.
    pub fn redirect(status: u16, to: Location) -> Behaviour {
        Behaviour::Redirect(Redirect { status, to })
    }

    /// `hops` redirects in a row (queue them on one listener): hop `i` points to the
    /// request's own target with `hop=i` set in its query, so no URL repeats and only the
    /// client's redirect-count bound stops it. After the last hop the listener's next
    /// behaviour (the default: [`Good`]) answers.
    pub fn redirect_chain(hops: usize, status: u16) -> Vec<Behaviour> {
        (1..=hops)
            .map(|i| Behaviour::redirect(status, Location::Hop(i)))
            .collect()
    }
}

/// `Retry-After` values a server may send: seconds of any length, HTTP-dates far away,
/// garbage. A client must parse each without overflow or panic.
pub const RETRY_AFTER_VALUES: &[&str] = &[
    "30",
    "0",
    "9999999999999999999",
    "99999999999999999999999999999999",
    "18446744073709551616",
    "1e10",
    "-1",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "soon",
    "",
];

/// The valid stream a [`Behaviour::Good`] serves.
///
/// Over SSE: Mastodon's head (`200`, `text/event-stream`, chunked), `:)`, then each update
/// as two chunks (`event: update\n`, `data: <Status JSON>\n\n`). Over WebSocket: `101`,
/// then (once the stream is known, from `?stream=` on the upgrade URL or the client's first
/// subscribe message) each update as `{"stream":[...],"event":"update","payload":"<Status
/// JSON as a string>"}`, then one ping (payload `hostile`); it answers the client's pings
/// with pongs and its close with the same close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Good {
    /// The ids of the `update` events, in order (Status JSON from
    /// [`status_json`](super::status_json)).
    pub ids: Vec<u64>,
    /// After the events, end cleanly (SSE: the last chunk `0\r\n\r\n`; WebSocket: close
    /// `1000`) instead of holding the connection open until the client closes.
    pub end: bool,
}

impl Default for Good {
    fn default() -> Self {
        Good {
            ids: vec![GOOD_ID],
            end: false,
        }
    }
}

/// A whole HTTP response, written as `HTTP/1.1 STATUS REASON`, the headers, then
/// `Content-Length` and `Connection: close`, then the body; the server then closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canned {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers, written in order before `Content-Length`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Canned {
    /// A response with this status line, no headers and no body.
    pub fn new(status: u16, reason: &str) -> Canned {
        Canned {
            status,
            reason: reason.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: &[u8]) -> Canned {
        self.body = body.to_vec();
        self
    }

    /// `200 OK`, `Content-Type: text/html; charset=utf-8`, a small HTML page (a captive
    /// portal, a parked domain, a login page).
    pub fn html_page() -> Canned {
        Canned::new(200, "OK")
            .with_header("Content-Type", "text/html; charset=utf-8")
            .with_body(b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n")
    }

    /// `status` with `Retry-After: value` (verbatim) and Mastodon's JSON error body.
    pub fn retry_after(status: u16, value: &str) -> Canned {
        let reason = match status {
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Error",
        };
        Canned::new(status, reason)
            .with_header("Content-Type", "application/json; charset=utf-8")
            .with_header("Retry-After", value)
            .with_body(format!("{{\"error\":\"{reason}\"}}").as_bytes())
    }

    /// Mastodon's refusal of a WebSocket upgrade: `401 Unauthorized` with
    /// `X-Error-Message: message` and an empty body. The client stops (no retry) and names
    /// the message.
    pub fn ws_unauthorized(message: &str) -> Canned {
        Canned::new(401, "Unauthorized")
            .with_header("Content-Type", "text/plain")
            .with_header("X-Error-Message", message)
    }
}

/// A broken chunk-size line, written after a valid head and the `:)` chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkSize {
    /// `ffffffffffffffffffff\r\n`: 20 hex digits, over 2^64.
    Overflow,
    /// `ffffffffffffffff\r\n`: 2^64 − 1, the largest `u64`, far over any limit.
    Max64,
    /// Hex digits (`f`) forever, never a CRLF.
    Endless,
}

/// A lying `Content-Length` on a `200 text/event-stream`, whose body is the good stream
/// (`:)` and the [`GOOD_ID`] update).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LyingLength {
    /// `Content-Length` 1,000,000 bytes more than the body, then close. The client may
    /// deliver the event, then reports the body ending early (transient: reconnect).
    Short,
    /// `Content-Length: -1`. The client rejects the head (invalid length): nothing
    /// delivered.
    Negative,
    /// `Content-Length: 99999999999999999999999` (over 2^64). Rejected, no overflow.
    Absurd,
    /// Two `Content-Length` headers, `5` and `7`. Rejected (RFC 9112 §6.3).
    Conflicting,
}

/// Bytes that are not HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Garbage {
    /// `len` pseudo-random bytes from `seed`, then close.
    Random {
        /// How many bytes.
        len: usize,
        /// The PRNG seed (the same seed writes the same bytes).
        seed: u64,
    },
    /// `SSH-2.0-OpenSSH_9.6\r\n` (an SSH server on the port), then held open.
    SshBanner,
    /// A TLS alert record (`15 03 03 00 02 02 0a`: what a TLS server answers to plaintext),
    /// then close: TLS bytes on a plain port.
    TlsAlert,
}

/// How fast a [`Behaviour::SlowDrip`] writes its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// One byte per interval of wall-clock time.
    Every(Duration),
    /// One byte per byte released by [`HostileServer::release`](super::HostileServer::release):
    /// the test decides when each byte goes, no clock involved.
    Step,
}

/// A bad `update` payload, sent before the good one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadPayload {
    /// The Status JSON with invalid UTF-8 (`ff fe c3 28`) at the start of its `content`
    /// string. Over WebSocket (a text frame cannot hold it): a lone surrogate escape
    /// `\ud800` there instead, which no JSON parser may accept as text.
    InvalidUtf8,
    /// The Status JSON with a first field `"hostile":[[[…]]]`, arrays nested this deep
    /// (100,000 for the brief's case).
    NestedArrays(usize),
    /// The Status JSON with a first field `"hostile":{"a":{"a":…1…}}`, objects nested
    /// this deep.
    NestedObjects(usize),
}

/// A redirect: `STATUS` with `Location`, a small body, then close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The status: 301, 302, 303, 307 or 308 (any is written as given).
    pub status: u16,
    /// Where it points.
    pub to: Location,
}

/// Where a redirect points. The client follows at most its redirect bound, ends a loop
/// with an error saying it was a redirect loop, never sends `Authorization` to another
/// origin (scheme, host, port), refuses https→http, and treats a non-http(s) `Location`
/// as a clear fatal error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The URL just requested (absolute): a loop of one.
    Same,
    /// The request's target on that listener, as an absolute URL with that listener's
    /// scheme. `On(Listener::Second)` from the main listener is cross-origin (another
    /// port); with a TLS main listener and a plain second one it is also a downgrade.
    /// Setting each listener's default to point at the other makes the loop A→B→A.
    On(Listener),
    /// This path (and query) on that listener, as an absolute URL.
    Path(Listener, String),
    /// Written exactly as given: relative references (`/x`, `x`, `../x`, `?q`,
    /// `//127.0.0.1:PORT/x`) and other schemes (`ftp://127.0.0.1/x`,
    /// `javascript:alert(1)`, `file:///etc/passwd`).
    Verbatim(String),
    /// The request's target with `hop=N` set in its query (see
    /// [`Behaviour::redirect_chain`]).
    Hop(usize),
    /// An absolute URL on the same listener padded to this many bytes (1 MiB for the
    /// brief's case): the client stops at its head or `Location` limit.
    Long(usize),
}

/// A hostile WebSocket peer. Each accepts the upgrade with a correct `101`, writes what it
/// says, then reads the client's frames (recorded in
/// [`Connection::frames`](super::Connection::frames)) until the client closes; it answers a
/// close frame with the same close. A correct client fails the connection with the close
/// code named here, sends that close frame, and reconnects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsBehaviour {
    /// A text frame header in the 64-bit length form claiming `len` bytes, then `x` bytes
    /// until the client closes. `2^63 − 1` ([`MAX_FRAME_LEN`](super::MAX_FRAME_LEN)): legal
    /// but over any limit, close `1009`. `2^63`: invalid (the length's most significant bit
    /// must be 0), close `1002`. Nothing is allocated by the claimed length.
    FrameLength(u64),
    /// A text frame without FIN, then continuation frames (4 KiB each, never FIN)
    /// forever. The client bounds the message size: close `1009`.
    EndlessFragments,
    /// `pings` ping frames with `payload` bytes each (at most 125), then the good update,
    /// then as [`Good`]. The client answers pongs (the last one at least) and delivers the
    /// update.
    PingFlood {
        /// How many pings.
        pings: usize,
        /// Payload bytes per ping (capped at 125, the control-frame maximum).
        payload: usize,
    },
    /// A text frame whose payload is invalid UTF-8 (`ff fe`). Close `1007`.
    InvalidUtf8Text,
    /// A frame with this opcode (a reserved one: `0x3`–`0x7`, `0xB`–`0xF`), FIN set, a short
    /// payload. Close `1002`.
    ReservedOpcode(u8),
    /// A text frame (the good update) with these RSV bits set (`1`–`7`: RSV3, RSV2,
    /// RSV1 as bits 0, 1, 2), no extension negotiated. Close `1002`.
    ReservedBits(u8),
    /// The good update as a masked frame (a server must not mask). Close `1002`.
    MaskedFrame,
    /// A close frame from the server (see [`CloseFrame`]). The client answers with a close
    /// frame (echoing a valid code, `1002` for an invalid close frame) and reports the
    /// code and reason; `1000`/`1001` are normal, others an error; it reconnects unless
    /// the code means stop.
    Close(CloseFrame),
}

/// The payload of a server close frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseFrame {
    /// A status code and a UTF-8 reason (may be empty): `1000`, `1001`, `1008` with a
    /// reason, `1011`, `4000`, …
    Code(u16, String),
    /// A one-byte payload (invalid: a code takes two). The client answers `1002`.
    OneByte,
    /// A code and an invalid UTF-8 reason (`ff fe`). The client answers `1007` (or
    /// `1002`).
    InvalidUtf8Reason(u16),
}
