//! One REST `GET`, for the catch-up emulation: proto's [`OneShot`] machine driven over a
//! tokio TCP (and rustls) connection.
//!
//! mastostream-tokio drives `OneShot` internally but does not expose a generic `GET`; this
//! small driver goes away once the session catches up from stored anchors by itself (see
//! the module docs of [`crate::source`]).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use mastostream_tokio::proto::http::Token;
use mastostream_tokio::proto::session::{
    Instance, Machine, OneShot, Output, Response, Target, Timeouts, TransportError,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::polite::{InstanceGate, RateInfo, parse_iso8601};

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The rustls configuration for REST requests: the ring provider and the webpki roots.
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

async fn connect(target: &Target) -> Result<Box<dyn Io>, TransportError> {
    let io_err = |e: std::io::Error| TransportError::new(e.kind(), e.to_string());
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(io_err)?;
    tcp.set_nodelay(true).map_err(io_err)?;
    if !target.tls {
        return Ok(Box::new(tcp));
    }
    let config = tls().map_err(|e| TransportError::new(std::io::ErrorKind::Other, e))?;
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| TransportError::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let tls = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(io_err)?;
    Ok(Box::new(tls))
}

/// `GET path_and_query` on `instance`, within the instance's politeness gate (which also
/// learns the response's rate-limit headers). `Err` carries a description.
pub(crate) async fn get(
    instance: &Instance,
    token: Option<&str>,
    path_and_query: &str,
    gate: &InstanceGate,
) -> Result<Response, String> {
    let _permit = gate.rest_permit().await;
    // The machine bounds connect and request times; this bounds the driver as a whole.
    let response = tokio::time::timeout(
        Duration::from_secs(90),
        drive(instance, token, path_and_query),
    )
    .await
    .map_err(|_| "request timed out".to_owned())??;
    gate.observe(&rate_info(&response));
    Ok(response)
}

/// What a response says about the rate limit. Values are bounded by their parsers.
fn rate_info(r: &Response) -> RateInfo {
    let head = &r.head;
    RateInfo {
        status: head.status(),
        remaining: head
            .header_str("x-ratelimit-remaining")
            .and_then(|v| v.trim().parse().ok()),
        reset_unix: head.header_str("x-ratelimit-reset").and_then(parse_iso8601),
        retry_after: head
            .retry_after()
            .map(|r| r.delay_from(std::time::SystemTime::now())),
    }
}

async fn drive(instance: &Instance, token: Option<&str>, path: &str) -> Result<Response, String> {
    let now = || tokio::time::Instant::now().into_std();
    let token = token.map(|t| Token::new(t.to_owned()));
    let mut m = OneShot::get(
        instance,
        path,
        "application/json",
        token,
        Timeouts::default(),
        now(),
    );
    let mut conn: Option<(mastostream_tokio::proto::session::TransportId, Box<dyn Io>)> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while let Some(out) = m.poll() {
            match out {
                Output::Connect { transport, target } => {
                    let deadline = m
                        .poll_timeout()
                        .unwrap_or_else(|| now() + Duration::from_secs(10));
                    match tokio::time::timeout_at(deadline.into(), connect(&target)).await {
                        Ok(Ok(io)) => {
                            conn = Some((transport, io));
                            m.handle_connected(transport, now());
                        }
                        Ok(Err(e)) => m.handle_connect_failed(transport, e, now()),
                        Err(_) => m.handle_timeout(now()),
                    }
                }
                Output::Transmit { transport, data } => {
                    if let Some((_, io)) = conn.as_mut()
                        && let Err(e) = io.write_all(&data).await
                    {
                        m.handle_io_error(
                            transport,
                            TransportError::new(e.kind(), e.to_string()),
                            now(),
                        );
                    }
                }
                Output::Close { .. } => conn = None,
                Output::Finished(result) => {
                    return match result {
                        Ok(()) => m.take_response().ok_or_else(|| "no response".to_owned()),
                        Err(e) => Err(e.to_string()),
                    };
                }
                _ => {}
            }
        }
        let deadline: Instant = m
            .poll_timeout()
            .unwrap_or_else(|| now() + Duration::from_secs(30));
        match conn.as_mut() {
            Some((transport, io)) => {
                let transport = *transport;
                match tokio::time::timeout_at(deadline.into(), io.read(&mut buf)).await {
                    Ok(Ok(0)) => m.handle_eof(transport, now()),
                    Ok(Ok(n)) => {
                        m.handle_data(transport, bytes::Bytes::copy_from_slice(&buf[..n]), now())
                    }
                    Ok(Err(e)) => m.handle_io_error(
                        transport,
                        TransportError::new(e.kind(), e.to_string()),
                        now(),
                    ),
                    Err(_) => m.handle_timeout(now()),
                }
            }
            None => {
                tokio::time::sleep_until(deadline.into()).await;
                m.handle_timeout(now());
            }
        }
    }
}
