#![doc = include_str!("README.md")]

mod behaviour;
mod flood;
mod frame;
mod http;
mod payload;
mod record;
mod redirect;
mod state;
mod wire;
mod ws;

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use behaviour::{
    BadPayload, Behaviour, Canned, ChunkSize, CloseFrame, Garbage, Good, Location, LyingLength,
    Pace, RETRY_AFTER_VALUES, Redirect, WsBehaviour,
};
pub use payload::{BAD_ID, GOOD_ID, status_json};
pub use record::{ClientFrame, Connection, Ending, Listener, Request};

use crate::fake::TestCa;
use state::Shared;

/// How long a write may make no progress before it counts as a stall
/// ([`Connection::write_stalls`]); it is then retried.
pub const STALL: Duration = Duration::from_millis(100);

/// The most client frames recorded per connection ([`Connection::frames`]).
pub const MAX_FRAMES: usize = 100_000;

/// The largest legal WebSocket payload length, 2^63 − 1 (for
/// [`WsBehaviour::FrameLength`]); one more is invalid.
pub const MAX_FRAME_LEN: u64 = (1 << 63) - 1;

/// How a [`HostileServer`] starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostileOptions {
    /// The main listener speaks TLS (with the server's [`TestCa`]).
    pub tls: bool,
    /// The second listener speaks TLS. A TLS main listener with a plain second one is
    /// the https→http downgrade.
    pub second_tls: bool,
    /// What the main listener does when its queue is empty.
    pub default: Behaviour,
    /// What the second listener does when its queue is empty.
    pub second_default: Behaviour,
}

impl Default for HostileOptions {
    /// Plain HTTP on both listeners; both serve [`Behaviour::good`] by default.
    fn default() -> Self {
        HostileOptions {
            tls: false,
            second_tls: false,
            default: Behaviour::good(),
            second_default: Behaviour::good(),
        }
    }
}

impl HostileOptions {
    /// TLS on both listeners, [`Behaviour::good`] by default.
    pub fn tls() -> HostileOptions {
        HostileOptions {
            tls: true,
            second_tls: true,
            ..HostileOptions::default()
        }
    }
}

/// A server on `127.0.0.1` that misbehaves on command, with a second listener (another
/// origin). Each accepted connection takes the next queued [`Behaviour`] of its listener
/// (the listener's default when none is queued); everything is recorded per connection.
/// Dropping it closes every connection and joins every thread.
#[derive(Debug)]
pub struct HostileServer {
    shared: Arc<Shared>,
    ca: Option<TestCa>,
    accept_threads: Vec<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts both listeners on ephemeral ports. Panics if it cannot listen.
    pub fn start(opts: HostileOptions) -> HostileServer {
        let main = TcpListener::bind("127.0.0.1:0").expect("bind the main listener");
        let second = TcpListener::bind("127.0.0.1:0").expect("bind the second listener");
        let addr = |l: &TcpListener| l.local_addr().expect("listener address");
        let ca = (opts.tls || opts.second_tls).then(TestCa::new);
        let config = |on: bool| on.then(|| ca.as_ref().map(TestCa::server_config)).flatten();
        let shared = Arc::new(Shared::new(
            [addr(&main), addr(&second)],
            [config(opts.tls), config(opts.second_tls)],
            [opts.default, opts.second_default],
        ));
        let accept_threads = [(main, Listener::Main), (second, Listener::Second)]
            .into_iter()
            .map(|(listener, which)| {
                let shared = shared.clone();
                thread::spawn(move || state::accept_loop(&shared, &listener, which))
            })
            .collect();
        HostileServer {
            shared,
            ca,
            accept_threads,
        }
    }

    /// The main listener's base URL: `http://127.0.0.1:PORT` (`https://` with TLS).
    pub fn url(&self) -> String {
        self.url_of(Listener::Main)
    }

    /// A listener's base URL.
    pub fn url_of(&self, listener: Listener) -> String {
        self.shared.base(listener)
    }

