//! Sans-IO core of mastostream: Mastodon's streaming API as pure state.
//!
//! (Crate documentation is completed as the core lands.)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod id;

pub use id::Id;
pub mod error;
pub mod http;

pub use error::{DecodeError, Error, ErrorKind};
