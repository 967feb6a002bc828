//! [`EventStream`]: one Mastodon stream as a `futures::Stream`, a listener run loop, or a
//! background task ([`StreamHandle`]).

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures_core::Stream;
use mastostream_proto::listener::{Listener, dispatch};
use mastostream_proto::session::{Item, OneShot, Session, SessionConfig, parse_streaming_url};
use mastostream_proto::{Channel, Error};
use smol::Task;

use crate::client::Client;
use crate::driver::{Control, Driver, Step, now};

/// What a stream connects to.
#[derive(Clone, Debug)]
pub(crate) enum Spec {
    /// One SSE stream.
    Sse(Channel),
    /// Mastodon's multiplexed WebSocket with these first subscriptions.
    Ws(Vec<Channel>),
}

/// The item stream behind [`EventStream`] and [`WsStream`](crate::WsStream).
pub(crate) struct Core {
    inner: Pin<Box<dyn Stream<Item = Result<Item, Error>> + Send>>,
    pub(crate) control: Arc<Control>,
    done: bool,
}

impl Core {
    pub(crate) fn new(client: Client, spec: Spec, control: Arc<Control>) -> Core {
        let runner = Runner {
            client,
            spec,
            control: control.clone(),
            phase: Phase::Start,
        };
        let inner = Box::pin(futures_lite::stream::unfold(runner, |mut r| async move {
            let next = r.next().await?;
            Some((next, r))
        }));
        Core {
            inner,
            control,
            done: false,
        }
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Item, Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next {
            self.done = true;
        }
        next
    }
}

/// Drives `listener` with every item of `stream` until it ends.
pub(crate) async fn run<S, L>(mut stream: S, listener: &mut L) -> Result<(), Error>
where
    S: Stream<Item = Result<Item, Error>> + Unpin,
    L: Listener + ?Sized,
{
    while let Some(next) = futures_lite::StreamExt::next(&mut stream).await {
        dispatch(listener, next?);
    }
    Ok(())
}

/// One Mastodon stream: it reconnects with backoff, catches up over REST after each
/// reconnect, and ends only when closed or stopped by an error that retrying cannot fix.
///
/// Nothing happens until it is used, in one of three ways:
/// - as a [`Stream`] of `Result<Item, Error>`: every [`Item`] in order, then `Err` once if
///   a fatal error stopped it (a `401`, an unknown stream, ...), then the end;
/// - [`run`](EventStream::run): drives a [`Listener`] (or [`Callbacks`](crate::Callbacks))
///   until the stream ends;
/// - [`spawn`](EventStream::spawn): the same on a background task, with a [`StreamHandle`].
///
/// Dropping it closes its connections at once.
pub struct EventStream {
    core: Core,
    channel: Channel,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("channel", &self.channel)
            .field("receiving", &self.core.control.is_receiving())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn new(client: Client, channel: Channel) -> EventStream {
        let control = Arc::new(Control::default());
        EventStream {
            core: Core::new(client, Spec::Sse(channel.clone()), control),
            channel,
        }
    }

    /// The stream this is.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Asks the stream to close: connections are closed and the stream ends (`None`)
    /// without an error.
    pub fn close(&self) {
        self.core.control.close();
    }

    /// Whether the stream is live now (connected, and hearing from the server within the
    /// idle timeout).
    pub fn is_receiving(&self) -> bool {
        self.core.control.is_receiving()
    }

    /// Drives `listener` until the stream ends: `Ok` when closed, `Err` with the fatal error
    /// otherwise.
    pub async fn run<L: Listener + ?Sized>(self, listener: &mut L) -> Result<(), Error> {
        run(self, listener).await
    }

    /// Runs the stream on a background task on smol's global executor, driving `listener`
    /// (a [`Listener`] or [`Callbacks`](crate::Callbacks)). Works with or without a
    /// running executor; for a thread of its own, see
    /// [`blocking::EventStream::spawn`](crate::blocking::EventStream::spawn).
    pub fn spawn<L: Listener + Send + 'static>(self, mut listener: L) -> StreamHandle {
        let control = self.core.control.clone();
        let task = smol::spawn(async move { self.run(&mut listener).await });
        StreamHandle {
            control,
            task: Some(task),
        }
    }

    pub(crate) fn control(&self) -> Arc<Control> {
        self.core.control.clone()
    }
}

impl Stream for EventStream {
    type Item = Result<Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.core.poll_next(cx)
    }
}

/// A stream running in the background (see [`EventStream::spawn`]), like the handle
/// Mastodon.py returns with `run_async=True`. Dropping the handle leaves the stream
/// running; [`close`](StreamHandle::close) stops it.
#[derive(Debug)]
pub struct StreamHandle {
    pub(crate) control: Arc<Control>,
    /// `None` only once joined or dropped.
    pub(crate) task: Option<Task<Result<(), Error>>>,
}

impl StreamHandle {
    /// Asks the stream to close; it finishes cleanly soon after.
    pub fn close(&self) {
        self.control.close();
    }