    /// The main listener's WebSocket base URL: `ws://127.0.0.1:PORT` (`wss://` with TLS).
    pub fn ws_url(&self) -> String {
        let url = self.url();
        match url.strip_prefix("https") {
            Some(rest) => format!("wss{rest}"),
            None => format!("ws{}", url.trim_start_matches("http")),
        }
    }

    /// A listener's address.
    pub fn addr(&self, listener: Listener) -> SocketAddr {
        self.shared.addrs[listener.index()]
    }

    /// The CA that signed both listeners' certificate (`None` without TLS): clients trust
    /// [`TestCa::ca_der`].
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// Queues behaviours for the main listener's next connections, in order.
    pub fn queue(&self, behaviours: impl IntoIterator<Item = Behaviour>) {
        self.queue_on(Listener::Main, behaviours);
    }

    /// Queues behaviours for a listener's next connections, in order.
    pub fn queue_on(&self, listener: Listener, behaviours: impl IntoIterator<Item = Behaviour>) {
        self.shared
            .update(|st| st.queues[listener.index()].extend(behaviours));
    }

    /// Sets what a listener does when its queue is empty.
    pub fn set_default(&self, listener: Listener, behaviour: Behaviour) {
        self.shared
            .update(|st| st.defaults[listener.index()] = behaviour);
    }

    /// Releases `bytes` more bytes to [`Pace::Step`] drips (each byte goes to whichever
    /// dripping connection writes next; with one such connection, exactly `bytes` more).
    pub fn release(&self, bytes: u64) {
        self.shared
            .update(|st| st.permits = st.permits.saturating_add(bytes));
    }

    /// Cuts connection `index` at once, both ways (as a proxy or a crashed server would),
    /// whatever its behaviour is doing: the client sees its connection end. Returns whether
    /// the connection was still open.
    pub fn cut(&self, index: usize) -> bool {
        self.shared.update(|st| {
            let open = st.sockets.iter().find(|(c, _)| *c == index);
            open.map(|(_, s)| s.shutdown(Shutdown::Both)).is_some()
        })
    }

    /// Every connection so far, in accept order (both listeners).
    pub fn connections(&self) -> Vec<Connection> {
        self.shared.lock().conns.clone()
    }

    /// One connection's record.
    pub fn connection(&self, index: usize) -> Option<Connection> {
        self.shared.lock().conns.get(index).cloned()
    }

    /// The requests the main listener received, in connection order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests_on(Listener::Main)
    }

    /// The requests a listener received, in connection order.
    pub fn requests_on(&self, listener: Listener) -> Vec<Request> {
        self.shared
            .lock()
            .conns
            .iter()
            .filter(|c| c.listener == listener)
            .filter_map(|c| c.request.clone())
            .collect()
    }

    /// Waits (at most `timeout`) until `pred` holds for the connections so far; returns
    /// whether it held.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&[Connection]) -> bool,
    ) -> bool {
        self.shared.wait(timeout, |st| pred(&st.conns))
    }

    /// Waits until the main listener has received `n` requests.
    pub fn wait_requests(&self, n: usize, timeout: Duration) -> bool {
        self.wait_requests_on(Listener::Main, n, timeout)
    }

    /// Waits until a listener has received `n` requests.
    pub fn wait_requests_on(&self, listener: Listener, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |cs| {
            cs.iter()
                .filter(|c| c.listener == listener && c.request.is_some())
                .count()
                >= n
        })
    }

    /// Waits until connection `index` has ended (see [`Connection::ending`]).
    pub fn wait_ended(&self, index: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |cs| {
            cs.get(index).is_some_and(|c| c.ending.is_some())
        })
    }

    /// Waits until the server has written at least `bytes` on connection `index`.
    pub fn wait_written(&self, index: usize, bytes: u64, timeout: Duration) -> bool {
        self.wait_until(timeout, |cs| {
            cs.get(index).is_some_and(|c| c.bytes_written >= bytes)
        })
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.shared.set_stop();
        for addr in self.shared.addrs {
            // Wake the accept loops.
            let _ = TcpStream::connect(addr);
        }
        for t in self.accept_threads.drain(..) {
            let _ = t.join();
        }
        let threads = std::mem::take(&mut self.shared.lock().threads);
        for t in threads {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests;
