//! Shared helpers for the mastostream criterion benchmarks.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod entities;
