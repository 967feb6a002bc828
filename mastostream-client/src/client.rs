//! [`Client`]: an instance URL, an optional token, trusted roots and session settings; the
//! stream methods with Mastodon.py's names.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use mastostream_proto::http::Token;
use mastostream_proto::session::{
    HealthCheck, HealthReport, Item, Machine, OneShot, Server, ServerSource, SessionConfig,
    StreamTransport, Timeline,
};
use mastostream_proto::{Channel, Error, ErrorKind, Id, Instance, UrlError};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;

use crate::control::Control;
use crate::driver::Driver;
use crate::runtime::Runtime;
use crate::stream::EventStream;

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

/// A Mastodon streaming client: where to connect, as whom, and how; on the runtime `R`
/// (`mastostream-tokio` and `mastostream-smol` name it for you: `mastostream_tokio::Client`).
///
/// Cheap to clone; every stream it opens is independent. The token travels only in the
/// `Authorization` header, only to the instance's and its streaming server's origins, and
/// `Debug` output redacts it.
///
/// Before its first connection, a stream asks the instance where it streams from
/// (`/api/v2/instance`, then `/api/v1/instance`) and falls back to the instance URL when
/// it names nothing; the answer is kept for the client's later streams
/// ([`Client::server`]). [`Client::streaming_url`] sets it instead, and
/// [`Client::discover`] turns discovery off.
#[derive(Clone)]
pub struct Client<R: Runtime> {
    rt: R,
    instance: Instance,
    streaming: Option<Instance>,
    discover: bool,
    token: Option<Token>,
    roots: Vec<CertificateDer<'static>>,
    native_roots: bool,
    configure: Option<Configure>,
    tls: Arc<ClientConfig>,
    server: Arc<Mutex<Option<Server>>>,
}

impl<R: Runtime> fmt::Debug for Client<R> {
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

impl<R: Runtime + Default> Client<R> {
    /// A client for the instance at `url` (`https://mastodon.social`; a bare host means
    /// `https://`), without a token, trusting the bundled webpki roots.
    pub fn new(url: &str) -> Result<Client<R>, ConfigError> {
        Client::with_runtime(url, R::default())
    }
}

impl<R: Runtime> Client<R> {
    /// [`Client::new`] on a given runtime value (a test runtime with a paused clock, say).
    pub fn with_runtime(url: &str, rt: R) -> Result<Client<R>, ConfigError> {
        let instance = Instance::parse(url)?;
        Ok(Client {
            rt,
            instance,
            streaming: None,
            discover: true,
            token: None,
            roots: Vec::new(),
            native_roots: false,
            configure: None,
            tls: crate::tls::config(&[], false)?,
            server: Arc::new(Mutex::new(None)),
        })
    }

    /// Sets the access token (sent as `Authorization: Bearer`).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Client<R> {
        self.token = Some(Token::new(token.into()));
        self
    }

    /// Sets or clears the access token.
    #[must_use]
    pub fn token_opt(mut self, token: Option<String>) -> Client<R> {
        self.token = token.map(Token::new);
        self
    }

    /// Trusts this root certificate (DER) in addition to the bundled roots.
    pub fn add_root_certificate(
        mut self,
        der: CertificateDer<'static>,
    ) -> Result<Client<R>, ConfigError> {
        self.roots.push(der);
        self.tls = crate::tls::config(&self.roots, self.native_roots)?;
        Ok(self)
    }

    /// Also trusts the operating system's root certificates.
    #[cfg(feature = "native-roots")]
    pub fn native_roots(mut self, on: bool) -> Result<Client<R>, ConfigError> {
        self.native_roots = on;
        self.tls = crate::tls::config(&self.roots, self.native_roots)?;
        Ok(self)
    }

    /// Uses this streaming base URL (`wss://`, `https://`, ...) and skips discovery.
    pub fn streaming_url(mut self, url: &str) -> Result<Client<R>, ConfigError> {
        self.streaming = Some(Instance::parse(url)?);
        self.discover = false;
        Ok(self)
    }

    /// Whether streams first ask the instance for the streaming URL (default `true`).
    #[must_use]
    pub fn discover(mut self, on: bool) -> Client<R> {
        self.discover = on;
        self
    }

