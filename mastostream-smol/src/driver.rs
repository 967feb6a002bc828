//! The core loop: drives any [`Machine`] over smol sockets. It holds no protocol logic:
//! it opens what the machine asks for (TCP, TLS, WebSocket upgrades), writes what it says,
//! feeds it what arrives, passes on the application's commands, and sleeps until the
//! machine's next deadline.
//!
//! Each transport runs as a task on smol's global executor (connect, then read and write),
//! reporting to the driver over a channel; the driver itself runs wherever it is polled
//! (any executor, or `block_on` on a thread of its own).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_channel::{Receiver, Sender};
use async_io::Timer;
use async_net::TcpStream;
use bytes::{Bytes, BytesMut};
use futures_lite::future;
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures_rustls::TlsConnector;
use futures_rustls::rustls::ClientConfig;
use futures_rustls::rustls::pki_types::ServerName;
use mastostream_proto::Error;
use mastostream_proto::http::ResponseHead;
use mastostream_proto::session::{
    Item, Machine, OneShot, Output, Session, Target, TransportError, TransportId, WsRequest,
};
use smol::Task;

pub(crate) use crate::control::{Command, Control};
use crate::ws::CLOSE_GRACE;

/// Bytes reserved for each read: the read buffer of an idle stream stays this small.
const READ_RESERVE: usize = 8 * 1024;
/// Below this much spare capacity, a new read buffer is reserved.
const READ_MIN_SPARE: usize = 1024;

/// The current time. smol has no virtual clock: this is the system's monotonic clock.
pub(crate) fn now() -> Instant {
    Instant::now()
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
pub(crate) type Report = Sender<(TransportId, Input)>;

/// One transport's task and its write queue. Dropping it cancels the task, which closes
/// the socket.
#[derive(Debug)]
struct Link {
    writes: Sender<Outgoing>,
    task: Task<()>,
    /// A WebSocket: closed with a close frame rather than dropped.
    ws: bool,
    /// Connected (a WebSocket: upgraded).
    connected: bool,
}

impl Link {
    /// Closes the transport. An upgraded WebSocket sends its close frame first: returned is
    /// a task that ends once it has (or after [`CLOSE_GRACE`], cancelling it), to be awaited
    /// or detached. Any other transport is dropped (its task cancelled) at once.
    fn close(self) -> Option<Task<()>> {
        if !(self.ws && self.connected) || self.writes.try_send(Outgoing::Close).is_err() {
            return None;
        }
        let task = self.task;
        Some(smol::spawn(async move {
            let closed = async {
                task.await;
            };
            let grace = async {
                Timer::after(CLOSE_GRACE).await;
            };
            // Dropping an unfinished task cancels it.
            future::or(closed, grace).await;
        }))
    }
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
    Control,
}

/// Drives one machine. Dropping it closes every transport.
#[derive(Debug)]
pub(crate) struct Driver<M> {
    pub(crate) machine: M,
    tls: Arc<ClientConfig>,
    links: HashMap<TransportId, Link>,
    tx: Report,
    rx: Receiver<(TransportId, Input)>,
    control: Arc<Control>,
    closed: bool,
    /// WebSockets sending their close frames.
    closing: Vec<Task<()>>,
    /// The machine's result, handed over once every WebSocket is closed.
    finished: Option<Result<(), Error>>,
}

impl<M: Drive> Driver<M> {
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
            closing: Vec::new(),
            finished: None,
        }
    }

    /// The next item or the final result; `None` once finished. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Option<Step> {
        loop {
            if self.finished.is_some() {
                // The close frames go out before the stream ends (a program that exits
                // right after would otherwise drop them).
                while let Some(task) = self.closing.last_mut() {
                    task.await;
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
                        self.send(transport, Outgoing::Bytes(data));
                    }
                    Output::SendText { transport, text } => {
                        self.send(transport, Outgoing::Text(text));
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
                Wake::Control => {}
            }
        }
    }

    /// Sleeps until a transport reports, the machine's deadline passes, or the application
    /// asks something (a close, a command).
    async fn wait(&self) -> Wake {
        let control = (!self.closed).then(|| self.control.listen());
        if control.is_some()
            && (self.control.is_closing() || (M::COMMANDS && self.control.has_commands()))
        {
            // Asked between the checks in `next` and the listener's registration.
            return Wake::Control;
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
        let asked = async {
            match control {
                Some(listener) => {
                    listener.await;
                    Wake::Control
                }
                None => future::pending().await,
            }
        };
        future::or(input, future::or(timer, asked)).await
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
            let _ = link.writes.try_send(data);
        }
    }

    fn connect(&mut self, id: TransportId, target: Target) {
        tracing::debug!(transport = %id, %target, "connecting");
        let (writes, queue) = async_channel::unbounded();
        let tls = target.tls.then(|| self.tls.clone());
        let task = smol::spawn(transport(id, target, tls, queue, self.tx.clone()));
        let (ws, connected) = (false, false);
        let link = Link {
            writes,
            task,
            ws,
            connected,
        };
        self.links.insert(id, link);
    }

    fn connect_ws(&mut self, id: TransportId, target: Target, request: WsRequest) {
        // `WsRequest`'s Debug output redacts the token.
        tracing::debug!(transport = %id, %target, url = %request.url, "opening WebSocket");
        let (writes, queue) = async_channel::unbounded();
        let tls = target.tls.then(|| self.tls.clone());
        let report = self.tx.clone();
        let task = smol::spawn(crate::ws::transport(
            id, target, tls, request, queue, report,
        ));
        let (ws, connected) = (true, false);
        let link = Link {
            writes,
            task,
            ws,
            connected,
        };
        self.links.insert(id, link);
    }

    fn close_all(&mut self) {
        for (_, link) in self.links.drain() {
            self.closing.extend(link.close());
        }
    }
}

impl<M> Drop for Driver<M> {
    /// Closes every transport; upgraded WebSockets still send their close frames, in
    /// detached tasks that end within [`CLOSE_GRACE`].
    fn drop(&mut self) {
        for (_, link) in self.links.drain() {
            if let Some(task) = link.close() {
                task.detach();
            }
        }
        for task in self.closing.drain(..) {
            task.detach();
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
    Tls(Box<futures_rustls::client::TlsStream<TcpStream>>),
}

/// One transport's life: connect, then write what the machine sends and read until the
/// end, reporting everything to the driver. Cancelled when the machine closes it.
async fn transport(
    id: TransportId,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    writes: Receiver<Outgoing>,
    report: Report,
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
    writes: Receiver<Outgoing>,
    report: &Report,
    id: TransportId,
) -> Input {
    /// Which side went first.
    enum Turn {
        Write(Option<Outgoing>),
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
            // Text and close frames are for WebSockets only.
            Turn::Write(Some(Outgoing::Text(_) | Outgoing::Close)) => buf.clear(),
            Turn::Write(Some(Outgoing::Bytes(data))) => {
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
