//! Sans-IO core of mastostream: Mastodon's streaming API as pure state.
//!
//! This crate has no sockets, no async runtime, no clocks and no threads. It takes the bytes
//! a connection reads (as [`bytes::Bytes`]) and hands back frames, typed events, bytes to
//! write, deadlines and errors. The `mastostream-tokio` and `mastostream-smol` crates drive
//! it over real sockets; tests and fuzzers drive it directly.
//!
//! ```
//! use bytes::Bytes;
//! use mastostream_proto::{Decoder, Frame, Limits};
//!
//! // What a Mastodon server writes, split wherever the network splits it.
//! let wire: &[&[u8]] = &[
//!     b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
//!     b"3\r\n:)\n\r\ne\r\nevent: update\n\r\n",
//!     b"23\r\ndata: {\"id\":\"110988741790818968\"}\n\n\r\n",
//!     b"7\r\n:thump\n\r\n0\r\n\r\n",
//! ];
//! let mut decoder = Decoder::http(Limits::default());
//! let mut events = Vec::new();
//! for chunk in wire {
//!     decoder.feed(Bytes::from_static(chunk));
//!     // After every input, drain poll() until it returns None.
//!     while let Some(frame) = decoder.poll() {
//!         match frame? {
//!             Frame::Event(event) => events.push(event),
//!             Frame::Comment(_) => { /* `:)` and `:thump`: the server is alive */ }
//!             _ => {}
//!         }
//!     }
//! }
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].event_type(), "update");
//! assert_eq!(events[0].data(), r#"{"id":"110988741790818968"}"#);
//! # Ok::<(), mastostream_proto::Error>(())
//! ```
//!
//! # The sans-IO contract
//!
//! - Inputs are method calls: `feed(Bytes)`, `feed_eof()`; on the connection and session
//!   layers also `handle_*(…, now: Instant)`. Time is always an input.
//! - Outputs come from `#[must_use]` `poll*` methods. After any input, drain `poll()` until
//!   it returns `None`.
//! - One bad event costs only itself ([`Frame::Skipped`], or a malformed event); a fatal
//!   [`Error`] (broken chunked framing, a head too large, a non-2xx status) ends that
//!   connection and is handed out after every complete event that preceded it.
//! - Every buffer is bounded by [`Limits`]; no input makes the crate panic.
//!
//! # Layers
//!
//! - [`http`]: `GET` requests, capped response heads (`httparse`), chunked / length /
//!   close-delimited bodies as zero-copy slices.
//! - [`sse`]: the WHATWG event-stream framer, linear time, zero-copy for lines inside one
//!   chunk.
//! - [`decoder`]: HTTP response (or bare body) to [`Frame`]s.
//! - [`session`]: the reconnecting, catching-up client as a [`session::Machine`] (one input
//!   method, one output queue).
//! - [`listener`]: per-event callbacks ([`Listener`]) and the pure [`dispatch`] that both
//!   adapters' run loops use.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod channel;
pub mod decoder;
pub mod dialect;
pub mod error;
pub mod event;
pub mod http;
mod id;
pub mod instance;
mod json;
pub mod listener;
pub mod model;
pub mod session;
pub mod sse;
mod summary;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ws;

pub use channel::{Channel, ChannelError, PublicScope};
pub use decoder::{Decoder, Frame, Limits};
pub use dialect::{Dialect, Software};
pub use error::{DecodeError, Error, ErrorKind};
pub use event::{Event, EventKind, RawEvent};
pub use id::Id;
pub use instance::{Instance, UrlError};
pub use json::JsonBackend;
pub use listener::{Callbacks, Listener, dispatch};
