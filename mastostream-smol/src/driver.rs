//! The core loop: drives any [`Machine`] over smol sockets. It holds no protocol logic:
//! it opens what the machine asks for, writes what it says, feeds it what arrives, and
//! sleeps until the machine's next deadline.
//!
//! Each transport runs as a task on smol's global executor (connect, then read and write),
//! reporting to the driver over a channel; the driver itself runs wherever it is polled
//! (any executor, or `block_on` on a thread of its own).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_channel::{Receiver, Sender};
use async_io::Timer;
use async_net::TcpStream;
use bytes::{Bytes, BytesMut};
use event_listener::Event as Notify;
use futures_lite::future;
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures_rustls::TlsConnector;
use futures_rustls::rustls::ClientConfig;
use futures_rustls::rustls::pki_types::ServerName;
use mastostream_proto::Error;
use mastostream_proto::session::{Item, Machine, Output, Target, TransportError, TransportId};
use smol::Task;

/// Bytes reserved for each read: the read buffer of an idle stream stays this small.
const READ_RESERVE: usize = 8 * 1024;
/// Below this much spare capacity, a new read buffer is reserved.
const READ_MIN_SPARE: usize = 1024;

/// The current time. smol has no virtual clock: this is the system's monotonic clock.
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// Shared between a running stream and whoever watches or closes it.
#[derive(Debug, Default)]
pub(crate) struct Control {
    closing: AtomicBool,
    notify: Notify,
    receiving: AtomicBool,
}

impl Control {
    /// Asks the driver to close the machine (a clean finish).
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.notify.notify(usize::MAX);
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    pub(crate) fn is_receiving(&self) -> bool {
        self.receiving.load(Ordering::SeqCst)
    }

    pub(crate) fn set_receiving(&self, on: bool) {
        self.receiving.store(on, Ordering::SeqCst);
    }
}

/// What a transport task reports.
#[derive(Debug)]
enum Input {
    Connected,
    ConnectFailed(TransportError),
    Data(Bytes),
    Eof,
    Failed(TransportError),
}

/// One transport's task and its write queue. Dropping it cancels the task, which closes
/// the socket.
#[derive(Debug)]
struct Link {
    writes: Sender<Bytes>,
    #[allow(dead_code)] // held for its drop: cancels the task
    task: Task<()>,
}

/// What the driver hands its caller.
#[derive(Debug)]
pub(crate) enum Step {
    Item(Item),
    Finished(Result<(), Error>),
}

/// What woke the driver.
enum Wake {
    Input(TransportId, Input),
    Timeout,
    Close,
}

/// Drives one machine. Dropping it closes every transport.
#[derive(Debug)]
pub(crate) struct Driver<M> {
    pub(crate) machine: M,
    tls: Arc<ClientConfig>,
    links: HashMap<TransportId, Link>,
    tx: Sender<(TransportId, Input)>,
    rx: Receiver<(TransportId, Input)>,
    control: Arc<Control>,
    closed: bool,
}

impl<M: Machine> Driver<M> {
    pub(crate) fn new(machine: M, tls: Arc<ClientConfig>, control: Arc<Control>) -> Self {
        let (tx, rx) = async_channel::unbounded();
        Driver {
            machine,
            tls,
            links: HashMap::new(),
            tx,
            rx,
            control,
            closed: false,
        }
    }

