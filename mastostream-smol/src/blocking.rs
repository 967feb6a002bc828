//! The same client for programs without an async runtime: every call blocks the calling
//! thread, or runs the stream on a thread of its own.
//!
//! [`Client`] has the async client's builder and stream methods, with the same names; a
//! stream is an [`EventStream`] that is an [`Iterator`] of items and, as in Mastodon.py,
//! drives a [`Listener`] in place or in the background:
//!
//! | Mastodon.py | here |
//! |---|---|
//! | `mastodon.stream_user(listener)` (`run_async=False`) | `client.stream_user().run(&mut listener)` |
//! | `handle = mastodon.stream_user(listener, run_async=True)` | `let handle = client.stream_user().spawn(listener)` |
//! | `handle.close()`, `handle.is_alive()`, `handle.is_receiving()` | the same on [`StreamHandle`], plus [`join`](StreamHandle::join) |
//!
//! [`Client::websocket`] opens Mastodon's multiplexed WebSocket the same way: the same
//! [`EventStream`] iterates, runs or spawns, and its subscriptions change while it runs,
//! from any thread or callback ([`StreamControl`]).
//!
//! Reconnects, backoff and catch-up are the session's, exactly as in the async API: this
//! module only blocks on the smol driver (`smol::block_on`), it has no loop of its own.
//!
//! ```
//! use mastostream_smol::blocking::Client;
//! use mastostream_smol::{Event, Item};
//! # use mastostream_fake::{FakeServer, ServerOptions};
//! # let server = FakeServer::start(ServerOptions::default());
//! # let url = server.url();
//!
//! let client = Client::new(&url)?;
//! for item in client.stream_local() {
//!     match item? {
//!         Item::Connected { .. } => {
//! #           server.publish_update();
//!         }
//!         Item::Event(e) => {
//!             if let Event::Update(status) = &e.event {
//!                 println!("{}: {}", status.account.acct, status.content);
//!                 break;
//!             }
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Do not call these methods from inside an async task: they block its thread.

use std::fmt;
use std::thread::JoinHandle;

use crate::{
    CertificateDer, Channel, ConfigError, Error, HealthReport, Id, Instance, Item, Listener,
    SessionConfig, StreamControl, StreamTransport, Timeline,
};

/// A Mastodon streaming client whose calls block: the blocking twin of
/// [`crate::Client`], with the same methods.
///
/// Cheap to clone; every stream it opens is independent. `Debug` output redacts the token.
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
}

impl From<crate::Client> for Client {
    fn from(inner: crate::Client) -> Client {
        Client { inner }
    }
}

impl From<Client> for crate::Client {
    fn from(client: Client) -> crate::Client {
        client.inner
    }
}

/// Makes the blocking twin of an async client (same settings).
pub trait Blocking {
    /// The blocking twin of this client.
    fn blocking(self) -> Client;
}

impl Blocking for crate::Client {
    fn blocking(self) -> Client {
        Client::from(self)
    }
}

impl Client {
    /// A client for the instance at `url`; see [`crate::Client::new`].
    pub fn new(url: &str) -> Result<Client, ConfigError> {
        crate::Client::new(url).map(Client::from)
    }

    /// Sets the access token (sent as `Authorization: Bearer`).
    #[must_use]
    pub fn token(self, token: impl Into<String>) -> Client {
        self.inner.token(token).into()
    }

    /// Sets or clears the access token.
    #[must_use]
    pub fn token_opt(self, token: Option<String>) -> Client {
        self.inner.token_opt(token).into()
    }

    /// Trusts this root certificate (DER) in addition to the bundled roots.
    pub fn add_root_certificate(self, der: CertificateDer<'static>) -> Result<Client, ConfigError> {
        self.inner.add_root_certificate(der).map(Client::from)
    }

    /// Also trusts the operating system's root certificates.
    #[cfg(feature = "native-roots")]
    pub fn native_roots(self, on: bool) -> Result<Client, ConfigError> {
        self.inner.native_roots(on).map(Client::from)
    }

    /// Uses this streaming base URL and skips discovery; see
    /// [`crate::Client::streaming_url`].
    pub fn streaming_url(self, url: &str) -> Result<Client, ConfigError> {
        self.inner.streaming_url(url).map(Client::from)
    }

