//! The server itself: its options, its shared state, starting and stopping, and the
//! controls that are not publishing (plans, waits, counters, cuts, restarts).

use std::collections::{BTreeMap, VecDeque};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::auth::Token;
use crate::conn;
use crate::corpus::Generator;
use crate::dialect::Dialect;
use crate::http::{RecordedRequest, Reply};
use crate::limit::{Budget, RateLimit};
use crate::plan::{Cut, Plan};
use crate::publish::Cmd;
use crate::store::{Collection, Store};
use crate::tls::{Certificate, TestCa};
use crate::ws::WsConnection;

/// How a fake server behaves overall.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Serve TLS (with a [`TestCa`] made at start) instead of plain HTTP.
    pub tls: bool,
    /// With `tls`, which certificate the server presents (valid, for another host, or
    /// expired).
    pub certificate: Certificate,
    /// An access token the server accepts, with every scope (`None`: none; then any
    /// request is let through until a token is added with
    /// [`FakeServer::accept_token`]). Once the server knows a token, streams and timelines
    /// require one it accepts.
    pub token: Option<String>,
    /// The seed of the payload [`Generator`].
    pub seed: u64,
    /// Send `:thump` to every live stream on this wall-clock schedule (`None`: only on
    /// command).
    pub heartbeat_every: Option<Duration>,
    /// Serve streams on a second port, named by `/api/v2/instance`; the main port then
    /// answers stream requests with `404`, like a REST-only host.
    pub separate_streaming: bool,
    /// Rate-limit REST requests (`None`: no limit and no `X-RateLimit-*` headers; see
    /// [`RateLimit`] and [`FakeServer::set_rate_limit`]).
    pub rate_limit: Option<RateLimit>,
    /// Which server to play ([`Dialect::Mastodon4`] by default; see the
    /// [crate docs](crate#dialects)).
    pub dialect: Dialect,
    /// Report this `software.name` in NodeInfo instead of the dialect's (`None`: the
    /// dialect's): software a client does not know, that streams as `dialect` does.
    pub software_name: Option<String>,
    /// Answer every WebSocket upgrade with this reply instead of upgrading (`None`:
    /// upgrade): a proxy in front of the streaming server that does not pass upgrades on,
    /// with its `200` page or its `404`. SSE streams are served as usual.
    pub refuse_upgrades: Option<Reply>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            tls: false,
            certificate: Certificate::Valid,
            token: None,
            seed: 1,
            heartbeat_every: None,
            separate_streaming: false,
            rate_limit: None,
            dialect: Dialect::default(),
            software_name: None,
            refuse_upgrades: None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Live {
    pub(crate) conn: u64,
    pub(crate) tx: mpsc::Sender<Cmd>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) store: Store,
    pub(crate) plans: VecDeque<Plan>,
    pub(crate) rest_plans: VecDeque<Reply>,
    pub(crate) live: Vec<Live>,
    pub(crate) sockets: Vec<(u64, TcpStream)>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) ws: Vec<WsConnection>,
    pub(crate) forbidden_lists: Vec<String>,
    /// List id to its accounts (`acct`, lowercased).
    pub(crate) lists: BTreeMap<String, Vec<String>>,
    pub(crate) tokens: Vec<Token>,
    pub(crate) budget: Option<Budget>,
    pub(crate) streams_opened: usize,
    pub(crate) next_conn: u64,
    pub(crate) seq: u64,
}

impl State {
    /// The lists that hold this account.
    pub(crate) fn lists_of(&self, acct: &str) -> Vec<String> {
        self.lists
            .iter()
            .filter(|(_, members)| members.iter().any(|m| m == acct))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) opts: ServerOptions,
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    pub(crate) state: Mutex<State>,
    pub(crate) changed: Condvar,
    pub(crate) stop: AtomicBool,
    pub(crate) generator: Generator,
    pub(crate) main_addr: SocketAddr,
    pub(crate) streaming_addr: Option<SocketAddr>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn base_url(&self, addr: SocketAddr) -> String {
        let scheme = if self.opts.tls { "https" } else { "http" };
        format!("{scheme}://{addr}")
    }
}

