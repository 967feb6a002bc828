//! The core loop: drives any [`Machine`] over tokio sockets. It holds no protocol logic:
//! it opens what the machine asks for (TCP, TLS, WebSocket upgrades), writes what it says,
//! feeds it what arrives, passes on the application's commands, and sleeps until the
//! machine's next deadline.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use mastostream_proto::Error;
use mastostream_proto::http::ResponseHead;
use mastostream_proto::session::{
    Item, Machine, OneShot, Output, Session, Target, TransportError, TransportId, WsRequest,
};

pub(crate) use crate::control::{Command, Control};
use crate::ws::CLOSE_GRACE;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

/// Bytes reserved for each read: the read buffer of an idle stream stays this small.
const READ_RESERVE: usize = 8 * 1024;
/// Below this much spare capacity, a new read buffer is reserved.
const READ_MIN_SPARE: usize = 1024;

/// The current time, from tokio's clock (so that a paused test clock applies).
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The inputs a machine takes besides [`Machine`]'s: WebSocket messages, frames and refused
/// upgrades, and the application's commands. Only a [`Session`] takes them.
pub(crate) trait Drive: Machine {
    /// Whether the machine takes [`Command`]s (they stay queued for one that does).
    const COMMANDS: bool = false;
    fn handle_ws_message(&mut self, _: TransportId, _: Bytes, _: Instant) {}
    fn handle_ws_frame(&mut self, _: TransportId, _: Instant) {}
    fn handle_ws_rejected(&mut self, _: TransportId, _: ResponseHead, _: Bytes, _: Instant) {}
    fn command(&mut self, _: Command, _: Instant) {}
}

impl Drive for OneShot {}

impl Drive for Session {
    const COMMANDS: bool = true;
    fn handle_ws_message(&mut self, t: TransportId, text: Bytes, now: Instant) {
        Session::handle_ws_message(self, t, text, now);
    }
    fn handle_ws_frame(&mut self, t: TransportId, now: Instant) {
        Session::handle_ws_frame(self, t, now);
    }
    fn handle_ws_rejected(
        &mut self,
        t: TransportId,
        head: ResponseHead,
        body: Bytes,
        now: Instant,
    ) {
        Session::handle_ws_rejected(self, t, head, body, now);
    }
    fn command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Subscribe(c) => self.subscribe(c, now),
            Command::Unsubscribe(c) => self.unsubscribe(&c, now),
        }
    }
}

/// What a transport task reports.
#[derive(Debug)]
pub(crate) enum Input {
    Connected,
    ConnectFailed(TransportError),
    Data(Bytes),
    /// A WebSocket text message.
    Message(Bytes),
    /// A WebSocket frame other than text (ping, pong, binary).
    Frame,
    /// The WebSocket upgrade was answered with this HTTP response.
    Rejected(ResponseHead, Bytes),
    Eof,
    Failed(TransportError),
}

/// What the driver asks a transport task to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Bytes, as they are.
    Bytes(Bytes),
    /// A WebSocket text message.
    Text(String),
    /// The end of a WebSocket: its close frame, then the task finishes.
    Close,
}

/// Where a transport task reports to.
pub(crate) type Report = mpsc::UnboundedSender<(TransportId, Input)>;

/// One transport's task and its write queue.
#[derive(Debug)]
struct Link {
    writes: mpsc::UnboundedSender<Outgoing>,
    task: JoinHandle<()>,
    /// A WebSocket: closed with a close frame rather than dropped.
    ws: bool,
    /// Connected (a WebSocket: upgraded).
    connected: bool,
}

impl Link {
    /// Closes the transport. An upgraded WebSocket sends its close frame first: returned is
    /// a task that ends once it has (or after [`CLOSE_GRACE`], cancelling it), to be awaited
    /// or left to finish. Any other transport is dropped at once.
    fn close(self) -> Option<JoinHandle<()>> {
        let runtime = tokio::runtime::Handle::try_current();
        let (Ok(runtime), true) = (runtime, self.ws && self.connected) else {
            self.task.abort();
            return None;
        };
        if self.writes.send(Outgoing::Close).is_err() {
            return None;
        }
        let mut task = self.task;
        Some(runtime.spawn(async move {
            if tokio::time::timeout(CLOSE_GRACE, &mut task).await.is_err() {
                task.abort();
            }
        }))
    }
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
    /// WebSockets sending their close frames.
    closing: Vec<JoinHandle<()>>,
    /// The machine's result, handed over once every WebSocket is closed.
    finished: Option<Result<(), Error>>,
}

