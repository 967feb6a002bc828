//! [`WsStream`]: Mastodon's multiplexed WebSocket as a `futures::Stream`, a listener run
//! loop, or a background task ([`WsHandle`]), with subscriptions changed while it runs
//! ([`WsController`]).

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use mastostream_proto::listener::Listener;
use mastostream_proto::session::Item;
use mastostream_proto::{Channel, Error};

use crate::client::Client;
use crate::driver::{Command, Control};
use crate::stream::{Core, Spec, StreamHandle, run};

/// Many Mastodon streams on one WebSocket connection (see [`Client::websocket`]).
///
/// Used like an [`EventStream`](crate::EventStream) — as a [`Stream`] of
/// `Result<Item, Error>`, with [`run`](WsStream::run), or with [`spawn`](WsStream::spawn) —
/// and besides, streams can be added and removed at any time, from here or from a
/// [`WsController`] on another task. A subscription is sent at once when connected, and
/// again after every reconnect; a new subscription's timelines are caught up after
/// reconnects like the others.
///
/// Live events arrive as [`Item::StreamEvent`] with the stream the server named
/// (`["hashtag", "rust"]`) and its [`Channel`]. A subscription the server refuses (a list
/// the account may not read, say) arrives as [`Item::StreamError`] and is dropped; the
/// connection stays up. Events fetched over REST after a reconnect arrive as
/// [`Item::Recovered`], timeline by timeline, each followed by its
/// [`Item::CaughtUp`].
///
/// Closing it ([`close`](WsStream::close), or a [`WsController`]) ends the WebSocket
/// cleanly: a close frame (status 1000) goes out, and the stream ends once the server
/// answered it (or after a second at most). Dropping it closes the connection too, with a
/// close frame sent in the background while the runtime lives.
pub struct WsStream {
    core: Core,
}

impl fmt::Debug for WsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsStream")
            .field("subscriptions", &self.core.control.subscriptions())
            .field("receiving", &self.core.control.is_receiving())
            .finish_non_exhaustive()
    }
}

impl WsStream {
    pub(crate) fn new(client: Client, channels: Vec<Channel>) -> WsStream {
        let control = Arc::new(Control::default());
        let mut unique: Vec<Channel> = Vec::with_capacity(channels.len());
        for c in channels {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        if unique.is_empty() {
            // The session starts with one stream; this one goes before it is sent.
            control.command(Command::Unsubscribe(Channel::User));
        }
        control.set_subscriptions(unique.clone());
        WsStream {
            core: Core::new(client, Spec::Ws(unique), control),
        }
    }

    /// Adds a stream (subscribed at once when connected; nothing happens if it is
    /// subscribed already).
    pub fn subscribe(&self, channel: Channel) {
        self.controller().subscribe(channel);
    }

    /// Removes a stream (unsubscribed at once when connected).
    pub fn unsubscribe(&self, channel: Channel) {
        self.controller().unsubscribe(channel);
    }

    /// The streams subscribed: those asked for, less those removed and those the server
    /// refused.
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.core.control.subscriptions()
    }

    /// A handle that changes the subscriptions (or closes the stream) from anywhere.
    pub fn controller(&self) -> WsController {
        WsController {
            control: self.core.control.clone(),
        }
    }

    /// Asks the stream to close: the WebSocket is closed with a close frame and the stream
    /// ends (`None`) without an error.
    pub fn close(&self) {
        self.core.control.close();
    }

    /// Whether the connection is live now (upgraded, and hearing from the server within
    /// the WebSocket idle timeout: Mastodon pings every 30 s).
    pub fn is_receiving(&self) -> bool {
        self.core.control.is_receiving()
    }

    /// Drives `listener` until the stream ends: `Ok` when closed, `Err` with the fatal error
    /// otherwise. Live events go to [`Listener::on_stream_event`] (which by default calls
    /// the event's own callback), refusals to [`Listener::on_stream_error`].
    pub async fn run<L: Listener + ?Sized>(self, listener: &mut L) -> Result<(), Error> {
        run(self, listener).await
    }

    /// Runs the stream on a background task, driving `listener`. Must be called within a
    /// tokio runtime.
    pub fn spawn<L: Listener + Send + 'static>(self, mut listener: L) -> WsHandle {
        let controller = self.controller();
        let control = self.core.control.clone();
        let task = tokio::spawn(async move { self.run(&mut listener).await });
        WsHandle {
            controller,
            handle: StreamHandle { control, task },
        }
    }
}

impl Stream for WsStream {
    type Item = Result<Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.core.poll_next(cx)
    }
}

/// Changes a [`WsStream`]'s subscriptions, or closes it, from any task or thread. Cheap to
/// clone. Commands apply in order, as soon as the stream's driver runs.
#[derive(Clone)]
pub struct WsController {
    control: Arc<Control>,
}

impl fmt::Debug for WsController {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsController")
            .field("subscriptions", &self.control.subscriptions())
            .finish_non_exhaustive()
    }
}

impl WsController {
    /// Adds a stream (see [`WsStream::subscribe`]).
    pub fn subscribe(&self, channel: Channel) {
        self.control.subscription(Command::Subscribe(channel));
    }

    /// Removes a stream (see [`WsStream::unsubscribe`]).
    pub fn unsubscribe(&self, channel: Channel) {
        self.control.subscription(Command::Unsubscribe(channel));
    }

    /// The streams subscribed (see [`WsStream::subscriptions`]).
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.control.subscriptions()
    }

    /// Asks the stream to close; it ends cleanly soon after.
    pub fn close(&self) {
        self.control.close();
    }

    /// Whether the connection is live now.
    pub fn is_receiving(&self) -> bool {
        self.control.is_receiving()
    }
}

/// A [`WsStream`] running in the background (see [`WsStream::spawn`]): a
/// [`StreamHandle`] that can also change the subscriptions. Dropping it leaves the stream
/// running; [`close`](WsHandle::close) stops it.
#[derive(Debug)]
pub struct WsHandle {
    controller: WsController,
    handle: StreamHandle,
}

impl WsHandle {
    /// Adds a stream.
    pub fn subscribe(&self, channel: Channel) {
        self.controller.subscribe(channel);
    }

    /// Removes a stream.
    pub fn unsubscribe(&self, channel: Channel) {
        self.controller.unsubscribe(channel);
    }

    /// The streams subscribed.
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.controller.subscriptions()
    }

    /// A controller for other tasks.
    pub fn controller(&self) -> WsController {
        self.controller.clone()
    }

    /// Asks the stream to close; it finishes cleanly soon after.
    pub fn close(&self) {
        self.handle.close();
    }

    /// Whether the background task is still running.
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// Whether the connection is live now.
    pub fn is_receiving(&self) -> bool {
        self.handle.is_receiving()
    }

    /// Waits for the stream to end: `Ok` once closed, or the fatal error that stopped it.
    /// Re-raises a panic of the listener.
    pub async fn join(self) -> Result<(), Error> {
        self.handle.join().await
    }
}
