//! Mastodon's streaming API over tokio: TLS (rustls), reconnects with backoff, an idle
//! watchdog, and gap-free catch-up over REST after every reconnect.
//!
//! This crate is a thin adapter: every protocol decision lives in the sans-IO
//! [`mastostream_proto`] (re-exported as [`proto`]). The adapter connects sockets, reads
//! into a `BytesMut` and hands the bytes over without copying, writes what the state
//! machine asks, and sleeps until its next deadline (on tokio's clock, so tests can pause
//! time).
//!
//! ```
//! use futures::StreamExt;
//! use mastostream_tokio::{Client, Event, Item};
//! # use mastostream_testkit::fake::{FakeServer, ServerOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = FakeServer::start(ServerOptions { token: Some("s3cr3t".into()), ..Default::default() });
//! # let url = server.url();
//! // `url` is an instance such as "https://mastodon.social".
//! let client = Client::new(&url)?.token("s3cr3t");
//! let mut stream = client.stream_user();
//! while let Some(item) = stream.next().await {
//!     match item? {
//!         Item::Connected { url } => {
//!             println!("connected to {url}");
//! #           server.publish_update();
//!         }
//!         Item::Event(Event::Update(status)) | Item::Recovered(Event::Update(status)) => {
//!             println!("{}: {}", status.account.acct, status.content);
//!             break;
//!         }
//!         Item::Reconnecting { delay, error, .. } => eprintln!("{error}; retrying in {delay:?}"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The same stream can drive a [`Listener`] (Mastodon.py's `StreamListener` method names)
//! or [`Callbacks`] made of closures, in place ([`EventStream::run`]) or on a background
//! task ([`EventStream::spawn`], with `close()`, `is_alive()` and `is_receiving()` on the
//! [`StreamHandle`]):
//!
//! ```
//! use mastostream_tokio::{Callbacks, Client, Listener, proto::model::Status};
//! # use mastostream_testkit::fake::{FakeServer, ServerOptions};
//!
//! struct Printer;
//! impl Listener for Printer {
//!     fn on_update(&mut self, status: Box<Status>) {
//!         println!("{}", status.account.acct);
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = FakeServer::start(ServerOptions::default());
//! # let url = server.url();
//! let client = Client::new(&url)?;
//! let handle = client.stream_public(mastostream_tokio::PublicScope::Local, false).spawn(Printer);
//! // ...
//! handle.close();
//! handle.join().await?;
//!
//! // Closures instead of a trait implementation:
//! let callbacks = Callbacks::new().on_delete(|id| println!("deleted {id}"));
//! let handle = client.stream_hashtag("rust", false).spawn(callbacks);
//! handle.close();
//! handle.join().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Many streams on one WebSocket
//!
//! [`Client::websocket`] opens Mastodon's multiplexed WebSocket (`wss://…/api/v1/streaming`;
//! the only transport GoToSocial offers). Streams are added and removed while it runs, every
//! live event says which stream it came from, and after a reconnect every subscription is
//! sent again and each one's timelines are caught up over REST. The framing is
//! tokio-tungstenite's over the same rustls configuration as SSE streams; the token goes in
//! the upgrade's `Authorization` header.
//!
//! ```
//! use futures::StreamExt;
//! use mastostream_tokio::{Channel, Client, Event, Item, PublicScope};
//! # use mastostream_testkit::fake::{FakeServer, ServerOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = std::sync::Arc::new(FakeServer::start(ServerOptions { token: Some("s3cr3t".into()), ..Default::default() }));
//! # let url = server.url();
//! # let s = server.clone();
//! # let publisher = std::thread::spawn(move || {
//! #     assert!(s.wait_ws(std::time::Duration::from_secs(5), |ws| ws.last().is_some_and(|c| c.subscriptions.len() == 3)));
//! #     s.publish_update();
//! # });
//! let client = Client::new(&url)?.token("s3cr3t");
//! let public = Channel::Public { scope: PublicScope::Local, only_media: false };
//! let mut stream = client.websocket([Channel::User, public.clone()]);
//! // From any task: `stream.controller()` is a cloneable handle.
//! stream.subscribe(Channel::hashtag("rust", false));
//! while let Some(item) = stream.next().await {
//!     match item? {
//!         Item::StreamEvent { stream: name, event: Event::Update(status), .. } => {
//!             // `name` is the server's stream array: ["user"], ["hashtag", "rust"], ...
//!             println!("{name:?} {}: {}", status.account.acct, status.content);
//! #           break;
//!         }
//!         Item::StreamError { channel, error, .. } => eprintln!("{channel:?} refused: {error}"),
//!         Item::Recovered(event) => println!("missed while away: {}", event.summary_json()),
//!         _ => {}
//!     }
//! }
//! stream.unsubscribe(public); // (a stream can also be dropped while it runs)
//! # publisher.join().unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! `stream_healthy()` asks `/api/v1/streaming/health`; streams find the streaming URL in
//! `/api/v2/instance` first (see [`Client`]). Tracing events (target
//! `mastostream_tokio`) report connects, disconnects with their reason, backoff waits,
//! catch-up results and gaps; none carries the token.
//!
//! Features: `native-roots` also trusts the operating system's root certificates
//! ([`Client::native_roots`]); the bundled webpki roots are always trusted, and
//! [`Client::add_root_certificate`] adds more.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod control;
mod driver;
mod stream;
mod websocket;
mod ws;

pub use client::{Client, ConfigError};
pub use mastostream_proto as proto;
pub use mastostream_proto::listener::{Callbacks, Listener, dispatch};
pub use mastostream_proto::session::{
    Backoff, CatchUpConfig, Gap, GapReason, Instance, Item, SessionConfig, Timeline, Timeouts,
};
pub use mastostream_proto::{Channel, Error, ErrorKind, Event, Id, PublicScope};
pub use stream::{EventStream, StreamHandle};
pub use tokio_rustls::rustls::pki_types::CertificateDer;
pub use websocket::{WsController, WsHandle, WsStream};