impl<M: Drive> Driver<M> {
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
            closing: Vec::new(),
            finished: None,
        }
    }

    /// The next item or the final result; `None` once finished. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Option<Step> {
        loop {
            if self.finished.is_some() {
                // The close frames go out before the stream ends (a program that exits
                // right after would otherwise drop them with its runtime).
                while let Some(task) = self.closing.last_mut() {
                    let _ = task.await;
                    self.closing.pop();
                }
                return self.finished.take().map(Step::Finished);
            }
            while let Some(output) = self.machine.poll() {
                match output {
                    Output::Connect { transport, target } => self.connect(transport, target),
                    Output::ConnectWebSocket {
                        transport,
                        target,
                        request,
                    } => self.connect_ws(transport, target, request),
                    Output::Transmit { transport, data } => {
                        self.send(transport, Outgoing::Bytes(data))
                    }
                    Output::SendText { transport, text } => {
                        self.send(transport, Outgoing::Text(text))
                    }
                    Output::Close { transport } => {
                        if let Some(link) = self.links.remove(&transport) {
                            tracing::trace!(%transport, "closing transport");
                            self.closing.retain(|t| !t.is_finished());
                            self.closing.extend(link.close());
                        }
                    }
                    Output::Item(item) => return Some(Step::Item(item)),
                    Output::Finished(result) => {
                        self.close_all();
                        self.finished = Some(result);
                        break;
                    }
                }
            }
            if self.finished.is_some() {
                continue;
            }
            if self.machine.is_finished() {
                return None;
            }
            if !self.closed && self.control.is_closing() {
                self.closed = true;
                self.machine.close(now());
                continue;
            }
            if M::COMMANDS && !self.closed {
                let commands = self.control.take_commands();
                if !commands.is_empty() {
                    for command in commands {
                        tracing::debug!(?command, "command");
                        self.machine.command(command, now());
                    }
                    continue;
                }
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
            Input::Connected => {
                if let Some(link) = self.links.get_mut(&id) {
                    link.connected = true;
                }
                self.machine.handle_connected(id, now);
            }
            Input::ConnectFailed(e) => {
                tracing::debug!(transport = %id, error = %e.message, "connect failed");
                self.machine.handle_connect_failed(id, e, now);
            }
            Input::Data(data) => self.machine.handle_data(id, data, now),
            Input::Message(text) => self.machine.handle_ws_message(id, text, now),
            Input::Frame => self.machine.handle_ws_frame(id, now),
            Input::Rejected(head, body) => {
                tracing::debug!(transport = %id, status = head.status(), "upgrade refused");
                self.machine.handle_ws_rejected(id, head, body, now);
            }
            Input::Eof => self.machine.handle_eof(id, now),
            Input::Failed(e) => self.machine.handle_io_error(id, e, now),
        }
    }

    fn send(&self, id: TransportId, data: Outgoing) {
        if let Some(link) = self.links.get(&id) {
            let _ = link.writes.send(data);
        }
    }

    fn connect(&mut self, id: TransportId, target: Target) {
        tracing::debug!(transport = %id, %target, "connecting");
        let (writes, queue) = mpsc::unbounded_channel();
        let tls = target.tls.then(|| self.tls.clone());
        let task = tokio::spawn(transport(id, target, tls, queue, self.tx.clone()));
        self.links.insert(
            id,
            Link {
                writes,
                task,
                ws: false,
                connected: false,
            },
        );
    }

    fn connect_ws(&mut self, id: TransportId, target: Target, request: WsRequest) {
        // `WsRequest`'s Debug output redacts the token.
        tracing::debug!(transport = %id, %target, url = %request.url, "opening WebSocket");
        let (writes, queue) = mpsc::unbounded_channel();
        let tls = target.tls.then(|| self.tls.clone());
        let task = tokio::spawn(crate::ws::transport(
            id,
            target,
            tls,
            request,
            queue,
            self.tx.clone(),
        ));
        self.links.insert(
            id,
            Link {
                writes,
                task,
                ws: true,
                connected: false,
            },
        );
    }

    fn close_all(&mut self) {
        for (_, link) in self.links.drain() {
            self.closing.extend(link.close());
        }
    }
}

impl<M> Drop for Driver<M> {
    /// Closes every transport; upgraded WebSockets still send their close frames, in tasks
    /// of their own that end within [`CLOSE_GRACE`] (when dropped inside a runtime).
    fn drop(&mut self) {
        for (_, link) in self.links.drain() {
            let _ = link.close();
        }
    }
}

pub(crate) fn transport_error(e: &std::io::Error) -> TransportError {
    TransportError::new(e.kind(), e.to_string())
}

/// Opens a TCP connection (and TLS over it when asked).
pub(crate) async fn open(target: &Target, tls: Option<Arc<ClientConfig>>) -> std::io::Result<Io> {
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
pub(crate) enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// One transport's life: connect, then write what the machine sends and read until the
/// end, reporting everything to the driver. Aborted when the machine closes it.
async fn transport(
    id: TransportId,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    writes: mpsc::UnboundedReceiver<Outgoing>,
    report: Report,
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
    mut writes: mpsc::UnboundedReceiver<Outgoing>,
    report: &Report,
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
                Some(Outgoing::Bytes(data)) => {
                    if let Err(e) = async { wr.write_all(&data).await?; wr.flush().await }.await {
                        return Input::Failed(transport_error(&e));
                    }
                }
                // Text and close frames are for WebSockets only.
                Some(Outgoing::Text(_) | Outgoing::Close) => {}
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
