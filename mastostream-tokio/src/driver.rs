//! The core loop: drives any [`Machine`] over tokio sockets. It holds no protocol logic:
//! it opens what the machine asks for, writes what it says, feeds it what arrives, and
//! sleeps until the machine's next deadline.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{Bytes, BytesMut};
use mastostream_proto::Error;
use mastostream_proto::session::{Item, Machine, Output, Target, TransportError, TransportId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

/// Bytes reserved for each read: the read buffer of an idle stream stays this small.
const READ_RESERVE: usize = 8 * 1024;
/// Below this much spare capacity, a new read buffer is reserved.
const READ_MIN_SPARE: usize = 1024;

/// The current time, from tokio's clock (so that a paused test clock applies).
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
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
        self.notify.notify_one();
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

/// One transport's task and its write queue.
#[derive(Debug)]
struct Link {
    writes: mpsc::UnboundedSender<Bytes>,
    task: JoinHandle<()>,
}

/// What the driver hands its caller.
#[derive(Debug)]
pub(crate) enum Step {
    Item(Item),
    Finished(Result<(), Error>),
}

/// Drives one machine. Dropping it closes every transport.
#[derive(Debug)]
pub(crate) struct Driver<M> {
    pub(crate) machine: M,
    tls: Arc<ClientConfig>,
    links: HashMap<TransportId, Link>,
    tx: mpsc::UnboundedSender<(TransportId, Input)>,
    rx: mpsc::UnboundedReceiver<(TransportId, Input)>,
    control: Arc<Control>,
    closed: bool,
}

impl<M: Machine> Driver<M> {
    pub(crate) fn new(machine: M, tls: Arc<ClientConfig>, control: Arc<Control>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
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
                            let _ = link.writes.send(data);
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
                        if let Some(link) = self.links.remove(&transport) {
                            tracing::trace!(%transport, "closing transport");
                            link.task.abort();
                        }
                    }
                    Output::Item(item) => return Some(Step::Item(item)),
                    Output::Finished(result) => {
                        self.abort_all();
                        return Some(Step::Finished(result));
                    }
                }
            }
            if self.machine.is_finished() {
                return None;
            }
            if !self.closed && self.control.closing.load(Ordering::SeqCst) {
                self.closed = true;
                self.machine.close(now());
                continue;
            }
            let deadline = self.machine.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some((id, input)) = self.rx.recv() => self.feed(id, input),
                () = sleep => self.machine.handle_timeout(now()),
                () = self.control.notify.notified(), if !self.closed => {}
            }
        }
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
        let (writes, queue) = mpsc::unbounded_channel();
        let tls = target.tls.then(|| self.tls.clone());
        let task = tokio::spawn(transport(id, target, tls, queue, self.tx.clone()));
        self.links.insert(id, Link { writes, task });
    }

    fn abort_all(&mut self) {
        for (_, link) in self.links.drain() {
            link.task.abort();
        }
    }
}

impl<M> Drop for Driver<M> {
    fn drop(&mut self) {
        for (_, link) in self.links.drain() {
            link.task.abort();
        }
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
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// One transport's life: connect, then write what the machine sends and read until the
/// end, reporting everything to the driver. Aborted when the machine closes it.
async fn transport(
    id: TransportId,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    writes: mpsc::UnboundedReceiver<Bytes>,
    report: mpsc::UnboundedSender<(TransportId, Input)>,
) {
    let io = match open(&target, tls).await {
        Ok(io) => io,
        Err(e) => {
            let _ = report.send((id, Input::ConnectFailed(transport_error(&e))));
            return;
        }
    };
    if report.send((id, Input::Connected)).is_err() {
        return;
    }
    let end = match io {
        Io::Plain(s) => pump(s, writes, &report, id).await,
        Io::Tls(s) => pump(*s, writes, &report, id).await,
    };
    let _ = report.send((id, end));
}

/// Reads into a `BytesMut` and hands each read to the driver as `Bytes` (no copy); writes
/// what arrives on `writes`. Returns how the connection ended.
async fn pump<S: AsyncRead + AsyncWrite>(
    io: S,
    mut writes: mpsc::UnboundedReceiver<Bytes>,
    report: &mpsc::UnboundedSender<(TransportId, Input)>,
    id: TransportId,
) -> Input {
    let (mut rd, mut wr) = tokio::io::split(io);
    let mut buf = BytesMut::new();
    let mut writing = true;
    loop {
        if buf.capacity() - buf.len() < READ_MIN_SPARE {
            buf.reserve(READ_RESERVE);
        }
        tokio::select! {
            data = writes.recv(), if writing => match data {
                Some(data) => {
                    if let Err(e) = async { wr.write_all(&data).await?; wr.flush().await }.await {
                        return Input::Failed(transport_error(&e));
                    }
                }
                None => writing = false,
            },
            read = rd.read_buf(&mut buf) => match read {
                Ok(0) => return Input::Eof,
                Ok(_) => {
                    if report.send((id, Input::Data(buf.split().freeze()))).is_err() {
                        return Input::Eof;
                    }
                }
                Err(e) => return Input::Failed(transport_error(&e)),
            },
        }
    }
}
