//! One transport's task: connect, write what the session says, read what arrives and
//! report it to the driver over a bounded channel, stamped with the time it was read.
//!
//! Backpressure: the channel to the driver holds a few inputs only. When the application
//! is slow to take items, the driver stops draining it, a transport's report waits, the
//! transport stops reading, and the kernel's socket buffers fill until the server's writes
//! block (TCP backpressure): memory stays bounded. While a transport is held back this way
//! it counts in a shared [`Backlog`], and the driver fires no deadline meanwhile (the
//! connection was not silent, the application was busy); once the transport has read
//! everything that waited, it reports [`Input::Drained`] and the session restarts its idle
//! timer from there. A transport that stops being held back (drained, or closed while
//! held) wakes the driver, whose deadline counts again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use event_listener::{Event, EventListener};

use async_channel::{Receiver, Sender, TrySendError};
use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use futures_util::future::{Either, select};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use mastostream_proto::session::{Input, Target, TransportError, TransportId};
use rustls::ClientConfig;

use crate::Runtime;
use crate::tls::{Io, open};

/// How many inputs may wait for the driver (per driver, all transports together).
pub(crate) const REPORT_CAPACITY: usize = 4;
/// Bytes reserved for each read: an idle stream's read buffer stays this small.
const READ_RESERVE: usize = 8 * 1024;

/// What the driver asks a transport task to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Bytes, as they are (an HTTP request).
    Bytes(Bytes),
    /// A WebSocket text message.
    Text(String),
    /// A WebSocket close handshake with this status code.
    Close(u16),
}

/// An input and the time it happened.
pub(crate) type Report = (Input, Instant);

/// How many transports are held back by a full report channel, and a wake-up for the
/// driver whenever one stops being held.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    held: AtomicUsize,
    released: Event,
}

impl Backlog {
    /// Whether any transport is held back now.
    pub(crate) fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst) > 0
    }

    /// A listener woken the next time a transport stops being held back.
    pub(crate) fn listen(&self) -> EventListener {
        self.released.listen()
    }

    pub(crate) fn hold(&self) {
        self.held.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn release(&self) {
        self.held.fetch_sub(1, Ordering::SeqCst);
        self.released.notify(usize::MAX);
    }
}

/// A transport's side of the channel to the driver, with backpressure accounting.
pub(crate) struct Reporter<R> {
    tx: Sender<Report>,
    rt: R,
    id: TransportId,
    backlog: Arc<Backlog>,
    /// Whether this transport is held back (counted in `backlog`).
    held: bool,
}

impl<R: Runtime> Reporter<R> {
    pub(crate) fn new(tx: Sender<Report>, rt: R, id: TransportId, backlog: Arc<Backlog>) -> Self {
        Reporter {
            tx,
            rt,
            id,
            backlog,
            held: false,
        }
    }

    pub(crate) fn id(&self) -> TransportId {
        self.id
    }

    /// Whether this transport is held back by a full channel.
    pub(crate) fn is_held(&self) -> bool {
        self.held
    }

    /// Reports `input`, stamped now (the time it was read). Waits while the channel is
    /// full, counting as held back. `false` once the driver is gone.
    pub(crate) async fn send(&mut self, input: Input) -> bool {
        let at = self.rt.now();
        match self.tx.try_send((input, at)) {
            Ok(()) => true,
            Err(TrySendError::Full(report)) => {
                if !self.held {
                    self.held = true;
                    self.backlog.hold();
                }
                self.tx.send(report).await.is_ok()
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// The transport has read everything that waited while it was held back: says so,
    /// and stops counting as held. `false` once the driver is gone.
    pub(crate) async fn drained(&mut self) -> bool {
        if !self.held {
            return true;
        }
        let ok = self.send(Input::Drained(self.id)).await;
        self.release();
        ok
    }

    fn release(&mut self) {
        if std::mem::take(&mut self.held) {
            self.backlog.release();
        }
    }
}

impl<R> Drop for Reporter<R> {
    /// A transport closed while held back (the session gave up on it) lets go too.
    fn drop(&mut self) {
        if self.held {
            self.backlog.release();
        }
    }
}

pub(crate) fn transport_error(e: &std::io::Error) -> TransportError {
    TransportError::new(e.kind(), e.to_string())
}

/// A plain (HTTP) transport's life: connect, then write what the session sends and read
/// until the end, reporting everything. Dropped (cancelled) when the session closes it.
pub(crate) async fn plain<R: Runtime>(
    rt: R,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    writes: Receiver<Outgoing>,
    mut report: Reporter<R>,
) {
    let id = report.id();
    let io = match open(&rt, &target, tls).await {
        Ok(io) => io,
        Err(e) => {
            report
                .send(Input::ConnectFailed(id, transport_error(&e)))
                .await;
            return;
        }
    };
    if !report.send(Input::Connected(id)).await {
        return;
    }
    let end = pump(io, writes, &mut report).await;
    if let Some(end) = end {
        report.send(end).await;
    }
}

/// Reads into a `BytesMut` and hands each read over as `Bytes` (no copy); writes what
/// arrives on `writes`. Returns how the connection ended (`None`: the driver is gone).
async fn pump<R: Runtime, T>(
    mut io: Io<T>,
    writes: Receiver<Outgoing>,
    report: &mut Reporter<R>,
) -> Option<Input>
where
    Io<T>: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let id = report.id();
    let mut buf = BytesMut::new();
    let mut writing = true;
    loop {
        if buf.capacity() < READ_RESERVE / 8 {
            buf.reserve(READ_RESERVE);
        }
        // futures-io reads into initialised memory: zero the spare capacity (at most
        // `READ_RESERVE` bytes).
        buf.resize(buf.capacity(), 0);
        if report.is_held() {
            // Held back until now: read what is already there before saying so.
            if let Some(read) = io.read(&mut buf).now_or_never() {
                match on_read(read, &mut buf, report).await {
                    Some(end) => return end,
                    None => continue,
                }
            }
            if !report.drained().await {
                return None;
            }
        }
        let open = writing;
        let write = async {
            if open {
                writes.recv().await.ok()
            } else {
                std::future::pending().await
            }
        };
        let read = io.read(&mut buf);
        match select(std::pin::pin!(write), read).await {
            Either::Left((out, _)) => {
                buf.clear();
                match out {
                    Some(Outgoing::Bytes(data)) => {
                        let written = async {
                            io.write_all(&data).await?;
                            io.flush().await
                        };
                        if let Err(e) = written.await {
                            return Some(Input::Failed(id, transport_error(&e)));
                        }
                    }
                    // Text and close frames are for WebSockets only.
                    Some(Outgoing::Text(_) | Outgoing::Close(_)) => {}
                    None => writing = false,
                }
            }
            Either::Right((read, _)) => {
                if let Some(end) = on_read(read, &mut buf, report).await {
                    return end;
                }
            }
        }
    }
}

/// Reports one read. `Some(end)` when the connection is over (`Some(None)`: the driver is
/// gone).
async fn on_read<R: Runtime>(
    read: std::io::Result<usize>,
    buf: &mut BytesMut,
    report: &mut Reporter<R>,
) -> Option<Option<Input>> {
    let id = report.id();
    match read {
        Ok(0) => Some(Some(Input::Eof(id))),
        Ok(n) => {
            buf.truncate(n);
            let data = buf.split().freeze();
            if report.send(Input::Data(id, data)).await {
                None
            } else {
                Some(None)
            }
        }
        Err(e) => Some(Some(Input::Failed(id, transport_error(&e)))),
    }
}
