//! What a `session_ops` input holds: a [`Setup`] (the session's configuration), then
//! [`Op`]s back to back, in the [`wire`](crate::wire) format.

use std::time::Duration;

use arbitrary::Unstructured;
use mastostream_proto::http::Token;
use mastostream_proto::session::{Backoff, Instance, SessionConfig, Timeline};
use mastostream_proto::{Channel, JsonBackend, Limits, PublicScope};

use crate::head::Head;
use crate::values::{ChunkSize, RetryField};
use crate::wire::{Raw, Wire};
use crate::{wire_enum, wire_struct};

wire_struct! {
    /// The session's configuration, from the first bytes of the input.
    #[derive(Debug, Clone, PartialEq, Eq)]
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
        /// Ask the instance where it streams from first.
        pub discover: bool,
        /// Resume the home timeline from an id (catch-up on the first connection).
        pub resume: bool,
        /// The main channel (index into [`channels`]).
        pub channel: u8,
        /// Bits 0–3 pick a small limit for the head, line, event and error body; bits 4–7
        /// scale the small limits.
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
        /// Bits 0–1 pick the backoff's `min`, 2–3 its `initial`, 4–5 its `max` (see
        /// [`Setup::backoff`]).
        pub backoff: u8,
        /// Index into [`MAX_SERVER_DELAYS`].
        pub max_server_delay: u8,
        /// The backoff jitter seed.
        pub seed: u8,
    }
}

/// `max_server_delay` choices: the default first, then none, small, large and unbounded.
pub const MAX_SERVER_DELAYS: [Duration; 8] = [
    Duration::from_secs(15 * 60),
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(30),
    Duration::from_secs(86_400),
    Duration::from_secs(100 * 365 * 86_400),
    Duration::from_secs(u64::MAX),
    Duration::MAX,
];

impl Setup {
    /// The session configuration this setup describes.
    pub fn config(&self) -> SessionConfig {
        let instance = Instance::parse("https://m.example").expect("a valid instance");
        let all = channels();
        let channel = all[usize::from(self.channel) % all.len()].clone();
        let mut cfg = if self.websocket {
            SessionConfig::websocket(instance, [channel, Channel::list("42")])
        } else {
            SessionConfig::new(instance, channel)
        };
        if self.token {
            cfg = cfg.token(Token::new(TOKEN));
        }
        if self.resume {
            cfg = cfg.resume_from(Timeline::Home, mastostream_proto::testing::sid(5));
        }
        cfg.discover = self.discover;
        cfg.limits = self.limits();
        cfg.catch_up.enabled = self.catch_up;
        cfg.catch_up.anchor = self.anchor;
        cfg.catch_up.max_held = self.max_held();
        cfg.catch_up.max_pages = 1 + u32::from(self.pages % 4);
        cfg.catch_up.page_size = 1 + u32::from(self.pages / 4 % 40);
        if self.max_body != 0 {
            cfg.catch_up.max_body = 64 * usize::from(self.max_body);
        }
        cfg.backoff = self.backoff();
        cfg.max_server_delay = MAX_SERVER_DELAYS[usize::from(self.max_server_delay) % 8];
        cfg.max_redirects = u32::from(self.max_redirects % 4);
        cfg.heartbeats = self.heartbeats;
        cfg.json = if self.simd_json {
            JsonBackend::SimdJson
        } else {
            JsonBackend::SerdeJson
        };
        cfg.seed(u64::from(self.seed))
    }

    /// The reconnect backoff: each of `min`, `initial` and `max` the default or an extreme
    /// (a millisecond; an hour or a day; `u64::MAX` seconds or `Duration::MAX`). `min` may
    /// exceed `max`.
    pub fn backoff(&self) -> Backoff {
        let pick =
            |shift: u8, choices: [Duration; 4]| choices[usize::from(self.backoff >> shift) % 4];
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        Backoff {
            min: pick(0, [ms(500), ms(1), s(10), s(3600)]),
            initial: pick(2, [s(1), ms(1), s(3600), s(u64::MAX)]),
            max: pick(4, [s(60), ms(1), s(86_400), Duration::MAX]),
            max_attempts: match self.max_attempts {
                0 => None,
                n => Some(1 + u32::from(n % 8)),
            },
        }
    }

    /// The parser limits.
    pub fn limits(&self) -> Limits {
        crate::small_limits(self.limits, [16, 64, 128, 8])
    }

    /// Events held during catch-up, at most.
    pub fn max_held(&self) -> usize {
        1 + usize::from(self.max_held % 8)
    }
}

