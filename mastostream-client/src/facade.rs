//! What a runtime's façade crate (`mastostream-tokio`, `mastostream-smol`) exports: the
//! shared types by name ([`facade`](crate::facade) re-exports them), and the type aliases
//! for its runtime ([`runtime_types!`](crate::runtime_types)).

pub use crate::{
    Backoff, Callbacks, CatchUpConfig, CertificateDer, Channel, ConfigError, Error, ErrorKind,
    Event, Gap, GapReason, HealthReport, Id, Instance, Item, Listener, PublicScope, Server,
    ServerSource, SessionConfig, StreamControl, StreamEvent, StreamHandle, StreamTransport,
    Timeline, Timeouts, dispatch, model, proto,
};

/// The client's types named for one runtime: `Client`, `EventStream`, and the 0.1 names
/// `WsStream`, `WsHandle`, `WsController`. `$rt` is the runtime type, `$name` its name in
/// the docs.
///
/// ```
/// # #[derive(Clone, Copy, Debug, Default)] pub struct MyRuntime;
/// # impl mastostream_client::Runtime for MyRuntime {
/// #     type Tcp = futures_util::io::Cursor<Vec<u8>>;
/// #     fn connect(&self, _: String, _: u16) -> mastostream_client::BoxFuture<std::io::Result<Self::Tcp>> { unimplemented!() }
/// #     fn timer(&self, _: std::time::Instant) -> std::pin::Pin<Box<dyn mastostream_client::AsyncTimer>> { unimplemented!() }
/// #     fn spawn(&self, _: mastostream_client::BoxFuture<()>) {}
/// #     fn now(&self) -> std::time::Instant { std::time::Instant::now() }
/// # }
/// mastostream_client::runtime_types!(MyRuntime, "my runtime");
/// let client: Client = Client::new("https://mastodon.example")?;
/// # Ok::<(), mastostream_client::ConfigError>(())
/// ```
#[macro_export]
macro_rules! runtime_types {
    ($rt:ty, $name:literal) => {
        #[doc = concat!("A Mastodon streaming client on ", $name, " (see [`mastostream_client::Client`]).")]
        pub type Client = $crate::Client<$rt>;

        #[doc = concat!("A stream on ", $name, ": an SSE stream or a WebSocket carrying several (see [`mastostream_client::EventStream`]).")]
        pub type EventStream = $crate::EventStream<$rt>;

        /// The WebSocket stream: since one type serves both transports, the same as
        /// [`EventStream`] (the name is kept for code written against 0.1).
        pub type WsStream = EventStream;

        /// A WebSocket stream's background handle: the same as
        /// [`StreamHandle`](mastostream_client::StreamHandle) (the name is kept for code
        /// written against 0.1).
        pub type WsHandle = $crate::StreamHandle;

        /// A WebSocket stream's controller: the same as
        /// [`StreamControl`](mastostream_client::StreamControl) (the name is kept for code
        /// written against 0.1).
        pub type WsController = $crate::StreamControl;
    };
}