    /// Whether streams first ask the instance for the streaming URL (default `true`).
    #[must_use]
    pub fn discover(self, on: bool) -> Client {
        self.inner.discover(on).into()
    }

    /// Adjusts every session's configuration before it starts; see
    /// [`crate::Client::configure`].
    #[must_use]
    pub fn configure(self, f: impl Fn(&mut SessionConfig) + Send + Sync + 'static) -> Client {
        self.inner.configure(f).into()
    }

    /// The instance URL.
    pub fn instance(&self) -> &Instance {
        self.inner.instance()
    }

    /// The session configuration a stream starts with; see
    /// [`crate::Client::session_config`].
    pub fn session_config(
        &self,
        transport: StreamTransport,
        channels: impl IntoIterator<Item = Channel>,
    ) -> SessionConfig {
        self.inner.session_config(transport, channels)
    }

    /// The async client with the same settings.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// A session with this exact configuration; see [`crate::Client::open`].
    pub fn open(&self, cfg: SessionConfig) -> EventStream {
        self.inner.open(cfg).into()
    }

    /// Any stream over SSE, by [`Channel`].
    pub fn stream(&self, channel: Channel) -> EventStream {
        self.inner.stream(channel).into()
    }

    /// `user`: your home timeline and notifications.
    pub fn stream_user(&self) -> EventStream {
        self.inner.stream_user().into()
    }

    /// `user:notification`: your notifications only.
    pub fn stream_notifications(&self) -> EventStream {
        self.inner.stream_notifications().into()
    }

    /// `public`: the federated timeline.
    pub fn stream_public(&self) -> EventStream {
        self.inner.stream_public().into()
    }

    /// `public:local`: this server's public statuses.
    pub fn stream_local(&self) -> EventStream {
        self.inner.stream_local().into()
    }

    /// `public:remote`: other servers' public statuses.
    pub fn stream_remote(&self) -> EventStream {
        self.inner.stream_remote().into()
    }

    /// `hashtag`: statuses with `tag`.
    pub fn stream_hashtag(&self, tag: &str) -> EventStream {
        self.inner.stream_hashtag(tag).into()
    }

    /// `list`: the statuses of one of your lists.
    pub fn stream_list(&self, id: impl Into<Id>) -> EventStream {
        self.inner.stream_list(id).into()
    }

    /// `direct`: your direct conversations.
    pub fn stream_direct(&self) -> EventStream {
        self.inner.stream_direct().into()
    }

    /// Mastodon's multiplexed WebSocket: one connection for every stream in `channels`,
    /// changed while it runs; see [`crate::Client::websocket`].
    pub fn websocket(&self, channels: impl IntoIterator<Item = Channel>) -> EventStream {
        self.inner.websocket(channels).into()
    }

    /// Whether the streaming server is up (`GET /api/v1/streaming/health` answers `OK`).
    /// Blocks until answered or timed out.
    pub fn stream_healthy(&self) -> Result<bool, Error> {
        smol::block_on(self.inner.stream_healthy())
    }

    /// Discovery and the health endpoint; see [`crate::Client::health`]. Blocks.
    pub fn health(&self) -> Result<HealthReport, Error> {
        smol::block_on(self.inner.health())
    }

    /// Where the instance streams from. Blocks until answered or timed out.
    pub fn discover_streaming_url(&self) -> Result<Option<Instance>, Error> {
        smol::block_on(self.inner.discover_streaming_url())
    }

    /// Where `timeline` is now, a resume point for a later session; see
    /// [`crate::Client::newest_id`]. Blocks until answered or timed out.
    pub fn newest_id(&self, timeline: &Timeline) -> Result<Option<Id>, Error> {
        smol::block_on(self.inner.newest_id(timeline))
    }
}

/// A session, blocking: an [`Iterator`] of `Result<Item, Error>` (every item in order,
/// then `Err` once if a fatal error stopped it, then the end), a listener run loop
/// ([`run`](EventStream::run)), or a background thread ([`spawn`](EventStream::spawn)).
/// An SSE stream or a WebSocket carrying several, as [`crate::EventStream`].
///
/// Nothing happens until it is used. Dropping it closes its connections at once.
pub struct EventStream {
    inner: crate::EventStream,
}

/// The WebSocket stream: the same as [`EventStream`] (the name is kept for code written
/// against 0.1).
pub type WsStream = EventStream;

