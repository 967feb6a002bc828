//! A deterministic, realistic Mastodon streaming-API (SSE) corpus generator.
//!
//! The output looks like what `GET /api/v1/streaming/user` (or `public`) sends: the body
//! starts with the comment `:)`, every event is two server writes, `event: NAME\n` and
//! `data: PAYLOAD\n\n`, and a `:thump` comment comes every 15 s of simulated time (about every
//! 50 events). Payloads are compact JSON in Mastodon's serializer key order, raw UTF-8 as
//! Node's `JSON.stringify` writes it, except `delete` / `announcement.delete` (a bare id,
//! unquoted) and `filters_changed` (the literal `undefined`). A fraction of the JSON payloads
//! (`escape_ratio`) is written ASCII-only, with `\uXXXX` escapes as Rails or Go would.
//!
//! Statuses carry every field up to Mastodon 4.5 (`quotes_count`, `quote`, `quote_approval`),
//! a full Account from a pool of 3,000 (Zipf popularity, 22% local, remote ones on Mastodon,
//! Misskey, Threads, Bridgy, Lemmy and Pixelfed), HTML content in 20 languages with mentions,
//! hashtags, shortened links and emoji (ZWJ sequences included), media attachments, cards,
//! polls, reblogs (14% of updates) and quotes. On a user stream they also carry the viewer
//! fields (`favourited`, `reblogged`, `muted`, `bookmarked`, `filtered`).
//!
//! The same configuration always gives the same bytes, on every platform: the generator uses
//! its own PRNG and floating-point routines. Sizes follow the reference generator: 50,000
//! events of the user mix are about 180 MB, `update` payloads average about 3.9 KB.
//!
//! ```
//! use mastostream_fake::corpus::{self, ChunkMode, CorpusConfig, EventKind, GeneratedEvent};
//!
//! let cfg = CorpusConfig { events: 200, seed: 7, ..CorpusConfig::default() };
//! let bytes = corpus::generate(&cfg);
//! assert!(bytes.starts_with(b":)\nevent: "));
//! assert_eq!(bytes, corpus::generate(&cfg)); // deterministic
//!
//! // The same stream, event by event.
//! let mut last_update = 0;
//! for item in corpus::events(&cfg) {
//!     if let GeneratedEvent::Event(e) = item {
//!         if e.kind == EventKind::Update {
//!             let id = e.id.unwrap();
//!             assert!(id > last_update && id > 1 << 53);
//!             last_update = id;
//!         }
//!     }
//! }
//!
//! // A raw HTTP response, chunked at random sizes, with statistics.
//! let cfg = CorpusConfig {
//!     with_http_head: true,
//!     chunked: Some(ChunkMode::Random { min: 1, max: 4096 }),
//!     crlf: true,
//!     ..cfg
//! };
//! let mut out = Vec::new();
//! let stats = corpus::generate_to(&cfg, &mut out).unwrap();
//! assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
//! assert!(out.ends_with(b"\r\n0\r\n\r\n"));
//! assert_eq!(stats.events, 200);
//! ```

mod accounts;
mod attach;
mod banks;
mod generator;
pub(crate) mod html;
pub(crate) mod json;
mod mix;
mod output;
pub(crate) mod rng;
pub(crate) mod status;
mod stream;
mod text;

#[cfg(test)]
mod tests;

pub use generator::Generator;
pub use json::escape_ascii_json;
pub use mix::{EventKind, Mix, ParseError};
pub use output::{KindStats, Stats, ensure_file, generate, generate_to, http_head};
pub use stream::{
    Events, GeneratedEvent, HEARTBEAT_INTERVAL_MS, MEAN_EVENT_GAP_MS, StreamEvent, heartbeat,
    prologue,
};

/// The local instance: statuses and accounts on it have local URLs.
pub const LOCAL: &str = "mastodon.social";
/// The media host.
const FILES: &str = "files.mastodon.social";
/// Simulated start time: 2025-06-02T09:00:00Z, in ms since the Unix epoch.
pub const START_MS: u64 = 1_748_854_800_000;

/// A Mastodon snowflake id: the timestamp in ms, shifted left 16 bits, with 16 low bits
/// (Mastodon uses a sequence hash there).
pub fn snowflake(ms: u64, low: u64) -> u64 {
    (ms << 16) | (low & 0xffff)
}

/// The timestamp (ms since the Unix epoch) in a snowflake id.
pub fn snowflake_time_ms(id: u64) -> u64 {
    id >> 16
}

/// How the body is split into HTTP/1.1 chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkMode {
    /// Chunk sizes log-uniform in `[min, max]` (`min` at least 1), so boundaries fall
    /// anywhere: inside UTF-8 sequences, inside `\r\n`, inside `data: `.
    Random {
        /// Smallest chunk.
        min: usize,
        /// Largest chunk.
        max: usize,
    },
    /// One chunk per server write (`:)`, each `event:` line, each `data:` line, each
    /// heartbeat), as Node's `http` module emits with no proxy in front.
    Writes,
}

impl Default for ChunkMode {
    /// Random sizes in `[1, 16384]`.
    fn default() -> Self {
        ChunkMode::Random {
            min: 1,
            max: 16_384,
        }
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct CorpusConfig {
    /// Number of events (heartbeats are extra).
    pub events: usize,
    /// Seed: the same seed and configuration give byte-identical output.
    pub seed: u64,
    /// Which events, with which weights.
    pub mix: Mix,
    /// CRLF line endings in the SSE body instead of LF.
    pub crlf: bool,
    /// Wrap the body in HTTP/1.1 chunked transfer encoding (lowercase hex sizes, final
    /// `0\r\n\r\n`).
    pub chunked: Option<ChunkMode>,
    /// Prefix an `HTTP/1.1 200 OK` head (see [`http_head`]).
    pub with_http_head: bool,
    /// Fraction (0 to 1) of JSON payloads written ASCII-only with `\uXXXX` escapes (see
    /// [`escape_ascii_json`]). Mastodon's own server writes raw UTF-8: use 0 for a
    /// pure-Mastodon capture.
    pub escape_ratio: f64,
}

impl Default for CorpusConfig {
    /// 1,000 events of the user mix, seed 1, LF, not chunked, no head, escape ratio 0.05.
    fn default() -> Self {
        CorpusConfig {
            events: 1000,
            seed: 1,
            mix: Mix::User,
            crlf: false,
            chunked: None,
            with_http_head: false,
            escape_ratio: 0.05,
        }
    }
}

/// The events of the stream `cfg` describes (its `seed`, `mix`, `escape_ratio` and `events`;
/// the framing options do not matter), with heartbeats. Panics if the mix is invalid (see
/// [`Mix::validate`]).
pub fn events(cfg: &CorpusConfig) -> Events {
    Events::new(cfg)
}
