//! `session_ops`: a [`Session`] (SSE or WebSocket, small limits) driven by an
//! `arbitrary`-derived sequence of adapter inputs, checking its contract after each one.
//!
//! The input is a [`Setup`] followed by [`Op`]s back to back, each read with `arbitrary`
//! (derived; [`Raw`] byte strings are a length byte and that many bytes). [`Encode`] writes
//! the same format, for the seed corpus (`cargo run --example session_seeds`).
//!
//! What [`run`] checks, after every input:
//! - no panic;
//! - after `handle_timeout(now)` (any `now`, even one earlier than seen before),
//!   `poll_timeout()` is `None` or later than the latest `now`;
//! - nothing is output after `Finished`, `is_finished()` says so, `poll_timeout()` is `None`,
//!   and every transport was closed by then;
//! - transport ids are never reused; `Transmit` only to a plain transport, once, after
//!   `handle_connected` and before its `Close`; `SendText` only to a WebSocket transport
//!   after `handle_connected` and before its `Close`; `Close` only once per transport;
//! - input about a closed (or never opened) transport is ignored: no output at all;
//! - `buffered()` bytes within the configured limits, held events ≤ `max_held`;
//! - items fit the configuration: SSE sessions never hand out `StreamEvent`/`StreamError`,
//!   WebSocket sessions never a plain `Item::Event`; no heartbeats when they are off; no
//!   `Recovered`, `CaughtUp` or `Gap` when catch-up is off.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use mastostream_proto::http::{Header, ResponseHead, Token};
use mastostream_proto::session::{
    Instance, Item, Machine, Output, Session, SessionConfig, TransportError, TransportId,
};
use mastostream_proto::{Channel, JsonBackend, Limits, PublicScope};

/// The session's configuration, from the first bytes of the input.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The WebSocket transport (else SSE).
    pub websocket: bool,
    /// Catch-up over REST after reconnects.
    pub catch_up: bool,
    /// Anchor fetches on the first connection.
    pub anchor: bool,
    /// Deliver heartbeats.
    pub heartbeats: bool,
    /// simd-json (else serde_json).
    pub simd_json: bool,
    /// Send a token.
    pub token: bool,
    /// The main channel (index into [`channels`]).
    pub channel: u8,
    /// Bits 0–3 pick a small limit for the head, line, event and error body; bits 4–7 scale
    /// the small limits.
    pub limits: u8,
    /// `max_held` is `1 + n % 8`.
    pub max_held: u8,
    /// `0`: never give up; else `max_attempts` is `1 + n % 8`.
    pub max_attempts: u8,
    /// `max_redirects` is `n % 4`.
    pub max_redirects: u8,
    /// `max_pages` is `1 + n % 4`; `page_size` is `1 + n / 4 % 40`.
    pub pages: u8,
    /// `0`: the default `max_body`; else `64 × n` bytes.
    pub max_body: u8,
    /// The backoff jitter seed.
    pub seed: u8,
}

/// One adapter input. A transport pick `p` is the `p`-th newest transport the session asked
/// for (modulo how many it did), except `255`: a transport it never opened.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `handle_connected`.
    Connected(u8),
    /// `handle_connect_failed`.
    ConnectFailed(u8),
    /// `handle_data`.
    Data(u8, Chunk),
    /// `handle_eof`.
    Eof(u8),
    /// `handle_io_error`.
    IoError(u8),
    /// `handle_ws_message`.
    WsMessage(u8, Message),
    /// `handle_ws_frame` (a ping, pong or binary frame).
    WsFrame(u8),
    /// `handle_ws_rejected`.
    WsRejected(u8, Rejection),
    /// `subscribe` to a channel (index into [`channels`]).
    Subscribe(u8),
    /// `unsubscribe` from a channel (index into [`channels`]).
    Unsubscribe(u8),
    /// Time passes (milliseconds), then `handle_timeout`.
    AdvanceMs(u16),
    /// Time passes (seconds), then `handle_timeout`.
    AdvanceSecs(u16),
    /// Time moves to `poll_timeout()` (if later), then `handle_timeout`.
    ToDeadline,
    /// `handle_timeout` with a `now` this many milliseconds before the latest.
    StaleTimeout(u16),
    /// `close`.
    Close,
}

