//! The WebSocket transport: TCP and TLS as for every transport, then the HTTP upgrade and
//! the WebSocket framing from async-tungstenite. It reports what arrives (text messages as
//! `Bytes` without a copy, other frames as liveness, a refused upgrade with its status,
//! headers and body) and sends the text the session asks for; it decides nothing.
//!
//! `mastostream-tokio`'s `ws.rs` is this file over the other runtime: the request, refusal and
//! error conversions are the same and stay in step (they are glue between proto's types
//! and tungstenite's, with no better home than each adapter).

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use async_channel::Receiver;
use async_io::Timer;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::handshake::client::{Request, Response};
use async_tungstenite::tungstenite::http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use async_tungstenite::tungstenite::{self, Message};
use bytes::Bytes;
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_lite::{StreamExt, future};
use futures_rustls::rustls::ClientConfig;
use mastostream_proto::http::{Header, ResponseHead};
use mastostream_proto::session::{Target, TransportError, TransportId, WsRequest};

use crate::driver::{Input, Io, Outgoing, Report, open, transport_error};

/// Each WebSocket's read buffer, allocated up front (tungstenite's default is 128 KiB; an
/// idle stream needs little).
const READ_BUFFER: usize = 8 * 1024;

/// How long a closing WebSocket may take to send its close frame and hear the server's
/// (a dead peer cannot hold a task, or the end of a stream, for longer).
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// One WebSocket transport's life: connect, upgrade, then send what the session asks and
/// report what arrives until the end. Cancelled when the session drops it.
pub(crate) async fn transport(
    id: TransportId,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    request: WsRequest,
    writes: Receiver<Outgoing>,
    report: Report,
) {
    let end = match open(&target, tls).await {
        Err(e) => Input::ConnectFailed(transport_error(&e)),
        Ok(Io::Plain(s)) => pump(s, &request, writes, &report, id).await,
        Ok(Io::Tls(s)) => pump(*s, &request, writes, &report, id).await,
    };
    let _ = report.try_send((id, end));
}

async fn pump<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
    request: &WsRequest,
    writes: Receiver<Outgoing>,
    report: &Report,
    id: TransportId,
) -> Input {
    /// Which side went first.
    enum Turn {
        Write(Option<Outgoing>),
        Read(Option<Result<Message, tungstenite::Error>>),
    }
    let upgrade = match upgrade_request(request) {
        Ok(r) => r,
        Err(e) => return Input::ConnectFailed(e),
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(request.max_message))
        .max_frame_size(Some(request.max_message));
    let mut ws = match async_tungstenite::client_async_with_config(upgrade, io, Some(config)).await
    {
        Ok((ws, _)) => ws,
        Err(tungstenite::Error::Http(response)) => return rejected(*response),
        Err(e) => return Input::ConnectFailed(ws_error(e)),
    };
    if report.try_send((id, Input::Connected)).is_err() {
        return Input::Eof;
    }
    let mut writing = true;
    loop {
        let write = async {
            if writing {
                Turn::Write(writes.recv().await.ok())
            } else {
                future::pending().await
            }
        };
        // Cancel-safe: a message half read stays in the WebSocket's buffer.
        let read = async { Turn::Read(ws.next().await) };
        match future::or(write, read).await {
            Turn::Write(Some(Outgoing::Text(text))) => {
                if let Err(e) = ws.send(Message::text(text)).await {
                    return Input::Failed(ws_error(e));
                }
            }
            Turn::Write(Some(Outgoing::Close)) => {
                close(&mut ws).await;
                return Input::Eof;
            }
            // Raw bytes are for HTTP transports.
            Turn::Write(Some(Outgoing::Bytes(_))) => {}
            Turn::Write(None) => writing = false,
            Turn::Read(next) => {
                let input = match next {
                    None => return Input::Eof,
                    Some(Ok(Message::Close(_))) => {
                        // The server's close frame: answer it (tungstenite queued the reply).
                        close(&mut ws).await;
                        return Input::Eof;
                    }
                    Some(Ok(Message::Text(text))) => Input::Message(Bytes::from(text)),
                    Some(Ok(_)) => Input::Frame,
                    Some(Err(e)) => return Input::Failed(ws_error(e)),
                };
                if report.try_send((id, input)).is_err() {
                    return Input::Eof;
                }
            }
        }
    }
}

/// Ends a WebSocket cleanly, for at most [`CLOSE_GRACE`]: a close frame (`1000`, or the
/// reply to the server's), then whatever the server still sends until it closes too, so
/// that no unread data turns the socket's end into a reset.
async fn close<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) {
    let normal = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let handshake = async {
        if ws.close(Some(normal)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    };
    let grace = async {
        Timer::after(CLOSE_GRACE).await;
    };
    future::or(handshake, grace).await;
}

/// The upgrade request: the session's URL and headers (the token in `Authorization`,
/// marked sensitive), plus the WebSocket headers tungstenite adds.
fn upgrade_request(request: &WsRequest) -> Result<Request, TransportError> {
    let invalid = |what: String| TransportError::new(ErrorKind::InvalidInput, what);
    let mut upgrade = request
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| invalid(format!("WebSocket URL: {e}")))?;
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
        // The error names the header, never its value (it may be the token).
        let mut value =
            HeaderValue::from_str(value).map_err(|_| invalid(format!("invalid {name} header")))?;
        value.set_sensitive(name == AUTHORIZATION);
        upgrade.headers_mut().insert(name, value);
    }
    Ok(upgrade)
}

/// A refused upgrade, as the session reads HTTP responses.
fn rejected(response: Response) -> Input {
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: Bytes::copy_from_slice(value.as_bytes()),
        })
        .collect();
    let head = ResponseHead::new(
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        headers,
    );
    let body = response.into_body().map(Bytes::from).unwrap_or_default();
    Input::Rejected(head, body)
}

fn ws_error(e: tungstenite::Error) -> TransportError {
    use tungstenite::Error as E;
    let kind = match &e {
        E::Io(io) => return transport_error(io),
        E::ConnectionClosed | E::AlreadyClosed => ErrorKind::ConnectionAborted,
        E::Url(_) | E::HttpFormat(_) => ErrorKind::InvalidInput,
        _ => ErrorKind::InvalidData,
    };
    TransportError::new(kind, format!("WebSocket: {e}"))
}
