//! The fake server's WebSocket endpoint, `GET /api/v1/streaming` with `Upgrade: websocket`,
//! speaking Mastodon's multiplexed protocol over a sync `tungstenite` WebSocket (one thread
//! a connection, as for SSE).
//!
//! - The client subscribes with `{"type":"subscribe","stream":"hashtag","tag":"rust"}` (or
//!   `?stream=...` on the upgrade URL) and unsubscribes alike. Every client message is
//!   recorded per connection ([`WsConnection`]).
//! - Refusals are Mastodon's messages with no stream: `{"error":"Missing tag name
//!   parameter","status":400}`, `{"error":"Not authorized to stream this list","status":401}`
//!   (for lists named by [`FakeServer::forbid_list`](super::FakeServer::forbid_list)),
//!   `{"error":"Unknown stream type","status":400}`, and `{"error":"Access token does not
//!   have the required scopes","status":401}` for a token without the stream's scope.
//! - Events are `{"stream":[...],"event":NAME,"payload":"<text>"}`: the payload is the SSE
//!   `data` as a JSON string, so JSON entities are encoded twice while `delete` ids and
//!   `notifications_merged`'s `1` are bare. A published event goes to every subscription
//!   whose stream it reaches (see [`route`](crate::route)), once per subscription, tagged
//!   with that subscription's stream.
//! - A heartbeat is a ping frame; a rejected upgrade is an HTTP error (`401` with
//!   `X-Error-Message` and an empty body, as Mastodon answers a bad token).
//!
//! A connection counts as opened and live from its first accepted subscription: from then
//! on it can receive what is published.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::{Role, WebSocket};
use tungstenite::{Message, handshake::derive_accept_key};

use super::http::{Conn, RecordedRequest, json_string};
use crate::auth::{Grant, MISSING_SCOPE};
use crate::plan::{Cut, Inject, StreamPlan};
use crate::publish::{Cmd, Wire};
use crate::route;
use crate::server::{Live, Shared};

/// How long a connection's thread waits for a client message before it looks at its
/// commands again.
const POLL: Duration = Duration::from_millis(3);

/// What the fake server saw of one WebSocket connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WsConnection {
    /// The connection's number (in accept order, shared with HTTP connections).
    pub conn: u64,
    /// Every text message the client sent, in order, exactly as sent.
    pub messages: Vec<String>,
    /// The streams subscribed now (or when the connection ended), in subscription order,
    /// as the server names them in events (`["hashtag", "rust"]`).
    pub subscriptions: Vec<Vec<String>>,
    /// Whether the connection is still open.
    pub open: bool,
    /// The close frame the client sent, if it sent one: its status code (`None` when the
    /// frame carried none). A client that closes cleanly sends one before dropping the
    /// connection; one that just drops the socket does not.
    pub client_close: Option<Option<u16>>,
}

/// Whether a request asks for the WebSocket endpoint.
pub(super) fn is_upgrade(req: &RecordedRequest) -> bool {
    req.path.trim_end_matches('/') == "/api/v1/streaming"
        && req
            .header("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// The token a WebSocket client sent in `Sec-WebSocket-Protocol` (Mastodon accepts it
/// there, as browsers cannot set `Authorization`).
pub(super) fn protocol_token(req: &RecordedRequest) -> Option<&str> {
    req.header("sec-websocket-protocol")
        .and_then(|p| p.split(',').next())
        .map(str::trim)
}

/// `401` as Mastodon's streaming server refuses an upgrade: the message in
/// `X-Error-Message`, no body.
pub(super) fn refusal(status: u16, reason: &str, message: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\
         Content-Length: 0\r\nX-Error-Message: {message}\r\n\r\n"
    )
    .into_bytes()
}

/// Completes the upgrade and serves the connection until it ends.
pub(super) fn serve(
    shared: &Shared,
    conn: &mut Conn,
    req: &RecordedRequest,
    id: u64,
    grant: &Grant,
    plan: &StreamPlan,
) -> io::Result<()> {
    let Some(key) = req.header("sec-websocket-key") else {
        let bad = super::Reply::error(400, "Bad Request", "Missing Sec-WebSocket-Key");
        conn.write_all(&bad.encode())?;
        return conn.flush();
    };
    let mut head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        derive_accept_key(key.as_bytes())
    );
    if let Some(p) = protocol_token(req) {
        head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())?;
    conn.flush()?;
    conn.tcp().set_read_timeout(Some(POLL))?;
    let (tx, rx) = mpsc::channel();
    shared.lock().ws.push(WsConnection {
        conn: id,
        open: true,
        ..WsConnection::default()
    });
    shared.changed.notify_all();
    let io = Io {
        conn,
        byte_at_a_time: plan.byte_at_a_time,
    };
    let mut c = Connection {
        shared,
        id,
        ws: WebSocket::from_raw_socket(io, Role::Server, None),
        subs: Vec::new(),
        grant,
        plan,
        tx: Some(tx),
        sent: 0,
        stalled: false,
    };
    if let Some(name) = req.param("stream") {
        let text = subscribe_text(name, req.param("tag"), req.param("list"));
        c.subscribe(&text)?;
    }
    let result = c.run(&rx);
    let mut st = shared.lock();
    if let Some(log) = st.ws.iter_mut().find(|w| w.conn == id) {
        log.open = false;
    }
    drop(st);
    shared.changed.notify_all();
    result
}

