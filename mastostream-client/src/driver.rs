//! The driver: runs any [`Machine`] over any [`Runtime`]. It holds no protocol logic: it
//! opens what the machine asks for (TCP, TLS, WebSocket upgrades) as tasks, writes what it
//! says, hands it what arrives with the time it was read, passes on the application's
//! commands, and sleeps until the machine's deadline.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use futures_util::future::{AbortHandle, Abortable};
use mastostream_proto::Error;
use mastostream_proto::session::{
    Close, Input, Item, Machine, Output, Target, TransportId, WsRequest,
};
use rustls::ClientConfig;

use crate::control::Control;
use crate::link::{self, Backlog, Outgoing, REPORT_CAPACITY, Report, Reporter};
use crate::runtime::{AsyncTimer, Runtime};
use crate::websocket;

/// One transport's task: its write queue and its off switch.
#[derive(Debug)]
struct Link {
    writes: Sender<Outgoing>,
    abort: AbortHandle,
    websocket: bool,
}

/// Drives one machine. Dropping it closes every transport (WebSockets with their close
/// handshake, within `grace`).
pub(crate) struct Driver<M, R: Runtime> {
    pub(crate) machine: M,
    rt: R,
    tls: Arc<ClientConfig>,
    links: HashMap<TransportId, Link>,
    tx: Sender<Report>,
    rx: Receiver<Report>,
    /// Transports held back by a full report channel (see `link`).
    backlog: Arc<Backlog>,
    control: Arc<Control>,
    timer: Pin<Box<dyn AsyncTimer>>,
    grace: Duration,
    finished: bool,
}

impl<M, R: Runtime> std::fmt::Debug for Driver<M, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("links", &self.links.len())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// What woke the driver.
enum Wake {
    Input(Report),
    /// A command came, or a transport stopped being held back: look again.
    Asked,
    Deadline,
}

impl<M: Machine, R: Runtime> Driver<M, R> {
    /// A driver for `machine`; `grace` bounds a WebSocket's close handshake when the
    /// driver is dropped (the session bounds it otherwise).
    pub(crate) fn new(
        machine: M,
        rt: R,
        tls: Arc<ClientConfig>,
        control: Arc<Control>,
        grace: Duration,
    ) -> Self {
        let (tx, rx) = async_channel::bounded(REPORT_CAPACITY);
        let timer = rt.timer(rt.now());
        Driver {
            machine,
            rt,
            tls,
            links: HashMap::new(),
            tx,
            rx,
            backlog: Arc::new(Backlog::default()),
            control,
            timer,
            grace,
            finished: false,
        }
    }

    /// The next item; `Err` once with the fatal error that stopped the machine; `None`
    /// once it finished. Cancel-safe: an input taken is handed to the machine before
    /// anything else can happen.
    pub(crate) async fn next(&mut self) -> Option<Result<Item, Error>> {
        loop {
            if self.finished {
                return None;
            }
            match self.machine.poll_output() {
                Output::Item(item) => {
                    // What a handle shows changes with the items that tell of it.
                    self.publish_status();
                    return Some(Ok(item));
                }
                Output::Finished(result) => {
                    self.finished = true;
                    self.close_all();
                    self.control.end();
                    return result.err().map(Err);
                }
                Output::Connect { transport, target } => self.open(transport, target, None),
                Output::ConnectWebSocket {
                    transport,
                    target,
                    request,
                } => self.open(transport, target, Some(request)),
                Output::Transmit { transport, data } => {
                    self.send(transport, Outgoing::Bytes(data));
                }
                Output::SendText { transport, text } => {
                    self.send(transport, Outgoing::Text(text));
                }
                Output::Close { transport, how } => self.close(transport, how),
                Output::Wait { deadline } => {
                    self.publish_status();
                    let (input, at) = self.wait(deadline).await;
                    self.machine.handle_input(input, at);
                }
                other => tracing::warn!(?other, "an output this driver does not know"),
            }
        }
    }

    fn publish_status(&mut self) {
        if let Some(status) = self.machine.take_status() {
            self.control.publish(status);
        }
    }

