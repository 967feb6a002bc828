//! One WebSocket connection's loop: what the client sends (handed to the dialect), what
//! the test publishes (delivered as the dialect says), heartbeats, plans and cuts.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use tungstenite::Message;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::{CloseFrame, Role, WebSocket};

use super::WsConnection;
use crate::auth::Grant;
use crate::dialect::{Action, Cx, Handshake, Initial, Speaks, Sub};
use crate::http::Conn;
use crate::plan::{Cut, Inject, StreamPlan};
use crate::publish::Cmd;
use crate::server::{Live, Shared};

/// How long a connection's thread waits for a client message before it looks at its
/// commands again.
const POLL: Duration = Duration::from_millis(3);

/// Serves an upgraded connection until it ends.
pub(super) fn run(
    shared: &Shared,
    conn: &mut Conn,
    id: u64,
    handshake: Handshake,
    plan: &StreamPlan,
) -> io::Result<()> {
    conn.tcp().set_read_timeout(Some(POLL))?;
    let (tx, rx) = mpsc::channel();
    let io = Io {
        conn,
        byte_at_a_time: plan.byte_at_a_time,
    };
    let mut c = Connection {
        shared,
        speaks: shared.opts.dialect.speaks(),
        id,
        ws: WebSocket::from_raw_socket(io, Role::Server, None),
        subs: Vec::new(),
        grant: handshake.grant,
        plan,
        tx: Some(tx),
        sent: 0,
        stalled: false,
    };
    let flow = match handshake.initial {
        Initial::None => Flow::Go,
        Initial::Subs(subs) => c.apply(subs.into_iter().map(Action::Subscribe).collect())?,
        Initial::Message(text) => {
            let actions = c.speaks.text(&c.cx(), &text);
            c.apply(actions)?
        }
    };
    match flow {
        Flow::Go => c.run(&rx),
        Flow::Stop => Ok(()),
    }
}

/// The connection's socket, optionally writing one byte per write.
struct Io<'a> {
    conn: &'a mut Conn,
    byte_at_a_time: bool,
}

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.conn.read(buf)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.byte_at_a_time && buf.len() > 1 {
            let n = self.conn.write(&buf[..1])?;
            self.conn.flush()?;
            return Ok(n);
        }
        self.conn.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.conn.flush()
    }
}

struct Connection<'a, 'c> {
    shared: &'a Shared,
    speaks: &'static dyn Speaks,
    id: u64,
    ws: WebSocket<Io<'c>>,
    subs: Vec<Sub>,
    /// What the connection's token may read.
    grant: Grant,
    plan: &'a StreamPlan,
    /// Joins the live set at the first subscription.
    tx: Option<mpsc::Sender<Cmd>>,
    /// Events sent (for the plan's cut).
    sent: usize,
    /// Cut by a stall: nothing more is sent.
    stalled: bool,
}

/// How a connection's loop goes on.
enum Flow {
    Go,
    Stop,
}

/// Whether a would-block read (the poll interval passed) is behind an error.
fn idle(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e)
        if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

fn to_io(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        e => io::Error::other(e.to_string()),
    }
}