    /// Whether the background task is still running.
    pub fn is_alive(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Whether the stream is live now (connected and hearing from the server).
    pub fn is_receiving(&self) -> bool {
        self.control.is_receiving()
    }

    /// Waits for the stream to end: `Ok` once closed, or the fatal error that stopped it.
    /// Re-raises a panic of the listener.
    pub async fn join(mut self) -> Result<(), Error> {
        match self.task.take() {
            Some(task) => task.await,
            None => Ok(()),
        }
    }
}

impl Drop for StreamHandle {
    /// Leaves the stream running (a smol task is cancelled when its handle drops).
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

/// Where a stream is in its life.
enum Phase {
    Start,
    Discover(Box<Driver<OneShot>>, Box<SessionConfig>),
    Live(Box<Driver<Session>>),
    Done,
}

struct Runner {
    client: Client,
    spec: Spec,
    control: Arc<Control>,
    phase: Phase,
}

impl fmt::Display for Spec {
    /// `user`, or `websocket [public, hashtag #rust]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Sse(channel) => write!(f, "{channel}"),
            Spec::Ws(channels) => {
                f.write_str("websocket [")?;
                for (i, c) in channels.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl Runner {
    async fn next(&mut self) -> Option<Result<Item, Error>> {
        loop {
            match &mut self.phase {
                Phase::Start => {
                    let cfg = match &self.spec {
                        Spec::Sse(channel) => self.client.session_config(channel.clone()),
                        Spec::Ws(channels) => self.client.websocket_config(channels),
                    };
                    if self.client.discovers() {
                        let m = OneShot::instance_info(
                            &cfg.instance,
                            cfg.token.clone(),
                            cfg.timeouts,
                            now(),
                        );
                        let driver = Driver::new(m, self.client.tls(), self.control.clone());
                        self.phase = Phase::Discover(Box::new(driver), Box::new(cfg));
                    } else {
                        self.start(cfg);
                    }
                }
                Phase::Discover(driver, cfg) => {
                    let step = driver.next().await;
                    let mut cfg = (**cfg).clone();
                    let response = driver.machine.take_response();
                    match (step, response) {
                        (Some(Step::Item(_)), _) => continue,
                        (Some(Step::Finished(Ok(()))), Some(r)) => match parse_streaming_url(&r) {
                            Ok(Some(url)) => {
                                tracing::debug!(streaming = %url, "streaming URL discovered");
                                cfg.streaming = Some(url);
                            }
                            Ok(None) => {}
                            Err(e) => {
                                tracing::debug!(error = %e, "no streaming URL; using the instance URL")
                            }
                        },
                        (Some(Step::Finished(Err(e))), _) => {
                            tracing::debug!(error = %e, "streaming URL discovery failed; using the instance URL");
                        }
                        _ => {}
                    }
                    if self.control_closed() {
                        self.phase = Phase::Done;
                        return None;
                    }
                    self.start(cfg);
                }
                Phase::Live(driver) => match driver.next().await {
                    Some(Step::Item(item)) => {
                        if let Item::StreamError { .. } = item {
                            // A refused subscription was dropped.
                            let subs = driver.machine.subscriptions().cloned().collect();
                            self.control.set_subscriptions(subs);
                        }
                        self.observe(&item);
                        return Some(Ok(item));
                    }
                    Some(Step::Finished(result)) => {
                        self.control.set_receiving(false);
                        self.phase = Phase::Done;
                        return match result {
                            Ok(()) => {
                                tracing::info!(stream = %self.spec, "stream closed");
                                None
                            }
                            Err(e) => {
                                tracing::error!(stream = %self.spec, error = %e, "stream stopped");
                                Some(Err(e))
                            }
                        };
                    }
                    None => {
                        self.control.set_receiving(false);
                        self.phase = Phase::Done;
                        return None;
                    }
                },
                Phase::Done => return None,
            }
        }
    }

    fn control_closed(&self) -> bool {
        self.control.is_closing()
    }

    fn start(&mut self, cfg: SessionConfig) {
        let session = Session::new(cfg, now(), SystemTime::now());
        let driver = Driver::new(session, self.client.tls(), self.control.clone());
        self.phase = Phase::Live(Box::new(driver));
    }

    /// Tracks liveness and traces what happened (never the token: proto keeps it out of
    /// URLs and errors).
    fn observe(&self, item: &Item) {
        let stream = &self.spec;
        match item {
            Item::Connected { url } => {
                self.control.set_receiving(true);
                tracing::info!(%stream, %url, "connected");
            }
            Item::Disconnected { error } => {
                self.control.set_receiving(false);
                tracing::warn!(%stream, %error, "disconnected");
            }
            Item::Reconnecting {
                attempt,
                delay,
                error,
            } => {
                self.control.set_receiving(false);
                tracing::info!(%stream, attempt, delay_ms = delay.as_millis() as u64, %error, "reconnecting after backoff");
            }
            Item::CaughtUp {
                timeline,
                recovered,
            } => tracing::info!(%stream, %timeline, recovered, "caught up"),
            Item::Gap(gap) => {
                tracing::warn!(%stream, timeline = %gap.timeline, reason = %gap.reason, "gap: items may be missing");
            }
            Item::StreamError {
                channel,
                status,
                error,
            } => {
                let refused = channel.as_ref().map(ToString::to_string);
                tracing::warn!(%stream, ?refused, ?status, %error, "the server refused a subscription");
            }
            _ => {}
        }
    }
}
