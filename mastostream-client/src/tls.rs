//! TLS with rustls (futures-rustls over the runtime's socket), and the connection type
//! every transport uses: plain TCP, or TLS over it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use mastostream_proto::session::Target;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use crate::{ConfigError, Runtime};

/// A rustls client configuration: the ring provider, the bundled webpki roots, the extra
/// `roots`, and (with the `native-roots` feature and `native`) the system's roots. It
/// offers only `http/1.1` over ALPN: streams are HTTP/1.1.
pub(crate) fn config(
    roots: &[CertificateDer<'static>],
    native: bool,
) -> Result<Arc<ClientConfig>, ConfigError> {
    let mut store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for root in roots {
        store
            .add(root.clone())
            .map_err(|e| ConfigError::Certificate(e.to_string()))?;
    }
    #[cfg(feature = "native-roots")]
    if native {
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            // A system root rustls cannot use is skipped, as browsers do.
            let _ = store.add(cert);
        }
    }
    #[cfg(not(feature = "native-roots"))]
    let _ = native;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A connection: plain TCP, or TLS over it.
pub(crate) enum Io<T> {
    Plain(T),
    Tls(Box<futures_rustls::client::TlsStream<T>>),
}

/// Opens a TCP connection to `target` (and TLS over it when it asks).
pub(crate) async fn open<R: Runtime>(
    rt: &R,
    target: &Target,
    tls: Option<Arc<ClientConfig>>,
) -> io::Result<Io<R::Tcp>> {
    let tcp = rt.connect(target.host.clone(), target.port).await?;
    let Some(config) = tls.filter(|_| target.tls) else {
        return Ok(Io::Plain(tcp));
    };
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let stream = TlsConnector::from(config).connect(name, tcp).await?;
    Ok(Io::Tls(Box::new(stream)))
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_close(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_close(cx),
        }
    }
}
