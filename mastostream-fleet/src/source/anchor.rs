//! The newest id of a timeline, for a stream that has no stored position yet: one REST
//! `GET …?limit=1`, proto's [`OneShot`] machine driven over tokio TCP (and rustls).
//!
//! The session anchors such a timeline itself on its first connection, but keeps the
//! anchor to itself, and a stream's first event may be days away. The fleet stores the
//! anchor as the stream's cursor, so that whoever owns the stream next — after a hand-over
//! or a `kill -9` before that first event — catches up from it instead of starting live.
//! This module goes away once the session reports its anchors (an item carrying each
//! timeline's anchored id).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use mastostream_tokio::proto::http::Token;
use mastostream_tokio::proto::session::{
    Input, Machine, OneShot, Output, Response, Target, Timeouts, TransportError, TransportId,
};
use mastostream_tokio::{Instance, Timeline};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::convert::{kind_of, usable};

/// The longest an anchor request may take, connecting included.
const LIMIT: Duration = Duration::from_secs(30);

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The newest id in `timeline`, `"0"` when it is empty (everything in it will be new).
/// `Err` says why the instance did not tell.
pub(crate) async fn newest(
    instance: &Instance,
    token: Option<&str>,
    timeline: &Timeline,
) -> Result<String, String> {
    let now = tokio::time::Instant::now().into_std();
    let machine = OneShot::get(
        instance,
        &timeline.page_target(None, 1),
        "application/json",
        token.map(|t| Token::new(t.to_owned())),
        Timeouts::default(),
        now,
    );
    let response = tokio::time::timeout(LIMIT, drive(machine))
        .await
        .map_err(|_| format!("no answer within {LIMIT:?}"))??;
    match response.head.status() {
        200 => newest_in(timeline, &response.body),
        s => Err(format!("HTTP {s}")),
    }
}

/// The fields of a page item that place it in its timeline.
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    last_status: Option<LastStatus>,
}

#[derive(Deserialize)]
struct LastStatus {
    #[serde(default)]
    id: Option<String>,
}

/// The newest usable position in a page (a JSON array): status and notification ids, a
/// conversation's last status id.
fn newest_in(timeline: &Timeline, body: &Bytes) -> Result<String, String> {
    let items: Vec<Item> =
        serde_json::from_slice(body).map_err(|e| format!("not a page of items: {e}"))?;
    let mut cursor = crate::cursor::Cursor::default();
    let kind = kind_of(timeline);
    for item in items {
        let id = match kind {
            "conversations" => item.last_status.and_then(|l| l.id),
            _ => item.id,
        };
        if let Some(id) = id.filter(|i| usable(i)) {
            cursor.advance(kind, &id);
        }
    }
    Ok(cursor.get(kind).unwrap_or("0").to_owned())
}

/// The rustls configuration: the ring provider and the webpki roots.
fn tls() -> Result<Arc<ClientConfig>, String> {
    static TLS: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let store = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(store)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    })
    .clone()
}

fn io_error(e: std::io::Error) -> TransportError {
    TransportError::new(e.kind(), e.to_string())
}

async fn connect(target: &Target) -> Result<Box<dyn Io>, TransportError> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(io_error)?;
    tcp.set_nodelay(true).map_err(io_error)?;
    if !target.tls {
        return Ok(Box::new(tcp));
    }
    let other = |e: String| TransportError::new(std::io::ErrorKind::Other, e);
    let name = ServerName::try_from(target.host.clone()).map_err(|e| other(e.to_string()))?;
    let tls = TlsConnector::from(tls().map_err(other)?)
        .connect(name, tcp)
        .await
        .map_err(io_error)?;
    Ok(Box::new(tls))
}

/// Drives the machine to its response: connects where it says, writes what it says,
/// hands it what is read (and the time), until it finishes.
async fn drive(mut m: OneShot) -> Result<Response, String> {
    let now = || tokio::time::Instant::now().into_std();
    let mut conn: Option<(TransportId, Box<dyn Io>)> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let input = match m.poll_output() {
            Output::Connect { transport, target } => match connect(&target).await {
                Ok(io) => {
                    conn = Some((transport, io));
                    Input::Connected(transport)
                }
                Err(e) => Input::ConnectFailed(transport, e),
            },
            Output::Transmit { transport, data } => match conn.as_mut() {
                Some((_, io)) => match io.write_all(&data).await {
                    Ok(()) => continue,
                    Err(e) => Input::Failed(transport, io_error(e)),
                },
                None => continue,
            },
            Output::Close { .. } => {
                conn = None;
                continue;
            }
            Output::Finished(result) => {
                result.map_err(|e| e.to_string())?;
                return m.take_response().ok_or_else(|| "no response".to_owned());
            }
            Output::Wait { deadline } => {
                let deadline = deadline.unwrap_or_else(|| now() + LIMIT);
                match conn.as_mut() {
                    Some((id, io)) => {
                        let id = *id;
                        match tokio::time::timeout_at(deadline.into(), io.read(&mut buf)).await {
                            Ok(Ok(0)) => Input::Eof(id),
                            Ok(Ok(n)) => Input::Data(id, Bytes::copy_from_slice(&buf[..n])),
                            Ok(Err(e)) => Input::Failed(id, io_error(e)),
                            Err(_) => Input::Timeout,
                        }
                    }
                    None => {
                        tokio::time::sleep_until(deadline.into()).await;
                        Input::Timeout
                    }
                }
            }
            _ => continue,
        };
        m.handle_input(input, now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_position_of_a_page() {
        let page = Bytes::from_static(br#"[{"id":"9"},{"id":"10"},{"id":"a b"},{"x":1}]"#);
        assert_eq!(newest_in(&Timeline::Home, &page).unwrap(), "10");
        assert_eq!(
            newest_in(&Timeline::Home, &Bytes::from_static(b"[]")).unwrap(),
            "0"
        );
        let conversations = Bytes::from_static(br#"[{"id":"3","last_status":{"id":"110"}}]"#);
        assert_eq!(
            newest_in(&Timeline::Conversations, &conversations).unwrap(),
            "110"
        );
        assert!(newest_in(&Timeline::Home, &Bytes::from_static(b"<html>")).is_err());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_newest_status_of_a_loopback_instance() {
        use mastostream_testkit::fake::{FakeServer, ServerOptions};
        let server = FakeServer::start(ServerOptions::default());
        let instance = Instance::parse(&server.url()).unwrap();
        let local = Timeline::for_channel(&mastostream_tokio::Channel::public_local()).remove(0);
        assert_eq!(newest(&instance, None, &local).await.unwrap(), "0", "empty");
        server.publish_update();
        let last = server.publish_update();
        assert_eq!(
            newest(&instance, None, &local).await.unwrap(),
            last.to_string()
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_unreachable_instance_says_why() {
        let instance = Instance::parse("http://127.0.0.1:9").unwrap();
        let err = newest(&instance, None, &Timeline::Home).await.unwrap_err();
        assert!(!err.is_empty());
    }
}