fn subscribe_text(name: &str, tag: Option<&str>, list: Option<&str>) -> String {
    let mut text = format!(r#"{{"type":"subscribe","stream":{}"#, json_string(name));
    for (k, v) in [("tag", tag), ("list", list)] {
        if let Some(v) = v {
            text.push_str(&format!(",{}:{}", json_string(k), json_string(v)));
        }
    }
    text.push('}');
    text
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
    id: u64,
    ws: WebSocket<Io<'c>>,
    subs: Vec<Vec<String>>,
    /// What the connection's token may read.
    grant: &'a Grant,
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
    fn run(&mut self, rx: &Receiver<Cmd>) -> io::Result<()> {
        loop {
            // Everything the client sent, then every command.
            loop {
                match self.ws.read() {
                    Ok(Message::Text(text)) => {
                        if let Flow::Stop = self.client_message(text.as_str())? {
                            return Ok(());
                        }
                    }
                    Ok(Message::Close(frame)) => {
                        let code = frame.map(|f| u16::from(f.code));
                        self.log(|l| l.client_close = Some(code));
                        // tungstenite queued the reply; send it, as a server does.
                        let _ = self.ws.flush();
                        return Ok(());
                    }
                    Ok(_) => {}
                    Err(e) if idle(&e) => break,
                    Err(_) => return Ok(()),
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

    fn client_message(&mut self, text: &str) -> io::Result<Flow> {
        self.log(|l| l.messages.push(text.to_owned()));
        let Ok(serde_json::Value::Object(m)) = serde_json::from_str(text) else {
            self.send(r#"{"error":"Error parsing JSON","status":400}"#.to_owned())?;
            return Ok(Flow::Go);
        };
        match m.get("type").and_then(|t| t.as_str()) {
            Some("subscribe") => self.subscribe(text)?,
            Some("unsubscribe") => {
                if let Ok(stream) = stream_of(&m, &[]) {
                    self.subs.retain(|s| *s != stream);
                    let subs = self.subs.clone();
                    self.log(|l| l.subscriptions = subs);
                }
            }
            _ => {}
        }
        Ok(Flow::Go)
    }

    fn subscribe(&mut self, text: &str) -> io::Result<()> {
        let Ok(serde_json::Value::Object(m)) = serde_json::from_str(text) else {
            return Ok(());
        };
        let forbidden = self.shared.lock().forbidden_lists.clone();
        let stream = stream_of(&m, &forbidden).and_then(|s| {
            if self.grant.allows(route::stream_scope(&s)) {
                Ok(s)
            } else {
                Err((401, MISSING_SCOPE))
            }
        });
        match stream {
            Err((status, error)) => self.send(format!(
                r#"{{"error":{},"status":{status}}}"#,
                json_string(error)
            )),
            Ok(stream) => {
                if !self.subs.contains(&stream) {
                    self.subs.push(stream);
                }
                // Live before the subscription shows in the log: whoever waits for it
                // and then publishes must reach this connection.
                let first = self.tx.take().map(|tx| {
                    let mut st = self.shared.lock();
                    st.live.push(Live { conn: self.id, tx });
                    st.streams_opened += 1;
                });
                let subs = self.subs.clone();
                self.log(|l| l.subscriptions = subs);
                if first.is_some() {
                    self.prelude()?;
                }
                Ok(())
            }
        }
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
                    let stream = self.subs.first().cloned().unwrap_or_default();
                    let text = message(&stream, "update", &payload);
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
                let streams: Vec<Vec<String>> = self
                    .subs
                    .iter()
                    .filter(|s| wire.route.reaches(s, &wire.name, false))
                    .cloned()
                    .collect();
                for stream in streams {
                    if let Flow::Stop = self.event(&stream, &wire)? {
                        return Ok(Flow::Stop);
                    }
                }
            }
            Cmd::Heartbeat => self
                .ws
                .send(Message::Ping(Default::default()))
                .map_err(to_io)?,
            Cmd::Raw(bytes) => self.raw_message(&bytes)?,
            Cmd::Cut(cut) => return self.cut(cut, None),
        }
        Ok(Flow::Go)
    }

    fn event(&mut self, stream: &[String], wire: &Wire) -> io::Result<Flow> {
        let text = message(stream, &wire.name, &wire.payload);
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
                // Wait (briefly) for the client's close reply, as a server does.
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
                Ok(Flow::Stop)
            }
        }
    }
}

/// A server message: `payload` (the SSE `data`) as a JSON string.
pub(super) fn message(stream: &[String], name: &str, payload: &str) -> String {
    let stream: Vec<String> = stream.iter().map(|s| json_string(s)).collect();
    format!(
        r#"{{"stream":[{}],"event":{},"payload":{}}}"#,
        stream.join(","),
        json_string(name),
        json_string(payload)
    )
}

/// The stream a (un)subscribe message names, or Mastodon's refusal (status, message).
fn stream_of(
    m: &serde_json::Map<String, serde_json::Value>,
    forbidden_lists: &[String],
) -> Result<Vec<String>, (u16, &'static str)> {
    let text = |k: &str| {
        m.get(k).and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let name = text("stream").unwrap_or_default();
    match name.as_str() {
        "user"
        | "user:notification"
        | "public"
        | "public:media"
        | "public:local"
        | "public:local:media"
        | "public:remote"
        | "public:remote:media"
        | "direct" => Ok(vec![name]),
        "hashtag" | "hashtag:local" => match text("tag") {
            Some(tag) if !tag.is_empty() => Ok(vec![name, tag]),
            _ => Err((400, "Missing tag name parameter")),
        },
        "list" => match text("list") {
            Some(list) if forbidden_lists.contains(&list) => {
                Err((401, "Not authorized to stream this list"))
            }
            Some(list) if !list.is_empty() => Ok(vec![name, list]),
            _ => Err((400, "Missing list name parameter")),
        },
        _ => Err((400, "Unknown stream type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_encode_payloads_as_json_strings() {
        let stream = vec!["hashtag".to_owned(), "rust".to_owned()];
        assert_eq!(
            message(&stream, "update", r#"{"id":"1","content":"<p>a\"b</p>"}"#),
            r#"{"stream":["hashtag","rust"],"event":"update","payload":"{\"id\":\"1\",\"content\":\"<p>a\\\"b</p>\"}"}"#
        );
        assert_eq!(
            message(&["public".to_owned()], "delete", "110988741790818968"),
            r#"{"stream":["public"],"event":"delete","payload":"110988741790818968"}"#
        );
    }

    #[test]
    fn refusals_are_mastodons() {
        let parse = |t: &str| match serde_json::from_str(t).unwrap() {
            serde_json::Value::Object(m) => stream_of(&m, &["7".to_owned()]),
            _ => unreachable!(),
        };
        assert_eq!(
            parse(r#"{"type":"subscribe","stream":"hashtag","tag":"café"}"#),
            Ok(vec!["hashtag".to_owned(), "café".to_owned()])
        );
        assert_eq!(
            parse(r#"{"type":"subscribe","stream":"hashtag"}"#),
            Err((400, "Missing tag name parameter"))
        );
        assert_eq!(
            parse(r#"{"type":"subscribe","stream":"list","list":"7"}"#),
            Err((401, "Not authorized to stream this list"))
        );
        assert_eq!(
            parse(r#"{"type":"subscribe","stream":"nope"}"#),
            Err((400, "Unknown stream type"))
        );
        assert_eq!(
            subscribe_text("list", None, Some("42")),
            r#"{"type":"subscribe","stream":"list","list":"42"}"#
        );
    }
}