impl Connection<'_, '_> {
    fn cx(&self) -> Cx<'_> {
        Cx {
            shared: self.shared,
            grant: &self.grant,
            subs: &self.subs,
        }
    }

    fn run(&mut self, rx: &Receiver<Cmd>) -> io::Result<()> {
        loop {
            // Everything the client sent, then every command.
            loop {
                let actions = match self.ws.read() {
                    Ok(Message::Text(text)) => {
                        self.log(|l| l.messages.push(text.as_str().to_owned()));
                        self.speaks.text(&self.cx(), text.as_str())
                    }
                    Ok(Message::Binary(bytes)) => self.speaks.binary(&self.cx(), &bytes),
                    Ok(Message::Pong(_)) => {
                        self.log(|l| l.pongs += 1);
                        continue;
                    }
                    Ok(Message::Close(frame)) => {
                        let code = frame.map(|f| u16::from(f.code));
                        self.log(|l| l.client_close = Some(code));
                        // tungstenite queued the reply; send it, as a server does.
                        let _ = self.ws.flush();
                        return Ok(());
                    }
                    Ok(_) => continue,
                    Err(e) if idle(&e) => break,
                    Err(_) => return Ok(()),
                };
                if let Flow::Stop = self.apply(actions)? {
                    return Ok(());
                }
            }
            // Disconnected: cut or restarted; the socket tells the rest.
            while let Ok(cmd) = rx.try_recv() {
                if let Flow::Stop = self.command(cmd)? {
                    return Ok(());
                }
            }
        }
    }

    fn send(&mut self, text: String) -> io::Result<()> {
        self.ws.send(Message::text(text)).map_err(to_io)
    }

    fn log(&self, f: impl FnOnce(&mut WsConnection)) {
        let mut st = self.shared.lock();
        if let Some(log) = st.ws.iter_mut().find(|w| w.conn == self.id) {
            f(log);
        }
        drop(st);
        self.shared.changed.notify_all();
    }

    fn log_subs(&self) {
        let subs = self.subs.iter().map(|s| s.name.clone()).collect();
        self.log(|l| l.subscriptions = subs);
    }

    fn apply(&mut self, actions: Vec<Action>) -> io::Result<Flow> {
        for action in actions {
            match action {
                Action::Subscribe(sub) => self.subscribe(sub)?,
                Action::Unsubscribe(name) => {
                    self.subs.retain(|s| s.name != name);
                    self.log_subs();
                }
                Action::UnsubscribeKind(kind) => {
                    self.subs.retain(|s| s.kind() != kind);
                    self.log_subs();
                }
                Action::Send(text) => self.send(text)?,
                Action::Authenticate(grant) => self.grant = grant,
                Action::Close(code) => {
                    let frame = CloseFrame {
                        code: CloseCode::from(code),
                        reason: "".into(),
                    };
                    let _ = self.ws.close(Some(frame));
                    self.await_close_reply();
                    return Ok(Flow::Stop);
                }
                Action::Drop => return Ok(Flow::Stop),
            }
        }
        Ok(Flow::Go)
    }

    fn subscribe(&mut self, sub: Sub) -> io::Result<()> {
        if !self.subs.contains(&sub) {
            self.subs.push(sub);
        }
        // Live before the subscription shows in the log: whoever waits for it and then
        // publishes must reach this connection.
        let first = self.tx.take().map(|tx| {
            let mut st = self.shared.lock();
            st.live.push(Live { conn: self.id, tx });
            st.streams_opened += 1;
        });
        self.log_subs();
        if first.is_some() {
            self.prelude()?;
        }
        Ok(())
    }

    /// The plan's injections, once live.
    fn prelude(&mut self) -> io::Result<()> {
        for inject in &self.plan.prelude {
            match inject {
                Inject::Body(bytes) => self.raw_message(bytes)?,
                Inject::Raw(bytes) => {
                    let io = self.ws.get_mut();
                    io.write_all(bytes)?;
                    io.flush()?;
                }
                Inject::EndlessLine(len) => {
                    let payload = "x".repeat(*len);
                    let stream = self
                        .subs
                        .first()
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    let text = crate::dialect::mastodon::message(&stream, "update", &payload);
                    self.send(text)?;
                }
            }
        }
        Ok(())
    }

    /// `bytes` as one text message (binary when not UTF-8).
    fn raw_message(&mut self, bytes: &[u8]) -> io::Result<()> {
        let message = match std::str::from_utf8(bytes) {
            Ok(text) => Message::text(text),
            Err(_) => Message::binary(bytes.to_vec()),
        };
        self.ws.send(message).map_err(to_io)
    }

    fn command(&mut self, cmd: Cmd) -> io::Result<Flow> {
        if self.stalled {
            return Ok(Flow::Go);
        }
        match cmd {
            Cmd::Event(wire) => {
                for text in self.speaks.deliver(&self.cx(), &wire) {
                    if let Flow::Stop = self.event(text)? {
                        return Ok(Flow::Stop);
                    }
                }
            }
            Cmd::Heartbeat => self.ws.send(self.speaks.heartbeat()).map_err(to_io)?,
            Cmd::Raw(bytes) => self.raw_message(&bytes)?,
            Cmd::Cut(cut) => return self.cut(cut, None),
        }
        Ok(Flow::Go)
    }

    fn event(&mut self, text: String) -> io::Result<Flow> {
        if let Some((after, cut)) = self.plan.cut
            && self.sent >= after
        {
            return self.cut(cut, Some(&text));
        }
        self.sent += 1;
        self.send(text)?;
        Ok(Flow::Go)
    }

    /// Cuts the connection; `next` is the message it was about to send.
    fn cut(&mut self, cut: Cut, next: Option<&str>) -> io::Result<Flow> {
        // Leave the live set before the peer can see the cut.
        self.shared.lock().live.retain(|l| l.conn != self.id);
        self.shared.changed.notify_all();
        match cut {
            Cut::Drop => Ok(Flow::Stop),
            Cut::DropMidEvent => {
                let mut frame = Vec::new();
                let text = next.unwrap_or(r#"{"stream":["user"],"event":"update"}"#);
                Frame::message(text.as_bytes().to_vec(), OpCode::Data(Data::Text), true)
                    .format(&mut frame)
                    .map_err(to_io)?;
                let io = self.ws.get_mut();
                io.write_all(&frame[..frame.len() / 2])?;
                io.flush()?;
                Ok(Flow::Stop)
            }
            Cut::Stall => {
                self.stalled = true;
                Ok(Flow::Go)
            }
            Cut::End => {
                let _ = self.ws.close(None);
                self.await_close_reply();
                Ok(Flow::Stop)
            }
        }
    }

    /// After our close frame: waits (briefly) for the client's, as a server does.
    fn await_close_reply(&mut self) {
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            match self.ws.read() {
                Err(e) if idle(&e) => {}
                Err(_) => break,
                Ok(Message::Close(frame)) => {
                    let code = frame.map(|f| u16::from(f.code));
                    self.log(|l| l.client_close = Some(code));
                }
                Ok(_) => {}
            }
        }
    }
}
