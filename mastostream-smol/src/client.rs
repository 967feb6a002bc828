//! [`Client`]: an instance URL, an optional token, trusted roots and session settings; the
//! stream methods with Mastodon.py's names.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use futures_rustls::rustls::pki_types::CertificateDer;
use futures_rustls::rustls::{self, ClientConfig, RootCertStore};
use mastostream_proto::http::Token;
use mastostream_proto::session::{
    Instance, OneShot, Response, SessionConfig, StreamTransport, Timeouts, UrlError, parse_health,
    parse_streaming_url,
};
use mastostream_proto::{Channel, Error, Id, PublicScope};

use crate::driver::{Control, Driver, Step, now};
use crate::stream::EventStream;
use crate::websocket::WsStream;

/// Why a [`Client`] could not be configured.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The instance or streaming URL is unusable.
    Url(UrlError),
    /// A root certificate was rejected.
    Certificate(String),
    /// TLS could not be set up with the chosen provider.
    Tls(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Url(e) => write!(f, "{e}"),
            ConfigError::Certificate(e) => write!(f, "invalid root certificate: {e}"),
            ConfigError::Tls(e) => write!(f, "TLS setup failed: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Url(e) => Some(e),
            _ => None,
        }
    }
}

impl From<UrlError> for ConfigError {
    fn from(e: UrlError) -> Self {
        ConfigError::Url(e)
    }
}

type Configure = Arc<dyn Fn(&mut SessionConfig) + Send + Sync>;

/// A Mastodon streaming client: where to connect, as whom, and how.
///
/// Cheap to clone; every stream it opens is independent. The token travels only in the
/// `Authorization` header, and `Debug` output redacts it.
///
/// By default the first request of each stream asks `/api/v2/instance` for the streaming
/// URL (as Mastodon.py does) and falls back to the instance URL when the server names none
/// or the request fails; [`Client::streaming_url`] sets it instead, and
/// [`Client::discover`] turns discovery off.
#[derive(Clone)]
pub struct Client {
    instance: Instance,
    streaming: Option<Instance>,
    discover: bool,
    token: Option<Token>,
    roots: Vec<CertificateDer<'static>>,
    native_roots: bool,
    configure: Option<Configure>,
    tls: Arc<ClientConfig>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("instance", &self.instance.to_string())
            .field(
                "streaming",
                &self.streaming.as_ref().map(Instance::to_string),
            )
            .field("discover", &self.discover)
            .field("token", &self.token)
            .field("extra_roots", &self.roots.len())
            .field("native_roots", &self.native_roots)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the instance at `url` (`https://mastodon.social`; a bare host means
    /// `https://`), without a token, trusting the bundled webpki roots.
    pub fn new(url: &str) -> Result<Client, ConfigError> {
        let instance = Instance::parse(url)?;
        Ok(Client {
            instance,
            streaming: None,
            discover: true,
            token: None,
            roots: Vec::new(),
            native_roots: false,
            configure: None,
            tls: tls_config(&[], false)?,
        })
    }

    /// Sets the access token (sent as `Authorization: Bearer`).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Client {
        self.token = Some(Token::new(token.into()));
        self
    }

    /// Sets or clears the access token.
    #[must_use]
    pub fn token_opt(mut self, token: Option<String>) -> Client {
        self.token = token.map(Token::new);
        self
    }

    /// Trusts this root certificate (DER) in addition to the bundled roots.
    pub fn add_root_certificate(
        mut self,
        der: CertificateDer<'static>,
    ) -> Result<Client, ConfigError> {
        self.roots.push(der);
        self.tls = tls_config(&self.roots, self.native_roots)?;
        Ok(self)
    }

    /// Also trusts the operating system's root certificates.
    #[cfg(feature = "native-roots")]
    pub fn native_roots(mut self, on: bool) -> Result<Client, ConfigError> {
        self.native_roots = on;
        self.tls = tls_config(&self.roots, self.native_roots)?;
        Ok(self)
    }

    /// Uses this streaming base URL (`wss://`, `https://`, ...) and skips discovery.
    pub fn streaming_url(mut self, url: &str) -> Result<Client, ConfigError> {
        self.streaming = Some(Instance::parse(url)?);
        self.discover = false;
        Ok(self)
    }

    /// Whether streams first ask `/api/v2/instance` for the streaming URL (default `true`).
    #[must_use]
    pub fn discover(mut self, on: bool) -> Client {
        self.discover = on;
        self
    }

    /// Adjusts every session's configuration (timeouts, backoff, catch-up, limits,
    /// heartbeats, user agent) before it starts.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = mastostream_smol::Client::new("https://mastodon.example")?
    ///     .configure(|c| {
    ///         c.timeouts.idle = Duration::from_secs(60);
    ///         c.catch_up.enabled = false;
    ///     });
    /// # Ok::<(), mastostream_smol::ConfigError>(())
    /// ```
    #[must_use]
    pub fn configure(mut self, f: impl Fn(&mut SessionConfig) + Send + Sync + 'static) -> Client {
        let previous = self.configure.take();
        self.configure = Some(Arc::new(move |c: &mut SessionConfig| {
            if let Some(p) = &previous {
                p(c);
            }
            f(c);
        }));
        self
    }

