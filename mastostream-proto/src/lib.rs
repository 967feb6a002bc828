//! Sans-IO core of mastostream: Mastodon's streaming API as pure state.
//!
//! (Crate documentation is completed as the core lands.)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod id;

pub use id::Id;
pub mod channel;
pub mod error;
pub mod event;
pub mod http;
mod json;
pub mod model;
pub mod ws;

pub use channel::{Channel, ChannelError, PublicScope};
pub use error::{DecodeError, Error, ErrorKind};
pub use event::{Event, EventKind, RawEvent};
pub use json::JsonBackend;
