//! A WebSocket transport's task: TCP and TLS as for every transport, then the HTTP upgrade
//! and the WebSocket framing from async-tungstenite. It reports what arrives (text messages
//! as `Bytes` without a copy, other frames as signs of life, the server's close frame, a
//! refused upgrade with its status, headers and body) and sends what the session asks; it
//! decides nothing.

use std::io::ErrorKind;
use std::sync::Arc;

use async_channel::Receiver;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::handshake::client::{Request, Response};
use async_tungstenite::tungstenite::http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use async_tungstenite::tungstenite::{self, Message};
use bytes::Bytes;
use futures_util::future::{Either, select};
use futures_util::{FutureExt, StreamExt};
use mastostream_proto::http::{Header, ResponseHead};
use mastostream_proto::session::{Input, Target, TransportError, WsRequest};
use rustls::ClientConfig;

use crate::Runtime;
use crate::link::{Outgoing, Reporter, transport_error};
use crate::tls::{Io, open};

/// Each WebSocket's read buffer (tungstenite's default is 128 KiB; an idle stream needs
/// little).
const READ_BUFFER: usize = 8 * 1024;

/// A WebSocket transport's life: connect, upgrade, then send what the session asks and
/// report what arrives until the end. Dropped (cancelled) when the session closes it.
pub(crate) async fn websocket<R: Runtime>(
    rt: R,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
    request: WsRequest,
    writes: Receiver<Outgoing>,
    mut report: Reporter<R>,
) {
    let id = report.id();
    let end = match open(&rt, &target, tls).await {
        Err(e) => Some(Input::ConnectFailed(id, transport_error(&e))),
        Ok(io) => upgraded(io, &request, writes, &mut report).await,
    };
    if let Some(end) = end {
        report.send(end).await;
    }
}

async fn upgraded<R: Runtime, T>(
    io: Io<T>,
    request: &WsRequest,
    writes: Receiver<Outgoing>,
    report: &mut Reporter<R>,
) -> Option<Input>
where
    Io<T>: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let id = report.id();
    let upgrade = match upgrade_request(request) {
        Ok(r) => r,
        Err(e) => return Some(Input::ConnectFailed(id, e)),
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(request.max_message))
        .max_frame_size(Some(request.max_frame));
    let mut ws = match async_tungstenite::client_async_with_config(upgrade, io, Some(config)).await
    {
        Ok((ws, _)) => ws,
        Err(tungstenite::Error::Http(response)) => {
            let (head, body) = rejected(*response, request.max_error_body);
            return Some(Input::WsRejected(id, head, body));
        }
        Err(e) => return Some(Input::ConnectFailed(id, ws_error(e))),
    };
    if !report.send(Input::Connected(id)).await {
        return None;
    }
    let mut writing = true;
    loop {
        if report.is_held() {
            // Held back until now: take what is already there before saying so.
            if let Some(next) = ws.next().now_or_never() {
                match on_message(next, &mut ws, report).await {
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
        // Cancel-safe: a message half read stays in the WebSocket's buffer.
        match select(std::pin::pin!(write), ws.next()).await {
            Either::Left((out, _)) => match out {
                Some(Outgoing::Text(text)) => {
                    if let Err(e) = send_text(&mut ws, text).await {
                        return Some(Input::Failed(id, ws_error(e)));
                    }
                }
                Some(Outgoing::Close(code)) => {
                    close(&mut ws, code).await;
                    return Some(Input::Eof(id));
                }
                // Raw bytes are for HTTP transports.
                Some(Outgoing::Bytes(_)) => {}
                None => writing = false,
            },
            Either::Right((next, _)) => {
                if let Some(end) = on_message(next, &mut ws, report).await {
                    return end;
                }
            }
        }
    }
}

/// Reports one message. `Some(end)` when the connection is over (`Some(None)`: the driver
/// is gone).
async fn on_message<R: Runtime, S>(
    next: Option<Result<Message, tungstenite::Error>>,
    ws: &mut WebSocketStream<S>,
    report: &mut Reporter<R>,
) -> Option<Option<Input>>
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let id = report.id();
    let input = match next {
        None => return Some(Some(Input::Eof(id))),
        Some(Err(e)) => {
            // RFC 6455 §7.1.7: a connection failed for what the peer sent gets a close
            // frame saying why, if the socket takes it at once (never a wait on a peer
            // that does not read).
            if let Some(code) = failure_code(&e) {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: "".into(),
                };
                let _ = ws.close(Some(frame)).now_or_never();
            }
            return Some(Some(Input::Failed(id, ws_error(e))));
        }
        Some(Ok(Message::Text(text))) => Input::WsMessage(id, Bytes::from(text)),
        // The server's close frame: tungstenite queued the reply, which the next read
        // flushes; the session decides what follows.
        Some(Ok(Message::Close(frame))) => Input::WsClose(
            id,
            frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned())),
        ),
        Some(Ok(_)) => Input::WsFrame(id),
    };
    if report.send(input).await {
        None
    } else {
        Some(None)
    }
}

