//! The fake server's WebSocket endpoint, `GET /api/v1/streaming` with `Upgrade: websocket`,
//! over a sync `tungstenite` WebSocket (one thread a connection, as for SSE). What is said
//! on it is the [`Dialect`](crate::Dialect)'s: in Mastodon's,
//!
//! - the client subscribes with `{"type":"subscribe","stream":"hashtag","tag":"rust"}` (or
//!   `?stream=...` on the upgrade URL) and unsubscribes alike. Every client message is
//!   recorded per connection ([`WsConnection`]).
//! - Refusals are Mastodon's messages with no stream: `{"error":"Missing tag name
//!   parameter","status":400}`, `{"error":"Not authorized to stream this list","status":401}`
//!   (for lists named by [`FakeServer::forbid_list`](crate::FakeServer::forbid_list)),
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

mod conn;

use std::io::{self, Write};

use tungstenite::handshake::derive_accept_key;

use crate::auth::TokenPlace;
use crate::dialect::Handshake;
use crate::http::{Conn, RecordedRequest, Reply};
use crate::plan::StreamPlan;
use crate::server::Shared;

/// What the fake server saw of one WebSocket connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WsConnection {
    /// The connection's number (in accept order, shared with HTTP connections).
    pub conn: u64,
    /// Every text message the client sent, in order, exactly as sent.
    pub messages: Vec<String>,
    /// The streams subscribed now (or when the connection ended), in subscription order,
    /// named as Mastodon names them (`["hashtag", "rust"]`) whatever the dialect writes in
    /// its events. A stream the server accepts but never posts to (GoToSocial takes any
    /// name) is listed under the server's own name (`["hashtag:rust"]`).
    pub subscriptions: Vec<Vec<String>>,
    /// Whether the connection is still open.
    pub open: bool,
    /// The pong frames the client sent: each answers one of the server's pings (a
    /// heartbeat), so a test can tell that the client has read that many.
    pub pongs: usize,
    /// The close frame the client sent, if it sent one: its status code (`None` when the
    /// frame carried none). A client that closes cleanly sends one before dropping the
    /// connection; one that just drops the socket does not.
    pub client_close: Option<Option<u16>>,
    /// Where the server took the connection's token from (`None`: no token, or none it
    /// reads). The upgrade request itself, with every place the client put a token, is in
    /// [`FakeServer::requests`](crate::FakeServer::requests)
    /// ([`RecordedRequest::token_places`]).
    pub token_place: Option<TokenPlace>,
    /// The `Sec-WebSocket-Protocol` the server's `101` answer carried.
    pub protocol: Option<String>,
}

/// Whether a request asks for a WebSocket (`Upgrade: websocket`).
pub(crate) fn wants_upgrade(req: &RecordedRequest) -> bool {
    req.header("upgrade")
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// The first protocol a WebSocket client offered in `Sec-WebSocket-Protocol` (Mastodon
/// takes a token there, as browsers cannot set `Authorization`).
pub(crate) fn protocol_token(req: &RecordedRequest) -> Option<&str> {
    req.header("sec-websocket-protocol")
        .and_then(|p| p.split(',').next())
        .map(str::trim)
}

/// `401` as Mastodon's streaming server refuses an upgrade (`server.on('upgrade')`): the
/// message in `X-Error-Message`, no body, a request id (a UUID, as `uuid.v4()` makes; the
/// fake's count up).
pub(crate) fn refusal(status: u16, reason: &str, message: &str, request: usize) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\
         Content-Length: 0\r\nX-Request-Id: 00000000-0000-4000-8000-{request:012x}\r\n\
         X-Error-Message: {message}\r\n\r\n"
    )
    .into_bytes()
}

/// Completes the upgrade `handshake` accepted and serves the connection until it ends.
pub(crate) fn serve(
    shared: &Shared,
    conn: &mut Conn,
    req: &RecordedRequest,
    id: u64,
    handshake: Handshake,
    plan: &StreamPlan,
) -> io::Result<()> {
    let Some(key) = req.header("sec-websocket-key") else {
        let bad = Reply::error(400, "Bad Request", "Missing Sec-WebSocket-Key");
        conn.write_all(&bad.encode())?;
        return conn.flush();
    };
    let mut head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        derive_accept_key(key.as_bytes())
    );
    if let Some(p) = &handshake.protocol {
        head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    head.push_str("\r\n");
    // Logged before the client can see the `101`.
    shared.lock().ws.push(WsConnection {
        conn: id,
        open: true,
        token_place: handshake.place,
        protocol: handshake.protocol.clone(),
        ..WsConnection::default()
    });
    shared.changed.notify_all();
    let result = conn
        .write_all(head.as_bytes())
        .and_then(|()| conn.flush())
        .and_then(|()| conn::run(shared, conn, id, handshake, plan));
    let mut st = shared.lock();
    if let Some(log) = st.ws.iter_mut().find(|w| w.conn == id) {
        log.open = false;
    }
    drop(st);
    shared.changed.notify_all();
    result
}
