//! Mastodon's streaming API over tokio: TLS (rustls), reconnects with backoff, an idle
//! watchdog, and gap-free catch-up over REST after every reconnect.
//!
//! This crate is a thin façade: every protocol decision lives in the sans-IO
//! `mastostream_proto` (re-exported as [`proto`]), and the one driver, TLS and WebSocket
//! framing live in [`mastostream_client`], written once for every runtime. This crate adds
//! the tokio [`Runtime`](mastostream_client::Runtime) shim ([`Tokio`]: TCP, timers on
//! tokio's clock so tests can pause time, spawn) and names the types for it:
//! [`Client`] is `mastostream_client::Client<Tokio>`.
//!
//! ```
//! use mastostream_tokio::{Client, Event, Item};
//! # use mastostream_fake::{FakeServer, ServerOptions};
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
//!         Item::Connected { url, .. } => {
//!             println!("connected to {url}");
//! #           server.publish_update();
//!         }
//!         // Live or recovered after a reconnect: one shape, with the stream it came from.
//!         Item::Event(e) => {
//!             if let Event::Update(status) = &e.event {
//!                 println!("{}: {} (recovered: {})", status.account.acct, status.content, e.recovered);
//!                 break;
//!             }
//!         }
//!         Item::Reconnecting { delay, error, .. } => eprintln!("{error}: retrying in {delay:?}"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Test your bot offline
//!
//! [`mastostream-fake`](https://docs.rs/mastostream-fake) (a dev-dependency of your bot) is
//! a fake Mastodon server on loopback (real TCP, optionally real TLS): it streams what a
//! test publishes over SSE and WebSocket, serves the REST timelines for catch-up, and
//! misbehaves on command (drops, refused tokens, `Retry-After`). Point the client at it:
//!
//! ```
//! use mastostream_tokio::{Callbacks, Client};
//! use mastostream_fake::{FakeServer, ServerOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = FakeServer::start(ServerOptions::default());
//! let client = Client::new(&server.url())?;
//! let stream = client.stream_local();
//! let control = stream.controller();
//! let handle = stream.spawn(Callbacks::new().on_update(move |status| {
//!     println!("{}", status.account.acct);
//!     control.close(); // a close handle works from inside a callback
//! }));
//! while !handle.is_receiving() {
//!     tokio::task::yield_now().await;
//! }
//! server.publish_update();
//! handle.join().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Listeners, handles and WebSockets
//!
//! A stream drives a [`Listener`] (Mastodon.py's `StreamListener` method names, plus
//! `on_any_event` and `on_abort`) or [`Callbacks`] made of closures, in place
//! ([`EventStream::run`]) or on a background task ([`EventStream::spawn`], with
//! `close()`, `is_alive()` and `is_receiving()` on the [`StreamHandle`]).
//! [`Client::websocket`] opens Mastodon's multiplexed WebSocket: the same [`EventStream`]
//! type, whose subscriptions change while it runs ([`StreamControl`]); every event names
//! its stream, and after a reconnect every subscription is sent again and caught up.
//!
//! ```
//! use mastostream_tokio::{Channel, Client, Item};
//! # use mastostream_fake::{FakeServer, ServerOptions};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = std::sync::Arc::new(FakeServer::start(ServerOptions::default()));
//! # let url = server.url();
//! # let s = server.clone();
//! # let publisher = std::thread::spawn(move || {
//! #     assert!(s.wait_ws(std::time::Duration::from_secs(10), |ws| ws.last().is_some_and(|c| c.subscriptions.len() == 3)));
//! #     s.publish_update();
//! # });
//! let client = Client::new(&url)?;
//! let mut stream = client.websocket([Channel::User, Channel::public_local()]);
//! stream.subscribe(Channel::hashtag("rust"));
//! while let Some(item) = stream.next().await {
//!     match item? {
//!         Item::Event(e) => {
//!             println!("{:?}: {}", e.channel, e.event.kind());
//! #           if e.event.status().is_some() { break; }
//!         }
//!         Item::StreamError { channel, error, .. } => eprintln!("{channel:?} refused: {error}"),
//!         _ => {}
//!     }
//! }
//! # publisher.join().unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! Tracing events (target `mastostream_client`) report discovery, connects, disconnects
//! with their reason, backoff waits, catch-up results and gaps; none carries the token.
//!
//! Features: `native-roots` also trusts the operating system's root certificates; the
//! bundled webpki roots are always trusted, and [`Client::add_root_certificate`] adds more.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod runtime;

pub use mastostream_client::facade::*;
pub use runtime::Tokio;

mastostream_client::runtime_types!(Tokio, "tokio");
