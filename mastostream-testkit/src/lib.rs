//! Test support for mastostream (not published).
//!
//! - [`corpus`]: a deterministic, realistic generator of Mastodon streaming-API (SSE)
//!   captures, with single-entity builders ([`corpus::Generator`]) for fake REST servers.
//!   The `gen-corpus` binary writes one to a file:
//!
//!   ```text
//!   cargo run --release -p mastostream-testkit --bin gen-corpus -- \
//!       --events 50000 --seed 1 --out target/corpus-50k.sse --stats
//!   ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod corpus;
pub mod fake;