    /// The instance URL.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The session configuration a stream of `channel` starts with (before discovery).
    pub fn session_config(&self, channel: Channel) -> SessionConfig {
        let mut cfg = SessionConfig::new(self.instance.clone(), channel)
            .token(self.token.clone())
            .streaming(self.streaming.clone())
            .seed(std::collections::hash_map::RandomState::new().hash_one(0x6d73_u64));
        if let Some(f) = &self.configure {
            f(&mut cfg);
        }
        cfg
    }

    /// The configuration of a WebSocket session subscribed to `channels` (with none, to
    /// `user`, which [`Client::websocket`] unsubscribes before the connection is up).
    pub(crate) fn websocket_config(&self, channels: &[Channel]) -> SessionConfig {
        let (first, more) = match channels.split_first() {
            Some((first, more)) => (first.clone(), more.to_vec()),
            None => (Channel::User, Vec::new()),
        };
        let mut cfg = self.session_config(first);
        cfg.transport = StreamTransport::WebSocket;
        cfg.subscriptions = more;
        cfg
    }

    pub(crate) fn discovers(&self) -> bool {
        self.discover && self.streaming.is_none()
    }

    pub(crate) fn tls(&self) -> Arc<ClientConfig> {
        self.tls.clone()
    }

    fn timeouts(&self) -> Timeouts {
        self.session_config(Channel::User).timeouts
    }

    /// Any stream, by [`Channel`] (see [`Channel::parse`] for Mastodon's names).
    pub fn stream(&self, channel: Channel) -> EventStream {
        EventStream::new(self.clone(), channel)
    }

    /// `user`: your home timeline and notifications.
    pub fn stream_user(&self) -> EventStream {
        self.stream(Channel::User)
    }

    /// `user:notification`: your notifications only.
    pub fn stream_notifications(&self) -> EventStream {
        self.stream(Channel::UserNotification)
    }

    /// `public`, `public:local` or `public:remote` (by `scope`), optionally only statuses
    /// with media (`public:…:media`).
    pub fn stream_public(&self, scope: PublicScope, only_media: bool) -> EventStream {
        self.stream(Channel::Public { scope, only_media })
    }

    /// `public:local`: this server's public statuses.
    pub fn stream_local(&self) -> EventStream {
        self.stream_public(PublicScope::Local, false)
    }

    /// `hashtag` (or `hashtag:local`): statuses with `tag` (one leading `#` is removed).
    pub fn stream_hashtag(&self, tag: &str, local: bool) -> EventStream {
        self.stream(Channel::hashtag(tag, local))
    }

    /// `list`: the statuses of one of your lists.
    pub fn stream_list(&self, id: impl Into<Id>) -> EventStream {
        self.stream(Channel::list(id))
    }

    /// `direct`: your direct conversations.
    pub fn stream_direct(&self) -> EventStream {
        self.stream(Channel::Direct)
    }

    /// Mastodon's multiplexed WebSocket (`wss://…/api/v1/streaming`): one connection
    /// carrying every stream in `channels`, with more added or removed while it runs
    /// ([`WsStream::subscribe`], [`WsStream::unsubscribe`]). Every live event arrives as
    /// [`Item::StreamEvent`](crate::Item::StreamEvent), tagged with the stream it came
    /// from. After a reconnect every subscription is sent again and each one's timelines
    /// are caught up over REST. `channels` may be empty.
    ///
    /// The streaming URL is discovered as for SSE streams (a `wss://` URL); the token
    /// travels in the upgrade's `Authorization` header, never in the URL.
    pub fn websocket(&self, channels: impl IntoIterator<Item = Channel>) -> WsStream {
        WsStream::new(self.clone(), channels.into_iter().collect())
    }

    /// Whether the streaming server is up: `GET /api/v1/streaming/health` answers `OK`.
    /// `Err` when no answer came (connection or timeout errors).
    pub async fn stream_healthy(&self) -> Result<bool, Error> {
        let base = match (&self.streaming, self.discovers()) {
            (Some(s), _) => s.clone(),
            (None, true) => self
                .discover_streaming_url()
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| self.instance.clone()),
            (None, false) => self.instance.clone(),
        };
        let machine = OneShot::health_check(&base, self.timeouts(), now());
        let response = self.one_shot(machine).await?;
        Ok(response.is_some_and(|r| parse_health(&r)))
    }

    /// Asks `GET /api/v2/instance` for the streaming base URL (`configuration.urls.streaming`).
    /// `Ok(None)` when the server names none.
    pub async fn discover_streaming_url(&self) -> Result<Option<Instance>, Error> {
        let machine =
            OneShot::instance_info(&self.instance, self.token.clone(), self.timeouts(), now());
        match self.one_shot(machine).await? {
            Some(r) => parse_streaming_url(&r),
            None => Ok(None),
        }
    }

    /// Drives a one-shot request to its end.
    async fn one_shot(&self, machine: OneShot) -> Result<Option<Response>, Error> {
        let mut driver = Driver::new(machine, self.tls(), Arc::new(Control::default()));
        loop {
            match driver.next().await {
                Some(Step::Item(_)) => {}
                Some(Step::Finished(result)) => {
                    return result.map(|()| driver.machine.take_response());
                }
                None => return Ok(driver.machine.take_response()),
            }
        }
    }
}

/// A rustls client configuration: the ring provider, webpki roots, the extra `roots`, and
/// (with the `native-roots` feature) the system's roots.
fn tls_config(
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
