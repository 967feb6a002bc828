//! Test support for mastostream (not published).
//!
//! - [`fake`]: the published `mastostream-fake` crate, re-exported under its old path: a
//!   loopback fake Mastodon server (real TCP, real TLS with a CA made at run
//!   time) that streams, serves the REST timelines for catch-up and misbehaves on command.
//! - [`demo`]: (`mastostream_fake::demo`, re-exported) the offline demo server of the
//!   `mastostream` command-line tool, for the client suite's end-to-end test.
//! - [`scenarios`]: the fault scenarios every adapter runs against it (SSE, and
//!   [`scenarios::ws`] for the WebSocket transport).
//! - [`hostile`]: servers that misbehave on purpose (endless heads, lying lengths, redirect
//!   tricks, hand-framed WebSocket abuse, floods) for the client's hostile-server suite.
//! - [`corpus`]: (`mastostream_fake::corpus`, re-exported) a deterministic, realistic generator of Mastodon streaming-API (SSE)
//!   captures, with single-entity builders ([`corpus::Generator`]) for fake REST servers.
//!   The `gen-corpus` binary writes one to a file:
//!
//!   ```text
//!   cargo run --release -p mastostream-testkit --bin gen-corpus -- \
//!       --events 50000 --seed 1 --out target/corpus-50k.sse --stats
//!   ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use mastostream_fake as fake;
pub use mastostream_fake::corpus;
pub use mastostream_fake::demo;
pub mod hostile;
pub mod scenarios;
pub mod suite;
