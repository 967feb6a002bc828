//! Test support for mastostream (not published).
//!
//! - [`corpus`]: a deterministic, realistic generator of Mastodon streaming-API (SSE)
//!   captures, also available as the `gen-corpus` binary.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod corpus;
