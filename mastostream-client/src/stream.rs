//! [`EventStream`]: one session (an SSE stream, or a WebSocket carrying several streams) as
//! a `futures::Stream`, a listener run loop, or a background task ([`StreamHandle`]); and
//! [`StreamControl`], the handle that closes it or changes its subscriptions from anywhere.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use mastostream_proto::listener::{Listener, dispatch};
use mastostream_proto::session::{Command, Item, Session, SessionConfig};
use mastostream_proto::{Channel, Error};

use crate::client::Client;
use crate::control::Control;
use crate::driver::Driver;
use crate::runtime::Runtime;

type Step<R> = (Option<Result<Item, Error>>, Option<Runner<R>>);

/// One session: an SSE stream, or Mastodon's multiplexed WebSocket with any number of
/// streams. It discovers where the instance streams from, reconnects with backoff, catches
/// up over REST after each reconnect, and ends only when closed or stopped by an error that
/// retrying cannot fix.
///
/// Nothing happens until it is used, in one of three ways:
/// - as a [`Stream`] of `Result<Item, Error>`: every [`Item`] in order, then `Err` once if
///   a fatal error stopped it (a `401`, an unknown stream, ...), then the end;
/// - [`run`](EventStream::run): drives a [`Listener`] (or
///   [`Callbacks`](crate::Callbacks)) until the stream ends;
/// - [`spawn`](EventStream::spawn): the same on a background task, with a
///   [`StreamHandle`].
///
/// Every event, live or recovered, is an [`Item::Event`] with the stream it came from.
/// [`controller`](EventStream::controller) gives a cloneable [`StreamControl`] that closes
/// the stream or (over a WebSocket) changes its subscriptions, from any task, thread or
/// callback.
///
/// Dropping it closes its connections at once (a WebSocket with a close frame, in the
/// background).
pub struct EventStream<R: Runtime> {
    control: Arc<Control>,
    rt: R,
    state: State<R>,
}

enum State<R: Runtime> {
    /// Not started: the first poll starts the session.
    Idle(Box<Runner<R>>),
    /// Waiting for the next item.
    Busy(BoxFuture<'static, Step<R>>),
    Done,
}

/// The session's driver and what it reports to.
struct Runner<R: Runtime> {
    driver: Option<Driver<Session, R>>,
    client: Client<R>,
    cfg: SessionConfig,
    control: Arc<Control>,
}

impl<R: Runtime> Runner<R> {
    async fn step(mut self) -> Step<R> {
        let driver = self.driver.get_or_insert_with(|| {
            let rt = self.client.runtime().clone();
            let grace = self.cfg.timeouts.close_grace;
            let session = Session::new(self.cfg.clone(), rt.now(), rt.wall_clock());
            Driver::new(session, rt, self.client.tls(), self.control.clone(), grace)
        });
        let next = driver.next().await;
        match &next {
            Some(Ok(item)) => {
                self.client.observe(item);
                crate::trace::item(&self.cfg, item);
            }
            Some(Err(e)) => {
                tracing::error!(stream = %crate::trace::Spec(&self.cfg), error = %e, "stream stopped")
            }
            None => tracing::info!(stream = %crate::trace::Spec(&self.cfg), "stream closed"),
        }
        if next.is_some() {
            (next, Some(self))
        } else {
            (None, None)
        }
    }
}

impl<R: Runtime> fmt::Debug for EventStream<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("subscriptions", &self.control.subscriptions())
            .field("receiving", &self.control.is_receiving())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> EventStream<R> {
    pub(crate) fn new(client: Client<R>, cfg: SessionConfig) -> EventStream<R> {
        let control = Arc::new(Control::new(cfg.channels.clone()));
        let rt = client.runtime().clone();
        let runner = Runner {
            driver: None,
            client,
            cfg,
            control: control.clone(),
        };
        EventStream {
            control,
            rt,
            state: State::Idle(Box::new(runner)),
        }
    }

    /// A handle that closes the stream or changes its subscriptions from anywhere: another
    /// task, another thread, or a listener's callback.
    pub fn controller(&self) -> StreamControl {
        StreamControl {
            control: self.control.clone(),
        }
    }

    /// Asks the stream to close: connections are closed (a WebSocket with its close
    /// handshake, bounded by the session's grace period) and the stream ends without an
    /// error.
    pub fn close(&self) {
        self.controller().close();
    }

    /// Adds a stream (WebSocket sessions; see [`StreamControl::subscribe`]).
    pub fn subscribe(&self, channel: Channel) {
        self.controller().subscribe(channel);
    }

    /// Removes a stream (see [`StreamControl::unsubscribe`]).
    pub fn unsubscribe(&self, channel: Channel) {
        self.controller().unsubscribe(channel);
    }

    /// The streams subscribed (see [`StreamControl::subscriptions`]).
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.control.subscriptions()
    }

    /// Whether the stream is live now (connected, and hearing from the server within the
    /// idle timeout).
    pub fn is_receiving(&self) -> bool {
        self.control.is_receiving()
    }