/// A running fake Mastodon server. Dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct FakeServer {
    pub(crate) shared: Arc<Shared>,
    ca: Option<TestCa>,
    threads: Vec<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server on `127.0.0.1` (an ephemeral port). Panics if it cannot listen.
    pub fn start(opts: ServerOptions) -> FakeServer {
        let main = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let streaming = opts
            .separate_streaming
            .then(|| TcpListener::bind("127.0.0.1:0").expect("bind streaming port"));
        let ca = opts.tls.then(|| TestCa::with(opts.certificate));
        let state = State {
            tokens: opts.token.iter().map(|t| Token::full(t)).collect(),
            budget: opts.rate_limit.map(Budget::new),
            ..State::default()
        };
        let shared = Arc::new(Shared {
            tls: ca.as_ref().map(TestCa::server_config),
            generator: Generator::new(opts.seed),
            main_addr: main.local_addr().expect("local addr"),
            streaming_addr: streaming
                .as_ref()
                .map(|l| l.local_addr().expect("local addr")),
            opts,
            state: Mutex::new(state),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let mut threads = Vec::new();
        for (listener, streaming_port) in [(Some(main), false), (streaming, true)] {
            let Some(listener) = listener else { continue };
            let shared = shared.clone();
            threads.push(thread::spawn(move || {
                conn::accept_loop(&shared, &listener, streaming_port);
            }));
        }
        if let Some(every) = shared.opts.heartbeat_every {
            let shared = shared.clone();
            threads.push(thread::spawn(move || heartbeat_loop(&shared, every)));
        }
        FakeServer {
            shared,
            ca,
            threads,
        }
    }

    /// The main address (REST, and streams unless they are on a separate port).
    pub fn addr(&self) -> SocketAddr {
        self.shared.main_addr
    }

    /// The instance URL: `http://127.0.0.1:PORT`, or `https://...` with TLS.
    pub fn url(&self) -> String {
        self.shared.base_url(self.shared.main_addr)
    }

    /// The streaming base URL as the instance documents name it (`ws://` or `wss://`).
    pub fn streaming_url(&self) -> String {
        conn::streaming_url(&self.shared)
    }

    /// The test CA (with TLS).
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// Queues plans for the next stream requests, in order.
    pub fn plan(&self, plans: impl IntoIterator<Item = Plan>) {
        self.shared.lock().plans.extend(plans);
        self.shared.changed.notify_all();
    }

    /// Answers the next `n` stream requests (SSE or WebSocket upgrades) with `status` and
    /// `Retry-After: retry_after_secs`, then streams again: a shorthand for `n`
    /// [`Plan::Reply`]s of [`Reply::retry_later`]. The plans queue after those already
    /// queued.
    pub fn refuse_streams(&self, n: usize, status: u16, retry_after_secs: u64) {
        let reply = Reply::retry_later(status, retry_after_secs);
        self.plan(std::iter::repeat_n(Plan::Reply(reply), n));
    }

    /// Queues replies for the next REST timeline requests (instead of a page), in order.
    /// A queued reply is sent as it is: no rate limit headers, and it spends none of the
    /// [`RateLimit`] budget.
    pub fn plan_rest(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().rest_plans.extend(replies);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many streams were answered `200` so far (a WebSocket connection counts from
    /// its first accepted subscription).
    pub fn streams_opened(&self) -> usize {
        self.shared.lock().streams_opened
    }

    /// How many streams are live now (WebSocket connections with a subscription).
    pub fn live_streams(&self) -> usize {
        self.shared.lock().live.len()
    }

    /// How many items of a collection are stored.
    pub fn stored(&self, collection: Collection) -> usize {
        self.shared.lock().store.len(collection)
    }

    /// Waits (at most `timeout`) until `pred` holds for the server's counters
    /// `(streams_opened, live_streams, requests)`. Returns whether it held.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(usize, usize, &[RecordedRequest]) -> bool,
    ) -> bool {
        self.wait(timeout, |st| {
            pred(st.streams_opened, st.live.len(), &st.requests)
        })
    }

    /// Waits (at most `timeout`) until `pred` holds for the WebSocket connections so far
    /// (as [`ws_connections`](FakeServer::ws_connections) lists them). Returns whether it
    /// held.
    pub fn wait_ws(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&[WsConnection]) -> bool,
    ) -> bool {
        self.wait(timeout, |st| pred(&st.ws))
    }

    /// Waits (at most `timeout`) until `pred` holds for the state; whether it held.
    fn wait(&self, timeout: Duration, mut pred: impl FnMut(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            if pred(&st) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The payload generator (the same seed as the server's own payloads).
    pub fn generator(&self) -> &Generator {
        &self.shared.generator
    }

    /// Sends `:thump` to every live SSE stream and a ping frame to every live WebSocket.
    pub fn heartbeat(&self) {
        broadcast(&self.shared, || Cmd::Heartbeat);
    }

    /// Refuses WebSocket subscriptions to this list from now on, as Mastodon refuses a list
    /// the token's account does not own: `{"error":"Not authorized to stream this
    /// list","status":401}`.
    pub fn forbid_list(&self, id: &str) {
        self.shared.lock().forbidden_lists.push(id.to_owned());
    }

    /// Every WebSocket connection so far, in accept order: what its client sent and what
    /// it is subscribed to.
    pub fn ws_connections(&self) -> Vec<WsConnection> {
        self.shared.lock().ws.clone()
    }

    /// Writes raw SSE body bytes (one chunk) to every live SSE stream, and sends them as one
    /// text message (binary when not UTF-8) to every live WebSocket.
    pub fn send_raw(&self, body: &[u8]) {
        broadcast(&self.shared, || Cmd::Raw(body.to_vec()));
    }

    /// Cuts every live stream now (see [`Cut`]; `DropMidEvent` here drops before the next
    /// event as `Drop` does).
    pub fn cut_streams(&self, cut: Cut) {
        broadcast(&self.shared, || Cmd::Cut(cut));
    }

    /// A restart: closes every connection (streams and REST) at once and goes on
    /// accepting. Plans still queued stay queued.
    pub fn restart(&self) {
        let mut st = self.shared.lock();
        st.live.clear();
        for (_, s) in st.sockets.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        drop(st);
        self.shared.changed.notify_all();
    }
}

pub(crate) fn broadcast(shared: &Shared, cmd: impl Fn() -> Cmd) {
    shared.lock().live.retain(|l| l.tx.send(cmd()).is_ok());
}

fn heartbeat_loop(shared: &Shared, every: Duration) {
    let mut next = Instant::now() + every;
    while !shared.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= next {
            broadcast(shared, || Cmd::Heartbeat);
            next += every;
        } else {
            thread::sleep((next - now).min(Duration::from_millis(20)));
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.restart();
        // Wake the accept loops.
        let _ = TcpStream::connect(self.shared.main_addr);
        if let Some(a) = self.shared.streaming_addr {
            let _ = TcpStream::connect(a);
        }
        self.shared.changed.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