/// Bytes for `handle_data`.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// One of [`fragments`].
    Fragment(u8),
    /// Arbitrary bytes.
    Raw(Raw),
}

/// A WebSocket text message.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// One of [`ws_messages`].
    Fixture(u8),
    /// Arbitrary bytes.
    Raw(Raw),
}

/// A refused WebSocket upgrade.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Index into [`REJECT_STATUSES`].
    pub status: u8,
    /// `0`: none; `1..=127`: that many seconds; `128..=191`: a date in the past; else a
    /// date a day after the session's start.
    pub retry_after: u8,
    /// Index into [`LOCATIONS`] (`0`: none).
    pub location: u8,
    /// The response body.
    pub body: Raw,
}

/// Up to 255 arbitrary bytes: a length byte, then that many bytes (fewer if the input
/// ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw(pub Vec<u8>);

impl<'a> Arbitrary<'a> for Raw {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = usize::from(u8::arbitrary(u)?).min(u.len());
        Ok(Raw(u.bytes(len)?.to_vec()))
    }
}

/// A whole `session_ops` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The configuration.
    pub setup: Setup,
    /// The inputs, in order.
    pub ops: Vec<Op>,
}

impl Input {
    /// Reads a setup, then ops until the bytes run out. `None` if the setup does not fit.
    pub fn parse(data: &[u8]) -> Option<Input> {
        let mut u = Unstructured::new(data);
        let setup = Setup::arbitrary(&mut u).ok()?;
        let mut ops = Vec::new();
        while !u.is_empty() {
            match Op::arbitrary(&mut u) {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        Some(Input { setup, ops })
    }

    /// The bytes [`Input::parse`] reads back as this input.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.setup.encode(&mut out);
        for op in &self.ops {
            op.encode(&mut out);
        }
        out
    }
}

/// Writes a value in the format `arbitrary` (derived, 1.x) reads it back from.
pub trait Encode {
    /// Appends the value's bytes.
    fn encode(&self, out: &mut Vec<u8>);
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Encode for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Encode for Raw {
    fn encode(&self, out: &mut Vec<u8>) {
        assert!(self.0.len() <= 255, "a Raw holds at most 255 bytes");
        out.push(self.0.len() as u8);
        out.extend_from_slice(&self.0);
    }
}

/// A derived enum's variant `index` of `count`: a `u32` that `(x × count) >> 32` maps back
/// to `index`.
fn tag(index: u64, count: u64, out: &mut Vec<u8>) {
    let x = (index << 32).div_ceil(count);
    out.extend_from_slice(&(x as u32).to_le_bytes());
}

impl Encode for Setup {
    fn encode(&self, out: &mut Vec<u8>) {
        let Setup {
            websocket,
            catch_up,
            anchor,
            heartbeats,
            simd_json,
            token,
            channel,
            limits,
            max_held,
            max_attempts,
            max_redirects,
            pages,
            max_body,
            seed,
        } = self;
        for b in [websocket, catch_up, anchor, heartbeats, simd_json, token] {
            b.encode(out);
        }
        for n in [
            channel,
            limits,
            max_held,
            max_attempts,
            max_redirects,
            pages,
            max_body,
            seed,
        ] {
            n.encode(out);
        }
    }
}

impl Encode for Op {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u64 = 15;
        match self {
            Op::Connected(t) => {
                tag(0, COUNT, out);
                t.encode(out);
            }
            Op::ConnectFailed(t) => {
                tag(1, COUNT, out);
                t.encode(out);
            }
            Op::Data(t, chunk) => {
                tag(2, COUNT, out);
                t.encode(out);
                match chunk {
                    Chunk::Fragment(i) => {
                        tag(0, 2, out);
                        i.encode(out);
                    }
                    Chunk::Raw(raw) => {
                        tag(1, 2, out);
                        raw.encode(out);
                    }
                }
            }
            Op::Eof(t) => {
                tag(3, COUNT, out);
                t.encode(out);
            }
            Op::IoError(t) => {
                tag(4, COUNT, out);
                t.encode(out);
            }
            Op::WsMessage(t, message) => {
                tag(5, COUNT, out);
                t.encode(out);
                match message {
                    Message::Fixture(i) => {
                        tag(0, 2, out);
                        i.encode(out);
                    }
                    Message::Raw(raw) => {
                        tag(1, 2, out);
                        raw.encode(out);
                    }
                }
            }
            Op::WsFrame(t) => {
                tag(6, COUNT, out);
                t.encode(out);
            }
            Op::WsRejected(t, r) => {
                tag(7, COUNT, out);
                t.encode(out);
                r.status.encode(out);
                r.retry_after.encode(out);
                r.location.encode(out);
                r.body.encode(out);
            }
            Op::Subscribe(c) => {
                tag(8, COUNT, out);
                c.encode(out);
            }
            Op::Unsubscribe(c) => {
                tag(9, COUNT, out);
                c.encode(out);
            }
            Op::AdvanceMs(ms) => {
                tag(10, COUNT, out);
                ms.encode(out);
            }
            Op::AdvanceSecs(s) => {
                tag(11, COUNT, out);
                s.encode(out);
            }
            Op::ToDeadline => tag(12, COUNT, out),
            Op::StaleTimeout(ms) => {
                tag(13, COUNT, out);
                ms.encode(out);
            }
            Op::Close => tag(14, COUNT, out),
        }
    }
}

// ---- the fixed inputs ---------------------------------------------------------------

/// The streams a session subscribes to (the main channel, `subscribe`, `unsubscribe`).
pub fn channels() -> Vec<Channel> {
    vec![
        Channel::User,
        Channel::list("42"),
        Channel::hashtag("rust"),
        Channel::UserNotification,
        Channel::Public {
            scope: PublicScope::All,
            only_media: false,
        },
        Channel::Public {
            scope: PublicScope::Local,
            only_media: true,
        },
        Channel::hashtag("rust").local_only(),
        Channel::Direct,
    ]
}

/// Statuses of a refused WebSocket upgrade.
pub const REJECT_STATUSES: [u16; 16] = [
    401, 403, 400, 404, 410, 429, 503, 500, 301, 302, 307, 308, 200, 101, 418, 999,
];

/// `Location` headers of a refused upgrade (the first: none).
pub const LOCATIONS: [&str; 5] = [
    "",
    "/api/v1/streaming",
    "https://other.example/api/v1/streaming",
    "http://[::1",
    "wss://m.example/api/v1/streaming?x=1",
];

/// A stream response head as Mastodon sends it.
pub const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nCache-Control: private, no-store\r\n\r\n";

/// One HTTP chunk.
pub fn chunk(data: &[u8]) -> Bytes {
    let mut b = format!("{:x}\r\n", data.len()).into_bytes();
    b.extend_from_slice(data);
    b.extend_from_slice(b"\r\n");
    Bytes::from(b)
}

/// An SSE event in one chunk.
pub fn event(name: &str, data: &str) -> Bytes {
    chunk(format!("event: {name}\ndata: {data}\n\n").as_bytes())
}

/// A snowflake-like id.
pub fn sid(n: u64) -> String {
    (110_000_000_000_000_000 + n).to_string()
}

fn account_json(n: u64) -> String {
    format!(
        r#"{{"id":"{n}","username":"user{n}","acct":"user{n}@example.org","display_name":"User {n}","url":"https://example.org/@user{n}","created_at":"2024-01-01T00:00:00.000Z"}}"#
    )
}

/// A small status.
pub fn status_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2026-11-23T08:00:00.000Z","visibility":"public","uri":"https://example.org/s/{id}","content":"<p>status {id}</p>","account":{}}}"#,
        account_json(7)
    )
}

