//! [`Smol`]: the [`Runtime`] shim — async-net's TCP, async-io's timers, smol's global
//! executor. No tokio anywhere.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use mastostream_client::{AsyncTimer, BoxFuture, Runtime};

/// The smol runtime, for [`mastostream_client`]. Transports run as tasks on smol's global
/// executor (`smol::spawn`), so a stream works under any executor and under `block_on`.
/// Time is the system's monotonic clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct Smol;

impl Runtime for Smol {
    type Tcp = async_net::TcpStream;

    fn connect(&self, host: String, port: u16) -> BoxFuture<std::io::Result<Self::Tcp>> {
        Box::pin(async move {
            let tcp = async_net::TcpStream::connect((host.as_str(), port)).await?;
            tcp.set_nodelay(true)?;
            Ok(tcp)
        })
    }

    fn timer(&self, at: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer(async_io::Timer::at(at)))
    }

    fn spawn(&self, future: BoxFuture<()>) {
        smol::spawn(future).detach();
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}

#[derive(Debug)]
struct Timer(async_io::Timer);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, at: Instant) {
        self.0.set_at(at);
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Future::poll(Pin::new(&mut self.0), cx).map(|_| ())
    }
}
