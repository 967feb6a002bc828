//! [`Tokio`]: the [`Runtime`] shim — tokio's TCP (as `futures-io` through tokio-util's
//! compat layer), timers on tokio's clock (so `tokio::time::pause` applies), `tokio::spawn`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use mastostream_client::{AsyncTimer, BoxFuture, Runtime};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// The tokio runtime, for [`mastostream_client`]. Its streams must be polled, and
/// [`spawn`](crate::EventStream::spawn) called, inside a tokio runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type Tcp = Compat<TcpStream>;

    fn connect(&self, host: String, port: u16) -> BoxFuture<std::io::Result<Self::Tcp>> {
        Box::pin(async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            tcp.set_nodelay(true)?;
            Ok(tcp.compat())
        })
    }

    fn timer(&self, at: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer(Box::pin(tokio::time::sleep_until(at.into()))))
    }

    fn spawn(&self, future: BoxFuture<()>) {
        tokio::spawn(future);
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

#[derive(Debug)]
struct Timer(Pin<Box<tokio::time::Sleep>>);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, at: Instant) {
        self.0.as_mut().reset(at.into());
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}