/// A small mention notification.
pub fn notification_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"mention","created_at":"2026-11-23T08:00:00.000Z","account":{},"status":{}}}"#,
        account_json(8),
        status_json(&format!("9{id}"))
    )
}

/// A small conversation.
pub fn conversation_json(id: &str, last: &str) -> String {
    format!(
        r#"{{"id":"{id}","unread":true,"accounts":[{}],"last_status":{}}}"#,
        account_json(9),
        status_json(last)
    )
}

/// An HTTP response with a JSON body.
pub fn json_response(status: &str, body: &str, headers: &str) -> Bytes {
    Bytes::from(format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

fn page(items: &[String], path: &str, oldest: &str, newest: &str) -> Bytes {
    let link = format!(
        "Link: <https://m.example{path}?max_id={oldest}>; rel=\"next\", <https://m.example{path}?min_id={newest}>; rel=\"prev\"\r\n"
    );
    json_response("200 OK", &format!("[{}]", items.join(",")), &link)
}

/// What `Chunk::Fragment(i)` feeds (index modulo the length): pieces of stream responses,
/// REST responses for catch-up, error responses and garbage.
pub fn fragments() -> &'static [Bytes] {
    static FRAGMENTS: OnceLock<Vec<Bytes>> = OnceLock::new();
    FRAGMENTS.get_or_init(|| {
        let statuses: Vec<String> = (10..22).rev().map(|n| status_json(&sid(n))).collect();
        vec![
            Bytes::from_static(SSE_HEAD),
            chunk(b":)\n"),
            chunk(b":thump\n"),
            event("update", &status_json(&sid(5))),
            event("update", &status_json(&sid(9))),
            event("status.update", &status_json(&sid(5))),
            event("delete", &sid(3)),
            event("notification", &notification_json(&sid(4))),
            event("conversation", &conversation_json(&sid(6), &sid(7))),
            event("update", "{\"id\":"),
            chunk(b"retry: 0\n"),
            chunk(b"retry: 100000\n"),
            chunk(b"event: update\ndata: {\"id\":\"1"),
            chunk(&[b'x'; 3000]),
            Bytes::from_static(b"0\r\n\r\n"),
            Bytes::from_static(b"zz\r\n"),
            json_response(
                "401 Unauthorized",
                r#"{"error":"Invalid access token"}"#,
                "",
            ),
            json_response("429 Too Many Requests", "{}", "Retry-After: 5\r\n"),
            json_response(
                "503 Service Unavailable",
                "{}",
                "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
            ),
            json_response(
                "301 Moved Permanently",
                "",
                "Location: /api/v1/streaming/user\r\n",
            ),
            json_response(
                "302 Found",
                "",
                "Location: https://other.example/api/v1/streaming/user\r\n",
            ),
            json_response("307 Temporary Redirect", "", "Location: http://[::1\r\n"),
            page(
                &[status_json(&sid(7))],
                "/api/v1/timelines/home",
                &sid(7),
                &sid(7),
            ),
            page(&statuses, "/api/v1/timelines/home", &sid(10), &sid(21)),
            json_response("200 OK", "[]", ""),
            json_response("200 OK", "not json", ""),
            page(
                &[notification_json(&sid(8))],
                "/api/v1/notifications",
                &sid(8),
                &sid(8),
            ),
            page(
                &[conversation_json(&sid(11), &sid(12))],
                "/api/v1/conversations",
                &sid(11),
                &sid(11),
            ),
            Bytes::from_static(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
            ),
            Bytes::from_static(b"SSH-2.0-nope\r\n\r\n"),
            Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"),
            Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"),
            Bytes::from(format!(
                "event: update\ndata: {}\n\n:thump\n",
                status_json(&sid(13))
            )),
            Bytes::from_static(b"HTTP/1.1 100 Continue\r\n\r\n"),
            Bytes::from_static(b"\r\n"),
        ]
    })
}

/// What `Message::Fixture(i)` sends (index modulo the length): proto's WebSocket fixtures,
/// events on the streams of [`channels`], errors and garbage.
pub fn ws_messages() -> &'static [Bytes] {
    static MESSAGES: OnceLock<Vec<Bytes>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        let wrap = |stream: &str, name: &str, payload: &str| {
            Bytes::from(format!(
                r#"{{"stream":{stream},"event":"{name}","payload":{}}}"#,
                serde_json::Value::from(payload)
            ))
        };
        let mut messages: Vec<Bytes> = WS_FIXTURES.iter().map(|f| Bytes::from_static(f)).collect();
        messages.extend([
            wrap(r#"["user"]"#, "update", &status_json(&sid(5))),
            wrap(r#"["list","42"]"#, "update", &status_json(&sid(9))),
            wrap(r#"["hashtag","rust"]"#, "update", &status_json(&sid(14))),
            wrap(r#"["hashtag","rust"]"#, "delete", &sid(3)),
            wrap(
                r#"["user:notification"]"#,
                "notification",
                &notification_json(&sid(4)),
            ),
            wrap(
                r#"["direct"]"#,
                "conversation",
                &conversation_json(&sid(6), &sid(15)),
            ),
            wrap(r#"["user"]"#, "update", "{\"id\":"),
            Bytes::from_static(br#"{"error":"Unknown channel requested","status":"400"}"#),
            Bytes::from_static(br#"{"error":"Not authorized to stream this list","status":401}"#),
            Bytes::from_static(br#"{"error":"Server error","status":503}"#),
            Bytes::from_static(b"garbage"),
            Bytes::from_static(b"{}"),
            Bytes::new(),
        ]);
        messages
    })
}

/// proto's WebSocket message fixtures.
const WS_FIXTURES: [&[u8]; 13] = [
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/announcement_delete.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/announcement_reaction.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/conversation_direct.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/delete_list.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/error_401.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/error_no_status.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/filters_changed_no_payload.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/notification_user.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/notifications_merged.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/public_local_media.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/status_update_local_hashtag.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/unknown_event.json"),
    include_bytes!("../../mastostream-proto/tests/fixtures/ws/update_hashtag.json"),
];

// ---- the run ------------------------------------------------------------------------

/// The wall clock at the start: 2026-11-23 08:00:00 UTC.
fn wall0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800)
}

impl Setup {
    /// The session configuration this setup describes.
    pub fn config(&self) -> SessionConfig {
        let instance = Instance::parse("https://m.example").expect("a valid instance");
        let all = channels();
        let channel = all[usize::from(self.channel) % all.len()].clone();
        let mut cfg = if self.websocket {
            SessionConfig::websocket(instance, channel, vec![Channel::list("42")])
        } else {
            SessionConfig::new(instance, channel)
        };
        if self.token {
            cfg = cfg.token(Token::new("tok"));
        }
        cfg.limits = self.limits();
        cfg.catch_up.enabled = self.catch_up;
        cfg.catch_up.anchor = self.anchor;
        cfg.catch_up.max_held = self.max_held();
        cfg.catch_up.max_pages = 1 + u32::from(self.pages % 4);
        cfg.catch_up.page_size = 1 + u32::from(self.pages / 4 % 40);
        if self.max_body != 0 {
            cfg.catch_up.max_body = 64 * usize::from(self.max_body);
        }
        cfg.backoff.max_attempts = match self.max_attempts {
            0 => None,
            n => Some(1 + u32::from(n % 8)),
        };
        cfg.max_redirects = u32::from(self.max_redirects % 4);
        cfg.heartbeats = self.heartbeats;
        cfg.json = if self.simd_json {
            JsonBackend::SimdJson
        } else {
            JsonBackend::SerdeJson
        };
        cfg.seed(u64::from(self.seed))
    }

    /// The parser limits.
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        let bits = self.limits;
        let scale = usize::from(bits >> 4);
        let pick = |bit: u8, small: usize, default: usize| {
            if bits & (1 << bit) != 0 {
                small
            } else {
                default
            }
        };
        Limits {
            max_head: pick(0, 64 + scale * 16, d.max_head),
            max_line: pick(1, 1 + scale * 64, d.max_line),
            max_event: pick(2, 1 + scale * 128, d.max_event),
            max_error_body: pick(3, scale * 8, d.max_error_body),
        }
    }

    /// Events held during catch-up, at most.
    pub fn max_held(&self) -> usize {
        1 + usize::from(self.max_held % 8)
    }
}

/// What kind of transport the session asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    WebSocket,
}

/// The adapter's view of the session, and the checks on what it outputs.
struct Adapter<'a> {
    setup: &'a Setup,
    /// Transports in the order the session asked for them.
    known: Vec<TransportId>,
    kinds: HashMap<TransportId, Kind>,
    connected: HashSet<TransportId>,
    closed: HashSet<TransportId>,
    transmitted: HashSet<TransportId>,
    finished: bool,
    sent: usize,
    items: usize,
    events: usize,
}

/// An id the session never hands out (it counts up from 1).
const NEVER_OPENED: TransportId = TransportId(u64::MAX / 2);

impl Adapter<'_> {
    fn pick(&self, p: u8) -> Option<TransportId> {
        if p == 255 {
            return Some(NEVER_OPENED);
        }
        let n = self.known.len();
        (n > 0).then(|| self.known[n - 1 - usize::from(p) % n])
    }

    /// Whether the session must ignore input about `t`.
    fn ignores(&self, t: TransportId) -> bool {
        t == NEVER_OPENED || self.closed.contains(&t)
    }

    /// Drains the session's outputs, checking each; returns how many there were.
    fn drain(&mut self, s: &mut Session) -> usize {
        let mut n = 0;
        while let Some(out) = s.poll() {
            n += 1;
            assert!(!self.finished, "output after Finished: {out:?}");
            match out {
                Output::Connect { transport, .. } => self.opened(transport, Kind::Plain),
                Output::ConnectWebSocket { transport, .. } => {
                    self.opened(transport, Kind::WebSocket)
                }
                Output::Transmit { transport, .. } => {
                    assert_eq!(
                        self.kinds.get(&transport),
                        Some(&Kind::Plain),
                        "{transport}"
                    );
                    self.usable(transport, "Transmit");
                    assert!(
                        self.transmitted.insert(transport),
                        "second Transmit to {transport}"
                    );
                    self.sent += 1;
                }
                Output::SendText { transport, .. } => {
                    assert_eq!(
                        self.kinds.get(&transport),
                        Some(&Kind::WebSocket),
                        "{transport}"
                    );
                    self.usable(transport, "SendText");
                    self.sent += 1;
                }
                Output::Close { transport } => {
                    assert!(
                        self.kinds.contains_key(&transport),
                        "Close of unknown {transport}"
                    );
                    assert!(self.closed.insert(transport), "second Close of {transport}");
                }
                Output::Item(item) => self.item(&item),
                Output::Finished(_) => {
                    self.finished = true;
                    let open: Vec<_> = self
                        .known
                        .iter()
                        .filter(|t| !self.closed.contains(t))
                        .collect();
                    assert!(open.is_empty(), "finished with transports open: {open:?}");
                }
            }
        }
        n
    }

    fn opened(&mut self, transport: TransportId, kind: Kind) {
        assert!(
            self.kinds.insert(transport, kind).is_none() && transport != NEVER_OPENED,
            "transport id {transport} reused"
        );
        self.known.push(transport);
    }

    fn usable(&self, transport: TransportId, what: &str) {
        assert!(
            self.connected.contains(&transport),
            "{what} to {transport}, not connected"
        );
        assert!(
            !self.closed.contains(&transport),
            "{what} to {transport}, closed"
        );
    }

    fn item(&mut self, item: &Item) {
        self.items += 1;
        if matches!(
            item,
            Item::Event(_) | Item::Recovered(_) | Item::StreamEvent { .. }
        ) {
            self.events += 1;
        }
        let setup = self.setup;
        match item {
            Item::Event(event) => {
                assert!(
                    !setup.websocket,
                    "plain Item::Event from a WebSocket session"
                );
                assert!(
                    setup.heartbeats || !event.is_heartbeat(),
                    "heartbeat delivered with heartbeats off"
                );
            }
            Item::StreamEvent { .. } | Item::StreamError { .. } => {
                assert!(
                    setup.websocket,
                    "WebSocket item from an SSE session: {item:?}"
                );
            }
            Item::Recovered(_) | Item::CaughtUp { .. } | Item::Gap(_) => {
                assert!(setup.catch_up, "catch-up item with catch-up off: {item:?}");
            }
            _ => {}
        }
    }
}