    /// Waits for the next input: what a transport read (first: it happened before any
    /// deadline the driver could fire now), then the application's commands, then the
    /// deadline (unless a transport is held back: its input is older than the deadline).
    async fn wait(&mut self, deadline: Option<Instant>) -> (Input, Instant) {
        loop {
            // Listen before looking: a command, or a transport let go, after the checks
            // below wakes the wait at the end.
            let asked = self.control.listen();
            let released = self.backlog.listen();
            // Read before the channel: a transport lets go only once its last report is in
            // the channel, so one that let go after this read has its report seen below.
            let held = self.backlog.is_held();
            if let Ok(report) = self.rx.try_recv() {
                return report;
            }
            if let Some(command) = self.control.take_command() {
                return (Input::Command(command), self.rt.now());
            }
            let now = self.rt.now();
            if !held && deadline.is_some_and(|d| d <= now) {
                return (Input::Timeout, now);
            }
            let timed = match deadline {
                Some(at) if !held => {
                    self.timer.as_mut().reset(at);
                    true
                }
                _ => false,
            };
            let mut recv = std::pin::pin!(self.rx.recv());
            let (mut asked, mut released) = (std::pin::pin!(asked), std::pin::pin!(released));
            let timer = &mut self.timer;
            let wake = poll_fn(|cx| {
                if let Poll::Ready(Ok(report)) = recv.as_mut().poll(cx) {
                    return Poll::Ready(Wake::Input(report));
                }
                if asked.as_mut().poll(cx).is_ready() || released.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Asked);
                }
                if timed && timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Deadline);
                }
                Poll::Pending
            })
            .await;
            match wake {
                Wake::Input(report) => return report,
                Wake::Asked | Wake::Deadline => {}
            }
        }
    }

    fn open(&mut self, id: TransportId, target: Target, ws: Option<WsRequest>) {
        match &ws {
            // `WsRequest`'s Debug output redacts the token.
            Some(request) => {
                tracing::debug!(transport = %id, %target, url = %request.url, "opening WebSocket");
            }
            None => tracing::debug!(transport = %id, %target, "connecting"),
        }
        let (writes, queue) = async_channel::unbounded();
        let report = Reporter::new(self.tx.clone(), self.rt.clone(), id, self.backlog.clone());
        let tls = target.tls.then(|| self.tls.clone());
        let (abort, registration) = AbortHandle::new_pair();
        let rt = self.rt.clone();
        let websocket = ws.is_some();
        let task: crate::BoxFuture<()> = match ws {
            Some(request) => Box::pin(websocket::websocket(
                rt, target, tls, request, queue, report,
            )),
            None => Box::pin(link::plain(rt, target, tls, queue, report)),
        };
        self.rt.spawn(Box::pin(async move {
            let _ = Abortable::new(task, registration).await;
        }));
        self.links.insert(
            id,
            Link {
                writes,
                abort,
                websocket,
            },
        );
    }

    fn send(&self, id: TransportId, data: Outgoing) {
        if let Some(link) = self.links.get(&id) {
            // The queue is unbounded: it holds only what the session writes (a request, a
            // few subscriptions), never what the network sends.
            let _ = link.writes.try_send(data);
        }
    }

    fn close(&mut self, id: TransportId, how: Close) {
        match how {
            Close::Handshake { code } => {
                tracing::trace!(transport = %id, code, "closing WebSocket");
                self.send(id, Outgoing::Close(code));
            }
            _ => {
                if let Some(link) = self.links.remove(&id) {
                    tracing::trace!(transport = %id, "closing transport");
                    link.abort.abort();
                }
            }
        }
    }

    fn close_all(&mut self) {
        for (_, link) in self.links.drain() {
            link.abort.abort();
        }
    }
}

impl<M, R: Runtime> Drop for Driver<M, R> {
    /// Closes every transport. A WebSocket still sends its close frame, in its own task,
    /// which is stopped after the grace period.
    fn drop(&mut self) {
        for (_, link) in self.links.drain() {
            if link.websocket && link.writes.try_send(Outgoing::Close(1000)).is_ok() {
                let timer = self.rt.timer(self.rt.now() + self.grace);
                self.rt.spawn(Box::pin(async move {
                    let mut timer = timer;
                    poll_fn(|cx| timer.as_mut().poll(cx)).await;
                    link.abort.abort();
                }));
            } else {
                link.abort.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::task::Context;

    use futures_util::FutureExt;

    use super::*;
    use crate::runtime::BoxFuture;

    /// Just enough runtime: a clock. Its timers never fire and it runs no task, so only
    /// a deadline already past, seen when the driver looks, can end a wait.
    #[derive(Clone, Debug)]
    struct Rt;

    #[derive(Debug)]
    struct Never;

    impl AsyncTimer for Never {
        fn reset(self: Pin<&mut Self>, _: Instant) {}
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }

    impl Runtime for Rt {
        type Tcp = futures_util::io::Cursor<Vec<u8>>;
        fn connect(&self, _: String, _: u16) -> BoxFuture<io::Result<Self::Tcp>> {
            Box::pin(async { Err(io::ErrorKind::Unsupported.into()) })
        }
        fn timer(&self, _: Instant) -> Pin<Box<dyn AsyncTimer>> {
            Box::pin(Never)
        }
        fn spawn(&self, _: BoxFuture<()>) {}
        fn now(&self) -> Instant {
            Instant::now()
        }
    }

    /// A machine whose deadline has passed: it finishes once told so.
    struct Due {
        deadline: Instant,
        timed_out: bool,
    }

    impl Machine for Due {
        fn handle_input(&mut self, input: Input, _: Instant) {
            self.timed_out |= matches!(input, Input::Timeout);
        }
        fn poll_output(&mut self) -> Output {
            if self.timed_out {
                Output::Finished(Ok(()))
            } else {
                Output::Wait {
                    deadline: Some(self.deadline),
                }
            }
        }
        fn is_finished(&self) -> bool {
            self.timed_out
        }
    }

    #[test]
    fn a_transport_that_stops_being_held_back_lets_the_deadline_fire() {
        let machine = Due {
            deadline: Instant::now(),
            timed_out: false,
        };
        let tls = crate::tls::config(&[], false).unwrap();
        let control = Arc::new(Control::default());
        let mut driver = Driver::new(machine, Rt, tls, control, Duration::from_secs(1));
        // A transport is held back (the application was slow): no deadline fires.
        driver.backlog.hold();
        let backlog = driver.backlog.clone();
        let mut next = Box::pin(driver.next());
        assert!((&mut next).now_or_never().is_none(), "waiting while held");
        // The transport is closed (or drained): the driver must wake for its deadline,
        // though nothing else happens.
        backlog.release();
        let bound = async_io::Timer::after(Duration::from_secs(10)).map(drop);
        let ended = smol::block_on(futures_util::future::select(next, Box::pin(bound)));
        let ended = match ended {
            futures_util::future::Either::Left((end, _)) => end.is_none(),
            futures_util::future::Either::Right(_) => false,
        };
        assert!(ended, "the deadline fired once the transport let go");
    }
}
