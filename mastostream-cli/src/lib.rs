//! `mastostream`, a command-line tool for Mastodon's streaming API, and the two pieces of
//! it other programs can use: [`text`], Mastodon's HTML as plain text for a terminal, and
//! (feature `demo`, on by default) [`demo`], the offline demo server.
//!
//! ```
//! use mastostream_cli::text::{one_line, plain};
//!
//! let content = "<p>Ferris &amp; friends</p><p>say <a href=\"https://example.org/tags/rust\" class=\"mention hashtag\">#<span>rust</span></a></p>";
//! assert_eq!(one_line(&plain(content), 80), "Ferris & friends say #rust");
//! ```
//!
//! The binary (`cargo install mastostream-cli`):
//!
//! ```text
//! mastostream                                   # the offline demo: a generated stream, a drop, catch-up
//! mastostream tail --instance https://mastodon.social --stream hashtag --tag rust
//! MASTODON_TOKEN=... mastostream tail --instance https://mastodon.social --ws \
//!     --stream user --stream hashtag --tag rust --json
//! mastostream tail --instance https://mastodon.social --since-id 113000000000000000
//! mastostream health --instance https://mastodon.social
//! ```
//!
//! `mastostream tail --help` documents every flag, the output lines, every `--json` field
//! and the exit codes; the crate's README has the same.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The offline demo server (`mastostream_fake::demo`, re-exported): what `mastostream tail`
/// streams when no `--instance` is given.
#[cfg(feature = "demo")]
pub use mastostream_fake::demo;
pub mod text;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