/// The refused upgrade `r` describes.
fn rejection(r: &Rejection) -> (ResponseHead, Bytes) {
    let status = REJECT_STATUSES[usize::from(r.status) % REJECT_STATUSES.len()];
    let mut headers = Vec::new();
    let header = |name: &str, value: String| Header {
        name: name.to_owned(),
        value: Bytes::from(value),
    };
    match r.retry_after {
        0 => {}
        n @ 1..=127 => headers.push(header("Retry-After", n.to_string())),
        128..=191 => headers.push(header(
            "Retry-After",
            "Wed, 21 Oct 2015 07:28:00 GMT".to_owned(),
        )),
        _ => headers.push(header(
            "Retry-After",
            "Tue, 24 Nov 2026 08:00:00 GMT".to_owned(),
        )),
    }
    let location = LOCATIONS[usize::from(r.location) % LOCATIONS.len()];
    if !location.is_empty() {
        headers.push(header("Location", location.to_owned()));
    }
    (
        ResponseHead::new(status, "Refused", headers),
        Bytes::copy_from_slice(&r.body.0),
    )
}

/// What a run saw (for tests of the harness itself).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Transports the session asked for.
    pub transports: usize,
    /// `Transmit` and `SendText` outputs.
    pub sent: usize,
    /// Items handed to the application.
    pub items: usize,
    /// Of those, events (live, recovered or from a WebSocket stream).
    pub events: usize,
    /// Whether the session finished.
    pub finished: bool,
}