/// Closes a stream from any thread: the same as [`StreamControl`] (the name is kept for
/// code written against 0.1).
pub type Closer = StreamControl;

/// Changes a WebSocket stream's subscriptions from any thread: the same as
/// [`StreamControl`] (the name is kept for code written against 0.1).
pub type WsController = StreamControl;

/// A WebSocket stream's handle: the same as [`StreamHandle`].
pub type WsHandle = StreamHandle;

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::EventStream")
            .field(&self.inner)
            .finish()
    }
}

impl From<crate::EventStream> for EventStream {
    fn from(inner: crate::EventStream) -> EventStream {
        EventStream { inner }
    }
}

impl EventStream {
    /// Asks the stream to close: the iterator then ends (`None`) without an error.
    pub fn close(&self) {
        self.inner.close();
    }

    /// A handle that closes the stream or changes its subscriptions from any thread or
    /// callback (while this thread blocks in [`Iterator::next`], say).
    pub fn controller(&self) -> StreamControl {
        self.inner.controller()
    }

    /// The same as [`controller`](EventStream::controller) (the name is kept for code
    /// written against 0.1).
    pub fn closer(&self) -> Closer {
        self.controller()
    }

    /// Adds a stream (WebSocket sessions).
    pub fn subscribe(&self, channel: Channel) {
        self.inner.subscribe(channel);
    }

    /// Removes a stream.
    pub fn unsubscribe(&self, channel: Channel) {
        self.inner.unsubscribe(channel);
    }

    /// The streams subscribed.
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.inner.subscriptions()
    }

    /// Whether the stream is live now (connected, and hearing from the server within the
    /// idle timeout).
    pub fn is_receiving(&self) -> bool {
        self.inner.is_receiving()
    }

    /// Drives `listener` on this thread until the stream ends (Mastodon.py's
    /// `run_async=False`): `Ok` when closed, `Err` with the fatal error otherwise.
    pub fn run<L: Listener + ?Sized>(self, listener: &mut L) -> Result<(), Error> {
        smol::block_on(self.inner.run(listener))
    }

    /// Runs the stream on a thread of its own, driving `listener` (Mastodon.py's
    /// `run_async=True`).
    ///
    /// # Panics
    /// If the operating system cannot start a thread.
    pub fn spawn<L: Listener + Send + 'static>(self, mut listener: L) -> StreamHandle {
        let control = self.inner.controller();
        let thread = std::thread::Builder::new()
            .name("mastostream stream".to_owned())
            .spawn(move || self.run(&mut listener))
            .expect("failed to start the stream's thread");
        StreamHandle {
            control,
            thread: Some(thread),
        }
    }

    /// The async stream underneath.
    pub fn into_async(self) -> crate::EventStream {
        self.inner
    }
}

impl Iterator for EventStream {
    type Item = Result<Item, Error>;

    /// Blocks until the next item (or the end).
    fn next(&mut self) -> Option<Self::Item> {
        smol::block_on(self.inner.next())
    }
}

/// A stream running on a thread of its own (see [`EventStream::spawn`]), like the handle
/// Mastodon.py returns with `run_async=True`. Dropping the handle leaves the stream
/// running; [`close`](StreamHandle::close) stops it.
#[derive(Debug)]
pub struct StreamHandle {
    control: StreamControl,
    /// `None` only once joined.
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl StreamHandle {
    /// Asks the stream to close; it finishes cleanly soon after.
    pub fn close(&self) {
        self.control.close();
    }

    /// Whether the stream's thread is still running.
    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Whether the stream is live now (connected and hearing from the server).
    pub fn is_receiving(&self) -> bool {
        self.control.is_receiving()
    }

    /// A handle for other threads or callbacks.
    pub fn controller(&self) -> StreamControl {
        self.control.clone()
    }

    /// Adds a stream (WebSocket sessions).
    pub fn subscribe(&self, channel: Channel) {
        self.control.subscribe(channel);
    }

    /// Removes a stream.
    pub fn unsubscribe(&self, channel: Channel) {
        self.control.unsubscribe(channel);
    }

    /// The streams subscribed.
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.control.subscriptions()
    }

    /// Blocks until the stream ends: `Ok` once closed, or the fatal error that stopped it.
    /// Re-raises a panic of the listener.
    pub fn join(mut self) -> Result<(), Error> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Ok(()),
        }
    }
}