/// The access token, when the setup sends one.
pub const TOKEN: &str = "s3cr3t-fuzz-token";

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

wire_enum! {
    /// One input to the session. A transport pick `t` is the `t`-th newest transport the
    /// session asked for (modulo how many it did), except `255`: one it never opened.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Op {
        /// `Input::Connected`.
        Connected { t: u8 },
        /// `Input::ConnectFailed`.
        ConnectFailed { t: u8 },
        /// `Input::Data`.
        Data { t: u8, chunk: Chunk },
        /// `Input::Eof`.
        Eof { t: u8 },
        /// `Input::Failed`.
        Failed { t: u8 },
        /// `Input::WsMessage`.
        WsMessage { t: u8, message: Message },
        /// `Input::WsFrame` (a ping, pong or binary frame).
        WsFrame { t: u8 },
        /// `Input::WsClose`: the server's close frame, with a code and reason or without.
        WsClose { t: u8, frame: Option<CloseFrame> },
        /// `Input::WsRejected`: the upgrade answered with this head and body.
        WsRejected { t: u8, head: Head, body: Raw },
        /// `Input::Drained`.
        Drained { t: u8 },
        /// `Command::Subscribe` to a channel (index into [`channels`]).
        Subscribe { c: u8 },
        /// `Command::Unsubscribe` from a channel (index into [`channels`]).
        Unsubscribe { c: u8 },
        /// `Command::Close`.
        Close,
        /// Time passes (milliseconds), then `Input::Timeout`.
        AdvanceMs { ms: u16 },
        /// Time passes (seconds), then `Input::Timeout`.
        AdvanceSecs { secs: u16 },
        /// Time moves to the deadline of the last `Wait` (if later), then `Input::Timeout`.
        ToDeadline,
        /// `Input::Timeout` with a `now` this many milliseconds before the latest.
        StaleTimeout { ms: u16 },
    }
}

/// WebSocket close codes [`CloseCode::Known`] picks from.
pub const CLOSE_CODES: [u16; 22] = [
    1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 3000,
    4000, 4999, 0, 999, 5000, 65535,
];

wire_enum! {
    /// A WebSocket close code.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum CloseCode {
        /// One of [`CLOSE_CODES`].
        Known { i: u8 },
        /// Any `u16`.
        Any { code: u16 },
    }
}

wire_struct! {
    /// A close frame's code and reason (the reason's bytes read as UTF-8, lossily).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CloseFrame {
        /// The code.
        pub code: CloseCode,
        /// The reason.
        pub reason: Raw,
    }
}

impl CloseFrame {
    /// The code and reason as `Input::WsClose` carries them.
    pub fn frame(&self) -> (u16, String) {
        let code = match self.code {
            CloseCode::Known { i } => CLOSE_CODES[usize::from(i) % CLOSE_CODES.len()],
            CloseCode::Any { code } => code,
        };
        (code, String::from_utf8_lossy(&self.reason.0).into_owned())
    }
}

wire_enum! {
    /// Bytes for `Input::Data`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Chunk {
        /// One of the fixed fragments (see `server::fragments`).
        Fragment { i: u8 },
        /// Arbitrary bytes.
        Raw { bytes: Raw },
        /// A whole response: a generated head and one of the fixed bodies.
        Response { head: Head, body: Body },
        /// One HTTP chunk with a generated size line.
        Chunked { size: ChunkSize, data: Raw },
        /// An SSE `retry:` field in one well-formed chunk.
        Retry { field: RetryField },
    }
}

wire_struct! {
    /// A response body: one of the fixed bodies (index modulo their number), as one chunk
    /// when the head says chunked, with the last chunk after it when `end`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Body {
        /// Which body.
        pub i: u8,
        /// Whether the body ends (chunked: the last chunk follows).
        pub end: bool,
    }
}

wire_enum! {
    /// A WebSocket text message.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Message {
        /// One of the fixed messages (see `server::ws_messages`).
        Fixture { i: u8 },
        /// Arbitrary bytes.
        Raw { bytes: Raw },
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
        let setup = Setup::read(&mut u).ok()?;
        let mut ops = Vec::new();
        while !u.is_empty() {
            match Op::read(&mut u) {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        Some(Input { setup, ops })
    }

    /// The bytes [`Input::parse`] reads back as this input.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.setup.write(&mut out);
        for op in &self.ops {
            op.write(&mut out);
        }
        out
    }
}