    /// The next item, `Err` once with a fatal error, `None` at the end.
    pub async fn next(&mut self) -> Option<Result<Item, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Drives `listener` until the stream ends: `Ok` when closed, `Err` with the fatal error
    /// otherwise (after [`Listener::on_abort`]).
    pub async fn run<L: Listener + ?Sized>(mut self, listener: &mut L) -> Result<(), Error> {
        while let Some(next) = self.next().await {
            match next {
                Ok(item) => dispatch(listener, item),
                Err(e) => {
                    listener.on_abort(&e);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Runs the stream on a background task of the runtime, driving `listener` (a
    /// [`Listener`] or [`Callbacks`](crate::Callbacks)). A fatal error reaches the
    /// listener's [`on_abort`](Listener::on_abort) even when nobody keeps the handle.
    pub fn spawn<L: Listener + Send + 'static>(self, mut listener: L) -> StreamHandle {
        let control = self.control.clone();
        let (tx, rx) = futures_channel::oneshot::channel();
        let alive = Arc::new(AtomicBool::new(true));
        let running = alive.clone();
        let rt = self.rt.clone();
        rt.spawn(Box::pin(async move {
            let run = std::panic::AssertUnwindSafe(self.run(&mut listener));
            let result = run.catch_unwind().await;
            running.store(false, Ordering::SeqCst);
            let _ = tx.send(result);
        }));
        StreamHandle {
            control: StreamControl { control },
            alive,
            result: rx,
        }
    }
}

// No field is pinned: the pending step is boxed.
impl<R: Runtime> Unpin for EventStream<R> {}

impl<R: Runtime> Stream for EventStream<R> {
    type Item = Result<Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(runner) => self.state = State::Busy(Box::pin(runner.step())),
                State::Busy(mut step) => match step.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = State::Busy(step);
                        return Poll::Pending;
                    }
                    Poll::Ready((next, runner)) => {
                        if let Some(runner) = runner {
                            self.state = State::Idle(Box::new(runner));
                        }
                        return Poll::Ready(next);
                    }
                },
            }
        }
    }
}

/// Closes a stream, or changes its subscriptions, from any task, thread or callback.
/// Cheap to clone. Commands apply in order, as soon as the stream's driver runs.
#[derive(Clone)]
pub struct StreamControl {
    control: Arc<Control>,
}

impl fmt::Debug for StreamControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamControl")
            .field("subscriptions", &self.control.subscriptions())
            .field("receiving", &self.control.is_receiving())
            .finish_non_exhaustive()
    }
}

impl StreamControl {
    /// Asks the stream to close; it ends cleanly soon after.
    pub fn close(&self) {
        self.control.command(Command::Close);
    }

    /// Adds a stream to a WebSocket session: subscribed at once when connected, and again
    /// after every reconnect; its timelines are caught up like the others'. Nothing happens
    /// if it is subscribed already, or if the session is an SSE stream (one stream per
    /// connection: open the session with [`Client::websocket`](crate::Client::websocket)).
    pub fn subscribe(&self, channel: Channel) {
        self.control.command(Command::Subscribe(channel));
    }

    /// Removes a stream (unsubscribed at once when connected).
    pub fn unsubscribe(&self, channel: Channel) {
        self.control.command(Command::Unsubscribe(channel));
    }

    /// The streams subscribed: those asked for, less those removed and those the server
    /// refused.
    pub fn subscriptions(&self) -> Vec<Channel> {
        self.control.subscriptions()
    }

    /// Whether the stream is live now.
    pub fn is_receiving(&self) -> bool {
        self.control.is_receiving()
    }

    /// Whether the stream is over.
    pub fn is_closed(&self) -> bool {
        self.control.is_over()
    }
}

type Outcome = std::thread::Result<Result<(), Error>>;

/// A stream running in the background (see [`EventStream::spawn`]), like the handle
/// Mastodon.py returns with `run_async=True`. Dropping the handle leaves the stream
/// running; [`close`](StreamHandle::close) stops it.
#[derive(Debug)]
pub struct StreamHandle {
    control: StreamControl,
    alive: Arc<AtomicBool>,
    result: futures_channel::oneshot::Receiver<Outcome>,
}

impl StreamHandle {
    /// Asks the stream to close; it finishes cleanly soon after.
    pub fn close(&self) {
        self.control.close();
    }

    /// Whether the background task is still running.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Whether the stream is live now (connected and hearing from the server).
    pub fn is_receiving(&self) -> bool {
        self.control.is_receiving()
    }

    /// A handle for other tasks or callbacks: close, subscribe, unsubscribe.
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

    /// Waits for the stream to end: `Ok` once closed, or the fatal error that stopped it.
    /// Re-raises a panic of the listener. `Ok` too if the runtime dropped the task.
    pub async fn join(self) -> Result<(), Error> {
        match self.result.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_canceled) => Ok(()),
        }
    }
}