    /// Adjusts every session's configuration (timeouts, backoff, catch-up, limits,
    /// heartbeats, user agent, resume points) before it starts.
    ///
    /// ```
    /// use std::time::Duration;
    /// # #[derive(Clone, Debug, Default)] struct Rt;
    /// # impl mastostream_client::Runtime for Rt {
    /// #     type Tcp = futures_util::io::Cursor<Vec<u8>>;
    /// #     fn connect(&self, _: String, _: u16) -> mastostream_client::BoxFuture<std::io::Result<Self::Tcp>> { unimplemented!() }
    /// #     fn timer(&self, _: std::time::Instant) -> std::pin::Pin<Box<dyn mastostream_client::AsyncTimer>> { unimplemented!() }
    /// #     fn spawn(&self, _: mastostream_client::BoxFuture<()>) {}
    /// #     fn now(&self) -> std::time::Instant { std::time::Instant::now() }
    /// # }
    /// let client = mastostream_client::Client::<Rt>::new("https://mastodon.example")?
    ///     .configure(|c| {
    ///         c.timeouts.idle = Duration::from_secs(60);
    ///         c.catch_up.enabled = false;
    ///     });
    /// # Ok::<(), mastostream_client::ConfigError>(())
    /// ```
    #[must_use]
    pub fn configure(
        mut self,
        f: impl Fn(&mut SessionConfig) + Send + Sync + 'static,
    ) -> Client<R> {
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

    /// Where this client's streams are served from, once a stream found out (or the
    /// configured streaming URL).
    pub fn server(&self) -> Option<Server> {
        self.server
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The runtime.
    pub fn runtime(&self) -> &R {
        &self.rt
    }

    pub(crate) fn tls(&self) -> Arc<ClientConfig> {
        self.tls.clone()
    }

    /// Remembers what a stream learnt for the client's later streams.
    pub(crate) fn observe(&self, item: &Item) {
        if let Item::Discovered(server) = item {
            *self.server.lock().unwrap_or_else(|e| e.into_inner()) = Some(server.clone());
        }
    }

    /// The session configuration a stream of `channels` over `transport` starts with.
    pub fn session_config(
        &self,
        transport: StreamTransport,
        channels: impl IntoIterator<Item = Channel>,
    ) -> SessionConfig {
        let mut cfg = match transport {
            StreamTransport::WebSocket => SessionConfig::websocket(self.instance.clone(), channels),
            _ => {
                let channel = channels.into_iter().next().unwrap_or(Channel::User);
                SessionConfig::new(self.instance.clone(), channel)
            }
        };
        let known = self.server();
        cfg = cfg
            .token(self.token.clone())
            .streaming(
                self.streaming
                    .clone()
                    .or_else(|| known.as_ref().map(|s| s.streaming.clone())),
            )
            .seed(std::collections::hash_map::RandomState::new().hash_one(0x6d73_u64));
        cfg.dialect = known.map(|s| s.dialect);
        cfg.discover = self.discover;
        // The transport the server offers, falling back when one is refused; a caller that
        // wants one transport only sets this off in `configure`.
        cfg.choose_transport = true;
        if let Some(f) = &self.configure {
            f(&mut cfg);
        }
        cfg
    }

    /// A session with this exact configuration (built with
    /// [`session_config`](Client::session_config) and changed as needed: resume points,
    /// limits, ...).
    pub fn open(&self, cfg: SessionConfig) -> EventStream<R> {
        EventStream::new(self.clone(), cfg)
    }

    /// Any stream over SSE, by [`Channel`] (see [`Channel::parse`] for Mastodon's names).
    pub fn stream(&self, channel: Channel) -> EventStream<R> {
        self.open(self.session_config(StreamTransport::Sse, [channel]))
    }

    /// `user`: your home timeline and notifications.
    pub fn stream_user(&self) -> EventStream<R> {
        self.stream(Channel::User)
    }

    /// `user:notification`: your notifications only.
    pub fn stream_notifications(&self) -> EventStream<R> {
        self.stream(Channel::UserNotification)
    }

    /// `public`: the federated timeline. For `:media` or a scope, use
    /// [`stream`](Client::stream) with [`Channel::public`] and its modifiers.
    pub fn stream_public(&self) -> EventStream<R> {
        self.stream(Channel::public())
    }

    /// `public:local`: this server's public statuses.
    pub fn stream_local(&self) -> EventStream<R> {
        self.stream(Channel::public_local())
    }

    /// `public:remote`: other servers' public statuses.
    pub fn stream_remote(&self) -> EventStream<R> {
        self.stream(Channel::public_remote())
    }

    /// `hashtag`: every server's statuses with `tag` (one leading `#` is removed). For
    /// `hashtag:local`, `stream(Channel::hashtag(tag).local_only())`.
    pub fn stream_hashtag(&self, tag: &str) -> EventStream<R> {
        self.stream(Channel::hashtag(tag))
    }

    /// `list`: the statuses of one of your lists.
    pub fn stream_list(&self, id: impl Into<Id>) -> EventStream<R> {
        self.stream(Channel::list(id))
    }

    /// `direct`: your direct conversations.
    pub fn stream_direct(&self) -> EventStream<R> {
        self.stream(Channel::Direct)
    }

    /// Mastodon's multiplexed WebSocket (`wss://…/api/v1/streaming`): one connection
    /// carrying every stream in `channels` (possibly none), with more added or removed
    /// while it runs ([`EventStream::subscribe`], [`StreamControl`](crate::StreamControl)).
    /// Every event says which stream it came from. After a reconnect every subscription is
    /// sent again and each one's timelines are caught up over REST.
    pub fn websocket(&self, channels: impl IntoIterator<Item = Channel>) -> EventStream<R> {
        self.open(self.session_config(StreamTransport::WebSocket, channels))
    }

    /// Whether the streaming server is up: `GET /api/v1/streaming/health` answers `OK`
    /// (after discovery, on the streaming server). `Err` when no answer came.
    pub async fn stream_healthy(&self) -> Result<bool, Error> {
        self.health().await.map(|r| r.healthy)
    }

    /// Discovery and the health endpoint: where the instance streams from, how that was
    /// learnt, and what the health endpoint said.
    pub async fn health(&self) -> Result<HealthReport, Error> {
        let cfg = self.session_config(StreamTransport::Sse, [Channel::User]);
        self.check(HealthCheck::new(&cfg, self.rt.now()), &cfg)
            .await
    }

    /// Where the instance streams from (`/api/v2/instance`, then `/api/v1/instance`).
    /// `Ok(None)` when it names no streaming URL, or could not be asked.
    pub async fn discover_streaming_url(&self) -> Result<Option<Instance>, Error> {
        let cfg = self.session_config(StreamTransport::Sse, [Channel::User]);
        let report = self
            .check(HealthCheck::discovery(&cfg, self.rt.now()), &cfg)
            .await?;
        Ok(match report.server.source {
            ServerSource::InstanceV2 | ServerSource::InstanceV1 => Some(report.server.streaming),
            _ => None,
        })
    }

    /// Where `timeline` is now: its newest id (one `GET` of its newest page, with the
    /// token, on the instance), `Ok(None)` when it is empty. Store it, and a later session
    /// [resumes](SessionConfig::resume) from it: whatever was posted in between is caught up
    /// over REST. For a program that must not miss what happens before its first event,
    /// even across a restart.
    ///
    /// Ids are compared as the server's software orders them; when that is not known yet
    /// (no stream found out) and discovery is on, discovery runs first and is remembered.
    pub async fn newest_id(&self, timeline: &Timeline) -> Result<Option<Id>, Error> {
        let mut cfg = self.session_config(StreamTransport::Sse, [Channel::User]);
        if cfg.dialect.is_none() && self.discover {
            let check = HealthCheck::discovery(&cfg, self.rt.now());
            let server = self.check(check, &cfg).await?.server;
            cfg.dialect = Some(server.dialect.clone());
            self.observe(&Item::Discovered(server));
        }
        let fetch = OneShot::get(
            &cfg.instance,
            &timeline.page_target(None, 1),
            "application/json",
            cfg.token.clone(),
            cfg.timeouts,
            self.rt.now(),
        );
        let response = self.run(fetch, &cfg, OneShot::take_response).await?;
        let response = response.ok_or_else(|| {
            Error::from(ErrorKind::UnexpectedResponse(
                "the request ended without a response".into(),
            ))
        })?;
        let dialect = cfg.dialect.unwrap_or_default();
        timeline
            .newest_in_page(&response.success()?.body, cfg.json, &dialect)
            .map_err(|e| ErrorKind::UnexpectedResponse(e).into())
    }

    /// Runs a check to its report.
    async fn check(&self, check: HealthCheck, cfg: &SessionConfig) -> Result<HealthReport, Error> {
        let report = self.run(check, cfg, |c| c.report().cloned()).await?;
        report.ok_or_else(|| {
            ErrorKind::UnexpectedResponse("the check ended without a report".into()).into()
        })
    }

    /// Drives a one-off machine until it finishes, then takes its result out.
    async fn run<M: Machine, T>(
        &self,
        machine: M,
        cfg: &SessionConfig,
        result: impl FnOnce(&mut M) -> T,
    ) -> Result<T, Error> {
        let grace = cfg.timeouts.close_grace;
        let control = Arc::new(Control::default());
        let mut driver = Driver::new(machine, self.rt.clone(), self.tls(), control, grace);
        while let Some(step) = driver.next().await {
            step?;
        }
        Ok(result(&mut driver.machine))
    }
}