/// Runs the input, panicking on the first broken property.
pub fn run(input: &Input) -> Summary {
    let setup = &input.setup;
    let cfg = setup.config();
    let limits = cfg.limits;
    let max_bytes =
        limits.max_head + limits.max_line.max(2) + limits.max_event + limits.max_error_body;
    let max_held = setup.max_held();
    let all = channels();
    #[allow(clippy::disallowed_methods)] // one real instant to count from
    let t0 = Instant::now();
    let mut now = t0;
    let mut s = Session::new(cfg, now, wall0());
    let mut a = Adapter {
        setup,
        known: Vec::new(),
        kinds: HashMap::new(),
        connected: HashSet::new(),
        closed: HashSet::new(),
        transmitted: HashSet::new(),
        finished: false,
        sent: 0,
        items: 0,
        events: 0,
    };
    a.drain(&mut s);
    assert!(!a.known.is_empty(), "a new session connects at once");

    for op in &input.ops {
        let mut ignored = None;
        let mut timed_out = false;
        match op {
            Op::Connected(p) => {
                let Some(t) = a.pick(*p) else { continue };
                if !a.ignores(t) {
                    a.connected.insert(t);
                }
                ignored = Some(t).filter(|&t| a.ignores(t));
                s.handle_connected(t, now);
            }
            Op::ConnectFailed(p) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                let e = TransportError::new(std::io::ErrorKind::ConnectionRefused, "refused");
                s.handle_connect_failed(t, e, now);
            }
            Op::Data(p, chunk) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                let data = match chunk {
                    Chunk::Fragment(i) => {
                        let f = fragments();
                        f[usize::from(*i) % f.len()].clone()
                    }
                    Chunk::Raw(raw) => Bytes::copy_from_slice(&raw.0),
                };
                s.handle_data(t, data, now);
            }
            Op::Eof(p) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                s.handle_eof(t, now);
            }
            Op::IoError(p) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                let e = TransportError::new(std::io::ErrorKind::ConnectionReset, "reset");
                s.handle_io_error(t, e, now);
            }
            Op::WsMessage(p, message) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                let text = match message {
                    Message::Fixture(i) => {
                        let m = ws_messages();
                        m[usize::from(*i) % m.len()].clone()
                    }
                    Message::Raw(raw) => Bytes::copy_from_slice(&raw.0),
                };
                s.handle_ws_message(t, text, now);
            }
            Op::WsFrame(p) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                s.handle_ws_frame(t, now);
            }
            Op::WsRejected(p, r) => {
                let Some(t) = a.pick(*p) else { continue };
                ignored = Some(t).filter(|&t| a.ignores(t));
                let (head, body) = rejection(r);
                s.handle_ws_rejected(t, head, body, now);
            }
            Op::Subscribe(c) => s.subscribe(all[usize::from(*c) % all.len()].clone(), now),
            Op::Unsubscribe(c) => s.unsubscribe(&all[usize::from(*c) % all.len()], now),
            Op::AdvanceMs(ms) => {
                now += Duration::from_millis(u64::from(*ms));
                s.handle_timeout(now);
                timed_out = true;
            }
            Op::AdvanceSecs(secs) => {
                now += Duration::from_secs(u64::from(*secs));
                s.handle_timeout(now);
                timed_out = true;
            }
            Op::ToDeadline => {
                if let Some(deadline) = s.poll_timeout() {
                    now = now.max(deadline);
                }
                s.handle_timeout(now);
                timed_out = true;
            }
            Op::StaleTimeout(ms) => {
                let then = now
                    .checked_sub(Duration::from_millis(u64::from(*ms)))
                    .unwrap_or(now)
                    .max(t0);
                s.handle_timeout(then);
                timed_out = true;
            }
            Op::Close => s.close(now),
        }
        let deadline_before = s.poll_timeout();
        let outputs = a.drain(&mut s);
        if let Some(t) = ignored {
            assert_eq!(
                outputs, 0,
                "input about closed {t} was not ignored ({op:?})"
            );
        }
        let deadline = s.poll_timeout();
        assert_eq!(deadline, deadline_before, "poll() changed poll_timeout()");
        if timed_out && let Some(deadline) = deadline {
            assert!(
                deadline > now,
                "after handle_timeout: deadline {:?} not after now ({op:?})",
                deadline - t0
            );
        }
        let (bytes, held) = s.buffered();
        assert!(bytes <= max_bytes, "buffered {bytes} bytes > {max_bytes}");
        assert!(held <= max_held, "held {held} events > {max_held}");
        assert_eq!(s.is_finished(), a.finished, "is_finished()");
        if a.finished {
            assert_eq!(deadline, None, "poll_timeout() after Finished");
            assert_eq!(s.buffered(), (0, 0), "buffers kept after Finished");
        }
    }
    Summary {
        transports: a.known.len(),
        sent: a.sent,
        items: a.items,
        events: a.events,
        finished: a.finished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_ops() -> Vec<Op> {
        vec![
            Op::Connected(0),
            Op::ConnectFailed(3),
            Op::Data(1, Chunk::Fragment(7)),
            Op::Data(255, Chunk::Raw(Raw(b"abc".to_vec()))),
            Op::Data(0, Chunk::Raw(Raw(vec![0xff; 255]))),
            Op::Eof(2),
            Op::IoError(4),
            Op::WsMessage(0, Message::Fixture(9)),
            Op::WsMessage(0, Message::Raw(Raw(Vec::new()))),
            Op::WsFrame(5),
            Op::WsRejected(
                0,
                Rejection {
                    status: 6,
                    retry_after: 200,
                    location: 3,
                    body: Raw(b"{\"error\":\"x\"}".to_vec()),
                },
            ),
            Op::Subscribe(2),
            Op::Unsubscribe(1),
            Op::AdvanceMs(65535),
            Op::AdvanceSecs(1),
            Op::ToDeadline,
            Op::StaleTimeout(500),
            Op::Close,
        ]
    }

    #[test]
    fn encoding_reads_back_as_the_same_input() {
        let input = Input {
            setup: Setup {
                websocket: true,
                catch_up: false,
                anchor: true,
                heartbeats: false,
                simd_json: true,
                token: true,
                channel: 3,
                limits: 0xa5,
                max_held: 7,
                max_attempts: 0,
                max_redirects: 2,
                pages: 200,
                max_body: 9,
                seed: 255,
            },
            ops: sample_ops(),
        };
        assert_eq!(Input::parse(&input.to_bytes()), Some(input));
    }

    /// The harness is not vacuous: scripted SSE and WebSocket sessions go live, send their
    /// request or subscriptions, deliver events, reconnect after the idle timeout, finish.
    #[test]
    fn scripted_sessions_run() {
        let mut setup = Input::parse(&[0; 14]).unwrap().setup;
        setup.heartbeats = true;
        let sse = Input {
            setup: setup.clone(),
            ops: vec![
                Op::Connected(0),
                Op::Data(0, Chunk::Fragment(0)),
                Op::Data(0, Chunk::Fragment(1)),
                Op::Data(0, Chunk::Fragment(3)),
                Op::AdvanceSecs(50),
                Op::ToDeadline,
                Op::Connected(0),
                Op::Close,
                Op::Connected(0),
            ],
        };
        let summary = run(&sse);
        assert_eq!(summary.transports, 2, "{summary:?}");
        assert_eq!(summary.sent, 2, "{summary:?}");
        // The `:)` heartbeat and one update; then the idle timeout reconnects.
        assert_eq!(summary.events, 2, "{summary:?}");
        assert!(summary.finished);
        setup.websocket = true;
        let ws = Input {
            setup,
            ops: vec![
                Op::Connected(0),
                Op::WsMessage(0, Message::Fixture(13)),
                Op::Subscribe(2),
                Op::WsFrame(0),
                Op::AdvanceSecs(100),
                Op::ToDeadline,
                Op::Close,
            ],
        };
        let summary = run(&ws);
        // Subscribes `user` and `list 42` on connect, then `hashtag rust`.
        assert_eq!(summary.sent, 3, "{summary:?}");
        assert_eq!(summary.events, 1, "{summary:?}");
        assert_eq!(summary.transports, 2, "{summary:?}");
        assert!(summary.finished);
    }
}
