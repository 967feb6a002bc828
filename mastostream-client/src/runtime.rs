//! [`Runtime`]: what the driver needs from an async runtime, and nothing more.
//!
//! Modelled on quinn's runtime abstraction: a TCP connect that yields a `futures-io`
//! socket, a resettable timer at an instant, a way to spawn a task, and the current time.
//! `mastostream-tokio` and `mastostream-smol` each implement it in a few dozen lines; TLS,
//! WebSocket framing, channels and the whole client are written once, on runtime-neutral
//! crates.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use futures_io::{AsyncRead, AsyncWrite};

/// A boxed, sendable future (what [`Runtime::connect`] and [`Runtime::spawn`] deal in).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// An async runtime, as the driver uses it.
///
/// ```
/// use std::time::Instant;
/// use mastostream_client::Runtime;
///
/// // Any runtime works: the driver only connects, sleeps until a deadline, spawns, and
/// // reads the clock through this trait.
/// fn started_at<R: Runtime>(rt: &R) -> Instant {
///     rt.now()
/// }
/// ```
pub trait Runtime: Clone + Send + Sync + fmt::Debug + 'static {
    /// A connected TCP socket, as `futures-io` reader and writer.
    type Tcp: AsyncRead + AsyncWrite + Send + Unpin + 'static;

    /// Opens a TCP connection to `host` (a name or an IP address, IPv6 without brackets)
    /// and `port`.
    fn connect(&self, host: String, port: u16) -> BoxFuture<io::Result<Self::Tcp>>;

    /// A timer that fires at `at` (at once when `at` is past), and can be moved.
    fn timer(&self, at: Instant) -> Pin<Box<dyn AsyncTimer>>;

    /// Runs `future` to completion in the background.
    fn spawn(&self, future: BoxFuture<()>);

    /// The current time, on the runtime's clock (a test runtime may pause it).
    fn now(&self) -> Instant;

    /// The wall-clock time now (for `Retry-After` dates and rate-limit resets). The system
    /// clock unless the runtime simulates time.
    fn wall_clock(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A timer: a future that completes at its deadline, which [`reset`](AsyncTimer::reset)
/// moves.
pub trait AsyncTimer: Send + fmt::Debug {
    /// Moves the deadline to `at`.
    fn reset(self: Pin<&mut Self>, at: Instant);
    /// Ready once the deadline has passed.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}
