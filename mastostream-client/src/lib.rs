//! Mastodon's streaming API on any async runtime: one driver for
//! [`mastostream_proto`]'s sans-IO session, with TLS (rustls), WebSocket framing
//! (tungstenite), a `futures::Stream` of items, listener callbacks and background handles,
//! written once over a small [`Runtime`] trait.
//!
//! Most programs use `mastostream-tokio` or `mastostream-smol`, which implement the trait
//! and name the types (`mastostream_tokio::Client` is `Client<Tokio>`). This crate is for
//! bringing another runtime: four methods, as here for smol's building blocks.
//!
//! ```
//! use std::pin::Pin;
//! use std::task::{Context, Poll};
//! use std::time::Instant;
//! use futures_util::StreamExt;
//! use mastostream_client::{AsyncTimer, BoxFuture, Client, Event, Item, Runtime};
//! # use mastostream_fake::{FakeServer, ServerOptions};
//!
//! #[derive(Clone, Debug, Default)]
//! struct Smol;
//!
//! impl Runtime for Smol {
//!     type Tcp = async_net::TcpStream;
//!     fn connect(&self, host: String, port: u16) -> BoxFuture<std::io::Result<Self::Tcp>> {
//!         Box::pin(async move { async_net::TcpStream::connect((host.as_str(), port)).await })
//!     }
//!     fn timer(&self, at: Instant) -> Pin<Box<dyn AsyncTimer>> {
//!         Box::pin(Timer(async_io::Timer::at(at)))
//!     }
//!     fn spawn(&self, future: BoxFuture<()>) {
//!         smol::spawn(future).detach();
//!     }
//!     fn now(&self) -> Instant {
//!         Instant::now()
//!     }
//! }
//!
//! #[derive(Debug)]
//! struct Timer(async_io::Timer);
//!
//! impl AsyncTimer for Timer {
//!     fn reset(mut self: Pin<&mut Self>, at: Instant) {
//!         self.0.set_at(at);
//!     }
//!     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
//!         Pin::new(&mut self.0).poll(cx).map(|_| ())
//!     }
//! }
//! # use std::future::Future;
//!
//! # let server = FakeServer::start(ServerOptions::default());
//! # let url = server.url();
//! smol::block_on(async {
//!     // `url` is an instance such as "https://mastodon.social".
//!     let client = Client::<Smol>::new(&url)?;
//!     let mut stream = client.stream_local();
//!     while let Some(item) = stream.next().await {
//!         match item? {
//! #           Item::Connected { .. } => { server.publish_update(); }
//!             Item::Event(e) => {
//!                 if let Event::Update(status) = &e.event {
//!                     println!("{}: {}", status.account.acct, status.content);
//!                     break;
//!                 }
//!             }
//!             Item::Reconnecting { delay, error, .. } => eprintln!("{error}; retrying in {delay:?}"),
//!             _ => {}
//!         }
//!     }
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it is built
//!
//! - [`Client`] holds the settings and opens sessions: an [`EventStream`] per SSE stream,
//!   or per WebSocket carrying several.
//! - The driver runs proto's machine: it takes an output, acts on it (spawn a transport
//!   task, queue a write, close, hand an item out), and when the machine says *wait*, waits
//!   for the first of a transport's input, an application command or the deadline. It makes
//!   no protocol decision.
//! - Each transport is a task: connect, TLS, (for a WebSocket) the upgrade and framing;
//!   it reports what it read, stamped with the time it read it, over a bounded channel. A
//!   slow application stops the reads and, through TCP, the server (see the `link`
//!   module's docs): memory stays bounded, and the idle timer never fires over data that
//!   already arrived.
//! - [`StreamControl`] and [`StreamHandle`] carry commands (close, subscribe,
//!   unsubscribe) in and the session's status (live, subscriptions) out, from any task,
//!   thread or callback.
//!
//! Features: `native-roots` also trusts the operating system's root certificates;
//! `test-util` adds `testing::Paused`, a runtime wrapper whose clock moves only when a
//! test says so.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod control;
mod driver;
pub mod facade;
mod link;
mod runtime;
mod stream;
#[cfg(feature = "test-util")]
pub mod testing;
mod tls;
mod trace;
mod websocket;

pub use client::{Client, ConfigError};
pub use mastostream_proto as proto;
pub use mastostream_proto::listener::{Callbacks, Listener, dispatch};
pub use mastostream_proto::session::{
    Backoff, CatchUpConfig, Gap, GapReason, HealthReport, Item, Server, ServerSource,
    SessionConfig, StreamEvent, StreamTransport, Timeline, Timeouts,
};
pub use mastostream_proto::{Channel, Error, ErrorKind, Event, Id, Instance, PublicScope, model};
pub use runtime::{AsyncTimer, BoxFuture, Runtime};
pub use rustls::pki_types::CertificateDer;
pub use stream::{EventStream, StreamControl, StreamHandle};