    /// The next item or the final result; `None` once finished. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Option<Step> {
        loop {
            while let Some(output) = self.machine.poll() {
                match output {
                    Output::Connect { transport, target } => self.connect(transport, target),
                    Output::Transmit { transport, data } => {
                        if let Some(link) = self.links.get(&transport) {
                            let _ = link.writes.try_send(data);
                        }
                    }
                    // This driver serves SSE and REST machines only; a WebSocket machine
                    // needs the WebSocket driver.
                    Output::ConnectWebSocket { transport, .. } => {
                        self.machine.handle_connect_failed(
                            transport,
                            TransportError::new(
                                std::io::ErrorKind::Unsupported,
                                "this driver does not open WebSockets",
                            ),
                            now(),
                        );
                    }
                    Output::SendText { .. } => {}
                    Output::Close { transport } => {
                        if self.links.remove(&transport).is_some() {
                            tracing::trace!(%transport, "closing transport");
                        }
                    }
                    Output::Item(item) => return Some(Step::Item(item)),
                    Output::Finished(result) => {
                        self.links.clear();
                        return Some(Step::Finished(result));
                    }
                }
            }
            if self.machine.is_finished() {
                return None;
            }
            if !self.closed && self.control.is_closing() {
                self.closed = true;
                self.machine.close(now());
                continue;
            }
            match self.wait().await {
                Wake::Input(id, input) => {
                    self.feed(id, input);
                    // Inputs win races with the timer; a deadline that passed meanwhile
                    // still fires now, so a busy transport cannot starve the timers.
                    if self.machine.poll_timeout().is_some_and(|at| at <= now()) {
                        self.machine.handle_timeout(now());
                    }
                }
                Wake::Timeout => self.machine.handle_timeout(now()),
                Wake::Close => {}
            }
        }
    }

    /// Sleeps until a transport reports, the machine's deadline passes, or a close is asked.
    async fn wait(&self) -> Wake {
        let closing = (!self.closed).then(|| self.control.notify.listen());
        if closing.is_some() && self.control.is_closing() {
            // Asked between the check in `next` and the listener's registration.
            return Wake::Close;
        }
        let deadline = self.machine.poll_timeout();
        let input = async {
            match self.rx.recv().await {
                Ok((id, input)) => Wake::Input(id, input),
                // Unreachable while `self.tx` lives; never wake for it.
                Err(_) => future::pending().await,
            }
        };
        let timer = async {
            match deadline {
                Some(at) => {
                    Timer::at(at).await;
                    Wake::Timeout
                }
                None => future::pending().await,
            }
        };
        let close = async {
            match closing {
                Some(listener) => {
                    listener.await;
                    Wake::Close
                }
                None => future::pending().await,
            }
        };
        future::or(input, future::or(timer, close)).await
    }

    fn feed(&mut self, id: TransportId, input: Input) {
        let now = now();
        match input {
            Input::Connected => self.machine.handle_connected(id, now),
            Input::ConnectFailed(e) => {
                tracing::debug!(transport = %id, error = %e.message, "connect failed");
                self.machine.handle_connect_failed(id, e, now);
            }
            Input::Data(data) => self.machine.handle_data(id, data, now),
            Input::Eof => self.machine.handle_eof(id, now),
            Input::Failed(e) => self.machine.handle_io_error(id, e, now),
        }
    }

    fn connect(&mut self, id: TransportId, target: Target) {
        tracing::debug!(transport = %id, %target, "connecting");
        let (writes, queue) = async_channel::unbounded();
        let tls = target.tls.then(|| self.tls.clone());
        let task = smol::spawn(transport(id, target, tls, queue, self.tx.clone()));
        self.links.insert(id, Link { writes, task });
    }
}

fn transport_error(e: &std::io::Error) -> TransportError {
    TransportError::new(e.kind(), e.to_string())
}

/// Opens a TCP connection (and TLS over it when asked).
async fn open(target: &Target, tls: Option<Arc<ClientConfig>>) -> std::io::Result<Io> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
    tcp.set_nodelay(true)?;
    let Some(config) = tls else {
        return Ok(Io::Plain(tcp));
    };
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let stream = TlsConnector::from(config).connect(name, tcp).await?;
    Ok(Io::Tls(Box::new(stream)))
}

/// A connection: plain TCP, or TLS over it.
enum Io {
    Plain(TcpStream),
    Tls(Box<futures_rustls::client::TlsStream<TcpStream>>),
}

/// One transport's life: connect, then write what the machine sends and read until the
/// end, reporting everything to the driver. Cancelled when the machine closes it.
async fn transport(
    id: TransportId,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    writes: Receiver<Bytes>,
    report: Sender<(TransportId, Input)>,
) {
    let io = match open(&target, tls).await {
        Ok(io) => io,
        Err(e) => {
            let _ = report.try_send((id, Input::ConnectFailed(transport_error(&e))));
            return;
        }
    };
    if report.try_send((id, Input::Connected)).is_err() {
        return;
    }
    let end = match io {
        Io::Plain(s) => pump(s, writes, &report, id).await,
        Io::Tls(s) => pump(*s, writes, &report, id).await,
    };
    let _ = report.try_send((id, end));
}

/// Reads into a `BytesMut` and hands each read to the driver as `Bytes` (no copy); writes
/// what arrives on `writes`. Returns how the connection ended.
async fn pump<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    writes: Receiver<Bytes>,
    report: &Sender<(TransportId, Input)>,
    id: TransportId,
) -> Input {
    /// Which side went first.
    enum Turn {
        Write(Option<Bytes>),
        Read(std::io::Result<usize>),
    }
    let mut buf = BytesMut::new();
    let mut writing = true;
    loop {
        if buf.capacity() < READ_MIN_SPARE {
            buf.reserve(READ_RESERVE);
        }
        // futures' `AsyncRead` fills initialised memory: zero the spare capacity (at most
        // `READ_RESERVE` bytes) and read into it.
        buf.resize(buf.capacity(), 0);
        let write = async {
            if writing {
                Turn::Write(writes.recv().await.ok())
            } else {
                future::pending().await
            }
        };
        let read = async { Turn::Read(io.read(&mut buf).await) };
        match future::or(write, read).await {
            Turn::Write(Some(data)) => {
                buf.clear();
                if let Err(e) = async {
                    io.write_all(&data).await?;
                    io.flush().await
                }
                .await
                {
                    return Input::Failed(transport_error(&e));
                }
            }
            Turn::Write(None) => {
                buf.clear();
                writing = false;
            }
            Turn::Read(Ok(0)) => return Input::Eof,
            Turn::Read(Ok(n)) => {
                buf.truncate(n);
                if report
                    .try_send((id, Input::Data(buf.split().freeze())))
                    .is_err()
                {
                    return Input::Eof;
                }
            }
            Turn::Read(Err(e)) => return Input::Failed(transport_error(&e)),
        }
    }
}