/// Sends a text message. After the server's close frame the text is moot and not sent,
/// but that is no failure: the session, told of the close, asks for the handshake next,
/// and the server still gets its reply.
async fn send_text<S>(ws: &mut WebSocketStream<S>, text: String) -> Result<(), tungstenite::Error>
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    use tungstenite::error::ProtocolError;
    match ws.send(Message::text(text)).await {
        Err(tungstenite::Error::Protocol(ProtocolError::SendAfterClosing)) => Ok(()),
        other => other,
    }
}

/// The close handshake: a close frame with `code` (or the reply to the server's), then
/// whatever the server still sends until it closes too, so that no unread data turns the
/// socket's end into a reset. The session bounds how long this may take.
async fn close<S>(ws: &mut WebSocketStream<S>, code: u16)
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: "".into(),
    };
    // After the server's close frame, tungstenite has queued the reply and refuses a close
    // of ours (`SendAfterClosing`): the reads below send that reply first. After a broken
    // connection they end at once.
    let _ = ws.close(Some(frame)).await;
    while let Some(Ok(_)) = ws.next().await {}
}

/// The upgrade request: the session's URL and headers (the token in `Authorization`,
/// marked sensitive), plus the WebSocket headers tungstenite adds.
fn upgrade_request(request: &WsRequest) -> Result<Request, TransportError> {
    let invalid = |what: String| TransportError::new(ErrorKind::InvalidInput, what);
    // With the token in the query for servers that read it only there: this URL is the
    // request's, never logged (errors below name no URL).
    let mut upgrade = request
        .url_with_token()
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

/// A refused upgrade, as the session reads HTTP responses (at most `max_body` bytes of
/// its body).
fn rejected(response: Response, max_body: usize) -> (ResponseHead, Bytes) {
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
    let mut body = response.into_body().unwrap_or_default();
    body.truncate(max_body);
    (head, Bytes::from(body))
}

/// The close code (RFC 6455 §7.4.1) for a failure caused by what the peer sent: `1009`
/// for a frame or message over the limits, `1007` for text that is not UTF-8, `1002` for
/// other protocol violations; `None` when the connection itself failed.
fn failure_code(e: &tungstenite::Error) -> Option<u16> {
    use tungstenite::Error as E;
    use tungstenite::error::ProtocolError as P;
    match e {
        E::Capacity(_) => Some(1009),
        E::Utf8(_) => Some(1007),
        E::Protocol(P::ResetWithoutClosingHandshake | P::SendAfterClosing) => None,
        E::Protocol(_) => Some(1002),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    use tungstenite::error::{CapacityError, ProtocolError};

    /// The server closes first (1001); the session's next text (a subscription sent as the
    /// stream went live) and its close (1000) come before the transport read again: the
    /// text is no failure, and the server still gets its reply, its own code echoed.
    #[test]
    fn closing_after_the_server_closed_still_answers_it() {
        smol::block_on(async {
            let listener = async_net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = smol::spawn(async move {
                let (mut tcp, _) = listener.accept().await.unwrap();
                tcp.write_all(&[0x88, 0x02, 0x03, 0xE9]).await.unwrap();
                // FIN, close, masked, 2 bytes; the mask; the code.
                let mut reply = [0u8; 8];
                tcp.read_exact(&mut reply).await.map(|()| reply)
            });
            let tcp = async_net::TcpStream::connect(addr).await.unwrap();
            let role = tungstenite::protocol::Role::Client;
            let mut ws = WebSocketStream::from_raw_socket(tcp, role, None).await;
            let first = ws.next().await;
            assert!(
                matches!(first, Some(Ok(Message::Close(Some(_))))),
                "{first:?}"
            );
            let text = send_text(&mut ws, "{\"type\":\"subscribe\"}".into()).await;
            assert!(text.is_ok(), "{text:?}");
            let bound = async_io::Timer::after(std::time::Duration::from_secs(10));
            let closed = select(
                Box::pin(async {
                    close(&mut ws, 1000).await;
                    drop(ws);
                    server.await
                }),
                bound,
            )
            .await;
            let Either::Left((Ok(reply), _)) = closed else {
                panic!("no close frame in reply");
            };
            assert_eq!(reply[..2], [0x88, 0x82], "a masked close frame");
            let code = [reply[6] ^ reply[2], reply[7] ^ reply[3]];
            assert_eq!(u16::from_be_bytes(code), 1001, "the server's code echoed");
        });
    }

    #[test]
    fn failures_caused_by_the_peer_have_close_codes() {
        let too_big = CapacityError::MessageTooLong {
            size: 1 << 40,
            max_size: 1 << 21,
        };
        let cases = [
            (tungstenite::Error::Capacity(too_big), Some(1009)),
            (tungstenite::Error::Utf8("invalid".into()), Some(1007)),
            (ProtocolError::NonZeroReservedBits.into(), Some(1002)),
            (ProtocolError::MaskedFrameFromServer.into(), Some(1002)),
            (ProtocolError::InvalidCloseSequence.into(), Some(1002)),
            (ProtocolError::ResetWithoutClosingHandshake.into(), None),
            (tungstenite::Error::ConnectionClosed, None),
            (
                std::io::Error::from(ErrorKind::ConnectionReset).into(),
                None,
            ),
        ];
        for (e, code) in cases {
            assert_eq!(failure_code(&e), code, "{e}");
        }
    }
}
